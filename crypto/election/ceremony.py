"""The public output of the key ceremony and its checks (docs/spec.md §4, §6, §11).

The dealer's :class:`~kiemphieu.crypto.primitives.threshold.Dealing` holds
the trustees' shares; what it publishes is a :class:`KeyCeremony`: the
threshold public key, the modulus proof and the test ciphertext. Anyone can
run :func:`verify_key_ceremony` on it, and :func:`check_test_decryption` on the
trustees' decryption shares of the test ciphertext.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Annotated

from ..errors import CombinationError, InvalidElement
from ..primitives.combination import (
    DecryptionShare,
    VerifiedDecryptionShare,
    batch_verify_decryption_shares,
    combine,
)
from ..primitives.paillier import KeyPolicy
from ..primitives.proofs.modulus import ModulusProof, verify_modulus
from ..primitives.threshold import (
    Dealing,
    ThresholdPublicKey,
    ceremony_plaintext,
    check_verification_keys,
)
from ..schema import BigInt, Text, document

_SEAL = object()


@document("key-ceremony", 1)
@dataclass(frozen=True, slots=True)
class KeyCeremony:
    """What the dealer publishes (§4.2, §4.4, §6): the key, the modulus proof,
    the test plaintext x_T and its ciphertext c_T."""

    election_id: Annotated[str, Text(1, 48)]
    key: ThresholdPublicKey
    modulus_proof: ModulusProof
    test_plaintext: Annotated[int, BigInt(4096)]
    test_ciphertext: Annotated[int, BigInt(8192)]


@dataclass(frozen=True, slots=True)
class VerifiedKeyCeremony:
    """A key ceremony that passed §11 steps 1–2; made only by verify_key_ceremony."""

    ceremony: KeyCeremony
    _seal: object = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self._seal is not _SEAL:
            raise TypeError("VerifiedKeyCeremony is made only by verify_key_ceremony")

    @property
    def key(self) -> ThresholdPublicKey:
        return self.ceremony.key


def publish(dealing: Dealing, election_id: str) -> KeyCeremony:
    """The public part of a dealing."""
    return KeyCeremony(
        election_id,
        dealing.public,
        dealing.modulus_proof,
        dealing.test_plaintext,
        dealing.test_ciphertext,
    )


def verify_key_ceremony(ceremony: KeyCeremony, policy: KeyPolicy) -> VerifiedKeyCeremony:
    """§11 steps 1–2: modulus size under ``policy``, the modulus proof, v derived
    from the election id, the verification keys' consistency, x_T derived and
    c_T a unit. Raises ParameterError or a VerificationError subclass."""
    key = ceremony.key
    policy.check_bits(key.n.bit_length())
    verify_modulus(key.n, ceremony.modulus_proof, ceremony.election_id)
    check_verification_keys(key, election_id=ceremony.election_id)
    if ceremony.test_plaintext != ceremony_plaintext(ceremony.election_id, key.n):
        raise InvalidElement("test plaintext is not the one derived from the election id and n")
    key.public_key.check_ciphertext(ceremony.test_ciphertext, "test ciphertext")
    return VerifiedKeyCeremony(ceremony, _SEAL)


def check_test_decryption(
    ceremony: VerifiedKeyCeremony, shares: Sequence[DecryptionShare], context: bytes
) -> tuple[VerifiedDecryptionShare, ...]:
    """§4.4: every share of c_T verifies, and every t-subset combines to x_T.

    ``context`` is the election base hash the shares' proofs are bound to.
    Raises BatchFailure naming bad shares, CombinationError naming a subset.
    """
    key = ceremony.key
    c = ceremony.ceremony.test_ciphertext
    indices = [s.index for s in shares]
    if len(set(indices)) != len(indices):
        raise CombinationError("test decryption: a trustee posted two shares")
    if len(indices) < key.t:
        raise CombinationError(f"test decryption needs {key.t} trustees, got {len(indices)}")
    verified = batch_verify_decryption_shares(key, [(c, s) for s in shares], context)
    by_index = {s.share.index: s for s in verified}
    for subset in itertools.combinations(sorted(by_index), key.t):
        if combine(key, c, [by_index[i] for i in subset]) != ceremony.ceremony.test_plaintext:
            raise CombinationError(f"trustees {list(subset)} do not decrypt the test ciphertext")
    return verified
