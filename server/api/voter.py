"""Voter: cast a ballot, get a signed receipt."""

from __future__ import annotations

from flask import Blueprint, Response

from kiemphieu.crypto.election import ballot as bl

from .. import casting
from ..errors import ApiError, rate_limited
from ..services import services
from .common import body_bytes, wire

blueprint = Blueprint("voter", __name__, url_prefix="/api")


@blueprint.post("/elections/<election_id>/ballots")
def cast_ballot(election_id: str) -> tuple[Response, int]:
    """Body: a ballot (document ``ballot``). 201 with the receipt; 200 with the same
    receipt if this exact ballot is already on the board."""
    svc = services()
    ballot = casting.decode_ballot(body_bytes(), svc.config.max_body_bytes)
    # A credential whose correctly signed ballots keep failing their proofs (a flood
    # of bogus ballots, each costing the server a full verification) is refused
    # unchecked for a while; other credentials are never slowed by it (issue 13).
    key = f"{election_id}/{ballot.credential.hex()}"
    wait = svc.ballot_limiter.blocked(key)
    if wait is not None:
        raise rate_limited(wait)
    try:
        result = casting.cast(
            svc.db,
            contexts=svc.contexts,
            batcher=svc.batcher,
            identity=svc.identity,
            election_id=election_id,
            ballot=ballot,
        )
    except ApiError as exc:
        # Only the credential's holder can flood with its signature: a ballot whose
        # signature fails (anyone can name anyone's public key) never counts, or a
        # stranger could lock a voter out.
        if exc.status == 422 and bl.signed_by_credential(ballot):
            svc.ballot_limiter.refuse(key)
        raise
    return wire(result.receipt, 201 if result.created else 200)
