"""Shamir sharing over Z_m and over the integers, and packed vectors (docs/spec.md §12.2).

Points are the trustee indices 1..ℓ and the secret sits at 0. Over Z_m
every prime factor of m exceeds ℓ, so all differences of points are units
and Lagrange's coefficients exist modulo m. Over the integers the
coefficients are Δ-scaled (Shoup 2000) and every share is made non-negative
by drawing the higher coefficients from a range that starts above the
secret's bound.

The vectors that travel between trustees are packed as fixed-width
big-endian words: a vector of c values of w bytes is exactly c·w bytes, and
anything else is refused.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import DecodeError, InvalidElement, ParameterError
from ..primitives import rng
from ..primitives.numbers import invert


def evaluate(coefficients: Sequence[int], x: int) -> int:
    """f(x) = Σ_j a_j·x^j over the integers (Horner)."""
    acc = 0
    for a in reversed(coefficients):
        acc = acc * x + a
    return acc


def share_mod(secret: int, degree: int, points: Sequence[int], modulus: int) -> list[int]:
    """[f(j) mod m for j in points], f(0) = secret, other coefficients uniform mod m."""
    coefficients = [secret % modulus, *rng.random_below_many(modulus, degree)]
    return [evaluate(coefficients, j) % modulus for j in points]


def share_many(
    secrets_: Sequence[int], degree: int, points: Sequence[int], modulus: int
) -> dict[int, list[int]]:
    """:func:`share_mod` of each secret, by point: out[j][k] = f_k(j) mod m."""
    randomness = rng.random_below_many(modulus, degree * len(secrets_))
    out: dict[int, list[int]] = {j: [] for j in points}
    for k, secret in enumerate(secrets_):
        coefficients = [secret, *randomness[k * degree : (k + 1) * degree]]
        for j in points:
            out[j].append(evaluate(coefficients, j) % modulus)
    return out


def lagrange_zero_mod(points: Sequence[int], modulus: int) -> dict[int, int]:
    """λ_j = Π_{k≠j} k/(k − j) mod m: f(0) = Σ_j λ_j·f(j) for deg f < |points|.

    Raises ParameterError if a difference of points is not a unit mod m.
    """
    out: dict[int, int] = {}
    for j in points:
        num, den = 1, 1
        for k in points:
            if k != j:
                num *= k
                den *= k - j
        try:
            out[j] = num * invert(den % modulus, modulus) % modulus
        except InvalidElement as exc:
            raise ParameterError("points are not distinct modulo a factor of m") from exc
    return out


def lagrange_zero_int(points: Sequence[int], delta: int) -> dict[int, int]:
    """Δ·λ_j as exact integers: Δ·f(0) = Σ_j (Δλ_j)·f(j) for deg f < |points|."""
    out: dict[int, int] = {}
    for j in points:
        num, den = delta, 1
        for k in points:
            if k != j:
                num *= k
                den *= k - j
        if num % den:
            raise ParameterError("Δ·λ is not an integer; Δ too small")
        out[j] = num // den
    return out


def share_int(
    secret: int, degree: int, points: Sequence[int], secret_bound: int, coefficient_bits: int
) -> list[int]:
    """Integer Shamir shares f(j) ≥ 0 of |secret| < secret_bound (spec §12.2).

    a_1..a_degree are uniform in [secret_bound, secret_bound + 2^coefficient_bits),
    so f(j) >= secret + secret_bound·j > 0 for every j >= 1.
    """
    if abs(secret) >= secret_bound:
        raise ParameterError("integer sharing: secret out of its declared bound")
    coefficients = [secret] + [
        secret_bound + rng.random_bits(coefficient_bits) for _ in range(degree)
    ]
    return [evaluate(coefficients, j) for j in points]


def zero_sharing_int(degree: int, points: Sequence[int], coefficient_bits: int) -> list[int]:
    """[f(j)] for f(0) = 0 and a_1..a_degree uniform in (−2^bits, 2^bits)."""
    coefficients = [0] + [
        rng.random_bits(coefficient_bits + 1) - (1 << coefficient_bits) for _ in range(degree)
    ]
    return [evaluate(coefficients, j) for j in points]


def pack(values: Sequence[int], width: int) -> bytes:
    """Fixed-width big-endian words; ValueError if a value is negative or too long."""
    return b"".join(v.to_bytes(width, "big") for v in values)


def unpack(data: bytes, width: int, count: int, bound: int, what: str) -> list[int]:
    """Read exactly ``count`` words of ``width`` bytes, each < bound; else DecodeError."""
    if len(data) != width * count:
        raise DecodeError(what, f"expected {count} values of {width} bytes, got {len(data)} bytes")
    out = [int.from_bytes(data[k : k + width], "big") for k in range(0, len(data), width)]
    for pos, v in enumerate(out):
        if v >= bound:
            raise DecodeError(what, f"value {pos} out of range")
    return out


def pack_signed(values: Sequence[int], width: int) -> bytes:
    """A sign byte (0 or 1) and |v| in ``width`` bytes, per value."""
    return b"".join(bytes([v < 0]) + abs(v).to_bytes(width, "big") for v in values)


def unpack_signed(data: bytes, width: int, count: int, bits: int, what: str) -> list[int]:
    """Inverse of :func:`pack_signed`; |v| < 2^bits, sign byte 0 or 1, −0 refused."""
    step = width + 1
    if len(data) != step * count:
        raise DecodeError(what, f"expected {count} signed values, got {len(data)} bytes")
    out = []
    for pos in range(count):
        sign = data[pos * step]
        mag = int.from_bytes(data[pos * step + 1 : (pos + 1) * step], "big")
        if sign > 1 or (sign and not mag) or mag >> bits:
            raise DecodeError(what, f"value {pos} is not a valid signed integer")
        out.append(-mag if sign else mag)
    return out


def width_of(bits: int) -> int:
    """Bytes that hold ``bits`` bits."""
    return (bits + 7) // 8
