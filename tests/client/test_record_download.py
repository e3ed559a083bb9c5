"""``kiemphieu record download`` against a real server process.

An election is made (tests/client/conftest.py ``new_election``), opened with
two credentials, voted and closed; the record is downloaded, checked and
placed; refusals: before the close (3), an unknown election (3), an existing
file without --force (1), a record of another election (5), a record above
--max-bytes (5), an unreachable server (4). No partial file is ever left.
"""

from __future__ import annotations

import hashlib
import re

import pytest
import requests

from kiemphieu.client.cli import record
from kiemphieu.crypto.election.credential import new_code
from kiemphieu.crypto.record.archive import RecordArchive
from kiemphieu.crypto.record.documents import RecordState

from ..support.server_process import free_port
from .conftest import CHOICES


def download(cli, live, election_id, *rest):
    return cli("record", "download", "--server", live.url, "--election", election_id, *rest)


def leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".part"))


@pytest.fixture
def closed_election(new_election, cli, live):
    election = new_election()
    codes = [new_code() for _ in range(2)]
    keys = [election.credential(c).public.hex() for c in codes]
    live.post(
        f"/api/registrar/elections/{election.id}/credentials",
        f'{{"credentials":["{keys[0]}","{keys[1]}"]}}'.encode(),
        admin=True,
    )
    election.sign_roll([bytes.fromhex(k) for k in keys])
    assert election.admin(cli, "open", "--election", election.id).code == 0
    choices = [a for c in CHOICES for a in ("--choice", c)]
    r = cli("vote", "--server", live.url, "--election", election.id,
            "--insecure-test-key", "--code", codes[0], *choices)  # fmt: skip
    assert r.code == 0, r.err
    r = download(cli, live, election.id, "--out", election.folder / "early.zip")
    assert r.code == 3 and "closed" in r.err, r.err
    assert not (election.folder / "early.zip").exists() and leftovers(election.folder) == []
    assert election.admin(cli, "close", "--election", election.id).code == 0
    return election


def test_download_checks_and_places_the_record(closed_election, cli, live):
    election = closed_election
    out = election.folder / "record.zip"
    r = download(cli, live, election.id, "--out", out)
    assert r.code == 0, r.err
    data = out.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    assert f"SHA-256 {digest}" in r.out and f"({RecordState.CLOSED.value})" in r.out
    assert str(out) in r.out
    with out.open("rb") as f, RecordArchive(f) as rec:
        assert rec.index.election_id == election.id
        assert rec.index.state is RecordState.CLOSED
        assert rec.index.board_size == 4  # roll, open, one ballot, close
        assert re.search(rf"board: 4 entries, head {rec.index.board_head.hex()}", r.out)
        assert f"receipt key {rec.index.receipt_key.hex()}" in r.out
        server_key = live.get("/api/server")["receipt_key"]
        assert rec.index.receipt_key.hex() == server_key
    assert leftovers(election.folder) == []

    # an existing file is kept without --force, replaced with it
    out.write_bytes(b"mine")
    r = download(cli, live, election.id, "--out", out)
    assert r.code == 1 and "--force" in r.err
    assert out.read_bytes() == b"mine"
    r = download(cli, live, election.id, "--out", out, "--force")
    assert r.code == 0, r.err
    assert out.read_bytes() == data  # the same bytes on a second request
    assert leftovers(election.folder) == []


def test_download_default_name(closed_election, cli, live, monkeypatch):
    monkeypatch.chdir(closed_election.folder)
    r = download(cli, live, closed_election.id)
    assert r.code == 0, r.err
    assert (closed_election.folder / f"{closed_election.id}-record.zip").is_file()


def test_download_refusals(closed_election, cli, live, monkeypatch, tmp_path):
    election = closed_election
    folder = tmp_path / "downloads"
    folder.mkdir()
    out = folder / "record.zip"

    r = download(cli, live, "no-such-election", "--out", out)
    assert r.code == 3 and "not found" in r.err

    r = download(cli, live, election.id, "--out", out, "--max-bytes", "1000")
    assert r.code == 5 and "--max-bytes" in r.err

    r = download(cli, live, election.id, "--out", folder / "missing" / "record.zip")
    assert r.code == 1 and "does not exist" in r.err

    # a server answering with the record of another election
    other = "some-other-election"
    real = record.api_path
    monkeypatch.setattr(
        record,
        "api_path",
        lambda *s: real("elections", election.id, "record") if other in s else real(*s),
    )
    r = download(cli, live, other, "--out", out)
    assert r.code == 5 and f"got {election.id!r}" in r.err
    monkeypatch.undo()

    monkeypatch.setattr(record, "RETRIES", 0)
    r = cli("record", "download", "--server", f"http://127.0.0.1:{free_port()}",
            "--election", election.id, "--out", out)  # fmt: skip
    assert r.code == 4 and "cannot connect" in r.err
    assert not out.exists() and leftovers(folder) == []

    r = cli("record", "download", "--server", "ftp://x", "--election", election.id)
    assert r.code == 2


class _Reply:
    """A streamed reply that may break after ``cut`` bytes."""

    def __init__(self, status, body, headers, cut=None):
        self.status_code, self.body, self.headers, self.cut = status, body, headers, cut
        self.reason = "OK"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def iter_content(self, size):
        sent = 0
        for i in range(0, len(self.body), 7):
            if self.cut is not None and sent >= self.cut:
                raise requests.ConnectionError("connection reset")
            chunk = self.body[i : i + 7]
            sent += len(chunk)
            yield chunk


class _Session:
    """Serves ``data`` (ETag ``etag``); the first reply breaks half-way."""

    def __init__(self, data, etag):
        self.data, self.etag, self.calls = data, etag, []

    def get(self, url, headers, **kw):
        self.calls.append(dict(headers))
        zip_headers = {"Content-Type": "application/zip", "ETag": self.etag}
        if len(self.calls) == 1:
            return _Reply(200, self.data, zip_headers, cut=len(self.data) // 2)
        start = int(headers["Range"].removeprefix("bytes=").removesuffix("-"))
        assert headers["If-Range"] == self.etag
        return _Reply(206, self.data[start:], zip_headers)


def test_stream_resumes_after_a_dropped_connection(tmp_path, monkeypatch):
    monkeypatch.setattr(record.time, "sleep", lambda s: None)
    data = bytes(range(256)) * 40
    session = _Session(data, '"abc"')
    with (tmp_path / "out.part").open("w+b") as out:
        etag = record._stream(session, "http://x/record", out, max_bytes=1 << 20, timeout_s=5)
        out.seek(0)
        assert out.read() == data
    assert etag == '"abc"'
    assert len(session.calls) == 2 and "Range" not in session.calls[0]
    assert (
        session.calls[1]["Range"].startswith("bytes=") and session.calls[1]["Range"] != "bytes=0-"
    )
