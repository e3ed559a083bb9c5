"""A receipt, once returned, is durable (SQLite and PostgreSQL).

A real server process (gunicorn, 2 workers) takes a stream of casts from
several threads; after some receipts have come back the whole process group is
killed with SIGKILL. On restart over the same database every receipted ballot
is on the board at the receipted position with the receipted head, the chain
verifies, and casting the rest (re-sending the ballots whose requests died)
works with no duplicates.
"""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass, field
from pathlib import Path

import requests

from kiemphieu.crypto import codec
from kiemphieu.crypto.election import ballot as bl
from kiemphieu.crypto.election.board import (
    BoardEntry,
    EntryKind,
    Receipt,
    verify_chain,
    verify_receipt,
)
from kiemphieu.crypto.election.ceremony import KeyCeremony
from kiemphieu.crypto.election.context import ElectionContext
from kiemphieu.crypto.election.manifest import Manifest
from kiemphieu.crypto.primitives.paillier import KeyPolicy

from ..support.http_client import HttpClient, HttpServer
from ..support.server_process import ServerProcess
from .conftest import prepare_election

BALLOTS = 40
KILL_AFTER = 15
THREADS = 6
JSON = {"Content-Type": "application/json"}


def _open_election(srv: ServerProcess, held) -> tuple[str, ElectionContext, list]:
    """The shared preparation (committee, key, BALLOTS credentials, open) over HTTP."""
    client = HttpClient(srv.url)
    opened = prepare_election(HttpServer(client, srv.token()), held, voters=BALLOTS)
    eid = opened.election_id
    info = client.get(f"/api/elections/{eid}").json
    manifest = codec.from_wire(Manifest, info["manifest"])
    ceremony = codec.from_wire(KeyCeremony, info["key_ceremony"])
    ctx = ElectionContext(manifest, ceremony, KeyPolicy.TESTING)
    assert ctx.hash == opened.base_hash
    return eid, ctx, opened.keys


@dataclass
class Stream:
    """What the casting threads saw before the server died."""

    receipts: dict[int, dict] = field(default_factory=dict)
    died: set[int] = field(default_factory=set)
    unexpected: list[tuple[int, int, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    enough: threading.Event = field(default_factory=threading.Event)


def _stream(url: str, bodies: list[bytes], srv: ServerProcess) -> Stream:
    """Cast from THREADS threads; SIGKILL the server after KILL_AFTER receipts."""
    todo: queue.Queue[int] = queue.Queue()
    for i in range(len(bodies)):
        todo.put(i)
    seen = Stream()

    def cast_loop() -> None:
        with requests.Session() as session:
            while True:
                try:
                    i = todo.get_nowait()
                except queue.Empty:
                    return
                try:
                    r = session.post(url, data=bodies[i], headers=JSON, timeout=15)
                except requests.RequestException:
                    with seen.lock:
                        seen.died.add(i)
                    return
                with seen.lock:
                    if r.status_code == 201:
                        seen.receipts[i] = r.json()
                        if len(seen.receipts) >= KILL_AFTER:
                            seen.enough.set()
                    else:
                        seen.unexpected.append((i, r.status_code, r.text[:200]))

    threads = [threading.Thread(target=cast_loop) for _ in range(THREADS)]
    for t in threads:
        t.start()
    seen.enough.wait(timeout=30)
    srv.kill()
    for t in threads:
        t.join(timeout=30)
    return seen


def _board(base: str, eid: str) -> tuple[list[BoardEntry], list[dict]]:
    listing = requests.get(f"{base}/api/elections/{eid}/board?limit=500", timeout=10).json()
    assert listing["board_size"] == len(listing["entries"])
    entries = [codec.from_wire(BoardEntry, e["entry"]) for e in listing["entries"]]
    return entries, listing["entries"]


def test_receipts_survive_sigkill(db_url: str, tmp_path: Path, held) -> None:
    first = ServerProcess(db_url, tmp_path / "data").start()
    try:
        receipt_key = requests.get(f"{first.url}/api/server", timeout=10).json()["receipt_key"]
        eid, ctx, keys = _open_election(first, held)
        votes = [{"leaders": (i % 3, None), "motion": i % 2} for i in range(BALLOTS)]
        ballots = [bl.encrypt_ballot(ctx, k, v) for k, v in zip(keys, votes, strict=True)]
        bodies = [codec.dumps(b) for b in ballots]
        codes = [bl.tracking_code(b) for b in ballots]
        seen = _stream(f"{first.url}/api/elections/{eid}/ballots", bodies, first)
    finally:
        first.kill()
    assert not seen.unexpected, seen.unexpected
    assert KILL_AFTER <= len(seen.receipts) < BALLOTS, "the kill came after the stream ended"

    with ServerProcess(db_url, tmp_path / "data") as second:
        base = second.url
        server_key = requests.get(f"{base}/api/server", timeout=10).json()["receipt_key"]
        assert server_key == receipt_key
        key = bytes.fromhex(server_key)
        entries, listing = _board(base, eid)
        head = verify_chain(ctx.hash, entries)
        receipts: dict[int, Receipt] = {}
        for i, wire in seen.receipts.items():
            receipt = verify_receipt(codec.from_wire(Receipt, wire), key)
            assert receipt.election == ctx.hash and receipt.tracking_code == codes[i]
            entry = entries[receipt.position]
            assert entry.kind is EntryKind.BALLOT and entry.payload_hash == codes[i]
            assert entry.head == receipt.head
            assert listing[receipt.position]["ballot"] == codec.to_wire(ballots[i])
            receipts[i] = receipt
        after_crash = {e.payload_hash for e in entries if e.kind is EntryKind.BALLOT}
        # A request that died may or may not have been committed; nothing else is there.
        assert after_crash - {codes[i] for i in seen.died} == {codes[i] for i in receipts}
        assert head == entries[-1].head

        url = f"{base}/api/elections/{eid}/ballots"
        for i in range(BALLOTS):
            r = requests.post(url, data=bodies[i], headers=JSON, timeout=15)
            if i in receipts:
                assert (r.status_code, r.json()) == (200, seen.receipts[i])
                continue
            committed = codes[i] in after_crash
            assert r.status_code == (200 if committed else 201), (i, r.text)
            receipt = verify_receipt(codec.from_wire(Receipt, r.json()), key)
            assert receipt.tracking_code == codes[i]
            receipts[i] = receipt

        final, listing = _board(base, eid)
        assert verify_chain(ctx.hash, final) == final[-1].head
        assert final[: len(entries)] == entries  # append-only across the crash
        ballot_codes = [e.payload_hash for e in final if e.kind is EntryKind.BALLOT]
        assert sorted(ballot_codes) == sorted(codes)  # each ballot exactly once
        for i, receipt in receipts.items():
            assert final[receipt.position].payload_hash == codes[i]
            assert final[receipt.position].head == receipt.head
        turnout = requests.get(f"{base}/api/elections/{eid}/turnout", timeout=10).json()
        assert (turnout["ballots"], turnout["voters"]) == (BALLOTS, BALLOTS)
