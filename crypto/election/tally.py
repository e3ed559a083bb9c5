"""Encrypted tally, packing and unpacking (docs/spec.md §8.7).

The tally of a part is the product of that part's ciphertexts over the
counted ballots. Parts are then packed: a group of parts becomes one
ciphertext C = Π T_j^(B^(o_j)), where o_j is the counter offset of part j in
the group, so one threshold decryption yields up to ⌊(|n| − 1)/b⌋ counters.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Annotated

from ..errors import TallyError
from ..primitives.numbers import multi_powmod
from ..schema import BigInt, Bytes, Items, SmallInt, Text, document
from .ballot import VerifiedBallot
from .context import ElectionContext
from .manifest import QuestionKind

MAX_BALLOTS = (1 << 48) - 1


@dataclass(frozen=True, slots=True)
class QuestionTally:
    """Per part of one question, the product of the counted ciphertexts."""

    question: Annotated[str, Text(1, 48)]
    ciphertexts: Annotated[tuple[int, ...], Items(1, 60), BigInt(8192)]


@document("encrypted-tally", 1)
@dataclass(frozen=True, slots=True)
class EncryptedTally:
    """The encrypted tally of ``ballots`` counted ballots (§8.7.1)."""

    election: Annotated[bytes, Bytes(32)]
    ballots: Annotated[int, SmallInt(0, MAX_BALLOTS)]
    questions: Annotated[tuple[QuestionTally, ...], Items(1, 60)]


@dataclass(frozen=True, slots=True)
class PackedPart:
    """Where a part's counters sit: question index, part index, counter offset."""

    question: int
    part: int
    offset: int


@dataclass(frozen=True, slots=True)
class PartCounts:
    """The counters of one part (a row, the choice, an option), slot by slot."""

    part: Annotated[str, Text(1, 48)]
    slots: Annotated[tuple[int, ...], Items(1, 61), SmallInt(0, MAX_BALLOTS)]


@dataclass(frozen=True, slots=True)
class QuestionCounts:
    """Counts per part of one question, in manifest order."""

    question: Annotated[str, Text(1, 48)]
    parts: Annotated[tuple[PartCounts, ...], Items(1, 60)]


@document("tally-counts", 1)
@dataclass(frozen=True, slots=True)
class TallyCounts:
    """The decrypted, unpacked and checked counts (§8.7.3)."""

    election: Annotated[bytes, Bytes(32)]
    ballots: Annotated[int, SmallInt(0, MAX_BALLOTS)]
    questions: Annotated[tuple[QuestionCounts, ...], Items(1, 60)]


def accumulate(ctx: ElectionContext, ballots: Iterable[VerifiedBallot]) -> EncryptedTally:
    """Multiply the counted ballots' ciphertexts part by part (§8.7.1)."""
    n2 = ctx.public_key.n2
    acc = [[1] * len(q.parts) for q in ctx.manifest.questions]
    count = 0
    for vb in ballots:
        if vb.ballot.election != ctx.hash:
            raise TallyError("ballot from another election")
        count += 1
        for row, ans in zip(acc, vb.ballot.answers, strict=True):
            for j, c in enumerate(ans.ciphertexts):
                row[j] = row[j] * c % n2
    if count > ctx.manifest.max_ballots:
        raise TallyError(f"{count} ballots exceed the counter capacity 2^b - 1")
    return EncryptedTally(
        ctx.hash,
        count,
        tuple(
            QuestionTally(q.id, tuple(row))
            for q, row in zip(ctx.manifest.questions, acc, strict=True)
        ),
    )


def layout(ctx: ElectionContext) -> tuple[tuple[PackedPart, ...], ...]:
    """Groups of parts, in manifest order, each within ⌊(|n| − 1)/b⌋ counters (§8.7.2)."""
    capacity = (ctx.public_key.n.bit_length() - 1) // ctx.manifest.counter_bits
    groups: list[list[PackedPart]] = [[]]
    used = 0
    for qi, q in enumerate(ctx.manifest.questions):
        for pi in range(len(q.parts)):
            if used + q.slots > capacity:
                groups.append([])
                used = 0
            groups[-1].append(PackedPart(qi, pi, used))
            used += q.slots
    return tuple(tuple(g) for g in groups)


def pack(ctx: ElectionContext, tally: EncryptedTally) -> tuple[int, ...]:
    """The packed ciphertexts C_g = Π T_j^(B^(o_j)) mod n², one per group."""
    if tally.election != ctx.hash:
        raise TallyError("tally from another election")
    n2 = ctx.public_key.n2
    b = ctx.manifest.counter_bits
    out = []
    for group in layout(ctx):
        bases = [tally.questions[p.question].ciphertexts[p.part] for p in group]
        out.append(multi_powmod(bases, [1 << (b * p.offset) for p in group], n2))
    return tuple(out)


def unpack(ctx: ElectionContext, ballots: int, plaintexts: Sequence[int]) -> TallyCounts:
    """Read the counters from the decrypted groups and apply the public checks
    of §8.7.3; raises TallyError if any fails."""
    groups = layout(ctx)
    if len(plaintexts) != len(groups):
        raise TallyError(f"expected {len(groups)} plaintexts, got {len(plaintexts)}")
    b = ctx.manifest.counter_bits
    mask = (1 << b) - 1
    questions = ctx.manifest.questions
    counts: list[list[tuple[int, ...]]] = [[()] * len(q.parts) for q in questions]
    for group, m in zip(groups, plaintexts, strict=True):
        used = 0
        for p in group:
            width = questions[p.question].slots
            value = m >> (b * p.offset)
            counts[p.question][p.part] = tuple((value >> (b * s)) & mask for s in range(width))
            used = p.offset + width
        if m >> (b * used):
            raise TallyError("packed plaintext has bits beyond its counters")
    for q, parts in zip(questions, counts, strict=True):
        for part_id, slots in zip(q.parts, parts, strict=True):
            if any(x > ballots for x in slots):
                raise TallyError(f"{q.id}/{part_id}: a count exceeds the ballots counted")
            if q.kind is not QuestionKind.MULTIPLE and sum(slots) != ballots:
                raise TallyError(f"{q.id}/{part_id}: counts do not sum to the ballots counted")
        if q.kind is QuestionKind.MULTIPLE:
            chosen = sum(s[0] for s in parts)
            if not q.min_choices * ballots <= chosen <= q.max_choices * ballots:
                raise TallyError(f"{q.id}: total choices outside min..max per ballot")
    return TallyCounts(
        ctx.hash,
        ballots,
        tuple(
            QuestionCounts(
                q.id,
                tuple(PartCounts(pid, s) for pid, s in zip(q.parts, parts, strict=True)),
            )
            for q, parts in zip(questions, counts, strict=True)
        ),
    )
