"""Number theory on gmpy2 (docs/spec.md §1.2).

Plain functions on integers: modular powers and inverses, unit checks,
Lagrange coefficients scaled by Δ, and simultaneous multi-exponentiation.
Exponents are never reduced modulo an unknown group order.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import gmpy2
from gmpy2 import mpz

from ..errors import InvalidElement


def powmod(base: int, exponent: int, modulus: int) -> int:
    """base^exponent mod modulus; a negative exponent inverts first."""
    return int(gmpy2.powmod(base, exponent, modulus))


def invert(x: int, modulus: int) -> int:
    """x^-1 mod modulus; raises InvalidElement if x is not a unit."""
    try:
        return int(gmpy2.invert(x, modulus))
    except ZeroDivisionError as exc:
        raise InvalidElement("element is not invertible") from exc


def is_unit(x: int, modulus: int) -> bool:
    """True if 0 < x < modulus and gcd(x, modulus) = 1."""
    return 0 < x < modulus and gmpy2.gcd(x, modulus) == 1


def check_unit(x: int, modulus: int, what: str) -> int:
    """Return x if it is a unit modulo ``modulus`` in canonical range, else raise."""
    if not is_unit(x, modulus):
        raise InvalidElement(f"{what}: not a unit in range")
    return x


def check_units(values: Sequence[int], modulus: int, what: str) -> None:
    """Check that every value is a unit in (0, modulus), with one gcd in all.

    The product of units is a unit, and the product of a sequence that holds a
    non-unit shares a factor with the modulus: one gcd then decides.
    """
    m = mpz(modulus)
    acc = mpz(1)
    for x in values:
        if not 0 < x < modulus:
            raise InvalidElement(f"{what}: out of range")
        acc = acc * x % m
    if gmpy2.gcd(acc, m) != 1:
        raise InvalidElement(f"{what}: not a unit")


def is_probable_prime(x: int, rounds: int = 40) -> bool:
    """Miller-Rabin with ``rounds`` bases (gmpy2 also runs a strong Lucas test)."""
    return bool(gmpy2.is_prime(x, rounds))


def factorial(k: int) -> int:
    """k! as an int (Δ = ℓ!)."""
    return math.factorial(k)


def lagrange_at(j: int, subset: Sequence[int], delta: int) -> dict[int, int]:
    """λ_{j,i} = Δ·Π_{i'∈S, i'≠i} (j − i')/(i − i') for i in S, as exact integers.

    With Δ = ℓ! and indices in 1..ℓ, each value is an integer (Shoup 2000).
    """
    if len(set(subset)) != len(subset):
        raise ValueError("indices must be distinct")
    out: dict[int, int] = {}
    for i in subset:
        num = delta
        den = 1
        for k in subset:
            if k != i:
                num *= j - k
                den *= i - k
        if num % den != 0:
            raise ValueError("Lagrange coefficient is not integral; Δ too small")
        out[i] = num // den
    return out


def multi_powmod(bases: Sequence[int], exponents: Sequence[int], modulus: int) -> int:
    """Π bases[i]^exponents[i] mod modulus, non-negative exponents (spec §10.2).

    Pippenger's bucket method: the exponents are cut into w-bit windows and,
    window by window from the top, bases are added into 2^w − 1 buckets and the
    buckets summed by a running product. Cost about (bits/w)·(N + 2^(w+1))
    multiplications instead of N·1.5·bits.
    """
    if len(bases) != len(exponents):
        raise ValueError("bases and exponents differ in length")
    m = mpz(modulus)
    items = [(mpz(b) % m, mpz(e)) for b, e in zip(bases, exponents, strict=True) if e != 0]
    if any(e < 0 for _, e in items):
        raise ValueError("negative exponent")
    if not items:
        return 1 % modulus
    if len(items) == 1:
        return int(gmpy2.powmod(items[0][0], items[0][1], m))
    lengths = sorted(int(e.bit_length()) for _, e in items)
    bits = lengths[-1]
    w = min(range(1, 17), key=lambda width: _pippenger_cost(lengths, width))
    mask = (1 << w) - 1
    windows = (bits + w - 1) // w
    acc = mpz(1)
    for win in range(windows - 1, -1, -1):
        if acc != 1:
            for _ in range(w):
                acc = acc * acc % m
        shift = win * w
        buckets: list[mpz | None] = [None] * (mask + 1)
        for b, e in items:
            d = int((e >> shift) & mask)
            if d:
                cur = buckets[d]
                buckets[d] = b if cur is None else cur * b % m
        running = mpz(1)
        total = mpz(1)
        started = False
        for d in range(mask, 0, -1):
            bd = buckets[d]
            if bd is not None:
                running = running * bd % m
                started = True
            if started:
                total = total * running % m
        if started:
            acc = acc * total % m
    return int(acc)


def _pippenger_cost(lengths: Sequence[int], w: int) -> int:
    """Multiplications Pippenger needs with window ``w`` for sorted exponent lengths."""
    windows = (lengths[-1] + w - 1) // w
    cost = 0
    lo = 0
    for win in range(windows):
        # items whose exponent reaches into this window
        while lo < len(lengths) and lengths[lo] <= win * w:
            lo += 1
        cost += (len(lengths) - lo) + (2 << w) + w
    return cost
