"""No-small-factor proof Π^fac (docs/spec.md §6.5; Canetti et al. 2020, the
no-small-factor proof), made by the dealer to one trustee's ring-Pedersen
parameters (N̂, s, t).

Statement: n = p·q with p, q < 2^(κ+σ+2)·S, where S = ⌊√n⌋ + 1, κ = 128 the
challenge length and σ = 128 the statistical slack. Since p·q = n, each
factor is then larger than n / (2^(κ+σ+2)·S) ≈ √n / 2^258: at 3072 bits no
prime factor of n is below 2^1277, so trial division, ECM or Pollard's p − 1
cannot find one. With the Paillier–Blum proof (§6.1–6.3) n has exactly two
prime factors, so both are about √n.

All values are non-negative (the paper samples from symmetric ranges; shifting
them changes nothing but the bounds):

    α, β uniform in [0, 2^(κ+σ)·S)        μ, ν uniform in [0, 2^σ·N̂)
    σ̂ uniform in [0, 2^σ·n·N̂), ς = σ̂ + ν·p (public)
    r uniform in [0, 2^(κ+2σ)·n·N̂)       x, y uniform in [0, 2^(κ+2σ)·N̂)
    P = s^p·t^μ, Q = s^q·t^ν, A = s^α·t^x, B = s^β·t^y, T = Q^α·t^r (mod N̂)
    e = challenge(factor-proof, context, n, N̂, s, t, P, Q, A, B, T, ς)
    z1 = α + e·p, z2 = β + e·q, w1 = x + e·μ, w2 = y + e·ν, v = r + e·σ̂

The verifier checks ranges and s^z1·t^w1 ≡ A·P^e, s^z2·t^w2 ≡ B·Q^e and
Q^z1·t^v ≡ T·R^e (mod N̂) with R = s^n·t^ς. Soundness holds for a prover who
cannot factor N̂ (strong RSA), so each trustee is convinced by the proof made
to its own parameters; hiding needs only s ∈ ⟨t⟩ (Π^prm, :mod:`.pedersen`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated

import gmpy2

from ...errors import InvalidProof, ParameterError
from ...schema import BigInt
from .. import rng
from ..numbers import is_unit, multi_powmod, powmod
from ..transcript import CHALLENGE_BITS, Item, Tag, challenge
from .pedersen import MAX_BITS, RingPedersen

KAPPA = CHALLENGE_BITS
"""κ: bits of the challenge e."""
SLACK = 128
"""σ: statistical slack of every mask (the proof hides p and q up to 2^−128)."""

_MAX_N_BITS = 4096


@dataclass(frozen=True, slots=True)
class FactorProof:
    """Π^fac to one trustee's parameters (docs/spec.md §6.5). ``sigma`` is the
    public ς; the spec's names otherwise."""

    P: Annotated[int, BigInt(MAX_BITS)]
    Q: Annotated[int, BigInt(MAX_BITS)]
    A: Annotated[int, BigInt(MAX_BITS)]
    B: Annotated[int, BigInt(MAX_BITS)]
    T: Annotated[int, BigInt(MAX_BITS)]
    sigma: Annotated[int, BigInt(SLACK + 1 + _MAX_N_BITS + MAX_BITS)]
    # z1, z2 are decoded up to any size a prover could send for a 4096-bit n, so
    # that an oversized one is refused by verify_factors, which says why
    z1: Annotated[int, BigInt(KAPPA + SLACK + 2 + _MAX_N_BITS)]
    z2: Annotated[int, BigInt(KAPPA + SLACK + 2 + _MAX_N_BITS)]
    w1: Annotated[int, BigInt(KAPPA + 2 * SLACK + 1 + MAX_BITS)]
    w2: Annotated[int, BigInt(KAPPA + 2 * SLACK + 1 + MAX_BITS)]
    v: Annotated[int, BigInt(KAPPA + 2 * SLACK + 1 + _MAX_N_BITS + MAX_BITS)]


def sqrt_bound(n: int) -> int:
    """S = ⌊√n⌋ + 1."""
    return int(gmpy2.isqrt(n)) + 1


def factor_bound(n: int) -> int:
    """The bound the proof puts on z1, z2 and so on both factors: 2^(κ+σ+2)·S."""
    return sqrt_bound(n) << (KAPPA + SLACK + 2)


def _challenge(context: Sequence[Item], n: int, params: RingPedersen, values: Sequence[int]) -> int:
    return challenge(Tag.FACTOR_PROOF, list(context), n, params.n_hat, params.s, params.t, *values)


def prove_factors(
    p: int,
    q: int,
    params: RingPedersen,
    context: Sequence[Item],
    *,
    coins: Sequence[int] | None = None,
) -> FactorProof:
    """Π^fac for n = p·q to ``params``, bound to ``context`` (the election id and
    the trustee's index). The caller has checked ``params`` with Π^prm first:
    to parameters with s ∉ ⟨t⟩ the proof would not hide p. ``coins`` (α, β, μ,
    ν, σ̂, r, x, y in their ranges) are for known-answer vectors only."""
    if max(p, q) >= 2 * sqrt_bound(p * q):
        raise ParameterError("factor proof: the primes are not of about equal size")
    return _prove(p, q, params, context, coins)


def coin_bounds(n: int, n_hat: int) -> tuple[int, ...]:
    """The exclusive upper bounds of α, β, μ, ν, σ̂, r, x, y (docs/spec.md §6.5)."""
    bound = sqrt_bound(n)
    return (
        bound << (KAPPA + SLACK),
        bound << (KAPPA + SLACK),
        n_hat << SLACK,
        n_hat << SLACK,
        (n * n_hat) << SLACK,
        (n * n_hat) << (KAPPA + 2 * SLACK),
        n_hat << (KAPPA + 2 * SLACK),
        n_hat << (KAPPA + 2 * SLACK),
    )


def _prove(
    p: int,
    q: int,
    params: RingPedersen,
    context: Sequence[Item],
    coins: Sequence[int] | None = None,
) -> FactorProof:
    """The prover's steps, for any p and q (tests use it to play a cheating dealer)."""
    n = p * q
    n_hat, s, t = params.n_hat, params.s, params.t
    bounds = coin_bounds(n, n_hat)
    if coins is None:
        coins = [rng.random_below(b) for b in bounds]
    elif len(coins) != len(bounds) or not all(
        0 <= c < b for c, b in zip(coins, bounds, strict=True)
    ):
        raise ParameterError("factor proof: coins out of range")
    alpha, beta, mu, nu, sigma_hat, r, x, y = coins
    sigma = sigma_hat + nu * p
    big_p = multi_powmod([s, t], [p, mu], n_hat)
    big_q = multi_powmod([s, t], [q, nu], n_hat)
    big_a = multi_powmod([s, t], [alpha, x], n_hat)
    big_b = multi_powmod([s, t], [beta, y], n_hat)
    big_t = multi_powmod([big_q, t], [alpha, r], n_hat)
    e = _challenge(context, n, params, (big_p, big_q, big_a, big_b, big_t, sigma))
    return FactorProof(
        big_p,
        big_q,
        big_a,
        big_b,
        big_t,
        sigma,
        alpha + e * p,
        beta + e * q,
        x + e * mu,
        y + e * nu,
        r + e * sigma_hat,
    )


def verify_factors(
    n: int, proof: FactorProof, params: RingPedersen, context: Sequence[Item]
) -> None:
    """Check Π^fac for n against ``params`` (docs/spec.md §6.5); raises InvalidProof.

    ``params`` must have passed the shape checks of Π^prm (units, size)."""
    n_hat, s, t = params.n_hat, params.s, params.t
    for name, value in (("P", proof.P), ("Q", proof.Q), ("A", proof.A), ("B", proof.B),
                        ("T", proof.T)):  # fmt: skip
        if not is_unit(value, n_hat):
            raise InvalidProof(f"factor proof: {name} is not a unit in (0, N̂)")
    z_bound = factor_bound(n)
    if proof.z1 >= z_bound or proof.z2 >= z_bound:
        raise InvalidProof("factor proof: z1 or z2 too large (a factor of n is too small)")
    if proof.sigma >= (n * n_hat) << (SLACK + 1):
        raise InvalidProof("factor proof: ς out of range")
    if max(proof.w1, proof.w2) >= n_hat << (KAPPA + 2 * SLACK + 1):
        raise InvalidProof("factor proof: w1 or w2 out of range")
    if proof.v >= (n * n_hat) << (KAPPA + 2 * SLACK + 1):
        raise InvalidProof("factor proof: v out of range")
    e = _challenge(context, n, params, (proof.P, proof.Q, proof.A, proof.B, proof.T, proof.sigma))
    if (
        multi_powmod([s, t], [proof.z1, proof.w1], n_hat)
        != proof.A * powmod(proof.P, e, n_hat) % n_hat
    ):
        raise InvalidProof("factor proof: the commitment to p does not open")
    if (
        multi_powmod([s, t], [proof.z2, proof.w2], n_hat)
        != proof.B * powmod(proof.Q, e, n_hat) % n_hat
    ):
        raise InvalidProof("factor proof: the commitment to q does not open")
    big_r = multi_powmod([s, t], [n, proof.sigma], n_hat)
    if (
        multi_powmod([proof.Q, t], [proof.z1, proof.v], n_hat)
        != proof.T * powmod(big_r, e, n_hat) % n_hat
    ):
        raise InvalidProof("factor proof: p·q is not n")
