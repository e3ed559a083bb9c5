"""Client fixtures: the CLI, run in-process, against a real server process.

The server is ``tests/support/server_process.py``: gunicorn (2 gthread workers,
as ``kiemphieu serve`` runs it) around ``create_app(ServerConfig(...,
key_policy=KeyPolicy.TESTING))`` on a free loopback port, with SQLite in a
temporary folder. ``kiemphieu serve`` itself fixes the policy to STANDARD and
has no flag to weaken it; the test launcher is the only way to a server that
accepts the suite's 512-bit keys. The voter side opts in with the hidden
``--insecure-test-key``. One server serves the whole session; each test makes
its own election, with its own id and a dealing for that id.
"""

from __future__ import annotations

import io
import os
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import nacl.pwhash
import nacl.signing
import psycopg
import pytest
import requests

from kiemphieu.client.cli import keystore
from kiemphieu.client.cli.keystore import save_registrar_key
from kiemphieu.client.cli.main import main
from kiemphieu.crypto import codec
from kiemphieu.crypto.election.credential import CredentialKey
from kiemphieu.crypto.election.trustee import SharePurpose, make_shares

from ..support.committee import HeldCeremony, hold_ceremony
from ..support.server_process import ServerProcess

REGISTRAR_PASSPHRASE = "registrar passphrase for the tests"
PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"

MANIFEST_TOML = """
election_id = "{election_id}"
counter_bits = {counter_bits}

[title]
vi = "Lấy phiếu tín nhiệm lãnh đạo Vụ Tổ chức cán bộ năm 2026"
en = "Confidence rating of the Personnel Department's leaders, 2026"

[description]
vi = "Dùng cho kiểm thử."
en = "For the tests."

[rules]
summoned = 12
quorum = "2/3"
denominator = "returned"
revote = "last-counts"
trustees = 5
threshold = 3

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
  {{ id = "p3", vi = "Lê Quang Cường", en = "Le Quang Cuong" }},
  {{ id = "p4", vi = "Phạm Thu Dung", en = "Pham Thu Dung" }},
  {{ id = "p5", vi = "Hoàng Minh Đức", en = "Hoang Minh Duc" }},
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

[[questions]]
id = "board"
kind = "multiple"
title = {{ vi = "Ban chấp hành", en = "Board" }}
options = [
  {{ id = "c1", vi = "Ứng viên 1", en = "Candidate 1" }},
  {{ id = "c2", vi = "Ứng viên 2", en = "Candidate 2" }},
  {{ id = "c3", vi = "Ứng viên 3", en = "Candidate 3" }},
  {{ id = "c4", vi = "Ứng viên 4", en = "Candidate 4" }},
]
min_choices = 1
max_choices = 3
"""

CHOICES = ("leaders=high,mid,blank,low,high", "motion=yes", "board=c1,c3")


@dataclass
class Result:
    code: int
    out: str
    err: str


@dataclass
class Live:
    """The running server and what the CLI needs to reach it."""

    url: str
    token: str
    token_file: Path

    def get(self, path: str) -> dict:
        r = requests.get(self.url + path, timeout=10)
        assert r.status_code == 200, r.text
        return r.json()

    def post(self, path: str, body: bytes, *, admin: bool = False) -> dict:
        headers = {"Content-Type": "application/json"}
        if admin:
            headers["Authorization"] = f"Bearer {self.token}"
        r = requests.post(self.url + path, data=body, headers=headers, timeout=10)
        assert r.status_code in (200, 201), r.text
        return r.json()


def _serve(db_url: str, data: Path) -> Iterator[Live]:
    server = ServerProcess(db_url, data)
    server.start()
    try:
        token_file = data / "token"
        token_file.write_text(server.token())
        token_file.chmod(0o600)
        yield Live(server.url, server.token(), token_file)
    finally:
        server.stop()


@pytest.fixture(scope="session")
def live_postgresql(tmp_path_factory) -> Iterator[Live]:
    """The same server on PostgreSQL (a database of its own, dropped afterwards)."""
    name = f"kp_cli_{secrets.token_hex(6)}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield from _serve(
            f"postgresql://postgres@127.0.0.1:5432/{name}", tmp_path_factory.mktemp("client-pg")
        )
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def any_live(request) -> Live:
    """The live server on SQLite, then on PostgreSQL."""
    return request.getfixturevalue("live" if request.param == "sqlite" else "live_postgresql")


@pytest.fixture(scope="session")
def live(tmp_path_factory) -> Iterator[Live]:
    data = tmp_path_factory.mktemp("client-server")
    yield from _serve(f"sqlite:///{data / 'kiemphieu.sqlite3'}", data)


@pytest.fixture
def cli(capsys, monkeypatch) -> Callable[..., Result]:
    """Run ``kiemphieu ARGS`` in-process; stdin is empty and not a terminal."""
    monkeypatch.delenv("KIEMPHIEU_ADMIN_TOKEN", raising=False)

    def run(*argv: str | os.PathLike, stdin: io.StringIO | None = None) -> Result:
        capsys.readouterr()
        monkeypatch.setattr("sys.stdin", stdin if stdin is not None else io.StringIO(""))
        try:
            code = main([str(a) for a in argv])
        except SystemExit as exc:  # argparse's usage errors
            code = exc.code if isinstance(exc.code, int) else 2
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


@dataclass
class Election:
    id: str
    live: Live
    folder: Path
    held: HeldCeremony | None = None
    base_hash: bytes = b""
    """H_E, once the key ceremony is published."""
    registrar_key: Path | None = None
    """The registrar's key file (its passphrase is in ``passphrase_file``)."""
    passphrase_file: Path | None = None

    def sign_roll(self, keys: list[bytes]) -> None:
        """The registrar signs the roll ``keys`` (the whole list) and posts it."""
        assert self.held is not None
        doc = self.held.committee.sign_roll(self.id, self.base_hash, keys)
        self.live.post(f"/api/registrar/elections/{self.id}/roll", codec.dumps(doc), admin=True)

    def credential(self, code: str) -> CredentialKey:
        """The key of ``code`` for this election (under the test registrar)."""
        assert self.held is not None
        return self.held.committee.credential(code, self.id)

    def publish_keys(self, cli) -> None:
        """``admin keys`` with the held ceremony, then every trustee's test decryption."""
        assert self.held is not None
        ceremony = self.folder / "ceremony.json"
        ceremony.write_bytes(codec.dumps(self.held.ceremony))
        r = self.admin(cli, "keys", "--election", self.id, "--ceremony", ceremony)
        assert r.code == 0, r.err
        self.base_hash = bytes.fromhex(self.live.get(f"/api/elections/{self.id}")["base_hash"])
        dealing = self.held.dealing
        for share, member in zip(dealing.shares, self.held.committee.members, strict=True):
            doc = make_shares(
                share, member.identity_seed, self.base_hash, SharePurpose.TEST,
                (dealing.test_ciphertext,),
            )  # fmt: skip
            self.live.post(f"/api/trustee/elections/{self.id}/test-shares", codec.dumps(doc))

    def admin(self, cli, action: str, *rest: str | os.PathLike) -> Result:
        """``kiemphieu admin ACTION`` with the server and (but for status) the token."""
        token = () if action == "status" else ("--token-file", self.live.token_file)
        return cli("admin", action, "--server", self.live.url, *token, *rest)


_counter = iter(range(1, 1_000_000))


@pytest.fixture
def new_election(live, cli, test_primes, test_committee, tmp_path) -> Callable[..., Election]:
    """An election in keys-published, ready to open once credentials are listed
    and signed: ``admin create`` and ``admin keys`` through the CLI, the key
    dealt for the election's own id with the session's test primes to the test
    committee; the committee's steps (registering the trustees' signed cards and
    the registrar's before the key, their test decryption after it) over HTTP,
    as the trustees' own tools would. The registrar's key is written to a key
    file, for ``credentials issue --registrar-key``."""

    def make(counter_bits: int = 24, *, keys: bool = True) -> Election:
        eid = f"cli-{os.getpid()}-{next(_counter)}"
        folder = tmp_path / eid
        folder.mkdir()
        manifest = folder / "manifest.toml"
        manifest.write_text(MANIFEST_TOML.format(election_id=eid, counter_bits=counter_bits))
        election = Election(eid, live, folder)
        r = election.admin(cli, "create", "--manifest", manifest)
        assert r.code == 0, r.err
        for member in test_committee.trustees:
            live.post(f"/api/admin/elections/{eid}/trustees", codec.dumps(member), admin=True)
        live.post(
            f"/api/admin/elections/{eid}/registrar",
            codec.dumps(test_committee.registrar),
            admin=True,
        )
        election.passphrase_file = folder / "registrar-passphrase"
        election.passphrase_file.write_text(REGISTRAR_PASSPHRASE + "\n")
        election.passphrase_file.chmod(0o600)
        election.registrar_key = folder / "registrar.json"
        save_registrar_key(
            election.registrar_key, test_committee.registrar_seed, REGISTRAR_PASSPHRASE
        )
        election.held = hold_ceremony(eid, test_committee, test_primes)
        if keys:
            election.publish_keys(cli)
        return election

    return make


@pytest.fixture(autouse=True)
def cheap_registrar_kdf(monkeypatch):
    """Argon2id at its minimum cost for the tests' key files (production limits:
    tests/unit/test_keystore.py)."""
    monkeypatch.setattr(keystore, "OPSLIMIT", nacl.pwhash.argon2id.OPSLIMIT_MIN)
    monkeypatch.setattr(keystore, "MEMLIMIT", nacl.pwhash.argon2id.MEMLIMIT_MIN)
