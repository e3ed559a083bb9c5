"""Ballots and audits made by the browser booth's JavaScript (client/web/js/crypto)
verify with the Python verifier (docs/spec.md §8.6, §8.11); and the booth's
key check (§6.3, §6.5, §8.10, §8.12, §12.8) agrees with the Python one on the
session's key ceremony, on tampered copies of it, on a lopsided modulus, and
on the committee-generated key of tests/vectors/keygen.json and tampered copies.

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
from typing import Any

import gmpy2
import pytest

from kiemphieu.crypto import codec
from kiemphieu.crypto.election import audit as au
from kiemphieu.crypto.election import ballot as bl
from kiemphieu.crypto.election.ceremony import KeyCeremony, verify_key_ceremony
from kiemphieu.crypto.election.credential import derive_key, new_code
from kiemphieu.crypto.errors import (
    InvalidProof,
    InvalidSignature,
    ParameterError,
    VerificationError,
)
from kiemphieu.crypto.primitives.paillier import KeyPolicy

from ..support.forgeries import lopsided_ceremony

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tests" / "js" / "make_ballots.mjs"
KEYCHECK = ROOT / "tests" / "js" / "keycheck-cli.mjs"
KEYGEN = json.loads((ROOT / "tests" / "vectors" / "keygen.json").read_text("utf-8"))
DEALT = json.loads((ROOT / "tests" / "vectors" / "threshold.json").read_text("utf-8"))[
    "key_ceremony"
]

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


def run_node(script: Path, request: Any) -> Any:
    done = subprocess.run(
        [_node(), str(script)],
        input=json.dumps(request).encode(),
        capture_output=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def made(election, election_summary, held):
    code = new_code()
    others = [
        derive_key(new_code(), election.election_id, election.registrar_key).public
        for _ in range(3)
    ]
    keys = [derive_key(code, election.election_id, election.registrar_key).public, *others]
    signed = held.committee.sign_roll(election.election_id, election.hash, keys)
    roll = {
        "election_id": election.election_id,
        "credentials": sorted(k.hex() for k in keys),
        "signed_roll": codec.to_wire(signed),
    }
    request = {
        "summary": election_summary,
        "roll": roll,
        "policy": "testing",
        "code": code,
        "selections": SELECTIONS,
    }
    return code, run_node(SCRIPT, request)


def test_the_booth_checked_the_key_and_the_roll_first(made):
    _, reply = made
    assert reply["keyCheck"]["runner"] == "page"
    assert reply["keyCheck"]["steps"] == [
        "form",
        "key-policy",
        "committee",
        "signatures",
        "modulus-proof",
        "factor-proofs",
        "verification-keys",
        "test-ciphertext",
    ]
    assert reply["onRoll"] is True


def test_js_ballots_verify_in_python(election, made):
    code, reply = made
    key = derive_key(code, election.election_id, election.registrar_key)
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
        key = derive_key(code, election.election_id, election.registrar_key)
        unsigned = dataclasses.replace(ballot, signature=bl.ZERO_SIGNATURE)
        resigned = dataclasses.replace(unsigned, signature=key.sign(bl.signing_message(unsigned)))
        with pytest.raises(VerificationError) as raised:
            bl.verify_ballot(election, resigned)
        assert isinstance(raised.value, error)
        assert not isinstance(bl.verify_ballots(election, [resigned])[0], bl.VerifiedBallot)


# --- the key check: JS and Python agree ------------------------------------------------


def _flip(value: str) -> str:
    return format(int(value, 16) ^ 2, "x")


def _tamper(path: tuple[Any, ...], change: Any):
    def apply(wire: dict[str, Any]) -> None:
        node = wire
        for step in path[:-1]:
            node = node[step]
        node[path[-1]] = change(node[path[-1]])

    return apply


CEREMONY_TAMPERS: dict[str, tuple[Any, str, str]] = {
    # name: (tamper of the wire ceremony, the JS refusal's class, its step)
    "trustee-name": (
        _tamper(("committee", "trustees", 1, "name"), lambda v: v + " Anh"),
        "CardSignatureError",
        "signatures",
    ),
    "trustee-role": (
        _tamper(("committee", "trustees", 0, "role"), lambda v: "Ủy viên"),
        "CardSignatureError",
        "signatures",
    ),
    "registrar-signature": (
        # a changed last byte, never the same (a fixed "00" would be no change 1 time in 256)
        _tamper(
            ("committee", "registrar", "signature"), lambda v: v[:-2] + f"{int(v[-2:], 16) ^ 1:02x}"
        ),
        "RegistrarSignatureError",
        "signatures",
    ),
    "factor-proof-w2": (
        _tamper(("factor_proofs", 3, "w2"), _flip),
        "FactorProofError",
        "factor-proofs",
    ),
    "factor-proof-T": (
        _tamper(("factor_proofs", 0, "T"), _flip),
        "FactorProofError",
        "factor-proofs",
    ),
    "modulus-proof-x": (
        _tamper(("modulus_proof", "x", 17), _flip),
        "ModulusProofError",
        "modulus-proof",
    ),
    "modulus-proof-z": (
        _tamper(("modulus_proof", "z", 100), _flip),
        "ModulusProofError",
        "modulus-proof",
    ),
    "v-not-derived": (
        _tamper(("key", "v"), lambda v: format(int(v, 16) ** 2 % 2**1000, "x")),
        "VerificationKeyError",
        "verification-keys",
    ),
    "verification-key": (
        _tamper(("key", "vks", 4), _flip),
        "VerificationKeyError",
        "verification-keys",
    ),
    "test-plaintext": (
        _tamper(("test_plaintext",), _flip),
        "TestCiphertextError",
        "test-ciphertext",
    ),
}


def _entry(index: int, field: str, change: Any):
    """Change field ``field`` of trustee ``index``'s transcript entry."""
    return _tamper(("transcript", "entries", index - 1, field), change)


def _first(change: Any):
    return lambda values: [change(values[0]), *values[1:]]


GENERATED_TAMPERS: dict[str, tuple[Any, str, str]] = {
    # name: (tamper of keygen.json's wire ceremony, the JS refusal's class, its step)
    "generated-biprimality": (
        _entry(2, "biprimality", _first(_flip)),
        "KeyGenerationError",
        "generation",
    ),
    "generated-y": (_entry(4, "y", _flip), "KeyGenerationError", "generation"),
    "generated-commitment": (
        _entry(3, "commitment", lambda v: v[:-2] + f"{int(v[-2:], 16) ^ 1:02x}"),
        "KeyGenerationError",
        "generation",
    ),
    "generated-swapped-signature": (
        lambda w: w["transcript"]["entries"][1].update(
            open_signature=w["transcript"]["entries"][0]["open_signature"]
        ),
        "KeyGenerationError",
        "generation",
    ),
    "generated-modulus-proof": (
        lambda w: w.update(modulus_proof=DEALT["modulus_proof"]),
        "CeremonyFormError",
        "form",
    ),
    "generated-test-ciphertext": (
        lambda w: w.update(
            test_ciphertext=format(
                int(w["test_ciphertext"], 16)
                * (1 + int(w["key"]["n"], 16))
                % int(w["key"]["n"], 16) ** 2,
                "x",
            )
        ),
        "TestCiphertextError",
        "test-ciphertext",
    ),
    "generated-verification-key": (
        _tamper(("key", "vks", 4), _flip),
        "VerificationKeyError",
        "verification-keys",
    ),
}


def unequal_ceremony(held, bits: int = 1024) -> KeyCeremony:
    """The session's ceremony with n = p·q of unequal Blum primes (200 and
    bits − 200 bits), with a valid modulus proof and factor proofs made by a
    cheating dealer: the larger factor is above the proof's bound."""

    def blum_prime_after(x: int) -> int:
        p = int(gmpy2.next_prime(x))
        while p % 4 != 3:
            p = int(gmpy2.next_prime(p))
        return p

    p = blum_prime_after(3 << 198)  # 200 bits, the top two set: p·q has `bits` bits
    q = blum_prime_after(3 << (bits - 202))
    while gmpy2.gcd(p * q, (p - 1) * (q - 1)) != 1:
        q = blum_prime_after(q)
    assert (p * q).bit_length() == bits
    return lopsided_ceremony(held.ceremony, p, q)


@pytest.fixture(scope="module")
def key_checks(held, election):
    eid = election.election_id
    honest = codec.to_wire(held.ceremony)
    cases: dict[str, Any] = {
        "honest": {"ceremony": honest, "electionId": eid, "policy": "testing"},
        "honest-standard": {"ceremony": honest, "electionId": eid, "policy": "standard"},
        "lopsided": {
            "ceremony": codec.to_wire(unequal_ceremony(held)),
            "electionId": eid,
            "policy": "testing",
        },
    }
    for name, (tamper, _, _) in CEREMONY_TAMPERS.items():
        wire = copy.deepcopy(honest)
        tamper(wire)
        cases[name] = {"ceremony": wire, "electionId": eid, "policy": "testing"}
    dealt_with_transcript = copy.deepcopy(honest)
    dealt_with_transcript["transcript"] = KEYGEN["key_ceremony"]["transcript"]
    cases["dealt-with-transcript"] = {
        "ceremony": dealt_with_transcript,
        "electionId": eid,
        "policy": "testing",
    }
    generated = {"electionId": KEYGEN["election_id"], "policy": "testing"}
    cases["generated"] = {"ceremony": KEYGEN["key_ceremony"], **generated}
    for name, (tamper, _, _) in GENERATED_TAMPERS.items():
        wire = copy.deepcopy(KEYGEN["key_ceremony"])
        tamper(wire)
        cases[name] = {"ceremony": wire, **generated}
    return cases, run_node(KEYCHECK, cases)


def test_the_session_ceremony_passes_the_js_key_check(key_checks):
    _, verdicts = key_checks
    assert verdicts["honest"]["ok"] is True, verdicts["honest"]
    refused = verdicts["honest-standard"]
    assert (refused["ok"], refused["name"]) == (False, "KeyPolicyError")
    assert "512-bit modulus is refused under the standard policy" in refused["message"]


def test_a_lopsided_modulus_passes_the_modulus_proof_but_not_the_factor_proofs(
    held, election, key_checks
):
    cases, verdicts = key_checks
    verdict = verdicts["lopsided"]
    assert (verdict["ok"], verdict["name"], verdict["trustee"]) == (False, "FactorProofError", 1)
    assert "z1 or z2 too large" in verdict["message"]
    ceremony = codec.from_wire(KeyCeremony, cases["lopsided"]["ceremony"])
    with pytest.raises(InvalidProof, match="z1 or z2 too large"):
        verify_key_ceremony(ceremony, KeyPolicy.TESTING)


def test_the_generated_key_passes_the_js_and_python_key_checks(key_checks):
    cases, verdicts = key_checks
    assert verdicts["generated"] == {
        "ok": True,
        "steps": [
            "form",
            "key-policy",
            "committee",
            "signatures",
            "generation",
            "verification-keys",
            "test-ciphertext",
        ],
    }
    verify_key_ceremony(
        codec.from_wire(KeyCeremony, cases["generated"]["ceremony"]), KeyPolicy.TESTING
    )


def test_a_dealt_key_with_a_transcript_is_refused_by_js_and_python(key_checks):
    cases, verdicts = key_checks
    verdict = verdicts["dealt-with-transcript"]
    assert (verdict["ok"], verdict["name"], verdict["check"]) == (
        False,
        "CeremonyFormError",
        "form",
    )
    ceremony = codec.from_wire(KeyCeremony, cases["dealt-with-transcript"]["ceremony"])
    with pytest.raises(InvalidProof, match="no generation transcript"):
        verify_key_ceremony(ceremony, KeyPolicy.TESTING)


@pytest.mark.parametrize("name", sorted(CEREMONY_TAMPERS) + sorted(GENERATED_TAMPERS))
def test_a_tampered_ceremony_is_refused_by_js_and_python(key_checks, name):
    cases, verdicts = key_checks
    _, kind, step = {**CEREMONY_TAMPERS, **GENERATED_TAMPERS}[name]
    verdict = verdicts[name]
    assert (verdict["ok"], verdict["name"], verdict["check"]) == (False, kind, step), verdict
    ceremony = codec.from_wire(KeyCeremony, cases[name]["ceremony"])
    with pytest.raises((VerificationError, ParameterError)):
        verify_key_ceremony(ceremony, KeyPolicy.TESTING)
