"""Ballot verification, kiemphieu vs ElectionGuard 1.4, side by side in one run
(a benchmark script, not a test).

Target (issue 6, docs/performance.md "Ballot verification: kiemphieu vs
ElectionGuard 1.4"): on the same ballot shape, 5 questions × 3 options, our
per-ballot verification at 3072 bits costs at most 1/20 of ElectionGuard's.

What it does:

1. makes (once) an ElectionGuard 1.4 venv in ``--eg-venv`` (default
   ``.bench/electionguard-venv``, git-ignored), separate from the project's:
   ``pip install 'electionguard>=1.4,<1.5' hypothesis`` (its tools need
   hypothesis; it pins an old pydantic), then patches the installed
   ``electionguard/tally.py``, whose dataclass default
   ``default=ElGamalCiphertext(ONE_MOD_P, ONE_MOD_P)`` Python 3.11 refuses,
   into a ``default_factory`` (an exact text replacement; it stops if the
   text is not there);
2. runs ``electionguard_worker.py`` with that venv's Python: 5 contests × 3
   selections, vote for 1, in ElectionGuard's production group (4096-bit p,
   256-bit q); ``--ballots`` ballots encrypted, each verified with
   ``ballot_is_valid_for_election`` (every selection's disjunctive
   Chaum–Pedersen proof, placeholders included, and every contest's constant
   Chaum–Pedersen proof);
3. deals a 3072-bit t = 3 of 5 key under ``KeyPolicy.STANDARD`` and, for 5
   single-choice questions of 3 options, encrypts ``--ballots`` ballots with
   ``encrypt_ballot`` (made by a process pool, not timed) and times
   ``verify_ballot`` on each ballot alone and ``verify_ballots`` on all of
   them as one batch, for two variants: "3 options + blank" (k = 4: one of 3
   or none, what an ElectionGuard vote-for-1 contest admits through its
   placeholder; the target is judged on this one) and "exactly one of 3"
   (k = 3);
4. prints a table, the ratios and the machine, or JSON with ``--json``.

Both sides use one clock: the CPU time of the measuring process
(``time.process_time``), as ``kiemphieu bench`` does; wall time is recorded
too. Each side runs alone (one after the other), single-threaded.

    .venv/bin/python tests/benchmarks/electionguard_compare.py --ballots 20 [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from importlib import metadata
from pathlib import Path
from typing import Any

from gmpy2 import mpz, powmod

from kiemphieu.client.cli import benchmarks
from kiemphieu.client.cli.bench import machine
from kiemphieu.client.cli.benchmarks import per_call
from kiemphieu.crypto.election import ballot as bl
from kiemphieu.crypto.election.ceremony import KeyCeremony, publish
from kiemphieu.crypto.election.context import ElectionContext
from kiemphieu.crypto.election.credential import derive_key, new_code
from kiemphieu.crypto.election.manifest import (
    Choice,
    LocalizedText,
    Manifest,
    Question,
    QuestionKind,
)
from kiemphieu.crypto.errors import VerificationError
from kiemphieu.crypto.primitives.paillier import KeyPolicy
from kiemphieu.crypto.primitives.threshold import deal

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
WORKER = HERE / "electionguard_worker.py"
DEFAULT_VENV = REPO / ".bench" / "electionguard-venv"
EG_REQUIREMENT = "electionguard>=1.4,<1.5"
TALLY_OLD = "default=ElGamalCiphertext(ONE_MOD_P, ONE_MOD_P)"
TALLY_NEW = "default_factory=lambda: ElGamalCiphertext(ONE_MOD_P, ONE_MOD_P)"

ELECTION_ID = "bench-eg-compare"
BITS = 3072
QUESTIONS = 5
OPTIONS = 3
TARGET_RATIO = 20.0
VARIANTS = {"blank": True, "exact": False}
"""Variant name → whether the single choice has the blank slot."""


class BenchError(Exception):
    """A step of the benchmark could not be carried out."""


# --- ElectionGuard's venv -----------------------------------------------------


def patch_tally(path: Path) -> str:
    """Make ``tally.py`` importable on Python 3.11: the one mutable dataclass
    default becomes a default_factory. Returns "patched" or "already patched"."""
    text = path.read_text(encoding="utf-8")
    if text.count(TALLY_NEW) == 1 and TALLY_OLD not in text.replace(TALLY_NEW, ""):
        return "already patched"
    if text.count(TALLY_OLD) != 1:
        raise BenchError(
            f"{path}: expected the text {TALLY_OLD!r} exactly once, found it"
            f" {text.count(TALLY_OLD)} times; this is not the ElectionGuard 1.4 the"
            " benchmark knows, refusing to patch"
        )
    path.write_text(text.replace(TALLY_OLD, TALLY_NEW), encoding="utf-8")
    return "patched"


def _run(cmd: list[str], what: str) -> str:
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BenchError(f"{what} failed ({done.returncode}):\n{done.stderr[-4000:]}")
    return done.stdout


def ensure_eg_venv(venv: Path, log: Any) -> Path:
    """The Python of a venv holding ElectionGuard 1.4.x (patched), made if needed."""
    python = venv / "bin" / "python"
    if not python.exists():
        log(f"making {venv} (ElectionGuard's own venv)")
        venv.parent.mkdir(parents=True, exist_ok=True)
        _run([sys.executable, "-m", "venv", str(venv)], "python -m venv")
    probe = "import importlib.metadata as m; print(m.version('electionguard'))"
    try:
        installed = _run([str(python), "-c", probe], "probe").strip()
    except BenchError:
        installed = ""
    if not installed.startswith("1.4."):
        log(f"pip install {EG_REQUIREMENT!r} hypothesis into {venv}")
        _run(
            [str(python), "-m", "pip", "install", "--quiet", EG_REQUIREMENT, "hypothesis"],
            "pip install electionguard",
        )
    where = (
        "import importlib.util as u;"
        " print(u.find_spec('electionguard').submodule_search_locations[0])"
    )
    package = Path(_run([str(python), "-c", where], "locating electionguard").strip())
    log(f"{package / 'tally.py'}: {patch_tally(package / 'tally.py')}")
    _run(
        [
            str(python),
            "-c",
            "import electionguard.tally, electionguard.encrypt, electionguard.ballot_validator,"
            " electionguard_tools.helpers.election_builder",
        ],
        "importing electionguard after the patch",
    )
    return python


def run_eg(python: Path, ballots: int) -> dict[str, Any]:
    """The worker's JSON report (production constants: PRIME_OPTION removed)."""
    env = {k: v for k, v in os.environ.items() if k != "PRIME_OPTION"}
    done = subprocess.run(
        [str(python), str(WORKER), "--ballots", str(ballots)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if done.returncode != 0:
        raise BenchError(f"ElectionGuard worker failed:\n{done.stderr[-4000:]}")
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


# --- ours ---------------------------------------------------------------------


def _text(s: str) -> LocalizedText:
    return LocalizedText(s, s)


def compare_manifest(election_id: str, blank: bool) -> Manifest:
    """5 single-choice questions of 3 options, with or without the blank slot."""
    questions = tuple(
        Question(
            f"q{i}",
            QuestionKind.SINGLE,
            _text(f"Question {i}"),
            tuple(Choice(f"o{j}", _text(f"Option {j}")) for j in range(OPTIONS)),
            blank=blank,
        )
        for i in range(QUESTIONS)
    )
    return Manifest(election_id, _text("Benchmark"), _text("vs ElectionGuard 1.4"), questions)


def _votes(ctx: ElectionContext) -> dict[str, bl.Vote]:
    choices: list[int | None] = list(range(OPTIONS))
    return {q.id: secrets.choice(choices) for q in ctx.manifest.questions}


def _encrypt(ctx: ElectionContext, count: int) -> list[bl.Ballot]:
    return [
        bl.encrypt_ballot(
            ctx, derive_key(new_code(), ctx.election_id, ctx.registrar_key), _votes(ctx)
        )
        for _ in range(count)
    ]


def make_ballots(ctx: ElectionContext, count: int, workers: int) -> list[bl.Ballot]:
    """``count`` ballots made by up to ``workers`` processes (not timed)."""
    workers = max(1, min(workers, count))
    if workers == 1:
        return _encrypt(ctx, count)
    chunks = [count // workers + (i < count % workers) for i in range(workers)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return [b for part in pool.map(_encrypt, [ctx] * workers, chunks) for b in part]


def stats(samples: list[float]) -> dict[str, float]:
    return {
        "median": statistics.median(samples),
        "min": min(samples),
        "max": max(samples),
        "mean": statistics.fmean(samples),
        "total": sum(samples),
    }


def measure_ours(
    election_id: str,
    ceremony: KeyCeremony,
    policy: KeyPolicy,
    *,
    blank: bool,
    count: int,
    batch_runs: int,
    workers: int,
) -> dict[str, Any]:
    """verify_ballot on each of ``count`` ballots; verify_ballots on the batch
    of all of them, ``batch_runs`` times (per ballot). Raises on a refusal."""
    ctx = ElectionContext(compare_manifest(election_id, blank), ceremony, policy)
    ballots = make_ballots(ctx, count, workers)
    cpu, wall = [], []
    for ballot in ballots:
        start_wall, start_cpu = time.perf_counter(), time.process_time()
        bl.verify_ballot(ctx, ballot)
        cpu.append(time.process_time() - start_cpu)
        wall.append(time.perf_counter() - start_wall)
    batch_cpu, batch_wall = [], []
    for _ in range(batch_runs):
        start_wall, start_cpu = time.perf_counter(), time.process_time()
        outcome = bl.verify_ballots(ctx, ballots)
        batch_cpu.append(time.process_time() - start_cpu)
        batch_wall.append(time.perf_counter() - start_wall)
        for result in outcome:
            if isinstance(result, VerificationError):
                raise result
    return {
        "kind": "single",
        "options": OPTIONS,
        "blank": blank,
        "k": OPTIONS + int(blank),
        "ciphertexts_per_ballot": QUESTIONS,
        "ballots": count,
        "batch_runs": batch_runs,
        "verify_cpu": stats(cpu),
        "verify_wall": stats(wall),
        "batch_cpu": stats(batch_cpu),
        "batched_cpu_per_ballot": stats([x / count for x in batch_cpu]),
        "batched_wall_per_ballot": stats([x / count for x in batch_wall]),
    }


# --- the comparison -------------------------------------------------------------


def versions() -> dict[str, str]:
    """Our side's package versions and the source commit."""
    out = {}
    for name in ("kiemphieu", "gmpy2", "pynacl"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "absent"
    git = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    )
    out["commit"] = git.stdout.strip() or "unknown"
    return out


def ratios(eg: dict[str, Any], ours: dict[str, Any]) -> dict[str, Any]:
    """ElectionGuard's median per-ballot CPU time over ours, batched and alone."""
    eg_median = eg["verify_cpu"]["median"]
    batched = ours["batched_cpu_per_ballot"]["median"]
    alone = ours["verify_cpu"]["median"]
    return {
        "eg_over_ours_batched": eg_median / batched,
        "eg_over_ours_alone": eg_median / alone,
        "target": TARGET_RATIO,
        "target_met": eg_median / batched >= TARGET_RATIO,
        "ours_batched_limit": eg_median / TARGET_RATIO,
    }


def core_probe() -> dict[str, float]:
    """How fast the core is right now: x^e mod m with a 256-bit e and a 4096-bit
    m (ElectionGuard's commonest operation), CPU seconds per call, 5 runs."""
    m = mpz(secrets.randbits(4096) | 1 << 4095 | 1)
    x, e = mpz(secrets.randbelow(m)), mpz(secrets.randbits(256))
    figures = per_call(lambda: powmod(x, e, m), 5)
    return {"median": figures.median, "min": figures.min, "max": figures.max}


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def _row(name: str, s: dict[str, float], total: float) -> str:
    return (
        f"{name:<58} {_ms(s['median']):>10} {_ms(s['min']):>10} {_ms(s['max']):>10} {total:>8.2f} s"
    )


def table(report: dict[str, Any]) -> str:
    eg = report["electionguard"]
    n = report["ballots"]
    lines = [
        f"Ballot verification, 5 questions × 3 options, {n} ballots per side, CPU time per ballot",
        f"{'':<58} {'median':>10} {'min':>10} {'max':>10} {'all N':>10}",
        _row(
            f"ElectionGuard {eg['versions']['electionguard']} ({eg['group']['p_bits']}-bit p,"
            f" {eg['group']['q_bits']}-bit q), alone",
            eg["verify_cpu"],
            eg["verify_cpu"]["total"],
        ),
    ]
    for name, ours in report["kiemphieu"].items():
        label = "3 options + blank, k = 4" if ours["blank"] else "exactly 1 of 3, k = 3"
        alone = ours["verify_cpu"]
        lines.append(_row(f"kiemphieu {BITS} bits ({label}), alone", alone, alone["total"]))
        lines.append(
            _row(
                f"kiemphieu {BITS} bits ({label}), batch of {n}",
                ours["batched_cpu_per_ballot"],
                ours["batch_cpu"]["median"],
            )
        )
        r = report["ratios"][name]
        lines.append(
            f"  ElectionGuard / ours: {r['eg_over_ours_batched']:.1f}× batched,"
            f" {r['eg_over_ours_alone']:.2f}× alone"
        )
    main = report["ratios"]["blank"]
    verdict = "met" if main["target_met"] else "NOT met"
    lines += [
        '(per ballot; "all N": the N ballots alone one after the other, or one batch of N)',
        f"Target: ours batched (k = 4) ≤ 1/{TARGET_RATIO:.0f} of ElectionGuard's ="
        f" {_ms(main['ours_batched_limit'])}: {verdict}"
        f" ({main['eg_over_ours_batched']:.1f}×)",
        f"Clock: {report['clock']}",
        f"Machine: {report['machine']['cpu']}, {report['machine']['cores']} cores,"
        f" load {report['machine']['load_average']} at start,"
        f" {report['load_average_end']} at end",
        "Core probe, x^e mod m (256-bit e, 4096-bit m), median µs before EG / after EG /"
        " after ours: "
        + " / ".join(
            f"{p['median'] * 1e6:.0f}" for p in report["core_probe_pow256_mod4096_s"].values()
        ),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ballots", type=int, default=20, help="ballots per side (default 20)")
    parser.add_argument("--batch-runs", type=int, default=5, help="runs of the batch (default 5)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--eg-venv", type=Path, default=DEFAULT_VENV)
    parser.add_argument("--json", action="store_true", help="print the JSON report")
    args = parser.parse_args(argv)
    if args.ballots < 2 or args.batch_runs < 1:
        parser.error("need --ballots >= 2 and --batch-runs >= 1")

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    started = machine()
    try:
        python = ensure_eg_venv(args.eg_venv, log)
        log(f"ElectionGuard: encrypting and verifying {args.ballots} ballots")
        probes = {"before_electionguard": core_probe()}
        eg = run_eg(python, args.ballots)
        probes["after_electionguard"] = core_probe()
        log(f"ElectionGuard: {_ms(eg['verify_cpu']['median'])} per ballot (median)")
        log(f"kiemphieu: dealing a {BITS}-bit key (KeyPolicy.STANDARD)")
        start = time.process_time()
        members, _ = benchmarks.committee(BITS, KeyPolicy.STANDARD, log)
        verifiers = [m.pedersen for m in members.trustees]
        dealing = deal(ELECTION_ID, BITS, 3, 5, KeyPolicy.STANDARD, verifiers=verifiers)
        ceremony = publish(dealing, ELECTION_ID, members)
        deal_cpu = time.process_time() - start
        ours = {}
        for name, blank in VARIANTS.items():
            log(f"kiemphieu ({name}): making {args.ballots} ballots, then verifying")
            ours[name] = measure_ours(
                ELECTION_ID,
                ceremony,
                KeyPolicy.STANDARD,
                blank=blank,
                count=args.ballots,
                batch_runs=args.batch_runs,
                workers=args.workers,
            )
        probes["after_kiemphieu"] = core_probe()
    except BenchError as exc:
        print(f"electionguard_compare: {exc}", file=sys.stderr)
        return 1
    report = {
        "command": " ".join([".venv/bin/python", "tests/benchmarks/electionguard_compare.py"])
        + "".join(f" {a}" for a in (argv if argv is not None else sys.argv[1:])),
        "ballots": args.ballots,
        "clock": "time.process_time: CPU seconds of the measuring process, both sides",
        "machine": started,
        "kiemphieu_versions": versions(),
        "load_average_end": machine()["load_average"],
        "core_probe_pow256_mod4096_s": probes,
        "kiemphieu_key": {"bits": BITS, "policy": "standard", "t": 3, "trustees": 5},
        "deal_cpu_s": deal_cpu,
        "electionguard": eg,
        "kiemphieu": ours,
        "ratios": {name: ratios(eg, result) for name, result in ours.items()},
    }
    print(json.dumps(report, indent=2) if args.json else table(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
