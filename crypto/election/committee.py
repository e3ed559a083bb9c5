"""The committee bound into an election: the trustees' signed cards and the
registrar's (docs/spec.md §8.10, §8.12).

A trustee makes its card once, at ``trustee init``: name, role, an Ed25519
identity key, an X25519 key the dealer seals its share to, and ring-Pedersen
parameters (N̂, s, t) with their proof Π^prm, to which the dealer's
no-small-factor proof is made. The card is signed by the identity key, so
nobody but the member can change a name or a role. The administrator places
each card at an index 1..ℓ; the key ceremony holds the whole committee, and
H_E binds the key ceremony (§8.2), so every proof, ballot and share of the
election names this committee.

The registrar (the personnel office) has an Ed25519 key of its own, which
signs the roll of credentials (:mod:`.roll`); the server never holds it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated

import nacl.signing

from ..errors import InvalidProof, InvalidSignature, ParameterError, VerificationError
from ..primitives.paillier import KeyPolicy
from ..primitives.proofs.pedersen import RingPedersen, verify_ring_pedersen
from ..primitives.threshold import MAX_TRUSTEES
from ..primitives.transcript import Tag, digest
from ..schema import Bytes, Items, SmallInt, Text, document
from .credential import verify_signature

ZERO_SIGNATURE = bytes(64)


class CommitteeError(VerificationError):
    """The committee does not hold together: indices, repeated keys, a card or
    the registrar's card that is not signed by its own key."""


@document("trustee-card", 1)
@dataclass(frozen=True, slots=True)
class TrusteeCard:
    """What a member gives the administrator (§8.10): name, role, identity key,
    sealing key and ring-Pedersen parameters, signed by the identity key."""

    name: Annotated[str, Text(1, 120)]
    role: Annotated[str, Text(0, 120)]
    identity_key: Annotated[bytes, Bytes(32)]
    encryption_key: Annotated[bytes, Bytes(32)]
    pedersen: RingPedersen
    signature: Annotated[bytes, Bytes(64)]


@document("trustee", 2)
@dataclass(frozen=True, slots=True)
class Trustee:
    """A committee member at index i (1..ℓ): the member's card with its place."""

    index: Annotated[int, SmallInt(1, MAX_TRUSTEES)]
    name: Annotated[str, Text(1, 120)]
    role: Annotated[str, Text(0, 120)]
    identity_key: Annotated[bytes, Bytes(32)]
    encryption_key: Annotated[bytes, Bytes(32)]
    pedersen: RingPedersen
    signature: Annotated[bytes, Bytes(64)]

    @property
    def card(self) -> TrusteeCard:
        """The member's own signed card."""
        return TrusteeCard(
            self.name,
            self.role,
            self.identity_key,
            self.encryption_key,
            self.pedersen,
            self.signature,
        )


@document("registrar", 1)
@dataclass(frozen=True, slots=True)
class Registrar:
    """The registrar's card (§8.12): a name and the key that signs the roll."""

    name: Annotated[str, Text(1, 120)]
    identity_key: Annotated[bytes, Bytes(32)]
    signature: Annotated[bytes, Bytes(64)]


@document("committee", 1)
@dataclass(frozen=True, slots=True)
class Committee:
    """The trustees in index order and the registrar, as the key ceremony binds them."""

    trustees: Annotated[tuple[Trustee, ...], Items(1, MAX_TRUSTEES)]
    registrar: Registrar


def card_message(card: TrusteeCard | Trustee) -> bytes:
    """H(trustee/card, name, role, identity key, sealing key, N̂, s, t): what the
    member signs. The index is not in it: the ceremony places the card."""
    p = card.pedersen
    return digest(
        Tag.TRUSTEE_CARD,
        card.name,
        card.role,
        card.identity_key,
        card.encryption_key,
        p.n_hat,
        p.s,
        p.t,
    )


def pedersen_binding(identity_key: bytes) -> list[bytes]:
    """What Π^prm of a trustee's parameters is bound to: its identity key."""
    return [identity_key]


def make_card(
    identity_seed: bytes, encryption_key: bytes, name: str, role: str, pedersen: RingPedersen
) -> TrusteeCard:
    """A card signed by the identity key made from ``identity_seed``."""
    signer = nacl.signing.SigningKey(identity_seed)
    unsigned = TrusteeCard(
        name, role, bytes(signer.verify_key), encryption_key, pedersen, ZERO_SIGNATURE
    )
    signature = bytes(signer.sign(card_message(unsigned)).signature)
    return dataclasses.replace(unsigned, signature=signature)


def place(index: int, card: TrusteeCard) -> Trustee:
    """The card as member ``index`` of a committee."""
    return Trustee(
        index,
        card.name,
        card.role,
        card.identity_key,
        card.encryption_key,
        card.pedersen,
        card.signature,
    )


def _who(card: TrusteeCard | Trustee) -> str:
    return f"trustee {card.index}" if isinstance(card, Trustee) else f"the card of {card.name}"


def verify_card_signature(card: TrusteeCard | Trustee) -> None:
    """The card (name, role, keys, N̂, s, t) is signed by its identity key; raises
    CommitteeError. What the minutes need to print names and roles."""
    try:
        verify_signature(card.identity_key, card_message(card), card.signature)
    except InvalidSignature:
        raise CommitteeError(f"{_who(card)}: the card is not signed by its identity key") from None


def verify_card(card: TrusteeCard | Trustee, policy: KeyPolicy) -> None:
    """The card's signature by its identity key, and its ring-Pedersen parameters
    with Π^prm under ``policy``. Raises CommitteeError, InvalidProof or ParameterError."""
    who = _who(card)
    verify_card_signature(card)
    try:
        verify_ring_pedersen(card.pedersen, pedersen_binding(card.identity_key), policy)
    except (InvalidProof, ParameterError) as exc:
        raise type(exc)(f"{who}: {exc}") from None


def registrar_message(registrar: Registrar) -> bytes:
    """H(registrar/card, name, identity key)."""
    return digest(Tag.REGISTRAR_CARD, registrar.name, registrar.identity_key)


def make_registrar(identity_seed: bytes, name: str) -> Registrar:
    """The registrar's card, signed by the key made from ``identity_seed``."""
    signer = nacl.signing.SigningKey(identity_seed)
    unsigned = Registrar(name, bytes(signer.verify_key), ZERO_SIGNATURE)
    signature = bytes(signer.sign(registrar_message(unsigned)).signature)
    return dataclasses.replace(unsigned, signature=signature)


def verify_registrar(registrar: Registrar) -> None:
    """The registrar's card is signed by its own key; raises CommitteeError."""
    try:
        verify_signature(registrar.identity_key, registrar_message(registrar), registrar.signature)
    except InvalidSignature:
        raise CommitteeError("the registrar's card is not signed by its key") from None


def check_committee_shape(trustees: Sequence[Trustee], size: int) -> None:
    """Indices 1..ℓ in order with ℓ = ``size``, and no identity or sealing key
    twice (two shares sealed to one key would give one holder both)."""
    if len(trustees) != size:
        raise CommitteeError(f"the committee has {len(trustees)} members, ℓ = {size}")
    for position, member in enumerate(trustees, start=1):
        if member.index != position:
            raise CommitteeError(f"member {position} of the committee has index {member.index}")
    for what, keys in (
        ("identity", [m.identity_key for m in trustees]),
        ("sealing", [m.encryption_key for m in trustees]),
    ):
        if len(set(keys)) != len(keys):
            raise CommitteeError(f"two trustees share one {what} key")


def verify_committee(committee: Committee, size: int, policy: KeyPolicy) -> None:
    """The committee's shape, every card (signature, Π^prm) and the registrar's card."""
    check_committee_shape(committee.trustees, size)
    for member in committee.trustees:
        verify_card(member, policy)
    verify_registrar(committee.registrar)
