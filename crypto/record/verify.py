"""The observer's verifier: every step of docs/spec.md §11 over an election
record (docs/record.md), collected into a report.

:func:`verify_record` reads the fixed files, checks the ceremony, H_E and the
committee (:mod:`.steps`), then makes two passes over the board segments, one
segment in memory at a time: the first checks the chain, the receipts, every
ballot (batched per segment, bisection naming bad positions; in worker
processes or on a Dask cluster when asked, :mod:`.parallel`) and gathers each
credential's ballot positions; the second multiplies the counted ballots'
ciphertexts. Then the tally shares, the combination, the counts, the result
and the minutes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from .. import SPEC_VERSION
from ..election.attestation import BoardClose
from ..election.board import EntryKind, genesis, next_head
from ..election.ceremony import KeyCeremony, VerifiedKeyCeremony
from ..election.context import ElectionContext
from ..election.manifest import Manifest
from ..election.result import ElectionResult
from ..election.rules import Revote
from ..election.tally import TallyCounts
from ..errors import DecodeError, KiemphieuCryptoError, RecordError
from ..primitives.paillier import KeyPolicy
from . import archive as names
from . import committee as committee_steps
from . import steps, tally_pass
from .archive import RecordArchive
from .documents import (
    AttestationList,
    CredentialList,
    MinutesRecord,
    RecordState,
    ShareList,
    TallyRecord,
)
from .parallel import SegmentRunner
from .receipts import GivenReceipt, ReceiptOutcome, ReceiptWatch
from .report import Collector, VerificationReport
from .segments import (
    ContextWire,
    SegmentJob,
    SegmentOutcome,
    check_segment,
)

T = TypeVar("T")
Progress = Callable[[str, int, int], None]
"""Called with a phase (``ballots`` or ``tally``), board positions done and the total."""

COMMITTEE = ("tally-shares", "combination", "unpacking", "result", "minutes")
AFTER_CONTEXT = (
    "test-decryption",
    "credentials",
    "roll-signature",
    "board",
    "receipts",
    "ballots",
    "eligibility",
    "counted-set",
    "encrypted-tally",
    "close-attestations",
    *COMMITTEE,
)


@dataclass
class _Board:
    """What the first pass keeps: the chain's end, each segment's range and
    each credential's counted position."""

    size: int = 0
    head: bytes = b""
    ballots: int = 0
    complete: bool = True
    closed_at: int | None = None
    roll_payload: bytes | None = None
    ranges: list[tuple[str, int, int]] = field(default_factory=list)
    counted: dict[bytes, int] = field(default_factory=dict)

    def close(self) -> BoardClose | None:
        """The values read aloud at the close, once the board ends with its close."""
        if self.roll_payload is None or self.closed_at != self.size - 1:
            return None
        return BoardClose(self.size, self.ballots, self.roll_payload, self.head)


def verify_record(
    archive: RecordArchive,
    policy: KeyPolicy,
    *,
    workers: int = 1,
    dask: str | None = None,
    progress: Progress | None = None,
    receipt_key: bytes | None = None,
    receipts: Sequence[GivenReceipt] = (),
) -> VerificationReport:
    """Verify ``archive`` under ``policy`` and report every check.

    ``receipt_key``, when the observer knows the server's key from elsewhere
    (its receipts, ``GET /api/server``, the minutes), must be the one that
    signed the record (checked under ``index``).

    ``receipts``: voters' receipts to find on the board (check ``voter-receipts``;
    each one's outcome is in the report's ``receipts``).

    ``workers`` > 1 checks segments in that many processes; ``dask`` (a
    scheduler address) runs them on an existing Dask cluster instead.
    Raises only for a failure of the machinery (ParameterError for bad
    options or an unreachable cluster), never for a fault of the record.
    """
    with SegmentRunner(workers, dask) as runner:
        return _Verifier(
            archive, policy, runner, progress, receipt_key=receipt_key, receipts=receipts
        ).run()


class _Verifier:
    def __init__(
        self,
        archive: RecordArchive,
        policy: KeyPolicy,
        runner: SegmentRunner,
        progress: Progress | None,
        *,
        receipt_key: bytes | None = None,
        receipts: Sequence[GivenReceipt] = (),
    ) -> None:
        self.expected_key = receipt_key
        self.watch = ReceiptWatch(receipts)
        self.outcomes: tuple[ReceiptOutcome, ...] = ()
        self.archive = archive
        self.index = archive.index
        self.policy = policy
        self.runner = runner
        self.progress = progress
        self.r = Collector()

    def load(self, cls: type[T], name: str) -> T | None:
        """A fixed file decoded, counting it under ``files`` and ``format``."""
        if not self.archive.has(name):
            return None
        try:
            value = self.archive.load(cls, name)
        except DecodeError as exc:
            self.r.passed("files")
            self.r.failed("format", str(exc))
            return None
        except (KiemphieuCryptoError, RecordError) as exc:
            self.r.failed("files", str(exc))
            return None
        self.r.passed("files")
        self.r.passed("format")
        return value

    def run(self) -> VerificationReport:
        r, index = self.r, self.index
        manifest = self.load(Manifest, names.MANIFEST)
        ceremony = self.load(KeyCeremony, names.CEREMONY)
        credentials = self.load(CredentialList, names.CREDENTIALS)
        attestations = self.load(AttestationList, names.ATTESTATIONS)
        shares = self.load(ShareList, names.SHARES)
        tally = self.load(TallyRecord, names.TALLY)
        counts = self.load(TallyCounts, names.COUNTS)
        result = self.load(ElectionResult, names.RESULT)
        minutes = self.load(MinutesRecord, names.MINUTES)
        steps.check_index_files(self.r, self.archive, shares)
        r.item("index", index.spec_version == SPEC_VERSION, f"spec version {index.spec_version}")
        steps.check_index_signature(r, index, self.expected_key)
        if manifest is not None:
            same = manifest.election_id == index.election_id
            r.item("index", same, "record.json names another election than the manifest")
        if not self.watch.receipts:
            r.not_applicable("voter-receipts", "no receipt was given (--receipt FILE)")
        verified: VerifiedKeyCeremony | None = None
        ctx: ElectionContext | None = None
        if ceremony is None:
            for check in ("parameters", "verification-keys", "trustees", "election-hash"):
                r.skip(check, "key-ceremony.json cannot be read")
        else:
            with r.guard("verification-keys"):
                verified = steps.check_ceremony(r, ceremony, index.election_id, self.policy)
            if manifest is None:
                r.skip("election-hash", "manifest.json cannot be read")
            else:
                with r.guard("election-hash"):
                    ctx = steps.build_context(r, manifest, ceremony, index, self.policy)
        if ctx is None:
            for check in AFTER_CONTEXT:
                r.skip(check, "needs the election context (manifest and key)")
            return r.finish(index.election_id, index.state.value, self.outcomes)
        members = ctx.ceremony.committee.trustees if r.clean("trustees") else None
        if verified is None or members is None or shares is None:
            r.skip("test-decryption", "needs the checked ceremony, committee and shares.json")
        else:
            r.item("test-decryption", shares.election == ctx.hash, "shares of another election")
            with r.guard("test-decryption"):
                steps.check_test_shares(r, ctx, verified, members, shares.test)
        roll = None if credentials is None else frozenset(credentials.keys)
        board = self.first_pass(ctx, roll)
        if credentials is None:
            r.skip("credentials", "credentials.json cannot be read")
            r.skip("roll-signature", "credentials.json cannot be read")
        else:
            with r.guard("credentials"):
                steps.check_credentials(r, ctx, credentials, board.roll_payload)
            with r.guard("roll-signature"):
                committee_steps.check_roll_signature(r, ctx, credentials)
        self.check_receipts(ctx, board)
        counted = tally_pass.counted_set(r, board.counted, tally)
        packed_ok = False
        if tally is None:
            r.skip("encrypted-tally", "tally.json cannot be read")
        elif not board.complete:
            r.skip("encrypted-tally", "board segments cannot be read")
        else:
            with r.guard("encrypted-tally"):
                packed_ok = tally_pass.check_encrypted_tally(
                    r,
                    ctx,
                    archive=self.archive,
                    runner=self.runner,
                    ranges=board.ranges,
                    tally=tally,
                    counted=counted,
                    progress=self.progress,
                )
        decryption = None
        if index.state is RecordState.CLOSED:
            for check in COMMITTEE:
                r.not_applicable(check, "the record is of a closed election (no count yet)")
        elif tally is None or shares is None or members is None:
            for check in COMMITTEE:
                r.skip(check, "needs tally.json, shares.json and the committee")
        else:
            if not packed_ok:
                r.failed("tally-shares", "the packed tally they decrypt is not the board's")
            with r.guard("combination"):
                decryption = steps.check_count(
                    r,
                    ctx,
                    members=members,
                    shares=shares,
                    tally=tally,
                    counts=counts,
                    result=result,
                    minutes=minutes,
                    credentials=credentials,
                )
        if attestations is None:
            r.skip("close-attestations", "attestations.json cannot be read")
        else:
            with r.guard("close-attestations"):
                committee_steps.check_attestations(
                    r,
                    ctx,
                    attestations,
                    close=board.close() if board.complete else None,
                    state=index.state,
                    combined_by=() if decryption is None else decryption.combined_by,
                )
        if index.state is not RecordState.CLOSED:
            if minutes is not None:
                with r.guard("minutes"):
                    steps.check_minutes(r, ctx, minutes, board.size, board.head)
            elif not r.has_failed("minutes"):
                r.skip("minutes", "minutes.json cannot be read")
        return r.finish(index.election_id, index.state.value, self.outcomes)

    def check_receipts(self, ctx: ElectionContext, board: _Board) -> None:
        """``voter-receipts``: every receipt given, against the board (docs/record.md §6.3)."""
        if not self.watch.receipts:
            return
        rules = ctx.manifest.rules
        self.outcomes = self.watch.outcomes(
            election=ctx.hash,
            receipt_key=self.index.receipt_key,
            board_size=board.size,
            counted=board.counted,
            revote=(rules.revote if rules is not None else Revote.LAST_COUNTS).value,
        )
        for outcome in self.outcomes:
            self.r.item(
                "voter-receipts",
                outcome.ok,
                f"{outcome.label} (tracking code {outcome.tracking_code.hex()[:16]}…): "
                f"{outcome.detail}",
            )

    def segment_jobs(self, wire: ContextWire) -> Iterator[SegmentJob]:
        for name in self.archive.segment_names:
            try:
                raw = self.archive.read(name)
            except (KiemphieuCryptoError, RecordError) as exc:
                self.r.failed("files", str(exc))
                continue
            self.r.passed("files")
            yield SegmentJob(wire, self.index.receipt_key, name, raw)

    def first_pass(self, ctx: ElectionContext, roll: frozenset[bytes] | None) -> _Board:
        """The chain, the entries, receipts and ballots, segment by segment."""
        r = self.r
        board = _Board(head=genesis(ctx.hash))
        rules = ctx.manifest.rules
        refuse = rules is not None and rules.revote is Revote.REFUSE
        total = self.index.board_size
        for check in ("board", "receipts", "ballots", "eligibility", "counted-set"):
            r.run(check)
        if roll is None:
            r.skip("eligibility", "credentials.json cannot be read")
        for out in self.runner.map(check_segment, self.segment_jobs(ContextWire.of(ctx))):
            self.take_segment(ctx, board, out, roll, refuse)
            if self.progress is not None:
                self.progress("ballots", board.size, total)
        if board.size == 0:
            r.failed("board", "the board has no entry")
            board.complete = False
        elif board.closed_at != board.size - 1:
            r.failed("board", "the board does not end with its closing entry")
        r.item("index", board.size == self.index.board_size, "record.json: another board size")
        r.item("index", board.head == self.index.board_head, "record.json: another board head")
        return board

    def take_segment(
        self,
        ctx: ElectionContext,
        board: _Board,
        out: SegmentOutcome,
        roll: frozenset[bytes] | None,
        refuse: bool,
    ) -> None:
        r = self.r
        if out.decode_error is not None:
            r.failed("format", out.decode_error)
            r.failed("board", f"{out.name} cannot be decoded: the chain cannot be followed")
            board.complete = False
            return
        r.passed("format")
        r.item("board", out.election == ctx.hash, f"{out.name} is for another election")
        if out.start != board.size:
            r.failed("board", f"{out.name} starts at {out.start}, {board.size} expected")
            board.complete = False
            board.size = out.start
        board.ranges.append((out.name, out.start, len(out.entries)))
        for entry in out.entries:
            pos = entry.position
            problem = None
            link = next_head(ctx.hash, pos, entry.kind, entry.payload_hash, board.head)
            if pos != board.size:
                problem = f"entry {board.size} holds position {pos}"
            elif entry.head != link:
                problem = f"entry {pos}: the head does not follow from the chain"
            elif board.closed_at is not None:
                problem = f"entry {pos} follows the closing entry"
            elif (pos == 0) != (entry.kind is EntryKind.ROLL) or (pos == 1) != (
                entry.kind is EntryKind.OPEN
            ):
                problem = f"entry {pos}: a {entry.kind.value} entry (the roll is 0, the opening 1)"
            elif entry.kind in (EntryKind.OPEN, EntryKind.CLOSE) and entry.payload_hash != ctx.hash:
                problem = f"entry {pos}: the {entry.kind.value} entry is not bound to H_E"
            if entry.kind is EntryKind.CLOSE:
                board.closed_at = pos
            if entry.kind is EntryKind.ROLL and pos == 0:
                board.roll_payload = entry.payload_hash
            if entry.kind is EntryKind.BALLOT:
                board.ballots += 1
            self.watch.see(entry)
            r.item("board", problem is None, problem or "")
            board.head = entry.head
            board.size = pos + 1
        for message in out.shape_failures:
            r.failed("board", message)
        if out.receipts_passed:
            r.passed("receipts", out.receipts_passed)
        for message in out.receipt_failures:
            r.failed("receipts", message)
        for verdict in out.ballots:
            self.watch.see_ballot(verdict.position, verdict.credential)
            ok = verdict.error is None
            r.item("ballots", ok, f"position {verdict.position}: {verdict.error}")
            if roll is not None:
                on_roll = verdict.credential in roll
                r.item("eligibility", on_roll, f"position {verdict.position}: not on the roll")
            first = board.counted.get(verdict.credential)
            if first is not None and refuse:
                r.failed(
                    "counted-set",
                    f"positions {first} and {verdict.position}: two ballots of one credential "
                    "under the refuse rule",
                )
                continue
            board.counted[verdict.credential] = verdict.position
