"""Paillier with g = n + 1, on ``phe`` (docs/spec.md §3).

Ciphertexts are plain integers in Z*_{n²}.  ``phe`` supplies the key type and
raw encryption; we always pass our own randomness (from :mod:`rng`) so that a
ciphertext stays linked to its proof, and we never use ``phe``'s encoding.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

import gmpy2
from phe import paillier as phe_paillier

from ..errors import InvalidElement, ParameterError
from . import rng
from .numbers import check_unit, invert, is_unit


class KeyPolicy(Enum):
    """Which modulus sizes a caller accepts (docs/spec.md §1.1).

    Production code uses ``STANDARD``; ``SHORT_LIVED`` admits 2048-bit moduli
    for an explicitly short-lived election; ``TESTING`` exists for the test
    suite's small moduli and is never chosen by a production path.
    """

    STANDARD = "standard"
    SHORT_LIVED = "short-lived"
    TESTING = "testing"

    def check_bits(self, bits: int) -> None:
        """Raise ParameterError if a modulus of ``bits`` bits is refused."""
        allowed = {
            KeyPolicy.STANDARD: (3072, 4096),
            KeyPolicy.SHORT_LIVED: (2048, 3072, 4096),
        }.get(self)
        if allowed is None:
            if bits < 256 or bits % 2:
                raise ParameterError(
                    f"test moduli need an even size of at least 256 bits, got {bits}"
                )
            return
        if bits not in allowed:
            raise ParameterError(
                f"a {bits}-bit modulus is refused under the {self.value} policy; "
                f"allowed: {', '.join(map(str, allowed))}"
            )

    def check_pedersen_bits(self, bits: int) -> None:
        """Raise ParameterError if a ring-Pedersen modulus N̂ of ``bits`` bits is
        refused (docs/spec.md §6.4): 2048 bits or more outside the tests."""
        if self is KeyPolicy.TESTING:
            if bits < 256 or bits % 2:
                raise ParameterError(
                    f"test ring-Pedersen moduli need an even size of at least 256 bits, got {bits}"
                )
            return
        if bits not in (2048, 3072, 4096):
            raise ParameterError(
                f"a {bits}-bit ring-Pedersen modulus is refused under the {self.value} policy; "
                "allowed: 2048, 3072, 4096"
            )


@dataclass(frozen=True, slots=True)
class PublicKey:
    """The Paillier public key n (g = n + 1 is implicit), docs/spec.md §3.1."""

    n: int
    n2: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.n < 3 or self.n % 2 == 0:
            raise ParameterError("Paillier modulus must be odd and > 2")
        object.__setattr__(self, "n2", self.n * self.n)

    @property
    def bits(self) -> int:
        return self.n.bit_length()

    def phe_key(self) -> phe_paillier.PaillierPublicKey:
        """The same key as a ``phe`` object."""
        return phe_paillier.PaillierPublicKey(self.n)

    def encrypt(self, m: int, r: int | None = None) -> int:
        """c = (1 + m·n)·r^n mod n² for 0 <= m < n (docs/spec.md §3.2)."""
        if not 0 <= m < self.n:
            raise ValueError("plaintext out of range")
        r = self.random_r() if r is None else check_unit(r, self.n, "encryption randomness")
        return int(self.phe_key().raw_encrypt(m, r_value=r))

    def random_r(self) -> int:
        """Fresh encryption randomness r ∈ Z*_n."""
        return rng.random_unit(self.n)

    def rn(self, r: int) -> int:
        """r^n mod n², the vote-independent part of an encryption."""
        return int(gmpy2.powmod(r, self.n, self.n2))

    def encrypt_with_rn(self, m: int, rn: int) -> int:
        """(1 + m·n)·rn mod n² for a precomputed rn = r^n mod n²."""
        return (1 + (m % self.n) * self.n) * rn % self.n2

    def check_ciphertext(self, c: int, what: str = "ciphertext") -> int:
        """Return c if 0 < c < n² and gcd(c, n) = 1, else raise InvalidElement."""
        if not is_unit(c, self.n2):
            raise InvalidElement(f"{what}: not an element of Z*_(n^2)")
        return c

    def add(self, c1: int, c2: int) -> int:
        """Enc(m1 + m2): c1·c2 mod n²."""
        return c1 * c2 % self.n2

    def scale(self, c: int, k: int) -> int:
        """Enc(k·m): c^k mod n² (k may be negative)."""
        if k < 0:
            return int(gmpy2.powmod(invert(c, self.n2), -k, self.n2))
        return int(gmpy2.powmod(c, k, self.n2))

    def rerandomize(self, c: int, r: int | None = None) -> int:
        """c·r^n mod n²: same plaintext, fresh ciphertext."""
        r = self.random_r() if r is None else r
        return c * self.rn(r) % self.n2


def L(u: int, n: int) -> int:
    """L(u) = (u − 1)/n, defined when u ≡ 1 (mod n)."""
    if (u - 1) % n != 0:
        raise InvalidElement("L(u) undefined: u is not 1 mod n")
    return (u - 1) // n
