"""Administrator: create elections, publish keys, open and close the poll."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request
from sqlalchemy import Connection

from kiemphieu.crypto import codec
from kiemphieu.crypto.election.ceremony import MAX_CEREMONY_BYTES, KeyCeremony
from kiemphieu.crypto.election.committee import Registrar, Trustee
from kiemphieu.crypto.election.manifest import Manifest
from kiemphieu.crypto.election.manifest_toml import manifest_from_toml
from kiemphieu.crypto.errors import DecodeError

from .. import committee, elections, roll
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
    ceremony = decode_body(KeyCeremony, limit=MAX_CEREMONY_BYTES)

    def dealt_to(conn: Connection, published: KeyCeremony) -> None:
        committee.check_ceremony_committee(conn, election_id, published)

    row = elections.publish_keys(
        svc.db, election_id, ceremony, svc.config.key_policy, actor=ACTOR, committee=dealt_to
    )
    return summary(row), 200


@blueprint.post("/elections/<election_id>/trustees")
@admin_only
def add_trustee(election_id: str) -> tuple[Response, int]:
    """Body: a committee member (document ``trustee``: the member's signed card
    at its index); draft only."""
    svc = services()
    members = committee.add_trustee(
        svc.db, election_id, decode_body(Trustee), ACTOR, svc.config.key_policy
    )
    return jsonify({"trustees": [codec.to_wire(t) for t in members]}), 201


@blueprint.post("/elections/<election_id>/registrar")
@admin_only
def set_registrar(election_id: str) -> tuple[Response, int]:
    """Body: the registrar's signed card (document ``registrar``); draft only."""
    card = roll.set_registrar(services().db, election_id, decode_body(Registrar), ACTOR)
    return jsonify({"registrar": codec.to_wire(card)}), 201


@blueprint.post("/elections/<election_id>/open")
@admin_only
def open_poll(election_id: str) -> tuple[Response, int]:
    """Refused (409) until every trustee passed the check (test decryption)."""
    svc = services()

    def ready(conn: Connection, row: elections.ElectionRow) -> object:
        return committee.ready_to_open(conn, row, svc.contexts.get(row))

    def signed(conn: Connection, keys: list[bytes]) -> object:
        return roll.check_signed(conn, election_id, keys)

    return summary(elections.open_poll(svc.db, election_id, ACTOR, ready, signed)), 200


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
