"""Registrar: the credential list (public keys only; the codes never come here)
and the registrar's signature on it."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from kiemphieu.crypto.election.roll import SignedRoll

from .. import registry, roll
from ..errors import bad_request
from ..services import services
from .common import admin_only, decode_body, hex_bytes, json_object

blueprint = Blueprint("registrar", __name__, url_prefix="/api/registrar")


@blueprint.post("/elections/<election_id>/credentials")
@admin_only
def add_credentials(election_id: str) -> tuple[Response, int]:
    """Body: ``{"credentials": ["<64 hex>", ...]}``."""
    body = json_object()
    if set(body) != {"credentials"}:
        raise bad_request("malformed", 'the body has exactly one key, "credentials"', "credentials")
    items = body["credentials"]
    if not isinstance(items, list):
        raise bad_request("malformed", "credentials must be a list", "credentials")
    keys = [hex_bytes(k, 32, f"credentials[{i}]") for i, k in enumerate(items)]
    total = registry.add(services().db, election_id, keys, "registrar")
    return jsonify({"election_id": election_id, "added": len(keys), "total": total}), 201


@blueprint.post("/elections/<election_id>/roll")
@admin_only
def sign_roll(election_id: str) -> tuple[Response, int]:
    """Body: the registrar's signature on the roll as listed now (``signed-roll``)."""
    count = roll.post_signed_roll(services().db, election_id, decode_body(SignedRoll), "registrar")
    return jsonify({"election_id": election_id, "count": count}), 201
