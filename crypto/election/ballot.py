"""Encrypted ballots: encryption, proofs, signature, verification (docs/spec.md §8.5).

A ballot holds one :class:`EncryptedAnswer` per question of the manifest, in
manifest order. Each part of an answer (a confidence row, the single choice,
an option of a multiple choice) is one ciphertext with a membership proof; a
multiple-choice answer also proves that the product of its ciphertexts
encrypts a count in min..max. The ballot is signed by its credential.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Protocol

from .. import codec
from ..errors import InvalidBallot, InvalidProof, InvalidSignature, VerificationError
from ..primitives import rng
from ..primitives.paillier import PublicKey
from ..primitives.proofs import membership
from ..primitives.proofs.batch import find_bad
from ..primitives.proofs.membership import (
    MembershipNonces,
    MembershipProof,
    MembershipStatement,
    PreparedMembership,
)
from ..primitives.transcript import CHALLENGE_BITS, Tag, digest
from ..schema import BigInt, Bytes, Items, Text, document
from .context import ElectionContext
from .credential import CredentialKey, verify_signature
from .manifest import Question, QuestionKind

Vote = int | None | tuple[int | None, ...] | frozenset[int]
"""A voter's choice for one question: a tuple of level indices (None = blank)
for a confidence question, an option index or None for a single choice, a set
of option indices for a multiple choice."""

SUM_PART = "sum"
_SEAL = object()
ZERO_SIGNATURE = bytes(64)


@dataclass(frozen=True, slots=True)
class EncryptedAnswer:
    """The ciphertexts of one question, their proofs, and for a multiple choice
    the proof that the count of chosen options lies in min..max (§8.5)."""

    question: Annotated[str, Text(1, 48)]
    ciphertexts: Annotated[tuple[int, ...], Items(1, 60), BigInt(8192)]
    proofs: Annotated[tuple[MembershipProof, ...], Items(1, 60)]
    sum_proof: MembershipProof | None = None


@document("ballot", 1)
@dataclass(frozen=True, slots=True)
class Ballot:
    """A signed encrypted ballot (§8.5): ``election`` is the base hash H_E,
    ``credential`` the Ed25519 public key, ``signature`` over the ballot with a
    zero signature field."""

    election: Annotated[bytes, Bytes(32)]
    credential: Annotated[bytes, Bytes(32)]
    answers: Annotated[tuple[EncryptedAnswer, ...], Items(1, 60)]
    signature: Annotated[bytes, Bytes(64)]


@dataclass(frozen=True, slots=True)
class VerifiedBallot:
    """A ballot whose shape, signature and every proof verified for ``context``.

    Only :func:`verify_ballot` and :func:`verify_ballots` build these (the
    constructor refuses other callers).
    """

    ballot: Ballot
    tracking_code: bytes
    _seal: object = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self._seal is not _SEAL:
            raise TypeError("VerifiedBallot is made only by verify_ballot and verify_ballots")


class Coins(Protocol):
    """Where encryption draws its randomness; the default is :mod:`rng`."""

    def unit(self, n: int) -> int: ...

    def bits(self, k: int) -> int: ...


class _SystemCoins:
    def unit(self, n: int) -> int:
        return rng.random_unit(n)

    def bits(self, k: int) -> int:
        return rng.random_bits(k)


def signing_message(ballot: Ballot) -> bytes:
    """H(ballot/signature, canonical bytes of the ballot with a zero signature)."""
    return digest(Tag.BALLOT_SIGNATURE, _blank_bytes(ballot))


def signed_by_credential(ballot: Ballot) -> bool:
    """Whether the ballot's signature is its credential's (spec §8.5). Only the
    signature: the server's cheap test of who may have sent it."""
    try:
        verify_signature(ballot.credential, signing_message(ballot), ballot.signature)
    except InvalidSignature:
        return False
    return True


def tracking_code(ballot: Ballot) -> bytes:
    """The ballot's tracking code: H(ballot, canonical bytes of the signed ballot)."""
    return tracking_code_of(codec.dumps(ballot))


def tracking_code_of(canonical: bytes) -> bytes:
    """The tracking code of a ballot given its canonical bytes (``codec.dumps``)."""
    return digest(Tag.BALLOT, canonical)


def _blank_bytes(ballot: Ballot) -> bytes:
    """Canonical bytes of the ballot with a zero signature."""
    return codec.dumps(dataclasses.replace(ballot, signature=ZERO_SIGNATURE))


_ZERO_FIELD = b'"signature":"' + ZERO_SIGNATURE.hex().encode("ascii") + b'"'


def _tracking_code(ballot: Ballot, blank: bytes) -> bytes:
    """:func:`tracking_code` from the bytes already made for the signing message.

    The canonical bytes of the signed and of the blank ballot differ only in
    the value of the top-level key ``signature``, 64 bytes written as 128 hex
    digits; no other key has that name, and inside a JSON string every quote
    is escaped, so ``"signature":"…"`` occurs once. Swapping the hex digits
    gives exactly ``codec.dumps(ballot)`` without encoding the ballot again;
    anything unexpected falls back to encoding it.
    """
    signature = ballot.signature
    if (
        isinstance(signature, bytes)
        and len(signature) == len(ZERO_SIGNATURE)
        and blank.count(_ZERO_FIELD) == 1
    ):
        signed = b'"signature":"' + signature.hex().encode("ascii") + b'"'
        return tracking_code_of(blank.replace(_ZERO_FIELD, signed))
    return tracking_code(ballot)


def allowed_values(ctx: ElectionContext, q: Question) -> tuple[int, ...]:
    """The allowed plaintexts of one part: B^j per slot, or {0, 1} per option."""
    if q.kind is QuestionKind.MULTIPLE:
        return (0, 1)
    return tuple(ctx.radix**j for j in range(q.slots))


def sum_values(q: Question) -> tuple[int, ...]:
    """The allowed counts of chosen options of a multiple choice: min..max."""
    return tuple(range(q.min_choices, q.max_choices + 1))


def part_indices(q: Question, vote: Vote) -> list[int]:
    """The index into ``allowed_values`` of every part for ``vote``; raises ValueError."""
    k = len(q.options)
    if q.kind is QuestionKind.CONFIDENCE:
        if not isinstance(vote, tuple) or len(vote) != len(q.rows):
            raise ValueError(f"question {q.id}: give one level (or None) per row")
        out = []
        for level in vote:
            if level is None:
                out.append(k)
            elif isinstance(level, int) and 0 <= level < k:
                out.append(level)
            else:
                raise ValueError(f"question {q.id}: level {level!r} out of range")
        return out
    if q.kind is QuestionKind.SINGLE:
        if vote is None and q.blank:
            return [k]
        if isinstance(vote, int) and not isinstance(vote, bool) and 0 <= vote < k:
            return [vote]
        raise ValueError(f"question {q.id}: choice {vote!r} not allowed")
    if not isinstance(vote, frozenset) or any(not 0 <= i < k for i in vote):
        raise ValueError(f"question {q.id}: give a set of option indices")
    if not q.min_choices <= len(vote) <= q.max_choices:
        raise ValueError(f"question {q.id}: choose {q.min_choices} to {q.max_choices} options")
    return [1 if i in vote else 0 for i in range(k)]


def _nonces(coins: Coins, n: int, k: int) -> MembershipNonces:
    sim = tuple((coins.bits(CHALLENGE_BITS), coins.unit(n)) for _ in range(k - 1))
    return MembershipNonces(coins.unit(n), sim)


def encrypt_ballot(
    ctx: ElectionContext,
    key: CredentialKey,
    votes: Mapping[str, Vote],
    *,
    coins: Coins | None = None,
) -> Ballot:
    """Encrypt, prove and sign ``votes`` (question id → vote) for ``ctx`` (§8.5)."""
    if key.election_id != ctx.election_id:
        raise ValueError("credential belongs to another election")
    answers = encrypt_answers(ctx, key.public, votes, coins=coins)
    unsigned = Ballot(ctx.hash, key.public, answers, ZERO_SIGNATURE)
    return dataclasses.replace(unsigned, signature=key.sign(signing_message(unsigned)))


def encrypt_answers(
    ctx: ElectionContext,
    credential: bytes,
    votes: Mapping[str, Vote],
    *,
    coins: Coins | None = None,
) -> tuple[EncryptedAnswer, ...]:
    """The answers of :func:`encrypt_ballot`, bound to the public key ``credential``,
    unsigned; a ballot audit (§8.11) replays its coins through this function."""
    coins = coins if coins is not None else _SystemCoins()
    pk = ctx.public_key
    answers = []
    missing = [q.id for q in ctx.manifest.questions if q.id not in votes]
    extra = set(votes) - {q.id for q in ctx.manifest.questions}
    if missing or extra:
        raise ValueError(f"votes must answer every question exactly: {missing or sorted(extra)}")
    for q in ctx.manifest.questions:
        allowed = allowed_values(ctx, q)
        cts, proofs, rs = [], [], []
        for part, idx in zip(q.parts, part_indices(q, votes[q.id]), strict=True):
            r = coins.unit(pk.n)
            c = pk.encrypt(allowed[idx], r)
            st = MembershipStatement(c, allowed, ctx.hash, credential, q.id, part)
            nonces = _nonces(coins, pk.n, len(allowed))
            proofs.append(membership.prove(pk, st, idx, r, nonces=nonces))
            cts.append(c)
            rs.append(r)
        sum_proof = None
        if q.kind is QuestionKind.MULTIPLE:
            st = _sum_statement(pk, ctx, credential, q, cts)
            r_sum = 1
            for r in rs:
                r_sum = r_sum * r % pk.n
            count = len(votes[q.id])  # type: ignore[arg-type]
            nonces = _nonces(coins, pk.n, len(st.allowed))
            sum_proof = membership.prove(pk, st, st.allowed.index(count), r_sum, nonces=nonces)
        answers.append(EncryptedAnswer(q.id, tuple(cts), tuple(proofs), sum_proof))
    return tuple(answers)


def _sum_statement(
    pk: PublicKey, ctx: ElectionContext, credential: bytes, q: Question, cts: Sequence[int]
) -> MembershipStatement:
    product = 1
    for c in cts:
        product = product * c % pk.n2
    return MembershipStatement(product, sum_values(q), ctx.hash, credential, q.id, SUM_PART)


def prepare_ballot(ctx: ElectionContext, ballot: Ballot) -> list[PreparedMembership]:
    """Every check of §8.6 but the proofs' algebraic equations: election,
    shape against the manifest, signature, element ranges, challenge sums."""
    return _prepare(ctx, ballot)[0]


def _prepare(ctx: ElectionContext, ballot: Ballot) -> tuple[list[PreparedMembership], bytes]:
    """:func:`prepare_ballot`, and the ballot's tracking code."""
    if ballot.election != ctx.hash:
        raise InvalidBallot("ballot is for another election or other parameters")
    questions = ctx.manifest.questions
    if len(ballot.answers) != len(questions):
        raise InvalidBallot(f"ballot answers {len(ballot.answers)} of {len(questions)} questions")
    blank = _blank_bytes(ballot)
    verify_signature(ballot.credential, digest(Tag.BALLOT_SIGNATURE, blank), ballot.signature)
    pk = ctx.public_key
    prepared: list[PreparedMembership] = []
    for q, ans in zip(questions, ballot.answers, strict=True):
        if ans.question != q.id:
            raise InvalidBallot(f"answer for {ans.question!r} where {q.id!r} was expected")
        parts = q.parts
        if len(ans.ciphertexts) != len(parts) or len(ans.proofs) != len(parts):
            raise InvalidBallot(f"question {q.id}: expected {len(parts)} ciphertexts and proofs")
        if (ans.sum_proof is not None) != (q.kind is QuestionKind.MULTIPLE):
            raise InvalidBallot(f"question {q.id}: sum proof present iff multiple choice")
        allowed = allowed_values(ctx, q)
        for part, c, proof in zip(parts, ans.ciphertexts, ans.proofs, strict=True):
            st = MembershipStatement(c, allowed, ctx.hash, ballot.credential, q.id, part)
            prepared.append(membership.prepare(pk, st, proof))
        if ans.sum_proof is not None:
            st = _sum_statement(pk, ctx, ballot.credential, q, ans.ciphertexts)
            prepared.append(membership.prepare(pk, st, ans.sum_proof))
    return prepared, _tracking_code(ballot, blank)


def verify_ballot(ctx: ElectionContext, ballot: Ballot) -> VerifiedBallot:
    """Verify one ballot alone (§8.6); raises a VerificationError subclass."""
    pk = ctx.public_key
    prepared, code = _prepare(ctx, ballot)
    for item in prepared:
        if not membership.check_equations(pk, item):
            raise InvalidProof("membership equation fails")
    return VerifiedBallot(ballot, code, _SEAL)


def verify_ballots(
    ctx: ElectionContext, ballots: Sequence[Ballot]
) -> tuple[VerifiedBallot | VerificationError, ...]:
    """Verify many ballots with one batched equation check (§10.1).

    Returns, per ballot, its VerifiedBallot or the error that refuses it; when
    the batch equation fails, bisection isolates the ballots at fault.
    """
    outcome: list[VerifiedBallot | VerificationError | None] = [None] * len(ballots)
    ready: list[tuple[int, list[PreparedMembership], bytes]] = []
    for i, ballot in enumerate(ballots):
        try:
            prepared, code = _prepare(ctx, ballot)
        except VerificationError as exc:
            outcome[i] = exc
            continue
        ready.append((i, prepared, code))
    pk = ctx.public_key

    def check(group: Sequence[tuple[int, list[PreparedMembership], bytes]]) -> bool:
        return membership.check_batch(pk, [m for _, items, _ in group for m in items])

    bad = set(find_bad(ready, check))
    for pos, (i, _, code) in enumerate(ready):
        if pos in bad:
            outcome[i] = InvalidProof("membership equation fails")
        else:
            outcome[i] = VerifiedBallot(ballots[i], code, _SEAL)
    return tuple(x for x in outcome if x is not None)
