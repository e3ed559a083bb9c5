"""The counting committee on the server: trustees, test decryption, tally shares.

No Flask here, and no key share ever: trustees post decryption shares with
proofs, signed by their identity keys; the server verifies and records them
(valid or not), and combines as soon as t valid tally shares exist.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, select

from kiemphieu.crypto import codec
from kiemphieu.crypto.election.attestation import CloseAttestation, attestation_message
from kiemphieu.crypto.election.ceremony import (
    KeyCeremony,
    VerifiedKeyCeremony,
    check_test_decryption,
    verify_key_ceremony,
)
from kiemphieu.crypto.election.committee import Committee, Trustee, verify_card
from kiemphieu.crypto.election.context import ElectionContext
from kiemphieu.crypto.election.credential import verify_signature
from kiemphieu.crypto.election.trustee import (
    SharePurpose,
    TrusteeShares,
    shares_message,
    verify_shares,
)
from kiemphieu.crypto.errors import KiemphieuCryptoError, VerificationError
from kiemphieu.crypto.primitives.combination import VerifiedDecryptionShare
from kiemphieu.crypto.primitives.paillier import KeyPolicy

from . import elections, roll
from .elections import State, audit
from .errors import ApiError, bad_request, conflict, not_found
from .storage import schema
from .storage.database import Database, now


def trustees(conn: Connection, election_id: str) -> list[Trustee]:
    rows = conn.execute(
        select(schema.trustees.c.doc)
        .where(schema.trustees.c.election_id == election_id)
        .order_by(schema.trustees.c.idx)
    ).scalars()
    return [codec.loads(Trustee, doc) for doc in rows]


def add_trustee(
    db: Database, election_id: str, trustee: Trustee, actor: str, policy: KeyPolicy
) -> list[Trustee]:
    """Register a committee member (draft only: shares are sealed to these keys)
    whose card is signed by its identity key, with ring-Pedersen parameters and
    Π^prm valid under ``policy`` (400 otherwise)."""
    try:
        verify_card(trustee, policy)
    except KiemphieuCryptoError as exc:
        raise bad_request("bad-card", str(exc), "signature") from exc
    with db.write() as conn:
        row = elections.get(conn, election_id, lock=True)
        if row.state is not State.DRAFT:
            raise conflict(
                "wrong-state", "trustees are registered before the key ceremony", "state"
            )
        rules = row.manifest.rules
        size = rules.trustees if rules is not None else 0
        if not 1 <= trustee.index <= size:
            raise bad_request("bad-index", f"trustee index must be in 1..{size}", "index")
        present = trustees(conn, election_id)
        if any(t.index == trustee.index for t in present):
            raise conflict("trustee-exists", f"trustee {trustee.index} is registered", "index")
        if any(t.identity_key == trustee.identity_key for t in present):
            raise conflict("trustee-exists", "this identity key is registered", "identity_key")
        if any(t.encryption_key == trustee.encryption_key for t in present):
            # two key shares sealed to one key would let one holder open both
            raise conflict("trustee-exists", "this encryption key is registered", "encryption_key")
        conn.execute(
            schema.trustees.insert().values(
                election_id=election_id,
                idx=trustee.index,
                identity_key=trustee.identity_key,
                doc=codec.dumps(trustee).decode("utf-8"),
                added_at=now(),
            )
        )
        audit(
            conn, election_id, actor, "add-trustee", {"index": trustee.index, "name": trustee.name}
        )
        return trustees(conn, election_id)


def _record(conn: Connection, election_id: str, doc: TrusteeShares, error: str | None) -> None:
    conn.execute(
        schema.trustee_shares.insert().values(
            election_id=election_id,
            idx=doc.index,
            purpose=doc.purpose.value,
            doc=codec.dumps(doc).decode("utf-8"),
            valid=error is None,
            error=error,
            at=now(),
        )
    )


def valid_shares(
    conn: Connection, election_id: str, purpose: SharePurpose
) -> dict[int, TrusteeShares]:
    """The first valid document of each trustee for ``purpose``."""
    rows = conn.execute(
        select(schema.trustee_shares.c.idx, schema.trustee_shares.c.doc)
        .where(
            schema.trustee_shares.c.election_id == election_id,
            schema.trustee_shares.c.purpose == purpose.value,
            schema.trustee_shares.c.valid.is_(True),
        )
        .order_by(schema.trustee_shares.c.id)
    ).all()
    out: dict[int, TrusteeShares] = {}
    for idx, doc in rows:
        out.setdefault(int(idx), codec.loads(TrusteeShares, doc))
    return out


def share_log(conn: Connection, election_id: str) -> list[dict[str, Any]]:
    """Every posted share document, valid or not, for the public record."""
    rows = conn.execute(
        select(schema.trustee_shares)
        .where(schema.trustee_shares.c.election_id == election_id)
        .order_by(schema.trustee_shares.c.id)
    ).all()
    return [
        {
            "index": r.idx,
            "purpose": r.purpose,
            "valid": bool(r.valid),
            "error": r.error,
            "at": r.at,
            "shares": json.loads(r.doc),
        }
        for r in rows
    ]


def registered_committee(conn: Connection, election_id: str) -> Committee:
    """The committee as registered: trustees in index order and the registrar;
    409 when the registrar is missing."""
    card = roll.registrar(conn, election_id)
    if card is None:
        raise conflict("no-registrar", "register the registrar's card before the key ceremony")
    return Committee(tuple(trustees(conn, election_id)), card)


def check_ceremony_committee(conn: Connection, election_id: str, ceremony: KeyCeremony) -> None:
    """The key ceremony is dealt to exactly the registered committee (400 otherwise)."""
    expected = registered_committee(conn, election_id)
    if ceremony.committee != expected:
        raise bad_request(
            "ceremony-invalid",
            "the key ceremony's committee is not the registered trustees and registrar",
            "committee",
        )


def signed_by_member(
    conn: Connection, election_id: str, doc: TrusteeShares | CloseAttestation
) -> bool:
    """The document's signature is that of the registered member at its index
    (only the signature: the cheap check that decides rate limiting)."""
    for t in trustees(conn, election_id):
        if t.index == doc.index:
            message = (
                shares_message(doc) if isinstance(doc, TrusteeShares) else attestation_message(doc)
            )
            try:
                verify_signature(t.identity_key, message, doc.signature)
            except VerificationError:
                return False
            return True
    return False


def _trustee(conn: Connection, election_id: str, index: int) -> Trustee:
    for t in trustees(conn, election_id):
        if t.index == index:
            return t
    raise not_found(f"trustee {index}")


def post_shares(
    db: Database,
    ctx: ElectionContext,
    election_id: str,
    doc: TrusteeShares,
    *,
    expected: tuple[int, ...],
    state: State,
) -> tuple[VerifiedDecryptionShare, ...]:
    """Verify and record a trustee's shares of ``expected``; a refused document is
    recorded as invalid and answered with 422. Returns the verified shares.

    Idempotent: a trustee that already posted valid shares for this purpose
    and posts valid shares again (a retry after a lost answer) gets the same
    answer, whatever the state now, and nothing more is stored."""
    with db.write() as conn:
        row = elections.get(conn, election_id, lock=True)
        trustee = _trustee(conn, election_id, doc.index)
        again = doc.index in valid_shares(conn, election_id, doc.purpose)
        if row.state is not state and not again:
            raise conflict(
                "wrong-state", f"election is {row.state.value}; shares go in when {state.value}"
            )
        try:
            verified = verify_shares(ctx.key, trustee, doc, ctx.hash, expected)
        except VerificationError as exc:
            _record(conn, election_id, doc, str(exc))
            audit(
                conn,
                election_id,
                f"trustee-{doc.index}",
                f"{doc.purpose.value}-shares-invalid",
                {"error": str(exc)},
            )
            error: VerificationError | None = exc
        else:
            if not again:
                _record(conn, election_id, doc, None)
                audit(conn, election_id, f"trustee-{doc.index}", f"{doc.purpose.value}-shares", {})
            error = None
    if error is not None:
        raise ApiError(422, "invalid-shares", str(error), "shares")
    return verified


def ready_to_open(
    conn: Connection, row: elections.ElectionRow, ctx: ElectionContext
) -> VerifiedKeyCeremony:
    """Every trustee registered and checked: all ℓ test shares valid and every
    t-subset decrypts the test ciphertext. Raises 409 naming what is missing."""
    if row.ceremony is None:
        raise conflict("no-keys", "the election has no published key")
    members = trustees(conn, row.id)
    if len(members) != ctx.key.l:
        raise conflict("trustees-missing", f"{len(members)} of {ctx.key.l} trustees registered")
    posted = valid_shares(conn, row.id, SharePurpose.TEST)
    missing = sorted({t.index for t in members} - set(posted))
    if missing:
        raise conflict("trustees-unchecked", f"trustees {missing} have not passed the check")
    try:
        ceremony = verify_key_ceremony(row.ceremony, ctx.policy)
        check_test_decryption(ceremony, [posted[i].shares[0] for i in sorted(posted)], ctx.hash)
    except KiemphieuCryptoError as exc:
        raise conflict("test-decryption-failed", str(exc)) from exc
    return ceremony
