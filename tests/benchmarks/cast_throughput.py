"""Casting throughput of a real server (a benchmark script, not a test).

Target (docs/performance.md, "Casting throughput (server)"): 3072-bit ballots
of one 5-row confidence question from 50 concurrent clients on loopback, at
least 40 accepted ballots/s on 2 cores with full verification, p95 latency
under 2 s.

What it does:

1. makes (or loads from ``--cache``) a 3072-bit t = 3 of ℓ = 5 dealing under
   ``KeyPolicy.STANDARD``, trustee identities, ``--ballots`` credential codes and
   one honest ballot per credential, encrypted with ``encrypt_ballot`` exactly
   as a voter's client does (a process pool on every core; ~2 s of CPU each);
2. starts the production command ``kiemphieu serve`` on a fresh data folder
   (SQLite, the default) and reads the admin token it prints once;
3. creates the election from a TOML manifest, registers the committee,
   publishes the key ceremony, lists the credentials, posts the trustees' test
   shares and opens the poll, over HTTP;
4. fires the ballots from ``--clients`` threads (one ``requests.Session``
   each), stopping after ``--ballots`` casts or ``--duration`` seconds;
5. checks every receipt (server signature, tracking code, election) and the
   board (the hash chain, each receipt's position and head), then prints a
   table and, with ``--json FILE``, writes the figures.

    .venv/bin/python tests/benchmarks/cast_throughput.py --ballots 600 --clients 50

The cache holds secret key shares of a benchmark key: nothing else may use it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import pickle
import platform
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nacl.public
import nacl.signing
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
from kiemphieu.crypto.election.ceremony import KeyCeremony, publish
from kiemphieu.crypto.election.committee import (
    Committee,
    make_card,
    make_registrar,
    pedersen_binding,
    place,
)
from kiemphieu.crypto.election.context import ElectionContext
from kiemphieu.crypto.election.credential import derive_key, new_code
from kiemphieu.crypto.election.manifest_toml import manifest_from_toml
from kiemphieu.crypto.election.roll import sign_roll
from kiemphieu.crypto.election.trustee import SharePurpose, make_shares
from kiemphieu.crypto.primitives.paillier import KeyPolicy
from kiemphieu.crypto.primitives.proofs.pedersen import RING_PEDERSEN_BITS, make_ring_pedersen
from kiemphieu.crypto.primitives.threshold import Dealing, deal

ELECTION_ID = "bench-cast"
BITS = 3072
ROWS = 5
CACHE_VERSION = 3
TARGET_RATE = 40.0
TARGET_P95 = 2.0

LEVELS = """levels = [
  { id = "high", vi = "Tín nhiệm cao", en = "High confidence" },
  { id = "mid", vi = "Tín nhiệm", en = "Confidence" },
  { id = "low", vi = "Tín nhiệm thấp", en = "Low confidence" },
]"""


def manifest_toml(summoned: int) -> str:
    rows = "\n".join(
        f'  {{ id = "p{i}", vi = "Người {i}", en = "Person {i}" }},' for i in range(1, ROWS + 1)
    )
    return f"""
election_id = "{ELECTION_ID}"

[title]
vi = "Đo thông lượng bỏ phiếu"
en = "Casting throughput benchmark"

[description]
vi = "Chỉ dùng để đo."
en = "For measurement only."

[rules]
summoned = {summoned}
quorum = "2/3"
denominator = "returned"
revote = "last-counts"
trustees = 5
threshold = 3

[[questions]]
id = "leaders"
kind = "confidence"
title = {{ vi = "Lãnh đạo", en = "Leaders" }}
{LEVELS}
rows = [
{rows}
]
"""


# --- material: key, committee, credentials, ballots (cached) ---------------------


@dataclass
class Material:
    """Everything made before the server starts; ``summoned`` fixes the manifest."""

    summoned: int
    dealing: Dealing
    identity_seeds: list[bytes]
    ceremony: KeyCeremony
    registrar_seed: bytes
    codes: list[str]
    ballots: list[bytes] = field(default_factory=list)

    @property
    def manifest_toml(self) -> str:
        return manifest_toml(self.summoned)

    def context(self) -> ElectionContext:
        manifest = manifest_from_toml(self.manifest_toml)
        return ElectionContext(manifest, self.ceremony, KeyPolicy.STANDARD)


_POOL_CTX: ElectionContext | None = None


def _pool_init(manifest: str, ceremony: KeyCeremony) -> None:
    global _POOL_CTX  # noqa: PLW0603 - one context per pool process
    _POOL_CTX = ElectionContext(manifest_from_toml(manifest), ceremony, KeyPolicy.STANDARD)


def _encrypt(code: str) -> bytes:
    """One honest ballot for ``code``: random levels (or blank) on every row."""
    if _POOL_CTX is None:  # pragma: no cover - set by the pool initializer
        raise RuntimeError("pool not initialized")
    rnd = random.SystemRandom()
    vote = tuple(rnd.choice((0, 1, 2, None)) for _ in range(ROWS))
    key = derive_key(code, ELECTION_ID, _POOL_CTX.registrar_key)
    return codec.dumps(bl.encrypt_ballot(_POOL_CTX, key, {"leaders": vote}))


def load_material(cache: Path, count: int, procs: int) -> Material:
    """The cached material, extended to ``count`` ballots (made in a process pool)."""
    cache.mkdir(parents=True, exist_ok=True)
    os.chmod(cache, 0o700)
    state = cache / "material.pickle"
    material: Material | None = None
    if state.exists():
        with state.open("rb") as f:
            saved = pickle.load(f)  # noqa: S301 - our own cache file, mode 0600
        if (
            isinstance(saved, dict)
            and saved.get("version") == CACHE_VERSION
            and saved["summoned"] >= count
        ):
            material = Material(
                saved["summoned"],
                saved["dealing"],
                saved["identity_seeds"],
                saved["ceremony"],
                saved["registrar_seed"],
                saved["codes"],
            )
    if material is None:
        print(f"making a {BITS}-bit threshold key (safe primes; up to a few minutes)...")
        t0 = time.monotonic()
        seeds = [os.urandom(32) for _ in range(5)]
        members = []
        for i, seed in enumerate(seeds, start=1):
            identity = bytes(nacl.signing.SigningKey(seed).verify_key)
            params = make_ring_pedersen(RING_PEDERSEN_BITS, pedersen_binding(identity))
            sealing = bytes(nacl.public.PrivateKey.generate().public_key)
            members.append(place(i, make_card(seed, sealing, f"Thành viên {i}", "Ủy viên", params)))
        registrar_seed = os.urandom(32)
        committee = Committee(tuple(members), make_registrar(registrar_seed, "Registrar"))
        verifiers = [m.pedersen for m in members]
        dealing = deal(ELECTION_ID, BITS, 3, 5, KeyPolicy.STANDARD, verifiers=verifiers)
        print(f"  done in {time.monotonic() - t0:.0f} s")
        material = Material(
            summoned=max(count, 1000),
            dealing=dealing,
            identity_seeds=seeds,
            ceremony=publish(dealing, ELECTION_ID, committee),
            registrar_seed=registrar_seed,
            codes=[],
        )
    # Ballots are bound to H_E (manifest and key): one file per base hash.
    ballots_file = cache / f"ballots-{material.context().hash.hex()[:16]}.jsonl"
    if ballots_file.exists():
        lines = ballots_file.read_text().splitlines()
        material.ballots = [line.encode() for line in lines if line]
    while len(material.codes) < count:
        material.codes.append(new_code())
    _save(state, material)
    missing = material.codes[len(material.ballots) : count]
    if missing:
        print(f"encrypting {len(missing)} ballots on {procs} processes (~2 s CPU each)...")
        t0 = time.monotonic()
        with (
            ProcessPoolExecutor(
                procs,
                initializer=_pool_init,
                initargs=(material.manifest_toml, material.ceremony),
            ) as pool,
            ballots_file.open("ab") as out,
        ):
            for i, raw in enumerate(pool.map(_encrypt, missing, chunksize=4), start=1):
                out.write(raw + b"\n")
                out.flush()
                material.ballots.append(raw)
                if i % 50 == 0:
                    print(f"  {i}/{len(missing)} in {time.monotonic() - t0:.0f} s", flush=True)
    return material


def _save(path: Path, material: Material) -> None:
    saved = {
        "version": CACHE_VERSION,
        "summoned": material.summoned,
        "dealing": material.dealing,
        "identity_seeds": material.identity_seeds,
        "ceremony": material.ceremony,
        "registrar_seed": material.registrar_seed,
        "codes": material.codes,
    }
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        pickle.dump(saved, f)
    tmp.replace(path)


# --- the server -------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    url: str
    token: str
    log: Path
    command: list[str]

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=20)


def start_server(data: Path, args: argparse.Namespace) -> Server:
    """``kiemphieu serve`` (the production command) on a fresh data folder."""
    exe = Path(sys.executable).with_name("kiemphieu")
    port = free_port()
    command = [str(exe), "serve", "--workers", str(args.workers)]
    if args.threads is not None:
        command += ["--threads", str(args.threads)]
    if args.batch_window_ms is not None:
        command += ["--batch-window-ms", str(args.batch_window_ms)]
    if args.db is not None:
        command += ["--db", args.db]
    command += ["--port", str(port), "--data", str(data)]
    log = data.parent / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=out, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    token = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited:\n{log.read_text()[-3000:]}")
        if token is None:
            found = re.search(r"admin token[^\n]*\n\s+(\S+)", log.read_text(errors="replace"))
            token = found.group(1) if found else None
        with contextlib.suppress(requests.RequestException):
            if token and requests.get(f"{url}/api/server", timeout=2).status_code == 200:
                return Server(proc, url, token, log, command)
        time.sleep(0.1)
    raise RuntimeError(f"server did not start:\n{log.read_text()[-3000:]}")


def _expect(r: requests.Response, status: int, what: str) -> dict[str, Any]:
    if r.status_code != status:
        raise RuntimeError(f"{what}: HTTP {r.status_code}: {r.text[:300]}")
    body: dict[str, Any] = r.json()
    return body


def open_election(server: Server, material: Material, count: int) -> bytes:
    """Create, committee, key, credentials, test decryption, open; returns H_E."""
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {server.token}"
    base = server.url
    toml = {"Content-Type": "application/toml"}
    js = {"Content-Type": "application/json"}
    body = material.manifest_toml.encode()
    _expect(s.post(f"{base}/api/admin/elections", data=body, headers=toml), 201, "create")
    committee = material.ceremony.committee
    for member in committee.trustees:
        url = f"{base}/api/admin/elections/{ELECTION_ID}/trustees"
        _expect(s.post(url, data=codec.dumps(member), headers=js), 201, f"trustee {member.index}")
    url = f"{base}/api/admin/elections/{ELECTION_ID}/registrar"
    _expect(s.post(url, data=codec.dumps(committee.registrar), headers=js), 201, "registrar")
    ceremony = codec.dumps(material.ceremony)
    url = f"{base}/api/admin/elections/{ELECTION_ID}/keys"
    info = _expect(s.post(url, data=ceremony, headers=js), 200, "keys")
    base_hash = bytes.fromhex(info["base_hash"])
    registrar = committee.registrar.identity_key
    keys = [derive_key(c, ELECTION_ID, registrar).public.hex() for c in material.codes[:count]]
    url = f"{base}/api/registrar/elections/{ELECTION_ID}/credentials"
    _expect(s.post(url, json={"credentials": keys}), 201, "credentials")
    signed = sign_roll(
        material.registrar_seed, ELECTION_ID, base_hash, [bytes.fromhex(k) for k in keys]
    )
    url = f"{base}/api/registrar/elections/{ELECTION_ID}/roll"
    _expect(s.post(url, data=codec.dumps(signed), headers=js), 201, "roll")
    for share, seed in zip(material.dealing.shares, material.identity_seeds, strict=True):
        doc = make_shares(
            share, seed, base_hash, SharePurpose.TEST, (material.dealing.test_ciphertext,)
        )
        url = f"{base}/api/trustee/elections/{ELECTION_ID}/test-shares"
        _expect(s.post(url, data=codec.dumps(doc), headers=js), 201, "test shares")
    _expect(s.post(f"{base}/api/admin/elections/{ELECTION_ID}/open"), 200, "open")
    return base_hash


# --- the load ---------------------------------------------------------------------


@dataclass
class Outcome:
    index: int
    status: int  # 0: the request failed
    sent: float
    latency: float
    receipt: dict[str, Any] | None
    error: str = ""


def fire(url: str, bodies: list[bytes], clients: int, duration: float | None) -> list[Outcome]:
    """Cast every body once from ``clients`` threads; stop issuing after ``duration`` s."""
    lock = threading.Lock()
    next_index = iter(range(len(bodies)))
    outcomes: list[Outcome] = []
    start = threading.Barrier(clients + 1)
    t_start = 0.0

    def client() -> None:
        with requests.Session() as session:
            session.headers["Content-Type"] = "application/json"
            start.wait()
            while True:
                with lock:
                    i = next(next_index, None)
                if i is None:
                    return
                sent = time.perf_counter()
                if duration is not None and sent - t_start > duration:
                    return
                try:
                    r = session.post(url, data=bodies[i], timeout=120)
                    done = time.perf_counter()
                    receipt = r.json() if r.status_code in (200, 201) else None
                    out = Outcome(i, r.status_code, sent, done - sent, receipt, r.text[:200])
                except requests.RequestException as exc:
                    done = time.perf_counter()
                    out = Outcome(i, 0, sent, done - sent, None, repr(exc)[:200])
                with lock:
                    outcomes.append(out)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for t in threads:
        t.start()
    t_start = time.perf_counter()
    start.wait()
    for t in threads:
        t.join()
    return outcomes


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def check(
    server: Server, base_hash: bytes, bodies: list[bytes], outcomes: list[Outcome]
) -> tuple[int, list[str]]:
    """Verify every receipt and the board; returns (receipts checked, problems)."""
    problems: list[str] = []
    key = bytes.fromhex(requests.get(f"{server.url}/api/server", timeout=10).json()["receipt_key"])
    entries: list[BoardEntry] = []
    start = 0
    while True:
        url = f"{server.url}/api/elections/{ELECTION_ID}/board?start={start}&limit=500"
        page = requests.get(url, timeout=60).json()
        entries += [codec.from_wire(BoardEntry, e["entry"]) for e in page["entries"]]
        if not page["entries"] or len(entries) >= page["board_size"]:
            break
        start = len(entries)
    try:
        verify_chain(base_hash, entries)
    except Exception as exc:
        problems.append(f"board chain: {exc}")
    checked = 0
    for out in outcomes:
        if out.receipt is None:
            continue
        try:
            receipt = verify_receipt(codec.from_wire(Receipt, out.receipt), key)
            code = bl.tracking_code(codec.loads(bl.Ballot, bodies[out.index]))
            entry = entries[receipt.position]
            if receipt.election != base_hash or receipt.tracking_code != code:
                problems.append(f"ballot {out.index}: receipt names another ballot")
            elif entry.kind is not EntryKind.BALLOT or entry.payload_hash != code:
                problems.append(f"ballot {out.index}: not at its receipted position")
            elif entry.head != receipt.head:
                problems.append(f"ballot {out.index}: head differs from the receipt")
            checked += 1
        except Exception as exc:
            problems.append(f"ballot {out.index}: {exc}")
    ballots = [e.payload_hash for e in entries if e.kind is EntryKind.BALLOT]
    if len(set(ballots)) != len(ballots):
        problems.append("a ballot is on the board twice")
    return checked, problems


# --- main -------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ballots", type=int, default=600, help="ballots to cast (default 600)")
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients (default 50)")
    parser.add_argument("--duration", type=float, help="stop issuing casts after this many s")
    parser.add_argument("--workers", type=int, default=2, help="server worker processes")
    parser.add_argument("--threads", type=int, help="threads per worker (default: serve's)")
    parser.add_argument("--batch-window-ms", type=float, help="(default: serve's)")
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path(tempfile.gettempdir()) / "kiemphieu-bench-cast",
        help="where the key, credentials and ballots are kept between runs",
    )
    parser.add_argument("--db", metavar="URL", help="an empty database (default: SQLite)")
    parser.add_argument("--procs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--json", type=Path, metavar="FILE", help="write the figures here")
    parser.add_argument("--keep", action="store_true", help="keep the server's data folder")
    args = parser.parse_args(argv)

    material = load_material(args.cache, args.ballots, args.procs)
    bodies = material.ballots[: args.ballots]
    work = Path(tempfile.mkdtemp(prefix="kiemphieu-bench-"))
    server = start_server(work / "data", args)
    try:
        base_hash = open_election(server, material, args.ballots)
        if base_hash != material.context().hash:
            raise RuntimeError("the server's base hash differs from the ballots'")
        url = f"{server.url}/api/elections/{ELECTION_ID}/ballots"
        load_before = os.getloadavg()
        cpu_before = _cpu_times()
        server_cpu = group_cpu_seconds(server.proc.pid)
        client_cpu = time.process_time()
        t0 = time.perf_counter()
        outcomes = fire(url, bodies, args.clients, args.duration)
        wall = time.perf_counter() - t0
        client_cpu = time.process_time() - client_cpu
        server_cpu = group_cpu_seconds(server.proc.pid) - server_cpu
        cpu = _cpu_delta(cpu_before)
        checked, problems = check(server, base_hash, bodies, outcomes)
    finally:
        server.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)

    accepted = [o for o in outcomes if o.status == 201]
    latencies = [o.latency for o in accepted]
    first = min((o.sent for o in outcomes), default=0.0)
    last = max((o.sent + o.latency for o in outcomes), default=0.0)
    span = last - first
    rate = len(accepted) / span if span > 0 else 0.0
    statuses: dict[str, int] = {}
    for o in outcomes:
        statuses[str(o.status)] = statuses.get(str(o.status), 0) + 1
    figures = {
        "command": [*server.command[1:-1], "<fresh temporary folder>"],
        "bits": BITS,
        "rows": ROWS,
        "clients": args.clients,
        "ballots_sent": len(outcomes),
        "ballots_accepted": len(accepted),
        "statuses": statuses,
        "span_s": round(span, 3),
        "wall_s": round(wall, 3),
        "accepted_per_s": round(rate, 2),
        "latency_s": {
            "p50": round(percentile(latencies, 50), 3),
            "p95": round(percentile(latencies, 95), 3),
            "p99": round(percentile(latencies, 99), 3),
            "max": round(max(latencies, default=float("nan")), 3),
            "mean": round(statistics.fmean(latencies), 3) if latencies else None,
        },
        "cpu_ms_per_accepted_ballot": {
            "server": round(1000 * server_cpu / max(1, len(accepted)), 1),
            "client": round(1000 * client_cpu / max(1, len(accepted)), 1),
        },
        "receipts_checked": checked,
        "problems": problems[:20],
        "target": {"accepted_per_s": TARGET_RATE, "p95_s": TARGET_P95},
        "target_met": rate >= TARGET_RATE and percentile(latencies, 95) < TARGET_P95,
        "source": _source_state(),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "load_avg_before": [round(x, 2) for x in load_before],
            "cpu_busy_during_run": cpu,
        },
    }
    print_table(figures)
    if args.json is not None:
        args.json.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n")
    return 0 if not problems and len(accepted) == len(outcomes) else 1


def group_cpu_seconds(pgid: int) -> float:
    """User + system CPU time of the live processes of group ``pgid`` (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        # after "(comm)": state ppid pgrp session tty tpgid flags minflt cminflt majflt
        # cmajflt utime stime ...
        if int(fields[2]) == pgid:
            total += int(fields[11]) + int(fields[12])
    return total / tick


def _source_state() -> dict[str, Any]:
    """The commit measured, and which tracked files differed from it (read-only git)."""
    root = Path(__file__).resolve().parents[2]
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):
        return {}
    return {"commit": head, "modified": sorted(line[3:] for line in status)}


def _cpu_times() -> list[int]:
    with open("/proc/stat") as f:
        return [int(x) for x in f.readline().split()[1:]]


def _cpu_delta(before: list[int]) -> float | None:
    """The machine's busy share over the run (all processes, not only ours)."""
    try:
        after = _cpu_times()
    except OSError:
        return None
    delta = [a - b for a, b in zip(after, before, strict=False)]
    idle = delta[3] + (delta[4] if len(delta) > 4 else 0)
    total = sum(delta)
    return round(1 - idle / total, 3) if total else None


def print_table(f: dict[str, Any]) -> None:
    lat = f["latency_s"]
    rows = [
        ("modulus", f"{f['bits']} bits, {f['rows']}-row confidence ballot"),
        ("clients", str(f["clients"])),
        ("ballots sent / accepted", f"{f['ballots_sent']} / {f['ballots_accepted']}"),
        ("statuses", ", ".join(f"{k}: {v}" for k, v in sorted(f["statuses"].items()))),
        ("run (first send to last answer)", f"{f['span_s']:.2f} s"),
        ("accepted ballots/s", f"{f['accepted_per_s']:.1f}  (target ≥ {TARGET_RATE:.0f})"),
        (
            "latency p50 / p95 / p99",
            f"{lat['p50']:.2f} / {lat['p95']:.2f} / {lat['p99']:.2f} s"
            f"  (target p95 < {TARGET_P95:.0f} s)",
        ),
        ("latency max", f"{lat['max']:.2f} s"),
        (
            "CPU per accepted ballot",
            f"server {f['cpu_ms_per_accepted_ballot']['server']:.1f} ms,"
            f" load generator {f['cpu_ms_per_accepted_ballot']['client']:.1f} ms",
        ),
        ("receipts checked", str(f["receipts_checked"])),
        ("problems", "; ".join(f["problems"]) or "none"),
        ("machine busy during run", str(f["machine"]["cpu_busy_during_run"])),
        ("load average before", str(f["machine"]["load_avg_before"])),
        ("target met", "yes" if f["target_met"] else "NO"),
    ]
    width = max(len(k) for k, _ in rows)
    print()
    print("kiemphieu serve: casting throughput")
    for k, v in rows:
        print(f"  {k.ljust(width)}  {v}")
    print(f"  command: kiemphieu {' '.join(f['command'])}")


if __name__ == "__main__":
    sys.exit(main())
