"""Election context and base hash (docs/spec.md §8.2).

The base hash H_E binds the spec version, the manifest and the whole key
ceremony (committee, threshold public key n, v, v_1..v_ℓ, t, modulus and
factor proofs, x_T, c_T) and is bound into every proof of the election, so a
proof cannot be replayed in another election or under other parameters, and
nobody can swap the committee or the test ciphertext after the fact.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import SPEC_VERSION, codec
from ..errors import ParameterError
from ..primitives.paillier import KeyPolicy, PublicKey
from ..primitives.threshold import ThresholdPublicKey
from ..primitives.transcript import Tag, digest
from .ceremony import KeyCeremony, ceremony_hash
from .manifest import Manifest


def manifest_hash(manifest: Manifest) -> bytes:
    """H(manifest, canonical JSON bytes of the manifest)."""
    return digest(Tag.MANIFEST, codec.dumps(manifest))


def base_hash(manifest: Manifest, ceremony: KeyCeremony) -> bytes:
    """H_E = H(base, version, election id, manifest hash, key-ceremony hash)."""
    return digest(
        Tag.BASE,
        SPEC_VERSION,
        manifest.election_id,
        manifest_hash(manifest),
        ceremony_hash(ceremony),
    )


@dataclass(frozen=True, slots=True)
class ElectionContext:
    """Everything public that ballots and shares are checked against.

    Building one checks the modulus against ``policy`` and that every question's
    counters fit in one plaintext (slots·b ≤ |n| − 1).
    """

    manifest: Manifest
    ceremony: KeyCeremony = field(repr=False)
    policy: KeyPolicy = KeyPolicy.STANDARD
    hash: bytes = field(init=False, repr=False)
    public_key: PublicKey = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.ceremony.election_id != self.manifest.election_id:
            raise ParameterError("the key ceremony is for another election than the manifest")
        self.policy.check_bits(self.key.n.bit_length())
        b = self.manifest.counter_bits
        for q in self.manifest.questions:
            if q.slots * b > self.key.n.bit_length() - 1:
                raise ParameterError(
                    f"question {q.id}: {q.slots} counters of {b} bits exceed the plaintext space"
                )
        object.__setattr__(self, "hash", base_hash(self.manifest, self.ceremony))
        object.__setattr__(self, "public_key", self.key.public_key)

    @property
    def key(self) -> ThresholdPublicKey:
        """The threshold public key of the ceremony."""
        return self.ceremony.key

    @property
    def election_id(self) -> str:
        return self.manifest.election_id

    @property
    def registrar_key(self) -> bytes:
        """The registrar's identity key, which the credential KDF binds (§8.4)."""
        return self.ceremony.committee.registrar.identity_key

    @property
    def radix(self) -> int:
        """B = 2^b, the base of the packed encoding."""
        return 1 << self.manifest.counter_bits
