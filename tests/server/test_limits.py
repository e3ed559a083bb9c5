"""Limits and headers of the API (SQLite and PostgreSQL).

Rate limits on the administrator's, registrar's and trustees' routes; security
headers on every JSON answer, errors included; 413 for oversized bodies, 400
naming the field for malformed ones, 404 for an unknown election, 405 for a
wrong method. Each refusal has the one error shape ``{code, message, field}``
and changes nothing stored. The routes come from the app's URL map, so a new
route is covered (or, for a body, must be added to ``valid_bodies``).
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from sqlalchemy.exc import InterfaceError, OperationalError
from werkzeug.exceptions import MethodNotAllowed, NotFound

from kiemphieu.crypto import codec
from kiemphieu.crypto.election import ballot as bl
from kiemphieu.crypto.election.attestation import BoardClose, attest
from kiemphieu.crypto.election.ceremony import KeyCeremony
from kiemphieu.crypto.election.context import ElectionContext
from kiemphieu.crypto.election.manifest import Manifest
from kiemphieu.crypto.election.manifest_toml import manifest_from_toml
from kiemphieu.crypto.election.trustee import SharePurpose, make_shares
from kiemphieu.crypto.keygen.frames import RoundPost, encode_post
from kiemphieu.crypto.primitives.paillier import KeyPolicy
from kiemphieu.server.app import create_app
from kiemphieu.server.config import RateLimit

from .conftest import OpenElection, make_config, manifest_toml

ERROR_KEYS = {"code", "message", "field"}
UNKNOWN = "no-such-election"
VOTE = {"leaders": (0, 2), "motion": 1}
JSON_TYPE = "application/json"
TOML_TYPE = "application/toml"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
PARAMS = {"tracking_code": "00" * 32, "filename": "x.js", "run": "1"}
OCTET_TYPE = "application/octet-stream"
FRAME_LIMITED = {"keygen.post_message"}
"""Routes with a body limit of their own (server/api/keygen.py: binary frames of
megabytes), tested for it in tests/server/test_keygen_relay.py."""


# --- helpers ----------------------------------------------------------------------


def context_of(client, eid: str) -> ElectionContext:
    info = client.get(f"/api/elections/{eid}").json
    manifest = codec.from_wire(Manifest, info["manifest"])
    ceremony = codec.from_wire(KeyCeremony, info["key_ceremony"])
    return ElectionContext(manifest, ceremony, KeyPolicy.TESTING)


def snapshot(client) -> dict[str, Any]:
    """Everything stored that the public routes show."""
    out: dict[str, Any] = {"audit": client.get("/api/audit?limit=500").json["entries"]}
    for item in client.get("/api/elections").json["elections"]:
        eid = item["id"]
        out[eid] = {
            name: client.get(f"/api/elections/{eid}{suffix}").json
            for name, suffix in (
                ("summary", ""),
                ("head", "/board/head"),
                ("board", "/board?limit=500"),
                ("credentials", "/credentials"),
                ("trustees", "/trustees"),
                ("shares", "/shares"),
            )
        }
    return out


def assert_error(r, status: int, code: str | None = None) -> dict[str, Any]:
    """The response is ``status`` with the one JSON error shape (and ``code``)."""
    assert r.status_code == status, (r.status_code, r.data[:300])
    assert r.mimetype == JSON_TYPE
    body = r.json
    assert set(body) == ERROR_KEYS, body
    assert isinstance(body["message"], str) and body["message"]
    if code is not None:
        assert body["code"] == code, body
    return body


def routes(app, method: str) -> list[Any]:
    return sorted(
        (r for r in app.url_map.iter_rules() if method in r.methods and r.endpoint != "static"),
        key=lambda r: r.rule,
    )


def path_of(rule, election_id: str) -> str:
    """A concrete path of ``rule``: ``election_id`` and the values in PARAMS."""
    missing = set(rule.arguments) - set(PARAMS) - {"election_id"}
    assert not missing, f"{rule.rule}: give a test value for {missing} in PARAMS"
    path = rule.rule
    for name in rule.arguments:
        value = election_id if name == "election_id" else PARAMS[name]
        path = path.replace(f"<{name}>", value).replace(f"<path:{name}>", value)
    return path


def valid_bodies(opened: OpenElection, held) -> dict[str, tuple[bytes, str]]:
    """A body each POST endpoint accepts as to its form (by endpoint name)."""
    client, eid = opened.server.client, opened.election_id
    ctx = context_of(client, eid)
    ballot = codec.dumps(bl.encrypt_ballot(ctx, opened.keys[0], VOTE))
    member = held.committee.trustees[0]
    attestation = attest(
        held.committee.seed(1), ctx.hash, 1, BoardClose(4, 1, bytes(32), bytes(32))
    )
    shares = make_shares(
        held.dealing.shares[0],
        bytes(opened.identities[0]),
        ctx.hash,
        SharePurpose.TEST,
        (held.dealing.test_ciphertext,),
    )
    return {
        "admin.create_election": (codec.dumps(manifest_from_toml(manifest_toml())), JSON_TYPE),
        "admin.publish_keys": (codec.dumps(held.ceremony), JSON_TYPE),
        "admin.add_trustee": (codec.dumps(member), JSON_TYPE),
        "admin.set_registrar": (codec.dumps(held.committee.registrar), JSON_TYPE),
        "registrar.sign_roll": (
            codec.dumps(
                held.committee.sign_roll(eid, opened.base_hash, [k.public for k in opened.keys])
            ),
            JSON_TYPE,
        ),
        "trustee.post_attestation": (codec.dumps(attestation), JSON_TYPE),
        "admin.open_poll": (b"", JSON_TYPE),
        "admin.close_poll": (b"", JSON_TYPE),
        "admin.publish": (b"", JSON_TYPE),
        "registrar.add_credentials": (
            json.dumps({"credentials": ["ab" * 32]}).encode(),
            JSON_TYPE,
        ),
        "voter.cast_ballot": (ballot, JSON_TYPE),
        "trustee.post_test_shares": (codec.dumps(shares), JSON_TYPE),
        "trustee.post_tally_shares": (codec.dumps(shares), JSON_TYPE),
        "keygen.start": (b'{"bits":512}', JSON_TYPE),
        "keygen.abort": (
            json.dumps({"sender": 1, "reason": "r", "signature": "00" * 64}).encode(),
            JSON_TYPE,
        ),
        "keygen.post_message": (
            encode_post(RoundPost("a0/sieve-0", 1, b"", {}, bytes(64))),
            OCTET_TYPE,
        ),
    }


@pytest.fixture
def bodies(opened, held) -> dict[str, tuple[bytes, str]]:
    found = valid_bodies(opened, held)
    posts = {r.endpoint for r in routes(opened.server.app, "POST")}
    assert posts == set(found), f"POST routes without a test body: {posts - set(found)}"
    return found


# --- rate limits -----------------------------------------------------------------


def test_refusals_are_rate_limited_and_the_committee_never_locked_out(
    opened, held, db_url, tmp_path
):
    """Only refused requests count (issue 13): wrong tokens and documents not signed by
    a member, per client address, with Retry-After; the right token and a member's
    signed document always pass, whoever hammered from the same address."""
    eid = opened.election_id
    limit = 3
    app = create_app(make_config(db_url, tmp_path, admin_rate=RateLimit(limit, 3600)))
    try:
        client = app.test_client()
        auth = {"Authorization": f"Bearer {opened.server.token}"}
        wrong = {"Authorization": "Bearer wrong"}
        before = snapshot(client)
        for _ in range(limit):
            assert client.post("/api/admin/elections", headers=wrong).status_code == 401
        for path in ("/api/admin/elections", f"/api/registrar/elections/{eid}/credentials"):
            r = client.post(path, headers=wrong)
            body = assert_error(r, 429, "rate-limited")
            assert body["field"] is None and int(r.headers["Retry-After"]) >= 1
        # the right token from the same address is served, again and again
        for _ in range(2 * limit):
            r = client.post(f"/api/admin/elections/{eid}/open", headers=auth)
            assert r.status_code == 409, r.json  # already open: served, not limited
        other = client.post(
            "/api/admin/elections", headers=wrong, environ_base={"REMOTE_ADDR": "192.0.2.7"}
        )
        assert other.status_code == 401  # the count is per client address
        # a document not signed by the member it names counts; a member's never does
        ctx = context_of(client, eid)
        shares = make_shares(held.dealing.shares[0], bytes(opened.identities[0]), ctx.hash,
                             SharePurpose.TEST, (held.dealing.test_ciphertext,))  # fmt: skip
        forged = dataclasses.replace(shares, signature=bytes(64))
        path = f"/api/trustee/elections/{eid}/test-shares"
        r = client.post(path, data=codec.dumps(forged), content_type=JSON_TYPE)
        assert_error(r, 429, "rate-limited")  # this address is past the limit already
        r = client.post(path, data=codec.dumps(shares), content_type=JSON_TYPE)
        assert r.status_code == 201, r.json  # the member's own: served (a retry, stored once)
        assert snapshot(client) == before
        # Public reads and casting are not under this limit.
        for _ in range(2 * limit):
            for path in ("/api/server", "/api/elections", f"/api/elections/{eid}/board"):
                assert client.get(path).status_code == 200
        ballot = bl.encrypt_ballot(context_of(client, eid), opened.keys[0], VOTE)
        for status in (201, 200, 200, 200):
            r = client.post(
                f"/api/elections/{eid}/ballots", data=codec.dumps(ballot), content_type=JSON_TYPE
            )
            assert r.status_code == status, r.json
    finally:
        app.extensions["kiemphieu"].db.dispose()


# --- security headers --------------------------------------------------------------


def assert_security_headers(r) -> None:
    h = r.headers
    csp = h.get("Content-Security-Policy", "")
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, csp
    assert h.get("X-Content-Type-Options") == "nosniff"
    assert h.get("X-Frame-Options") == "DENY"
    assert h.get("Referrer-Policy") == "no-referrer"
    assert "no-store" in h.get("Cache-Control", "")


def test_security_headers_on_answers_and_errors(opened, monkeypatch):
    server, eid = opened.server, opened.election_id
    client = server.client
    ctx = context_of(client, eid)
    ballot = codec.dumps(bl.encrypt_ballot(ctx, opened.keys[1], VOTE))
    auth = {"Authorization": f"Bearer {server.token}"}
    answers = [
        (client.get("/api/server"), 200),
        (client.get(f"/api/elections/{eid}"), 200),
        (client.get(f"/api/elections/{eid}/board"), 200),
        (client.post(f"/api/elections/{eid}/ballots", data=ballot, content_type=JSON_TYPE), 201),
        (client.post(f"/api/elections/{eid}/ballots", data=ballot, content_type=JSON_TYPE), 200),
        (client.post(f"/api/elections/{eid}/ballots", data=b"{", content_type=JSON_TYPE), 400),
        (client.post("/api/admin/elections"), 401),
        (client.get(f"/api/elections/{UNKNOWN}"), 404),
        (client.get("/api/no/such/route"), 404),
        (client.delete(f"/api/elections/{eid}"), 405),
        (client.post(f"/api/admin/elections/{eid}/open", headers=auth), 409),
        (
            client.post(
                f"/api/elections/{eid}/ballots",
                data=b"x" * (server.config.max_body_bytes + 1),
                content_type=JSON_TYPE,
            ),
            413,
        ),
    ]
    for r, status in answers:
        assert r.status_code == status, (status, r.json)
        assert r.mimetype == JSON_TYPE
        assert_security_headers(r)
        if status >= 400:
            assert set(r.json) == ERROR_KEYS

    def broken(*_a: Any, **_k: Any) -> Any:
        raise RuntimeError("db password is hunter2")

    monkeypatch.setattr(server.app.extensions["kiemphieu"].db, "read", broken)
    r = client.get("/api/elections")
    body = assert_error(r, 500, "internal")
    assert "hunter2" not in r.get_data(as_text=True) and body["field"] is None
    assert_security_headers(r)


@pytest.mark.parametrize(
    "fault",
    [
        OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly")),
        OperationalError("INSERT", {}, Exception("database or disk is full")),
        InterfaceError("SELECT 1", {}, Exception("connection already closed")),
    ],
)
def test_a_transient_database_fault_is_503_with_retry_after(opened, monkeypatch, fault):
    server, eid = opened.server, opened.election_id
    client = server.client

    def down(*_a: Any, **_k: Any) -> Any:
        raise fault

    monkeypatch.setattr(server.app.extensions["kiemphieu"].db, "read", down)
    for r in (client.get("/api/elections"), client.get(f"/api/elections/{eid}/board")):
        body = assert_error(r, 503, "unavailable")
        assert r.headers["Retry-After"] == "5" and body["field"] is None
        assert "disk is full" not in r.get_data(as_text=True)
        assert_security_headers(r)


# --- oversized bodies ------------------------------------------------------------


def test_oversized_bodies_are_refused_on_every_post_route(opened, bodies):
    server, eid = opened.server, opened.election_id
    client = server.client
    auth = {"Authorization": f"Bearer {server.token}"}
    before = snapshot(client)
    limit = server.config.max_body_bytes
    for rule in routes(server.app, "POST"):
        if rule.endpoint in FRAME_LIMITED:
            continue
        path = path_of(rule, eid)
        valid, content_type = bodies[rule.endpoint]
        # A valid document padded past the limit, and a bare run of bytes.
        padded = valid[:-1] + b',"pad":"' + b"x" * limit + b'"}' if valid else b" " * (limit + 1)
        for body in (padded, b"{" * (limit + 1)):
            r = client.post(path, data=body, content_type=content_type, headers=auth)
            assert_error(r, 413, "too-large")
            assert_security_headers(r)
    assert snapshot(client) == before


# --- malformed content -------------------------------------------------------------


def _malformed(valid: bytes) -> list[tuple[str, bytes, str | None]]:
    """(what, body, expected field) variants of a valid JSON document (changed at
    its top-level version, the last key of canonical JSON)."""
    head, sep, tail = valid.rpartition(b'"version":')
    assert sep and tail[:1].isdigit(), "a document body carries its version"
    number = tail.rstrip(b"}")
    version = sep + number

    def at(new: bytes) -> bytes:
        return head + new + tail[len(number) :]

    return [
        ("non-UTF-8", at(version + b',"\xff":1'), "<root>"),
        ("invalid UTF-8 in a string", b'{"type":"\xc3\x28"}', "<root>"),
        ("float", at(version + b".0"), "<root>"),
        ("exponent", at(version + b"e0"), "<root>"),
        ("duplicate key", at(version + b"," + version), "<root>"),
        ("deep nesting", b'{"a":' * 10_000 + b"1" + b"}" * 10_000, "<root>"),
        ("deep arrays", b'{"a":' + b"[" * 100_000 + b"]" * 100_000 + b"}", "<root>"),
        ("not an object", b"[1,2,3]", "<root>"),
        ("wrong type", at(sep + b'"' + number + b'"'), "version"),
        ("unknown key", at(version + b',"zz":0'), None),
        ("empty", b"", "<root>"),
    ]


def test_malformed_content_is_400_naming_the_field(opened, bodies):
    server, eid = opened.server, opened.election_id
    client = server.client
    auth = {"Authorization": f"Bearer {server.token}"}
    before = snapshot(client)
    checked = 0
    for rule in routes(server.app, "POST"):
        valid, content_type = bodies[rule.endpoint]
        if not valid:  # open, close, publish take no body
            continue
        path = path_of(rule, eid)
        if rule.endpoint == "keygen.post_message":
            cases = [
                ("empty", b"", None),
                ("not a frame", b"GIF89a" + valid, None),
                ("cut short", valid[:-1], "post.signature"),
                ("trailing bytes", valid + b"\x00", "post"),
                ("bad label", valid.replace(b"a0/sieve-0", b"a0/sieve-X"), "post.label"),
            ]
        elif rule.endpoint == "keygen.abort":
            cases = [
                (
                    "float",
                    b'{"sender":1.0,"reason":"r","signature":"' + b"0" * 128 + b'"}',
                    "<root>",
                ),
                (
                    "wrong type",
                    b'{"sender":"1","reason":"r","signature":"' + b"0" * 128 + b'"}',
                    "sender",
                ),
                ("short signature", b'{"sender":1,"reason":"r","signature":"00"}', "signature"),
                ("unknown key", b'{"sender":1,"x":1}', "x"),
                ("empty", b"", "<root>"),
            ]
        elif rule.endpoint == "keygen.start":
            cases = [
                ("float", b'{"bits":512.0}', "<root>"),
                ("duplicate key", b'{"bits":512,"bits":512}', "<root>"),
                ("wrong type", b'{"bits":"512"}', "bits"),
                ("unknown key", b'{"bits":512,"x":1}', "x"),
                ("empty", b"", "<root>"),
            ]
        elif rule.endpoint == "registrar.add_credentials":
            cases = [
                ("float", b'{"credentials":[1.5]}', "<root>"),
                ("duplicate key", b'{"credentials":[],"credentials":[]}', "<root>"),
                ("non-UTF-8", b'{"credentials":["\xff"]}', "<root>"),
                ("deep nesting", b'{"credentials":' + b"[" * 5000 + b"]" * 5000 + b"}", "<root>"),
                ("wrong type", b'{"credentials":"ab"}', "credentials"),
                ("wrong item type", b'{"credentials":[7]}', "credentials[0]"),
                ("short key", b'{"credentials":["abcd"]}', "credentials[0]"),
                ("upper-case hex", json.dumps({"credentials": ["AB" * 32]}).encode(), None),
                ("unknown key", b'{"credentials":[],"x":1}', None),
            ]
        else:
            cases = _malformed(valid)
        for what, body, field in cases:
            r = client.post(path, data=body, content_type=content_type, headers=auth)
            err = assert_error(r, 400)
            assert isinstance(err["field"], str) and err["field"], (rule.rule, what, err)
            if field is not None:
                assert err["field"] == field, (rule.rule, what, err)
            checked += 1
    toml_cases = [
        ("non-UTF-8", b'election_id = "\xff"', "<root>"),
        ("not TOML", b"election_id = = 1", "<root>"),
        ("deep nesting", b"x = " + b"[" * 5000 + b"]" * 5000, "<root>"),
        ("4,301-digit integer", b"summoned = " + b"9" * 4301, "<root>"),
        ("wrong type", manifest_toml().replace("trustees = 5", 'trustees = "5"').encode(), None),
    ]
    for what, body, field in toml_cases:
        r = client.post("/api/admin/elections", data=body, content_type=TOML_TYPE, headers=auth)
        err = assert_error(r, 400)
        assert isinstance(err["field"], str) and err["field"], (what, err)
        if field is not None and err["field"] != "":
            assert err["field"] in (field, ""), (what, err)
        checked += 1
    assert checked > 50
    assert snapshot(client) == before


def test_wrong_types_name_the_nested_field(opened, bodies):
    """A wrong value deep inside a ballot is named by its full path."""
    server, eid = opened.server, opened.election_id
    client = server.client
    before = snapshot(client)
    ballot = json.loads(bodies["voter.cast_ballot"][0])
    cases = [
        ("answers", 5, "answers"),
        ("credential", "zz" * 32, "credential"),
        ("signature", "00", "signature"),
    ]
    for key, value, field in cases:
        body = json.dumps(dict(ballot, **{key: value})).encode()
        r = client.post(f"/api/elections/{eid}/ballots", data=body, content_type=JSON_TYPE)
        assert assert_error(r, 400, "malformed")["field"] == field
    deep = json.loads(json.dumps(ballot))
    deep["answers"][0]["proofs"][1]["z"][0] = 12
    r = client.post(
        f"/api/elections/{eid}/ballots", data=json.dumps(deep).encode(), content_type=JSON_TYPE
    )
    assert assert_error(r, 400, "malformed")["field"] == "answers[0].proofs[1].z[0]"
    assert snapshot(client) == before


# --- unknown election, unknown route, wrong method --------------------------------


def test_unknown_election_is_404_on_every_route(opened, bodies):
    server, eid = opened.server, opened.election_id
    client = server.client
    auth = {"Authorization": f"Bearer {server.token}"}
    before = snapshot(client)
    seen = 0
    for method in ("GET", "POST"):
        for rule in routes(server.app, method):
            if "election_id" not in rule.arguments:
                continue
            path = path_of(rule, UNKNOWN)
            if method == "GET":
                r = client.get(path)
            else:
                body, content_type = bodies[rule.endpoint]
                r = client.post(path, data=body, content_type=content_type, headers=auth)
            assert_error(r, 404, "not-found")
            assert_security_headers(r)
            seen += 1
    assert seen >= 10
    for path in ("/api/nope", "/api/elections/x/y/z", f"/api/elections/{eid}/nope"):
        assert_error(client.get(path), 404, "not-found")
        assert_error(client.post(path, headers=auth), 404, "not-found")
    assert snapshot(client) == before


def test_wrong_method_is_405_on_every_route(opened, bodies):
    server, eid = opened.server, opened.election_id
    client = server.client
    auth = {"Authorization": f"Bearer {server.token}"}
    adapter = server.app.url_map.bind("localhost")
    before = snapshot(client)
    seen = 0
    for rule in sorted(server.app.url_map.iter_rules(), key=lambda r: r.rule):
        path = path_of(rule, eid)
        for method in METHODS:
            try:
                adapter.match(path, method=method)
                continue  # some route takes this method here
            except MethodNotAllowed as exc:
                allowed = set(exc.valid_methods or ())
            except NotFound:  # pragma: no cover - every rule builds a matching path
                pytest.fail(f"{path} does not match its own rule")
            body, content_type = bodies.get(rule.endpoint, (b"{}", JSON_TYPE))
            r = client.open(path, method=method, data=body, content_type=content_type, headers=auth)
            err = assert_error(r, 405, "method-not-allowed")
            assert err["field"] is None
            assert set(r.headers.get("Allow", "").replace(" ", "").split(",")) == allowed
            assert_security_headers(r)
            seen += 1
    assert seen >= 40
    assert snapshot(client) == before


def test_refused_casts_change_nothing_even_in_bulk(opened):
    """Many refusals in a row (bad signature, wrong election, too large) leave
    the board as it was: the refusal path never half-writes."""
    server, eid = opened.server, opened.election_id
    client = server.client
    ctx = context_of(client, eid)
    good = bl.encrypt_ballot(ctx, opened.keys[2], VOTE)
    before = snapshot(client)
    bad = [
        dataclasses.replace(good, signature=bytes(64)),
        dataclasses.replace(good, election=bytes(32)),
        dataclasses.replace(good, credential=opened.keys[3].public),
    ]
    for _ in range(5):
        for ballot in bad:
            r = client.post(
                f"/api/elections/{eid}/ballots", data=codec.dumps(ballot), content_type=JSON_TYPE
            )
            assert r.status_code in (400, 403, 422), r.json
            assert set(r.json) == ERROR_KEYS
    assert snapshot(client) == before
