"""The public output of the key ceremony and its checks (docs/spec.md §4, §6, §11).

The dealer's :class:`~kiemphieu.crypto.primitives.threshold.Dealing` holds
the trustees' shares; what it publishes is a :class:`KeyCeremony`: the
committee it dealt to (signed cards, the registrar), the threshold public key,
the modulus proof, one no-small-factor proof per trustee and the test
ciphertext. H_E binds all of it (§8.2). Anyone can run
:func:`verify_key_ceremony` on it, and :func:`check_test_decryption` on the
trustees' decryption shares of the test ciphertext.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Annotated

from .. import codec
from ..errors import CombinationError, InvalidElement, InvalidProof
from ..primitives.combination import (
    DecryptionShare,
    VerifiedDecryptionShare,
    batch_verify_decryption_shares,
    combine,
)
from ..primitives.paillier import KeyPolicy
from ..primitives.proofs.factor import FactorProof, verify_factors
from ..primitives.proofs.modulus import ModulusProof, verify_modulus
from ..primitives.threshold import (
    MAX_TRUSTEES,
    Dealing,
    ThresholdPublicKey,
    ceremony_plaintext,
    check_verification_keys,
    factor_context,
)
from ..primitives.transcript import Tag, digest
from ..schema import BigInt, Items, Text, document
from .committee import Committee, check_committee_shape, verify_committee

_SEAL = object()

MAX_CEREMONY_BYTES = 64 << 20
"""Largest key ceremony a reader decodes: ℓ = 255 cards with 4096-bit ring-Pedersen
parameters (each Π^prm about 130 kB of hex) and a 4096-bit modulus proof."""


@document("key-ceremony", 2)
@dataclass(frozen=True, slots=True)
class KeyCeremony:
    """What the dealer publishes (§4.2, §4.4, §6): the committee, the key, the
    modulus proof, the factor proofs (the i-th to trustee i's parameters), the
    test plaintext x_T and its ciphertext c_T."""

    election_id: Annotated[str, Text(1, 48)]
    committee: Committee
    key: ThresholdPublicKey
    modulus_proof: ModulusProof
    factor_proofs: Annotated[tuple[FactorProof, ...], Items(1, MAX_TRUSTEES)]
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


def publish(dealing: Dealing, election_id: str, committee: Committee) -> KeyCeremony:
    """The public part of a dealing to ``committee`` (whose trustees' ring-Pedersen
    parameters, in index order, the dealing's factor proofs were made to)."""
    return KeyCeremony(
        election_id,
        committee,
        dealing.public,
        dealing.modulus_proof,
        dealing.factor_proofs,
        dealing.test_plaintext,
        dealing.test_ciphertext,
    )


def ceremony_hash(ceremony: KeyCeremony) -> bytes:
    """H(key-ceremony, canonical bytes of the key ceremony), bound into H_E (§8.2)."""
    return digest(Tag.KEY_CEREMONY, codec.dumps(ceremony))


def check_factor_proofs(ceremony: KeyCeremony) -> None:
    """§6.5: one no-small-factor proof per trustee, the i-th verifying against
    trustee i's ring-Pedersen parameters. Raises InvalidProof naming the trustee."""
    members = ceremony.committee.trustees
    if len(ceremony.factor_proofs) != len(members):
        raise InvalidProof(
            f"{len(ceremony.factor_proofs)} factor proofs for {len(members)} trustees"
        )
    for member, proof in zip(members, ceremony.factor_proofs, strict=True):
        try:
            verify_factors(
                ceremony.key.n,
                proof,
                member.pedersen,
                factor_context(ceremony.election_id, member.index),
            )
        except InvalidProof as exc:
            raise InvalidProof(f"to trustee {member.index}: {exc}") from None


def check_test_values(ceremony: KeyCeremony) -> None:
    """§4.4: x_T derived from the election id and n, c_T a unit."""
    key = ceremony.key
    if ceremony.test_plaintext != ceremony_plaintext(ceremony.election_id, key.n):
        raise InvalidElement("test plaintext is not the one derived from the election id and n")
    key.public_key.check_ciphertext(ceremony.test_ciphertext, "test ciphertext")


def verify_key_ceremony(ceremony: KeyCeremony, policy: KeyPolicy) -> VerifiedKeyCeremony:
    """§11 steps 1–2: modulus size under ``policy``, the modulus proof, the
    committee (ℓ signed cards in index order with their Π^prm, the registrar's
    card), the factor proof to every trustee, v derived from the election id,
    the verification keys' consistency, x_T derived and c_T a unit. Raises
    ParameterError or a VerificationError subclass."""
    key = ceremony.key
    policy.check_bits(key.n.bit_length())
    check_committee_shape(ceremony.committee.trustees, key.l)
    verify_modulus(key.n, ceremony.modulus_proof, ceremony.election_id)
    verify_committee(ceremony.committee, key.l, policy)
    check_factor_proofs(ceremony)
    check_verification_keys(key, election_id=ceremony.election_id)
    check_test_values(ceremony)
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
