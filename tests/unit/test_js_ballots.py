"""Ballots and audits made by the browser booth's JavaScript (client/web/js/crypto)
verify with the Python verifier (docs/spec.md §8.6, §8.11).

Node is required: the Makefile installs it, so a missing node fails here
instead of skipping.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from kiemphieu.crypto import codec
from kiemphieu.crypto.election import audit as au
from kiemphieu.crypto.election import ballot as bl
from kiemphieu.crypto.election.credential import derive_key, new_code
from kiemphieu.crypto.errors import (
    InvalidProof,
    InvalidSignature,
    VerificationError,
)

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tests" / "js" / "make_ballots.mjs"

SELECTIONS = [
    [[0, 1, 2, None, 0], 1, [0, 3]],
    [[None, None, None, None, None], 2, [4]],
    [[2, 2, 1, 0, 1], 0, [0, 1, 2]],
]


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed: run `make node-deps` (the Makefile installs it)")
    return node


@pytest.fixture(scope="module")
def made(election, election_summary):
    code = new_code()
    request = {"summary": election_summary, "code": code, "selections": SELECTIONS}
    done = subprocess.run(
        [_node(), str(SCRIPT)],
        input=json.dumps(request).encode(),
        capture_output=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    return code, json.loads(done.stdout)


def test_js_ballots_verify_in_python(election, made):
    code, reply = made
    key = derive_key(code, election.election_id)
    assert reply["credential"] == key.public.hex()
    ballots = [codec.from_wire(bl.Ballot, b["ballot"]) for b in reply["ballots"]]
    for wire, ballot in zip(reply["ballots"], ballots, strict=True):
        verified = bl.verify_ballot(election, ballot)
        assert verified.tracking_code.hex() == wire["trackingCode"]
        assert codec.dumps(ballot) == codec.dumps(codec.from_wire(bl.Ballot, wire["ballot"]))
    outcomes = bl.verify_ballots(election, ballots)
    assert all(isinstance(o, bl.VerifiedBallot) for o in outcomes)
    assert len({b["trackingCode"] for b in reply["ballots"]}) == len(SELECTIONS)


def test_js_audits_check_in_python(election, made):
    _, reply = made
    for selections, wire in zip(SELECTIONS, reply["ballots"], strict=True):
        audit = codec.from_wire(au.BallotAudit, wire["audit"])
        votes = au.check_audit(election, audit)
        leaders, motion, board = selections
        assert votes == {
            "leaders": tuple(leaders),
            "motion": motion,
            "board": frozenset(board),
        }
        assert audit.ballot.answers == codec.from_wire(bl.Ballot, wire["ballot"]).answers


@pytest.mark.parametrize(
    ("path", "error"),
    [
        (("answers", 0, "ciphertexts", 2), InvalidProof),
        (("answers", 1, "proofs", 0, "z", 1), InvalidProof),
        (("answers", 2, "sum_proof", "e", 0), InvalidProof),
        (("answers", 0, "proofs", 4, "a", 3), InvalidProof),
        (("signature",), InvalidSignature),
    ],
)
def test_a_tampered_js_ballot_fails(election, made, path, error):
    _, reply = made
    wire = copy.deepcopy(reply["ballots"][0]["ballot"])
    node = wire
    for step in path[:-1]:
        node = node[step]
    old = node[path[-1]]
    if path[-1] == "signature":
        node[path[-1]] = old[:-2] + format(int(old[-2:], 16) ^ 1, "02x")
    else:
        node[path[-1]] = format(int(old, 16) ^ 4, "x")
    ballot = codec.from_wire(bl.Ballot, wire)
    with pytest.raises(InvalidSignature):  # any change breaks the voter's signature
        bl.verify_ballot(election, ballot)
    if path[-1] != "signature":  # re-signed by the voter, the proofs still refuse it
        code, _ = made
        key = derive_key(code, election.election_id)
        unsigned = dataclasses.replace(ballot, signature=bl.ZERO_SIGNATURE)
        resigned = dataclasses.replace(unsigned, signature=key.sign(bl.signing_message(unsigned)))
        with pytest.raises(VerificationError) as raised:
            bl.verify_ballot(election, resigned)
        assert isinstance(raised.value, error)
        assert not isinstance(bl.verify_ballots(election, [resigned])[0], bl.VerifiedBallot)
