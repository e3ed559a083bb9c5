"""Signed rounds and sealed letters of a key generation (docs/spec.md §12.7).

* The session hash binds a run to its election, committee and parameters:
  H(keygen/session, election id, run, bits, t, ℓ, batch, [identity keys]).
* Every round message is signed by its sender's Ed25519 identity key over
  H(keygen/message, session, label, sender, broadcast, [H(sealed_j)]): the
  transcript shows who sent what, broadcast and sealed letters alike.
* A private payload travels as a letter: its sender's signature over
  H(keygen/private, session, label, sender, recipient, payload), then the
  payload, sealed to the recipient's X25519 key (crypto_box with the
  sender's X25519 key). The recipient can show the opened letter to anyone
  as evidence of what the sender sent it.
* A commitment (biprimality) is H(keygen/commitment, session, label, sender, opening).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import nacl.exceptions
import nacl.public
import nacl.signing

from ..errors import InvalidSignature
from ..primitives.transcript import Item, Tag, digest

SIGNATURE_BYTES = 64


@dataclass(frozen=True, slots=True)
class Route:
    """Where a round message or letter belongs: session, round label, sender and
    (for a letter) recipient; 0 for a broadcast."""

    session: bytes
    label: str
    sender: int
    recipient: int = 0


def session_hash(
    election_id: str,
    run: int,
    *,
    bits: int,
    t: int,
    l: int,  # noqa: E741 - the spec's symbol ℓ
    batch: int,
    identity_keys: Sequence[bytes],
) -> bytes:
    """The 32-byte session every signature and hash of a run is bound to."""
    return digest(Tag.KEYGEN_SESSION, election_id, run, bits, t, l, batch, list(identity_keys))


def commitment(session: bytes, label: str, sender: int, opening: bytes) -> bytes:
    """H(keygen/commitment, session, label, sender, opening)."""
    return digest(Tag.KEYGEN_COMMITMENT, session, label, sender, opening)


def letter_hashes(sealed: Mapping[int, bytes]) -> dict[int, bytes]:
    """SHA-256 of each sealed letter, by recipient: what a round signature covers."""
    return {j: hashlib.sha256(letter).digest() for j, letter in sealed.items()}


def message_digest(route: Route, broadcast: bytes, hashes: Mapping[int, bytes]) -> bytes:
    """What a round message's signature covers (§12.7): the broadcast and, by
    recipient, the SHA-256 of each sealed letter."""
    letters: list[Item] = [[j, hashes[j]] for j in sorted(hashes)]
    return digest(Tag.KEYGEN_MESSAGE, route.session, route.label, route.sender, broadcast, letters)


def sign_message(seed: bytes, route: Route, broadcast: bytes, hashes: Mapping[int, bytes]) -> bytes:
    """The sender's signature on its round message."""
    return nacl.signing.SigningKey(seed).sign(message_digest(route, broadcast, hashes)).signature


def verify_message(
    identity_key: bytes,
    signature: bytes,
    route: Route,
    broadcast: bytes,
    hashes: Mapping[int, bytes],
) -> None:
    """Raise InvalidSignature unless ``identity_key`` signed this round message."""
    msg = message_digest(route, broadcast, hashes)
    _verify(identity_key, signature, msg, f"round {route.label} message of trustee {route.sender}")


def _letter_digest(route: Route, payload: bytes) -> bytes:
    return digest(
        Tag.KEYGEN_PRIVATE, route.session, route.label, route.sender, route.recipient, payload
    )


def sign_letter(seed: bytes, route: Route, payload: bytes) -> bytes:
    """signature ‖ payload."""
    return nacl.signing.SigningKey(seed).sign(_letter_digest(route, payload)).signature + payload


def open_letter(identity_key: bytes, letter: bytes, route: Route) -> bytes:
    """The payload of a signed letter; InvalidSignature if ``route.sender`` did not sign it."""
    what = f"round {route.label} letter of trustee {route.sender}"
    if len(letter) < SIGNATURE_BYTES:
        raise InvalidSignature(f"{what}: too short")
    signature, payload = letter[:SIGNATURE_BYTES], letter[SIGNATURE_BYTES:]
    _verify(identity_key, signature, _letter_digest(route, payload), what)
    return payload


def seal(sender_secret: bytes, recipient_public: bytes, letter: bytes) -> bytes:
    """crypto_box(letter) from the sender's X25519 key to the recipient's."""
    box = nacl.public.Box(
        nacl.public.PrivateKey(sender_secret), nacl.public.PublicKey(recipient_public)
    )
    return bytes(box.encrypt(letter))


def unseal(recipient_secret: bytes, sender_public: bytes, sealed: bytes, what: str) -> bytes:
    """Open a sealed letter; InvalidSignature if it was not sealed by that sender to us."""
    box = nacl.public.Box(
        nacl.public.PrivateKey(recipient_secret), nacl.public.PublicKey(sender_public)
    )
    try:
        return bytes(box.decrypt(sealed))
    except nacl.exceptions.CryptoError as exc:
        raise InvalidSignature(f"{what}: the sealed letter does not open") from exc


def _verify(key: bytes, signature: bytes, msg: bytes, what: str) -> None:
    try:
        nacl.signing.VerifyKey(key).verify(msg, signature)
    except (nacl.exceptions.BadSignatureError, ValueError, TypeError) as exc:
        raise InvalidSignature(f"{what}: bad signature") from exc
