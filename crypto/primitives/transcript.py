"""Domain-separated, length-prefixed hashing (docs/spec.md §2).

Every hash in kiemphieu is SHA-256 over ``encode_items(tag, *items)``:

* the first item is the ASCII string ``"kiemphieu/v1/" + tag``;
* each item is one type byte, a 4-byte big-endian length, then the body:
  ``0x01`` non-negative integer (minimal big-endian bytes, zero as one 0x00),
  ``0x02`` raw bytes, ``0x03`` UTF-8 text, ``0x04`` list (the body is the
  concatenated encodings of its items; the length counts bytes).

Nothing else is ever hashed, so no two different statements share bytes.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterable, Sequence
from enum import StrEnum

from .numbers import is_unit

Item = int | bytes | str | Sequence["Item"]

DOMAIN_PREFIX = "kiemphieu/v1/"
CHALLENGE_BITS = 128


class Tag(StrEnum):
    """Every domain-separation tag of the protocol (docs/spec.md §2.2)."""

    MANIFEST = "manifest"
    BASE = "base"
    GENERATOR_V = "threshold/v"
    MODULUS_PROOF_Y = "modulus-proof/y"
    MODULUS_PROOF_W = "modulus-proof/w"
    DECRYPTION_PROOF = "decryption-proof"
    MEMBERSHIP_PROOF = "membership-proof"
    CREDENTIAL_KEY = "credential/key"
    BALLOT = "ballot"
    BALLOT_SIGNATURE = "ballot/signature"
    TEST_CIPHERTEXT = "ceremony/test-ciphertext"
    BOARD_GENESIS = "board/genesis"
    BOARD_ENTRY = "board/entry"
    BOARD_ROLL = "board/roll"
    RECEIPT = "receipt"
    TRUSTEE_SHARES = "trustee/shares"
    RECORD_INDEX = "record/index"
    KEY_CEREMONY = "key-ceremony"
    RING_PEDERSEN_PROOF = "ring-pedersen-proof"
    FACTOR_PROOF = "factor-proof"
    TRUSTEE_CARD = "trustee/card"
    REGISTRAR_CARD = "registrar/card"
    REGISTRAR_ROLL = "registrar/roll"
    CLOSE_ATTESTATION = "trustee/close"
    KEYGEN_SESSION = "keygen/session"
    KEYGEN_MESSAGE = "keygen/message"
    KEYGEN_PRIVATE = "keygen/private"
    KEYGEN_BIPRIMALITY = "keygen/biprimality"
    KEYGEN_COMMITMENT = "keygen/commitment"
    KEYGEN_TEST_RANDOMNESS = "keygen/test-randomness"


def _item(x: Item) -> bytes:
    if isinstance(x, bool):
        raise TypeError("booleans are not hashable items")
    if isinstance(x, int):
        if x < 0:
            raise ValueError("negative integers are not hashed")
        body = x.to_bytes(max(1, (x.bit_length() + 7) // 8), "big")
        kind = 1
    elif isinstance(x, bytes):
        body, kind = x, 2
    elif isinstance(x, str):
        body, kind = x.encode("utf-8"), 3
    else:
        body, kind = b"".join(_item(y) for y in x), 4
    return struct.pack(">BI", kind, len(body)) + body


def encode_items(tag: Tag, items: Iterable[Item]) -> bytes:
    """The exact bytes hashed for ``tag`` and ``items`` (docs/spec.md §2.1)."""
    head = _item(DOMAIN_PREFIX + tag.value)
    return head + b"".join(_item(x) for x in items)


def digest(tag: Tag, *items: Item) -> bytes:
    """SHA-256 of the tagged, length-prefixed items: 32 bytes."""
    return hashlib.sha256(encode_items(tag, items)).digest()


def challenge(tag: Tag, *items: Item) -> int:
    """A 128-bit Fiat–Shamir challenge: the first 16 bytes of the digest."""
    return int.from_bytes(digest(tag, *items)[: CHALLENGE_BITS // 8], "big")


def expand(tag: Tag, bits: int, *items: Item) -> int:
    """An integer of ``bits`` bits from SHA-256 blocks digest(tag, items, counter)."""
    out = b""
    counter = 0
    while len(out) * 8 < bits:
        out += digest(tag, *items, counter)
        counter += 1
    value = int.from_bytes(out, "big")
    return value >> (len(out) * 8 - bits)


def hash_to_unit(tag: Tag, modulus: int, *items: Item) -> int:
    """Hash to Z*_modulus: expand to |modulus| + 128 bits, reduce, retry on a non-unit.

    The extra 128 bits make the reduction statistically close to uniform; the
    attempt number is the last hashed item.
    """
    bits = modulus.bit_length() + 128
    attempt = 0
    while True:
        x = expand(tag, bits, *items, attempt) % modulus
        if is_unit(x, modulus):
            return x
        attempt += 1
