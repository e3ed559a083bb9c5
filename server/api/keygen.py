"""The committee's key generation relay (docs/api.md, docs/spec.md §12.7).

Glue only: the administrator opens a run; trustees post signed binary round
frames and read the others' (crypto/keygen/frames.py); anyone reads a run's
state. The server never sees a share in clear: letters are sealed.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from kiemphieu.crypto.errors import DecodeError
from kiemphieu.crypto.keygen.frames import (
    LABEL,
    MAX_PAYLOAD,
    decode_post,
    encode_delivery,
)

from .. import keygen
from ..errors import bad_request
from ..services import services
from .common import admin_only, body_bytes, hex_bytes, json_object, query_int

blueprint = Blueprint("keygen", __name__, url_prefix="/api")

MAX_FRAME_BYTES = 16 * (MAX_PAYLOAD + 64)
"""A post carries a broadcast and up to 15 letters."""

ACTOR = "admin"
DEFAULTS = {"batch": 1024, "timeout": 300}


def _int(body: dict[str, object], name: str, default: int | None) -> int:
    value = body.get(name, default)
    if not isinstance(value, int) or isinstance(value, bool):
        raise bad_request("malformed", f"{name} must be an integer", name)
    return value


@blueprint.post("/admin/elections/<election_id>/keygen")
@admin_only
def start(election_id: str) -> tuple[Response, int]:
    """Body: {"bits": 3072, "batch": 1024, "timeout": 300} (bits required)."""
    body = json_object()
    unknown = set(body) - {"bits", "batch", "timeout"}
    if unknown:
        raise bad_request("malformed", f"unknown key {sorted(unknown)[0]}", sorted(unknown)[0])
    svc = services()
    run = keygen.start_run(
        svc.db,
        election_id,
        bits=_int(body, "bits", None),
        batch=_int(body, "batch", DEFAULTS["batch"]),
        timeout=_int(body, "timeout", DEFAULTS["timeout"]),
        policy=svc.config.key_policy,
        actor=ACTOR,
    )
    return jsonify(run.public()), 201


@blueprint.get("/elections/<election_id>/keygen")
def state(election_id: str) -> tuple[Response, int]:
    """The latest run: its parameters, state, failure, current round."""
    run = keygen.get_run(services().db, election_id)
    return jsonify(run.public()), 200


def _run_number(raw: str) -> int:
    if (
        not (raw.isascii() and raw.isdigit())
        or len(raw) > 10
        or not 1 <= int(raw) <= keygen.MAX_RUN
    ):
        raise bad_request("bad-query", "run must be a positive integer", "run")
    return int(raw)


@blueprint.post("/trustee/elections/<election_id>/keygen/<run>/messages")
def post_message(election_id: str, run: str) -> tuple[Response, int]:
    """Body: one binary post frame (application/octet-stream)."""
    number = _run_number(run)
    svc = services()
    try:
        post = decode_post(body_bytes(MAX_FRAME_BYTES))
    except DecodeError as exc:
        raise bad_request("malformed", exc.message, exc.path) from exc
    new = keygen.post_message(svc.db, election_id, number, post, svc.config.key_policy)
    return jsonify({"label": post.label, "sender": post.sender}), 201 if new else 200


@blueprint.post("/trustee/elections/<election_id>/keygen/<run>/abort")
def abort(election_id: str, run: str) -> tuple[Response, int]:
    """Body: {"sender": i, "reason": "...", "signature": "<128 hex>"}: a member
    whose check failed stops the run for everyone, signed by its identity key."""
    number = _run_number(run)
    body = json_object()
    unknown = set(body) - {"sender", "reason", "signature"}
    if unknown:
        raise bad_request("malformed", f"unknown key {sorted(unknown)[0]}", sorted(unknown)[0])
    reason = body.get("reason")
    if not isinstance(reason, str):
        raise bad_request("malformed", "reason must be a string", "reason")
    signature = hex_bytes(body.get("signature"), 64, "signature")
    sender = _int(body, "sender", None)
    keygen.abort_run(
        services().db, election_id, number, sender=sender, reason=reason, signature=signature
    )
    return jsonify({"stopped": True}), 200


@blueprint.get("/trustee/elections/<election_id>/keygen/<run>/round")
def read_round(election_id: str, run: str) -> Response | tuple[Response, int]:
    """?label=…&reader=i: the other trustees' messages for trustee i (binary
    delivery frames), or 202 with the trustees still missing."""
    number = _run_number(run)
    keygen.get_run(services().db, election_id, number)  # 404 first, as every route
    label = request.args.get("label", "")
    if LABEL.fullmatch(label) is None:
        raise bad_request("bad-query", "label is not a key generation round", "label")
    reader = query_int("reader", 0, 1, 16)
    got = keygen.deliveries(services().db, election_id, number, label, reader)
    if got and isinstance(got[0], int):
        resp = jsonify({"missing": got})
        resp.headers["Retry-After"] = "1"
        return resp, 202
    frames = b"".join(encode_delivery(d) for d in got)  # type: ignore[arg-type]
    return Response(frames, mimetype="application/octet-stream")
