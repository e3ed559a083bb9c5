"""A trustee's local files and prompts: passphrases, public cards, fingerprints,
the result table; no server needed."""

from __future__ import annotations

import io
import json

import pytest

from kiemphieu.client.cli import passphrase
from kiemphieu.client.cli.connection import UsageError
from kiemphieu.client.cli.demo_scenario import expected_slots, manifest_toml, random_votes
from kiemphieu.client.cli.keystore import (
    KeystoreError,
    card_path,
    fingerprint,
    load_card,
    save_card,
)
from kiemphieu.crypto.election.committee import CommitteeError, verify_card
from kiemphieu.crypto.election.manifest_toml import manifest_from_toml
from kiemphieu.crypto.primitives.paillier import KeyPolicy


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_new_passphrase_is_asked_twice(monkeypatch):
    answers = iter(["long enough one", "long enough one", "long enough one", "different"])
    monkeypatch.setattr(passphrase.getpass, "getpass", lambda prompt="": next(answers))
    monkeypatch.setattr("sys.stdin", _Terminal())
    assert passphrase.new_passphrase("trustee 1", None) == "long enough one"
    with pytest.raises(UsageError, match="differ"):
        passphrase.new_passphrase("trustee 1", None)


def test_passphrase_needs_a_terminal_or_a_file(monkeypatch, tmp_path):
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    with pytest.raises(UsageError, match="--passphrase-file"):
        passphrase.ask_passphrase("?", None)
    short = tmp_path / "short"
    short.write_text("abc\n")
    short.chmod(0o600)
    assert passphrase.ask_passphrase("?", short) == "abc"
    with pytest.raises(UsageError, match="at least 8"):
        passphrase.new_passphrase("x", short)
    empty = tmp_path / "empty"
    empty.write_text("\n")
    with pytest.raises(UsageError, match="empty"):
        passphrase.ask_passphrase("?", empty)


def test_public_card_round_trip(tmp_path, test_committee):
    key = tmp_path / "an.json"
    assert card_path(key) == tmp_path / "an.pub.json"
    assert card_path(tmp_path / "an") == tmp_path / "an.pub.json"
    card = test_committee.members[0].card
    save_card(card_path(key), card)
    assert load_card(card_path(key)) == card
    verify_card(load_card(card_path(key)), KeyPolicy.TESTING)
    with pytest.raises(KeystoreError, match="exists"):
        save_card(card_path(key), card)
    data = json.loads(card_path(key).read_text())
    data["card"]["identity_key"] = "00"
    card_path(key).write_text(json.dumps(data))
    with pytest.raises(KeystoreError, match="identity_key"):
        load_card(card_path(key))
    data["card"]["identity_key"] = test_committee.members[1].card.identity_key.hex()
    card_path(key).write_text(json.dumps(data))
    with pytest.raises(CommitteeError, match="not signed"):  # a card with another's key
        verify_card(load_card(card_path(key)), KeyPolicy.TESTING)


def test_fingerprint_extends_the_minutes_one():
    key = bytes(range(32))
    fp = fingerprint(key)
    assert len(fp.split()) == 8 and all(len(g) == 4 for g in fp.split())
    from kiemphieu.client.cli.minutes_text import fingerprint as short

    assert fp.startswith(short(key))


def test_scenario_manifest_and_tilt():
    manifest = manifest_from_toml(manifest_toml())
    rules = manifest.rules
    assert rules is not None and (rules.trustees, rules.threshold, rules.summoned) == (5, 3, 90)
    assert manifest.meeting is not None
    assert len(manifest.questions[0].rows) == 5 and manifest.questions[0].rows[0].id == "cuc-truong"
    for n in (1, 2, 7, 36):
        slots = expected_slots(random_votes(n))
        assert all(sum(row) == n for row in slots)
        assert 2 * slots[-1][2] > n  # the tilted row: more than half low
