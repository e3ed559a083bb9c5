"""Trustee key files and share files (Argon2id + SecretBox, SealedBox)."""

from __future__ import annotations

import json
import stat

import pytest

from kiemphieu.client.cli import keystore as ks


@pytest.fixture(autouse=True)
def fast_kdf(monkeypatch):
    # Argon2id at the production limits takes ~1 s; the tests check behaviour, not cost.
    monkeypatch.setattr(ks, "OPSLIMIT", ks.nacl.pwhash.argon2id.OPSLIMIT_MIN)
    monkeypatch.setattr(ks, "MEMLIMIT", ks.nacl.pwhash.argon2id.MEMLIMIT_MIN)


def test_trustee_keys_round_trip(tmp_path):
    keys = ks.TrusteeKeys.generate()
    path = tmp_path / "t.key"
    ks.save_trustee_keys(path, keys, "mật khẩu dài")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    assert keys.identity_seed.hex() not in text and keys.encryption_secret.hex() not in text
    assert keys.identity_seed.hex() not in repr(keys)
    again = ks.load_trustee_keys(path, "mật khẩu dài")
    assert again == keys
    with pytest.raises(ks.KeystoreError, match="passphrase"):
        ks.load_trustee_keys(path, "wrong")
    with pytest.raises(ks.KeystoreError, match="exists"):
        ks.save_trustee_keys(path, keys, "x")


def test_share_sealed_to_trustee(tmp_path, dealing):
    keys = ks.TrusteeKeys.generate()
    other = ks.TrusteeKeys.generate()
    path = tmp_path / "share-2.json"
    h = bytes(range(32))
    ks.save_share(path, dealing.shares[1], "test-election", h, recipient=keys.encryption_public)
    assert str(dealing.shares[1].s) not in path.read_text()
    assert format(dealing.shares[1].s, "x") not in path.read_text()
    assert ks.load_share(path, keys=keys) == ks.SealedShare(dealing.shares[1], h)
    assert json.loads(path.read_text())["election_hash"] == h.hex()
    with pytest.raises(ks.KeystoreError, match="another trustee"):
        ks.load_share(path, keys=other)
    data = json.loads(path.read_text())
    data["sealed"] = data["sealed"][:-8] + "AAAAAAA="
    path.write_text(json.dumps(data))
    with pytest.raises(ks.KeystoreError):
        ks.load_share(path, keys=keys)


def test_share_locked_by_passphrase(tmp_path, dealing):
    path = tmp_path / "share-3.json"
    h = bytes(32)
    ks.save_share(path, dealing.shares[2], "test-election", h, passphrase="ba chấm")
    assert ks.load_share(path, passphrase="ba chấm").share == dealing.shares[2]
    with pytest.raises(ks.KeystoreError):
        ks.load_share(path, passphrase="bốn chấm")
    with pytest.raises(ValueError):
        ks.save_share(
            tmp_path / "x", dealing.shares[2], "e", h, recipient=bytes(32), passphrase="p"
        )


def test_share_file_pins_its_base_hash(tmp_path, dealing):
    """The H_E in the clear header must be the one sealed with the share."""
    keys = ks.TrusteeKeys.generate()
    path = tmp_path / "share-1.json"
    ks.save_share(path, dealing.shares[0], "e", bytes(32), recipient=keys.encryption_public)
    data = json.loads(path.read_text())
    data["election_hash"] = "11" * 32
    path.write_text(json.dumps(data))
    with pytest.raises(ks.KeystoreError, match="base hash"):
        ks.load_share(path, keys=keys)


def test_registrar_key_round_trip(tmp_path):
    path = tmp_path / "registrar.json"
    ks.save_registrar_key(path, bytes(range(32)), "mật khẩu")
    assert ks.load_registrar_key(path, "mật khẩu") == bytes(range(32))
    with pytest.raises(ks.KeystoreError, match="passphrase"):
        ks.load_registrar_key(path, "sai")
    assert oct(path.stat().st_mode & 0o777) == "0o600"
