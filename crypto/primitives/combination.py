"""Decryption shares, their verification, and combination (docs/spec.md §5).

Trustee i posts c_i = c^(2Δ·s_i) mod n² with a proof (proofs/decryption.py)
that log_{c⁴}(c_i²) = log_v(v_i). Anyone verifies shares, one by one or in a
batch (spec §10.4), and combines any t verified ones:

    λ_{0,i} = Δ·Π_{j∈S∖{i}} j/(j − i)      (exact integers)
    c' = Π_{i∈S} c_i^(2·λ_{0,i}) = (1 + n)^(4Δ²·M)   (mod n²)
    M = L(c')·(4Δ²)^-1 mod n, L(u) = (u − 1)/n, after checking c' ≡ 1 (mod n).

Only :func:`verify_decryption_share` and :func:`batch_verify_decryption_shares`
make a :class:`VerifiedDecryptionShare`; it records the modulus and ciphertext
it was verified for, so :func:`combine` refuses a share checked for another.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Annotated

import gmpy2

from ..errors import BatchFailure, CombinationError, ParameterError, VerificationError
from ..schema import BigInt, SmallInt
from .numbers import invert, lagrange_at, multi_powmod, powmod
from .paillier import L
from .proofs.batch import find_bad
from .proofs.decryption import (
    DecryptionProof,
    DecryptionStatement,
    batch_equations_hold,
    check_proof_elements,
    decryption_challenge,
    equations_hold,
    prove_decryption,
    verify_decryption_proof,
)
from .threshold import MAX_TRUSTEES, KeyShare, ThresholdPublicKey, VerifiedKeyShare

CONTEXT_BYTES = 32
"""Length of the election base hash bound into every proof."""

_SEAL = object()


@dataclass(frozen=True, slots=True)
class DecryptionShare:
    """Trustee ``index``'s share c_i = c^(2Δ·s_i) mod n² and its proof (spec §5.1)."""

    index: Annotated[int, SmallInt(1, MAX_TRUSTEES)]
    ci: Annotated[int, BigInt(8192)]
    proof: DecryptionProof


@dataclass(frozen=True, slots=True)
class VerifiedDecryptionShare:
    """A decryption share whose proof verified for ciphertext ``c`` under modulus ``n``.

    Made only by :func:`verify_decryption_share` and
    :func:`batch_verify_decryption_shares` (the constructor refuses others).
    """

    share: DecryptionShare
    c: int
    n: int
    _seal: object = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self._seal is not _SEAL:
            raise TypeError("VerifiedDecryptionShare is made only by the verify functions")

    @property
    def index(self) -> int:
        return self.share.index

    @property
    def ci(self) -> int:
        return self.share.ci


def _check_context(context: bytes) -> None:
    if len(context) != CONTEXT_BYTES:
        raise ParameterError(f"context must be {CONTEXT_BYTES} bytes")


def _statement(pk: ThresholdPublicKey, c: int, share: DecryptionShare) -> DecryptionStatement:
    return DecryptionStatement(pk.n, pk.v, pk.vk(share.index), share.index, c, share.ci, pk.delta)


def decryption_share(
    share: KeyShare | VerifiedKeyShare, c: int, context: bytes, *, r: int | None = None
) -> DecryptionShare:
    """Trustee's share of the decryption of c with its proof (spec §5.1–5.2).

    ``context`` is the 32-byte election base hash; ``r`` (the proof's mask)
    may be fixed for known-answer vectors. Raises InvalidElement if c is not
    a unit modulo n².
    """
    key = share.share if isinstance(share, VerifiedKeyShare) else share
    _check_context(context)
    pk = key.public
    n2 = pk.n2
    pk.public_key.check_ciphertext(c)
    x = pk.delta * key.s
    ci = powmod(c, 2 * x, n2)
    stmt = DecryptionStatement(pk.n, pk.v, pk.vk(key.index), key.index, c, ci, pk.delta)
    return DecryptionShare(key.index, ci, prove_decryption(stmt, x, context, r=r))


def verify_decryption_share(
    pk: ThresholdPublicKey, c: int, share: DecryptionShare, context: bytes
) -> VerifiedDecryptionShare:
    """Verify one share of the decryption of c (spec §5.2); raises InvalidShare,
    InvalidElement or InvalidProof naming the trustee index."""
    _check_context(context)
    verify_decryption_proof(_statement(pk, c, share), share.proof, context)
    return VerifiedDecryptionShare(share, c, pk.n, _SEAL)


def batch_verify_decryption_shares(
    pk: ThresholdPublicKey, items: Sequence[tuple[int, DecryptionShare]], context: bytes
) -> tuple[VerifiedDecryptionShare, ...]:
    """Verify many (ciphertext, share) pairs at once (spec §10.4).

    Accepts exactly the shares :func:`verify_decryption_share` accepts (both
    use the squared equations), up to the batch test's 2^-128 error. If any
    item fails (a range check or its equations), raises BatchFailure whose
    ``bad`` lists the positions in ``items`` of every failing item, found by
    bisection; the others are sound and may be re-submitted.
    """
    _check_context(context)
    bad: list[int] = []
    checked: list[tuple[int, tuple[DecryptionStatement, DecryptionProof, int]]] = []
    for pos, (c, share) in enumerate(items):
        try:
            stmt = _statement(pk, c, share)
            check_proof_elements(stmt, share.proof)
        except VerificationError:
            bad.append(pos)
            continue
        e = decryption_challenge(stmt, context, share.proof.a, share.proof.b)
        checked.append((pos, (stmt, share.proof, e)))
    triples = [item for _, item in checked]
    if not batch_equations_hold(triples):
        found = find_bad(triples, batch_equations_hold, lambda x: equations_hold(*x))
        bad.extend(checked[k][0] for k in found)
    if bad:
        raise BatchFailure("decryption shares", tuple(sorted(bad)))
    return tuple(VerifiedDecryptionShare(share, c, pk.n, _SEAL) for c, share in items)


def combine(pk: ThresholdPublicKey, c: int, shares: Sequence[VerifiedDecryptionShare]) -> int:
    """Decrypt c from verified shares (spec §5.3), using the first t of them.

    Raises CombinationError for fewer than t shares, repeated indices, a
    share verified for another modulus or ciphertext, or if c' ≢ 1 (mod n).
    """
    pk.public_key.check_ciphertext(c)
    for sh in shares:
        if not isinstance(sh, VerifiedDecryptionShare):
            raise CombinationError("only verified decryption shares can be combined")
        if sh.n != pk.n or sh.c != c:
            raise CombinationError(f"share {sh.index} was verified for another ciphertext")
    indices = [sh.index for sh in shares]
    if len(set(indices)) != len(indices):
        raise CombinationError("repeated trustee index among the shares")
    if len(shares) < pk.t:
        raise CombinationError(f"need {pk.t} shares, got {len(shares)}")
    chosen = shares[: pk.t]
    subset = [sh.index for sh in chosen]
    n, n2, delta = pk.n, pk.n2, pk.delta
    lam = lagrange_at(0, subset, delta)
    bases = [sh.ci if lam[sh.index] >= 0 else invert(sh.ci, n2) for sh in chosen]
    c_prime = multi_powmod(bases, [2 * abs(lam[sh.index]) for sh in chosen], n2)
    if c_prime % n != 1:
        raise CombinationError("combined value is not 1 mod n")
    four_delta2 = 4 * delta * delta
    if gmpy2.gcd(four_delta2, n) != 1:
        raise CombinationError("4Δ² is not invertible modulo n")
    return L(c_prime, n) * invert(four_delta2, n) % n
