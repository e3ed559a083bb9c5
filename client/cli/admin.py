"""``kiemphieu admin``: create an election, register its trustees and its registrar,
publish its keys, open and close the poll.

All of it goes through the HTTP API with the admin token; ``status`` needs no
token (it reads the public description and turnout).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from kiemphieu.crypto import codec
from kiemphieu.crypto.election.attestation import BoardClose
from kiemphieu.crypto.election.board import verify_chain
from kiemphieu.crypto.election.committee import (
    CommitteeError,
    TrusteeCard,
    place,
    verify_card,
    verify_registrar,
)
from kiemphieu.crypto.errors import KiemphieuCryptoError
from kiemphieu.crypto.primitives.paillier import KeyPolicy
from kiemphieu.crypto.primitives.threshold import MAX_TRUSTEES

from .closing import close_of, show_close
from .connection import (
    LocalError,
    UsageError,
    add_server_argument,
    add_token_argument,
    client_for,
    guarded,
)
from .http import ApiClient, BadReply, api_path, read_hex32
from .keystore import KeystoreError, fingerprint, load_card, load_registrar_card
from .recount import download_board

TOML_TYPE = "application/toml"
JSON_TYPE = "application/json"
MAX_FILE_BYTES = 1 << 20


def _read(path: Path) -> bytes:
    try:
        with path.open("rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise LocalError(f"cannot read {path}: {exc.strerror}") from None
    if len(data) > MAX_FILE_BYTES:
        raise LocalError(f"{path} is larger than {MAX_FILE_BYTES} bytes")
    return data


def _show(info: dict[str, Any]) -> None:
    title = info.get("manifest", {}).get("title", {})
    print(f"election   {info.get('id')}")
    print(f"state      {info.get('state')}")
    if title:
        print(f"title      {title.get('vi')}")
        print(f"           {title.get('en')}")
    if info.get("base_hash"):
        print(f"base hash  {info['base_hash']}")
    print(f"board      {info.get('board_size')} entries, head {info.get('board_head') or '-'}")


def create(args: argparse.Namespace) -> int:
    path: Path = args.manifest
    ctype = JSON_TYPE if path.suffix.lower() == ".json" else TOML_TYPE
    client = client_for(args, admin=True)
    info = client.post("/api/admin/elections", _read(path), content_type=ctype, admin=True)
    print(f"created election {info.get('id')} ({info.get('state')})")
    return 0


def keys(args: argparse.Namespace) -> int:
    client = client_for(args, admin=True)
    path = api_path("admin", "elections", args.election, "keys")
    info = client.post(path, _read(args.ceremony), admin=True)
    print(f"keys published for {info.get('id')}; base hash {info.get('base_hash')}")
    return 0


def add_trustee(client: ApiClient, election_id: str, index: int, card: TrusteeCard) -> int:
    """Register ``card`` as trustee ``index``; returns the committee's size on the server."""
    doc = place(index, card)
    path = api_path("admin", "elections", election_id, "trustees")
    info = client.post(path, codec.dumps(doc), admin=True)
    members = info.get("trustees")
    return len(members) if isinstance(members, list) else 0


def trustee(args: argparse.Namespace) -> int:
    if not 1 <= args.index <= MAX_TRUSTEES:
        raise UsageError(f"--index must be between 1 and {MAX_TRUSTEES}")
    try:
        card = load_card(args.public)
    except KeystoreError as exc:
        raise LocalError(f"{args.public}: {exc}") from None
    policy = KeyPolicy.TESTING if args.insecure_test_key else KeyPolicy.STANDARD
    try:
        verify_card(card, policy)
    except KiemphieuCryptoError as exc:
        raise LocalError(f"{args.public}: {exc}") from None
    size = add_trustee(client_for(args, admin=True), args.election, args.index, card)
    print(
        f"trustee {args.index} registered: {card.name}"
        + (f" ({card.role})" if card.role else "")
        + f"\nidentity fingerprint {fingerprint(card.identity_key)} (compare it with the trustee)"
        + f"\nthe committee has {size} registered members"
    )
    return 0


def registrar(args: argparse.Namespace) -> int:
    try:
        card = load_registrar_card(args.public)
        verify_registrar(card)
    except (KeystoreError, CommitteeError) as exc:
        raise LocalError(f"{args.public}: {exc}") from None
    client = client_for(args, admin=True)
    path = api_path("admin", "elections", args.election, "registrar")
    client.post(path, codec.dumps(card), admin=True)
    print(
        f"registrar registered: {card.name}\n"
        f"key fingerprint {fingerprint(card.identity_key)} (compare it with the registrar)"
    )
    return 0


def close(args: argparse.Namespace) -> int:
    """Close the poll, then show what the chair reads aloud: the board recomputed
    here from the server's entries (its chain checked)."""
    client = client_for(args, admin=True)
    info = client.post(api_path("admin", "elections", args.election, "close"), b"", admin=True)
    print(f"election {info.get('id')} is {info.get('state')}")
    election_hash = read_hex32(info.get("base_hash"), "the server's base hash")
    board = download_board(client, args.election)
    check_board_chain(election_hash, board, info.get("board_head"))
    print(show_close(close_of(board)))
    print(
        "Read these aloud; each trustee attests them on their own machine "
        "(kiemphieu trustee attest --head …) before decrypting."
    )
    return 0


def check_board_chain(election_hash: bytes, board: Any, head: object) -> BoardClose:
    """The downloaded board's chain, to the head the server announced."""
    try:
        final = verify_chain(election_hash, board.entries)
    except KiemphieuCryptoError as exc:
        raise BadReply(f"the board's hash chain: {exc}") from None
    if not isinstance(head, str) or final.hex() != head:
        raise BadReply("the board's last head is not the head the server announces")
    return close_of(board)


def _transition(action: str) -> Any:
    def run(args: argparse.Namespace) -> int:
        client = client_for(args, admin=True)
        path = api_path("admin", "elections", args.election, action)
        info = client.post(path, b"", admin=True)
        print(f"election {info.get('id')} is {info.get('state')}")
        return 0

    return run


def status(args: argparse.Namespace) -> int:
    client = client_for(args, admin=False)
    info = client.get(api_path("elections", args.election))
    turnout = client.get(api_path("elections", args.election, "turnout"))
    if args.json:
        print(json.dumps({"election": info, "turnout": turnout}, ensure_ascii=False, indent=2))
        return 0
    _show(info)
    print(
        f"turnout    {turnout.get('voters')} voters of {turnout.get('credentials')} credentials"
        f" ({turnout.get('ballots')} ballots cast)"
    )
    return 0


def register(verbs: Any) -> None:
    """Add ``admin`` and its sub-verbs to the CLI."""
    parser = verbs.add_parser(
        "admin", help="create elections, publish keys, open and close polls, publish results"
    )
    sub = parser.add_subparsers(dest="admin_verb", metavar="ACTION", required=True)

    def action(name: str, help_text: str, handler: Any, *, election: bool = True) -> Any:
        p = sub.add_parser(name, help=help_text, description=help_text)
        if election:
            p.add_argument("--election", required=True, metavar="ID", help="the election id")
        add_server_argument(p)
        p.set_defaults(handler=guarded(handler))
        return p

    p = action("create", "create an election from its manifest", create, election=False)
    p.add_argument(
        "--manifest",
        required=True,
        type=Path,
        metavar="FILE",
        help="the manifest: TOML, or its JSON wire form (*.json)",
    )
    add_token_argument(p)
    p = action("trustee", "register a counting-committee member (before the key)", trustee)
    p.add_argument("--index", required=True, type=int, metavar="I", help="the trustee's index")
    p.add_argument(
        "--public",
        required=True,
        type=Path,
        metavar="FILE",
        help="the trustee's public card (FILE.pub.json from kiemphieu trustee init)",
    )
    p.add_argument("--insecure-test-key", action="store_true", help=argparse.SUPPRESS)
    add_token_argument(p)
    p = action("registrar", "register the registrar's card (before the key)", registrar)
    p.add_argument(
        "--public",
        required=True,
        type=Path,
        metavar="FILE",
        help="the registrar's public card (FILE.pub.json from kiemphieu registrar init)",
    )
    add_token_argument(p)
    p = action("keys", "publish the key ceremony's public output", keys)
    p.add_argument(
        "--ceremony",
        required=True,
        type=Path,
        metavar="FILE",
        help="the key ceremony (JSON document key-ceremony)",
    )
    add_token_argument(p)
    opening = "open the poll (closes the credential list)"
    add_token_argument(action("open", opening, _transition("open")))
    add_token_argument(action("close", "close the poll and show what to read aloud", close))
    publishing = "publish the decrypted result as the official one"
    add_token_argument(action("publish", publishing, _transition("publish")))
    p = action("status", "show an election's state and turnout (no token needed)", status)
    p.add_argument("--json", action="store_true", help="print the server's documents as JSON")
