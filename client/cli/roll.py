"""The roll the registrar signs, from the client's side (docs/spec.md §8.12).

:func:`fetch_signed_roll` is what every checker runs (``vote``, the trustees'
``attest`` and ``decrypt``): the server's credential list must be exactly the
roll the registrar signed, under the registrar key that the key ceremony (and
so H_E) binds. A server that lists a credential of its own is refused here.

:func:`sign_roll` is the registrar's step (``credentials issue`` and
``credentials sign``): it signs the server's roll only if that roll is the one
the registrar signed before plus exactly the keys it has just issued, so the
registrar never signs a credential it did not make.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from kiemphieu.crypto import codec
from kiemphieu.crypto.election.board import roll_hash
from kiemphieu.crypto.election.committee import Registrar
from kiemphieu.crypto.election.roll import RollMismatch, SignedRoll, check_roll, sign_roll
from kiemphieu.crypto.errors import DecodeError

from .http import ApiClient, BadReply, api_path


class RollRefused(BadReply):
    """The server's roll is not the one the registrar signed (exit code 5)."""


def _decode(answer: Mapping[str, Any]) -> tuple[list[bytes], SignedRoll | None]:
    items = answer.get("credentials")
    if not isinstance(items, list) or not all(isinstance(k, str) for k in items):
        raise BadReply("the credential list is not a list of hex keys")
    try:
        keys = [bytes.fromhex(k) for k in items]
    except ValueError:
        raise BadReply("the credential list holds a key that is not hex") from None
    if any(len(k) != 32 for k in keys):
        raise BadReply("the credential list holds a key that is not 32 bytes")
    raw = answer.get("signed_roll")
    try:
        signed = None if raw is None else codec.from_wire(SignedRoll, raw)
    except DecodeError as exc:
        raise BadReply(f"the registrar's signature on the roll: {exc}") from None
    return keys, signed


def fetch_roll(client: ApiClient, election_id: str) -> tuple[list[bytes], SignedRoll | None]:
    """The credential keys the server lists and the registrar's latest signature."""
    return _decode(client.get(api_path("elections", election_id, "credentials")))


def fetch_signed_roll(
    client: ApiClient, election_id: str, registrar: Registrar, election_hash: bytes
) -> tuple[frozenset[bytes], SignedRoll]:
    """The roll, checked: exactly the keys the registrar signed for this key
    ceremony (H_E) (RollRefused otherwise)."""
    keys, signed = fetch_roll(client, election_id)
    if signed is None:
        raise RollRefused("the registrar has not signed the roll: nobody vouches for it")
    try:
        return check_roll(signed, registrar, election_id, election_hash, keys), signed
    except RollMismatch as exc:
        raise RollRefused(
            f"{exc}: the server's list of credentials is not the registrar's roll"
        ) from None


def sign_new_roll(
    client: ApiClient,
    election_id: str,
    registrar: Registrar,
    election_hash: bytes,
    *,
    seed: bytes,
    issued: Collection[bytes],
) -> SignedRoll:
    """Sign the server's roll if it is the roll signed before plus exactly ``issued``
    (RollRefused otherwise), post the signature and return it."""
    keys, previous = fetch_roll(client, election_id)
    listed = set(keys)
    if not set(issued) <= listed:
        raise RollRefused("the server does not list every credential just issued")
    earlier = listed - set(issued)
    if previous is None:
        if earlier:
            raise RollRefused(
                f"the server lists {len(earlier)} credentials that the registrar never "
                "signed besides the ones just issued: refusing to sign them"
            )
    else:
        try:
            check_roll(previous, registrar, election_id, election_hash, earlier)
        except RollMismatch:
            raise RollRefused(
                "the server's roll, without the credentials just issued, is not the roll "
                "the registrar signed before: refusing to sign it"
            ) from None
    signed = sign_roll(seed, election_id, election_hash, keys)
    if signed.roll_hash != roll_hash(listed):  # pragma: no cover - the same keys
        raise RollRefused("the roll changed while it was signed")
    client.post(api_path("registrar", "elections", election_id, "roll"), codec.dumps(signed),
                admin=True)  # fmt: skip
    return signed
