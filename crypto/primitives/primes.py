"""Safe primes for the Paillier modulus (docs/spec.md §4.1).

A safe prime is p = 2p' + 1 with p' prime. The search sieves an interval of
candidates p' ≡ 5 (mod 6) against every small prime r at once: a candidate
dies if r divides p' or r divides 2p' + 1, that is if p' ≡ 0 or
p' ≡ (r − 1)/2 (mod r). Each survivor then meets a base-2 Fermat test on p'
and on p, the rare pair that passes both gets a full probable-prime test on p'
(Baillie–PSW plus Miller–Rabin rounds, gmpy2), and p is *proved* prime from
p' by Pocklington's criterion: p − 1 = 2p' with the prime p' > √p, so p is
prime as soon as some a has a^(p−1) ≡ 1 and gcd(a² − 1, p) = 1.

Both p and p' have their two top bits set, so the product of two such primes
of ``bits`` bits has exactly 2·``bits`` bits.
"""

from __future__ import annotations

import math
from functools import cache

import gmpy2

from ..errors import ParameterError
from . import rng
from .numbers import is_probable_prime

MIN_PRIME_BITS = 64
"""Smallest safe prime :func:`safe_prime` makes (test moduli use 128-bit primes)."""

MAX_SIEVE_BITS = 22
"""Small primes below 2^22 at most sieve the candidates."""

MAX_WINDOW = 1 << 18
"""Candidates per sieved interval at most; at 1536 bits one interval holds
about two safe primes on average."""

_FERMAT_BASE = 2


def _sieve_bits(bits: int) -> int:
    """log2 of the sieve bound for ``bits``-bit primes.

    Balances one Fermat test per survivor against about 2 µs per sieving
    prime: 2^12 at 256 bits, 2^18 at 1024, 2^22 from 1536 bits on.
    """
    return max(12, min(MAX_SIEVE_BITS, 10 + bits // 128))


@cache
def _sieve_table(limit_bits: int) -> tuple[tuple[int, int, int], ...]:
    """(r, 6^-1 mod r, ((r − 1)/2)·6^-1 mod r) for the primes 5 <= r < 2^limit_bits."""
    limit = 1 << limit_bits
    flags = bytearray(b"\x01") * limit
    flags[0:2] = b"\x00\x00"
    for i in range(2, math.isqrt(limit) + 1):
        if flags[i]:
            flags[i * i :: i] = bytes(len(range(i * i, limit, i)))
    table = []
    for r in range(5, limit):
        if flags[r]:
            inv6 = (r + 1) // 6 if r % 6 == 5 else (5 * r + 1) // 6
            table.append((r, inv6, ((r - 1) >> 1) * inv6 % r))
    return tuple(table)


def _sieve(start: int, width: int, limit_bits: int) -> bytearray:
    """Flags for p' = start + 6k, k < width: 1 if neither p' nor 2p' + 1 has a
    prime factor in [5, 2^limit_bits). ``start`` ≡ 5 (mod 6) rules out 2 and 3.

    With k0 = −start·6^-1 (mod r), r | p' exactly when k ≡ k0 and r | 2p' + 1
    exactly when k ≡ k0 + ((r − 1)/2)·6^-1 (mod r).
    """
    flags = bytearray(b"\x01") * width
    zeros = memoryview(bytes(width))
    last = width - 1
    for r, inv6, shift in _sieve_table(limit_bits):
        k = -(start % r) * inv6 % r
        if k <= last:
            flags[k::r] = zeros[: (last - k) // r + 1]
        k = (k + shift) % r
        if k <= last:
            flags[k::r] = zeros[: (last - k) // r + 1]
    return flags


def _pocklington(p: int) -> bool:
    """Prove p = 2p' + 1 prime, given that p' is prime and p' > √p.

    Pocklington: if a^(p−1) ≡ 1 (mod p) and gcd(a^((p−1)/p') − 1, p) = 1 for
    some a, every prime factor of p is ≡ 1 (mod p'), hence > √p: p is prime.
    Returns False if a base shows p composite.
    """
    for a in range(2, 64):
        if gmpy2.powmod(a, p - 1, p) != 1:
            return False
        if gmpy2.gcd(a * a - 1, p) == 1:
            return True
    return False


def _is_safe(p_half: int) -> bool:
    """Decide whether p' (a sieve survivor) and p = 2p' + 1 are both prime."""
    if gmpy2.powmod(_FERMAT_BASE, p_half - 1, p_half) != 1:
        return False
    p = 2 * p_half + 1
    if gmpy2.powmod(_FERMAT_BASE, p - 1, p) != 1:
        return False
    return is_probable_prime(p_half) and _pocklington(p)


def safe_prime(bits: int) -> int:
    """A uniform-ish safe prime p = 2p' + 1 of exactly ``bits`` bits, top two bits set.

    Raises ParameterError below MIN_PRIME_BITS.
    """
    if bits < MIN_PRIME_BITS:
        raise ParameterError(f"safe primes need at least {MIN_PRIME_BITS} bits, got {bits}")
    half_bits = bits - 1
    lo = (1 << (half_bits - 1)) | (1 << (half_bits - 2))
    hi = 1 << half_bits
    width = min(MAX_WINDOW, bits * bits // 4, (hi - lo) // 12)
    limit_bits = _sieve_bits(bits)
    while True:
        start = lo + rng.random_below(hi - lo - 6 * width - 6)
        start += (5 - start) % 6
        flags = _sieve(start, width, limit_bits)
        k = flags.find(1)
        while k >= 0:
            p_half = start + 6 * k
            if _is_safe(p_half):
                return 2 * p_half + 1
            k = flags.find(1, k + 1)


def is_safe_prime(p: int) -> bool:
    """True if p is odd, p and (p − 1)/2 are both (probable) primes."""
    return p > 5 and p % 2 == 1 and is_probable_prime((p - 1) // 2) and is_probable_prime(p)


def safe_prime_pair(modulus_bits: int) -> tuple[int, int]:
    """Two safe primes p ≠ q of modulus_bits/2 bits each, |p·q| = modulus_bits.

    p' ≠ q' follows from p ≠ q; the pair is also refused if |p − q| is
    unusually small (below 2^(bits/2 − 100), never seen for random primes),
    which would help Fermat's factoring method.
    """
    if modulus_bits % 2:
        raise ParameterError(f"modulus size must be even, got {modulus_bits}")
    bits = modulus_bits // 2
    p = safe_prime(bits)
    while True:
        q = safe_prime(bits)
        if abs(p - q).bit_length() > bits - 100:
            break
    if (p * q).bit_length() != modulus_bits:  # impossible with the top two bits set
        raise ParameterError("safe prime pair has the wrong product size")
    return p, q
