"""Sieved candidates and their shared product n = p·q (docs/spec.md §12.3–12.4).

Sieve (§12.3): trustees 1..t each draw a unit a_i of Z_M per candidate
prime and share it (Shamir, degree t − 1, over Z_M). The products are
formed pairwise (BGW: multiply shares, then re-share the degree 2t − 2
point and recombine), the last product is left at degree 2t − 2 and turned
into additive shares b_j = λ_j·u_j (mod M) over all ℓ points. So
Σ_j b_j ≡ a_1·…·a_t (mod M) is a unit that no t − 1 trustees know.

Candidate (§12.3): p_j = crt(b_j, c_j) + 4M·r_j (+ O for trustee 1), with
c_1 = 3, c_j = 0 (mod 4) and r_j uniform in [0, R): p = Σ_j p_j ≡ 3 (mod 4),
p mod M is a unit, and p ∈ [3·2^(h−2), 2^h).

Product (§12.4): each trustee shares p_j, q_j (degree t − 1) and a zero
(degree 2t − 2) over F_P; trustee j publishes N_j = P(j)·Q(j) + H(j) mod P
and n is the value at 0 of the polynomial through the N_j.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import gmpy2

from ..errors import InvalidShare
from ..primitives import rng
from ..primitives.numbers import invert
from .parameters import KeygenParameters
from .sharing import lagrange_zero_mod, share_many


def draw_units(modulus: int, count: int) -> list[int]:
    """``count`` uniform units of Z_modulus (statistically, §12.3)."""
    out: list[int] = []
    while len(out) < count:
        out.extend(
            x
            for x in rng.random_below_many(modulus, 2 * (count - len(out)))
            if math.gcd(x, modulus) == 1
        )
    return out[:count]


def share_vector(
    values: Sequence[int], degree: int, parties: Sequence[int], modulus: int
) -> dict[int, list[int]]:
    """Shamir-share each value; returns, per party, its vector of shares."""
    return share_many(values, degree, parties, modulus)


def zero_vector(
    count: int, degree: int, parties: Sequence[int], modulus: int
) -> dict[int, list[int]]:
    """Per party, shares of ``count`` zeros at ``degree`` (coefficients uniform mod m)."""
    return share_vector([0] * count, degree, parties, modulus)


def recombine(
    received: Mapping[int, Sequence[int]], lagrange: Mapping[int, int], modulus: int
) -> list[int]:
    """Σ_j λ_j·received[j][k] mod m, element-wise: the degree reduction's new shares."""
    senders = sorted(received)
    length = len(received[senders[0]])
    out = [0] * length
    for j in senders:
        lam = lagrange[j]
        vec = received[j]
        for k in range(length):
            out[k] += lam * vec[k]
    return [x % modulus for x in out]


def multiply(x: Sequence[int], y: Sequence[int], modulus: int) -> list[int]:
    """Element-wise x·y mod m (a share of the product at doubled degree)."""
    return [a * b % modulus for a, b in zip(x, y, strict=True)]


def pair_levels(count: int) -> int:
    """How many re-sharing rounds the sieve needs for ``count`` factors."""
    levels = 0
    while count > 2:
        count = (count + 1) // 2
        levels += 1
    return levels


def crt4(b: int, c: int, m: int) -> int:
    """The x in [0, 4m) with x ≡ b (mod m), x ≡ c (mod 4); m odd."""
    return b + m * (((c - b) * m) % 4)


def candidate_share(params: KeygenParameters, index: int, b: int) -> int:
    """p_j from the additive sieve share b_j (§12.3)."""
    m = params.m
    c = 3 if index == 1 else 0
    value = crt4(b, c, m) + 4 * m * rng.random_below(params.spread)
    return value + params.offset if index == 1 else value


def interpolate_product(params: KeygenParameters, points: dict[int, int]) -> int:
    """n from the published N_j (§12.4); raises InvalidShare if they are not on
    one polynomial of degree 2t − 2 (detectable when ℓ > 2t − 1)."""
    prime = params.field_prime
    base = list(range(1, 2 * params.t))
    lam = lagrange_zero_mod(base, prime)
    n = sum(lam[j] * points[j] for j in base) % prime
    for j in params.parties:
        if j in base:
            continue
        expected = sum(_lagrange_at(j, base, i, prime) * points[i] for i in base) % prime
        if expected != points[j]:
            raise InvalidShare(f"the published products are inconsistent at trustee {j}")
    return n


def _lagrange_at(x: int, points: Sequence[int], i: int, modulus: int) -> int:
    num, den = 1, 1
    for k in points:
        if k != i:
            num *= x - k
            den *= i - k
    return num * invert(den % modulus, modulus) % modulus


def acceptable(params: KeygenParameters, n: int) -> bool:
    """The public filter on a candidate n (§12.4): exactly ``bits`` long,
    n ≡ 1 (mod 4), and no prime below 2^16 divides it."""
    return n.bit_length() == params.bits and n % 4 == 1 and gmpy2.gcd(params.primorial, n) == 1
