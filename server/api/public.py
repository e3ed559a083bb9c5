"""Anyone: elections, the board, tracking codes, turnout, the audit log."""

from __future__ import annotations

import json
from importlib.metadata import version

from flask import Blueprint, Response, jsonify, send_file
from sqlalchemy import select

from kiemphieu.crypto import codec

from .. import attestations, board, committee, counting, elections, records, registry, roll
from ..errors import not_found
from ..services import services
from ..storage import schema
from .common import MAX_QUERY_START, hex_bytes, query_ident, query_int

blueprint = Blueprint("public", __name__, url_prefix="/api")


def summary(row: elections.ElectionRow) -> Response:
    """The public description of an election."""
    svc = services()
    base = None
    if row.ceremony is not None:
        base = svc.contexts.get(row).hash.hex()
    with svc.db.read() as conn:
        signed = roll.latest(conn, row.id)
    return jsonify(
        {
            "id": row.id,
            "state": row.state.value,
            "manifest": codec.to_wire(row.manifest),
            "key_ceremony": codec.to_wire(row.ceremony) if row.ceremony else None,
            "base_hash": base,
            "signed_roll": codec.to_wire(signed) if signed is not None else None,
            "board_size": row.board_size,
            "board_head": row.board_head.hex() if row.board_head else None,
            "created_at": row.created_at,
            "updated_at": row.updated_at,
        }
    )


@blueprint.get("/server")
def server_info() -> Response:
    svc = services()
    return jsonify(
        {
            "software": "kiemphieu",
            "version": version("kiemphieu"),
            "receipt_key": svc.identity.receipt_public_key.hex(),
        }
    )


@blueprint.get("/elections")
def list_elections() -> Response:
    with services().db.read() as conn:
        rows = elections.list_all(conn)
    return jsonify(
        {
            "elections": [
                {"id": r.id, "state": r.state.value, "title": codec.to_wire(r.manifest.title)}
                for r in rows
            ]
        }
    )


@blueprint.get("/elections/<election_id>")
def get_election(election_id: str) -> Response:
    with services().db.read() as conn:
        row = elections.get(conn, election_id)
    return summary(row)


@blueprint.get("/elections/<election_id>/board")
def list_board(election_id: str) -> Response:
    svc = services()
    start = query_int("start", 0, 0, MAX_QUERY_START)
    limit = query_int("limit", 100, 1, svc.config.public_page_max)
    with svc.db.read() as conn:
        row = elections.get(conn, election_id)
        entries = board.page(conn, election_id, start, limit)
    return jsonify(
        {
            "election_id": election_id,
            "board_size": row.board_size,
            "start": start,
            "entries": [
                {
                    "entry": codec.to_wire(e.entry),
                    "ballot": json.loads(e.payload) if e.payload else None,
                    "at": e.at,
                }
                for e in entries
            ],
        }
    )


@blueprint.get("/elections/<election_id>/board/head")
def board_head(election_id: str) -> Response:
    with services().db.read() as conn:
        row = elections.get(conn, election_id)
    return jsonify(
        {"size": row.board_size, "head": row.board_head.hex() if row.board_head else None}
    )


@blueprint.get("/elections/<election_id>/ballots/<tracking_code>")
def find_ballot(election_id: str, tracking_code: str) -> Response:
    code = hex_bytes(tracking_code, 32, "tracking_code")
    with services().db.read() as conn:
        elections.get(conn, election_id)
        entry = board.find_ballot(conn, election_id, code)
    if entry is None or entry.receipt is None:
        raise not_found("tracking code")
    return jsonify(
        {
            "entry": codec.to_wire(entry.entry),
            "receipt": json.loads(entry.receipt),
            "at": entry.at,
        }
    )


@blueprint.get("/elections/<election_id>/turnout")
def turnout(election_id: str) -> Response:
    with services().db.read() as conn:
        row = elections.get(conn, election_id)
        ballots, voters = board.turnout(conn, election_id)
        listed = elections.credential_count(conn, election_id)
    return jsonify(
        {"state": row.state.value, "credentials": listed, "ballots": ballots, "voters": voters}
    )


@blueprint.get("/elections/<election_id>/credentials")
def list_credentials(election_id: str) -> Response:
    """The roll: every credential public key, ascending, and the registrar's latest
    signature on it (null before the registrar signs)."""
    with services().db.read() as conn:
        elections.get(conn, election_id)
        keys = registry.all_keys(conn, election_id)
        signed = roll.latest(conn, election_id)
    return jsonify(
        {
            "election_id": election_id,
            "credentials": [k.hex() for k in keys],
            "signed_roll": codec.to_wire(signed) if signed is not None else None,
        }
    )


@blueprint.get("/elections/<election_id>/registrar")
def get_registrar(election_id: str) -> Response:
    """The registrar's card (null before it is registered)."""
    with services().db.read() as conn:
        elections.get(conn, election_id)
        card = roll.registrar(conn, election_id)
    return jsonify({"registrar": codec.to_wire(card) if card is not None else None})


@blueprint.get("/elections/<election_id>/attestations")
def list_attestations(election_id: str) -> Response:
    """The trustees' close attestations the server accepted, in index order."""
    with services().db.read() as conn:
        elections.get(conn, election_id)
        docs = attestations.all_attestations(conn, election_id)
    return jsonify({"attestations": [codec.to_wire(d) for d in docs]})


@blueprint.get("/audit")
def audit_log() -> Response:
    svc = services()
    election = query_ident("election")
    start = query_int("start", 0, 0, MAX_QUERY_START)
    limit = query_int("limit", 100, 1, svc.config.public_page_max)
    q = select(schema.audit_log).where(schema.audit_log.c.id > start)
    if election is not None:
        q = q.where(schema.audit_log.c.election_id == election)
    with svc.db.read() as conn:
        rows = conn.execute(q.order_by(schema.audit_log.c.id).limit(limit)).all()
    return jsonify(
        {
            "entries": [
                {
                    "id": r.id,
                    "election_id": r.election_id,
                    "actor": r.actor,
                    "action": r.action,
                    "detail": json.loads(r.detail),
                    "at": r.at,
                }
                for r in rows
            ]
        }
    )


@blueprint.get("/elections/<election_id>/trustees")
def list_trustees(election_id: str) -> Response:
    with services().db.read() as conn:
        elections.get(conn, election_id)
        members = committee.trustees(conn, election_id)
    return jsonify({"trustees": [codec.to_wire(t) for t in members]})


@blueprint.get("/elections/<election_id>/shares")
def list_shares(election_id: str) -> Response:
    """Every share document a trustee posted, valid or not."""
    with services().db.read() as conn:
        elections.get(conn, election_id)
        log = committee.share_log(conn, election_id)
    return jsonify({"shares": log})


@blueprint.get("/elections/<election_id>/tally")
def get_tally(election_id: str) -> Response:
    """The encrypted tally recomputed from the board, its packing and the counted set."""
    svc = services()
    with svc.db.read() as conn:
        row = elections.get(conn, election_id)
    stored = counting.tally(svc.db, svc.contexts.get(row), election_id)
    return jsonify(
        {
            "tally": codec.to_wire(stored.tally),
            "packed": [format(c, "x") for c in stored.packed],
            "counted": list(stored.counted),
        }
    )


@blueprint.get("/elections/<election_id>/result")
def get_result(election_id: str) -> Response:
    svc = services()
    with svc.db.read() as conn:
        row = elections.get(conn, election_id)
    if row.state not in (elections.State.TALLIED, elections.State.PUBLISHED):
        raise not_found("result (the tally is not decrypted yet)")
    stored = counting.tally(svc.db, svc.contexts.get(row), election_id)
    if stored.result is None or stored.counts is None:  # pragma: no cover - set with the state
        raise not_found("result")
    return jsonify(
        {
            "state": row.state.value,
            "result": codec.to_wire(stored.result),
            "counts": codec.to_wire(stored.counts),
        }
    )


@blueprint.get("/elections/<election_id>/record")
def get_record(election_id: str) -> Response:
    """The election record (docs/record.md) once the poll is closed: a zip,
    its ETag the SHA-256 of its record.json; HEAD, If-None-Match and Range work.
    While it is being built, 202 with Retry-After, at once."""
    svc = services()
    built = records.lookup(svc.db, svc.config.data_dir, election_id)
    if isinstance(built, records.PendingRecord):
        # Started already, unless its build died; not again soon after a failure.
        svc.record_builder.request(built.election_id, after_failure=False)
        backoff = svc.record_builder.backing_off(built.election_id)
        if backoff is not None:
            resp = jsonify(
                {
                    "code": "record-failed",
                    "message": f"building the {built.state.value} record of election "
                    f"{built.election_id} failed; the server tries again in {backoff} s",
                    "field": None,
                }
            )
            resp.status_code = 503
            resp.headers["Retry-After"] = str(backoff)
            resp.headers["X-Record-State"] = built.state.value
            return resp
        resp = jsonify(
            {
                "code": "record-building",
                "message": f"the server is building the {built.state.value} record of "
                f"election {built.election_id}; retry in {built.retry_after} s",
                "field": None,
            }
        )
        resp.status_code = 202
        resp.headers["Retry-After"] = str(built.retry_after)
        resp.headers["X-Record-State"] = built.state.value
        return resp
    resp = send_file(
        built.path,
        mimetype="application/zip",
        as_attachment=True,
        download_name=built.download_name,
        etag=built.etag,
        conditional=True,
        max_age=0,
    )
    resp.headers["X-Record-State"] = built.state.value
    return resp
