"""Server fixtures: a fresh database per test, on SQLite and on PostgreSQL.

PostgreSQL is at 127.0.0.1:5432 with trust authentication on this machine kind
(and in CI); each test gets its own database, dropped afterwards.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

import nacl.signing
import psycopg
import pytest

from kiemphieu.crypto import codec
from kiemphieu.crypto.election.attestation import BoardClose, attest
from kiemphieu.crypto.election.credential import new_code
from kiemphieu.crypto.election.trustee import SharePurpose, make_shares
from kiemphieu.crypto.primitives.paillier import KeyPolicy
from kiemphieu.server.app import create_app
from kiemphieu.server.config import RateLimit, ServerConfig

from ..support.committee import HeldCeremony

PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"

MANIFEST_TOML = """
election_id = "{election_id}"

[title]
vi = "Lấy phiếu tín nhiệm thử"
en = "Test confidence vote"

[description]
vi = "Dùng cho kiểm thử."
en = "For the tests."

[rules]
# 4 ballots of 6 summoned meet the quorum: below it no row is flagged (QĐ 96)
summoned = 6
quorum = "2/3"
denominator = "returned"
revote = "{revote}"
trustees = 5
threshold = 3

[[rules.thresholds]]
id = "low-more-than-half"
question = "leaders"
slot = "low"
comparison = "more-than"
fraction = "1/2"
denominator = "returned"
label = {{ vi = "Quá nửa tín nhiệm thấp", en = "More than half low" }}

[[questions]]
id = "leaders"
kind = "confidence"
title = {{ vi = "Lãnh đạo", en = "Leaders" }}
levels = [
  {{ id = "high", vi = "Tín nhiệm cao", en = "High confidence" }},
  {{ id = "mid", vi = "Tín nhiệm", en = "Confidence" }},
  {{ id = "low", vi = "Tín nhiệm thấp", en = "Low confidence" }},
]
rows = [
  {{ id = "p1", vi = "Nguyễn Văn An", en = "Nguyen Van An" }},
  {{ id = "p2", vi = "Trần Thị Bình", en = "Tran Thi Binh" }},
]

[[questions]]
id = "motion"
kind = "single"
title = {{ vi = "Nghị quyết", en = "Motion" }}
options = [
  {{ id = "yes", vi = "Đồng ý", en = "Yes" }},
  {{ id = "no", vi = "Không đồng ý", en = "No" }},
]
blank = true
"""


def manifest_toml(revote: str = "last-counts", election_id: str = "test-election") -> str:
    return MANIFEST_TOML.format(revote=revote, election_id=election_id)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path: Path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'kiemphieu.sqlite3'}"
        return
    name = f"kp_test_{secrets.token_hex(6)}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Server:
    app: object
    client: object
    token: str
    config: ServerConfig

    def admin(self, method: str, path: str, **kw):
        headers = {"Authorization": f"Bearer {self.token}", **kw.pop("headers", {})}
        return getattr(self.client, method)(path, headers=headers, **kw)


def make_config(db_url: str, tmp_path: Path, **kw) -> ServerConfig:
    return ServerConfig(
        db_url=db_url,
        data_dir=tmp_path,
        key_policy=KeyPolicy.TESTING,
        batch_window_s=0.005,
        **kw,
    )


@pytest.fixture
def server(db_url, tmp_path) -> Server:
    token: list[str] = []
    config = make_config(db_url, tmp_path, admin_rate=RateLimit(1000, 60))
    app = create_app(config, first_token=token)
    made = Server(app, app.test_client(), token[0], config)
    yield made
    services = made.app.extensions["kiemphieu"]  # a test may have restarted the app
    assert services.record_builder.close(timeout=60), "a record build did not end"
    services.db.dispose()


@dataclass
class OpenElection:
    server: Server
    election_id: str
    codes: list[str]
    keys: list
    identities: list
    base_hash: bytes


def prepare_election(
    server: Server,
    held: HeldCeremony,
    *,
    voters: int = 4,
    revote="last-counts",
    open_poll=True,
    checked: int | None = None,
    signed: bool = True,
) -> OpenElection:
    """Create ``held``'s election, register the committee (signed cards) and the
    registrar, publish the key ceremony, add credentials and have the registrar
    sign the roll, run the trustees' check (test decryption) and open."""
    eid = held.ceremony.election_id
    committee = held.committee
    r = server.admin(
        "post",
        "/api/admin/elections",
        data=manifest_toml(revote, eid).encode(),
        headers={"Content-Type": "application/toml"},
    )
    assert r.status_code == 201, r.json
    for member in committee.trustees:
        r = server.admin(
            "post",
            f"/api/admin/elections/{eid}/trustees",
            data=codec.dumps(member),
            headers={"Content-Type": "application/json"},
        )
        assert r.status_code == 201, r.json
    r = server.admin(
        "post",
        f"/api/admin/elections/{eid}/registrar",
        data=codec.dumps(committee.registrar),
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 201, r.json
    r = server.admin(
        "post",
        f"/api/admin/elections/{eid}/keys",
        data=codec.dumps(held.ceremony),
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 200, r.json
    base_hash = bytes.fromhex(r.json["base_hash"])
    codes = [new_code() for _ in range(voters)]
    keys = [held.committee.credential(c, eid) for c in codes]
    r = server.admin(
        "post",
        f"/api/registrar/elections/{eid}/credentials",
        json={"credentials": [k.public.hex() for k in keys]},
    )
    assert r.status_code == 201, r.json
    if signed:
        sign_roll(server, held, [k.public for k in keys])
    identities = [nacl.signing.SigningKey(m.identity_seed) for m in committee.members]
    dealing = held.dealing
    pairs = list(zip(dealing.shares, identities, strict=True))
    for share, ident in pairs[: len(pairs) if checked is None else checked]:
        doc = make_shares(
            share, bytes(ident), base_hash, SharePurpose.TEST, (dealing.test_ciphertext,)
        )
        r = server.client.post(
            f"/api/trustee/elections/{eid}/test-shares",
            data=codec.dumps(doc),
            content_type="application/json",
        )
        assert r.status_code == 201, r.json
    if open_poll:
        r = server.admin("post", f"/api/admin/elections/{eid}/open")
        assert r.status_code == 200, r.json
    return OpenElection(server, eid, codes, keys, identities, base_hash)


def attest_close(server: Server, held: HeldCeremony, indices) -> BoardClose:
    """Trustees ``indices`` attest the closed board as the API lists it."""
    eid = held.ceremony.election_id
    info = server.client.get(f"/api/elections/{eid}").json
    entries = server.client.get(f"/api/elections/{eid}/board?limit=500").json["entries"]
    kinds = [e["entry"]["kind"] for e in entries]
    close = BoardClose(
        info["board_size"],
        kinds.count("ballot"),
        bytes.fromhex(entries[0]["entry"]["payload_hash"]),
        bytes.fromhex(info["board_head"]),
    )
    base = bytes.fromhex(info["base_hash"])
    for i in indices:
        doc = attest(held.committee.seed(i), base, i, close)
        r = server.client.post(
            f"/api/trustee/elections/{eid}/attestations",
            data=codec.dumps(doc),
            content_type="application/json",
        )
        assert r.status_code in (200, 201), r.json
    return close


def election_hash(server: Server, eid: str) -> bytes:
    """H_E as the server states it (the keys are published)."""
    return bytes.fromhex(server.client.get(f"/api/elections/{eid}").json["base_hash"])


def sign_roll(server: Server, held: HeldCeremony, keys: list[bytes]) -> None:
    """The registrar signs the roll ``keys`` and posts the signature."""
    eid = held.ceremony.election_id
    doc = held.committee.sign_roll(eid, election_hash(server, eid), keys)
    r = server.admin(
        "post",
        f"/api/registrar/elections/{eid}/roll",
        data=codec.dumps(doc),
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 201, r.json


@pytest.fixture
def opened(server, held) -> OpenElection:
    return prepare_election(server, held)
