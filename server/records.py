"""The election record of a closed election, built from the database (docs/record.md).

No Flask here. Once the poll is closed an election no longer changes but for
its state (closed → tallied → published), the trustees' tally shares (taken
only while closed, and in the record only from tallied on) and their close
attestations (each new one moves ``updated_at``), so the record is built once
per change and kept as a file under the server's data folder:
``DATA/records/<election id>/<state>-<stamp>.zip`` where the stamp hashes the
state and ``updated_at``. Requests only
look the file up (:func:`lookup`, never waiting); builds run in the background
(server/record_builder.py) with :func:`ensure_record`, which builds the file of
the current state and removes the stale ones. Building streams the board a
segment at a time into a temporary file (``.building-*.zip``) beside the target
and renames it into place, so a reader never sees half a record and no more
than one segment is in memory; an exclusive file lock keeps two workers from
building the same record at once, and whoever holds it removes the temporary
files a killed build left behind.

The bytes depend only on the database: ``exported_at`` is ``updated_at`` (not
the time of the request), so a record rebuilt after its file was lost is
byte-identical and keeps its ETag, and a record built before an attestation
arrived is never served as current after it.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import IO

import nacl.signing
from sqlalchemy import Connection

from kiemphieu.crypto import SPEC_VERSION
from kiemphieu.crypto.election.board import EntryKind, genesis
from kiemphieu.crypto.election.context import ElectionContext
from kiemphieu.crypto.election.trustee import SharePurpose
from kiemphieu.crypto.record import archive
from kiemphieu.crypto.record.documents import (
    SEGMENT_ENTRIES,
    AttestationList,
    CredentialList,
    MinutesRecord,
    RecordIndex,
    RecordState,
    ShareList,
    TallyRecord,
)

from . import attestations, board, committee, counting, elections, registry, roll
from .contexts import ContextCache
from .elections import ElectionRow, State
from .errors import ApiError, conflict
from .storage.database import Database

RECORD_STATES = {
    State.CLOSED: RecordState.CLOSED,
    State.TALLIED: RecordState.TALLIED,
    State.PUBLISHED: RecordState.PUBLISHED,
}
RECORDS_DIR = "records"
BUILDING_PREFIX = ".building-"
BuildHook = Callable[[str, RecordState], None]
"""Called by a build with the election id and state once its temporary file
exists, before anything is written (tests hold a build there)."""


@dataclass(frozen=True)
class PendingRecord:
    """The record of the election's current state is not built yet."""

    election_id: str
    state: RecordState
    board_size: int

    @property
    def retry_after(self) -> int:
        """Seconds a client should wait before asking again: 5 for a small
        board, up to 30 for a million entries (the build takes about an hour)."""
        return min(30, 5 + self.board_size // 40_000)


@dataclass(frozen=True)
class BuiltRecord:
    """A record file ready to serve; ``etag`` is the SHA-256 of its ``record.json``."""

    path: Path
    election_id: str
    state: RecordState
    etag: str
    size: int

    @property
    def download_name(self) -> str:
        return f"{self.election_id}-record.zip"


def software() -> str:
    try:
        return f"kiemphieu {version('kiemphieu')}"
    except PackageNotFoundError:  # pragma: no cover - run from a source tree
        return "kiemphieu 0+unknown"


def exported_at(row: ElectionRow) -> str:
    """When the election entered its current state or last took a close
    attestation, as ``YYYY-MM-DDTHH:MM:SSZ``."""
    stamp = datetime.fromisoformat(row.updated_at).astimezone(UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%SZ")


def _folder(data_dir: Path, election_id: str) -> Path:
    return data_dir / RECORDS_DIR / election_id


def _file_name(row: ElectionRow, state: RecordState) -> str:
    stamp = hashlib.sha256(f"{state.value}\n{row.updated_at}".encode()).hexdigest()[:16]
    return f"{state.value}-{stamp}.zip"


def record_state(row: ElectionRow) -> RecordState:
    """The record state for the election's state; 409 before the close."""
    found = RECORD_STATES.get(row.state)
    if found is None:
        raise conflict(
            "wrong-state",
            f"election is {row.state.value}; its record exists once the poll is closed",
            "state",
        )
    return found


def index_etag(path: Path) -> str:
    """The SHA-256 (hex) of the archive's ``record.json``."""
    with zipfile.ZipFile(path) as zf, zf.open(archive.INDEX) as f:
        return hashlib.sha256(f.read()).hexdigest()


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    fd = os.open(folder / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def lookup(db: Database, data_dir: Path, election_id: str) -> BuiltRecord | PendingRecord:
    """The record file of the election's current state if it is built, else
    what is pending; never builds nor waits. 404 for an unknown election, 409
    before the poll is closed."""
    for _ in range(2):
        with db.read() as conn:
            row = elections.get(conn, election_id)
        state = record_state(row)
        target = _folder(data_dir, row.id) / _file_name(row, state)
        if not target.is_file():
            return PendingRecord(row.id, state, row.board_size)
        try:
            return BuiltRecord(target, row.id, state, index_etag(target), target.stat().st_size)
        except FileNotFoundError:  # the state moved on and a build removed the file
            continue
    return PendingRecord(row.id, state, row.board_size)


def missing(db: Database, data_dir: Path) -> list[str]:
    """The elections in a state with a record whose file is not built."""
    with db.read() as conn:
        rows = elections.list_all(conn)
    return [
        row.id
        for row in rows
        if row.state in RECORD_STATES
        and not (_folder(data_dir, row.id) / _file_name(row, RECORD_STATES[row.state])).is_file()
    ]


def ensure_record(
    db: Database,
    contexts: ContextCache,
    receipt_seed: bytes,
    data_dir: Path,
    election_id: str,
    *,
    hook: BuildHook | None = None,
) -> BuiltRecord:
    """The record file of the election in its current state, built if missing
    (waiting for the lock while another worker builds it): for background
    builds and benchmarks, never a request. 404 for an unknown election, 409
    before the poll is closed."""
    try:
        return _ensure(db, contexts, receipt_seed, data_dir, election_id, hook=hook)
    except FileNotFoundError:  # the state moved on and another build removed the file
        return _ensure(db, contexts, receipt_seed, data_dir, election_id, hook=hook)


def _ensure(
    db: Database,
    contexts: ContextCache,
    receipt_seed: bytes,
    data_dir: Path,
    election_id: str,
    *,
    hook: BuildHook | None,
) -> BuiltRecord:
    with db.read() as conn:
        row = elections.get(conn, election_id)
    state = record_state(row)
    folder = _folder(data_dir, row.id)
    target = folder / _file_name(row, state)
    if not target.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        with _locked(folder):
            # Under the lock no build runs: a temporary file is a killed build's.
            for leftover in folder.glob(f"{BUILDING_PREFIX}*"):
                leftover.unlink(missing_ok=True)
            if not target.is_file():
                _build_into(
                    db,
                    contexts.get(row),
                    row,
                    state=state,
                    receipt_seed=receipt_seed,
                    target=target,
                    hook=hook,
                )
            for stale in folder.glob("*.zip"):
                if stale.name != target.name:
                    stale.unlink(missing_ok=True)
    return BuiltRecord(target, row.id, state, index_etag(target), target.stat().st_size)


def _build_into(
    db: Database,
    ctx: ElectionContext,
    row: ElectionRow,
    *,
    state: RecordState,
    receipt_seed: bytes,
    target: Path,
    hook: BuildHook | None,
) -> None:
    fd, tmp = tempfile.mkstemp(prefix=BUILDING_PREFIX, suffix=".zip", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            if hook is not None:
                hook(row.id, state)
            write_record(db, ctx, row, state=state, receipt_seed=receipt_seed, out=out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_record(
    db: Database,
    ctx: ElectionContext,
    row: ElectionRow,
    *,
    state: RecordState,
    receipt_seed: bytes,
    out: IO[bytes],
) -> RecordIndex:
    """Write the archive of ``row`` in ``state`` to the binary stream ``out``
    (docs/record.md §2–3); returns the index written."""
    if row.ceremony is None:  # pragma: no cover - every closed election has keys
        raise ApiError(409, "no-keys", "the election has no published key")
    stored = counting.tally(db, ctx, row.id)
    full = state is not RecordState.CLOSED
    if full and (stored.counts is None or stored.result is None):  # pragma: no cover
        raise ApiError(500, "internal", "a tallied election without its result")
    writer = archive.RecordWriter(out)
    h_e = ctx.hash
    with db.read() as conn:
        keys = registry.all_keys(conn, row.id)
        signed = roll.latest(conn, row.id)
        closing = attestations.all_attestations(conn, row.id)
        test = committee.valid_shares(conn, row.id, SharePurpose.TEST)
        tally = committee.valid_shares(conn, row.id, SharePurpose.TALLY) if full else {}
    if signed is None:  # pragma: no cover - the poll opened only with a signed roll
        raise ApiError(500, "roll-unsigned", "an opened election without a signed roll")
    writer.add(archive.MANIFEST, row.manifest)
    writer.add(archive.CEREMONY, row.ceremony)
    writer.add(archive.CREDENTIALS, CredentialList(h_e, tuple(keys), signed))
    writer.add(archive.ATTESTATIONS, AttestationList(h_e, tuple(closing)))
    del keys
    size, head = _write_board(db, row.id, h_e, writer)
    if size != row.board_size:  # pragma: no cover - the board is closed
        raise ApiError(500, "board-invalid", f"{size} board entries read, {row.board_size} listed")
    writer.add(
        archive.SHARES,
        ShareList(
            h_e, tuple(test[i] for i in sorted(test)), tuple(tally[i] for i in sorted(tally))
        ),
    )
    writer.add(archive.TALLY, TallyRecord(h_e, stored.counted, stored.tally, stored.packed))
    if full:
        writer.add(archive.COUNTS, stored.counts)
        writer.add(archive.RESULT, stored.result)
        # The server combined the t lowest indices among the valid tally shares
        # (server/counting.py); none can be added once the election is tallied.
        combined = tuple(sorted(tally)[: ctx.key.t])
        writer.add(archive.MINUTES, MinutesRecord(h_e, size, head, combined))
    return writer.finish(
        RecordIndex(
            spec_version=SPEC_VERSION,
            election_id=row.id,
            election=h_e,
            state=state,
            exported_at=exported_at(row),
            software=software(),
            receipt_key=bytes(nacl.signing.SigningKey(receipt_seed).verify_key),
            board_size=size,
            board_head=head,
            files=(),
            signature=archive.ZERO_SIGNATURE,
        ),
        receipt_seed,
    )


def _write_board(
    db: Database, election_id: str, h_e: bytes, writer: archive.RecordWriter
) -> tuple[int, bytes]:
    """Every board entry, a segment of SEGMENT_ENTRIES at a time, each read in
    its own short transaction; returns the board's size and head."""
    position = 0
    head = genesis(h_e)
    while True:
        with db.read() as conn:
            items = _segment_items(conn, election_id, position)
        if not items:
            return position, head
        writer.add_raw_segment(h_e, position, items)
        position += len(items)
        head = items[-1][0].head


def _segment_items(conn: Connection, election_id: str, start: int) -> list[archive.RawItem]:
    """The stored entries from ``start``, with the ballots and receipts as the
    canonical bytes casting stored (spliced into the segment, not decoded)."""
    items: list[archive.RawItem] = []
    for stored in board.page(conn, election_id, start, SEGMENT_ENTRIES):
        if stored.entry.position != start + len(items):
            raise ApiError(500, "board-invalid", f"board position {start + len(items)} missing")
        ballot = receipt = None
        if stored.entry.kind is EntryKind.BALLOT:
            if stored.payload is None or stored.receipt is None:
                raise ApiError(500, "board-invalid", f"ballot {stored.entry.position} incomplete")
            ballot, receipt = stored.payload.encode("utf-8"), stored.receipt.encode("utf-8")
        items.append((stored.entry, ballot, receipt))
    return items
