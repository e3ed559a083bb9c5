"""The OpenAPI 3.1 document of the HTTP API, served at /api/openapi.json.

The schemas of the protocol's documents (manifest, key ceremony, ballot,
receipt, trustee shares, tally, result, ...) are generated from the codec types
by :mod:`kiemphieu.crypto.codec_schema`, so they say what the codec accepts;
the shapes of the JSON views are in :mod:`.openapi_views`. Every operation's
``operationId`` is the Flask endpoint that serves it: tests/server/test_openapi.py
holds the document and the app's URL map to each other and runs schemathesis
against the app.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib.metadata import version
from typing import Any

from kiemphieu.crypto import codec
from kiemphieu.crypto.codec_schema import definitions
from kiemphieu.crypto.election.attestation import CloseAttestation
from kiemphieu.crypto.election.ballot import Ballot
from kiemphieu.crypto.election.board import BoardEntry, Receipt
from kiemphieu.crypto.election.ceremony import KeyCeremony
from kiemphieu.crypto.election.committee import Registrar, Trustee
from kiemphieu.crypto.election.manifest import IDENT, Manifest
from kiemphieu.crypto.election.manifest_toml import manifest_from_toml
from kiemphieu.crypto.election.result import ElectionResult
from kiemphieu.crypto.election.roll import SignedRoll
from kiemphieu.crypto.election.tally import EncryptedTally, TallyCounts
from kiemphieu.crypto.election.trustee import TrusteeShares
from kiemphieu.crypto.keygen.frames import LABEL

from ..config import ServerConfig
from .common import MAX_QUERY_START
from .openapi_views import HEX32, REF, Schema, ref, view_schemas

CODEC_TYPES = (
    Manifest,
    KeyCeremony,
    Trustee,
    Registrar,
    SignedRoll,
    CloseAttestation,
    TrusteeShares,
    Ballot,
    Receipt,
    BoardEntry,
    EncryptedTally,
    TallyCounts,
    ElectionResult,
)
JSON = "application/json"
TOML = "application/toml"
ZIP = "application/zip"
RECORD_HEADERS = {
    "ETag": {
        "description": "the SHA-256 of the record's record.json, quoted",
        "schema": {"type": "string", "pattern": '^"[0-9a-f]{64}"$'},
    },
    "Content-Disposition": {
        "description": "attachment; filename=<election id>-record.zip",
        "schema": {"type": "string"},
    },
    "X-Record-State": {
        "description": "the record's state",
        "schema": {"type": "string", "enum": ["closed", "tallied", "published"]},
    },
}
RECORD_BUILDING = {
    "description": (
        "the record of the election's current state is being built (it starts when "
        "the election enters the state; a million ballots take about an hour): ask "
        "again after Retry-After seconds; the body's code is record-building"
    ),
    "headers": {
        "Retry-After": {
            "description": "seconds to wait before asking again (5 to 30, by board size)",
            "schema": {"type": "integer", "minimum": 1},
        },
        "X-Record-State": RECORD_HEADERS["X-Record-State"],
    },
    "content": {JSON: {"schema": ref("Error")}},
}
RECORD_FAILED = {
    "description": (
        "the last build of the record failed (the server logged why); a request "
        "starts it again after Retry-After seconds; the body's code is record-failed"
    ),
    "headers": {
        "Retry-After": {
            "description": "seconds before the build is tried again",
            "schema": {"type": "integer", "minimum": 1},
        },
        "X-Record-State": RECORD_HEADERS["X-Record-State"],
    },
    "content": {JSON: {"schema": ref("Error")}},
}

EXAMPLE_TOML = """\
election_id = "hoi-nghi-2025"
title = { vi = "Lấy phiếu tín nhiệm 2025", en = "Confidence vote 2025" }
description = { vi = "Hội nghị cán bộ chủ chốt.", en = "Meeting of key officials." }

[rules]
summoned = 45
quorum = "2/3"
denominator = "returned"
trustees = 3
threshold = 2

[[questions]]
id = "leaders"
kind = "confidence"
title = { vi = "Lãnh đạo", en = "Leaders" }
levels = [
  { id = "high", vi = "Tín nhiệm cao", en = "High confidence" },
  { id = "mid", vi = "Tín nhiệm", en = "Confidence" },
  { id = "low", vi = "Tín nhiệm thấp", en = "Low confidence" },
]
rows = [{ id = "p1", vi = "Nguyễn Văn An", en = "Nguyen Van An" }]
"""

OCTET = "application/octet-stream"
BINARY: Schema = {"type": "string", "contentMediaType": OCTET}
KEYGEN_WAITING = {
    "description": "some trustees have not sent this round yet; ask again after Retry-After",
    "headers": {"Retry-After": {"description": "seconds", "schema": {"type": "integer"}}},
    "content": {JSON: {"schema": ref("KeygenWaiting")}},
}

ERRORS = {
    "400": ("BadRequest", "malformed input; field names it"),
    "401": ("Unauthorized", "missing or wrong admin token"),
    "403": ("Forbidden", "the credential is not on the election's list"),
    "404": ("NotFound", "no such election, ballot, trustee or result"),
    "409": ("Conflict", "refused in the election's current state"),
    "413": ("TooLarge", "body larger than the server accepts"),
    "422": ("Unprocessable", "well-formed, but a signature or proof does not verify"),
    "429": (
        "RateLimited",
        "too many refused requests from this client or credential; retry after Retry-After",
    ),
    "503": ("Unavailable", "the database is unavailable for a moment; retry after Retry-After"),
}


def document(page_max: int = ServerConfig.public_page_max) -> dict[str, Any]:
    """The OpenAPI document for a server whose pages hold at most ``page_max``
    items; built once per value and shared, so callers must not mutate it."""
    return _build(page_max)


@dataclass(frozen=True)
class Op:
    """One operation: ``role`` is its tag; admin operations need the token and
    admin and trustee ones are rate-limited (429)."""

    method: str
    path: str
    endpoint: str
    role: str
    summary: str
    ok: dict[str, tuple[Schema, str]]
    errors: str = ""
    params: tuple[str, ...] = ()
    body: Schema | None = None
    media: str = JSON
    headers: Schema | None = None
    more: dict[str, Schema] | None = None
    """Other answers, as whole OpenAPI response objects (their own media and headers)."""


def _body(name: str, description: str) -> Schema:
    return {"required": True, "description": description, "content": {JSON: {"schema": ref(name)}}}


def _manifest_body() -> Schema:
    example = codec.to_wire(manifest_from_toml(EXAMPLE_TOML))
    return {
        "required": True,
        "description": "a manifest: TOML as people write it, or its wire form (spec §8.1, §9)",
        "content": {
            TOML: {"schema": {"type": "string"}, "example": EXAMPLE_TOML},
            JSON: {"schema": ref("Manifest"), "example": example},
        },
    }


def _operations() -> list[Op]:
    eid = ("election_id",)
    summary = {"200": (ref("ElectionSummary"), "the election")}
    shares = _body("TrusteeShares", "decryption shares with proofs, signed by the trustee")
    return [
        Op("post", "/api/admin/elections", "admin.create_election", "admin",
           "Create an election in draft from its manifest",
           {"201": (ref("ElectionSummary"), "the new election")}, "400 409",
           body=_manifest_body()),
        Op("post", "/api/admin/elections/{election_id}/trustees", "admin.add_trustee", "admin",
           "Register a member of the counting committee (draft only)",
           {"201": (ref("TrusteeList"), "the committee so far")}, "400 404 409", eid,
           _body("Trustee", "the member's card (keys, ring-Pedersen parameters with Π^prm), "
                 "signed by its identity key, at its index")),
        Op("post", "/api/admin/elections/{election_id}/registrar", "admin.set_registrar",
           "admin", "Register the registrar's card (draft only; the key ceremony binds it)",
           {"201": (ref("RegistrarSet"), "the registrar")}, "400 404 409", eid,
           _body("Registrar", "the registrar's name and key, signed by that key")),
        Op("post", "/api/admin/elections/{election_id}/keys", "admin.publish_keys", "admin",
           "Publish the key ceremony's public output (draft → keys-published)",
           summary, "400 404 409", eid,
           _body("KeyCeremony", "checked as spec §11 steps 1–2; dealt to the registered "
                 "committee")),
        Op("post", "/api/admin/elections/{election_id}/open", "admin.open_poll", "admin",
           "Open the poll once every trustee passed the test decryption and the registrar "
           "signed exactly the listed credentials",
           summary, "404 409", eid),
        Op("post", "/api/admin/elections/{election_id}/close", "admin.close_poll", "admin",
           "Close the poll: no ballot is accepted after", summary, "404 409", eid),
        Op("post", "/api/admin/elections/{election_id}/publish", "admin.publish", "admin",
           "Publish the result (tallied → published)", summary, "404 409", eid),
        Op("post", "/api/registrar/elections/{election_id}/credentials",
           "registrar.add_credentials", "registrar",
           "Add credentials' public keys (until the poll opens)",
           {"201": (ref("CredentialsAdded"), "the batch is stored")}, "400 404 409", eid,
           _body("CredentialBatch", "new credentials, none listed before")),
        Op("post", "/api/registrar/elections/{election_id}/roll", "registrar.sign_roll",
           "registrar", "The registrar's signature on the roll as listed now (after the "
           "key ceremony, until the poll opens)",
           {"201": (ref("RollSigned"), "the signature is stored")}, "400 404 409", eid,
           _body("SignedRoll", "H_E, count and roll hash of the listed keys, signed by the "
                 "registrar's key")),
        Op("post", "/api/trustee/elections/{election_id}/test-shares",
           "trustee.post_test_shares", "trustee",
           "Post shares of the ceremony's test ciphertext (keys-published)",
           {"201": (ref("TestSharesAccepted"), "the shares verified")},
           "400 404 409 422", eid, shares),
        Op("post", "/api/trustee/elections/{election_id}/tally-shares",
           "trustee.post_tally_shares", "trustee",
           "Post shares of the packed tally (closed); t valid ones decrypt it",
           {"201": (ref("TallySharesAccepted"), "the shares verified")},
           "400 404 409 422", eid, shares),
        Op("post", "/api/trustee/elections/{election_id}/attestations",
           "trustee.post_attestation", "trustee",
           "Attest the closed board (size, ballots, roll hash, head); 409 if it is not the "
           "server's", {"201": (ref("AttestationAccepted"), "stored"),
                        "200": (ref("AttestationAccepted"), "the same was stored before")},
           "400 404 409", eid, _body("CloseAttestation", "signed by the trustee's identity key")),
        Op("post", "/api/elections/{election_id}/ballots", "voter.cast_ballot", "voter",
           "Cast a ballot and get the server's signed receipt",
           {"201": (ref("Receipt"), "the ballot is on the board"),
            "200": (ref("Receipt"), "this exact ballot was already on the board")},
           "400 403 404 409 422 429", eid,
           _body("Ballot", "a signed encrypted ballot (spec §8.5)")),
        Op("get", "/api/server", "public.server_info", "public",
           "The software and the server's receipt key",
           {"200": (ref("ServerInfo"), "about this server")}),
        Op("get", "/api/elections", "public.list_elections", "public",
           "Every election, oldest first", {"200": (ref("ElectionList"), "the elections")}),
        Op("get", "/api/elections/{election_id}", "public.get_election", "public",
           "One election", summary, "404", eid),
        Op("get", "/api/elections/{election_id}/board", "public.list_board", "public",
           "A page of the board, from position start",
           {"200": (ref("BoardPage"), "the entries")}, "400 404", (*eid, "start", "limit")),
        Op("get", "/api/elections/{election_id}/board/head", "public.board_head", "public",
           "The board's size and chain head", {"200": (ref("BoardHead"), "size and head")},
           "404", eid),
        Op("get", "/api/elections/{election_id}/ballots/{tracking_code}", "public.find_ballot",
           "public", "Find a ballot by its tracking code",
           {"200": (ref("BallotLookup"), "the entry and its receipt")}, "400 404",
           (*eid, "tracking_code")),
        Op("get", "/api/elections/{election_id}/turnout", "public.turnout", "public",
           "Turnout so far", {"200": (ref("Turnout"), "the counts")}, "404", eid),
        Op("get", "/api/elections/{election_id}/credentials", "public.list_credentials",
           "public", "The credential list (public keys only)",
           {"200": (ref("CredentialList"), "the list")}, "404", eid),
        Op("get", "/api/elections/{election_id}/trustees", "public.list_trustees", "public",
           "The counting committee as registered (the key ceremony's is the one H_E binds)",
           {"200": (ref("TrusteeList"), "the members")}, "404", eid),
        Op("get", "/api/elections/{election_id}/registrar", "public.get_registrar", "public",
           "The registrar's card", {"200": (ref("RegistrarView"), "the card or null")},
           "404", eid),
        Op("get", "/api/elections/{election_id}/attestations", "public.list_attestations",
           "public", "The trustees' close attestations",
           {"200": (ref("AttestationList"), "the attestations")}, "404", eid),
        Op("get", "/api/elections/{election_id}/shares", "public.list_shares", "public",
           "Every share document a trustee posted, valid or not",
           {"200": (ref("ShareLog"), "the documents")}, "404", eid),
        Op("get", "/api/elections/{election_id}/tally", "public.get_tally", "public",
           "The encrypted tally recomputed from the board (once closed)",
           {"200": (ref("TallyView"), "the tally")}, "404 409", eid),
        Op("get", "/api/elections/{election_id}/result", "public.get_result", "public",
           "The decrypted counts and the result under the manifest's rules",
           {"200": (ref("ResultView"), "the result")}, "404", eid),
        Op("get", "/api/elections/{election_id}/record", "public.get_record", "public",
           "The election record (docs/record.md), a zip, once the poll is closed "
           "and the record of its state is built (202 meanwhile, never waiting); "
           "HEAD, If-None-Match (304) and Range (206) are supported",
           {"200": ({"type": "string", "contentMediaType": ZIP}, "the record archive")},
           "404 409", eid, media=ZIP, headers=RECORD_HEADERS,
           more={"202": RECORD_BUILDING, "503": RECORD_FAILED}),
        Op("get", "/api/audit", "public.audit_log", "public",
           "The audit log: entries with id above start",
           {"200": (ref("AuditLog"), "the entries")}, "400", ("election", "start", "limit")),
        Op("post", "/api/admin/elections/{election_id}/keygen", "keygen.start", "admin",
           "Open a key generation by the committee (draft; docs/spec.md §12); a running "
           "run is stopped", {"201": (ref("KeygenRun"), "the new run")}, "400 404 409", eid,
           {"required": True, "content": {JSON: {"schema": ref("KeygenStart")}}}),
        Op("get", "/api/elections/{election_id}/keygen", "keygen.state", "public",
           "The latest key generation run: parameters, state, failure, current round",
           {"200": (ref("KeygenRun"), "the run")}, "404", eid),
        Op("post", "/api/trustee/elections/{election_id}/keygen/{run}/messages",
           "keygen.post_message", "keygen",
           "A trustee's signed round message, a binary post frame (crypto/keygen/frames.py)",
           {"201": (ref("KeygenPosted"), "stored"),
            "200": (ref("KeygenPosted"), "the same frame was stored before")},
           "400 403 404 409", ("election_id", "run"),
           {"required": True, "content": {OCTET: {"schema": BINARY}}}),
        Op("post", "/api/trustee/elections/{election_id}/keygen/{run}/abort",
           "keygen.abort", "keygen",
           "A trustee whose check failed stops the run for everyone, with its reason "
           "(signed by its identity key)",
           {"200": ({"type": "object"}, "the run is stopped")}, "400 403 404 409",
           ("election_id", "run"),
           {"required": True, "content": {JSON: {"schema": ref("KeygenAbort")}}}),
        Op("get", "/api/trustee/elections/{election_id}/keygen/{run}/round",
           "keygen.read_round", "keygen",
           "The other trustees' messages of a round for one reader (binary delivery frames), "
           "once all have sent it; 202 meanwhile",
           {"200": (BINARY, "the delivery frames")}, "400 403 404 409",
           ("election_id", "run", "label", "reader"), media=OCTET,
           more={"202": KEYGEN_WAITING}),
        Op("get", "/api/openapi.json", "openapi.openapi", "public", "This document",
           {"200": ({"type": "object"}, "the OpenAPI document")}),
    ]  # fmt: skip


def _operation(op: Op) -> Schema:
    responses: Schema = {
        status: {"description": text, "content": {op.media: {"schema": schema}}}
        for status, (schema, text) in op.ok.items()
    }
    if op.headers is not None:
        for response in responses.values():
            response["headers"] = op.headers
    responses |= op.more or {}
    # any request may carry an oversized body or meet a database fault
    codes = set(op.errors.split()) | {"413", "503"}
    if op.role in ("admin", "registrar"):
        codes |= {"401", "429"}
    if op.role == "trustee":
        codes.add("429")
    for status in sorted(codes):
        responses[status] = {"$ref": f"#/components/responses/{ERRORS[status][0]}"}
    out: Schema = {"operationId": op.endpoint, "tags": [op.role], "summary": op.summary}
    if op.params:
        out["parameters"] = [{"$ref": f"#/components/parameters/{p}"} for p in op.params]
    if op.body is not None:
        out["requestBody"] = op.body
    out["responses"] = responses
    if op.role in ("admin", "registrar"):
        out["security"] = [{"adminToken": []}]
    return out


def _parameters(page_max: int) -> dict[str, Schema]:
    ident = {"type": "string", "pattern": IDENT.pattern}

    def query(name: str, schema: Schema, description: str) -> Schema:
        return {"name": name, "in": "query", "description": description, "schema": schema}

    return {
        "election_id": {"name": "election_id", "in": "path", "required": True, "schema": ident},
        "tracking_code": {
            "name": "tracking_code",
            "in": "path",
            "required": True,
            "description": "the ballot's tracking code (spec §8.5)",
            "schema": {"type": "string", "pattern": HEX32},
        },
        "start": query(
            "start",
            {"type": "integer", "minimum": 0, "maximum": MAX_QUERY_START, "default": 0},
            "the first board position; in the audit log, the id after which to start",
        ),
        "limit": query(
            "limit",
            {"type": "integer", "minimum": 1, "maximum": page_max, "default": 100},
            "the most entries to return",
        ),
        "election": query("election", ident, "only the entries of this election"),
        "run": {
            "name": "run",
            "in": "path",
            "required": True,
            "description": "the key generation run",
            "schema": {"type": "string", "pattern": "^[1-9][0-9]{0,9}$"},
        },
        "label": {
            **query(
                "label",
                {"type": "string", "pattern": "^(" + LABEL.pattern + ")$"},
                "the round label (docs/spec.md §12.7)",
            ),
            "required": True,
        },
        "reader": {
            **query(
                "reader",
                {"type": "integer", "minimum": 1, "maximum": 16},
                "the reading trustee's index",
            ),
            "required": True,
        },
    }


@functools.lru_cache(maxsize=4)
def _build(page_max: int) -> dict[str, Any]:
    schemas = definitions(CODEC_TYPES, ref_prefix=REF)
    views = view_schemas()
    clash = set(schemas) & set(views)
    if clash:
        raise TypeError(f"view schemas clash with codec types: {sorted(clash)}")
    paths: dict[str, Schema] = {}
    for op in _operations():
        paths.setdefault(op.path, {})[op.method] = _operation(op)
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {
            "title": "kiemphieu",
            "version": version("kiemphieu"),
            "description": (
                "Secret-ballot elections with threshold Paillier encryption. Documents "
                "follow the strict codec of docs/spec.md §9: every key is required, no "
                "other key is allowed, big integers travel as lowercase hex. Every "
                "refusal is a 4xx with the body {code, message, field}."
            ),
        },
        "tags": [
            {"name": "admin", "description": "The administrator: elections, keys, the poll."},
            {"name": "registrar", "description": "The registrar: the credential list."},
            {"name": "trustee", "description": "Trustees: decryption shares with proofs."},
            {"name": "voter", "description": "Voters: casting ballots."},
            {"name": "public", "description": "Anyone: elections, the board, the record."},
            {
                "name": "keygen",
                "description": "Trustees generating the key: the relay of signed, sealed "
                "binary round frames (docs/spec.md §12.7).",
            },
        ],
        "paths": paths,
        "components": {
            "schemas": {**schemas, **views},
            "parameters": _parameters(page_max),
            "responses": {
                name: {"description": text, "content": {JSON: {"schema": ref("Error")}}}
                for name, text in ERRORS.values()
            },
            "securitySchemes": {
                "adminToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "the admin token, shown once when the server first starts",
                }
            },
        },
    }
