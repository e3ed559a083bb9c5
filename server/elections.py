"""Elections: creation from a manifest, keys, lifecycle, audit log (no Flask here).

States: draft → keys-published → open → closed → tallied → published; every
other transition is refused. Every administrative action is written to the
public audit log in the same transaction as the change it records.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, func, select

from kiemphieu.crypto import codec
from kiemphieu.crypto.election.board import EntryKind, roll_hash
from kiemphieu.crypto.election.ceremony import (
    MAX_CEREMONY_BYTES,
    KeyCeremony,
    verify_key_ceremony,
)
from kiemphieu.crypto.election.context import ElectionContext, manifest_hash
from kiemphieu.crypto.election.manifest import IDENT, Manifest
from kiemphieu.crypto.errors import KiemphieuCryptoError
from kiemphieu.crypto.primitives.paillier import KeyPolicy

from . import board
from .errors import ApiError, bad_request, conflict, not_found
from .storage import schema
from .storage.database import Database, now


class State(StrEnum):
    DRAFT = "draft"
    KEYS_PUBLISHED = "keys-published"
    OPEN = "open"
    CLOSED = "closed"
    TALLIED = "tallied"
    PUBLISHED = "published"


NEXT: Mapping[State, State] = {
    State.DRAFT: State.KEYS_PUBLISHED,
    State.KEYS_PUBLISHED: State.OPEN,
    State.OPEN: State.CLOSED,
    State.CLOSED: State.TALLIED,
    State.TALLIED: State.PUBLISHED,
}


@dataclass(frozen=True)
class ElectionRow:
    """An election as stored."""

    id: str
    state: State
    manifest: Manifest
    ceremony: KeyCeremony | None
    board_size: int
    board_head: bytes | None
    created_at: str
    updated_at: str


def audit(
    conn: Connection, election_id: str | None, actor: str, action: str, detail: Mapping[str, Any]
) -> None:
    """Append one line to the public audit log (in the caller's transaction)."""
    conn.execute(
        schema.audit_log.insert().values(
            election_id=election_id,
            actor=actor,
            action=action,
            detail=json.dumps(dict(detail), sort_keys=True, ensure_ascii=False),
            at=now(),
        )
    )


@functools.lru_cache(maxsize=32)
def _manifest(text: str) -> Manifest:
    return codec.loads(Manifest, text)


@functools.lru_cache(maxsize=32)
def _ceremony(text: str) -> KeyCeremony:
    """Decoded once per process: a ceremony (~600 kB at 3072 bits with five
    trustees) is read on every cast and never changes once published; the
    values are immutable."""
    return codec.loads(KeyCeremony, text, max_bytes=MAX_CEREMONY_BYTES)


def _row(r: Any) -> ElectionRow:
    return ElectionRow(
        id=r.id,
        state=State(r.state),
        manifest=_manifest(r.manifest),
        ceremony=_ceremony(r.ceremony) if r.ceremony else None,
        board_size=r.board_size,
        board_head=r.board_head,
        created_at=r.created_at,
        updated_at=r.updated_at,
    )


def get(conn: Connection, election_id: str, *, lock: bool = False) -> ElectionRow:
    """The election, or ApiError 404; ``lock`` takes the row lock on PostgreSQL."""
    if IDENT.fullmatch(election_id) is None:  # never an id; and PostgreSQL refuses NUL in text
        raise not_found("election")
    q = select(schema.elections).where(schema.elections.c.id == election_id)
    if lock and conn.dialect.name == "postgresql":
        q = q.with_for_update()
    r = conn.execute(q).one_or_none()
    if r is None:
        raise not_found(f"election {election_id!r}")
    return _row(r)


def list_all(conn: Connection) -> list[ElectionRow]:
    rows = conn.execute(select(schema.elections).order_by(schema.elections.c.created_at)).all()
    return [_row(r) for r in rows]


def create(db: Database, manifest: Manifest, actor: str) -> ElectionRow:
    """Store a new election in draft; refuses an id already taken (409)."""
    if manifest.rules is None:
        raise bad_request("manifest-invalid", "the manifest needs [rules]", "rules")
    stamp = now()
    with db.write() as conn:
        exists = conn.execute(
            select(schema.elections.c.id).where(schema.elections.c.id == manifest.election_id)
        ).first()
        if exists:
            raise conflict(
                "election-exists", f"election {manifest.election_id!r} exists", "election_id"
            )
        conn.execute(
            schema.elections.insert().values(
                id=manifest.election_id,
                state=State.DRAFT.value,
                manifest=codec.dumps(manifest).decode("utf-8"),
                manifest_hash=manifest_hash(manifest),
                board_size=0,
                created_at=stamp,
                updated_at=stamp,
            )
        )
        audit(
            conn,
            manifest.election_id,
            actor,
            "create",
            {"manifest_hash": manifest_hash(manifest).hex()},
        )
        return get(conn, manifest.election_id)


def touch(conn: Connection, election_id: str) -> None:
    """Mark a change of a closed election's record contents (a new close
    attestation): ``updated_at`` moves, so the record is stamped anew and rebuilt."""
    conn.execute(
        schema.elections.update()
        .where(schema.elections.c.id == election_id)
        .values(updated_at=now())
    )


def _transition(conn: Connection, row: ElectionRow, to: State) -> None:
    if NEXT.get(row.state) is not to:
        raise conflict(
            "wrong-state", f"election is {row.state.value}; cannot move to {to.value}", "state"
        )
    conn.execute(
        schema.elections.update()
        .where(schema.elections.c.id == row.id)
        .values(state=to.value, updated_at=now())
    )


def publish_keys(
    db: Database,
    election_id: str,
    ceremony: KeyCeremony,
    policy: KeyPolicy,
    *,
    actor: str,
    committee: Callable[[Connection, KeyCeremony], None],
) -> ElectionRow:
    """Check the key ceremony (§11 steps 1–2) and move draft → keys-published;
    ``committee`` checks that it is dealt to the registered committee."""
    with db.write() as conn:
        row = get(conn, election_id, lock=True)
        if row.state is not State.DRAFT:
            raise conflict(
                "wrong-state", f"election is {row.state.value}; keys go in at draft", "state"
            )
        if ceremony.election_id != election_id:
            raise bad_request("ceremony-invalid", "ceremony is for another election", "election_id")
        rules = row.manifest.rules
        if rules is not None and (ceremony.key.t, ceremony.key.l) != (
            rules.threshold,
            rules.trustees,
        ):
            raise bad_request(
                "ceremony-invalid",
                f"key is {ceremony.key.t} of {ceremony.key.l}; the manifest says "
                f"{rules.threshold} of {rules.trustees}",
                "key",
            )
        committee(conn, ceremony)
        try:
            verified = verify_key_ceremony(ceremony, policy)
            ctx = ElectionContext(row.manifest, verified.ceremony, policy)
        except KiemphieuCryptoError as exc:
            raise bad_request("ceremony-invalid", str(exc), "key") from exc
        _transition(conn, row, State.KEYS_PUBLISHED)
        conn.execute(
            schema.elections.update()
            .where(schema.elections.c.id == election_id)
            .values(ceremony=codec.dumps(ceremony).decode("utf-8"), base_hash=ctx.hash)
        )
        audit(
            conn,
            election_id,
            actor,
            "publish-keys",
            {"base_hash": ctx.hash.hex(), "bits": ctx.key.n.bit_length()},
        )
        return get(conn, election_id)


def credential_count(conn: Connection, election_id: str) -> int:
    return int(
        conn.execute(
            select(func.count())
            .select_from(schema.credentials)
            .where(schema.credentials.c.election_id == election_id)
        ).scalar_one()
    )


def open_poll(
    db: Database,
    election_id: str,
    actor: str,
    ready: Callable[[Connection, ElectionRow], object],
    signed: Callable[[Connection, list[bytes]], object],
) -> ElectionRow:
    """keys-published → open: ``ready`` checks the committee (it raises if the
    trustees have not all passed the check), ``signed`` that the registrar
    signed exactly the listed credentials; the roll and the opening go on the
    board."""
    with db.write() as conn:
        row = get(conn, election_id, lock=True)
        _transition(conn, row, State.OPEN)
        ready(conn, row)
        keys = (
            conn.execute(
                select(schema.credentials.c.public_key).where(
                    schema.credentials.c.election_id == election_id
                )
            )
            .scalars()
            .all()
        )
        if not keys:
            raise conflict("no-credentials", "issue credentials before opening the poll")
        signed(conn, [bytes(k) for k in keys])
        base = base_hash(conn, election_id)
        board.append(conn, election_id, base, EntryKind.ROLL, roll_hash(keys))
        board.append(conn, election_id, base, EntryKind.OPEN, base)
        audit(conn, election_id, actor, "open", {"credentials": len(keys)})
        return get(conn, election_id)


def close_poll(db: Database, election_id: str, actor: str) -> ElectionRow:
    """open → closed: the closing goes on the board; no ballot is accepted after."""
    with db.write() as conn:
        row = get(conn, election_id, lock=True)
        _transition(conn, row, State.CLOSED)
        base = base_hash(conn, election_id)
        entry = board.append(conn, election_id, base, EntryKind.CLOSE, base)
        audit(
            conn,
            election_id,
            actor,
            "close",
            {"board_size": entry.position + 1, "head": entry.head.hex()},
        )
        return get(conn, election_id)


def base_hash(conn: Connection, election_id: str) -> bytes:
    h = conn.execute(
        select(schema.elections.c.base_hash).where(schema.elections.c.id == election_id)
    ).scalar_one()
    if h is None:
        raise ApiError(409, "no-keys", "the election has no published key")
    return bytes(h)


def context(row: ElectionRow, policy: KeyPolicy) -> ElectionContext:
    """The election context, for elections whose keys are published."""
    if row.ceremony is None:
        raise ApiError(409, "no-keys", "the election has no published key")
    return ElectionContext(row.manifest, row.ceremony, policy)


def publish_result(db: Database, election_id: str, actor: str) -> ElectionRow:
    """tallied → published: the result becomes the official one."""
    with db.write() as conn:
        row = get(conn, election_id, lock=True)
        _transition(conn, row, State.PUBLISHED)
        audit(conn, election_id, actor, "publish", {})
        return get(conn, election_id)
