"""Trustees: post decryption shares (signed by their identity keys, with proofs)."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from kiemphieu.crypto.election.attestation import CloseAttestation
from kiemphieu.crypto.election.trustee import SharePurpose, TrusteeShares

from .. import attestations, committee, counting, elections
from ..elections import State
from ..errors import ApiError, bad_request, rate_limited
from ..services import services
from .common import client_key, decode_body

blueprint = Blueprint("trustee", __name__, url_prefix="/api/trustee")


def _guard(election_id: str, doc: TrusteeShares | CloseAttestation) -> None:
    """A document signed by the committee member it names is never rate-limited;
    any other counts as a refusal of its client address, and past the limit is
    refused with 429 before it costs a proof check (server/ratelimit.py)."""
    svc = services()
    with svc.db.read() as conn:
        signed = committee.signed_by_member(conn, election_id, doc)
    if signed:
        return
    limiter = svc.admin_limiter
    wait = limiter.blocked(client_key())
    if wait is not None:
        raise rate_limited(wait)
    limiter.refuse(client_key())


@blueprint.post("/elections/<election_id>/test-shares")
def post_test_shares(election_id: str) -> tuple[Response, int]:
    """Body: ``trustee-shares`` of the ceremony's test ciphertext (purpose ``test``)."""
    svc = services()
    doc = decode_body(TrusteeShares)
    _guard(election_id, doc)
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
    svc = services()
    doc = decode_body(TrusteeShares)
    _guard(election_id, doc)
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
    svc = services()
    doc = decode_body(CloseAttestation)
    _guard(election_id, doc)
    with svc.db.read() as conn:
        row = elections.get(conn, election_id)
    new = attestations.post_attestation(svc.db, svc.contexts.get(row), election_id, doc)
    if new:  # committed: the record, which lists the attestations, is built again
        svc.record_builder.request(election_id)
    return jsonify({"index": doc.index, "head": doc.head.hex()}), 201 if new else 200
