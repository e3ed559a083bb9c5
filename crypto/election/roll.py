"""The roll of credentials, signed by the registrar (docs/spec.md §8.12).

The server stores the credential public keys, but it is not trusted to say
which keys are eligible: the registrar, whose key the key ceremony binds
(:class:`~.committee.Registrar`), signs the roll it issued: the election id,
the base hash H_E of the key ceremony it checked, the number of keys and their
roll hash H(board/roll, [keys ascending]), the same hash the board's ``roll``
entry carries when the poll opens. Every checker (the booth, ``kiemphieu
vote``, the trustees' recount, the verifier) refuses a roll that is not
exactly the signed one, so a server that adds a credential of its own is
caught before any tally is decrypted. Because the signature binds H_E and a
credential's key depends on the registrar's key (§8.4), a server cannot serve
a voter another key ceremony either: it would need the registrar's signature
on it, or the voter's code.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection
from dataclasses import dataclass
from typing import Annotated

import nacl.signing

from ..errors import InvalidSignature, VerificationError
from ..primitives.transcript import Tag, digest
from ..schema import Bytes, SmallInt, Text, document
from .board import roll_hash
from .committee import Registrar
from .credential import verify_signature
from .rules import MAX_VOTERS

ZERO_SIGNATURE = bytes(64)


class RollMismatch(VerificationError):
    """A roll differs from the one the registrar signed, or the signature fails."""


@document("signed-roll", 1)
@dataclass(frozen=True, slots=True)
class SignedRoll:
    """The registrar's signature on the roll (§8.12): election id, H_E, number
    of credentials and their roll hash."""

    election_id: Annotated[str, Text(1, 48)]
    election: Annotated[bytes, Bytes(32)]
    count: Annotated[int, SmallInt(0, MAX_VOTERS)]
    roll_hash: Annotated[bytes, Bytes(32)]
    signature: Annotated[bytes, Bytes(64)]


def roll_message(roll: SignedRoll) -> bytes:
    """H(registrar/roll, election id, H_E, count, roll hash): what the registrar signs."""
    return digest(Tag.REGISTRAR_ROLL, roll.election_id, roll.election, roll.count, roll.roll_hash)


def sign_roll(
    identity_seed: bytes, election_id: str, election_hash: bytes, keys: Collection[bytes]
) -> SignedRoll:
    """The registrar's signature on the roll made of ``keys`` (distinct) of the
    election whose key ceremony gives ``election_hash``."""
    if len(set(keys)) != len(keys):
        raise ValueError("a roll lists every credential once")
    unsigned = SignedRoll(election_id, election_hash, len(keys), roll_hash(keys), ZERO_SIGNATURE)
    signer = nacl.signing.SigningKey(identity_seed)
    signature = bytes(signer.sign(roll_message(unsigned)).signature)
    return dataclasses.replace(unsigned, signature=signature)


def verify_roll_signature(
    roll: SignedRoll, registrar: Registrar, election_id: str, election_hash: bytes
) -> SignedRoll:
    """The signature is the registrar's, for this election and this key
    ceremony (H_E); raises RollMismatch."""
    if roll.election_id != election_id:
        raise RollMismatch("the signed roll is for another election")
    if roll.election != election_hash:
        raise RollMismatch("the registrar signed the roll of another key ceremony than this one")
    try:
        verify_signature(registrar.identity_key, roll_message(roll), roll.signature)
    except InvalidSignature:
        raise RollMismatch("the roll is not signed by the registrar") from None
    return roll


def check_roll(
    roll: SignedRoll,
    registrar: Registrar,
    election_id: str,
    election_hash: bytes,
    keys: Collection[bytes],
) -> frozenset[bytes]:
    """``keys`` are exactly the roll the registrar signed for this election and
    key ceremony: signature, H_E, count and hash. Returns them as a set;
    raises RollMismatch."""
    verify_roll_signature(roll, registrar, election_id, election_hash)
    unique = frozenset(keys)
    if len(unique) != len(keys):
        raise RollMismatch("the roll lists a credential twice")
    if len(unique) != roll.count:
        raise RollMismatch(
            f"the roll holds {len(unique)} credentials; the registrar signed {roll.count}"
        )
    if roll_hash(unique) != roll.roll_hash:
        raise RollMismatch("the roll is not the one the registrar signed")
    return unique
