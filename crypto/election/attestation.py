"""Close attestations: trustees sign the board they saw at the close
(docs/spec.md §8.13).

When the poll closes, the chair reads aloud the board's head, its size, the
number of ballots and the roll hash. Each trustee recomputes the chain on its
own machine and signs those four values with its identity key. A trustee
decrypts the tally of a board only if it recomputed exactly the head that at
least t attestations name (or that was read aloud in the room): a server that
shows the trustees another board than the voters' is caught there, and the
attestations go into the minutes and the election record.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated

import nacl.signing

from .. import codec
from ..errors import InvalidSignature, VerificationError
from ..primitives.threshold import MAX_TRUSTEES
from ..primitives.transcript import Tag, digest
from ..schema import Bytes, SmallInt, document
from .board import MAX_POSITION, BoardEntry, EntryKind
from .committee import Trustee
from .credential import verify_signature

ZERO_SIGNATURE = bytes(64)


class AttestationError(VerificationError):
    """A close attestation is not signed by its trustee, or names another board."""


@dataclass(frozen=True, slots=True)
class BoardClose:
    """What is read aloud at the close: the board's size and head after the
    closing entry, its number of ballots and the roll hash it opened with."""

    board_size: int
    ballots: int
    roll_hash: bytes
    head: bytes


@document("close-attestation", 1)
@dataclass(frozen=True, slots=True)
class CloseAttestation:
    """Trustee ``index``'s signature on the closed board of election H_E (§8.13)."""

    election: Annotated[bytes, Bytes(32)]
    index: Annotated[int, SmallInt(1, MAX_TRUSTEES)]
    board_size: Annotated[int, SmallInt(3, MAX_POSITION + 1)]
    ballots: Annotated[int, SmallInt(0, MAX_POSITION)]
    roll_hash: Annotated[bytes, Bytes(32)]
    head: Annotated[bytes, Bytes(32)]
    signature: Annotated[bytes, Bytes(64)]

    @property
    def close(self) -> BoardClose:
        return BoardClose(self.board_size, self.ballots, self.roll_hash, self.head)


def board_close(entries: Sequence[BoardEntry]) -> BoardClose:
    """The close values of a board whose chain the caller has verified: it must
    start with the roll and end with its one closing entry."""
    if len(entries) < 3 or entries[0].kind is not EntryKind.ROLL:
        raise AttestationError("the board does not start with the roll")
    if entries[-1].kind is not EntryKind.CLOSE:
        raise AttestationError("the board is not closed")
    ballots = sum(1 for e in entries if e.kind is EntryKind.BALLOT)
    return BoardClose(len(entries), ballots, entries[0].payload_hash, entries[-1].head)


def attestation_message(doc: CloseAttestation) -> bytes:
    """H(trustee/close, canonical bytes with a zero signature)."""
    return digest(
        Tag.CLOSE_ATTESTATION, codec.dumps(dataclasses.replace(doc, signature=ZERO_SIGNATURE))
    )


def attest(
    identity_seed: bytes, election_hash: bytes, index: int, close: BoardClose
) -> CloseAttestation:
    """Trustee ``index``'s signed attestation of ``close``."""
    unsigned = CloseAttestation(
        election_hash,
        index,
        close.board_size,
        close.ballots,
        close.roll_hash,
        close.head,
        ZERO_SIGNATURE,
    )
    signer = nacl.signing.SigningKey(identity_seed)
    signature = bytes(signer.sign(attestation_message(unsigned)).signature)
    return dataclasses.replace(unsigned, signature=signature)


def verify_attestation(
    doc: CloseAttestation, trustee: Trustee, election_hash: bytes
) -> CloseAttestation:
    """The attestation is for this election, by this trustee, and signed by its
    identity key; raises AttestationError."""
    if doc.election != election_hash:
        raise AttestationError(f"trustee {doc.index}: an attestation for another election")
    if doc.index != trustee.index:
        raise AttestationError(f"an attestation of trustee {doc.index} given as {trustee.index}'s")
    try:
        verify_signature(trustee.identity_key, attestation_message(doc), doc.signature)
    except InvalidSignature:
        raise AttestationError(
            f"trustee {doc.index}: the attestation is not signed by its identity key"
        ) from None
    return doc


def agreeing(
    docs: Sequence[CloseAttestation],
    trustees: Sequence[Trustee],
    election_hash: bytes,
    close: BoardClose,
) -> tuple[tuple[int, ...], tuple[str, ...]]:
    """The indices of the trustees whose valid attestation names exactly
    ``close``, and one problem line for every other document (a bad
    signature, a second attestation, or another board: equivocation or a
    faulty member)."""
    members = {t.index: t for t in trustees}
    good: list[int] = []
    problems: list[str] = []
    for doc in docs:
        member = members.get(doc.index)
        if member is None:
            problems.append(f"an attestation of trustee {doc.index}, who is not on the committee")
            continue
        try:
            verify_attestation(doc, member, election_hash)
        except AttestationError as exc:
            problems.append(str(exc))
            continue
        if doc.index in good:
            problems.append(f"trustee {doc.index} attested twice")
        elif doc.close != close:
            problems.append(
                f"trustee {doc.index} attested another board "
                f"({doc.board_size} entries, head {doc.head.hex()[:16]}…)"
            )
        else:
            good.append(doc.index)
    return tuple(sorted(good)), tuple(problems)
