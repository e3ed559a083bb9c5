"""``kiemphieu verify-audit`` (docs/cli.md, docs/spec.md §8.11) with a saved summary."""

from __future__ import annotations

import json

import pytest

from kiemphieu.client.cli.main import main
from kiemphieu.crypto import codec
from kiemphieu.crypto.election import audit as au
from kiemphieu.crypto.election import ballot as bl
from kiemphieu.crypto.election.ballot import _SystemCoins

VOTES = {"leaders": (1, 0, None, 2, 2), "motion": 0, "board": frozenset({2})}


@pytest.fixture(scope="module")
def files(tmp_path_factory, election, election_summary, voter_key):
    folder = tmp_path_factory.mktemp("audit")
    coins = au.RecordingCoins(_SystemCoins())
    ballot = bl.encrypt_ballot(election, voter_key, VOTES, coins=coins)
    audit = codec.to_wire(au.make_audit(election, ballot, VOTES, coins.drawn))
    (folder / "summary.json").write_text(json.dumps(election_summary), encoding="utf-8")
    (folder / "audit.json").write_text(json.dumps(audit), encoding="utf-8")
    return folder, audit


def run(capsys, *argv):
    code = main(["verify-audit", *argv, "--insecure-test-key"])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_a_good_audit_prints_its_selections(files, capsys):
    folder, _ = files
    code, out, _ = run(
        capsys, str(folder / "audit.json"), "--summary", str(folder / "summary.json")
    )
    assert code == 0
    assert "  leaders=mid,high,blank,low,low" in out
    assert "  motion=yes" in out
    assert "  board=c3" in out


def test_a_changed_audit_exits_5(files, capsys):
    folder, audit = files
    changed = json.loads(json.dumps(audit))
    changed["selections"][1]["choices"] = [1]
    path = folder / "changed.json"
    path.write_text(json.dumps(changed), encoding="utf-8")
    code, _, err = run(capsys, str(path), "--summary", str(folder / "summary.json"))
    assert code == 5
    assert "question motion" in err


def test_not_an_audit_exits_5(files, capsys):
    folder, _ = files
    path = folder / "other.json"
    path.write_text('{"type": "ballot", "version": 1}', encoding="utf-8")
    code, _, err = run(capsys, str(path), "--summary", str(folder / "summary.json"))
    assert code == 5
    assert "not a ballot audit" in err


def test_a_summary_that_does_not_hold_together_exits_5(files, capsys):
    folder, _ = files
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    summary["base_hash"] = "00" * 32
    path = folder / "bad-summary.json"
    path.write_text(json.dumps(summary), encoding="utf-8")
    code, _, err = run(capsys, str(folder / "audit.json"), "--summary", str(path))
    assert code == 5
    assert "base hash" in err


def test_usage_and_missing_files(files, capsys):
    folder, _ = files
    audit = str(folder / "audit.json")
    assert run(capsys, audit)[0] == 2  # neither --server nor --summary
    both = ("--summary", str(folder / "summary.json"), "--server", "http://127.0.0.1:9")
    assert run(capsys, audit, *both)[0] == 2
    assert run(capsys, audit, "--server", "http://127.0.0.1:9")[0] == 2  # no --election
    wrong_id = ("--summary", str(folder / "summary.json"), "--election", "other")
    assert run(capsys, audit, *wrong_id)[0] == 2
    summary = ("--summary", str(folder / "summary.json"))
    assert run(capsys, str(folder / "missing.json"), *summary)[0] == 1


def test_an_unreachable_server_exits_4(files, capsys):
    folder, _ = files
    argv = [str(folder / "audit.json"), "--server", "http://127.0.0.1:9", "--election", "x"]
    code, _, err = run(capsys, *argv, "--timeout", "2")
    assert code == 4, err
