"""``kiemphieu bench``: the cryptographic costs on this machine (docs/performance.md).

For each modulus size: modular arithmetic, encryption and one membership
proof; safe prime generation; the dealer ceremony (5 trustees, threshold 3)
with every check that makes it one; a 5-row confidence ballot proved,
verified alone and in a batch; decryption shares. The report is a table, or
with ``--json`` one JSON object with the same figures and the machine's facts.
Progress lines go to stderr, so stdout holds only the report.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import sys
import time
from importlib.metadata import PackageNotFoundError, version
from typing import IO, Any

import gmpy2

from kiemphieu.crypto.errors import ParameterError, VerificationError
from kiemphieu.crypto.primitives.paillier import KeyPolicy

from . import benchmarks as bm
from .benchmarks import Stats

TARGETS = (
    # (section, figure, bits, limit in the section's unit, what)
    ("ballot_ms", "verify_batched", 3072, 20.0, "batched verification of a 5-row ballot"),
    ("ceremony_s", "total", 3072, 60.0, "dealer ceremony, 5 trustees, t = 3"),
)
"""The speed targets of docs/performance.md, checked on every run that measures 3072 bits."""

_UNITS = {"_ms": 1e3, "_s": 1.0}


def run_bench(
    *,
    bits: tuple[int, ...],
    repeat: int,
    batch: int,
    ceremonies: int,
    as_json: bool,
    out: IO[str],
    policy: KeyPolicy | None = None,
    workers: int | None = None,
    err: IO[str] | None = None,
) -> int:
    """Measure every size in ``bits`` and write the report to ``out``; 0 on success.

    Each size runs under its production policy (STANDARD, or SHORT_LIVED for
    2048 bits). ``policy`` overrides that for every size: only the test suite
    passes it, to measure test-size moduli; the command line never does.
    ``workers`` processes make the ballots of the batch (default: one per
    core); everything timed runs in this process. Returns 2 for refused
    arguments and 1 if a check failed during the run.
    """
    err = err if err is not None else sys.stderr
    for name, value in (("--repeat", repeat), ("--batch", batch), ("--ceremonies", ceremonies)):
        if value < 1:
            print(f"kiemphieu bench: {name} must be at least 1, got {value}", file=err)
            return 2
    policies = {b: policy if policy is not None else bm.policy_for(b) for b in bits}
    try:
        for b, pol in policies.items():
            pol.check_bits(b)
    except ParameterError as exc:
        print(f"kiemphieu bench: {exc}", file=err)
        return 2
    workers = workers if workers is not None else os.cpu_count() or 1
    report: dict[str, Any] = {
        "tool": "kiemphieu bench",
        "version": _version(),
        "machine": machine(),
        "settings": {
            "repeat": repeat,
            "batch": batch,
            "ceremonies": ceremonies,
            "trustees": bm.TRUSTEES,
            "threshold": bm.THRESHOLD,
            "ballot": f"1 confidence question, {bm.ROWS} rows, {len(bm.LEVELS)} levels + blank",
            "shares_in_batch": bm.TRUSTEES * bm.CIPHERTEXTS,
            "clock": "CPU time of the measuring process (time.process_time), one core",
            "ballot_makers": workers,
        },
        "sizes": {},
    }
    for b in bits:

        def progress(message: str, b: int = b) -> None:
            print(f"kiemphieu bench [{b}] {message}", file=err, flush=True)

        start = time.perf_counter()
        try:
            figures = measure(
                b,
                policies[b],
                repeat=repeat,
                batch=batch,
                ceremonies=ceremonies,
                workers=workers,
                progress=progress,
            )
        except VerificationError as exc:
            print(f"kiemphieu bench: a check failed at {b} bits: {exc}", file=err)
            return 1
        figures["wall_s"] = _round(time.perf_counter() - start)
        figures["load_average"] = _load()
        report["sizes"][str(b)] = figures
        if not as_json:
            out.write(table(figures))
            out.flush()
    report["targets"] = targets(report["sizes"])
    if as_json:
        json.dump(report, out, indent=2, ensure_ascii=False)
        out.write("\n")
    elif report["targets"]:
        out.write(targets_text(report["targets"]))
    out.flush()
    return 0


def measure(
    bits: int,
    policy: KeyPolicy,
    *,
    repeat: int,
    batch: int,
    ceremonies: int,
    workers: int,
    progress: bm.Progress,
) -> dict[str, Any]:
    """Every figure for one modulus size, as JSON-ready values."""
    progress(f"safe primes of {bits // 2} bits")
    primes = bm.safe_primes(bits, repeat, progress)
    progress(f"{bm.TRUSTEES} trustees make their cards (ring-Pedersen parameters, Π^prm)")
    members, init = bm.committee(bits, policy, progress)
    progress(f"dealer ceremonies ({bm.TRUSTEES} trustees, t = {bm.THRESHOLD})")
    run, steps = bm.ceremonies(bits, policy, ceremonies, members, progress)
    progress("factor proofs")
    committee = {"trustee_init": init, **bm.factor_proofs(run, members, policy, repeat)}
    pk = run.dealing.public.public_key
    progress("primitives")
    prims = bm.primitives(pk, run.context.radix, repeat)
    progress(f"ballots (batch of {batch})")
    ballots = bm.ballots(run.context, repeat, batch, workers, progress)
    progress("decryption shares")
    shares = bm.decryption(run, repeat, progress)
    return {
        "bits": bits,
        "policy": policy.value,
        "batch": batch,
        "primitives_ms": _section(prims, 1e3),
        "safe_prime_s": _stats(primes, 1.0),
        "ceremony_s": _section(steps, 1.0),
        "committee_ms": _section(committee, 1e3),
        "ballot_ms": _section(ballots, 1e3),
        "decryption_ms": _section(shares, 1e3),
    }


def _stats(s: Stats, factor: float) -> dict[str, Any]:
    return {
        "median": _round(s.median * factor),
        "min": _round(s.min * factor),
        "max": _round(s.max * factor),
        "runs": s.runs,
    }


def _section(figures: dict[str, Stats], factor: float) -> dict[str, Any]:
    return {name: _stats(s, factor) for name, s in figures.items()}


def _round(x: float) -> float:
    return float(f"{x:.5g}")


def targets(sizes: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target of :data:`TARGETS` whose size was measured: limit, median, met."""
    out = []
    for section, figure, bits, limit, what in TARGETS:
        if str(bits) not in sizes:
            continue
        median = sizes[str(bits)][section][figure]["median"]
        unit = "ms" if section.endswith("_ms") else "s"
        out.append(
            {
                "what": what,
                "bits": bits,
                "figure": f"{section}.{figure}.median",
                "limit": limit,
                "measured": median,
                "unit": unit,
                "met": median <= limit,
            }
        )
    return out


# --- text output --------------------------------------------------------------

_ROWS: tuple[tuple[str, str, str], ...] = (
    ("primitives_ms", "r_pow_n_mod_n2", "r^n mod n²"),
    ("primitives_ms", "pow_128bit_mod_n2", "x^e mod n², 128-bit e"),
    ("primitives_ms", "mul_mod_n2", "one multiplication mod n²"),
    ("primitives_ms", "encrypt", "encryption"),
    ("primitives_ms", "membership_prove_k4", "membership proof, k = 4: prove"),
    ("primitives_ms", "membership_verify_k4", "membership proof, k = 4: verify"),
    ("safe_prime_s", "", "safe prime of half the modulus size"),
    ("ceremony_s", "total", "dealer ceremony, 5 trustees, t = 3"),
    ("ceremony_s", "primes", "  two safe primes"),
    ("ceremony_s", "deal", "  deal: shares, v_i, modulus proof, 5 factor proofs, c_T"),
    ("ceremony_s", "verify_ceremony", "  verify: modulus, 5 cards and Π^prm, 5 factor proofs, v_i"),
    ("ceremony_s", "check_shares", "  5 trustees check their share against v_i"),
    ("ceremony_s", "test_shares", "  5 trustees post a share of c_T with proof"),
    ("ceremony_s", "check_test_decryption", "  verify the 5 shares, combine 10 subsets"),
    ("committee_ms", "trustee_init", "trustee init: N̂ of 2 safe primes, Π^prm, card"),
    ("committee_ms", "pedersen_verify", "Π^prm of one trustee: verify"),
    ("committee_ms", "factor_prove", "factor proof Π^fac to one trustee: prove"),
    ("committee_ms", "factor_verify", "factor proof Π^fac to one trustee: verify"),
    ("ballot_ms", "prove", "ballot (5 rows, k = 4): encrypt and prove"),
    ("ballot_ms", "verify", "ballot: verify alone"),
    ("ballot_ms", "verify_batched", "ballot: verify in a batch of {batch}, per ballot"),
    ("decryption_ms", "share_and_proof", "decryption share with proof"),
    ("decryption_ms", "verify", "share: verify alone"),
    ("decryption_ms", "verify_batched", "share: verify in a batch of {shares}, per share"),
)


def table(figures: dict[str, Any]) -> str:
    """The figures of one size as a readable table."""
    lines = [
        "",
        f"kiemphieu bench: {figures['bits']}-bit modulus, {figures['policy']} policy "
        f"(CPU time of one process; {figures['wall_s']:.0f} s wall, "
        f"load {' '.join(map(str, figures['load_average']))})",
        f"{'':<50}{'median':>11}{'min':>11}{'max':>11}{'runs':>6}",
    ]
    for section, name, template in _ROWS:
        entry = figures[section][name] if name else figures[section]
        scale = next(f for suffix, f in _UNITS.items() if section.endswith(suffix))
        cells = [_human(entry[k] / scale) for k in ("median", "min", "max")]
        label = template.format(batch=figures["batch"], shares=bm.TRUSTEES * bm.CIPHERTEXTS)
        lines.append(f"{label:<50}{cells[0]:>11}{cells[1]:>11}{cells[2]:>11}{entry['runs']:>6}")
    return "\n".join(lines) + "\n"


def _human(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s"


def targets_text(results: list[dict[str, Any]]) -> str:
    lines = ["", "targets:"]
    for t in results:
        verdict = "met" if t["met"] else "NOT met"
        lines.append(
            f"  {t['what']} at {t['bits']} bits: {t['measured']} {t['unit']} "
            f"(limit {t['limit']:g} {t['unit']}): {verdict}"
        )
    return "\n".join(lines) + "\n"


# --- facts --------------------------------------------------------------------


def machine() -> dict[str, Any]:
    """This machine, its Python and big-number library, and the date."""
    cpu = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count() or 1,
        "python": platform.python_version(),
        "gmpy2": str(gmpy2.version()),
        "gmp": str(gmpy2.mp_version()),
        "platform": platform.platform(),
        "load_average": _load(),
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    }


def _load() -> list[float]:
    """The 1, 5 and 15 minute load averages: how busy the machine was."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def _version() -> str:
    try:
        return version("kiemphieu")
    except PackageNotFoundError:  # a source tree without install
        return "0+unknown"
