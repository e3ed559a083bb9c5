"""The append-only board of each election (no Flask here; docs/spec.md §8.9).

Appends happen inside the caller's write transaction, which holds the
election's lock (BEGIN IMMEDIATE on SQLite, a row lock on PostgreSQL), so
positions are dense and every head follows from the one before.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, select

from kiemphieu.crypto.election.board import BoardEntry, EntryKind, genesis, next_head

from .storage import schema
from .storage.database import now


@dataclass(frozen=True)
class StoredEntry:
    """A board entry with what the server keeps beside it."""

    entry: BoardEntry
    credential: bytes | None
    payload: str | None
    receipt: str | None
    at: str


def head(conn: Connection, election_id: str, base_hash: bytes) -> tuple[int, bytes]:
    """(size, head) of the board: the genesis head for an empty board."""
    row = conn.execute(
        select(schema.elections.c.board_size, schema.elections.c.board_head).where(
            schema.elections.c.id == election_id
        )
    ).one()
    return int(row.board_size), bytes(row.board_head) if row.board_head else genesis(base_hash)


def append(
    conn: Connection,
    election_id: str,
    base_hash: bytes,
    kind: EntryKind,
    payload_hash: bytes,
    *,
    credential: bytes | None = None,
    payload: str | None = None,
    receipt: Callable[[BoardEntry], str] | None = None,
) -> BoardEntry:
    """Append one entry and move the election's head; returns the entry.

    ``receipt`` makes the receipt text from the new entry, stored with it."""
    size, previous = head(conn, election_id, base_hash)
    new_head = next_head(base_hash, size, kind, payload_hash, previous)
    entry = BoardEntry(size, kind, payload_hash, new_head)
    conn.execute(
        schema.board.insert().values(
            election_id=election_id,
            position=size,
            kind=kind.value,
            payload_hash=payload_hash,
            head=new_head,
            credential=credential,
            payload=payload,
            receipt=receipt(entry) if receipt is not None else None,
            at=now(),
        )
    )
    conn.execute(
        schema.elections.update()
        .where(schema.elections.c.id == election_id)
        .values(board_size=size + 1, board_head=new_head)
    )
    return entry


def _stored(r: Any) -> StoredEntry:
    entry = BoardEntry(int(r.position), EntryKind(r.kind), bytes(r.payload_hash), bytes(r.head))
    return StoredEntry(
        entry, bytes(r.credential) if r.credential else None, r.payload, r.receipt, r.at
    )


def page(conn: Connection, election_id: str, start: int, limit: int) -> list[StoredEntry]:
    """Entries start..start+limit−1 in order."""
    rows = conn.execute(
        select(schema.board)
        .where(schema.board.c.election_id == election_id, schema.board.c.position >= start)
        .order_by(schema.board.c.position)
        .limit(limit)
    ).all()
    return [_stored(r) for r in rows]


def find_ballot(conn: Connection, election_id: str, code: bytes) -> StoredEntry | None:
    """The ballot entry with this tracking code, if any."""
    r = conn.execute(
        select(schema.board).where(
            schema.board.c.election_id == election_id,
            schema.board.c.kind == EntryKind.BALLOT.value,
            schema.board.c.payload_hash == code,
        )
    ).one_or_none()
    return _stored(r) if r is not None else None


def ballots_of(conn: Connection, election_id: str, credential: bytes) -> int:
    """How many ballots this credential has on the board."""
    return int(
        conn.execute(
            select(func.count())
            .select_from(schema.board)
            .where(
                schema.board.c.election_id == election_id,
                schema.board.c.credential == credential,
            )
        ).scalar_one()
    )


def turnout(conn: Connection, election_id: str) -> tuple[int, int]:
    """(ballots on the board, distinct credentials that voted)."""
    row = conn.execute(
        select(func.count(), func.count(func.distinct(schema.board.c.credential))).where(
            schema.board.c.election_id == election_id, schema.board.c.kind == EntryKind.BALLOT.value
        )
    ).one()
    return int(row[0]), int(row[1])
