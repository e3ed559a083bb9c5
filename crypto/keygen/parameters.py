"""Public parameters of a distributed key generation (docs/spec.md §12.1).

Everything here is a deterministic function of (bits, t, ℓ): every trustee
and every observer derives the same values, so none of them travels.

* h = bits/2; a prime candidate is p = O + Σ_i p_i with p ∈ [3·2^(h−2), 2^h),
  so n = pq always has exactly ``bits`` bits.
* M = the product of the primes π with ℓ < π ≤ B, as many as fit; the
  shared residue p mod M is a unit, so no such π divides p (the sieve).
  Primes π ≤ ℓ cannot be sieved (Shamir over Z_π needs ℓ distinct non-zero
  points) and are caught by trial division of n instead.
* P = the least prime above 2^bits: the field of the multiplication n = p·q.
* Trial division of every candidate n by all primes below 2^16.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import gmpy2

from ..errors import ParameterError
from ..primitives.numbers import factorial

KAPPA = 128
"""Statistical hiding of every integer sharing and mask, in bits."""

SPREAD_BITS = 32
"""Each trustee's multiplier r_i of 4M is uniform in [0, R) with R ≥ 2^32."""

TRIAL_DIVISION_BOUND = 1 << 16
"""Every candidate n is refused if a prime below this divides it."""

BIPRIMALITY_ROUNDS = 64
"""Committed rounds of the Boneh–Franklin test on the chosen candidate."""

MAX_KEYGEN_TRUSTEES = 16
"""Above this, Δ = ℓ! makes the integer shares too long (§12.6)."""


def _primes_between(lo: int, hi: int) -> list[int]:
    """The primes π with lo < π <= hi, ascending."""
    out = []
    x = int(gmpy2.next_prime(lo))
    while x <= hi:
        out.append(x)
        x = int(gmpy2.next_prime(x))
    return out


def primorial_below(bound: int) -> gmpy2.mpz:
    """The product of the primes below ``bound`` (trial division by one gcd)."""
    return gmpy2.mpz(math.prod(_primes_between(1, bound - 1)))


@dataclass(frozen=True, slots=True)
class KeygenParameters:
    """(bits, t, ℓ) and what follows from them (docs/spec.md §12.1)."""

    bits: int
    t: int
    l: int  # noqa: E741 - the spec's symbol ℓ
    h: int = field(init=False)
    m: int = field(init=False, repr=False)
    sieve_bound: int = field(init=False)
    offset: int = field(init=False, repr=False)
    spread: int = field(init=False, repr=False)
    field_prime: int = field(init=False, repr=False)
    primorial: gmpy2.mpz = field(init=False, repr=False)
    delta: int = field(init=False)

    def __post_init__(self) -> None:
        if self.bits % 2 or self.bits < 256:
            raise ParameterError(f"key generation needs an even size >= 256 bits, got {self.bits}")
        if self.t < 2:
            raise ParameterError("distributed key generation needs t >= 2")
        if not 2 * self.t - 1 <= self.l <= MAX_KEYGEN_TRUSTEES:
            raise ParameterError(
                f"distributed key generation needs 2t − 1 <= ℓ <= {MAX_KEYGEN_TRUSTEES} "
                f"(an honest majority), got t = {self.t}, ℓ = {self.l}"
            )
        h = self.bits // 2
        quarter = 1 << (h - 2)
        # 4·M·ℓ·2^SPREAD_BITS must fit in the quarter-width window [3·2^(h−2), 2^h)
        limit = quarter >> (SPREAD_BITS + 2 + self.l.bit_length())
        m, bound = 1, self.l
        x = int(gmpy2.next_prime(self.l))
        while m * x <= limit:
            m *= x
            bound = x
            x = int(gmpy2.next_prime(x))
        offset = -(-3 * quarter // (4 * m)) * 4 * m
        spread = ((1 << h) - offset) // (4 * m * self.l) - 1
        primorial = primorial_below(TRIAL_DIVISION_BOUND)
        set_ = object.__setattr__
        set_(self, "h", h)
        set_(self, "m", m)
        set_(self, "sieve_bound", bound)
        set_(self, "offset", offset)
        set_(self, "spread", spread)
        set_(self, "field_prime", int(gmpy2.next_prime(1 << self.bits)))
        set_(self, "primorial", primorial)
        set_(self, "delta", factorial(self.l))
        if spread < 1 << SPREAD_BITS:
            raise ParameterError("sieve modulus leaves too little room for the spread")

    @property
    def parties(self) -> range:
        """The trustee indices 1..ℓ."""
        return range(1, self.l + 1)
