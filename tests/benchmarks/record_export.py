"""Benchmark: the server's record export (server/records.py) on a large board.

Not a test and never run by ``make test``. It loads a record made by
tests/benchmarks/record_generator.py into a fresh SQLite database through the
server's own tables (as casting and counting would have stored it), then, in a
fresh interpreter, times ``records.ensure_record`` — the board read a segment
at a time, every document encoded, the zip written — and reports its wall and
CPU time and peak memory (``ru_maxrss``), and that every file but
``record.json`` is byte-identical to the source record's::

    .venv/bin/python tests/benchmarks/record_export.py --record /tmp/kp-bench/record-10k.zip \
        --work /tmp/kp-bench/export --json docs/bench/record-export-10k.json
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import secrets
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import insert

from kiemphieu.crypto import codec
from kiemphieu.crypto.election.ceremony import KeyCeremony
from kiemphieu.crypto.election.context import manifest_hash
from kiemphieu.crypto.election.manifest import Manifest
from kiemphieu.crypto.election.result import ElectionResult
from kiemphieu.crypto.election.tally import TallyCounts
from kiemphieu.crypto.primitives.paillier import KeyPolicy
from kiemphieu.crypto.record import archive
from kiemphieu.crypto.record.archive import RecordArchive
from kiemphieu.crypto.record.documents import (
    CredentialList,
    RecordState,
    ShareList,
    TallyRecord,
    TrusteeList,
)
from kiemphieu.server import records
from kiemphieu.server.contexts import ContextCache
from kiemphieu.server.storage import schema
from kiemphieu.server.storage.database import open_database

STAMP = "2026-11-27T13:00:00.000+00:00"


def load(record: Path, db_url: str) -> str:
    """Store the record's election in the database; returns its id."""
    db = open_database(db_url)
    with record.open("rb") as f, RecordArchive(f) as rec:
        index = rec.index
        manifest = rec.load(Manifest, archive.MANIFEST)
        ceremony = rec.load(KeyCeremony, archive.CEREMONY)
        eid = index.election_id
        state = {"closed": "closed", "tallied": "tallied", "published": "published"}
        tally = rec.load(TallyRecord, archive.TALLY)
        full = index.state is not RecordState.CLOSED
        with db.write() as conn:
            conn.execute(
                insert(schema.elections).values(
                    id=eid,
                    state=state[index.state.value],
                    manifest=codec.dumps(manifest).decode(),
                    manifest_hash=manifest_hash(manifest),
                    ceremony=codec.dumps(ceremony).decode(),
                    base_hash=index.election,
                    board_head=index.board_head,
                    board_size=index.board_size,
                    created_at=STAMP,
                    updated_at=STAMP,
                )
            )
            keys = rec.load(CredentialList, archive.CREDENTIALS).keys
            conn.execute(
                insert(schema.credentials),
                [{"election_id": eid, "public_key": k, "added_at": STAMP} for k in keys],
            )
            for t in rec.load(TrusteeList, archive.TRUSTEES).trustees:
                conn.execute(
                    insert(schema.trustees).values(
                        election_id=eid,
                        idx=t.index,
                        identity_key=t.identity_key,
                        doc=codec.dumps(t).decode(),
                        added_at=STAMP,
                    )
                )
            shares = rec.load(ShareList, archive.SHARES)
            for doc in (*shares.test, *shares.tally):
                conn.execute(
                    insert(schema.trustee_shares).values(
                        election_id=eid,
                        idx=doc.index,
                        purpose=doc.purpose.value,
                        doc=codec.dumps(doc).decode(),
                        valid=True,
                        error=None,
                        at=STAMP,
                    )
                )
            conn.execute(
                insert(schema.tallies).values(
                    election_id=eid,
                    tally=codec.dumps(tally.tally).decode(),
                    packed=json.dumps([format(c, "x") for c in tally.packed]),
                    counted=json.dumps(list(tally.counted)),
                    counts=codec.dumps(rec.load(TallyCounts, archive.COUNTS)).decode()
                    if full
                    else None,
                    result=codec.dumps(rec.load(ElectionResult, archive.RESULT)).decode()
                    if full
                    else None,
                    at=STAMP,
                )
            )
        for segment in rec.segments():
            rows = []
            for item in segment.items:
                e = item.entry
                rows.append(
                    {
                        "election_id": eid,
                        "position": e.position,
                        "kind": e.kind.value,
                        "payload_hash": e.payload_hash,
                        "head": e.head,
                        "credential": item.ballot.credential if item.ballot else None,
                        "payload": codec.dumps(item.ballot).decode() if item.ballot else None,
                        "receipt": codec.dumps(item.receipt).decode() if item.receipt else None,
                        "at": STAMP,
                    }
                )
            with db.write() as conn:
                conn.execute(insert(schema.board), rows)
    db.dispose()
    return eid


def export(db_url: str, data: Path, election_id: str) -> dict[str, object]:
    """Time ensure_record in this (fresh) process. The index is signed with a
    new server key (the source's receipt key is the generator's, not kept), so
    only the files ``record.json`` lists are compared."""
    db = open_database(db_url)
    t0, c0 = time.perf_counter(), time.process_time()
    seed = secrets.token_bytes(32)
    built = records.ensure_record(db, ContextCache(KeyPolicy.STANDARD), seed, data, election_id)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    db.dispose()
    return {
        "path": str(built.path),
        "bytes": built.size,
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "max_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def compare(source: Path, exported: Path) -> dict[str, object]:
    with source.open("rb") as a, exported.open("rb") as b:
        src = {f.name: f.sha256 for f in RecordArchive(a).index.files}
        out = {f.name: f.sha256 for f in RecordArchive(b).index.files}
    differ = sorted(n for n in src.keys() | out.keys() if src.get(n) != out.get(n))
    return {"files": len(out), "identical": len(out) - len(differ), "differ": differ}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--record", type=Path, required=True)
    parser.add_argument("--work", type=Path, required=True, help="an empty folder")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--child", metavar="ELECTION", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    db_url = f"sqlite:///{(args.work / 'kiemphieu.sqlite3').resolve()}"
    if args.child:
        print(json.dumps(export(db_url, args.work, args.child)))
        return 0
    args.work.mkdir(parents=True, exist_ok=False)
    t0 = time.perf_counter()
    eid = load(args.record, db_url)
    loaded = time.perf_counter() - t0
    child = subprocess.run(
        [sys.executable, __file__, "--record", str(args.record), "--work", str(args.work),
         "--child", eid],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    figures = json.loads(child.stdout)
    with args.record.open("rb") as f:
        board = RecordArchive(f).index.board_size
    figures |= {
        "record": str(args.record),
        "board_size": board,
        "load_s": round(loaded, 1),
        "cpu_ms_per_entry": round(1000 * float(figures["cpu_s"]) / board, 2),
        "loadavg": os.getloadavg(),
        "compare": compare(args.record, Path(str(figures["path"]))),
    }
    text = json.dumps(figures, indent=2)
    print(text)
    if args.json is not None:
        args.json.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
