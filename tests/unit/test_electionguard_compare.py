"""The logic of ``tests/benchmarks/electionguard_compare.py``, cheaply.

The benchmark itself installs ElectionGuard into its own venv and deals a
3072-bit key; neither happens here. These tests run our side on the session's
512-bit ``KeyPolicy.TESTING`` key with two ballots, the ``tally.py`` patch on
a copy of the text, and the ratio, verdict and table on made-up figures.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from kiemphieu.crypto.primitives.paillier import KeyPolicy

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "electionguard_compare.py"


@pytest.fixture(scope="module")
def compare():
    spec = importlib.util.spec_from_file_location("electionguard_compare", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


TALLY = """@dataclass
class CiphertextTallySelection(ElectionObjectBase, CryptoHashable):
    ciphertext: ElGamalCiphertext = field(
        default=ElGamalCiphertext(ONE_MOD_P, ONE_MOD_P)
    )
"""


def test_patch_tally_replaces_the_default_once(compare, tmp_path):
    path = tmp_path / "tally.py"
    path.write_text(TALLY, encoding="utf-8")
    assert compare.patch_tally(path) == "patched"
    text = path.read_text(encoding="utf-8")
    assert "default_factory=lambda: ElGamalCiphertext(ONE_MOD_P, ONE_MOD_P)" in text
    assert "(\n        default=ElGamalCiphertext" not in text
    assert compare.patch_tally(path) == "already patched"
    assert path.read_text(encoding="utf-8") == text


def test_patch_tally_refuses_an_unknown_file(compare, tmp_path):
    path = tmp_path / "tally.py"
    other = TALLY.replace("ONE_MOD_P, ONE_MOD_P", "ZERO_MOD_P, ONE_MOD_P")
    path.write_text(other, encoding="utf-8")
    with pytest.raises(compare.BenchError, match="exactly once"):
        compare.patch_tally(path)
    assert path.read_text(encoding="utf-8") == other


def test_manifest_shape(compare, election_id):
    for blank, k in ((True, 4), (False, 3)):
        manifest = compare.compare_manifest(election_id, blank)
        assert len(manifest.questions) == 5
        assert all(q.kind.value == "single" and q.slots == k for q in manifest.questions)


def test_measure_ours_on_a_test_key(compare, election_id, key_ceremony):
    result = compare.measure_ours(
        election_id,
        key_ceremony,
        KeyPolicy.TESTING,
        blank=True,
        count=2,
        batch_runs=2,
        workers=1,
    )
    assert (result["k"], result["ballots"], result["ciphertexts_per_ballot"]) == (4, 2, 5)
    alone, batched = result["verify_cpu"], result["batched_cpu_per_ballot"]
    assert 0 < alone["min"] <= alone["median"] <= alone["max"]
    assert alone["total"] == pytest.approx(alone["mean"] * 2)
    assert 0 < batched["min"] <= batched["max"]
    assert result["batch_cpu"]["median"] == pytest.approx(batched["median"] * 2)


def _eg(median: float) -> dict:
    figures = {"median": median, "min": median, "max": median, "mean": median, "total": median}
    return {
        "versions": {"electionguard": "1.4.0"},
        "group": {"p_bits": 4096, "q_bits": 256},
        "verify_cpu": figures,
    }


def _ours(batched: float, alone: float, blank: bool) -> dict:
    def figures(x: float) -> dict:
        return {"median": x, "min": x, "max": x, "mean": x, "total": 2 * x}

    return {
        "blank": blank,
        "verify_cpu": figures(alone),
        "batch_cpu": figures(2 * batched),
        "batched_cpu_per_ballot": figures(batched),
    }


def test_ratio_and_verdict(compare):
    eg = _eg(0.5)
    met = compare.ratios(eg, _ours(0.025, 1.0, True))
    assert met["eg_over_ours_batched"] == pytest.approx(20.0)
    assert met["eg_over_ours_alone"] == pytest.approx(0.5)
    assert met["target_met"] is True
    assert met["ours_batched_limit"] == pytest.approx(0.025)
    assert compare.ratios(eg, _ours(0.0251, 1.0, True))["target_met"] is False


def test_table_states_a_missed_target(compare):
    ours = {"blank": _ours(0.05, 1.0, True), "exact": _ours(0.02, 0.6, False)}
    eg = _eg(0.5)
    report = {
        "ballots": 2,
        "electionguard": eg,
        "kiemphieu": ours,
        "ratios": {name: compare.ratios(eg, r) for name, r in ours.items()},
        "clock": "process_time",
        "machine": {"cpu": "test cpu", "cores": 2, "load_average": [0.1]},
        "load_average_end": [0.2],
        "core_probe_pow256_mod4096_s": {"before": {"median": 0.0012}, "after": {"median": 0.0013}},
    }
    text = compare.table(report)
    assert "4096-bit p, 256-bit q" in text
    assert "NOT met (10.0×)" in text
    assert "25.0× batched" in text
    assert "after ours: 1200 / 1300" in text


def test_core_probe_times_something(compare):
    probe = compare.core_probe()
    assert 0 < probe["min"] <= probe["median"] <= probe["max"] < 1
