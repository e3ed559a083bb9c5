"""``kiemphieu record download`` while the server builds the record.

A server process of its own (gunicorn, 2 workers) whose record builds hold
until the test releases them (``--record-gate``, tests/support/server_process.py):
the download gives up after ``--wait`` (exit 4, nothing left behind; ``verify
URL`` says the record is being built, exit 3), or
waits through the 202s, saying so once, and saves the record once it is
built; a server killed mid-build leaves a temporary file that the next start
removes before it builds the record again.
"""

from __future__ import annotations

import datetime
import email.utils
import time
from pathlib import Path

import pytest
import requests

from kiemphieu.client.cli import record
from kiemphieu.client.cli.http import ServerError
from kiemphieu.crypto.record.archive import RecordArchive
from kiemphieu.crypto.record.documents import RecordState
from kiemphieu.server.records import BUILDING_PREFIX, RECORDS_DIR

from ..support.server_process import ServerProcess
from .conftest import Live
from .test_record_download import _Reply, closed_election, download, leftovers  # noqa: F401

REAL_SLEEP = time.sleep


@pytest.fixture(scope="module")
def gated(tmp_path_factory):
    data = tmp_path_factory.mktemp("gated-server")
    gates = data / "gates"
    gates.mkdir()
    server = ServerProcess(f"sqlite:///{data / 'kiemphieu.sqlite3'}", data, record_gate=gates)
    server.start()
    holder = {"server": server}
    try:
        yield holder, gates
    finally:
        (gates / "all").touch()
        holder["server"].stop()


@pytest.fixture(scope="module")
def live(gated) -> Live:
    """Overrides the session's server for this module's elections."""
    holder, _ = gated
    server = holder["server"]
    token_file = server.data_dir / "token"
    token_file.write_text(server.token())
    token_file.chmod(0o600)
    return Live(server.url, server.token(), token_file)


def building_files(server: ServerProcess, election_id: str) -> list[Path]:
    folder = server.data_dir / RECORDS_DIR / election_id
    return sorted(folder.glob(f"{BUILDING_PREFIX}*")) if folder.is_dir() else []


def held_build(server: ServerProcess, election_id: str) -> Path:
    """The temporary file of the build the close started, held at the gate."""
    deadline = time.monotonic() + 30
    while not (found := building_files(server, election_id)):
        assert time.monotonic() < deadline, "no build started"
        REAL_SLEEP(0.02)
    (only,) = found
    return only


def record_files(server: ServerProcess, election_id: str) -> list[Path]:
    return sorted((server.data_dir / RECORDS_DIR / election_id).glob("closed-*.zip"))


def test_download_gives_up_after_wait(closed_election, cli, live, gated):  # noqa: F811
    election = closed_election
    holder, gates = gated
    out = election.folder / "record.zip"
    held_build(holder["server"], election.id)
    reply = requests.get(f"{live.url}/api/elections/{election.id}/record", timeout=10)
    assert reply.status_code == 202 and reply.headers["Retry-After"] == "5"
    assert reply.json()["code"] == "record-building"
    assert download(cli, live, election.id, "--out", out, "--wait", "-1").code == 2
    r = download(cli, live, election.id, "--out", out, "--wait", "0")
    assert r.code == 4, r.err
    assert "still building the record" in r.err and "--wait" in r.err
    assert not out.exists() and leftovers(election.folder) == []
    assert record_files(holder["server"], election.id) == []
    r = cli("verify", f"{live.url}/api/elections/{election.id}/record", "--allow-test-keys")
    assert r.code == 3 and "still building the record; try again in 5 s" in r.err, r.err
    (gates / election.id).touch()


def test_download_waits_through_202_then_saves(closed_election, cli, live, gated, monkeypatch):  # noqa: F811
    election = closed_election
    holder, gates = gated
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        if len(slept) == 1:  # the CLI got a 202: now let the server build
            (gates / election.id).touch()
        REAL_SLEEP(0.05)

    held_build(holder["server"], election.id)
    monkeypatch.setattr(record.time, "sleep", sleep)
    out = election.folder / "record.zip"
    r = download(cli, live, election.id, "--out", out)
    monkeypatch.undo()
    assert r.code == 0, r.err
    assert r.err.count("the server is building the record") == 1
    assert slept and all(s == 5.0 for s in slept)  # Retry-After, as the server asked
    assert f"({RecordState.CLOSED.value})" in r.out
    with out.open("rb") as f, RecordArchive(f) as rec:
        assert rec.index.election_id == election.id and rec.index.board_size == 4
    assert leftovers(election.folder) == []
    assert building_files(holder["server"], election.id) == []


def test_killed_mid_build_the_next_start_builds_again(
    closed_election,  # noqa: F811
    cli,
    live,
    gated,
    monkeypatch,
):
    election = closed_election
    holder, gates = gated
    server: ServerProcess = holder["server"]
    stale = held_build(server, election.id)
    server.kill()
    assert stale.exists() and record_files(server, election.id) == []

    (gates / election.id).touch()
    restarted = ServerProcess(server.db_url, server.data_dir, record_gate=gates)
    holder["server"] = restarted.start()
    live.url = restarted.url
    out = election.folder / "record.zip"
    monkeypatch.setattr(record.time, "sleep", lambda s: REAL_SLEEP(0.05))
    r = download(cli, live, election.id, "--out", out)
    monkeypatch.undo()
    assert r.code == 0, r.err
    assert not stale.exists() and building_files(restarted, election.id) == []
    (built,) = record_files(restarted, election.id)
    assert built.read_bytes() == out.read_bytes()


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def read(self, size: int, decode_content: bool = False) -> bytes:
        return self.body[:size]


class _Building:
    """Answers ``replies`` (status, headers) in turn, then the record."""

    def __init__(self, replies, data):
        self.replies, self.data, self.calls = list(replies), data, 0

    def get(self, url, headers, **kw):
        self.calls += 1
        if self.replies:
            status, extra = self.replies.pop(0)
            body = b'{"code":"record-building","message":"being built","field":null}'
            reply = _Reply(status, body, {"Content-Type": "application/json", **extra})
            reply.raw = _Raw(body)
            return reply
        return _Reply(200, self.data, {"Content-Type": "application/zip", "ETag": '"e"'})


def test_stream_honours_retry_after_and_tells_once(tmp_path, monkeypatch):
    slept: list[float] = []
    monkeypatch.setattr(record.time, "sleep", slept.append)
    later = email.utils.format_datetime(
        datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=20), usegmt=True
    )
    replies = [
        (202, {"Retry-After": "7"}),
        (503, {"Retry-After": later}),  # an HTTP date, 20 s ahead
        (202, {"Retry-After": "100000"}),  # capped
        (202, {}),  # no header: the default pause
    ]
    told: list[str] = []
    session = _Building(replies, b"zipbytes")
    with (tmp_path / "out.part").open("w+b") as out:
        etag = record._stream(
            session, "http://x/record", out, max_bytes=1 << 20, timeout_s=5, notice=told.append
        )
        out.seek(0)
        assert out.read() == b"zipbytes"
    assert etag == '"e"' and session.calls == 5 and len(told) == 1
    assert slept[0] == 7 and 15 < slept[1] <= 20
    assert slept[2:] == [record.MAX_PAUSE_S, record.DEFAULT_PAUSE_S]

    # a 503 without Retry-After is a refusal, not a build
    session = _Building([(503, {})], b"")
    with (tmp_path / "out2.part").open("w+b") as out, pytest.raises(ServerError) as info:
        record._stream(session, "http://x/record", out, max_bytes=1 << 20, timeout_s=5)
    assert info.value.status == 503 and info.value.message == "being built"
    assert session.calls == 1
