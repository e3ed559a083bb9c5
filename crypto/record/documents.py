"""The documents of an election record (docs/record.md §2).

Each file of the record archive holds one document in canonical JSON
(docs/spec.md §9.5). Documents that already exist in the protocol (manifest,
key ceremony, ballot, receipt, trustee, trustee shares, encrypted tally,
counts, result) keep their own kinds; the kinds defined here gather them into
files and index the archive.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated

from ..election.attestation import CloseAttestation
from ..election.ballot import Ballot
from ..election.board import MAX_POSITION, BoardEntry, Receipt
from ..election.roll import SignedRoll
from ..election.rules import MAX_VOTERS
from ..election.tally import MAX_BALLOTS, EncryptedTally
from ..election.trustee import MAX_CIPHERTEXTS, TrusteeShares
from ..primitives.threshold import MAX_TRUSTEES
from ..schema import BigInt, Bytes, Items, SmallInt, Text, document

SEGMENT_ENTRIES = 1000
"""At most this many board entries per segment file (docs/record.md §2.5)."""
MAX_FILES = 1 + 16 + (MAX_POSITION + 1) // SEGMENT_ENTRIES
MAX_FILE_BYTES = (1 << 40) - 1


class RecordState(StrEnum):
    """How far the election had gone when the record was exported (docs/record.md §3)."""

    CLOSED = "closed"
    TALLIED = "tallied"
    PUBLISHED = "published"


@dataclass(frozen=True, slots=True)
class RecordFile:
    """One file of the archive: its name, its size in bytes and its SHA-256."""

    name: Annotated[str, Text(1, 64)]
    size: Annotated[int, SmallInt(1, MAX_FILE_BYTES)]
    sha256: Annotated[bytes, Bytes(32)]


@document("election-record", 1)
@dataclass(frozen=True, slots=True)
class RecordIndex:
    """``record.json``: what the archive holds and the hash of every other file
    (docs/record.md §2.1). ``election`` is H_E; ``board_size`` and
    ``board_head`` are the board's when the record was exported; ``signature``
    is the server's Ed25519 signature by ``receipt_key`` over
    H(record/index, canonical bytes with a zero signature), which binds every
    byte of the record (each file through its SHA-256)."""

    spec_version: Annotated[int, SmallInt(1, 1000)]
    election_id: Annotated[str, Text(1, 48)]
    election: Annotated[bytes, Bytes(32)]
    state: RecordState
    exported_at: Annotated[str, Text(20, 40)]
    software: Annotated[str, Text(1, 80)]
    receipt_key: Annotated[bytes, Bytes(32)]
    board_size: Annotated[int, SmallInt(3, MAX_POSITION + 1)]
    board_head: Annotated[bytes, Bytes(32)]
    files: Annotated[tuple[RecordFile, ...], Items(1, MAX_FILES)]
    signature: Annotated[bytes, Bytes(64)]


@document("credential-list", 2)
@dataclass(frozen=True, slots=True)
class CredentialList:
    """``credentials.json``: the roll, every credential public key in ascending
    byte order, and the registrar's signature on it (docs/record.md §2.5)."""

    election: Annotated[bytes, Bytes(32)]
    keys: Annotated[tuple[bytes, ...], Items(0, MAX_VOTERS), Bytes(32)]
    signed_roll: SignedRoll


@document("attestation-list", 1)
@dataclass(frozen=True, slots=True)
class AttestationList:
    """``attestations.json``: the trustees' close attestations the server
    accepted, in index order (docs/record.md §2.11)."""

    election: Annotated[bytes, Bytes(32)]
    attestations: Annotated[tuple[CloseAttestation, ...], Items(0, MAX_TRUSTEES)]


@dataclass(frozen=True, slots=True)
class BoardItem:
    """One board entry with, for a ballot entry, the ballot and its receipt."""

    entry: BoardEntry
    ballot: Ballot | None
    receipt: Receipt | None


@document("board-segment", 1)
@dataclass(frozen=True, slots=True)
class BoardSegment:
    """``board/NNNNNN.json``: entries ``start`` .. ``start + len(items) − 1`` of the
    board (docs/record.md §2.6)."""

    election: Annotated[bytes, Bytes(32)]
    start: Annotated[int, SmallInt(0, MAX_POSITION)]
    items: Annotated[tuple[BoardItem, ...], Items(1, SEGMENT_ENTRIES)]


@document("share-list", 1)
@dataclass(frozen=True, slots=True)
class ShareList:
    """``shares.json``: every valid trustee-shares document the server accepted,
    test shares of the ceremony and tally shares (docs/record.md §2.7)."""

    election: Annotated[bytes, Bytes(32)]
    test: Annotated[tuple[TrusteeShares, ...], Items(0, MAX_TRUSTEES)]
    tally: Annotated[tuple[TrusteeShares, ...], Items(0, MAX_TRUSTEES)]


@document("tally-record", 1)
@dataclass(frozen=True, slots=True)
class TallyRecord:
    """``tally.json``: the counted board positions in ascending order, the
    encrypted tally over them and its packed ciphertexts in layout order
    (docs/record.md §2.8)."""

    election: Annotated[bytes, Bytes(32)]
    counted: Annotated[tuple[int, ...], Items(0, MAX_BALLOTS), SmallInt(0, MAX_POSITION)]
    tally: EncryptedTally
    packed: Annotated[tuple[int, ...], Items(1, MAX_CIPHERTEXTS), BigInt(8192)]


@document("minutes-data", 1)
@dataclass(frozen=True, slots=True)
class MinutesRecord:
    """``minutes.json``: what the counting minutes print beyond the other files
    (docs/record.md §2.10): the board they cite and the trustees whose tally
    shares were combined."""

    election: Annotated[bytes, Bytes(32)]
    board_size: Annotated[int, SmallInt(3, MAX_POSITION + 1)]
    board_head: Annotated[bytes, Bytes(32)]
    combined_by: Annotated[tuple[int, ...], Items(1, MAX_TRUSTEES), SmallInt(1, MAX_TRUSTEES)]
