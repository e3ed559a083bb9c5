"""Casting a ballot: decode, check eligibility, verify (batched), append, receipt.

No Flask here. A ballot already on the board returns its stored receipt and
changes nothing; a refused ballot changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection

from kiemphieu.crypto import codec
from kiemphieu.crypto.election.ballot import Ballot, tracking_code_of
from kiemphieu.crypto.election.board import BoardEntry, EntryKind, Receipt, sign_receipt
from kiemphieu.crypto.election.rules import Revote
from kiemphieu.crypto.errors import DecodeError, InvalidSignature, VerificationError

from . import board, elections, registry
from .batcher import Batcher
from .contexts import ContextCache
from .errors import ApiError, bad_request, conflict
from .identity import ServerIdentity
from .storage.database import Database


@dataclass(frozen=True)
class CastResult:
    receipt: Receipt
    created: bool


def decode_ballot(raw: bytes, max_bytes: int) -> Ballot:
    """Strict decoding; a 400 naming the field on any fault."""
    try:
        return codec.loads(Ballot, raw, max_bytes=max_bytes)
    except DecodeError as exc:
        raise bad_request("malformed", exc.message, exc.path) from exc


def _stored_receipt(entry: board.StoredEntry) -> Receipt:
    if entry.receipt is None:
        raise ApiError(500, "internal", "receipt missing for a stored ballot")
    return codec.loads(Receipt, entry.receipt)


def cast(
    db: Database,
    *,
    contexts: ContextCache,
    batcher: Batcher,
    identity: ServerIdentity,
    election_id: str,
    ballot: Ballot,
) -> CastResult:
    """Cast ``ballot`` in ``election_id``; see the module docstring."""
    payload_bytes = codec.dumps(ballot)  # encoded once: stored, and hashed for the code
    code = tracking_code_of(payload_bytes)
    with db.read() as conn:
        row = elections.get(conn, election_id)
        existing = board.find_ballot(conn, election_id, code)
        if existing is not None:
            return CastResult(_stored_receipt(existing), False)
        if row.state is not elections.State.OPEN:
            raise conflict("not-open", f"the poll is {row.state.value}, not open", "state")
        if not registry.is_listed(conn, election_id, ballot.credential):
            raise ApiError(
                403, "unknown-credential", "this credential is not on the list", "credential"
            )
    ctx = contexts.get(row)
    outcome = batcher.submit(ctx, ballot)
    if isinstance(outcome, VerificationError):
        code_name = "bad-signature" if isinstance(outcome, InvalidSignature) else "invalid-ballot"
        raise ApiError(422, code_name, str(outcome), "ballot")
    payload = payload_bytes.decode("utf-8")
    receipts: list[Receipt] = []

    def receipt_for(entry: BoardEntry) -> str:
        receipts.append(
            sign_receipt(identity.receipt_seed, ctx.hash, code, entry.position, entry.head)
        )
        return codec.dumps(receipts[-1]).decode("utf-8")

    def append(conn: Connection) -> CastResult:
        row = elections.get(conn, election_id, lock=True)
        existing = board.find_ballot(conn, election_id, code)
        if existing is not None:
            return CastResult(_stored_receipt(existing), False)
        if row.state is not elections.State.OPEN:
            raise conflict("not-open", f"the poll is {row.state.value}, not open", "state")
        rules = row.manifest.rules
        if (
            rules is not None
            and rules.revote is Revote.REFUSE
            and board.ballots_of(conn, election_id, ballot.credential)
        ):
            raise conflict("already-voted", "this credential has already voted", "credential")
        board.append(
            conn,
            election_id,
            ctx.hash,
            EntryKind.BALLOT,
            code,
            credential=ballot.credential,
            payload=payload,
            receipt=receipt_for,
        )
        return CastResult(receipts[-1], True)

    # Group commit: the receipt goes back only after the transaction holding
    # its entry has committed (docs/performance.md).
    return db.write_grouped(append)
