"""The server's own secrets: the admin token (stored hashed) and the receipt key.

The admin token is made on first start and shown once; only its SHA-256 is
stored. The receipt signing key (Ed25519) is the server's own; it signs
receipts and nothing else. Neither is a trustee key share.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field

import nacl.signing
from sqlalchemy import Connection, select
from sqlalchemy.exc import IntegrityError

from .storage import schema
from .storage.database import Database

ADMIN_TOKEN_HASH = "admin_token_sha256"  # noqa: S105 - a settings key, not a secret
RECEIPT_SEED = "receipt_key_seed"


def _get(conn: Connection, name: str) -> str | None:
    return conn.execute(
        select(schema.settings.c.value).where(schema.settings.c.name == name)
    ).scalar_one_or_none()


def _put_once(db: Database, name: str, value: str) -> bool:
    """Insert ``name`` unless present; True if this call inserted it."""
    try:
        with db.write() as conn:
            if _get(conn, name) is not None:
                return False
            conn.execute(schema.settings.insert().values(name=name, value=value))
        return True
    except IntegrityError:  # another worker won the race
        return False


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def ensure_admin_token(db: Database) -> str | None:
    """Make the admin token on first start; returns it then, None afterwards."""
    token = secrets.token_urlsafe(32)
    return token if _put_once(db, ADMIN_TOKEN_HASH, hash_token(token)) else None


@dataclass(frozen=True)
class ServerIdentity:
    """The admin token's hash and the receipt key, loaded once per process."""

    admin_token_hash: str = field(repr=False)
    receipt_seed: bytes = field(repr=False)

    @property
    def receipt_public_key(self) -> bytes:
        return bytes(nacl.signing.SigningKey(self.receipt_seed).verify_key)

    def admin_token_ok(self, presented: str) -> bool:
        return hmac.compare_digest(hash_token(presented), self.admin_token_hash)


def load_identity(db: Database) -> ServerIdentity:
    """Read (making what is missing) the admin token hash and the receipt key."""
    _put_once(db, RECEIPT_SEED, secrets.token_bytes(32).hex())
    with db.read() as conn:
        token_hash = _get(conn, ADMIN_TOKEN_HASH)
        seed = _get(conn, RECEIPT_SEED)
    if token_hash is None or seed is None:
        raise RuntimeError("server identity missing: run ensure_admin_token first")
    return ServerIdentity(token_hash, bytes.fromhex(seed))
