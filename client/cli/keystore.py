"""Secrets at rest on a trustee's machine: its keys and its key share (docs/cli.md).

* A trustee key file holds the Ed25519 identity seed and the X25519 secret
  key, encrypted with a passphrase: Argon2id (libsodium's ``MODERATE`` limits)
  derives a SecretBox key (XSalsa20-Poly1305).
* A share file holds one :class:`KeyShare` (its index, s_i and the public
  key) with the base hash H_E of the key ceremony it was dealt in, sealed to
  the trustee's X25519 public key (SealedBox) or, when the trustee chose a
  passphrase at the ceremony, encrypted like a key file. H_E pins the key
  ceremony: the trustee's tool decrypts the test ciphertext of that ceremony
  only, whatever a server serves.
* A public card is the member's signed ``trustee-card`` document (name, role,
  two public keys, ring-Pedersen parameters with Π^prm): what the
  administrator registers.
* A registrar key file holds the registrar's Ed25519 seed, locked like a key
  file; its public card is the signed ``registrar`` document.

Every file is a small JSON envelope; the secret part is only ever in memory.
Files are written with mode 0600 and never overwritten silently.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nacl.exceptions
import nacl.public
import nacl.pwhash
import nacl.secret
import nacl.signing
import nacl.utils

from kiemphieu.crypto import codec
from kiemphieu.crypto.election.committee import Registrar, TrusteeCard
from kiemphieu.crypto.errors import DecodeError
from kiemphieu.crypto.primitives.threshold import KeyShare

KEY_FORMAT = "kiemphieu-trustee-key/1"
SHARE_FORMAT = "kiemphieu-key-share/2"
CARD_FORMAT = "kiemphieu-trustee-public/2"
REGISTRAR_KEY_FORMAT = "kiemphieu-registrar-key/1"
REGISTRAR_CARD_FORMAT = "kiemphieu-registrar-public/1"
OPSLIMIT = nacl.pwhash.argon2id.OPSLIMIT_MODERATE
MEMLIMIT = nacl.pwhash.argon2id.MEMLIMIT_MODERATE


class KeystoreError(Exception):
    """A key or share file cannot be opened: wrong passphrase, wrong key, damage."""


@dataclass(frozen=True)
class TrusteeKeys:
    """A trustee's identity (Ed25519) and share-delivery (X25519) secrets."""

    identity_seed: bytes = field(repr=False)
    encryption_secret: bytes = field(repr=False)

    @staticmethod
    def generate() -> TrusteeKeys:
        return TrusteeKeys(secrets.token_bytes(32), secrets.token_bytes(32))

    @property
    def identity_public(self) -> bytes:
        return bytes(nacl.signing.SigningKey(self.identity_seed).verify_key)

    @property
    def encryption_public(self) -> bytes:
        return bytes(nacl.public.PrivateKey(self.encryption_secret).public_key)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: Any, what: str) -> bytes:
    if not isinstance(text, str):
        raise KeystoreError(f"{what} is missing")
    try:
        return base64.b64decode(text, validate=True)
    except ValueError as exc:
        raise KeystoreError(f"{what} is not base64") from exc


def _passphrase_box(passphrase: str, salt: bytes, ops: int, mem: int) -> nacl.secret.SecretBox:
    if not passphrase:
        raise KeystoreError("an empty passphrase is refused")
    key = nacl.pwhash.argon2id.kdf(
        nacl.secret.SecretBox.KEY_SIZE, passphrase.encode("utf-8"), salt, opslimit=ops, memlimit=mem
    )
    return nacl.secret.SecretBox(key)


def _lock(secret: bytes, passphrase: str) -> dict[str, Any]:
    salt = secrets.token_bytes(nacl.pwhash.argon2id.SALTBYTES)
    box = _passphrase_box(passphrase, salt, OPSLIMIT, MEMLIMIT)
    return {
        "kdf": {"name": "argon2id", "opslimit": OPSLIMIT, "memlimit": MEMLIMIT, "salt": _b64(salt)},
        "box": _b64(bytes(box.encrypt(secret))),
    }


def _unlock(envelope: dict[str, Any], passphrase: str) -> bytes:
    kdf = envelope.get("kdf")
    if not isinstance(kdf, dict) or kdf.get("name") != "argon2id":
        raise KeystoreError("unknown key derivation")
    ops, mem = kdf.get("opslimit"), kdf.get("memlimit")
    if (
        not isinstance(ops, int)
        or not isinstance(mem, int)
        or not (1 <= ops <= 16)
        or not (8192 <= mem <= 1 << 31)
    ):
        raise KeystoreError("key derivation limits out of range")
    box = _passphrase_box(passphrase, _unb64(kdf.get("salt"), "salt"), ops, mem)
    try:
        return bytes(box.decrypt(_unb64(envelope.get("box"), "box")))
    except nacl.exceptions.CryptoError as exc:
        raise KeystoreError("wrong passphrase, or the file is damaged") from exc


def write_private(path: Path, data: dict[str, Any], *, force: bool = False) -> None:
    """Write JSON with mode 0600; refuse to overwrite unless ``force``."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if force else os.O_EXCL)
    try:
        fd = os.open(path, flags, 0o600)
    except FileExistsError as exc:
        raise KeystoreError(f"{path} exists; refusing to overwrite it") from exc
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(data, out, indent=1, sort_keys=True)
        out.write("\n")


def _read(path: Path, fmt: str) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise KeystoreError(f"cannot read {path}: {exc}") from exc
    if not isinstance(data, dict) or data.get("format") != fmt:
        raise KeystoreError(f"{path} is not a {fmt} file")
    return data


def save_trustee_keys(
    path: Path, keys: TrusteeKeys, passphrase: str, *, force: bool = False
) -> None:
    envelope = _lock(keys.identity_seed + keys.encryption_secret, passphrase)
    write_private(
        path,
        {
            "format": KEY_FORMAT,
            "identity_key": keys.identity_public.hex(),
            "encryption_key": keys.encryption_public.hex(),
            **envelope,
        },
        force=force,
    )


def load_trustee_keys(path: Path, passphrase: str) -> TrusteeKeys:
    data = _read(path, KEY_FORMAT)
    secret = _unlock(data, passphrase)
    if len(secret) != 64:
        raise KeystoreError("key file holds a secret of the wrong size")
    keys = TrusteeKeys(secret[:32], secret[32:])
    if keys.identity_public.hex() != data.get("identity_key"):
        raise KeystoreError("key file's public identity key does not match its secret")
    return keys


@dataclass(frozen=True)
class SealedShare:
    """A key share as opened from its file, with the H_E of its key ceremony."""

    share: KeyShare = field(repr=False)
    election_hash: bytes


def save_share(
    path: Path,
    share: KeyShare,
    election_id: str,
    election_hash: bytes,
    *,
    recipient: bytes | None = None,
    passphrase: str | None = None,
) -> None:
    """Seal ``share`` and the H_E of its ceremony to the trustee's X25519
    ``recipient`` key, or lock them with a passphrase (exactly one of the two)."""
    if (recipient is None) == (passphrase is None):
        raise ValueError("give a recipient key or a passphrase, not both")
    secret = json.dumps(
        {"election_hash": election_hash.hex(), "share": codec.to_wire(share)}, sort_keys=True
    ).encode("utf-8")
    head = {
        "format": SHARE_FORMAT,
        "election_id": election_id,
        "election_hash": election_hash.hex(),
        "index": share.index,
    }
    if recipient is not None:
        sealed = nacl.public.SealedBox(nacl.public.PublicKey(recipient)).encrypt(secret)
        write_private(path, {**head, "sealed_to": recipient.hex(), "sealed": _b64(bytes(sealed))})
    else:
        write_private(path, {**head, "sealed_to": None, **_lock(secret, passphrase or "")})


def load_share(
    path: Path, *, keys: TrusteeKeys | None = None, passphrase: str | None = None
) -> SealedShare:
    """Open a share file with the trustee's keys (sealed) or its passphrase."""
    data = _read(path, SHARE_FORMAT)
    if data.get("sealed_to") is not None:
        if keys is None:
            raise KeystoreError("this share is sealed to a trustee key: give the key file")
        if data["sealed_to"] != keys.encryption_public.hex():
            raise KeystoreError("this share is sealed to another trustee's key")
        try:
            secret = nacl.public.SealedBox(nacl.public.PrivateKey(keys.encryption_secret)).decrypt(
                _unb64(data.get("sealed"), "sealed share")
            )
        except nacl.exceptions.CryptoError as exc:
            raise KeystoreError("the share file is damaged") from exc
    else:
        if passphrase is None:
            raise KeystoreError("this share is locked with a passphrase")
        secret = _unlock(data, passphrase)
    try:
        content = json.loads(secret)
        share = codec.from_wire(KeyShare, content["share"])
        election_hash = bytes.fromhex(content["election_hash"])
    except (ValueError, KeyError, TypeError, DecodeError) as exc:
        raise KeystoreError("the share file's content is damaged") from exc
    if share.index != data.get("index") or len(election_hash) != 32:
        raise KeystoreError("share file's index does not match its content")
    if data.get("election_hash") != election_hash.hex():
        raise KeystoreError("share file's base hash does not match its content")
    return SealedShare(share, election_hash)


# --- the public cards ---------------------------------------------------------


def fingerprint(identity_key: bytes) -> str:
    """A check value of an identity key, read aloud to compare: the first 16 bytes
    of SHA-256(key) in hex groups of four. (The counting minutes print the first
    four groups of the same value.)"""
    text = hashlib.sha256(identity_key).hexdigest()[:32]
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def card_path(key_path: Path) -> Path:
    """Where the public card of the key file ``key_path`` goes: ``X.json`` → ``X.pub.json``."""
    name = key_path.name
    stem = name[: -len(".json")] if name.endswith(".json") else name
    return key_path.with_name(stem + ".pub.json")


def _save_public(path: Path, data: dict[str, Any], *, force: bool) -> None:
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if force else os.O_EXCL)
    try:
        fd = os.open(path, flags, 0o644)
    except FileExistsError as exc:
        raise KeystoreError(f"{path} exists; refusing to overwrite it") from exc
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(data, out, indent=1, ensure_ascii=False, sort_keys=True)
        out.write("\n")


def save_card(path: Path, card: TrusteeCard, *, force: bool = False) -> None:
    """Write the signed public card (mode 0644: nothing secret); refuse to
    overwrite unless ``force``."""
    _save_public(path, {"format": CARD_FORMAT, "card": codec.to_wire(card)}, force=force)


def load_card(path: Path) -> TrusteeCard:
    """Read a public card (its signature is checked by the caller, with
    :func:`~kiemphieu.crypto.election.committee.verify_card`); raises
    KeystoreError naming what is wrong."""
    data = _read(path, CARD_FORMAT)
    try:
        return codec.from_wire(TrusteeCard, data.get("card"))
    except DecodeError as exc:
        raise KeystoreError(f"{path}: {exc}") from None


# --- the registrar ------------------------------------------------------------


def save_registrar_key(path: Path, seed: bytes, passphrase: str) -> None:
    """Write the registrar's Ed25519 seed, locked with ``passphrase`` (mode 0600)."""
    public = bytes(nacl.signing.SigningKey(seed).verify_key)
    write_private(
        path,
        {"format": REGISTRAR_KEY_FORMAT, "identity_key": public.hex(), **_lock(seed, passphrase)},
    )


def load_registrar_key(path: Path, passphrase: str) -> bytes:
    """The registrar's Ed25519 seed; KeystoreError for a wrong passphrase or damage."""
    data = _read(path, REGISTRAR_KEY_FORMAT)
    seed = _unlock(data, passphrase)
    if len(seed) != 32:
        raise KeystoreError("registrar key file holds a secret of the wrong size")
    if bytes(nacl.signing.SigningKey(seed).verify_key).hex() != data.get("identity_key"):
        raise KeystoreError("registrar key file's public key does not match its secret")
    return seed


def save_registrar_card(path: Path, card: Registrar) -> None:
    _save_public(path, {"format": REGISTRAR_CARD_FORMAT, "card": codec.to_wire(card)}, force=False)


def load_registrar_card(path: Path) -> Registrar:
    data = _read(path, REGISTRAR_CARD_FORMAT)
    try:
        return codec.from_wire(Registrar, data.get("card"))
    except DecodeError as exc:
        raise KeystoreError(f"{path}: {exc}") from None
