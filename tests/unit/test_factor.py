"""Ring-Pedersen parameters (Π^prm) and the no-small-factor proof Π^fac
(docs/spec.md §6.4–6.5), including the lopsided modulus of issue 10."""

from __future__ import annotations

import dataclasses
import secrets

import gmpy2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiemphieu.crypto.errors import InvalidProof, ParameterError
from kiemphieu.crypto.primitives.paillier import KeyPolicy
from kiemphieu.crypto.primitives.proofs import factor, pedersen
from kiemphieu.crypto.primitives.proofs.factor import prove_factors, verify_factors
from kiemphieu.crypto.primitives.proofs.modulus import prove_modulus, verify_modulus
from kiemphieu.crypto.primitives.proofs.pedersen import (
    ITERATIONS,
    RingPedersen,
    make_ring_pedersen,
    verify_ring_pedersen,
)

from ..support.forgeries import lopsided_primes

BINDING = [bytes(range(32))]
CONTEXT = ["test-election", 1]


@pytest.fixture(scope="module")
def params(pedersen_primes: tuple[int, int]) -> RingPedersen:
    return make_ring_pedersen(512, BINDING, primes=pedersen_primes)


# --- Π^prm ---------------------------------------------------------------------


def test_ring_pedersen_proof_verifies(params: RingPedersen) -> None:
    verify_ring_pedersen(params, BINDING, KeyPolicy.TESTING)
    assert len(params.proof.z) == ITERATIONS
    assert params.s != 1 and params.t != 1


def test_ring_pedersen_is_bound_to_its_owner(params: RingPedersen) -> None:
    with pytest.raises(InvalidProof):
        verify_ring_pedersen(params, [bytes(32)], KeyPolicy.TESTING)


def test_ring_pedersen_sizes_follow_the_policy(params: RingPedersen) -> None:
    with pytest.raises(ParameterError):
        verify_ring_pedersen(params, BINDING, KeyPolicy.STANDARD)
    KeyPolicy.STANDARD.check_pedersen_bits(2048)
    with pytest.raises(ParameterError):
        KeyPolicy.STANDARD.check_pedersen_bits(1536)


def _pedersen_tampered(params: RingPedersen):
    z = params.proof.z
    n_hat = params.n_hat
    yield "s", dataclasses.replace(params, s=params.s * params.t % n_hat)
    yield "t", dataclasses.replace(params, t=params.t * params.t % n_hat)
    yield "n_hat", dataclasses.replace(params, n_hat=n_hat + 2)
    yield "s=1", dataclasses.replace(params, s=1)
    yield "t=-1", dataclasses.replace(params, t=n_hat - 1)
    yield (
        "e",
        dataclasses.replace(params, proof=dataclasses.replace(params.proof, e=params.proof.e ^ 1)),
    )
    yield (
        "z[0]",
        dataclasses.replace(params, proof=dataclasses.replace(params.proof, z=(z[0] + 1, *z[1:]))),
    )
    yield (
        "z[127] out of range",
        dataclasses.replace(params, proof=dataclasses.replace(params.proof, z=(*z[:-1], n_hat))),
    )


@pytest.mark.parametrize(
    "field", ["s", "t", "n_hat", "s=1", "t=-1", "e", "z[0]", "z[127] out of range"]
)
def test_tampered_ring_pedersen_fails(params: RingPedersen, field: str) -> None:
    bad = dict(_pedersen_tampered(params))[field]
    with pytest.raises(InvalidProof):
        verify_ring_pedersen(bad, BINDING, KeyPolicy.TESTING)


def test_s_outside_the_group_of_t_is_refused(pedersen_primes: tuple[int, int]) -> None:
    """The attack Π^prm stops: a trustee picks s ∉ ⟨t⟩ (here s a non-square, t a
    square) and tries to prove it anyway, answering the bits it can (e_i = 0)."""
    p, q = pedersen_primes
    n_hat = p * q
    t = pow(secrets.randbelow(n_hat - 2) + 2, 2, n_hat)
    s = next(x for x in range(2, 10_000) if gmpy2.jacobi(x, n_hat) == -1)  # never a square
    phi = (p - 1) * (q - 1)
    proof = pedersen.prove_ring_pedersen(n_hat, s, t, lam=0, phi=phi, binding=BINDING)  # wrong λ
    with pytest.raises(InvalidProof):
        verify_ring_pedersen(RingPedersen(n_hat, s, t, proof), BINDING, KeyPolicy.TESTING)


# --- Π^fac ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def proof(test_primes: tuple[int, int], params: RingPedersen) -> factor.FactorProof:
    p, q = test_primes
    return prove_factors(p, q, params, CONTEXT)


def test_factor_proof_verifies(test_primes, params, proof) -> None:
    p, q = test_primes
    verify_factors(p * q, proof, params, CONTEXT)


def test_factor_proof_is_bound_to_context_and_parameters(test_primes, params, proof) -> None:
    p, q = test_primes
    with pytest.raises(InvalidProof):
        verify_factors(p * q, proof, params, ["test-election", 2])
    other = make_ring_pedersen(512, BINDING, primes=(q, p))
    with pytest.raises(InvalidProof):
        verify_factors(p * q, proof, other, CONTEXT)


FACTOR_FIELDS = ["P", "Q", "A", "B", "T", "sigma", "z1", "z2", "w1", "w2", "v"]


@pytest.mark.parametrize("field", FACTOR_FIELDS)
def test_tampered_factor_proof_fails(test_primes, params, proof, field: str) -> None:
    p, q = test_primes
    bad = dataclasses.replace(proof, **{field: getattr(proof, field) + 1})
    with pytest.raises(InvalidProof):
        verify_factors(p * q, bad, params, CONTEXT)


def test_factor_proof_ranges(test_primes, params, proof) -> None:
    p, q = test_primes
    n = p * q
    big = factor.factor_bound(n)
    for field in ("z1", "z2"):
        with pytest.raises(InvalidProof, match="too large"):
            verify_factors(n, dataclasses.replace(proof, **{field: big}), params, CONTEXT)
    for field, value in (("P", 0), ("Q", params.n_hat), ("T", params.n_hat + 1)):
        with pytest.raises(InvalidProof, match="unit"):
            verify_factors(n, dataclasses.replace(proof, **{field: value}), params, CONTEXT)


@settings(max_examples=10, deadline=None)
@given(st.integers(min_value=0, max_value=2**64))
def test_factor_proof_is_complete(test_primes, params, salt: int) -> None:
    """Any honest proof verifies, whatever the context it is bound to."""
    p, q = test_primes
    context = ["e-" + str(salt), salt % 255 + 1]
    verify_factors(p * q, prove_factors(p, q, params, context), params, context)


def test_honest_prover_refuses_unbalanced_primes(params: RingPedersen) -> None:
    small = int(gmpy2.next_prime(1 << 40))
    big = int(gmpy2.next_prime(1 << 400))
    with pytest.raises(ParameterError):
        prove_factors(small, big, params, CONTEXT)


def test_lopsided_3072_bit_modulus_passes_the_old_checks_and_fails_the_new(params) -> None:
    """Issue 10, point 4: n = (20-bit prime)·(3052-bit prime) has a valid
    Paillier–Blum proof and is 3072 bits long, so the old checks let it through;
    anyone factors it by trial division. Its dealer cannot make Π^fac."""
    small, big = lopsided_primes()
    n = small * big
    KeyPolicy.STANDARD.check_bits(n.bit_length())
    verify_modulus(n, prove_modulus(small, big, "lopsided"), "lopsided")  # the old shape passes
    assert any(n % d == 0 for d in range(3, 1 << 20, 2))  # trial division finds the factor
    with pytest.raises(InvalidProof, match="factor of n is too small"):
        verify_factors(n, factor._prove(small, big, params, CONTEXT), params, CONTEXT)
    with pytest.raises(InvalidProof, match="factor of n is too small"):  # nor the other way round
        verify_factors(n, factor._prove(big, small, params, CONTEXT), params, CONTEXT)


def test_coins_out_of_range_are_refused(test_primes, params) -> None:
    p, q = test_primes
    bounds = factor.coin_bounds(p * q, params.n_hat)
    with pytest.raises(ParameterError):
        prove_factors(p, q, params, CONTEXT, coins=[b for b in bounds])
    coins = [b - 1 for b in bounds]
    verify_factors(p * q, prove_factors(p, q, params, CONTEXT, coins=coins), params, CONTEXT)
