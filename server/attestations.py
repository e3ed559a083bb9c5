"""The trustees' close attestations, on the server (docs/spec.md §8.13). No Flask here.

After the close each trustee signs the board it recomputed (size, ballots,
roll hash, head). The server keeps an attestation only if it names the
server's own closed board: a trustee shown another board by an equivocating
server gets a 409 here, which is the evidence it needs.
"""

from __future__ import annotations

from sqlalchemy import Connection, select

from kiemphieu.crypto import codec
from kiemphieu.crypto.election.attestation import (
    AttestationError,
    BoardClose,
    CloseAttestation,
    verify_attestation,
)
from kiemphieu.crypto.election.board import EntryKind
from kiemphieu.crypto.election.context import ElectionContext

from . import board, elections
from .elections import State, audit
from .errors import ApiError, bad_request, conflict, not_found
from .storage import schema
from .storage.database import Database, now

AFTER_CLOSE = (State.CLOSED, State.TALLIED, State.PUBLISHED)


def all_attestations(conn: Connection, election_id: str) -> list[CloseAttestation]:
    """Every stored attestation, in index order."""
    rows = conn.execute(
        select(schema.attestations.c.doc)
        .where(schema.attestations.c.election_id == election_id)
        .order_by(schema.attestations.c.idx)
    ).scalars()
    return [codec.loads(CloseAttestation, doc) for doc in rows]


def board_close(conn: Connection, election_id: str) -> BoardClose:
    """The server's own closed board: size, ballots, roll hash, head."""
    row = elections.get(conn, election_id)
    if row.state not in AFTER_CLOSE or row.board_head is None:
        raise conflict("wrong-state", f"election is {row.state.value}; attest after the close")
    first = board.page(conn, election_id, 0, 1)
    if not first or first[0].entry.kind is not EntryKind.ROLL:  # pragma: no cover - opened
        raise ApiError(500, "board-invalid", "the board does not start with the roll")
    ballots, _ = board.turnout(conn, election_id)
    return BoardClose(row.board_size, ballots, first[0].entry.payload_hash, row.board_head)


def post_attestation(
    db: Database, ctx: ElectionContext, election_id: str, doc: CloseAttestation
) -> bool:
    """Verify and store trustee ``doc.index``'s attestation; True if it is new,
    False if the same was stored before. 409 if it names another board."""
    members = {t.index: t for t in ctx.ceremony.committee.trustees}
    member = members.get(doc.index)
    if member is None:
        raise not_found(f"trustee {doc.index}")
    try:
        verify_attestation(doc, member, ctx.hash)
    except AttestationError as exc:
        raise bad_request("bad-signature", str(exc), "signature") from exc
    with db.write() as conn:
        elections.get(conn, election_id, lock=True)
        close = board_close(conn, election_id)
        if doc.close != close:
            raise conflict(
                "other-board",
                f"this attestation names another board than the server's: {close.board_size} "
                f"entries, {close.ballots} ballots, head {close.head.hex()}",
                "head",
            )
        present = conn.execute(
            select(schema.attestations.c.doc).where(
                schema.attestations.c.election_id == election_id,
                schema.attestations.c.idx == doc.index,
            )
        ).scalar_one_or_none()
        if present is not None:
            return False  # the same board (it matched above), signed again
        conn.execute(
            schema.attestations.insert().values(
                election_id=election_id,
                idx=doc.index,
                doc=codec.dumps(doc).decode("utf-8"),
                at=now(),
            )
        )
        audit(conn, election_id, f"trustee-{doc.index}", "attest-close", {"head": doc.head.hex()})
        elections.touch(conn, election_id)  # the record holds the attestations
        return True
