"""Voter: cast a ballot, get a signed receipt."""

from __future__ import annotations

from flask import Blueprint, Response

from .. import casting
from ..services import services
from .common import body_bytes, wire

blueprint = Blueprint("voter", __name__, url_prefix="/api")


@blueprint.post("/elections/<election_id>/ballots")
def cast_ballot(election_id: str) -> tuple[Response, int]:
    """Body: a ballot (document ``ballot``). 201 with the receipt; 200 with the same
    receipt if this exact ballot is already on the board."""
    svc = services()
    ballot = casting.decode_ballot(body_bytes(), svc.config.max_body_bytes)
    result = casting.cast(
        svc.db,
        contexts=svc.contexts,
        batcher=svc.batcher,
        identity=svc.identity,
        election_id=election_id,
        ballot=ballot,
    )
    return wire(result.receipt, 201 if result.created else 200)
