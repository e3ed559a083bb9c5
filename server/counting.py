"""After the close: the counted set, the encrypted tally, combination, the result.

No Flask here. The server recomputes the tally from its own board (every
ballot re-verified, batched) and publishes it with the packed ciphertexts;
trustees recompute it themselves before they decrypt. Once t valid tally
shares are in, the server combines them, unpacks with the public checks and
applies the manifest's rules.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import Connection, select
from sqlalchemy.exc import IntegrityError

from kiemphieu.crypto import codec
from kiemphieu.crypto.election.ballot import Ballot, VerifiedBallot, verify_ballots
from kiemphieu.crypto.election.board import EntryKind
from kiemphieu.crypto.election.context import ElectionContext
from kiemphieu.crypto.election.result import ElectionResult, compute_result
from kiemphieu.crypto.election.rules import Revote
from kiemphieu.crypto.election.tally import EncryptedTally, TallyCounts, accumulate, pack, unpack
from kiemphieu.crypto.election.trustee import SharePurpose, TrusteeShares, verify_shares
from kiemphieu.crypto.errors import KiemphieuCryptoError
from kiemphieu.crypto.primitives.combination import combine

from . import attestations, committee, elections
from .elections import State, audit
from .errors import ApiError, conflict
from .storage import schema
from .storage.database import Database, now


@dataclass(frozen=True)
class StoredTally:
    tally: EncryptedTally
    packed: tuple[int, ...]
    counted: tuple[int, ...]
    counts: TallyCounts | None
    result: ElectionResult | None


def counted_positions(entries: list[tuple[int, bytes]], revote: Revote) -> list[int]:
    """Board positions of the counted ballots: the last of each credential
    (``last-counts``) or its only one (``refuse``), in board order."""
    last: dict[bytes, int] = {}
    for position, credential in entries:
        if revote is Revote.REFUSE and credential in last:
            continue
        last[credential] = position
    return sorted(last.values())


def _load(conn: Connection, election_id: str) -> StoredTally | None:
    r = conn.execute(
        select(schema.tallies).where(schema.tallies.c.election_id == election_id)
    ).one_or_none()
    if r is None:
        return None
    return StoredTally(
        codec.loads(EncryptedTally, r.tally),
        tuple(int(x, 16) for x in json.loads(r.packed)),
        tuple(json.loads(r.counted)),
        codec.loads(TallyCounts, r.counts) if r.counts else None,
        codec.loads(ElectionResult, r.result) if r.result else None,
    )


def tally(db: Database, ctx: ElectionContext, election_id: str) -> StoredTally:
    """The stored tally, computing it when first asked for after the close (by
    a request, or by the build of the closed record that the close starts)."""
    with db.read() as conn:
        row = elections.get(conn, election_id)
        stored = _load(conn, election_id)
        if stored is not None:
            return stored
        if row.state is not State.CLOSED:
            raise conflict(
                "wrong-state", f"the tally exists once the poll is closed (now {row.state.value})"
            )
        rows = conn.execute(
            select(schema.board.c.position, schema.board.c.credential, schema.board.c.payload)
            .where(
                schema.board.c.election_id == election_id,
                schema.board.c.kind == EntryKind.BALLOT.value,
            )
            .order_by(schema.board.c.position)
        ).all()
    rules = row.manifest.rules
    revote = rules.revote if rules is not None else Revote.LAST_COUNTS
    counted = counted_positions([(int(r.position), bytes(r.credential)) for r in rows], revote)
    payload = {int(r.position): r.payload for r in rows}
    ballots = [codec.loads(Ballot, payload[p]) for p in counted]
    outcomes = verify_ballots(ctx, ballots)
    bad = [p for p, o in zip(counted, outcomes, strict=True) if not isinstance(o, VerifiedBallot)]
    if bad:
        raise ApiError(500, "board-invalid", f"ballots at positions {bad} no longer verify")
    enc = accumulate(ctx, [o for o in outcomes if isinstance(o, VerifiedBallot)])
    packed = pack(ctx, enc)
    try:
        with db.write() as conn:
            conn.execute(
                schema.tallies.insert().values(
                    election_id=election_id,
                    tally=codec.dumps(enc).decode("utf-8"),
                    packed=json.dumps([format(c, "x") for c in packed]),
                    counted=json.dumps(counted),
                    at=now(),
                )
            )
            audit(conn, election_id, "server", "tally", {"ballots": enc.ballots})
    except IntegrityError:  # another worker stored it first: same board, same tally
        pass
    with db.read() as conn:
        stored = _load(conn, election_id)
    if stored is None:  # pragma: no cover - inserted just above
        raise ApiError(500, "internal", "tally not stored")
    return stored


def post_tally_shares(
    db: Database, ctx: ElectionContext, election_id: str, doc: TrusteeShares
) -> StoredTally:
    """Record a trustee's tally shares; with t valid ones, combine, unpack, apply
    the rules and move the election to ``tallied``."""
    if doc.purpose is not SharePurpose.TALLY:
        raise ApiError(400, "malformed", "these are not tally shares", "purpose")
    stored = tally(db, ctx, election_id)
    with db.read() as conn:
        attested = {a.index for a in attestations.all_attestations(conn, election_id)}
    if doc.index not in attested:
        raise ApiError(
            409,
            "not-attested",
            f"trustee {doc.index} has not attested the closed board: a trustee decrypts only "
            "a board it attested (kiemphieu trustee attest)",
            "index",
        )
    committee.post_shares(db, ctx, election_id, doc, expected=stored.packed, state=State.CLOSED)
    with db.write() as conn:
        row = elections.get(conn, election_id, lock=True)
        posted = committee.valid_shares(conn, election_id, SharePurpose.TALLY)
        if row.state is not State.CLOSED or len(posted) < ctx.key.t:
            return _load(conn, election_id) or stored
        chosen = sorted(posted)[: ctx.key.t]
        try:
            members = {t.index: t for t in committee.trustees(conn, election_id)}
            verified = {
                i: verify_shares(ctx.key, members[i], posted[i], ctx.hash, stored.packed)
                for i in chosen
            }
            plaintexts = [
                combine(ctx.key, c, [verified[i][k] for i in chosen])
                for k, c in enumerate(stored.packed)
            ]
            counts = unpack(ctx, stored.tally.ballots, plaintexts)
            issued = elections.credential_count(conn, election_id)
            result = compute_result(row.manifest, counts, issued=issued)
        except KiemphieuCryptoError as exc:
            raise ApiError(500, "combination-failed", str(exc)) from exc
        conn.execute(
            schema.tallies.update()
            .where(schema.tallies.c.election_id == election_id)
            .values(
                counts=codec.dumps(counts).decode("utf-8"),
                result=codec.dumps(result).decode("utf-8"),
            )
        )
        conn.execute(
            schema.elections.update()
            .where(schema.elections.c.id == election_id)
            .values(state=State.TALLIED.value, updated_at=now())
        )
        audit(
            conn, election_id, "server", "combine", {"trustees": chosen, "ballots": counts.ballots}
        )
        return _load(conn, election_id) or stored
