"""``kiemphieu bench`` on test-size moduli, and the command's --version and --help.

The command line only reaches production sizes (2048, 3072, 4096 bits); the
tests swap in a 512-bit modulus under ``KeyPolicy.TESTING`` through the
``policy`` keyword of ``run_bench``, which ``main`` never passes.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest

from kiemphieu.client.cli import bench
from kiemphieu.client.cli import main as cli
from kiemphieu.crypto.primitives.paillier import KeyPolicy

FIGURES = {
    "primitives_ms": {
        "r_pow_n_mod_n2",
        "pow_128bit_mod_n2",
        "mul_mod_n2",
        "encrypt",
        "membership_prove_k4",
        "membership_verify_k4",
    },
    "ceremony_s": {
        "total",
        "primes",
        "deal",
        "verify_ceremony",
        "check_shares",
        "test_shares",
        "check_test_decryption",
    },
    "committee_ms": {"trustee_init", "pedersen_verify", "factor_prove", "factor_verify"},
    "ballot_ms": {"prove", "verify", "verify_batched"},
    "decryption_ms": {"share_and_proof", "verify", "verify_batched"},
}
MACHINE = {"cpu", "cores", "python", "gmpy2", "gmp", "platform", "load_average", "date"}


def small_bench(monkeypatch, calls):
    """Route ``main``'s call of run_bench to a 512-bit test run, recording its arguments."""
    real = bench.run_bench

    def run_small(**kwargs):
        calls.append(kwargs)
        return real(**(kwargs | {"bits": (512,)}), policy=KeyPolicy.TESTING, workers=1)

    monkeypatch.setattr(bench, "run_bench", run_small)


def check_stats(stats, runs):
    assert set(stats) == {"median", "min", "max", "runs"}
    assert stats["runs"] == runs
    assert 0 < stats["min"] <= stats["median"] <= stats["max"]


def test_bench_json_has_every_figure(monkeypatch, capsys):
    calls = []
    small_bench(monkeypatch, calls)
    args = ["bench", "--json", "--repeat", "2", "--batch", "3", "--ceremonies", "2"]
    assert cli.main(args) == 0
    (call,) = calls
    assert call["bits"] == (2048, 3072)  # the production default reached run_bench
    assert (call["repeat"], call["batch"], call["ceremonies"], call["as_json"]) == (2, 3, 2, True)
    out, err = capsys.readouterr()
    report = json.loads(out)  # stdout holds the JSON object and nothing else
    assert "kiemphieu bench [512]" in err
    assert set(report["machine"]) == MACHINE
    assert report["machine"]["cores"] >= 1
    assert all(report["machine"][k] for k in MACHINE)
    assert report["settings"]["batch"] == 3
    assert report["targets"] == []  # targets are for 3072 bits
    size = report["sizes"]["512"]
    assert (size["bits"], size["policy"], size["batch"]) == (512, "testing", 3)
    check_stats(size["safe_prime_s"], 2)
    assert size["wall_s"] > 0
    for section, names in FIGURES.items():
        assert set(size[section]) == names, section
        for name in names:
            runs = 2
            if (section, name) == ("decryption_ms", "share_and_proof"):
                runs = 20  # every share of the batch is timed
            if (section, name) == ("committee_ms", "trustee_init"):
                runs = 5  # each of the five trustees, once
            check_stats(size[section][name], runs)


def test_bench_table(monkeypatch, capsys):
    small_bench(monkeypatch, [])
    assert cli.main(["bench", "--repeat", "1", "--batch", "2", "--ceremonies", "1"]) == 0
    out, err = capsys.readouterr()
    assert "512-bit modulus, testing policy" in out
    assert "dealer ceremony, 5 trustees, t = 3" in out
    assert "ballot: verify in a batch of 2, per ballot" in out
    assert "kiemphieu bench" not in out.replace("kiemphieu bench:", "")  # progress is on stderr
    assert "ceremony 1/1" in err


def test_bench_refuses_bad_arguments_before_working(capsys):
    assert cli.main(["bench", "--repeat", "0"]) == 2
    assert "--repeat must be at least 1" in capsys.readouterr().err
    # production policies refuse test-size moduli: only the policy keyword reaches them
    err = io.StringIO()
    args = {"repeat": 1, "batch": 1, "ceremonies": 1, "as_json": True, "out": io.StringIO()}
    assert bench.run_bench(bits=(512,), err=err, **args) == 2
    assert "refused under the standard policy" in err.getvalue()


def test_targets_are_judged_on_3072_bits():
    sizes = {
        "3072": {
            "ballot_ms": {"verify_batched": {"median": 14.5}},
            "ceremony_s": {"total": {"median": 75.0}},
        }
    }
    met = {t["figure"]: t["met"] for t in bench.targets(sizes)}
    assert met == {"ballot_ms.verify_batched.median": True, "ceremony_s.total.median": False}
    assert bench.targets({"2048": sizes["3072"]}) == []


def run_cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "kiemphieu.client.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_version_and_help():
    version = run_cli("--version")
    assert version.returncode == 0
    assert version.stdout.strip() == f"kiemphieu {cli.package_version()}"
    helped = run_cli("--help")
    assert helped.returncode == 0
    assert "bench" in helped.stdout


def test_bench_help(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["bench", "--help"])
    assert exit_.value.code == 0
    text = capsys.readouterr().out
    for option in ("--json", "--bits", "--repeat", "--batch", "--ceremonies", "(default 3)"):
        assert option in text
