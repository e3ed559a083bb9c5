"""The registrar and the roll it signs, on the server (docs/spec.md §8.12). No Flask here.

The server stores the registrar's card (registered at draft, bound into H_E
by the key ceremony) and the registrar's signatures on the roll. It cannot
sign a roll itself: the poll opens only when the latest signature covers
exactly the credentials listed, and every checker verifies that signature.
"""

from __future__ import annotations

from sqlalchemy import Connection, select

from kiemphieu.crypto import codec
from kiemphieu.crypto.election.board import roll_hash
from kiemphieu.crypto.election.committee import CommitteeError, Registrar, verify_registrar
from kiemphieu.crypto.election.roll import RollMismatch, SignedRoll, verify_roll_signature

from . import elections, registry
from .elections import State, audit
from .errors import ApiError, bad_request, conflict
from .storage import schema
from .storage.database import Database, now


def registrar(conn: Connection, election_id: str) -> Registrar | None:
    doc = conn.execute(
        select(schema.registrars.c.doc).where(schema.registrars.c.election_id == election_id)
    ).scalar_one_or_none()
    return None if doc is None else codec.loads(Registrar, doc)


def set_registrar(db: Database, election_id: str, card: Registrar, actor: str) -> Registrar:
    """Register the registrar's card (draft only: the key ceremony binds it).
    The same card again is accepted; another one is refused (409)."""
    try:
        verify_registrar(card)
    except CommitteeError as exc:
        raise bad_request("bad-signature", str(exc), "signature") from exc
    with db.write() as conn:
        row = elections.get(conn, election_id, lock=True)
        present = registrar(conn, election_id)
        if present == card:
            return card
        if row.state is not State.DRAFT:
            raise conflict(
                "wrong-state", "the registrar is registered before the key ceremony", "state"
            )
        if present is not None:
            raise conflict("registrar-exists", "the election has another registrar", "identity_key")
        conn.execute(
            schema.registrars.insert().values(
                election_id=election_id, doc=codec.dumps(card).decode("utf-8"), added_at=now()
            )
        )
        audit(conn, election_id, actor, "set-registrar", {"name": card.name})
        return card


def latest(conn: Connection, election_id: str) -> SignedRoll | None:
    """The registrar's latest signature on the roll, if any."""
    doc = conn.execute(
        select(schema.signed_rolls.c.doc)
        .where(schema.signed_rolls.c.election_id == election_id)
        .order_by(schema.signed_rolls.c.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    return None if doc is None else codec.loads(SignedRoll, doc)


def post_signed_roll(db: Database, election_id: str, signed: SignedRoll, actor: str) -> int:
    """Store the registrar's signature on the roll as it is now (count and hash
    must match the listed keys). The signature binds H_E, so it is taken only
    once the key ceremony is published and before the poll opens. Returns the count."""
    with db.write() as conn:
        row = elections.get(conn, election_id, lock=True)
        if row.state is State.DRAFT:
            raise conflict(
                "wrong-state",
                "the registrar signs the roll after the key ceremony (the signature binds it)",
                "state",
            )
        if row.state is not State.KEYS_PUBLISHED:
            raise conflict(
                "wrong-state", f"election is {row.state.value}; the roll is closed", "state"
            )
        card = registrar(conn, election_id)
        if card is None:
            raise conflict("no-registrar", "register the registrar's card first")
        try:
            verify_roll_signature(signed, card, election_id, elections.base_hash(conn, election_id))
        except RollMismatch as exc:
            raise bad_request("bad-signature", str(exc), "signature") from exc
        keys = registry.all_keys(conn, election_id)
        if signed.count != len(keys) or signed.roll_hash != roll_hash(keys):
            raise conflict(
                "roll-differs",
                f"the signature covers {signed.count} credentials; {len(keys)} are listed, "
                "and their roll hash differs",
                "roll_hash",
            )
        if latest(conn, election_id) != signed:
            conn.execute(
                schema.signed_rolls.insert().values(
                    election_id=election_id, doc=codec.dumps(signed).decode("utf-8"), at=now()
                )
            )
            audit(conn, election_id, actor, "sign-roll", {"count": signed.count})
        return signed.count


def check_signed(conn: Connection, election_id: str, keys: list[bytes]) -> SignedRoll:
    """The latest signature covers exactly ``keys`` (the poll may open); 409 otherwise."""
    signed = latest(conn, election_id)
    if signed is None:
        raise conflict("roll-unsigned", "the registrar has not signed the roll")
    if signed.count != len(keys) or signed.roll_hash != roll_hash(keys):
        raise ApiError(
            409,
            "roll-unsigned",
            f"the registrar signed a roll of {signed.count} credentials; {len(keys)} are "
            "listed now: the registrar must sign the roll again (kiemphieu credentials sign)",
        )
    return signed
