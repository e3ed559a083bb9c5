"""Per-segment work of the verifier, runnable in another process or on a Dask
worker (docs/spec.md §8.6, §8.9, §10.1; docs/record.md §2.6).

A task gets the election context in wire form and one segment's raw bytes,
and returns a compact outcome: the entries (for the chain, checked in order by
the caller), and per ballot its position, credential and verdict. Nothing
here holds more than one segment, and every argument and result pickles.

:func:`check_segment` is the first pass (decode, the items' shape, receipts,
tracking codes, every ballot verified in one batch with bisection);
:func:`accumulate_segment` is the second (the products of the counted
ballots' ciphertexts in this segment).
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import codec
from ..election.ballot import VerifiedBallot, tracking_code, verify_ballots
from ..election.board import BoardEntry, EntryKind, verify_receipt
from ..election.ceremony import MAX_CEREMONY_BYTES, KeyCeremony
from ..election.context import ElectionContext
from ..election.manifest import Manifest
from ..errors import DecodeError, KiemphieuCryptoError
from ..primitives.paillier import KeyPolicy
from .archive import SEGMENT_MAX_BYTES, decode
from .documents import BoardSegment

MAX_SEGMENT_MESSAGES = 5


@dataclass(frozen=True, slots=True)
class ContextWire:
    """What a worker needs to rebuild the :class:`ElectionContext`: the
    manifest's and the key ceremony's canonical bytes and the policy."""

    manifest: bytes
    ceremony: bytes
    policy: str

    @classmethod
    def of(cls, ctx: ElectionContext) -> ContextWire:
        return cls(codec.dumps(ctx.manifest), codec.dumps(ctx.ceremony), ctx.policy.value)

    def context(self) -> ElectionContext:
        manifest = codec.loads(Manifest, self.manifest)
        ceremony = codec.loads(KeyCeremony, self.ceremony, max_bytes=MAX_CEREMONY_BYTES)
        return ElectionContext(manifest, ceremony, KeyPolicy(self.policy))


@dataclass(frozen=True, slots=True)
class SegmentJob:
    """One segment to check: its file name and raw bytes, with the context and
    the receipt key named by the record's index."""

    context: ContextWire
    receipt_key: bytes
    name: str
    raw: bytes


@dataclass(frozen=True, slots=True)
class BallotVerdict:
    """A ballot entry: its position, credential, and why it failed (None: it verified)."""

    position: int
    credential: bytes
    error: str | None


@dataclass(frozen=True, slots=True)
class SegmentOutcome:
    """What :func:`check_segment` found in one segment.

    ``decode_error`` set means nothing else was checked. ``entries`` are the
    board entries in order (the caller follows the chain). ``shape_failures``
    count items whose ballot and receipt do not match their kind.
    """

    name: str
    decode_error: str | None
    election: bytes
    start: int
    entries: tuple[BoardEntry, ...]
    shape_failures: tuple[str, ...]
    ballots: tuple[BallotVerdict, ...]
    receipts_passed: int
    receipt_failures: tuple[str, ...]


def check_segment(job: SegmentJob) -> SegmentOutcome:
    """First pass over one segment (see the module docstring)."""
    try:
        segment = decode(BoardSegment, job.name, job.raw)
    except DecodeError as exc:
        return SegmentOutcome(job.name, str(exc), b"", 0, (), (), (), 0, ())
    ctx = job.context.context()
    shape: list[str] = []
    receipt_failures: list[str] = []
    receipts_passed = 0
    ballot_items = []
    for item in segment.items:
        entry = item.entry
        is_ballot = entry.kind is EntryKind.BALLOT
        if is_ballot != (item.ballot is not None) or is_ballot != (item.receipt is not None):
            shape.append(f"entry {entry.position}: a ballot and receipt only for a ballot entry")
            continue
        if item.ballot is None or item.receipt is None:
            continue
        ballot_items.append((entry, item.ballot))
        receipt = item.receipt
        problem = None
        if (receipt.election, receipt.tracking_code) != (ctx.hash, entry.payload_hash):
            problem = "the receipt's election or tracking code is not the entry's"
        elif (receipt.position, receipt.head) != (entry.position, entry.head):
            problem = "the receipt's position or head is not the entry's"
        else:
            try:
                verify_receipt(receipt, job.receipt_key)
            except KiemphieuCryptoError as exc:
                problem = str(exc)
        if problem is None:
            receipts_passed += 1
        else:
            receipt_failures.append(f"entry {entry.position}: {problem}")
    outcomes = verify_ballots(ctx, [b for _, b in ballot_items])
    verdicts = []
    for (entry, ballot), outcome in zip(ballot_items, outcomes, strict=True):
        if isinstance(outcome, VerifiedBallot):
            code = outcome.tracking_code
            error = None
        else:
            code = tracking_code(ballot)
            error = str(outcome)
        if code != entry.payload_hash:
            error = "the ballot's tracking code is not the entry's payload hash"
        verdicts.append(BallotVerdict(entry.position, ballot.credential, error))
    return SegmentOutcome(
        job.name,
        None,
        segment.election,
        segment.start,
        tuple(item.entry for item in segment.items),
        tuple(shape),
        tuple(verdicts),
        receipts_passed,
        tuple(receipt_failures),
    )


@dataclass(frozen=True, slots=True)
class AccumulateJob:
    """The counted positions of one segment, to multiply their ciphertexts."""

    context: ContextWire
    name: str
    raw: bytes
    positions: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class PartialTally:
    """Per question and part, the product of the counted ciphertexts in one
    segment (mod n²), and how many counted ballots it found."""

    name: str
    products: tuple[tuple[int, ...], ...]
    ballots: int
    error: str | None


def accumulate_segment(job: AccumulateJob) -> PartialTally:
    """Second pass over one segment: multiply the counted ballots' ciphertexts
    part by part (§8.7.1). Ballots were verified in the first pass."""
    ctx = job.context.context()
    n2 = ctx.public_key.n2
    acc = [[1] * len(q.parts) for q in ctx.manifest.questions]
    try:  # the same bytes as in the first pass (the index's hash), found canonical there
        segment = codec.loads(BoardSegment, job.raw, max_bytes=SEGMENT_MAX_BYTES)
    except DecodeError as exc:
        return PartialTally(job.name, (), 0, str(exc))
    wanted = set(job.positions)
    found = 0
    for item in segment.items:
        if item.entry.position not in wanted:
            continue
        ballot = item.ballot
        if ballot is None or len(ballot.answers) != len(acc):
            return PartialTally(job.name, (), 0, f"position {item.entry.position}: no ballot")
        for row, answer in zip(acc, ballot.answers, strict=True):
            if len(answer.ciphertexts) != len(row):
                return PartialTally(job.name, (), 0, f"position {item.entry.position}: shape")
            for j, c in enumerate(answer.ciphertexts):
                row[j] = row[j] * c % n2
        found += 1
    if found != len(wanted):
        return PartialTally(job.name, (), 0, "a counted position is not in this segment")
    return PartialTally(job.name, tuple(tuple(r) for r in acc), found, None)
