"""Paillier–Blum modulus proof (docs/spec.md §6)."""

from __future__ import annotations

import dataclasses

import gmpy2
import pytest

from kiemphieu.crypto.errors import InvalidProof, ParameterError
from kiemphieu.crypto.primitives.numbers import powmod
from kiemphieu.crypto.primitives.proofs import modulus
from kiemphieu.crypto.primitives.proofs.modulus import (
    ITERATIONS,
    ModulusProof,
    derive_w,
    derive_y,
    prove_modulus,
    verify_modulus,
)
from kiemphieu.crypto.primitives.threshold import Dealing


def _prime(bits: int, residue: int, start: int = 0) -> int:
    """A prime of ``bits`` bits ≡ residue (mod 4), deterministic."""
    x = (1 << (bits - 1)) + start
    while True:
        x = int(gmpy2.next_prime(x))
        if x % 4 == residue:
            return x


@pytest.fixture(scope="module")
def proof(test_primes: tuple[int, int]) -> ModulusProof:
    p, q = test_primes
    return prove_modulus(p, q, "test-election")


def test_dealing_proof_verifies(dealing: Dealing, election_id: str) -> None:
    verify_modulus(dealing.public.n, dealing.modulus_proof, election_id)


def test_proof_is_complete_and_deterministic(
    test_primes: tuple[int, int], proof: ModulusProof
) -> None:
    p, q = test_primes
    n = p * q
    verify_modulus(n, proof, "test-election")
    assert proof == prove_modulus(p, q, "test-election")
    assert len(proof.x) == len(proof.a) == len(proof.b) == len(proof.z) == ITERATIONS
    assert {*proof.a, *proof.b} <= {0, 1}


def test_proof_with_explicit_w(test_primes: tuple[int, int]) -> None:
    p, q = test_primes
    n = p * q
    w = derive_w(n, "another")
    verify_modulus(n, prove_modulus(p, q, "test-election", w=w), "test-election")
    with pytest.raises(ParameterError):
        prove_modulus(p, q, "test-election", w=4)  # a square: Jacobi symbol +1


def test_other_election_id_fails(test_primes: tuple[int, int], proof: ModulusProof) -> None:
    p, q = test_primes
    with pytest.raises(InvalidProof):
        verify_modulus(p * q, proof, "another-election")


def test_tampered_w_fails(test_primes: tuple[int, int], proof: ModulusProof) -> None:
    p, q = test_primes
    n = p * q
    other_w = derive_w(n, "another")
    assert gmpy2.jacobi(other_w, n) == -1
    for w in (other_w, n - proof.w, 0, n, proof.w * 4 % n):  # the last: Jacobi −1 still
        with pytest.raises(InvalidProof):
            verify_modulus(n, dataclasses.replace(proof, w=w), "test-election")
    with pytest.raises(InvalidProof, match="Jacobi"):
        verify_modulus(n, dataclasses.replace(proof, w=4), "test-election")


def _replace_item(proof: ModulusProof, field: str, i: int, value: int) -> ModulusProof:
    items = list(getattr(proof, field))
    items[i] = value
    return dataclasses.replace(proof, **{field: tuple(items)})


@pytest.mark.parametrize("i", [0, 57, ITERATIONS - 1])
def test_tampered_items_fail(test_primes: tuple[int, int], proof: ModulusProof, i: int) -> None:
    p, q = test_primes
    n = p * q
    tampered = [
        _replace_item(proof, "x", i, proof.x[i] * 2 % n),
        _replace_item(proof, "x", i, 0),
        _replace_item(proof, "x", i, proof.x[i] + n),
        _replace_item(proof, "a", i, 1 - proof.a[i]),
        _replace_item(proof, "a", i, 2),
        _replace_item(proof, "b", i, 1 - proof.b[i]),
        _replace_item(proof, "z", i, proof.z[i] * 2 % n),
        _replace_item(proof, "z", i, p),
    ]
    for bad in tampered:
        with pytest.raises(InvalidProof, match=f"iteration {i}"):
            verify_modulus(n, bad, "test-election")


def test_other_fourth_root_is_also_valid(test_primes: tuple[int, int], proof: ModulusProof) -> None:
    """x → n − x is no tampering: (−x)^4 = x^4, any fourth root is a witness."""
    p, q = test_primes
    n = p * q
    verify_modulus(n, _replace_item(proof, "x", 3, n - proof.x[3]), "test-election")


def test_wrong_number_of_iterations_fails(
    test_primes: tuple[int, int], proof: ModulusProof
) -> None:
    p, q = test_primes
    with pytest.raises(InvalidProof, match="iterations"):
        verify_modulus(p * q, dataclasses.replace(proof, z=proof.z[:-1]), "test-election")


def test_non_blum_primes_get_no_proof() -> None:
    p = _prime(256, 1)  # p ≡ 1 (mod 4)
    q = _prime(256, 3, start=1 << 200)
    with pytest.raises(ParameterError):
        prove_modulus(p, q, "e")
    with pytest.raises(ParameterError):
        prove_modulus(q, q, "e")
    with pytest.raises(ParameterError):
        prove_modulus(q, 5 * q, "e")  # 5q ≡ 3 (mod 4) but not prime
    # No proof can exist either: for some i, none of ±y_i, ±w·y_i is a fourth
    # power mod n (modulo p ≡ 1 (mod 4) only a quarter of the units are).
    n = p * q
    w = derive_w(n, "e")

    def fourth_power(y: int) -> bool:
        return powmod(y, (p - 1) // 4, p) == 1 and gmpy2.legendre(y, q) == 1

    candidates = [
        any(fourth_power(s * t * y % n) for s in (1, n - 1) for t in (1, w))
        for y in derive_y(n, "e", w)
    ]
    assert not all(candidates)


def test_prime_modulus_fails_despite_valid_roots() -> None:
    """For a prime n ≡ 3 (mod 4) every z_i and x_i exists; only the primality
    check stands between such an n and a passing proof."""
    n = _prime(512, 3)
    w = next(k for k in range(2, 100) if gmpy2.jacobi(k, n) == -1)
    ys = derive_y(n, "e", w)
    n_inv = int(gmpy2.invert(n, n - 1))
    e = ((n + 1) // 4) ** 2 % (n - 1)
    xs, a_bits, b_bits = [], [], []
    for y in ys:
        a, b = next(
            (a, b) for a in (0, 1) for b in (0, 1) if gmpy2.legendre((-1) ** a * w**b * y, n) == 1
        )
        xs.append(powmod((-1) ** a * w**b * y % n, e, n))
        a_bits.append(a)
        b_bits.append(b)
    forged = ModulusProof(
        w, tuple(xs), tuple(a_bits), tuple(b_bits), tuple(powmod(y, n_inv, n) for y in ys)
    )
    with pytest.raises(InvalidProof, match="prime"):
        verify_modulus(n, forged, "e")
    # The same checks without the primality test would have passed:
    for x, a, b, z, y in zip(forged.x, forged.a, forged.b, forged.z, ys, strict=True):
        assert powmod(z, n, n) == y
        assert powmod(x, 4, n) == (-1) ** a * w**b * y % n


@pytest.mark.parametrize("small", [3, 65521])
def test_small_factor_modulus_is_refused(proof: ModulusProof, small: int) -> None:
    n = small * _prime(512, 3)
    with pytest.raises(InvalidProof, match="below"):
        verify_modulus(n, proof, "test-election")


def test_even_and_short_moduli_are_refused(
    proof: ModulusProof, test_primes: tuple[int, int]
) -> None:
    p, q = test_primes
    with pytest.raises(InvalidProof, match="even"):
        verify_modulus(2 * p * q, proof, "test-election")
    short = _prime(120, 3) * _prime(120, 3, start=1 << 100)
    with pytest.raises(InvalidProof, match="shorter"):
        modulus.check_modulus_shape(short)
