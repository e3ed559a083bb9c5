"""Trustees: post decryption shares (signed by their identity keys, with proofs)."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from kiemphieu.crypto.election.attestation import CloseAttestation
from kiemphieu.crypto.election.trustee import SharePurpose, TrusteeShares

from .. import attestations, committee, counting, elections
from ..elections import State
from ..errors import ApiError, bad_request
from ..services import services
from .common import client_key, decode_body

blueprint = Blueprint("trustee", __name__, url_prefix="/api/trustee")


def _limited() -> None:
    wait = services().admin_limiter.allow(client_key())
    if wait is not None:
        raise ApiError(429, "rate-limited", f"too many requests; retry in {wait:.0f} s")


@blueprint.post("/elections/<election_id>/test-shares")
def post_test_shares(election_id: str) -> tuple[Response, int]:
    """Body: ``trustee-shares`` of the ceremony's test ciphertext (purpose ``test``)."""
    _limited()
    svc = services()
    doc = decode_body(TrusteeShares)
    if doc.purpose is not SharePurpose.TEST:
        raise bad_request("malformed", "these are not test shares", "purpose")
    with svc.db.read() as conn:
        row = elections.get(conn, election_id)
    ctx = svc.contexts.get(row)
    if row.ceremony is None:  # pragma: no cover - contexts.get raised already
        raise ApiError(409, "no-keys", "the election has no published key")
    expected = (row.ceremony.test_ciphertext,)
    committee.post_shares(
        svc.db, ctx, election_id, doc, expected=expected, state=State.KEYS_PUBLISHED
    )
    return jsonify({"index": doc.index, "valid": True}), 201


@blueprint.post("/elections/<election_id>/tally-shares")
def post_tally_shares(election_id: str) -> tuple[Response, int]:
    """Body: ``trustee-shares`` of the packed tally (purpose ``tally``)."""
    _limited()
    svc = services()
    doc = decode_body(TrusteeShares)
    with svc.db.read() as conn:
        row = elections.get(conn, election_id)
    stored = counting.post_tally_shares(svc.db, svc.contexts.get(row), election_id, doc)
    if stored.result is not None:  # combined and committed: the tallied record starts building
        svc.record_builder.request(election_id)
    return jsonify({"index": doc.index, "valid": True, "combined": stored.result is not None}), 201


@blueprint.post("/elections/<election_id>/attestations")
def post_attestation(election_id: str) -> tuple[Response, int]:
    """Body: a trustee's ``close-attestation`` of the closed board. 201 when new,
    200 when the same trustee attested the same board before; 409 if it names
    another board than the server's."""
    _limited()
    svc = services()
    doc = decode_body(CloseAttestation)
    with svc.db.read() as conn:
        row = elections.get(conn, election_id)
    new = attestations.post_attestation(svc.db, svc.contexts.get(row), election_id, doc)
    if new:  # committed: the record, which lists the attestations, is built again
        svc.record_builder.request(election_id)
    return jsonify({"index": doc.index, "head": doc.head.hex()}), 201 if new else 200
