"""Election records built in the background (server/record_builder.py), on
SQLite and PostgreSQL.

Closing the poll, the combination (tallied) and publishing each start the
build of that state's record with no request; a GET while it runs answers 202
with Retry-After at once (a hook holds the build on an event); a second
builder (another worker) waits for the file lock and does not build again; a
build that fails or was killed leaves no temporary file behind once the next
request or the next start builds the record again, byte for byte.
"""

from __future__ import annotations

import threading
import time

import pytest

from kiemphieu.crypto.election import ballot as bl
from kiemphieu.crypto.record.documents import RecordState
from kiemphieu.server import records
from kiemphieu.server.app import create_app
from kiemphieu.server.record_builder import RecordBuilder

from .conftest import prepare_election
from .test_casting import VOTE, cast, context_of
from .test_record_export import assert_verifies, builder, fetch, tally_shares, url

WAIT = 60.0


class Gate:
    """A build hook that holds every build until released."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()
        self.calls: list[tuple[str, RecordState]] = []

    def __call__(self, election_id: str, state: RecordState) -> None:
        self.calls.append((election_id, state))
        self.entered.set()
        if not self.release.wait(WAIT):
            raise TimeoutError("the test never released the build")


def folder_of(server, eid: str):
    return server.config.data_dir / records.RECORDS_DIR / eid


def names(server, eid: str) -> list[str]:
    return sorted(p.name for p in folder_of(server, eid).iterdir() if p.name != ".lock")


def voted_election(server, held):
    """An open election with one ballot on the board."""
    opened = prepare_election(server, held, voters=2)
    ctx = context_of(server, opened.election_id)
    ballot = bl.encrypt_ballot(ctx, opened.keys[0], VOTE)
    assert cast(server, opened.election_id, ballot).status_code == 201
    return opened


def test_each_state_starts_its_build_without_a_request(server, held):
    opened = voted_election(server, held)
    eid = opened.election_id
    assert server.admin("post", f"/api/admin/elections/{eid}/close").status_code == 200
    assert builder(server).wait(eid, WAIT)
    (closed,) = names(server, eid)
    assert closed.startswith("closed-") and closed.endswith(".zip")

    tally_shares(server, held, opened, 3)  # the third share combines: tallied
    assert builder(server).wait(eid, WAIT)
    (tallied,) = names(server, eid)  # the closed record is gone
    assert tallied.startswith("tallied-")

    assert server.admin("post", f"/api/admin/elections/{eid}/publish").status_code == 200
    assert builder(server).wait(eid, WAIT)
    (published,) = names(server, eid)
    assert published.startswith("published-")
    r = server.client.get(url(eid))
    assert r.status_code == 200 and r.headers["X-Record-State"] == "published"
    assert_verifies(r.data)


def test_request_during_the_build_answers_202_at_once(server, held):
    gate = Gate()
    builder(server).hook = gate
    eid = voted_election(server, held).election_id
    try:
        assert server.admin("post", f"/api/admin/elections/{eid}/close").status_code == 200
        assert gate.entered.wait(WAIT)
        assert builder(server).building(eid)
        (tmp,) = names(server, eid)  # the build's temporary file, no record yet
        assert tmp.startswith(records.BUILDING_PREFIX)

        started = time.monotonic()
        r = server.client.get(url(eid), headers={"If-None-Match": '"' + "0" * 64 + '"'})
        head = server.client.head(url(eid))
        assert time.monotonic() - started < 5  # not held for the build
        assert r.status_code == 202 and r.mimetype == "application/json"
        assert r.headers["Retry-After"] == "5" and r.headers["X-Record-State"] == "closed"
        assert r.json["code"] == "record-building" and r.json["field"] is None
        assert eid in r.json["message"] and "ETag" not in r.headers
        assert head.status_code == 202 and head.headers["Retry-After"] == "5"
        assert head.data == b""
    finally:
        gate.release.set()
    assert builder(server).wait(eid, WAIT)
    assert gate.calls == [(eid, RecordState.CLOSED)]  # the GETs started no second build
    (built,) = names(server, eid)
    assert built.startswith("closed-")
    r = server.client.get(url(eid))
    assert r.status_code == 200 and r.headers["ETag"]
    assert_verifies(r.data)


def test_a_second_worker_waits_for_the_lock_and_does_not_build(server, held):
    gate = Gate()
    builder(server).hook = gate
    eid = voted_election(server, held).election_id
    services = server.app.extensions["kiemphieu"]
    other_gate = Gate()
    other_gate.release.set()
    other = RecordBuilder(
        services.db,
        services.contexts,
        services.identity.receipt_seed,
        server.config.data_dir,
        hook=other_gate,
    )
    try:
        assert server.admin("post", f"/api/admin/elections/{eid}/close").status_code == 200
        assert gate.entered.wait(WAIT)
        other.request(eid)  # as a request to another worker process would
        assert not other.wait(eid, timeout=0.2)  # held on the file lock
    finally:
        gate.release.set()
    assert builder(server).wait(eid, WAIT) and other.wait(eid, WAIT)
    assert len(gate.calls) == 1 and other_gate.calls == []
    (built,) = names(server, eid)
    assert built.startswith("closed-")


def test_failed_build_is_cleaned_up_and_retried_after_a_back_off(server, held):
    def broken(election_id: str, state: RecordState) -> None:
        raise OSError("disk full")

    builder(server).hook = broken
    eid = voted_election(server, held).election_id
    assert server.admin("post", f"/api/admin/elections/{eid}/close").status_code == 200
    assert builder(server).wait(eid, WAIT)
    assert builder(server).failures == 1 and names(server, eid) == []
    builder(server).hook = None
    # A polling client does not restart a build that just failed: 503 and when.
    refused = server.client.get(url(eid))
    assert refused.status_code == 503 and refused.get_json()["code"] == "record-failed"
    assert 1 <= int(refused.headers["Retry-After"]) <= 300
    assert not builder(server).building(eid)
    builder(server).failure_backoff = 0.0  # the back-off is over
    assert server.client.get(url(eid)).status_code == 202  # starts the build again
    r = fetch(server, eid)
    assert r.status_code == 200
    assert_verifies(r.data)


@pytest.mark.parametrize("restart", [False, True], ids=["next-request", "next-start"])
def test_killed_build_leaves_nothing_and_the_record_is_rebuilt(server, held, restart):
    eid = voted_election(server, held).election_id
    assert server.admin("post", f"/api/admin/elections/{eid}/close").status_code == 200
    first = fetch(server, eid)
    assert first.status_code == 200
    # a build killed with its process: the record never renamed into place,
    # its temporary file left half-written
    (record_file,) = folder_of(server, eid).glob("closed-*.zip")
    record_file.unlink()
    stale = folder_of(server, eid) / f"{records.BUILDING_PREFIX}killed.zip"
    stale.write_bytes(first.data[:100])
    if restart:
        services = server.app.extensions["kiemphieu"]
        assert services.record_builder.close(WAIT)
        services.db.dispose()
        server.app = create_app(server.config)  # resumes the missing build on start
        server.client = server.app.test_client()
    else:
        assert server.client.get(url(eid)).status_code == 202
    assert builder(server).wait(eid, WAIT)
    assert not stale.exists() and names(server, eid) == [record_file.name]
    again = server.client.get(url(eid))
    assert again.status_code == 200
    assert again.data == first.data and again.headers["ETag"] == first.headers["ETag"]
