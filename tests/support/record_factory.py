"""Test only: whole elections run in-process, written as valid election records.

Nothing here is shipped or used by an election: it holds the dealer's key
shares and every voter's credential, which no real party ever holds together.
It uses ``kiemphieu.crypto`` alone (no server) and follows the server's rules
(docs/spec.md §8.9–8.10): the roll and the opening, ballots with receipts,
a second ballot of a credential kept under ``last-counts`` and refused under
``refuse``, the close, the counted set, the encrypted tally and its packing,
tally shares from the chosen trustees and the combination by the t lowest
indices among them, the counts, the result (issued = credentials on the roll)
and the minutes' data.

API
---
:func:`write_record` runs a whole election and writes its archive::

    summary = write_record(held, manifest, casts, stream, RecordOptions(voters=6))

``held`` is a :class:`~support.committee.HeldCeremony` (the committee with its
secrets, the dealing and the key ceremony) for ``manifest.election_id`` whose
t and ℓ equal the manifest's rules;
``casts`` is a sequence of :class:`Cast` (voter number into the roll, votes as
for :func:`~kiemphieu.crypto.election.ballot.encrypt_ballot`) in board order;
``stream`` is any binary stream. The returned :class:`RecordSummary` holds the
index written, the context, the counted positions and (tallied) the counts
and result, so tests can compare.

For large records, :class:`RecordBuilder` does the same step by step and
holds no ballot in memory (only the last ciphertexts of each credential and
one segment being filled)::

    builder = RecordBuilder(held, manifest, stream, options)
    for voter, votes in ...:
        builder.cast(voter, votes)          # encrypts, proves, signs, posts
    # or builder.post(ballot) for a ballot made elsewhere (any Ballot whose
    # credential is builder.keys[i].public)
    summary = builder.finish()

:func:`with_rules` gives a manifest (e.g. tests/conftest.py ``make_manifest``,
which has none) the rules the server requires; :func:`confidence_manifest`
is the QĐ 96 manifest of tests/data/confidence.toml under another election id.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import secrets
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import nacl.signing

from kiemphieu.crypto import SPEC_VERSION, codec
from kiemphieu.crypto.election.attestation import BoardClose, attest
from kiemphieu.crypto.election.ballot import Ballot, Vote, encrypt_ballot, tracking_code
from kiemphieu.crypto.election.board import (
    BoardEntry,
    EntryKind,
    Receipt,
    genesis,
    next_head,
    roll_hash,
    sign_receipt,
)
from kiemphieu.crypto.election.committee import Trustee
from kiemphieu.crypto.election.context import ElectionContext
from kiemphieu.crypto.election.credential import CredentialKey, new_code
from kiemphieu.crypto.election.manifest import Manifest, QuestionKind
from kiemphieu.crypto.election.manifest_toml import manifest_from_toml
from kiemphieu.crypto.election.result import ElectionResult, compute_result
from kiemphieu.crypto.election.rules import Denominator, Fraction, Revote, Rules
from kiemphieu.crypto.election.tally import (
    EncryptedTally,
    QuestionTally,
    TallyCounts,
    pack,
    unpack,
)
from kiemphieu.crypto.election.trustee import SharePurpose, make_shares, verify_shares
from kiemphieu.crypto.primitives.combination import combine
from kiemphieu.crypto.primitives.paillier import KeyPolicy
from kiemphieu.crypto.primitives.threshold import Dealing
from kiemphieu.crypto.record.archive import (
    ATTESTATIONS,
    CEREMONY,
    COUNTS,
    CREDENTIALS,
    INDEX,
    MANIFEST,
    MINUTES,
    RESULT,
    SHARES,
    TALLY,
    RecordWriter,
    index_message,
)
from kiemphieu.crypto.record.documents import (
    SEGMENT_ENTRIES,
    AttestationList,
    BoardItem,
    BoardSegment,
    CredentialList,
    MinutesRecord,
    RecordFile,
    RecordIndex,
    RecordState,
    ShareList,
    TallyRecord,
)

from .committee import HeldCeremony

CONFIDENCE_TOML = Path(__file__).resolve().parent.parent / "data" / "confidence.toml"
EXPORTED_AT = "2026-11-27T13:00:00Z"
SOFTWARE = "kiemphieu test-record-factory"


@dataclass(frozen=True)
class Cast:
    """One ballot cast by voter number ``voter`` (an index into the roll as
    issued, not sorted) with ``votes`` (question id → vote)."""

    voter: int
    votes: Mapping[str, Vote]


@dataclass(frozen=True)
class RecordOptions:
    """How the election goes.

    ``voters``: credentials on the roll. ``state``: how far it went (closed:
    no tally shares, counts, result or minutes). ``decrypting``: the trustees
    who post tally shares (default the t first); the combination uses the t
    lowest of them. ``attesting``: the trustees who sign the close (default
    all ℓ). ``segment_entries``: board entries per segment file.
    """

    voters: int = 6
    state: RecordState = RecordState.TALLIED
    decrypting: tuple[int, ...] | None = None
    attesting: tuple[int, ...] | None = None
    segment_entries: int = SEGMENT_ENTRIES
    policy: KeyPolicy = KeyPolicy.TESTING
    exported_at: str = EXPORTED_AT
    software: str = SOFTWARE


@dataclass(frozen=True)
class RecordSummary:
    """What was written, for tests to compare with."""

    index: RecordIndex
    context: ElectionContext
    keys: tuple[CredentialKey, ...]
    trustees: tuple[Trustee, ...]
    receipts: tuple[Receipt, ...]
    refused: tuple[int, ...]
    """Numbers (in ``casts``) of the casts the board refused (``refuse`` rule)."""
    counted: tuple[int, ...]
    tally: EncryptedTally
    packed: tuple[int, ...]
    counts: TallyCounts | None
    result: ElectionResult | None
    combined_by: tuple[int, ...]
    server_seed: bytes = field(repr=False, default=b"")
    """The server's receipt seed, which signed the receipts and record.json."""


def reseal(data: bytes, changes: dict[str, bytes], server_seed: bytes | None) -> bytes:
    """The archive ``data`` with files replaced by ``changes``, the index's sizes
    and hashes following them and, when ``server_seed`` is given, record.json
    signed again: what a forger holding the server's key could publish, so a
    change reaches the semantic checks instead of the integrity or signature ones.
    ``changes`` may replace record.json itself (its fields, before relisting)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    files = {i.filename: src.read(i) for i in src.infolist()}
    files.update({k: v for k, v in changes.items() if k != INDEX})
    index = codec.loads(RecordIndex, changes.get(INDEX, files[INDEX]), max_bytes=1 << 28)
    listed = tuple(
        RecordFile(f.name, len(files[f.name]), hashlib.sha256(files[f.name]).digest())
        if f.name in changes and f.name in files
        else f
        for f in index.files
    )
    index = dataclasses.replace(index, files=listed)
    if server_seed is not None:
        unsigned = dataclasses.replace(index, signature=bytes(64))
        signature = nacl.signing.SigningKey(server_seed).sign(index_message(unsigned)).signature
        index = dataclasses.replace(unsigned, signature=bytes(signature))
    files[INDEX] = codec.dumps(index)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, raw in files.items():
            zf.writestr(name, raw)
    return out.getvalue()


def with_rules(
    manifest: Manifest,
    dealing: Dealing | HeldCeremony,
    *,
    revote: Revote = Revote.LAST_COUNTS,
    summoned: int = 12,
) -> Manifest:
    """``manifest`` with rules for ``dealing``'s committee: quorum 2/3 of
    ``summoned``, percentages of the ballots returned, no flags."""
    if isinstance(dealing, HeldCeremony):
        dealing = dealing.dealing
    rules = Rules(
        summoned=summoned,
        quorum=Fraction(2, 3),
        denominator=Denominator.RETURNED,
        thresholds=(),
        revote=revote,
        trustees=dealing.public.l,
        threshold=dealing.public.t,
    )
    return dataclasses.replace(manifest, rules=rules)


def confidence_manifest(
    election_id: str, dealing: Dealing | HeldCeremony, *, revote: Revote = Revote.LAST_COUNTS
) -> Manifest:
    """tests/data/confidence.toml (QĐ 96, two rows, two flags) for ``election_id``,
    with ``dealing``'s committee size and ``revote``."""
    if isinstance(dealing, HeldCeremony):
        dealing = dealing.dealing
    base = manifest_from_toml(CONFIDENCE_TOML.read_text(encoding="utf-8"))
    if base.rules is None:
        raise ValueError("confidence.toml has rules")
    rules = dataclasses.replace(
        base.rules, revote=revote, trustees=dealing.public.l, threshold=dealing.public.t
    )
    return dataclasses.replace(base, election_id=election_id, rules=rules)


@dataclass
class _Board:
    """The chain being built and the segment being filled."""

    election: bytes
    per_segment: int
    head: bytes = b""
    size: int = 0
    items: list[BoardItem] = field(default_factory=list)
    start: int = 0

    def append(self, kind: EntryKind, payload: bytes) -> BoardEntry:
        head = self.head or genesis(self.election)
        self.head = next_head(self.election, self.size, kind, payload, head)
        entry = BoardEntry(self.size, kind, payload, self.head)
        self.size += 1
        return entry


class RecordBuilder:
    """An election run step by step into a record (see the module docstring)."""

    def __init__(
        self,
        held: HeldCeremony,
        manifest: Manifest,
        stream: IO[bytes],
        options: RecordOptions | None = None,
        *,
        keys: Sequence[CredentialKey] | None = None,
        server_seed: bytes | None = None,
    ) -> None:
        """``keys`` and ``server_seed`` may be given to run a second board of
        the same election (what a server that shows two boards does)."""
        self.options = options or RecordOptions()
        rules = manifest.rules
        if rules is None:
            raise ValueError("the manifest needs rules (see with_rules)")
        dealing = held.dealing
        if (rules.trustees, rules.threshold) != (dealing.public.l, dealing.public.t):
            raise ValueError("the manifest's committee differs from the dealing's")
        if held.ceremony.election_id != manifest.election_id:
            raise ValueError("the key ceremony is for another election")
        self.held = held
        self.dealing = dealing
        self.manifest = manifest
        self.revote = rules.revote
        self.ctx = ElectionContext(manifest, held.ceremony, self.options.policy)
        self.writer = RecordWriter(stream)
        self.server_seed = server_seed or secrets.token_bytes(32)
        self.identity_seeds = tuple(m.identity_seed for m in held.committee.members)
        self.trustees = held.committee.trustees
        self.keys = (
            tuple(keys)
            if keys is not None
            else tuple(
                held.committee.credential(new_code(), manifest.election_id)
                for _ in range(self.options.voters)
            )
        )
        self.roll = tuple(sorted(k.public for k in self.keys))
        self._board = _Board(self.ctx.hash, self.options.segment_entries)
        self._receipts: list[Receipt] = []
        self._last: dict[bytes, tuple[int, tuple[tuple[int, ...], ...]]] = {}
        self._refused: list[int] = []
        self._ballot_entries = 0
        self._casts = 0
        self._closed = False
        self._item(self._board.append(EntryKind.ROLL, roll_hash(self.roll)), None, None)
        self._item(self._board.append(EntryKind.OPEN, self.ctx.hash), None, None)

    def _item(self, entry: BoardEntry, ballot: Ballot | None, receipt: Receipt | None) -> None:
        if entry.kind is EntryKind.BALLOT:
            self._ballot_entries += 1
        board = self._board
        board.items.append(BoardItem(entry, ballot, receipt))
        if len(board.items) == board.per_segment:
            self._flush()

    def _flush(self) -> None:
        board = self._board
        if board.items:
            self.writer.add_segment(BoardSegment(board.election, board.start, tuple(board.items)))
            board.start += len(board.items)
            board.items = []

    def cast(self, voter: int, votes: Mapping[str, Vote]) -> Receipt | None:
        """Encrypt, prove and sign ``votes`` with voter ``voter``'s credential and post it."""
        return self.post(encrypt_ballot(self.ctx, self.keys[voter], votes))

    def post(self, ballot: Ballot) -> Receipt | None:
        """Post a ballot as the server does after verifying it: a board entry and a
        signed receipt; None if the revote rule refuses it (``refuse``)."""
        number = self._casts
        self._casts += 1
        if self._closed:
            raise ValueError("the poll is closed")
        if ballot.credential in self._last and self.revote is Revote.REFUSE:
            self._refused.append(number)
            return None
        code = tracking_code(ballot)
        entry = self._board.append(EntryKind.BALLOT, code)
        receipt = sign_receipt(self.server_seed, self.ctx.hash, code, entry.position, entry.head)
        self._receipts.append(receipt)
        cts = tuple(a.ciphertexts for a in ballot.answers)
        self._last[ballot.credential] = (entry.position, cts)
        self._item(entry, ballot, receipt)
        return receipt

    def _encrypted_tally(self) -> tuple[tuple[int, ...], EncryptedTally]:
        n2 = self.ctx.public_key.n2
        questions = self.manifest.questions
        acc = [[1] * len(q.parts) for q in questions]
        for _, cts in self._last.values():
            for row, answer in zip(acc, cts, strict=True):
                for j, c in enumerate(answer):
                    row[j] = row[j] * c % n2
        counted = tuple(sorted(p for p, _ in self._last.values()))
        tally = EncryptedTally(
            self.ctx.hash,
            len(counted),
            tuple(QuestionTally(q.id, tuple(r)) for q, r in zip(questions, acc, strict=True)),
        )
        return counted, tally

    def finish(self) -> RecordSummary:
        """Close the poll, count, decrypt (if tallied) and write every file."""
        opts = self.options
        self._closed = True
        self._item(self._board.append(EntryKind.CLOSE, self.ctx.hash), None, None)
        self._flush()
        board_size, board_head = self._board.size, self._board.head
        h = self.ctx.hash
        w = self.writer
        w.add(MANIFEST, self.manifest)
        w.add(CEREMONY, self.held.ceremony)
        signed = self.held.committee.sign_roll(self.manifest.election_id, h, self.roll)
        w.add(CREDENTIALS, CredentialList(h, self.roll, signed))
        close = BoardClose(board_size, self._ballot_entries, roll_hash(self.roll), board_head)
        attesting = sorted(opts.attesting or range(1, len(self.trustees) + 1))
        w.add(
            ATTESTATIONS,
            AttestationList(
                h, tuple(attest(self.identity_seeds[i - 1], h, i, close) for i in attesting)
            ),
        )
        test = tuple(
            make_shares(share, seed, h, SharePurpose.TEST, (self.dealing.test_ciphertext,))
            for share, seed in zip(self.dealing.shares, self.identity_seeds, strict=True)
        )
        counted, tally = self._encrypted_tally()
        packed = pack(self.ctx, tally)
        w.add(TALLY, TallyRecord(h, counted, tally, packed))
        counts = result = None
        combined_by: tuple[int, ...] = ()
        tally_shares: tuple = ()
        if opts.state is not RecordState.CLOSED:
            key = self.dealing.public
            decrypting = sorted(opts.decrypting or range(1, key.t + 1))
            tally_shares = tuple(
                make_shares(
                    self.dealing.shares[i - 1],
                    self.identity_seeds[i - 1],
                    h,
                    SharePurpose.TALLY,
                    packed,
                )
                for i in decrypting
            )
            combined_by = tuple(decrypting[: key.t])
            verified = {
                doc.index: verify_shares(key, self.trustees[doc.index - 1], doc, h, packed)
                for doc in tally_shares
                if doc.index in combined_by
            }
            plaintexts = [
                combine(key, c, [verified[i][k] for i in combined_by]) for k, c in enumerate(packed)
            ]
            counts = unpack(self.ctx, tally.ballots, plaintexts)
            result = compute_result(self.manifest, counts, issued=len(self.roll))
            w.add(COUNTS, counts)
            w.add(RESULT, result)
            w.add(MINUTES, MinutesRecord(h, board_size, board_head, combined_by))
        w.add(SHARES, ShareList(h, test, tally_shares))
        index = w.finish(
            RecordIndex(
                spec_version=SPEC_VERSION,
                election_id=self.manifest.election_id,
                election=h,
                state=opts.state,
                exported_at=opts.exported_at,
                software=opts.software,
                receipt_key=bytes(nacl.signing.SigningKey(self.server_seed).verify_key),
                board_size=board_size,
                board_head=board_head,
                files=(),
                signature=bytes(64),
            ),
            self.server_seed,
        )
        return RecordSummary(
            index=index,
            context=self.ctx,
            keys=self.keys,
            trustees=self.trustees,
            receipts=tuple(self._receipts),
            refused=tuple(self._refused),
            counted=counted,
            tally=tally,
            packed=packed,
            counts=counts,
            result=result,
            combined_by=combined_by,
            server_seed=self.server_seed,
        )


def write_record(
    held: HeldCeremony,
    manifest: Manifest,
    casts: Iterable[Cast],
    stream: IO[bytes],
    options: RecordOptions | None = None,
) -> RecordSummary:
    """Run the election ``casts`` describe and write its record to ``stream``."""
    builder = RecordBuilder(held, manifest, stream, options)
    for cast in casts:
        builder.cast(cast.voter, cast.votes)
    return builder.finish()


def sample_casts(manifest: Manifest, voters: int, *, revotes: Sequence[int] = (0,)) -> list[Cast]:
    """One ballot per voter, with varied choices for every question kind of
    ``manifest``, then a second ballot of each voter in ``revotes``."""

    def votes(v: int) -> dict[str, Vote]:
        out: dict[str, Vote] = {}
        for q in manifest.questions:
            k = len(q.options)
            if q.kind is QuestionKind.CONFIDENCE:
                out[q.id] = tuple(
                    None if (v + r) % 5 == 4 else (v * 7 + r) % k for r in range(len(q.rows))
                )
            elif q.kind is QuestionKind.SINGLE:
                out[q.id] = None if q.blank and v % 4 == 3 else v % k
            else:
                size = q.min_choices + v % (q.max_choices - q.min_choices + 1)
                out[q.id] = frozenset((v + j) % k for j in range(size))
        return out

    casts = [Cast(v, votes(v)) for v in range(voters)]
    casts += [Cast(v, votes(v + 1)) for v in revotes]
    return casts


def record_bytes(
    held: HeldCeremony,
    manifest: Manifest,
    casts: Iterable[Cast],
    options: RecordOptions | None = None,
) -> tuple[bytes, RecordSummary]:
    """:func:`write_record` into memory: the archive's bytes and the summary."""
    buffer = io.BytesIO()
    summary = write_record(held, manifest, casts, buffer, options)
    return buffer.getvalue(), summary
