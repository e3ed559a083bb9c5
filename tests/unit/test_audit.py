"""Ballot audits (docs/spec.md §8.11): re-encryption from revealed coins."""

from __future__ import annotations

import dataclasses

import pytest

from kiemphieu.crypto import codec
from kiemphieu.crypto.election import audit as au
from kiemphieu.crypto.election import ballot as bl
from kiemphieu.crypto.election.ballot import _SystemCoins
from kiemphieu.crypto.errors import AuditMismatch, DecodeError, InvalidSignature

VOTES = {"leaders": (0, None, 2, 1, 0), "motion": 2, "board": frozenset({1, 2, 4})}


@pytest.fixture(scope="module")
def audited(election, voter_key):
    coins = au.RecordingCoins(_SystemCoins())
    ballot = bl.encrypt_ballot(election, voter_key, VOTES, coins=coins)
    return ballot, au.make_audit(election, ballot, VOTES, coins.drawn)


def test_audit_checks_and_returns_the_votes(election, audited):
    ballot, audit = audited
    assert au.check_audit(election, audit) == {
        "leaders": (0, None, 2, 1, 0),
        "motion": 2,
        "board": frozenset({1, 2, 4}),
    }
    assert audit.ballot.answers == ballot.answers
    assert audit.selections[0].choices == (0, 3, 2, 1, 0)  # 3 levels: index 3 is blank
    assert audit.selections[2].choices == (0, 1, 1, 0, 1)


def test_audit_roundtrips_through_the_codec(election, audited):
    _, audit = audited
    wire = codec.dumps(audit)
    assert codec.to_wire(audit)["type"] == "ballot-audit"
    back = codec.loads(au.BallotAudit, wire)
    assert back == audit
    assert au.check_audit(election, back)["motion"] == 2


def test_an_audited_ballot_cannot_be_cast(election, audited):
    _, audit = audited
    with pytest.raises(InvalidSignature):
        bl.verify_ballot(election, audit.ballot)


def test_signed_ballot_in_an_audit_is_refused(election, audited):
    ballot, audit = audited
    with pytest.raises(AuditMismatch, match="zero signature"):
        au.check_audit(election, dataclasses.replace(audit, ballot=ballot))


def _with_selection(audit, index, choices):
    sel = list(audit.selections)
    sel[index] = dataclasses.replace(sel[index], choices=choices)
    return dataclasses.replace(audit, selections=tuple(sel))


def test_other_selections_do_not_match(election, audited):
    _, audit = audited
    with pytest.raises(AuditMismatch, match="question motion"):
        au.check_audit(election, _with_selection(audit, 1, (0,)))
    with pytest.raises(AuditMismatch, match="question leaders"):
        au.check_audit(election, _with_selection(audit, 0, (1, 3, 2, 1, 0)))


def test_selections_the_manifest_refuses(election, audited):
    _, audit = audited
    with pytest.raises(AuditMismatch, match="not a valid vote"):
        au.check_audit(election, _with_selection(audit, 2, (1, 1, 1, 1, 1)))
    with pytest.raises(AuditMismatch, match="does not fit"):
        au.check_audit(election, _with_selection(audit, 1, (3,)))
    with pytest.raises(AuditMismatch, match="does not fit"):
        au.check_audit(election, _with_selection(audit, 0, (0, 1)))
    swapped = (audit.selections[1], audit.selections[0], audit.selections[2])
    with pytest.raises(AuditMismatch, match="in order"):
        au.check_audit(election, dataclasses.replace(audit, selections=swapped))


def test_coins_are_replayed_exactly(election, audited):
    _, audit = audited
    coins = audit.coins
    with pytest.raises(AuditMismatch, match="fewer coins"):
        au.check_audit(election, dataclasses.replace(audit, coins=coins[:-1]))
    with pytest.raises(AuditMismatch, match="more coins"):
        au.check_audit(election, dataclasses.replace(audit, coins=(*coins, 1)))
    with pytest.raises(AuditMismatch, match="coin 0: not a unit"):
        au.check_audit(election, dataclasses.replace(audit, coins=(0, *coins[1:])))
    with pytest.raises(AuditMismatch, match="coin 1: longer than 128 bits"):
        au.check_audit(election, dataclasses.replace(audit, coins=(coins[0], 1 << 128, *coins[2:])))
    changed = (coins[0], coins[1] ^ 1, *coins[2:])
    with pytest.raises(AuditMismatch, match="question leaders"):
        au.check_audit(election, dataclasses.replace(audit, coins=changed))


def test_ballot_of_another_election(election, audited):
    _, audit = audited
    other = dataclasses.replace(audit.ballot, election=bytes(32))
    with pytest.raises(AuditMismatch, match="another election"):
        au.check_audit(election, dataclasses.replace(audit, ballot=other))


def test_decoding_refuses_a_malformed_audit(audited):
    _, audit = audited
    wire = codec.to_wire(audit)
    wire["selections"][0]["choices"][0] = -1
    with pytest.raises(DecodeError, match=r"selections\[0\]\.choices\[0\]"):
        codec.from_wire(au.BallotAudit, wire)


# --- tests/vectors/audit.json ----------------------------------------------------------


def _vector_context():
    import json
    from pathlib import Path

    from kiemphieu.crypto.election.ceremony import KeyCeremony
    from kiemphieu.crypto.election.context import ElectionContext
    from kiemphieu.crypto.election.manifest import Manifest
    from kiemphieu.crypto.primitives.paillier import KeyPolicy

    here = Path(__file__).resolve().parents[1] / "vectors"
    ballot = json.loads((here / "ballot.json").read_text(encoding="utf-8"))
    audit = json.loads((here / "audit.json").read_text(encoding="utf-8"))
    manifest = codec.from_wire(Manifest, ballot["manifest"])
    ceremony = codec.from_wire(KeyCeremony, ballot["key_ceremony"])
    return ElectionContext(manifest, ceremony, KeyPolicy.TESTING), audit


def test_audit_vector_checks_to_its_votes():
    ctx, vec = _vector_context()
    audit = codec.from_wire(au.BallotAudit, vec["audit"])
    votes = au.check_audit(ctx, audit)
    assert votes == {
        "leaders": tuple(vec["votes"]["leaders"]),
        "motion": vec["votes"]["motion"],
        "board": frozenset(vec["votes"]["board"]),
    }
    assert audit.ballot.credential.hex() == vec["credential"]
    # per part r, k - 1 pairs (e, z) and w: 2k draws; the sum proof (k = 3) has no r of its own
    assert len(audit.coins) == 2 * (5 * 4 + 3 + 5 * 2) + (2 * 3 - 1)


def test_audit_vector_tampered_coin_is_refused():
    ctx, vec = _vector_context()
    wire = vec["audit"]
    wire["coins"][-1] = format(int(wire["coins"][-1], 16) ^ 2, "x")
    with pytest.raises(AuditMismatch, match="question board"):
        au.check_audit(ctx, codec.from_wire(au.BallotAudit, wire))
