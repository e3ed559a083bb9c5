"""The credential list of an election: public keys only (no Flask here).

The registrar's tool makes the codes and sends only their Ed25519 public
keys; the server never sees a code. The list is closed when the poll opens.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, select

from .elections import State, audit, get
from .errors import bad_request, conflict
from .storage import schema
from .storage.database import Database, now

MAX_BATCH = 10_000


def add(db: Database, election_id: str, keys: Sequence[bytes], actor: str) -> int:
    """Add public keys (refused once the poll is open); returns the new total.

    A key already listed is refused (409) so a registrar notices a duplicate
    batch; nothing of a refused batch is stored.
    """
    if not keys:
        raise bad_request("empty", "no credentials given", "credentials")
    if len(keys) > MAX_BATCH:
        raise bad_request("too-many", f"at most {MAX_BATCH} credentials per request", "credentials")
    if len(set(keys)) != len(keys):
        raise bad_request("duplicate", "the batch lists a key twice", "credentials")
    stamp = now()
    with db.write() as conn:
        row = get(conn, election_id, lock=True)
        if row.state not in (State.DRAFT, State.KEYS_PUBLISHED):
            raise conflict(
                "wrong-state", f"election is {row.state.value}; the roll is closed", "state"
            )
        listed = set(
            conn.execute(
                select(schema.credentials.c.public_key).where(
                    schema.credentials.c.election_id == election_id,
                    schema.credentials.c.public_key.in_(list(keys)),
                )
            ).scalars()
        )
        if listed:
            raise conflict(
                "duplicate", f"{len(listed)} of these keys are already listed", "credentials"
            )
        conn.execute(
            schema.credentials.insert(),
            [{"election_id": election_id, "public_key": k, "added_at": stamp} for k in keys],
        )
        total = len(
            conn.execute(
                select(schema.credentials.c.public_key).where(
                    schema.credentials.c.election_id == election_id
                )
            ).all()
        )
        manifest_max = row.manifest.max_ballots
        if total > manifest_max:
            raise conflict("too-many", f"more credentials than the counters hold ({manifest_max})")
        audit(conn, election_id, actor, "add-credentials", {"added": len(keys), "total": total})
        return total


def is_listed(conn: Connection, election_id: str, key: bytes) -> bool:
    return (
        conn.execute(
            select(schema.credentials.c.public_key).where(
                schema.credentials.c.election_id == election_id,
                schema.credentials.c.public_key == key,
            )
        ).first()
        is not None
    )


def all_keys(conn: Connection, election_id: str) -> list[bytes]:
    return [
        bytes(k)
        for k in conn.execute(
            select(schema.credentials.c.public_key)
            .where(schema.credentials.c.election_id == election_id)
            .order_by(schema.credentials.c.public_key)
        ).scalars()
    ]
