"""Threshold Paillier key: dealing, key shares, verification keys (docs/spec.md §4).

Shoup 2000 / Damgård–Jurik 2001 with s = 1. The dealer takes safe primes
p = 2p' + 1, q = 2q' + 1, n = pq, m = p'q', and d with d ≡ 0 (mod m),
d ≡ 1 (mod n). Shamir over Z_{n·m}: f(X) = d + a_1·X + … + a_{t−1}·X^{t−1},
a_j uniform in [0, n·m), s_i = f(i) mod n·m, Δ = ℓ!. The base v is derived
by hashing, never chosen, and v_i = v^(Δ·s_i) mod n² are the verification keys.

Only public values and the trustees' shares leave :func:`deal`; p, q, m, d
and f are local variables dropped on return (Python cannot wipe memory: the
ceremony process must not live on, swap or dump core).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Annotated

import gmpy2

from ..errors import InvalidElement, InvalidShare, ParameterError
from ..schema import BigInt, Items, SmallInt
from . import paillier, rng
from .numbers import factorial, invert, is_unit, lagrange_at, multi_powmod, powmod
from .paillier import KeyPolicy
from .primes import is_safe_prime, safe_prime_pair
from .proofs.factor import FactorProof, prove_factors
from .proofs.modulus import ModulusProof, prove_modulus
from .proofs.pedersen import RingPedersen
from .transcript import Tag, expand, hash_to_unit

MAX_TRUSTEES = 255

SHARE_EXTRA_BITS = 1280
"""share_bits(‖n‖) − 3‖n‖: room for the integer shares of a generated key (§12.6)."""


MAX_SHARE_BITS = 3 * 4096 + SHARE_EXTRA_BITS


def share_bits(n_bits: int) -> int:
    """The admitted length of a key share s_i for an ‖n‖-bit modulus (spec §4.2):
    3‖n‖ + 1280 bits. A dealt share is below n²; a generated one (§12.6) is
    c·S(i) with c < n and S(i) about 2‖n‖ + 700 bits long."""
    return 3 * n_bits + SHARE_EXTRA_BITS


_SEAL = object()


def derive_v(election_id: str, n: int) -> int:
    """v = hash_to_unit(GENERATOR_V, n², election_id, n)² mod n² (spec §4.2).

    A square, hence in the subgroup of squares, and nobody chose it.
    """
    n2 = n * n
    h = hash_to_unit(Tag.GENERATOR_V, n2, election_id, n)
    return h * h % n2


def factor_context(election_id: str, index: int) -> list[str | int]:
    """What the no-small-factor proof to trustee ``index`` is bound to (spec §6.5)."""
    return [election_id, index]


def ceremony_plaintext(election_id: str, n: int) -> int:
    """The published test value of the ceremony (spec §4.4): the |n| − 1 bits of
    expand(TEST_CIPHERTEXT, election_id, n), so nobody picks it."""
    return expand(Tag.TEST_CIPHERTEXT, n.bit_length() - 1, election_id, n)


@dataclass(frozen=True, slots=True)
class ThresholdPublicKey:
    """Public threshold key (spec §4.2): n, v, verification keys v_1..v_ℓ, threshold t.

    ``vks[i − 1]`` is v_i = v^(Δ·s_i) mod n². Any t of the ℓ trustees decrypt.
    """

    n: Annotated[int, BigInt(4096)]
    v: Annotated[int, BigInt(8192)]
    vks: Annotated[tuple[int, ...], Items(1, MAX_TRUSTEES), BigInt(8192)]
    t: Annotated[int, SmallInt(1, MAX_TRUSTEES)]

    def __post_init__(self) -> None:
        if self.n < 3 or self.n % 2 == 0:
            raise ParameterError("threshold key: n must be odd and > 2")
        if not 1 <= self.t <= len(self.vks) <= MAX_TRUSTEES:
            raise ParameterError(
                f"threshold key: need 1 <= t <= ℓ <= {MAX_TRUSTEES}, "
                f"got t = {self.t}, ℓ = {len(self.vks)}"
            )

    @property
    def l(self) -> int:  # noqa: E743 - the spec's symbol ℓ
        """ℓ, the number of trustees."""
        return len(self.vks)

    @property
    def delta(self) -> int:
        """Δ = ℓ!."""
        return factorial(len(self.vks))

    @property
    def n2(self) -> int:
        """n²."""
        return self.n * self.n

    @property
    def public_key(self) -> paillier.PublicKey:
        """The Paillier public key n (g = n + 1)."""
        return paillier.PublicKey(self.n)

    def vk(self, index: int) -> int:
        """v_index; raises InvalidShare if index is not in 1..ℓ."""
        if not 1 <= index <= len(self.vks):
            raise InvalidShare(f"trustee index {index} not in 1..{len(self.vks)}")
        return self.vks[index - 1]


@dataclass(frozen=True, slots=True)
class KeyShare:
    """Trustee i's secret share s_i (spec §4.2, §12.6), with the public key.

    Dealt: f(i) mod n·m. Generated: c·S(i) over the integers. Either way
    0 <= s_i < 2^share_bits(‖n‖)."""

    index: Annotated[int, SmallInt(1, MAX_TRUSTEES)]
    s: Annotated[int, BigInt(MAX_SHARE_BITS)] = field(repr=False)
    public: ThresholdPublicKey

    def __post_init__(self) -> None:
        if not 1 <= self.index <= self.public.l:
            raise ParameterError(f"key share index {self.index} not in 1..{self.public.l}")


@dataclass(frozen=True, slots=True)
class VerifiedKeyShare:
    """A key share that passed :func:`check_share`; made only there."""

    share: KeyShare
    _seal: object = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self._seal is not _SEAL:
            raise TypeError("VerifiedKeyShare is made only by check_share")


@dataclass(frozen=True, slots=True)
class Dealing:
    """What the dealer ceremony produces, in memory only (spec §4.3–4.4).

    Public: the key, the modulus proof, the no-small-factor proofs (one to each
    trustee's ring-Pedersen parameters, in index order) and the test ciphertext
    of ``test_plaintext`` (= ceremony_plaintext(election_id, n)). ``shares`` go
    one to each trustee, encrypted, and never to disk in the clear.
    """

    public: ThresholdPublicKey
    shares: tuple[KeyShare, ...] = field(repr=False)
    modulus_proof: ModulusProof
    factor_proofs: tuple[FactorProof, ...]
    test_plaintext: int
    test_ciphertext: int


def _check_primes(p: int, q: int, bits: int) -> None:
    half = bits // 2
    if p == q or p.bit_length() != half or q.bit_length() != half:
        raise ParameterError(f"need two distinct {half}-bit safe primes")
    if (p * q).bit_length() != bits:
        raise ParameterError(f"p·q is not {bits} bits long")
    if not (is_safe_prime(p) and is_safe_prime(q)):
        raise ParameterError("given primes are not safe primes")


def _pow_crt(base: int, exp: int, p: int, q: int) -> int:
    """base^exp mod (pq)² by the CRT, exponents reduced mod the known orders p(p−1), q(q−1).

    Dealer only: it alone knows the factorization.
    """
    p2, q2 = p * p, q * q
    xp = powmod(base, exp % (p * (p - 1)), p2)
    xq = powmod(base, exp % (q * (q - 1)), q2)
    return xq + q2 * ((xp - xq) * invert(q2, p2) % p2)


def deal(
    election_id: str,
    bits: int,
    t: int,
    l: int,  # noqa: E741 - the spec's symbol ℓ
    policy: KeyPolicy,
    *,
    verifiers: Sequence[RingPedersen],
    primes: tuple[int, int] | None = None,
    coefficients: Sequence[int] | None = None,
    test_r: int | None = None,
    modulus_w: int | None = None,
    factor_coins: Sequence[Sequence[int]] | None = None,
) -> Dealing:
    """Run the dealer's ceremony (spec §4.2–4.4).

    ``policy.check_bits(bits)`` first. ``verifiers`` are the ℓ trustees'
    ring-Pedersen parameters in index order, already checked by the caller
    (Π^prm, :func:`~kiemphieu.crypto.election.committee.verify_card`): the
    factor proof to trustee i is bound to (election_id, i). ``primes`` (two
    safe primes of bits/2 bits), ``coefficients`` (a_1..a_{t−1} in [0, n·m)), ``test_r`` (the test
    ciphertext's randomness), ``modulus_w`` and ``factor_coins`` (one list per
    factor proof) may be fixed by tests and known-answer vectors; otherwise
    they come from :mod:`rng`.
    """
    policy.check_bits(bits)
    if not 1 <= t <= l <= MAX_TRUSTEES:
        raise ParameterError(f"need 1 <= t <= ℓ <= {MAX_TRUSTEES}, got t = {t}, ℓ = {l}")
    if len(verifiers) != l:
        raise ParameterError(f"need the ring-Pedersen parameters of all ℓ = {l} trustees")
    if primes is None:
        p, q = safe_prime_pair(bits)
    else:
        p, q = primes
        _check_primes(p, q, bits)
    n = p * q
    m = ((p - 1) // 2) * ((q - 1) // 2)
    nm = n * m
    d = m * int(gmpy2.invert(m, n))  # d ≡ 0 (mod m), d ≡ 1 (mod n)
    if coefficients is None:
        coeffs = [rng.random_below(nm) for _ in range(t - 1)]
    else:
        coeffs = list(coefficients)
        if len(coeffs) != t - 1 or not all(0 <= a < nm for a in coeffs):
            raise ParameterError(f"need t − 1 = {t - 1} coefficients in [0, n·m)")
    delta = factorial(l)
    v = derive_v(election_id, n)
    shares_s = []
    for i in range(1, l + 1):
        s = 0
        for a in reversed([d, *coeffs]):
            s = s * i + a
        shares_s.append(s % nm)
    vks = tuple(_pow_crt(v, delta * s, p, q) for s in shares_s)
    public = ThresholdPublicKey(n, v, vks, t)
    proof = prove_modulus(p, q, election_id, w=modulus_w)
    factor_proofs = tuple(
        prove_factors(
            p,
            q,
            params,
            factor_context(election_id, i),
            coins=None if factor_coins is None else factor_coins[i - 1],
        )
        for i, params in enumerate(verifiers, start=1)
    )
    plaintext = ceremony_plaintext(election_id, n)
    ciphertext = public.public_key.encrypt(plaintext, test_r)
    shares = tuple(KeyShare(i, s, public) for i, s in enumerate(shares_s, start=1))
    del p, q, m, nm, d, coeffs, shares_s
    return Dealing(public, shares, proof, factor_proofs, plaintext, ciphertext)


def check_share(share: KeyShare) -> VerifiedKeyShare:
    """Trustee's check on receipt (spec §4.3): v^(Δ·s_i) = v_i; raises InvalidShare."""
    pk = share.public
    vi = pk.vk(share.index)
    if not 0 <= share.s < 1 << share_bits(pk.n.bit_length()):
        raise InvalidShare(f"key share {share.index}: s out of range")
    if powmod(pk.v, pk.delta * share.s, pk.n2) != vi:
        raise InvalidShare(
            f"key share {share.index} does not match verification key v_{share.index}"
        )
    return VerifiedKeyShare(share, _SEAL)


def check_verification_keys(pk: ThresholdPublicKey, *, election_id: str | None = None) -> None:
    """Public consistency check of v, v_1..v_ℓ (spec §4.3); raises InvalidShare naming j.

    v and every v_i are units modulo n² (and v = derive_v(election_id, n) when
    ``election_id`` is given). With S = {1..t}, for each j ∉ S:
    v_j^Δ = Π_{i∈S} v_i^(λ_{j,i}), λ_{j,i} = Δ·Π_{i'∈S∖{i}} (j − i')/(i − i')
    exact integers (negative ones invert the base): the v_i lie on one
    polynomial of degree t − 1 "in the exponent".
    """
    n2 = pk.n2
    if not is_unit(pk.v, n2):
        raise InvalidElement("threshold key: v is not a unit modulo n²")
    if election_id is not None and pk.v != derive_v(election_id, pk.n):
        raise InvalidElement("threshold key: v is not derived from the election id")
    for j, vj in enumerate(pk.vks, start=1):
        if not is_unit(vj, n2):
            raise InvalidShare(f"verification key v_{j} is not a unit modulo n²")
    subset = list(range(1, pk.t + 1))
    inverses = {i: invert(pk.vks[i - 1], n2) for i in subset}
    delta = pk.delta
    for j in range(pk.t + 1, pk.l + 1):
        lam = lagrange_at(j, subset, delta)
        bases = [pk.vks[i - 1] if lam[i] >= 0 else inverses[i] for i in subset]
        rhs = multi_powmod(bases, [abs(lam[i]) for i in subset], n2)
        if powmod(pk.vks[j - 1], delta, n2) != rhs:
            raise InvalidShare(
                f"verification key v_{j} is not on the polynomial through v_1..v_{pk.t}"
            )
