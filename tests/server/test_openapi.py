"""The OpenAPI document matches the app, and the app keeps to it (schemathesis).

* The document is held to the app's URL map: every /api route is documented,
  every documented operation is served by the view its operationId names.
* schemathesis drives every operation (documented examples, then positive and
  negative cases; admin and registrar operations also with the admin token)
  against one app on SQLite holding an open election with a ballot, a closed
  and tallied one, and a draft one. Cases are steered to those elections, so
  the views get past "not found"; administrative calls never name the open
  election. Checks: no 5xx, every status documented, content types and bodies
  as documented, and schema-violating requests refused.
* Every response of the setup (a whole election, through the test client) is
  validated against the document; a list of refusals is checked on SQLite and
  PostgreSQL.

The pytest plugin's ``from_fixture`` does not run under pytest 9, so each
operation is a plain parametrized test that builds its strategies with
``APIOperation.as_strategy``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
import schemathesis
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from kiemphieu.crypto import codec
from kiemphieu.crypto.election import ballot as bl
from kiemphieu.crypto.election.trustee import SharePurpose, make_shares
from kiemphieu.server.api.openapi_document import document
from kiemphieu.server.app import create_app
from kiemphieu.server.config import RateLimit

from ..support.committee import hold_ceremony
from .conftest import Server, attest_close, make_config, manifest_toml, prepare_election
from .test_casting import VOTE, context_of

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
EXAMPLES = 20  # per operation and mode (positive, negative)
HEAVY_EXAMPLES = 8  # for bodies of thousands of big integers: generating them is slow
HEAVY_BODIES = ("Ballot", "KeyCeremony", "TrusteeShares", "Manifest")
REFUSALS = [400, 401, 403, 404, 409, 413, 422, 429]  # what invalid input may get
ADMIN_PREFIXES = ("/api/admin/", "/api/registrar/")
COUNTED_ID = "counted-election"


@schemathesis.serializer("application/toml")
def _toml(_ctx: Any, value: Any) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else repr(value).encode("utf-8")


# --- the app under test ---------------------------------------------------------


@dataclass
class Live:
    server: Server
    election_id: str  # open, one ballot on the board
    counted_id: str  # closed and tallied
    spare_id: str  # draft
    base_hash: str
    credentials: list[str]
    tracking_codes: list[str]


class RecordingClient(FlaskClient):
    """A test client that keeps every response, to hold them to the document."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.responses: list[Any] = []

    def open(self, *args: Any, **kwargs: Any) -> Any:
        response = super().open(*args, **kwargs)
        self.responses.append(response)
        return response


def _cast(server: Server, opened, vote: dict[str, Any]) -> str:
    ctx = context_of(server, opened.election_id)
    ballot = bl.encrypt_ballot(ctx, opened.keys[0], vote)
    r = server.client.post(
        f"/api/elections/{opened.election_id}/ballots",
        data=codec.dumps(ballot),
        content_type="application/json",
    )
    assert r.status_code == 201, r.json
    return bl.tracking_code(ballot).hex()


def _count(server: Server, held, opened) -> None:
    """Close the poll and have t trustees attest it and decrypt the tally."""
    dealing = held.dealing
    eid = opened.election_id
    assert server.admin("post", f"/api/admin/elections/{eid}/close").status_code == 200
    packed = tuple(
        int(c, 16) for c in server.client.get(f"/api/elections/{eid}/tally").json["packed"]
    )
    attest_close(server, held, range(1, dealing.public.t + 1))
    for i in range(dealing.public.t):
        doc = make_shares(
            dealing.shares[i],
            bytes(opened.identities[i]),
            opened.base_hash,
            SharePurpose.TALLY,
            packed,
        )
        r = server.client.post(
            f"/api/trustee/elections/{eid}/tally-shares",
            data=codec.dumps(doc),
            content_type="application/json",
        )
        assert r.status_code == 201, r.json
    assert server.client.get(f"/api/elections/{eid}/result").status_code == 200


def make_live(tmp_path: Path, held, counted_held) -> Live:
    token: list[str] = []
    config = make_config(
        f"sqlite:///{tmp_path / 'kiemphieu.sqlite3'}",
        tmp_path,
        admin_rate=RateLimit(1_000_000, 60),
    )
    app = create_app(config, first_token=token)
    app.test_client_class = RecordingClient
    server = Server(app, app.test_client(), token[0], config)
    opened = prepare_election(server, held)
    code = _cast(server, opened, VOTE)
    counted = prepare_election(server, counted_held)
    counted_code = _cast(server, counted, VOTE)
    _count(server, counted_held, counted)
    r = server.admin(
        "post",
        "/api/admin/elections",
        data=manifest_toml(election_id="spare-election").encode(),
        headers={"Content-Type": "application/toml"},
    )
    assert r.status_code == 201, r.json
    return Live(
        server,
        opened.election_id,
        counted.election_id,
        r.json["id"],
        opened.base_hash.hex(),
        [k.public.hex() for k in opened.keys],
        [code, counted_code],
    )


@pytest.fixture(scope="module")
def counted_held(test_committee, test_primes):
    """The test key's primes, dealt again for a second election id."""
    return hold_ceremony(COUNTED_ID, test_committee, test_primes)


def steer(case: Any, data: Any, live: Live) -> None:
    """Point most cases at the live elections, the real tracking codes and a
    listed credential (drawn, so Hypothesis explores both); the rest stay as
    generated. Administrative calls never name the open election, so closing
    it cannot starve the ballot tests."""
    meta = case.meta

    def steerable(location: ParameterLocation) -> bool:  # a negated part stays as made
        return meta is None or not meta.is_negative_at(location)

    params = case.path_parameters if steerable(ParameterLocation.PATH) else None
    if isinstance(params, dict) and "election_id" in params:
        if case.operation.path.startswith(ADMIN_PREFIXES):
            ids = [live.spare_id, live.counted_id]
        else:
            ids = [live.election_id, live.election_id, live.counted_id, live.spare_id]
        params["election_id"] = data.draw(st.sampled_from([*ids, params["election_id"]]))
    if isinstance(params, dict) and "tracking_code" in params:
        choices = [*live.tracking_codes, params["tracking_code"]]
        params["tracking_code"] = data.draw(st.sampled_from(choices))
    ballot = case.operation.path.endswith("/ballots") and isinstance(case.body, dict)
    ballot = ballot and steerable(ParameterLocation.BODY)
    if ballot and data.draw(st.booleans()):
        case.body.update(credential=live.credentials[1], election=live.base_hash)


@pytest.fixture(scope="module")
def api(tmp_path_factory, held, counted_held) -> Any:
    """One app for every operation: the steering keeps the calls from spoiling it."""
    live = make_live(tmp_path_factory.mktemp("openapi"), held, counted_held)
    # Unknown query parameters are ignored, as HTTP APIs commonly do: not generated.
    config = schemathesis.Config.from_dict(
        {
            "generation": {"allow-extra-parameters": False},
            "checks": {"negative_data_rejection": {"expected-statuses": REFUSALS}},
        }
    )
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", live.server.app, config=config)
    yield live, schema
    live.server.app.extensions["kiemphieu"].db.dispose()


RUN = settings(
    deadline=None,
    derandomize=True,
    database=None,
    max_examples=EXAMPLES,
    suppress_health_check=list(HealthCheck),
)
OPERATIONS = [(m.upper(), p) for p, item in document()["paths"].items() for m in item]
ADMIN_OPERATIONS = [op for op in OPERATIONS if op[1].startswith(ADMIN_PREFIXES)]


def run_operation(api: Any, method: str, path: str, *, token: bool) -> None:
    """The documented examples, then positive and negative cases, each under RUN."""
    live, schema = api
    operation = schema[path][method]
    headers = {"Authorization": f"Bearer {live.server.token}"} if token else None
    examples = operation.get_strategies_from_examples()
    modes = [GenerationMode.POSITIVE]
    spec = document()["paths"][path][method.lower()]
    if "parameters" in spec or "requestBody" in spec:  # else nothing can be made invalid
        modes.append(GenerationMode.NEGATIVE)
    strategies = [
        *([st.one_of(examples)] if examples else []),
        *(operation.as_strategy(generation_mode=mode) for mode in modes),
    ]
    body = spec.get("requestBody", {}).get("content", {}).get("application/json", {})
    heavy = body.get("schema", {}).get("$ref", "").endswith(HEAVY_BODIES)
    run = settings(RUN, max_examples=HEAVY_EXAMPLES) if heavy else RUN
    for strategy in strategies:

        @run
        @given(case=strategy, data=st.data())
        def check(case: Any, data: Any) -> None:
            steer(case, data, live)
            case.call_and_validate(checks=CHECKS, headers=headers)

        check()


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_operation_without_token(api, method, path):
    run_operation(api, method, path, token=False)


@pytest.mark.parametrize(
    ("method", "path"), ADMIN_OPERATIONS, ids=[f"{m} {p}" for m, p in ADMIN_OPERATIONS]
)
def test_operation_with_admin_token(api, method, path):
    run_operation(api, method, path, token=True)


# --- the document and the URL map -----------------------------------------------


def documented(doc: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (path, method.upper()): op
        for path, item in doc["paths"].items()
        for method, op in item.items()
    }


def test_document_matches_url_map(api):
    app = api[0].server.app
    served = {}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        path = rule.rule.replace("<", "{").replace(">", "}")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            served[(path, method)] = rule
    ops = documented(document())
    assert set(ops) == set(served)
    for key, op in ops.items():
        rule = served[key]
        assert op["operationId"] == rule.endpoint, key
        params = {p["$ref"].rsplit("/", 1)[1] for p in op.get("parameters", [])}
        assert {p for p in params if p in rule.arguments} == set(rule.arguments), key
        admin = key[0].startswith(ADMIN_PREFIXES)
        assert ("security" in op) == admin, key


def test_served_document_is_the_built_one(api):
    server = api[0].server
    r = server.client.get("/api/openapi.json")
    assert r.status_code == 200 and r.mimetype == "application/json"
    assert r.json == document(server.config.public_page_max)
    assert document() is document()  # built once


def test_responses_of_a_whole_election_conform(api):
    """Every answer the setup got (create, trustees, keys, credentials, test
    shares, open, ballots, close, tally, tally shares, result) is documented."""
    live, _ = api
    doc = document(live.server.config.public_page_max)
    ops = {op["operationId"]: op for op in documented(doc).values()}
    urls = live.server.app.url_map.bind("localhost")
    seen = set()
    for response in live.server.client.responses:
        request = response.request
        endpoint, _ = urls.match(request.path, request.method)
        spec = ops[endpoint]["responses"][str(response.status_code)]
        if "$ref" in spec:
            spec = doc["components"]["responses"][spec["$ref"].rsplit("/", 1)[1]]
        schema = spec["content"][response.mimetype]["schema"]
        check = jsonschema_rs.validator_for({**schema, "components": doc["components"]})
        assert check.is_valid(response.json), (endpoint, response.status_code)
        seen.add((endpoint, response.status_code))
    assert {("trustee.post_test_shares", 201), ("trustee.post_tally_shares", 201)} <= seen
    assert {
        ("admin.publish_keys", 200),
        ("admin.open_poll", 200),
        ("voter.cast_ballot", 201),
        ("public.get_result", 200),
    } <= seen


def test_document_is_valid_and_its_examples_hold():
    doc = document()
    schemathesis.openapi.from_dict(doc).validate()
    body = doc["paths"]["/api/admin/elections"]["post"]["requestBody"]["content"]
    wire = body["application/json"]["example"]
    root = {"$ref": "#/components/schemas/Manifest", "components": doc["components"]}
    assert jsonschema_rs.validator_for(root).is_valid(wire)
    assert body["application/toml"]["example"].startswith("election_id")


ERROR_CASES = [  # (method, path, body, status, code); %00 broke PostgreSQL, ² int()
    ("get", "/api/elections/nope", None, 404, "not-found"),
    ("get", "/api/elections/%00", None, 404, "not-found"),
    ("get", "/api/elections/a%00b/board", None, 404, "not-found"),
    ("get", "/api/audit?election=%00", None, 400, "bad-query"),
    ("get", "/api/audit?election=NOPE", None, 400, "bad-query"),
    ("get", "/api/audit?start=%C2%B2", None, 400, "bad-query"),
    ("get", "/api/audit?limit=%D9%A1", None, 400, "bad-query"),
    ("get", "/api/elections/{eid}/board?limit=0", None, 400, "bad-query"),
    ("get", f"/api/elections/{{eid}}/ballots/{'A' * 64}", None, 400, "malformed"),
    ("delete", "/api/server", None, 405, "method-not-allowed"),
    ("post", "/api/admin/elections", b"", 401, "unauthorized"),
    ("post", "/api/elections/{eid}/ballots", b"\xff", 400, "malformed"),
    ("post", "/api/elections/{eid}/ballots", b'{"type":"ballot","version":1}', 400, "malformed"),
]


def test_refusals_are_documented_errors(opened):
    """On SQLite and PostgreSQL: each refusal is a 4xx whose body is the Error schema."""
    error = {"$ref": "#/components/schemas/Error", "components": document()["components"]}
    shape = jsonschema_rs.validator_for(error)
    for method, path, body, status, code in ERROR_CASES:
        url = path.format(eid=opened.election_id)
        r = getattr(opened.server.client, method)(url, data=body)
        assert (r.status_code, r.mimetype) == (status, "application/json"), (url, r.json)
        assert shape.is_valid(r.json) and r.json["code"] == code, (url, r.json)
