"""The bulletin board's hash chain and the server's receipts (docs/spec.md §8.9).

The board of an election is a sequence of entries, each naming a kind and the
hash of its payload, chained from a genesis value bound to H_E:

    head_{-1} = H(board/genesis, H_E)
    head_i    = H(board/entry, H_E, i, kind, payload hash, head_{i−1})

Kinds: ``roll`` (the credential list at opening, payload hash H(board/roll,
[sorted public keys])), ``open``, ``ballot`` (payload hash = tracking code) and
``close``. Anyone holding the entries recomputes every head.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated

import nacl.signing

from .. import codec
from ..errors import InvalidSignature, VerificationError
from ..primitives.transcript import Tag, digest
from ..schema import Bytes, SmallInt, document
from .credential import verify_signature

MAX_POSITION = (1 << 48) - 1
ZERO_SIGNATURE = bytes(64)


class EntryKind(StrEnum):
    """What a board entry records (§8.9)."""

    ROLL = "roll"
    OPEN = "open"
    BALLOT = "ballot"
    CLOSE = "close"


@dataclass(frozen=True, slots=True)
class BoardEntry:
    """Entry ``position`` of the board, with the chain head after it."""

    position: Annotated[int, SmallInt(0, MAX_POSITION)]
    kind: EntryKind
    payload_hash: Annotated[bytes, Bytes(32)]
    head: Annotated[bytes, Bytes(32)]


@document("receipt", 1)
@dataclass(frozen=True, slots=True)
class Receipt:
    """The server's signed acknowledgement of a ballot (§8.9)."""

    election: Annotated[bytes, Bytes(32)]
    tracking_code: Annotated[bytes, Bytes(32)]
    position: Annotated[int, SmallInt(0, MAX_POSITION)]
    head: Annotated[bytes, Bytes(32)]
    server_key: Annotated[bytes, Bytes(32)]
    signature: Annotated[bytes, Bytes(64)]


class ChainError(VerificationError):
    """The board's entries do not form the chain their heads claim."""


def genesis(election_hash: bytes) -> bytes:
    """head_{−1} = H(board/genesis, H_E)."""
    return digest(Tag.BOARD_GENESIS, election_hash)


def next_head(
    election_hash: bytes, position: int, kind: EntryKind, payload_hash: bytes, previous: bytes
) -> bytes:
    """head_i = H(board/entry, H_E, i, kind, payload hash, head_{i−1})."""
    return digest(Tag.BOARD_ENTRY, election_hash, position, kind.value, payload_hash, previous)


def roll_hash(public_keys: Iterable[bytes]) -> bytes:
    """H(board/roll, [credential public keys in ascending byte order])."""
    return digest(Tag.BOARD_ROLL, sorted(public_keys))


def verify_chain(election_hash: bytes, entries: Sequence[BoardEntry]) -> bytes:
    """Recompute every head from the genesis; returns the final head or raises
    ChainError naming the first position that breaks."""
    head = genesis(election_hash)
    for expected, entry in enumerate(entries):
        if entry.position != expected:
            raise ChainError(f"entry {expected}: position {entry.position} out of order")
        head = next_head(election_hash, entry.position, entry.kind, entry.payload_hash, head)
        if head != entry.head:
            raise ChainError(f"entry {expected}: head does not follow from the chain")
    return head


def receipt_message(receipt: Receipt) -> bytes:
    """H(receipt, canonical bytes of the receipt with a zero signature)."""
    blank = dataclasses.replace(receipt, signature=ZERO_SIGNATURE)
    return digest(Tag.RECEIPT, codec.dumps(blank))


def verify_receipt(receipt: Receipt, server_key: bytes) -> Receipt:
    """Check that ``server_key`` signed ``receipt``; raises InvalidSignature."""
    if receipt.server_key != server_key:
        raise InvalidSignature("receipt is signed by another server key")
    verify_signature(server_key, receipt_message(receipt), receipt.signature)
    return receipt


def sign_receipt(
    server_seed: bytes, election: bytes, tracking_code: bytes, position: int, head: bytes
) -> Receipt:
    """The server's receipt, signed with its Ed25519 seed (the seed stays with the caller)."""
    key = nacl.signing.SigningKey(server_seed)
    unsigned = Receipt(
        election, tracking_code, position, head, bytes(key.verify_key), ZERO_SIGNATURE
    )
    signature = bytes(key.sign(receipt_message(unsigned)).signature)
    return dataclasses.replace(unsigned, signature=signature)
