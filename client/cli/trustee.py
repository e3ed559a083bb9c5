"""``kiemphieu trustee``: a counting-committee member's tools (docs/spec.md §4.3–4.4, §8.10).

* ``init``: make the trustee's identity (Ed25519) and share-delivery (X25519)
  keys, locked with a passphrase, and a public card for the administrator;
* ``check``: after the key ceremony, check the election's key and one's own
  share, then post the test-decryption share (the poll opens only when every
  trustee passed);
* ``decrypt``: after the close, recount the whole board here (recount.py) and,
  only if the server's tally is exactly the recount, post the tally shares.

The key share is opened in memory only; it never leaves this machine. What
leaves is a decryption share with its proof, signed by the identity key.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kiemphieu.crypto import codec
from kiemphieu.crypto.election.trustee import SharePurpose, Trustee, make_shares
from kiemphieu.crypto.errors import DecodeError, KiemphieuCryptoError
from kiemphieu.crypto.primitives.paillier import KeyPolicy
from kiemphieu.crypto.primitives.threshold import KeyShare, check_share

from . import recount as rc
from .connection import LocalError, NotReady, add_server_argument, client_for, guarded
from .http import ApiClient, BadReply, api_path
from .keystore import (
    KeystoreError,
    TrusteeCard,
    TrusteeKeys,
    card_path,
    fingerprint,
    load_share,
    load_trustee_keys,
    save_card,
    save_trustee_keys,
)
from .passphrase import ask_passphrase, new_passphrase
from .registrar import listed_keys
from .voter import INSECURE_WARNING, Election, fetch_election

Say = Callable[[str], None]


def _say(line: str) -> None:
    print(line, flush=True)


def init_trustee(path: Path, name: str, role: str, passphrase: str) -> TrusteeKeys:
    """Make fresh keys, write the locked key file ``path`` and its public card."""
    card = card_path(path)
    if card.exists():
        raise LocalError(f"{card} exists; refusing to overwrite it")
    keys = TrusteeKeys.generate()
    try:
        save_trustee_keys(path, keys, passphrase)
        save_card(card, TrusteeCard(name, role, keys.identity_public, keys.encryption_public))
    except (KeystoreError, OSError) as exc:
        raise LocalError(str(exc)) from None
    return keys


def open_secrets(
    key_path: Path, share_path: Path, passphrase: str, share_passphrase: str | None = None
) -> tuple[TrusteeKeys, KeyShare]:
    """The trustee's keys and key share, opened in memory; LocalError naming the file."""
    try:
        keys = load_trustee_keys(key_path, passphrase)
    except KeystoreError as exc:
        raise LocalError(f"{key_path}: {exc}") from None
    try:
        share = load_share(share_path, keys=keys, passphrase=share_passphrase or passphrase)
    except KeystoreError as exc:
        raise LocalError(f"{share_path}: {exc}") from None
    return keys, share


def fetch_trustees(client: ApiClient, election_id: str) -> dict[int, Trustee]:
    """The committee as the server lists it, by index."""
    items = client.get(api_path("elections", election_id, "trustees")).get("trustees")
    if not isinstance(items, list):
        raise BadReply("the trustee list is not a list")
    try:
        members = [codec.from_wire(Trustee, t) for t in items]
    except DecodeError as exc:
        raise BadReply(f"the trustee list: {exc}") from None
    return {t.index: t for t in members}


def _checked(
    client: ApiClient, election_id: str, keys: TrusteeKeys, share: KeyShare, policy: KeyPolicy
) -> tuple[Election, Trustee]:
    """The election (key ceremony verified, base hash recomputed), the share
    matching its verification key, and this trustee's record on the server."""
    election = fetch_election(client, election_id, policy)
    if share.public != election.context.key:
        raise BadReply(f"the key share is for another key than election {election_id}'s")
    try:
        check_share(share)
    except KiemphieuCryptoError as exc:
        raise BadReply(f"{exc}: tell the administrator; the poll must not open") from None
    record = fetch_trustees(client, election_id).get(share.index)
    if record is None or record.identity_key != keys.identity_public:
        raise BadReply(f"the server does not list this identity key as trustee {share.index}")
    return election, record


def check(
    client: ApiClient,
    election_id: str,
    keys: TrusteeKeys,
    share: KeyShare,
    policy: KeyPolicy,
    *,
    say: Say = _say,
) -> None:
    """Check the election's key, the share and the server's record; post the test shares."""
    election, record = _checked(client, election_id, keys, share, policy)
    ctx, key = election.context, election.context.key
    say(f"trustee {share.index} ({record.name}), election {election_id}")
    say(f"  ok  identity {fingerprint(keys.identity_public)} listed as trustee {share.index}")
    say(
        f"  ok  key ceremony: {key.n.bit_length()}-bit modulus and its proof, v derived, "
        f"v_1..v_{key.l} on one polynomial ({key.t} of {key.l})"
    )
    say(f"  ok  base hash recomputed: {ctx.hash.hex()}")
    say(f"  ok  key share matches v_{share.index}")
    test = election.ceremony.ceremony.test_ciphertext
    doc = make_shares(share, keys.identity_seed, ctx.hash, SharePurpose.TEST, (test,))
    path = api_path("trustee", "elections", election_id, "test-shares")
    client.post(path, codec.dumps(doc), idempotent=True)
    say("  ok  test-decryption share posted; the server verified it")


def decrypt(
    client: ApiClient,
    election_id: str,
    keys: TrusteeKeys,
    share: KeyShare,
    policy: KeyPolicy,
    *,
    say: Say = _say,
) -> dict[str, float]:
    """Recount the board here, compare with the server's tally, then post the
    tally shares. Returns the seconds spent per phase."""
    timings: dict[str, float] = {}
    clock = time.perf_counter()
    election, record = _checked(client, election_id, keys, share, policy)
    ctx = election.context
    if election.state != "closed":
        raise NotReady(f"the poll is {election.state}; trustees decrypt after the close")
    timings["check"] = time.perf_counter() - clock
    say(
        f"trustee {share.index} ({record.name}): key ceremony, base hash, key share and "
        f"identity checked ({timings['check']:.1f} s)"
    )

    clock = time.perf_counter()
    board = rc.download_board(client, election_id)
    roll = frozenset(listed_keys(client, election_id))
    answer = client.get(api_path("elections", election_id, "tally"))
    timings["download"] = time.perf_counter() - clock
    say(
        f"  ok  downloaded {len(board.entries)} board entries, {len(roll)} credentials "
        f"and the server's tally ({timings['download']:.1f} s)"
    )

    clock = time.perf_counter()
    mine = rc.verify_board(election, board, roll)
    timings["verify"] = time.perf_counter() - clock
    say(
        f"  ok  chain, roll and {mine.ballots_on_board} ballots verified "
        f"({timings['verify']:.1f} s)"
    )

    clock = time.perf_counter()
    rc.compare(mine, answer)
    timings["tally"] = time.perf_counter() - clock
    say(
        f"  ok  {len(mine.counted)} counted ballots; the server's encrypted "
        f"tally and its {len(mine.packed)} packed ciphertexts equal the recount"
    )

    clock = time.perf_counter()
    doc = make_shares(share, keys.identity_seed, ctx.hash, SharePurpose.TALLY, mine.packed)
    path = api_path("trustee", "elections", election_id, "tally-shares")
    reply = client.post(path, codec.dumps(doc), idempotent=True)
    timings["shares"] = time.perf_counter() - clock
    combined = " the result is decrypted" if reply.get("combined") else ""
    say(f"  ok  tally shares posted and verified ({timings['shares']:.1f} s);{combined}")
    return timings


# --- the verbs ----------------------------------------------------------------


def _policy(args: argparse.Namespace) -> KeyPolicy:
    if args.insecure_test_key:
        print(INSECURE_WARNING, file=sys.stderr)
        return KeyPolicy.TESTING
    return KeyPolicy.STANDARD


def _open(args: argparse.Namespace) -> tuple[TrusteeKeys, KeyShare]:
    passphrase = ask_passphrase("Passphrase of the trustee key file: ", args.passphrase_file)
    share_passphrase = None
    if args.share_passphrase_file is not None:
        share_passphrase = ask_passphrase("", args.share_passphrase_file)
    return open_secrets(args.key, args.share, passphrase, share_passphrase)


def init_verb(args: argparse.Namespace) -> int:
    who = f"{args.name} ({args.out})"
    passphrase = new_passphrase(who, args.passphrase_file)
    keys = init_trustee(args.out, args.name, args.role, passphrase)
    print(
        f"trustee keys written to {args.out} (locked with the passphrase)\n"
        f"public card for the administrator: {card_path(args.out)}\n"
        f"identity fingerprint: {fingerprint(keys.identity_public)}\n"
        "Give the card to the administrator and compare the fingerprint by voice."
    )
    return 0


def check_verb(args: argparse.Namespace) -> int:
    policy = _policy(args)
    keys, share = _open(args)
    check(client_for(args, admin=False), args.election, keys, share, policy)
    return 0


def decrypt_verb(args: argparse.Namespace) -> int:
    policy = _policy(args)
    keys, share = _open(args)
    timings = decrypt(client_for(args, admin=False), args.election, keys, share, policy)
    print("timings: " + ", ".join(f"{k} {v:.2f} s" for k, v in timings.items()))
    return 0


def register(verbs: Any) -> None:
    """Add ``trustee init|check|decrypt`` to the CLI."""
    parser = verbs.add_parser("trustee", help="counting committee: keys, check, decrypt")
    sub = parser.add_subparsers(dest="trustee_verb", metavar="ACTION", required=True)
    p = sub.add_parser("init", help="make a trustee's keys and public card")
    p.add_argument("--name", required=True, help="the trustee's full name")
    p.add_argument("--role", default="", help="role on the committee (e.g. Trưởng ban)")
    p.add_argument("--out", required=True, type=Path, metavar="FILE", help="the key file to write")
    p.add_argument(
        "--passphrase-file", type=Path, metavar="FILE", help="read the passphrase from FILE"
    )
    p.set_defaults(handler=guarded(init_verb))
    for name, text, handler in (
        ("check", "check the election's key and your share; post the test decryption", check_verb),
        ("decrypt", "recount the board, then post your tally shares", decrypt_verb),
    ):
        p = sub.add_parser(name, help=text, description=text)
        add_server_argument(p, required=True)
        p.add_argument("--election", required=True, metavar="ID", help="the election id")
        p.add_argument("--key", required=True, type=Path, metavar="FILE", help="your key file")
        p.add_argument("--share", required=True, type=Path, metavar="FILE", help="your share file")
        p.add_argument(
            "--passphrase-file", type=Path, metavar="FILE", help="read the passphrase from FILE"
        )
        p.add_argument(
            "--share-passphrase-file",
            type=Path,
            metavar="FILE",
            help="passphrase of a share file locked with its own passphrase "
            "(default: the key file's)",
        )
        p.add_argument("--insecure-test-key", action="store_true", help=argparse.SUPPRESS)
        p.set_defaults(handler=guarded(handler))
