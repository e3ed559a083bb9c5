"""Administrator: create elections, publish keys, open and close the poll."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request
from sqlalchemy import Connection

from kiemphieu.crypto import codec
from kiemphieu.crypto.election.ceremony import KeyCeremony
from kiemphieu.crypto.election.manifest import Manifest
from kiemphieu.crypto.election.manifest_toml import manifest_from_toml
from kiemphieu.crypto.election.trustee import Trustee
from kiemphieu.crypto.errors import DecodeError

from .. import committee, elections
from ..errors import bad_request
from ..services import services
from .common import admin_only, body_bytes, decode_body
from .public import summary

blueprint = Blueprint("admin", __name__, url_prefix="/api/admin")
ACTOR = "admin"


@blueprint.post("/elections")
@admin_only
def create_election() -> tuple[Response, int]:
    """Body: a TOML manifest (Content-Type application/toml) or its JSON wire form."""
    svc = services()
    raw = body_bytes()
    try:
        if request.mimetype in ("application/toml", "text/toml", "text/plain"):
            manifest = manifest_from_toml(raw)
        else:
            manifest = codec.loads(Manifest, raw, max_bytes=svc.config.max_body_bytes)
    except DecodeError as exc:
        raise bad_request("manifest-invalid", exc.message, exc.path) from exc
    row = elections.create(svc.db, manifest, ACTOR)
    return summary(row), 201


@blueprint.post("/elections/<election_id>/keys")
@admin_only
def publish_keys(election_id: str) -> tuple[Response, int]:
    """Body: the key ceremony's public output (document ``key-ceremony``)."""
    svc = services()
    ceremony = decode_body(KeyCeremony)
    row = elections.publish_keys(svc.db, election_id, ceremony, svc.config.key_policy, ACTOR)
    return summary(row), 200


@blueprint.post("/elections/<election_id>/trustees")
@admin_only
def add_trustee(election_id: str) -> tuple[Response, int]:
    """Body: a committee member (document ``trustee``); draft only."""
    members = committee.add_trustee(services().db, election_id, decode_body(Trustee), ACTOR)
    return jsonify({"trustees": [codec.to_wire(t) for t in members]}), 201


@blueprint.post("/elections/<election_id>/open")
@admin_only
def open_poll(election_id: str) -> tuple[Response, int]:
    """Refused (409) until every trustee passed the check (test decryption)."""
    svc = services()

    def ready(conn: Connection, row: elections.ElectionRow) -> object:
        return committee.ready_to_open(conn, row, svc.contexts.get(row))

    return summary(elections.open_poll(svc.db, election_id, ACTOR, ready)), 200


@blueprint.post("/elections/<election_id>/publish")
@admin_only
def publish(election_id: str) -> tuple[Response, int]:
    svc = services()
    row = elections.publish_result(svc.db, election_id, ACTOR)
    svc.record_builder.request(row.id)  # committed: the published record starts building
    return summary(row), 200


@blueprint.post("/elections/<election_id>/close")
@admin_only
def close_poll(election_id: str) -> tuple[Response, int]:
    svc = services()
    row = elections.close_poll(svc.db, election_id, ACTOR)
    svc.record_builder.request(row.id)  # committed: the closed record starts building
    return summary(row), 200
