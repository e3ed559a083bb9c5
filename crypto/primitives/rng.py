"""The only source of randomness in kiemphieu (docs/spec.md §1.3).

Everything random comes from :mod:`secrets`; callers that need determinism
(known-answer vectors) pass their values in explicitly instead.
"""

from __future__ import annotations

import math
import secrets


def random_bits(bits: int) -> int:
    """Uniform integer in [0, 2^bits)."""
    if bits <= 0:
        raise ValueError("bits must be positive")
    return secrets.randbits(bits)


def random_below(bound: int) -> int:
    """Uniform integer in [0, bound)."""
    if bound <= 0:
        raise ValueError("bound must be positive")
    return secrets.randbelow(bound)


def random_below_many(bound: int, count: int) -> list[int]:
    """``count`` integers in [0, bound), each statistically within 2^-128 of
    uniform: |bound| + 128 bits from one secrets.token_bytes call, reduced."""
    if bound <= 0 or count < 0:
        raise ValueError("bound must be positive and count non-negative")
    width = (bound.bit_length() + 128 + 7) // 8
    raw = secrets.token_bytes(width * count)
    return [int.from_bytes(raw[k : k + width], "big") % bound for k in range(0, len(raw), width)]


def random_unit(n: int) -> int:
    """Uniform element of Z*_n, i.e. 0 < r < n with gcd(r, n) = 1."""
    while True:
        r = secrets.randbelow(n)
        if r > 0 and math.gcd(r, n) == 1:
            return r


def random_odd(bits: int) -> int:
    """Uniform odd integer with its top bit set, exactly ``bits`` long."""
    if bits < 2:
        raise ValueError("bits must be at least 2")
    return secrets.randbits(bits) | (1 << (bits - 1)) | 1
