"""Benchmark: the observer's verifier (``kiemphieu verify``) on large records.

Not a test and never run by ``make test``. It times the real command, as an
observer runs it, on records made by tests/benchmarks/record_generator.py::

    .venv/bin/python tests/benchmarks/verify_throughput.py \
        --record /tmp/kp-bench/record-10k.zip --record /tmp/kp-bench/record-1k.zip \
        --workers 1 --workers 2 --json docs/bench/verify-throughput.json

For each record and each worker count it runs ``kiemphieu verify RECORD --json
--workers N`` in a child process and records the wall clock, the CPU time of
the child and its workers (``RUSAGE_CHILDREN``), the machine's load average
before and after, and from the report: that every check passed and how many
ballots the ``ballots`` check verified. Figures per run: ballots per second,
milliseconds per ballot (wall and CPU).

Extrapolation to 1,000,000 ballots, per worker count: with two record sizes
the time is fitted as t(N) = a + b·N (a: the fixed work — modulus proof, key
checks, shares, combination; b: the work per ballot, board entry, receipt and
counted ballot), so t(10^6) = a + b·10^6; with one size, t(10^6) = t(N)·10^6/N
(an upper bound, as it scales the fixed work too). This wall-clock figure
holds for a machine loaded as it was during the runs. The same fit on the CPU
time gives the work itself; on an idle machine of C cores running
``--workers C`` the ballot work divides by at most C: t ≈ a_cpu + b_cpu·10^6/C
(``idle_cores_hours``, an optimistic bound: perfect scaling). Both assume the
work is linear in the number of ballots (it is: ballots are verified in
per-segment batches, the chain and the counted set are one pass each).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

TARGET = 1_000_000


@dataclass(frozen=True)
class Run:
    record: str
    record_bytes: int
    workers: int
    ballots: int
    board_size: int
    ok: bool
    wall_s: float
    cpu_s: float
    ballots_per_s: float
    ms_per_ballot: float
    cpu_ms_per_ballot: float
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]
    command: str


def kiemphieu_command() -> str:
    found = Path(sys.executable).with_name("kiemphieu")
    if found.is_file():
        return str(found)
    which = shutil.which("kiemphieu")
    if which is None:
        raise SystemExit("kiemphieu is not installed in this environment")
    return which


def board_size(record: Path) -> int:
    with zipfile.ZipFile(record) as zf:
        return int(json.loads(zf.read("record.json"))["board_size"])


def run_once(record: Path, workers: int, *, test_keys: bool = False) -> Run:
    cmd = [kiemphieu_command(), "verify", str(record), "--json", "--workers", str(workers)]
    if test_keys:
        cmd.append("--allow-test-keys")
    load_before = os.getloadavg()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    load_after = os.getloadavg()
    if not done.stdout.strip():
        raise SystemExit(f"verify printed no report (exit {done.returncode}):\n{done.stderr}")
    report = json.loads(done.stdout)
    checks = {c["id"]: c for c in report["checks"]}
    ballots = int(checks["ballots"]["passed"])
    failed = [c["id"] for c in report["checks"] if c["status"] == "failed"]
    if failed or done.returncode != 0:
        print(f"warning: verify exit {done.returncode}, failed {failed}", file=sys.stderr)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Run(
        record=str(record),
        record_bytes=record.stat().st_size,
        workers=workers,
        ballots=ballots,
        board_size=board_size(record),
        ok=bool(report["ok"]) and done.returncode == 0,
        wall_s=round(wall, 2),
        cpu_s=round(cpu, 2),
        ballots_per_s=round(ballots / wall, 1),
        ms_per_ballot=round(1000 * wall / ballots, 2),
        cpu_ms_per_ballot=round(1000 * cpu / ballots, 2),
        load_before=tuple(round(x, 2) for x in load_before),  # type: ignore[arg-type]
        load_after=tuple(round(x, 2) for x in load_after),  # type: ignore[arg-type]
        command=" ".join(["kiemphieu", *cmd[1:]]),
    )


def _fit(group: list[Run], value: str) -> tuple[float, float, str]:
    """(fixed seconds, seconds per ballot, how) of ``value`` (wall_s or cpu_s)."""
    small = min(group, key=lambda r: r.ballots)
    large = max(group, key=lambda r: r.ballots)
    if large.ballots > small.ballots:
        slope = (getattr(large, value) - getattr(small, value)) / (large.ballots - small.ballots)
        fixed = max(getattr(large, value) - slope * large.ballots, 0.0)
        return fixed, slope, f"a + b·N fitted on {small.ballots} and {large.ballots} ballots"
    how = f"scaled from {large.ballots} ballots (fixed work scaled too: upper bound)"
    return 0.0, getattr(large, value) / large.ballots, how


def extrapolate(runs: list[Run]) -> dict[str, Any]:
    """t(10^6) per worker count from the wall clock, and on an idle machine of C
    cores from the CPU time (the fixed work once, the ballot work over C cores)."""
    out: dict[str, Any] = {}
    by_workers: dict[int, list[Run]] = {}
    for r in runs:
        by_workers.setdefault(r.workers, []).append(r)
    for workers, group in sorted(by_workers.items()):
        fixed, slope, how = _fit(group, "wall_s")
        cpu_fixed, cpu_slope, _ = _fit(group, "cpu_s")
        seconds = fixed + slope * TARGET
        out[str(workers)] = {
            "method": how,
            "fixed_s": round(fixed, 2),
            "per_ballot_ms": round(1000 * slope, 3),
            "seconds": round(seconds, 1),
            "hours": round(seconds / 3600, 2),
            "cpu_fixed_s": round(cpu_fixed, 2),
            "cpu_per_ballot_ms": round(1000 * cpu_slope, 3),
        }
    one, two = out.get("1"), out.get("2")
    if one is not None:
        out["idle_cores_hours"] = {
            str(c): round(
                (one["cpu_fixed_s"] + one["cpu_per_ballot_ms"] / 1000 * TARGET / c) / 3600, 2
            )
            for c in (1, 2, 4, 8, 16, 32)
        }
    if one is not None and two is not None:
        out["wall_speedup_2_workers"] = round(one["per_ballot_ms"] / two["per_ballot_ms"], 3)
    return out


def machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--record", type=Path, action="append", required=True)
    parser.add_argument("--workers", type=int, action="append")
    parser.add_argument("--generator", type=Path, action="append", default=[],
                        help="the generator's JSON figures, copied into the output")  # fmt: skip
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--allow-test-keys", action="store_true", help="smoke runs on test records")
    args = parser.parse_args(argv)
    runs = []
    for record in args.record:
        for workers in args.workers or [1, 2]:
            print(f"verify {record.name} with {workers} worker(s) …", file=sys.stderr, flush=True)
            run = run_once(record, workers, test_keys=args.allow_test_keys)
            print(
                f"  {run.wall_s} s, {run.ballots_per_s} ballots/s, {run.ms_per_ballot} ms/ballot"
                f" (CPU {run.cpu_ms_per_ballot} ms), ok={run.ok}, load {run.load_before}",
                file=sys.stderr,
                flush=True,
            )
            runs.append(run)
    figures = {
        "machine": machine(),
        "runs": [asdict(r) for r in runs],
        "extrapolation_1m": extrapolate(runs),
        "generator": [json.loads(p.read_text(encoding="utf-8")) for p in args.generator],
    }
    text = json.dumps(figures, indent=2, ensure_ascii=False)
    print(text)
    if args.json is not None:
        args.json.write_text(text + "\n", encoding="utf-8")
    return 0 if all(r.ok for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
