"""Trustees (the ban kiểm phiếu): their signed decryption shares (docs/spec.md §8.10).

Each trustee holds an Ed25519 identity key (signs what it posts) and an X25519
key (receives its key share from the ceremony, sealed); their cards are in
:mod:`.committee`. A trustee posts its
decryption shares of a list of ciphertexts, the test ciphertext or the packed
tally, as one signed document; anyone checks the signature and every proof.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated

import nacl.signing

from .. import codec
from ..errors import InvalidShare
from ..primitives.combination import (
    DecryptionShare,
    VerifiedDecryptionShare,
    batch_verify_decryption_shares,
    decryption_share,
)
from ..primitives.threshold import MAX_TRUSTEES, KeyShare, ThresholdPublicKey
from ..primitives.transcript import Tag, digest
from ..schema import BigInt, Bytes, Items, SmallInt, document
from .committee import Trustee
from .credential import verify_signature

ZERO_SIGNATURE = bytes(64)
MAX_CIPHERTEXTS = 64


class SharePurpose(StrEnum):
    """What the shares decrypt: the ceremony's test ciphertext or the packed tally."""

    TEST = "test"
    TALLY = "tally"


@document("trustee-shares", 1)
@dataclass(frozen=True, slots=True)
class TrusteeShares:
    """Trustee ``index``'s decryption shares of ``ciphertexts``, signed (§8.10)."""

    election: Annotated[bytes, Bytes(32)]
    index: Annotated[int, SmallInt(1, MAX_TRUSTEES)]
    purpose: SharePurpose
    ciphertexts: Annotated[tuple[int, ...], Items(1, MAX_CIPHERTEXTS), BigInt(8192)]
    shares: Annotated[tuple[DecryptionShare, ...], Items(1, MAX_CIPHERTEXTS)]
    signature: Annotated[bytes, Bytes(64)]


def shares_message(doc: TrusteeShares) -> bytes:
    """H(trustee/shares, canonical bytes with a zero signature)."""
    return digest(
        Tag.TRUSTEE_SHARES, codec.dumps(dataclasses.replace(doc, signature=ZERO_SIGNATURE))
    )


def make_shares(
    share: KeyShare,
    identity_seed: bytes,
    election_hash: bytes,
    purpose: SharePurpose,
    ciphertexts: Sequence[int],
) -> TrusteeShares:
    """Decrypt-share each ciphertext with a proof, and sign the lot with the identity key."""
    shares = tuple(decryption_share(share, c, election_hash) for c in ciphertexts)
    unsigned = TrusteeShares(
        election_hash, share.index, purpose, tuple(ciphertexts), shares, ZERO_SIGNATURE
    )
    signature = nacl.signing.SigningKey(identity_seed).sign(shares_message(unsigned)).signature
    return dataclasses.replace(unsigned, signature=bytes(signature))


def verify_shares(
    key: ThresholdPublicKey,
    trustee: Trustee,
    doc: TrusteeShares,
    election_hash: bytes,
    expected: Sequence[int],
) -> tuple[VerifiedDecryptionShare, ...]:
    """§8.10: the document is for this election, this trustee and exactly the
    ``expected`` ciphertexts, its signature verifies under the trustee's identity
    key, and every share proof verifies (batched). Raises a VerificationError."""
    if doc.election != election_hash:
        raise InvalidShare("shares are for another election")
    if doc.index != trustee.index:
        raise InvalidShare(f"shares of trustee {doc.index} presented as trustee {trustee.index}")
    if tuple(doc.ciphertexts) != tuple(expected):
        raise InvalidShare("shares decrypt other ciphertexts than the ones required")
    if len(doc.shares) != len(doc.ciphertexts) or any(s.index != doc.index for s in doc.shares):
        raise InvalidShare("one share per ciphertext, each of this trustee")
    verify_signature(trustee.identity_key, shares_message(doc), doc.signature)
    return batch_verify_decryption_shares(
        key, list(zip(doc.ciphertexts, doc.shares, strict=True)), election_hash
    )
