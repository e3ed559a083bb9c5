"""``kiemphieu trustee``: a counting-committee member's tools (docs/spec.md §4.3–4.4,
§8.10, §8.13).

* ``init``: make the trustee's identity (Ed25519) and share-delivery (X25519)
  keys, locked with a passphrase, ring-Pedersen parameters with their proof
  Π^prm, and a public card signed by the identity key for the administrator;
* ``check``: after the key ceremony, check the election's key (its committee,
  its proofs) and one's own share, then post the test-decryption share of the
  c_T that the share file's ceremony holds, and only while the election is
  keyed and not open (the poll opens only when every trustee passed);
* ``attest``: after the close, recount the board here and sign its head, size,
  ballots and roll hash, as read aloud in the room;
* ``decrypt``: recount the whole board here (recount.py) and, only if the
  server's tally is exactly the recount and the board is the one t trustees
  attested (or the one whose head was read aloud), post the tally shares.

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
from kiemphieu.crypto.election.committee import Trustee, make_card, pedersen_binding
from kiemphieu.crypto.election.trustee import SharePurpose, make_shares
from kiemphieu.crypto.errors import DecodeError, KiemphieuCryptoError
from kiemphieu.crypto.primitives.paillier import KeyPolicy
from kiemphieu.crypto.primitives.proofs.pedersen import RING_PEDERSEN_BITS, make_ring_pedersen
from kiemphieu.crypto.primitives.threshold import check_share

from . import closing
from . import recount as rc
from .closing import attest, member_of, recount_board
from .connection import (
    LocalError,
    NotReady,
    UsageError,
    add_server_argument,
    client_for,
    guarded,
)
from .http import ApiClient, BadReply, api_path
from .keystore import (
    KeystoreError,
    SealedShare,
    TrusteeKeys,
    card_path,
    fingerprint,
    load_share,
    load_trustee_keys,
    save_card,
    save_trustee_keys,
)
from .passphrase import ask_passphrase, new_passphrase
from .voter import INSECURE_WARNING, Election, fetch_election

Say = Callable[[str], None]
TEST_PEDERSEN_BITS = 512


def _say(line: str) -> None:
    print(line, flush=True)


def init_trustee(
    path: Path, name: str, role: str, passphrase: str, *, pedersen_bits: int = RING_PEDERSEN_BITS
) -> TrusteeKeys:
    """Make fresh keys and ring-Pedersen parameters, write the locked key file
    ``path`` and its signed public card."""
    card = card_path(path)
    if card.exists():
        raise LocalError(f"{card} exists; refusing to overwrite it")
    keys = TrusteeKeys.generate()
    params = make_ring_pedersen(pedersen_bits, pedersen_binding(keys.identity_public))
    try:
        signed = make_card(keys.identity_seed, keys.encryption_public, name, role, params)
    except (DecodeError, ValueError) as exc:
        raise UsageError(f"the card: {exc}") from None
    try:
        save_trustee_keys(path, keys, passphrase)
        save_card(card, signed)
    except (KeystoreError, OSError) as exc:
        raise LocalError(str(exc)) from None
    return keys


def open_secrets(
    key_path: Path, share_path: Path, passphrase: str, share_passphrase: str | None = None
) -> tuple[TrusteeKeys, SealedShare]:
    """The trustee's keys and key share, opened in memory; LocalError naming the file."""
    keys = open_keys(key_path, passphrase)
    try:
        share = load_share(share_path, keys=keys, passphrase=share_passphrase or passphrase)
    except KeystoreError as exc:
        raise LocalError(f"{share_path}: {exc}") from None
    return keys, share


def open_keys(key_path: Path, passphrase: str) -> TrusteeKeys:
    try:
        return load_trustee_keys(key_path, passphrase)
    except KeystoreError as exc:
        raise LocalError(f"{key_path}: {exc}") from None


def fetch_trustees(client: ApiClient, election_id: str) -> dict[int, Trustee]:
    """The committee as the server lists it, by index (before the key ceremony;
    after it, the ceremony's committee is the one that counts)."""
    items = client.get(api_path("elections", election_id, "trustees")).get("trustees")
    if not isinstance(items, list):
        raise BadReply("the trustee list is not a list")
    try:
        members = [codec.from_wire(Trustee, t) for t in items]
    except DecodeError as exc:
        raise BadReply(f"the trustee list: {exc}") from None
    return {t.index: t for t in members}


def _checked(
    client: ApiClient, election_id: str, keys: TrusteeKeys, sealed: SealedShare, policy: KeyPolicy
) -> tuple[Election, Trustee]:
    """The election (key ceremony verified, base hash recomputed) of exactly the
    key ceremony the share was dealt in, the share matching its verification
    key, and this trustee in the ceremony's committee at the share's index."""
    election = fetch_election(client, election_id, policy)
    share = sealed.share
    if election.context.hash != sealed.election_hash:
        raise BadReply(
            "the server serves another key ceremony than the one your share was dealt in "
            f"(base hash {election.context.hash.hex()[:16]}…, your share's "
            f"{sealed.election_hash.hex()[:16]}…): do not post anything; tell the committee"
        )
    if share.public != election.context.key:  # pragma: no cover - H_E binds the key
        raise BadReply(f"the key share is for another key than election {election_id}'s")
    try:
        check_share(share)
    except KiemphieuCryptoError as exc:
        raise BadReply(f"{exc}: tell the administrator; the poll must not open") from None
    record = member_of(election, keys)
    if record.index != share.index:
        raise BadReply(
            f"the key ceremony places this identity key at index {record.index}, "
            f"your share is for index {share.index}"
        )
    return election, record


def show_committee(election: Election, me: int, say: Say) -> None:
    """The committee and registrar the ceremony binds, to compare with the room."""
    committee = election.context.ceremony.committee
    say("  the committee bound by the key ceremony (compare with the meeting's decision):")
    for m in committee.trustees:
        mark = "  <- you" if m.index == me else ""
        role = f", {m.role}" if m.role else ""
        say(f"    {m.index}. {m.name}{role}  [{fingerprint(m.identity_key)}]{mark}")
    reg = committee.registrar
    say(f"  registrar: {reg.name}  [{fingerprint(reg.identity_key)}]")


def check(
    client: ApiClient,
    election_id: str,
    keys: TrusteeKeys,
    sealed: SealedShare,
    policy: KeyPolicy,
    *,
    say: Say = _say,
) -> None:
    """Check the election's key, the share and the committee; post the test share
    of the pinned ceremony's c_T, only while the election is keyed and not open."""
    election, record = _checked(client, election_id, keys, sealed, policy)
    share = sealed.share
    ctx, key = election.context, election.context.key
    board_size = election.info.get("board_size")
    if election.state != "keys-published" or board_size != 0:
        raise NotReady(
            f"the election is {election.state} with {board_size} board entries: the test "
            "decryption is made only while the election is keyed and not yet open; refused"
        )
    say(f"trustee {share.index} ({record.name}), election {election_id}")
    say(f"  ok  identity {fingerprint(keys.identity_public)} is member {share.index}")
    say(
        f"  ok  key ceremony: {key.n.bit_length()}-bit modulus, its proof and a factor proof "
        f"to each of the {key.l} trustees, every card signed; v derived, "
        f"v_1..v_{key.l} on one polynomial ({key.t} of {key.l})"
    )
    say(f"  ok  base hash recomputed, the one your share was dealt in: {ctx.hash.hex()}")
    say(f"  ok  key share matches v_{share.index}")
    show_committee(election, share.index, say)
    test = ctx.ceremony.test_ciphertext
    doc = make_shares(share, keys.identity_seed, ctx.hash, SharePurpose.TEST, (test,))
    path = api_path("trustee", "elections", election_id, "test-shares")
    client.post(path, codec.dumps(doc), idempotent=True)
    say("  ok  test-decryption share posted; the server verified it")


def decrypt(
    client: ApiClient,
    election_id: str,
    keys: TrusteeKeys,
    sealed: SealedShare,
    policy: KeyPolicy,
    *,
    head: bytes | None = None,
    say: Say = _say,
) -> dict[str, float]:
    """Recount the board here, compare with the server's tally, check that the
    board is pinned (t attestations or ``head``), attest it, then post the tally
    shares. Returns the seconds spent per phase."""
    timings: dict[str, float] = {}
    clock = time.perf_counter()
    election, record = _checked(client, election_id, keys, sealed, policy)
    share = sealed.share
    ctx = election.context
    if election.state != "closed":
        raise NotReady(f"the poll is {election.state}; trustees decrypt after the close")
    timings["check"] = time.perf_counter() - clock
    say(
        f"trustee {share.index} ({record.name}): key ceremony, base hash, key share and "
        f"identity checked ({timings['check']:.1f} s)"
    )

    clock = time.perf_counter()
    _, mine, close = recount_board(client, election, say)
    answer = client.get(api_path("elections", election_id, "tally"))
    timings["verify"] = time.perf_counter() - clock

    clock = time.perf_counter()
    rc.compare(mine, answer)
    docs = closing.fetch_attestations(client, election_id)
    members = ctx.ceremony.committee.trustees
    good, problems = closing.pinned(
        docs, members, ctx.hash, close=close, threshold=ctx.key.t, head=head
    )
    for problem in problems:
        say(f"  !!  {problem}")
    if good:
        say(f"  ok  trustees {list(good)} attested this board")
    if head is not None:
        say("  ok  the head read aloud is the head recomputed here")
    closing.post_attestation(
        client,
        election_id,
        keys.identity_seed,
        election_hash=ctx.hash,
        index=share.index,
        close=close,
    )
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


def _open(args: argparse.Namespace) -> tuple[TrusteeKeys, SealedShare]:
    passphrase = ask_passphrase("Passphrase of the trustee key file: ", args.passphrase_file)
    share_passphrase = None
    if args.share_passphrase_file is not None:
        share_passphrase = ask_passphrase("", args.share_passphrase_file)
    return open_secrets(args.key, args.share, passphrase, share_passphrase)


def init_verb(args: argparse.Namespace) -> int:
    bits = RING_PEDERSEN_BITS
    if args.insecure_test_key:
        print(INSECURE_WARNING, file=sys.stderr)
        bits = TEST_PEDERSEN_BITS
    who = f"{args.name} ({args.out})"
    passphrase = new_passphrase(who, args.passphrase_file)
    print(f"making the keys and {bits}-bit ring-Pedersen parameters; this takes a few seconds…")
    keys = init_trustee(args.out, args.name, args.role, passphrase, pedersen_bits=bits)
    print(
        f"trustee keys written to {args.out} (locked with the passphrase)\n"
        f"signed public card for the administrator: {card_path(args.out)}\n"
        f"identity fingerprint: {fingerprint(keys.identity_public)}\n"
        "Give the card to the administrator and compare the fingerprint by voice."
    )
    return 0


def check_verb(args: argparse.Namespace) -> int:
    policy = _policy(args)
    keys, sealed = _open(args)
    check(client_for(args, admin=False), args.election, keys, sealed, policy)
    return 0


def _ask_yes(question: str) -> bool:
    if not sys.stdin.isatty():
        return False
    answer = input(f"{question} Type yes to sign: ")
    return answer.strip().lower() in ("yes", "có", "co")


def attest_verb(args: argparse.Namespace) -> int:
    policy = _policy(args)
    head = None if args.head is None else closing.parse_head(args.head)
    passphrase = ask_passphrase("Passphrase of the trustee key file: ", args.passphrase_file)
    keys = open_keys(args.key, passphrase)
    attest(client_for(args, admin=False), args.election, keys, policy, head, confirm=_ask_yes)
    return 0


def decrypt_verb(args: argparse.Namespace) -> int:
    policy = _policy(args)
    head = None if args.head is None else closing.parse_head(args.head)
    keys, sealed = _open(args)
    timings = decrypt(client_for(args, admin=False), args.election, keys, sealed, policy, head=head)
    print("timings: " + ", ".join(f"{k} {v:.2f} s" for k, v in timings.items()))
    return 0


def _common(p: argparse.ArgumentParser, *, share: bool) -> None:
    add_server_argument(p, required=True)
    p.add_argument("--election", required=True, metavar="ID", help="the election id")
    p.add_argument("--key", required=True, type=Path, metavar="FILE", help="your key file")
    if share:
        p.add_argument("--share", required=True, type=Path, metavar="FILE", help="your share file")
    p.add_argument(
        "--passphrase-file", type=Path, metavar="FILE", help="read the passphrase from FILE"
    )
    if share:
        p.add_argument(
            "--share-passphrase-file",
            type=Path,
            metavar="FILE",
            help="passphrase of a share file locked with its own passphrase "
            "(default: the key file's)",
        )
    p.add_argument("--insecure-test-key", action="store_true", help=argparse.SUPPRESS)


HEAD_HELP = "the board head read aloud in the room at the close (64 hex digits, spaces allowed)"


def register(verbs: Any) -> Any:
    """Add ``trustee init|check|attest|decrypt`` to the CLI; returns the
    sub-parsers, where ``trustee keygen`` joins them (client/cli/keygen.py)."""
    parser = verbs.add_parser("trustee", help="counting committee: keys, check, attest, decrypt")
    sub = parser.add_subparsers(dest="trustee_verb", metavar="ACTION", required=True)
    p = sub.add_parser("init", help="make a trustee's keys and signed public card")
    p.add_argument("--name", required=True, help="the trustee's full name")
    p.add_argument("--role", default="", help="role on the committee (e.g. Trưởng ban)")
    p.add_argument("--out", required=True, type=Path, metavar="FILE", help="the key file to write")
    p.add_argument(
        "--passphrase-file", type=Path, metavar="FILE", help="read the passphrase from FILE"
    )
    p.add_argument("--insecure-test-key", action="store_true", help=argparse.SUPPRESS)
    p.set_defaults(handler=guarded(init_verb))
    text = "check the election's key and your share; post the test decryption"
    p = sub.add_parser("check", help=text, description=text)
    _common(p, share=True)
    p.set_defaults(handler=guarded(check_verb))
    text = "after the close: recount the board and sign its head as read aloud"
    p = sub.add_parser("attest", help=text, description=text)
    _common(p, share=False)
    p.add_argument("--head", metavar="HEX", help=HEAD_HELP + "; without it you are asked")
    p.set_defaults(handler=guarded(attest_verb))
    text = "recount the board, check it is attested, then post your tally shares"
    p = sub.add_parser("decrypt", help=text, description=text)
    _common(p, share=True)
    p.add_argument(
        "--head", metavar="HEX", help=HEAD_HELP + " (instead of t trustees' attestations)"
    )
    p.set_defaults(handler=guarded(decrypt_verb))
    return sub
