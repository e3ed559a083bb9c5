"""Ring-Pedersen parameters and their proof Π^prm (docs/spec.md §6.4;
Canetti et al. 2020, the ring-Pedersen parameters proof).

A trustee makes (N̂, s, t) once, at ``trustee init``: N̂ = p̂·q̂ a product of
two safe primes, t a random square modulo N̂, λ secret and s = t^λ mod N̂. The
dealer's no-small-factor proof (:mod:`.factor`) is made *to* these
parameters, so the dealer never chooses them. Π^prm shows s ∈ ⟨t⟩, which is
what keeps the factor proof hiding p and q: a trustee with s outside ⟨t⟩ could
read p from the commitment s^p·t^μ. The secrets p̂, q̂ and λ are dropped as soon
as the proof is made; nothing keeps them.

Proof, non-interactive, m = 128 binary challenges, in the compressed form
(e, z): the prover picks a_i uniform in [0, φ(N̂)), A_i = t^(a_i) mod N̂,
e = challenge(ring-pedersen-proof, binding, N̂, s, t, [A_1..A_m]), e_i the
bits of e from the most significant, z_i = a_i + e_i·λ mod φ(N̂). The
verifier recomputes A_i = t^(z_i)·s^(−e_i) mod N̂ and e from them. A prover
with s ∉ ⟨t⟩ answers at most one challenge bit per i: soundness error 2^−128.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated

import gmpy2

from ...errors import InvalidProof, ParameterError
from ...schema import BigInt, Items
from .. import rng
from ..numbers import invert, is_unit, powmod
from ..paillier import KeyPolicy
from ..primes import safe_prime_pair
from ..transcript import CHALLENGE_BITS, Item, Tag, challenge
from .modulus import check_modulus_shape

ITERATIONS = CHALLENGE_BITS
"""m: one binary challenge per bit of the 128-bit Fiat–Shamir challenge."""

RING_PEDERSEN_BITS = 2048
"""‖N̂‖ made by ``trustee init`` (docs/spec.md §6.4 explains why 2048 is enough)."""

MAX_BITS = 4096


@dataclass(frozen=True, slots=True)
class PedersenProof:
    """Π^prm in the compressed form: the challenge e (128 bits) and z_1..z_128."""

    e: Annotated[int, BigInt(CHALLENGE_BITS)]
    z: Annotated[tuple[int, ...], Items(ITERATIONS, ITERATIONS), BigInt(MAX_BITS)]


@dataclass(frozen=True, slots=True)
class RingPedersen:
    """A trustee's ring-Pedersen parameters (N̂, s, t) with their proof Π^prm
    (docs/spec.md §6.4): s = t^λ mod N̂ for a λ nobody keeps."""

    n_hat: Annotated[int, BigInt(MAX_BITS)]
    s: Annotated[int, BigInt(MAX_BITS)]
    t: Annotated[int, BigInt(MAX_BITS)]
    proof: PedersenProof


def _bits(e: int) -> list[int]:
    """e_1..e_m: the challenge's bits, most significant first."""
    return [(e >> (ITERATIONS - 1 - i)) & 1 for i in range(ITERATIONS)]


def _challenge(binding: Sequence[Item], n_hat: int, s: int, t: int, a: Sequence[int]) -> int:
    return challenge(Tag.RING_PEDERSEN_PROOF, list(binding), n_hat, s, t, list(a))


def make_ring_pedersen(
    bits: int,
    binding: Sequence[Item],
    *,
    primes: tuple[int, int] | None = None,
    coins: Sequence[int] | None = None,
) -> RingPedersen:
    """Fresh parameters of ``bits`` bits and their proof bound to ``binding``
    (the trustee's identity key). ``primes`` (two safe primes) and ``coins``
    (a unit r with t = r² mod N̂, then λ in [0, φ(N̂)), then a_1..a_128 in
    [0, φ(N̂))) may be fixed by tests and vectors; the secrets are local and
    dropped on return."""
    p, q = safe_prime_pair(bits) if primes is None else primes
    n_hat = p * q
    if n_hat.bit_length() != bits:
        raise ParameterError(f"ring-Pedersen modulus: p·q is not {bits} bits long")
    phi = (p - 1) * (q - 1)
    a: Sequence[int] | None = None
    if coins is not None:
        if len(coins) != 2 + ITERATIONS or not is_unit(coins[0], n_hat):
            raise ParameterError("ring-Pedersen coins: a unit r, λ and 128 values a_i")
        t, lam, a = powmod(coins[0], 2, n_hat), coins[1] % phi, coins[2:]
        s = powmod(t, lam, n_hat)
    else:
        while True:
            t = powmod(rng.random_unit(n_hat), 2, n_hat)
            lam = rng.random_below(phi)
            s = powmod(t, lam, n_hat)
            if t != 1 and s != 1:
                break
    proof = prove_ring_pedersen(n_hat, s, t, lam=lam, phi=phi, binding=binding, a=a)
    del p, q, phi, lam
    return RingPedersen(n_hat, s, t, proof)


def prove_ring_pedersen(
    n_hat: int,
    s: int,
    t: int,
    *,
    lam: int,
    phi: int,
    binding: Sequence[Item],
    a: Sequence[int] | None = None,
) -> PedersenProof:
    """Π^prm for s = t^lam mod N̂, knowing φ(N̂) (docs/spec.md §6.4); ``a``
    (the 128 commitment exponents) only for known-answer vectors."""
    if a is None:
        a = [rng.random_below(phi) for _ in range(ITERATIONS)]
    elif len(a) != ITERATIONS:
        raise ParameterError(f"ring-Pedersen proof: {ITERATIONS} commitment exponents")
    commitments = [powmod(t, ai, n_hat) for ai in a]
    e = _challenge(binding, n_hat, s, t, commitments)
    z = tuple((ai + bit * lam) % phi for ai, bit in zip(a, _bits(e), strict=True))
    return PedersenProof(e, z)


def check_ring_pedersen_shape(params: RingPedersen, policy: KeyPolicy) -> None:
    """The proof-independent checks (docs/spec.md §6.4): N̂'s size under
    ``policy``, N̂ odd, composite and free of small factors; s and t units of
    Z*_N̂ other than ±1. Raises InvalidProof or ParameterError."""
    n_hat = params.n_hat
    policy.check_pedersen_bits(n_hat.bit_length())
    try:
        check_modulus_shape(n_hat)
    except InvalidProof as exc:
        raise InvalidProof(f"ring-Pedersen {exc}") from None
    for name, x in (("s", params.s), ("t", params.t)):
        if not is_unit(x, n_hat) or x in (1, n_hat - 1):
            raise InvalidProof(f"ring-Pedersen parameters: {name} is not a unit other than ±1")


def verify_ring_pedersen(params: RingPedersen, binding: Sequence[Item], policy: KeyPolicy) -> None:
    """Check the parameters and Π^prm (docs/spec.md §6.4); raises InvalidProof
    (or ParameterError for a size the policy refuses)."""
    check_ring_pedersen_shape(params, policy)
    n_hat, s, t = params.n_hat, params.s, params.t
    proof = params.proof
    if len(proof.z) != ITERATIONS or not 0 <= proof.e < 1 << CHALLENGE_BITS:
        raise InvalidProof("ring-Pedersen proof: wrong length")
    if any(not 0 <= z < n_hat for z in proof.z):
        raise InvalidProof("ring-Pedersen proof: a response is not in [0, N̂)")
    s_inv = invert(s, n_hat)
    commitments = []
    for z, bit in zip(proof.z, _bits(proof.e), strict=True):
        a = gmpy2.powmod(t, z, n_hat)
        commitments.append(int(a * s_inv % n_hat) if bit else int(a))
    if _challenge(binding, n_hat, s, t, commitments) != proof.e:
        raise InvalidProof("ring-Pedersen proof: s is not shown to be a power of t")
