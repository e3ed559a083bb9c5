"""The registrar's key: ``kiemphieu registrar init`` and the signing step of
``kiemphieu credentials issue|sign`` (docs/spec.md §8.12; docs/cli.md).

The registrar (the personnel office) holds an Ed25519 key of its own, made
here and locked with a passphrase; its public card is registered with the
election before the key ceremony, which binds it into H_E. The server never
holds the key: it stores the registrar's signatures on the roll, and the poll
opens only when the latest one covers exactly the credentials listed.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import secrets
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kiemphieu.crypto import codec
from kiemphieu.crypto.election.committee import Registrar, make_registrar
from kiemphieu.crypto.election.credential import CredentialCodeError, derive_key
from kiemphieu.crypto.election.roll import SignedRoll
from kiemphieu.crypto.errors import DecodeError
from kiemphieu.crypto.primitives.paillier import KeyPolicy

from .connection import (
    LocalError,
    NotReady,
    add_server_argument,
    add_token_argument,
    client_for,
    guarded,
)
from .http import ApiClient, BadReply, api_path
from .keystore import (
    KeystoreError,
    card_path,
    fingerprint,
    load_registrar_key,
    save_registrar_card,
    save_registrar_key,
)
from .minutes_text import grouped_hex
from .passphrase import ask_passphrase, new_passphrase
from .private_files import write_files
from .roll import RollRefused, sign_new_roll
from .voter import election_from_summary


def init_registrar(path: Path, name: str, passphrase: str) -> Registrar:
    """Make the registrar's key, write the locked key file and the signed card."""
    card_file = card_path(path)
    if card_file.exists():
        raise LocalError(f"{card_file} exists; refusing to overwrite it")
    seed = secrets.token_bytes(32)
    card = make_registrar(seed, name)
    try:
        save_registrar_key(path, seed, passphrase)
        save_registrar_card(card_file, card)
    except (KeystoreError, OSError) as exc:
        raise LocalError(str(exc)) from None
    return card


def open_registrar(path: Path, passphrase_file: Path | None) -> bytes:
    passphrase = ask_passphrase("Passphrase of the registrar key file: ", passphrase_file)
    try:
        return load_registrar_key(path, passphrase)
    except KeystoreError as exc:
        raise LocalError(f"{path}: {exc}") from None


def election_registrar(client: ApiClient, election_id: str, seed: bytes) -> Registrar:
    """The registrar card the server lists for the election, which must be this
    key's (RollRefused otherwise: someone else would vouch for the roll)."""
    raw = client.get(api_path("elections", election_id, "registrar")).get("registrar")
    try:
        card = None if raw is None else codec.from_wire(Registrar, raw)
    except DecodeError as exc:
        raise BadReply(f"the registrar's card: {exc}") from None
    mine = make_registrar(seed, "x").identity_key
    if card is None:
        raise RollRefused(
            "the election has no registrar yet: the administrator registers your card "
            "(kiemphieu admin registrar) before you issue credentials"
        )
    if card.identity_key != mine:
        raise RollRefused("the election's registrar is another key than this one")
    return card


def ceremony_hash_for_roll(
    client: ApiClient, election_id: str, seed: bytes, policy: KeyPolicy
) -> tuple[Registrar, bytes] | None:
    """This registrar's card and H_E of the election's key ceremony, checked
    in full (proofs, committee, base hash) and naming this key as the
    registrar; None while the election has no ceremony yet (a draft)."""
    info = client.get(api_path("elections", election_id))
    if info.get("key_ceremony") is None:
        return None
    election = election_from_summary(info, election_id, policy)
    card = election.context.ceremony.committee.registrar
    if card.identity_key != make_registrar(seed, "x").identity_key:
        raise RollRefused(
            "the key ceremony names another registrar than this key: refusing to sign a roll for it"
        )
    return card, election.context.hash


def pins_path(key_path: Path) -> Path:
    """The registrar's record of the key ceremony it signed each election's roll
    under: ``X.json`` → ``X.signed.json`` (public values, no secret)."""
    name = key_path.name
    stem = name[: -len(".json")] if name.endswith(".json") else name
    return key_path.with_name(f"{stem}.signed.json")


def pin_ceremony(key_path: Path, election_id: str, election_hash: bytes) -> None:
    """Remember that this registrar signs ``election_id``'s roll under H_E =
    ``election_hash``; refuse (RollRefused) if it signed that election under
    another key ceremony before. A published ceremony never changes, so a
    server that shows the registrar a second one is lying: signing both would
    let it serve voters a substitute election that the real registrar vouches
    for (docs/threat-model.md §2.3)."""
    path = pins_path(key_path)
    try:
        pins = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    except (OSError, ValueError) as exc:
        raise LocalError(f"cannot read {path}: {exc}") from None
    if not isinstance(pins, dict) or not all(isinstance(v, str) for v in pins.values()):
        raise LocalError(f"{path} is not a registrar's list of signed key ceremonies")
    known = pins.get(election_id)
    if known == election_hash.hex():
        return
    if known is not None:
        raise RollRefused(
            f"this registrar key signed the roll of {election_id} under another key ceremony "
            f"before (base hash {known[:16]}…, now {election_hash.hex()[:16]}…): a published "
            "ceremony never changes, so the server is showing two. Nothing is signed; tell "
            "the committee"
        )
    pins[election_id] = election_hash.hex()
    data = (json.dumps(pins, indent=1, sort_keys=True) + "\n").encode("utf-8")
    write_files(path.parent, {path.name: data}, force=True)


def sign_issued(
    client: ApiClient,
    election_id: str,
    issued: Sequence[bytes],
    *,
    key: tuple[Path, bytes],
    policy: KeyPolicy,
) -> SignedRoll | None:
    """Sign the roll after issuing ``issued`` (see :func:`~.roll.sign_new_roll`)
    with the registrar key ``key`` (its file and seed), under the checked key
    ceremony, pinned in the key's list of signed ceremonies; None while the
    election is a draft."""
    key_path, seed = key
    found = ceremony_hash_for_roll(client, election_id, seed, policy)
    if found is None:
        return None
    card, election_hash = found
    pin_ceremony(key_path, election_id, election_hash)
    return sign_new_roll(client, election_id, card, election_hash, seed=seed, issued=issued)


def _keys_of_csv(path: Path, text: str, election_id: str, registrar: bytes) -> list[bytes]:
    rows = list(csv.DictReader(io.StringIO(text)))
    if not rows or "code" not in rows[0]:
        raise LocalError(f"{path} is not a credentials.csv (sheet,code)")
    keys: list[bytes] = []
    for number, row in enumerate(rows, start=2):
        try:
            keys.append(derive_key(row["code"], election_id, registrar).public)
        except CredentialCodeError as exc:
            raise LocalError(f"{path}, line {number}: {exc}") from None
    return keys


def _keys_of_list(path: Path, text: str) -> list[bytes]:
    keys: list[bytes] = []
    for number, line in enumerate(text.splitlines(), start=1):
        try:
            key = bytes.fromhex(line.strip())
        except ValueError:
            key = b""
        if len(key) != 32:
            raise LocalError(f"{path}, line {number}: not a credential key (64 hex digits)")
        keys.append(key)
    return keys


def keys_from_files(paths: Sequence[Path], election_id: str, registrar: bytes) -> list[bytes]:
    """The credential public keys of credentials.keys files (one key in hex per
    line) or of the codes in credentials.csv files (sheet,code)."""
    keys: list[bytes] = []
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise LocalError(f"cannot read {path}: {exc}") from None
        if text.startswith(("sheet,", "\ufeffsheet,")):
            keys += _keys_of_csv(path, text, election_id, registrar)
        else:
            keys += _keys_of_list(path, text)
    return keys


def init_verb(args: argparse.Namespace) -> int:
    passphrase = new_passphrase(f"the registrar ({args.out})", args.passphrase_file)
    card = init_registrar(args.out, args.name, passphrase)
    print(
        f"registrar key written to {args.out} (locked with the passphrase)\n"
        f"signed public card for the administrator: {card_path(args.out)}\n"
        f"key fingerprint: {fingerprint(card.identity_key)}\n"
        "Give the card to the administrator and compare the fingerprint by voice."
    )
    return 0


def sign_verb(args: argparse.Namespace) -> int:
    policy = KeyPolicy.TESTING if args.insecure_test_key else KeyPolicy.STANDARD
    seed = open_registrar(args.registrar_key, args.passphrase_file)
    client = client_for(args, admin=True)
    mine = make_registrar(seed, "x").identity_key
    issued = keys_from_files(args.sheets, args.election, mine)
    signed = sign_issued(
        client, args.election, issued, key=(args.registrar_key, seed), policy=policy
    )
    if signed is None:
        raise NotReady(
            "the election has no key ceremony yet: the roll is signed after it "
            "(the signature binds the ceremony)"
        )
    print(signed_line(signed))
    return 0


def signed_line(signed: SignedRoll) -> str:
    """What the registrar is told after signing: the count and the base hash to
    compare with the one the committee read out (``ceremony``, ``trustee check``)."""
    return (
        f"the roll of {signed.count} credentials is signed by the registrar, for the key "
        f"ceremony with base hash\n  {grouped_hex(signed.election)}\n"
        "Compare that base hash with the one the committee read out."
    )


def register(verbs: Any, credentials: Any) -> None:
    """Add ``registrar init`` and ``credentials sign`` to the CLI."""
    parser = verbs.add_parser("registrar", help="the registrar's key (personnel office)")
    sub = parser.add_subparsers(dest="registrar_verb", metavar="ACTION", required=True)
    p = sub.add_parser("init", help="make the registrar's key and signed public card")
    p.add_argument("--name", required=True, help="the registrar's name (the office)")
    p.add_argument("--out", required=True, type=Path, metavar="FILE", help="the key file to write")
    p.add_argument(
        "--passphrase-file", type=Path, metavar="FILE", help="read the passphrase from FILE"
    )
    p.set_defaults(handler=guarded(init_verb))
    text = (
        "sign the roll: the credentials signed before plus those of the given "
        "credentials.keys files (after the key ceremony, or after a failed signing step)"
    )
    p = credentials.add_parser("sign", help=text, description=text)
    p.add_argument("--election", required=True, metavar="ID", help="the election id")
    p.add_argument(
        "--registrar-key", required=True, type=Path, metavar="FILE", help="the registrar key file"
    )
    p.add_argument(
        "--sheets",
        required=True,
        nargs="+",
        type=Path,
        metavar="CSV",
        help=(
            "the credentials.keys (or credentials.csv) files of the credentials issued "
            "since the last signature"
        ),
    )
    p.add_argument("--insecure-test-key", action="store_true", help=argparse.SUPPRESS)
    p.add_argument(
        "--passphrase-file", type=Path, metavar="FILE", help="read the passphrase from FILE"
    )
    add_server_argument(p)
    add_token_argument(p)
    p.set_defaults(handler=guarded(sign_verb))
