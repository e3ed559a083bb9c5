"""Registrar: the credential list (public keys only; the codes never come here)."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from .. import registry
from ..errors import bad_request
from ..services import services
from .common import admin_only, hex_bytes, json_object

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
