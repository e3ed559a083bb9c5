"""The election record served at /api/elections/<id>/record (SQLite and PostgreSQL).

The record downloads once the poll is closed, opens with RecordArchive (every
file's hash checked, every document decoded strictly), holds the board the API
lists, comes back byte-identical (served from the cached file, or rebuilt from
the database), and changes when the state does. Records are built in the
background (tests/server/test_record_builds.py): ``fetch`` waits for the build.
"""

from __future__ import annotations

import hashlib
import io
import zipfile

import pytest

from kiemphieu.crypto import codec
from kiemphieu.crypto.election import ballot as bl
from kiemphieu.crypto.election.board import BoardEntry, verify_chain
from kiemphieu.crypto.election.ceremony import KeyCeremony
from kiemphieu.crypto.election.manifest import Manifest
from kiemphieu.crypto.election.result import ElectionResult
from kiemphieu.crypto.election.tally import TallyCounts
from kiemphieu.crypto.election.trustee import SharePurpose, make_shares
from kiemphieu.crypto.primitives.paillier import KeyPolicy
from kiemphieu.crypto.record import archive
from kiemphieu.crypto.record.documents import (
    AttestationList,
    CredentialList,
    MinutesRecord,
    RecordState,
    ShareList,
    TallyRecord,
)
from kiemphieu.crypto.record.verify import verify_record
from kiemphieu.server import records

from .conftest import attest_close, prepare_election
from .test_casting import VOTE, cast, context_of

DOCS = {
    archive.MANIFEST: Manifest,
    archive.CEREMONY: KeyCeremony,
    archive.CREDENTIALS: CredentialList,
    archive.ATTESTATIONS: AttestationList,
    archive.SHARES: ShareList,
    archive.TALLY: TallyRecord,
    archive.COUNTS: TallyCounts,
    archive.RESULT: ElectionResult,
    archive.MINUTES: MinutesRecord,
}
CLOSED_FILES = {
    archive.MANIFEST,
    archive.CEREMONY,
    archive.CREDENTIALS,
    archive.ATTESTATIONS,
    archive.SHARES,
    archive.TALLY,
}


def url(eid: str) -> str:
    return f"/api/elections/{eid}/record"


def builder(server):
    return server.app.extensions["kiemphieu"].record_builder


def fetch(server, eid: str, **kw):
    """GET the record once the background build the last step started is done."""
    assert builder(server).wait(eid, timeout=60)
    return server.client.get(url(eid), **kw)


def open_record(data: bytes) -> archive.RecordArchive:
    return archive.RecordArchive(io.BytesIO(data))


def zf_index(data: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return zf.read(archive.INDEX)


def load_all(rec: archive.RecordArchive) -> dict[str, object]:
    """Every fixed file decoded strictly (and checked canonical) by RecordArchive."""
    return {name: rec.load(cls, name) for name, cls in DOCS.items() if rec.has(name)}


def assert_verifies(data: bytes) -> None:
    """The observer's verifier passes every check that applies to the record."""
    with open_record(data) as rec:
        report = verify_record(rec, KeyPolicy.TESTING)
    failed = [c.id for c in report.checks if c.status.value == "failed"]
    assert report.ok and not failed, failed


def api_board(server, eid: str) -> list[dict]:
    out = server.client.get(f"{url(eid).rsplit('/', 1)[0]}/board?limit=500").json
    return out["entries"]


def tally_shares(server, held, opened, count: int) -> None:
    """Trustees 1..count attest the closed board, then post their tally shares."""
    eid = opened.election_id
    attest_close(server, held, range(1, count + 1))
    packed = tuple(
        int(c, 16) for c in server.client.get(f"/api/elections/{eid}/tally").json["packed"]
    )
    for i in range(count):
        doc = make_shares(
            held.dealing.shares[i],
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


@pytest.fixture
def small_segments(monkeypatch):
    """Segments of 2 entries, so a board of a few entries spans several files."""
    monkeypatch.setattr(records, "SEGMENT_ENTRIES", 2)


def test_record_through_the_states(server, held, small_segments):
    opened = prepare_election(server, held, voters=3)
    eid = opened.election_id
    ctx = context_of(server, eid)
    ballots = [
        bl.encrypt_ballot(ctx, opened.keys[0], VOTE),
        bl.encrypt_ballot(ctx, opened.keys[1], {"leaders": (1, None), "motion": None}),
        bl.encrypt_ballot(ctx, opened.keys[0], {"leaders": (2, 2), "motion": 0}),  # revote
    ]
    for b in ballots:
        assert cast(server, eid, b).status_code == 201

    refused = server.client.get(url(eid))
    assert refused.status_code == 409 and refused.json["code"] == "wrong-state"
    assert server.admin("post", f"/api/admin/elections/{eid}/close").status_code == 200

    # closed: the board, the test shares and the encrypted tally; no result yet
    r = fetch(server, eid)
    assert r.status_code == 200, r.json
    assert r.mimetype == "application/zip"
    assert r.headers["Content-Disposition"] == f"attachment; filename={eid}-record.zip"
    assert r.headers["X-Record-State"] == "closed"
    closed_bytes = r.data
    with open_record(closed_bytes) as rec:
        index = rec.index
        assert index.state is RecordState.CLOSED and index.election_id == eid
        assert index.election == ctx.hash
        index_sha = hashlib.sha256(zf_index(closed_bytes)).hexdigest()
        assert r.headers["ETag"] == f'"{index_sha}"'
        assert codec.loads(type(index), zf_index(closed_bytes)) == index
        assert {f.name for f in index.files} - set(rec.segment_names) == CLOSED_FILES
        docs = load_all(rec)
        segments = list(rec.segments())
    assert len(segments) == 3  # roll, open, 3 ballots, close: 2 entries a segment
    assert docs[archive.SHARES].tally == ()
    assert [s.index for s in docs[archive.SHARES].test] == [1, 2, 3, 4, 5]
    assert docs[archive.CREDENTIALS].keys == tuple(sorted(k.public for k in opened.keys))
    assert docs[archive.TALLY].counted == (3, 4)  # last ballot of each credential
    assert docs[archive.TALLY].tally.ballots == 2

    # the board is the API's board, entry by entry, ballots and receipts included
    items = [item for s in segments for item in s.items]
    listed = api_board(server, eid)
    assert [codec.to_wire(i.entry) for i in items] == [e["entry"] for e in listed]
    assert [None if i.ballot is None else codec.to_wire(i.ballot) for i in items] == [
        e["ballot"] for e in listed
    ]
    assert [i.ballot for i in items if i.ballot is not None] == ballots
    for item in items:
        assert (item.receipt is not None) == (item.entry.kind.value == "ballot")
        if item.receipt is not None:
            assert item.receipt.tracking_code == item.entry.payload_hash
            assert item.receipt.server_key == index.receipt_key
    entries = [codec.from_wire(BoardEntry, e["entry"]) for e in listed]
    assert verify_chain(ctx.hash, entries) == index.board_head
    assert index.board_size == len(entries) == 6
    assert_verifies(closed_bytes)

    # the same bytes again: from the cache, and rebuilt after the file is lost
    again = server.client.get(url(eid))
    assert again.data == closed_bytes and again.headers["ETag"] == r.headers["ETag"]
    cached = list((server.config.data_dir / "records" / eid).glob("*.zip"))
    assert len(cached) == 1
    cached[0].unlink()
    assert server.client.get(url(eid)).status_code == 202  # and the build starts again
    assert fetch(server, eid).data == closed_bytes

    # a conditional request, a range and HEAD
    same = server.client.get(url(eid), headers={"If-None-Match": r.headers["ETag"]})
    assert same.status_code == 304 and same.data == b""
    part = server.client.get(url(eid), headers={"Range": "bytes=0-9"})
    assert part.status_code == 206 and part.data == closed_bytes[:10]
    head = server.client.head(url(eid))
    assert head.status_code == 200 and int(head.headers["Content-Length"]) == len(closed_bytes)

    # tallied: every file; the cache follows the state
    tally_shares(server, held, opened, 3)
    r = fetch(server, eid)
    assert r.status_code == 200 and r.headers["X-Record-State"] == "tallied"
    assert r.headers["ETag"] != again.headers["ETag"]
    with open_record(r.data) as rec:
        assert rec.index.state is RecordState.TALLIED
        assert {f.name for f in rec.index.files} - set(rec.segment_names) == set(DOCS)
        docs = load_all(rec)
        tallied_index = rec.index
    assert [s.index for s in docs[archive.SHARES].tally] == [1, 2, 3]
    assert docs[archive.MINUTES].combined_by == (1, 2, 3)
    assert docs[archive.MINUTES].board_size == tallied_index.board_size == 6
    assert docs[archive.MINUTES].board_head == tallied_index.board_head
    result = server.client.get(f"/api/elections/{eid}/result").json
    assert codec.to_wire(docs[archive.RESULT]) == result["result"]
    assert codec.to_wire(docs[archive.COUNTS]) == result["counts"]
    assert docs[archive.RESULT].issued == 3
    assert_verifies(r.data)
    assert len(list((server.config.data_dir / "records" / eid).glob("*.zip"))) == 1

    # published: only the state (and its time) change
    assert server.admin("post", f"/api/admin/elections/{eid}/publish").status_code == 200
    r = fetch(server, eid)
    assert r.headers["X-Record-State"] == "published"
    with open_record(r.data) as rec:
        assert rec.index.state is RecordState.PUBLISHED
        assert rec.index.files == tallied_index.files
        assert rec.index.exported_at.endswith("Z")


def test_record_refusals(opened):
    server, eid = opened.server, opened.election_id
    for path, status, code in [
        (url("no-such-election"), 404, "not-found"),
        (url("a%00b"), 404, "not-found"),
        (url(eid), 409, "wrong-state"),
    ]:
        r = server.client.get(path)
        assert (r.status_code, r.mimetype) == (status, "application/json"), r.data
        assert r.json["code"] == code
    assert not (server.config.data_dir / "records" / eid).exists()


def test_record_removed_while_served_is_rebuilt(server, held, monkeypatch):
    """A record file removed between its look-up and its ETag (the state moved
    on in another worker) is looked up again, not answered with a 500: 202
    while it is built again, then the record under the same name."""
    opened = prepare_election(server, held, voters=1)
    eid = opened.election_id
    assert server.admin("post", f"/api/admin/elections/{eid}/close").status_code == 200
    assert builder(server).wait(eid, timeout=60)
    real = records.index_etag
    removed = []

    def racing(path):
        if not removed:
            removed.append(path)
            path.unlink()
        return real(path)

    monkeypatch.setattr(records, "index_etag", racing)
    r = server.client.get(url(eid))
    assert r.status_code == 202, r.data
    r = fetch(server, eid)
    assert r.status_code == 200, r.json
    assert removed and removed[0].is_file()  # built again under the same name
    assert r.headers["ETag"] == f'"{hashlib.sha256(zf_index(r.data)).hexdigest()}"'
    assert_verifies(r.data)


def test_an_attestation_after_the_record_was_built_builds_it_again(server, held):
    """The closed record is built at the close, before the trustees attest; each
    new attestation stamps the election anew, so the record served is never
    one that lacks a stored attestation, and it is rebuilt byte-identical from
    the database (the same attestation again changes nothing)."""
    opened = prepare_election(server, held, voters=1)
    eid = opened.election_id
    assert server.admin("post", f"/api/admin/elections/{eid}/close").status_code == 200
    first = fetch(server, eid)
    assert first.status_code == 200
    with open_record(first.data) as rec:
        assert load_all(rec)[archive.ATTESTATIONS].attestations == ()
    attest_close(server, held, [2])
    second = fetch(server, eid)
    assert second.status_code == 200 and second.headers["ETag"] != first.headers["ETag"]
    with open_record(second.data) as rec:
        assert [a.index for a in load_all(rec)[archive.ATTESTATIONS].attestations] == [2]
    assert_verifies(second.data)
    attest_close(server, held, [2])  # the same again: 200, nothing new
    assert builder(server).wait(eid, timeout=60)
    (built,) = (server.config.data_dir / "records" / eid).glob("*.zip")  # the stale one went
    assert built.read_bytes() == second.data
    built.unlink()
    assert server.client.get(url(eid)).status_code == 202
    builder(server).request(eid)
    third = fetch(server, eid)
    assert third.status_code == 200 and third.data == second.data
