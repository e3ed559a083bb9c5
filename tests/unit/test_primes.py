"""Safe primes (docs/spec.md §4.1)."""

from __future__ import annotations

import gmpy2
import pytest

from kiemphieu.crypto.errors import ParameterError
from kiemphieu.crypto.primitives import primes


@pytest.mark.parametrize("bits", [64, 65, 128, 256, 300])
def test_safe_prime_is_safe_and_exact_size(bits: int) -> None:
    p = primes.safe_prime(bits)
    assert p.bit_length() == bits
    assert p >> (bits - 2) == 0b11  # top two bits set
    assert gmpy2.is_prime(p, 50) and gmpy2.is_prime((p - 1) // 2, 50)
    assert primes.is_safe_prime(p)
    assert p % 4 == 3


def test_safe_prime_refuses_tiny_sizes() -> None:
    with pytest.raises(ParameterError):
        primes.safe_prime(primes.MIN_PRIME_BITS - 1)


def test_pair_has_exact_product_size(test_primes: tuple[int, int]) -> None:
    p, q = test_primes
    assert p != q and (p - 1) // 2 != (q - 1) // 2
    assert (p * q).bit_length() == 512
    assert p.bit_length() == q.bit_length() == 256
    assert primes.is_safe_prime(p) and primes.is_safe_prime(q)


@pytest.mark.parametrize("bits", [256, 258])
def test_pair_sizes(bits: int) -> None:
    p, q = primes.safe_prime_pair(bits)
    assert (p * q).bit_length() == bits


def test_pair_refuses_odd_size() -> None:
    with pytest.raises(ParameterError):
        primes.safe_prime_pair(513)


def test_sieve_keeps_exactly_the_candidates_without_small_factors() -> None:
    start = (1 << 100) + (5 - (1 << 100)) % 6
    assert start % 6 == 5
    limit_bits = 12
    flags = primes._sieve(start, 3000, limit_bits)
    small = [r for r, _, _ in primes._sieve_table(limit_bits)]
    for k in range(3000):
        p_half = start + 6 * k
        clean = all(p_half % r and (2 * p_half + 1) % r for r in small)
        assert bool(flags[k]) == clean, k


def test_pocklington_refuses_composites() -> None:
    # p' = 7 is prime but p = 15 is not; p' = 11 gives the prime p = 23.
    assert not primes._pocklington(15)
    assert primes._pocklington(23)
    assert not primes.is_safe_prime(15)
    assert not primes.is_safe_prime(13)  # (13 − 1)/2 = 6
