"""``kiemphieu vote``: encrypt, prove, sign and cast a ballot, then check the receipt.

The election is fetched from the server and checked here before anything is
encrypted under its key: the key ceremony (modulus and factor proofs, the
committee's signed cards and Π^prm, verification keys, size under the key
policy), the base hash H_E recomputed from the manifest and the key ceremony
must equal the server's, and the roll must be the one the registrar signed,
with this credential on it. The credential code never leaves this
machine: only the ballot, signed with the key derived from it, is sent. The
receipt must be signed by the server's receipt key and name this ballot's
tracking code (docs/spec.md §8.9).

Choices: ``--choice QUESTION=VALUE``, where VALUE is, for a confidence
question, one level id (or ``blank``) per row, in row order, comma-separated;
for a single choice, an option id or ``blank``; for a multiple choice, the
chosen option ids, comma-separated (empty for none). Questions left out are
asked for when standard input is a terminal.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import os
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from kiemphieu.crypto import codec
from kiemphieu.crypto.election.ballot import Vote, encrypt_ballot, tracking_code
from kiemphieu.crypto.election.board import Receipt, verify_receipt
from kiemphieu.crypto.election.ceremony import (
    KeyCeremony,
    VerifiedKeyCeremony,
    verify_key_ceremony,
)
from kiemphieu.crypto.election.context import ElectionContext
from kiemphieu.crypto.election.credential import CredentialCodeError, derive_key, parse_code
from kiemphieu.crypto.election.manifest import BLANK, Manifest, Question, QuestionKind
from kiemphieu.crypto.errors import DecodeError, KiemphieuCryptoError
from kiemphieu.crypto.primitives.paillier import KeyPolicy

from .connection import (
    LocalError,
    UsageError,
    add_server_argument,
    client_for,
    guarded,
    warn,
)
from .http import ApiClient, BadReply, ServerError, api_path, read_hex32
from .roll import fetch_signed_roll

INSECURE_WARNING = """\
**********************************************************************
*  WARNING: --insecure-test-key accepts TEST-SIZED keys.             *
*  Ballots cast this way are NOT secret. Use it only against a test  *
*  server, never in a real election.                                 *
**********************************************************************"""


@dataclass(frozen=True)
class Election:
    """An election fetched from the server and checked here: its context (key
    ceremony verified, base hash recomputed), state and the server's description."""

    context: ElectionContext
    state: str
    ceremony: VerifiedKeyCeremony
    info: Mapping[str, Any]


# --- the election and the receipt -------------------------------------------


def fetch_election(client: ApiClient, election_id: str, policy: KeyPolicy) -> Election:
    """The election's context, checked: key ceremony, policy, base hash."""
    return election_from_summary(
        client.get(api_path("elections", election_id)), election_id, policy
    )


def election_from_summary(info: Mapping[str, Any], election_id: str, policy: KeyPolicy) -> Election:
    """An election summary (GET /api/elections/<id>) checked as :func:`fetch_election` does."""
    try:
        manifest = codec.from_wire(Manifest, info.get("manifest"))
        raw_ceremony = info.get("key_ceremony")
        ceremony = None if raw_ceremony is None else codec.from_wire(KeyCeremony, raw_ceremony)
    except DecodeError as exc:
        raise BadReply(f"the election's description: {exc}") from None
    if manifest.election_id != election_id:
        raise BadReply(f"asked for election {election_id!r}, got {manifest.election_id!r}")
    if ceremony is None:
        raise ServerError(409, "no-keys", "the election has no published key yet", "state")
    if ceremony.election_id != election_id:
        raise BadReply("the key ceremony is for another election")
    try:
        verified = verify_key_ceremony(ceremony, policy)
        ctx = ElectionContext(manifest, verified.ceremony, policy)
    except KiemphieuCryptoError as exc:
        raise BadReply(f"the election's key: {exc}") from None
    if info.get("base_hash") != ctx.hash.hex():
        raise BadReply("the server's base hash differs from the one computed here")
    state = info.get("state")
    return Election(ctx, state if isinstance(state, str) else "unknown", verified, info)


def fetch_receipt_key(client: ApiClient) -> bytes:
    return read_hex32(client.get("/api/server").get("receipt_key"), "the server's receipt key")


def check_receipt(
    answer: Mapping[str, Any], server_key: bytes, election: bytes, code: bytes
) -> Receipt:
    """The receipt, verified: signed by ``server_key``, for this election and ballot."""
    try:
        receipt = codec.from_wire(Receipt, dict(answer))
        verify_receipt(receipt, server_key)
    except KiemphieuCryptoError as exc:
        raise BadReply(f"the receipt: {exc}") from None
    if receipt.election != election:
        raise BadReply("the receipt is for another election")
    if receipt.tracking_code != code:
        raise BadReply("the receipt's tracking code is not this ballot's")
    return receipt


# --- choices ------------------------------------------------------------------


def _allowed(q: Question) -> list[str]:
    ids = [o.id for o in q.options]
    return [*ids, BLANK] if q.blank else ids


def option_index(q: Question, item: str) -> int | None:
    """The index of an option (or level) id of ``q``; None for ``blank``."""
    ids = [o.id for o in q.options]
    if item == BLANK and q.blank:
        return None
    if item in ids:
        return ids.index(item)
    raise UsageError(f"question {q.id}: {item!r} is not one of {', '.join(_allowed(q))}")


def parse_choice(q: Question, text: str) -> Vote:
    """The vote for ``q`` written as on the command line; raises UsageError."""
    items = [t.strip() for t in text.split(",")] if text.strip() else []
    if q.kind is QuestionKind.CONFIDENCE:
        if len(items) != len(q.rows):
            raise UsageError(
                f"question {q.id}: give {len(q.rows)} levels, one per row in order "
                f"({', '.join(r.id for r in q.rows)}), each one of {', '.join(_allowed(q))}"
            )
        return tuple(option_index(q, i) for i in items)
    if q.kind is QuestionKind.SINGLE:
        if len(items) != 1:
            raise UsageError(f"question {q.id}: give one of {', '.join(_allowed(q))}")
        return option_index(q, items[0])
    chosen = [option_index(q, i) for i in items]
    picked = frozenset(i for i in chosen if i is not None)
    if len(picked) != len(chosen):
        raise UsageError(f"question {q.id}: an option is named twice")
    if not q.min_choices <= len(picked) <= q.max_choices:
        raise UsageError(
            f"question {q.id}: choose {q.min_choices} to {q.max_choices} of "
            + ", ".join(o.id for o in q.options)
        )
    return picked


def parse_choices(manifest: Manifest, given: Sequence[str]) -> dict[str, Vote]:
    """``--choice`` values by question; raises UsageError."""
    out: dict[str, Vote] = {}
    known = {q.id for q in manifest.questions}
    for item in given:
        qid, sep, value = item.partition("=")
        qid = qid.strip()
        if not sep:
            raise UsageError(f"--choice {item!r}: write QUESTION=VALUE")
        if qid not in known:
            raise UsageError(f"no question {qid!r}; the questions are {', '.join(sorted(known))}")
        if qid in out:
            raise UsageError(f"question {qid} is given twice")
        out[qid] = parse_choice(manifest.question(qid), value)
    return out


Ask = Callable[[str], str]
T = TypeVar("T")


def _ask_stdin(prompt: str) -> str:
    print(prompt, end="", file=sys.stderr, flush=True)
    line = sys.stdin.readline()
    if not line:
        raise UsageError("input ended before every question was answered")
    return line.strip()


def _ask_until(parse: Callable[[str], T], ask: Ask, prompt: str) -> T:
    while True:
        try:
            return parse(ask(prompt))
        except UsageError as exc:
            sys.stderr.write(f"  {exc}\n")


def prompt_choice(q: Question, ask: Ask) -> Vote:
    """Ask for the vote on ``q``, again after each answer that does not parse."""
    say = sys.stderr.write
    say(f"\n{q.title.vi} / {q.title.en}\n")
    for o in q.options:
        say(f"  {o.id:>10}  {o.label.vi} / {o.label.en}\n")
    if q.blank:
        say(f"  {BLANK:>10}  Phiếu trắng / Blank\n")
    if q.kind is QuestionKind.CONFIDENCE:
        return tuple(
            _ask_until(lambda t: option_index(q, t), ask, f"  {r.label.vi} / {r.label.en}: ")
            for r in q.rows
        )
    if q.kind is QuestionKind.SINGLE:
        return _ask_until(lambda t: parse_choice(q, t), ask, "  lựa chọn / choice: ")
    hint = f"chọn / choose {q.min_choices}–{q.max_choices} (a,b,...): "
    return _ask_until(lambda t: parse_choice(q, t), ask, f"  {hint}")


def complete_votes(manifest: Manifest, given: dict[str, Vote], ask: Ask | None) -> dict[str, Vote]:
    """Every question answered: ``given``, then prompts (when ``ask``) in manifest order."""
    missing = [q for q in manifest.questions if q.id not in given]
    out = dict(given)
    for q in missing:
        if ask is None:
            names = ", ".join(m.id for m in missing)
            raise UsageError(f"no choice for {names}: give --choice QUESTION=VALUE")
        out[q.id] = prompt_choice(q, ask)
    return out


# --- the command --------------------------------------------------------------


def read_code(args: argparse.Namespace) -> str:
    """The credential code: --code, else typed without echo, else a line of stdin."""
    if args.code is not None:
        typed: str = args.code
    elif sys.stdin.isatty():
        typed = getpass.getpass("Mã bỏ phiếu / Credential code: ")
    else:
        typed = sys.stdin.readline().strip()
    try:
        parse_code(typed)
    except CredentialCodeError as exc:
        raise UsageError(f"the credential code: {exc}") from None
    return typed


def write_receipt(path: Path, receipt: Receipt) -> None:
    """Save the receipt's wire form (canonical JSON) to ``path``, atomically."""
    data = codec.dumps(receipt) + b"\n"
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        raise LocalError(
            f"the ballot was cast, but the receipt could not be saved to {path}: {exc.strerror}"
        ) from None


def vote(args: argparse.Namespace) -> int:
    policy = KeyPolicy.STANDARD
    if args.insecure_test_key:
        print(INSECURE_WARNING, file=sys.stderr)
        policy = KeyPolicy.TESTING
    receipt_path: Path | None = args.receipt
    if receipt_path is not None and not receipt_path.parent.resolve().is_dir():
        raise UsageError(f"--receipt: no folder {receipt_path.parent}")
    client = client_for(args, admin=False)
    code = read_code(args)
    election = fetch_election(client, args.election, policy)
    ctx = election.context
    if election.state != "open":
        warn(f"the poll is {election.state}; the server will refuse the ballot")
    given = parse_choices(ctx.manifest, args.choice or [])
    interactive = sys.stdin.isatty()
    if not interactive:  # every answer given: a missing one is a usage error, here
        given = complete_votes(ctx.manifest, given, None)
    key = derive_key(code, ctx.election_id, ctx.registrar_key)
    roll, _ = fetch_signed_roll(client, ctx.election_id, ctx.ceremony.committee.registrar, ctx.hash)
    if key.public not in roll:
        raise UsageError(
            "this code is not on the roll the registrar signed for this election; "
            "check the code on your sheet and the election"
        )
    votes = complete_votes(ctx.manifest, given, _ask_stdin if interactive else None)
    server_key = fetch_receipt_key(client)
    ballot = encrypt_ballot(ctx, key, votes)
    answer = client.post(
        api_path("elections", ctx.election_id, "ballots"), codec.dumps(ballot), idempotent=True
    )
    receipt = check_receipt(answer, server_key, ctx.hash, tracking_code(ballot))
    print(
        "Ballot cast; the server's signed receipt verifies.\n"
        f"  election       {ctx.election_id}\n"
        f"  tracking code  {receipt.tracking_code.hex()}\n"
        f"  position       {receipt.position}\n"
        f"  board head     {receipt.head.hex()}\n"
        "Keep the tracking code: with it you can find your ballot on the public board."
    )
    if receipt_path is not None:
        write_receipt(receipt_path, receipt)
        print(f"Receipt saved to {receipt_path}")
    return 0


def register(verbs: Any) -> None:
    """Add ``vote`` to the CLI."""
    p = verbs.add_parser(
        "vote",
        help="cast a ballot with a credential code and check the receipt",
        description=(
            "Encrypt, prove and sign a ballot with your credential code, cast it, and "
            "check the server's signed receipt. Without --code the code is asked for "
            "without echo (or read from standard input)."
        ),
        epilog=(
            "VALUE: for a confidence question one level id or 'blank' per row, in row order "
            "(leaders=high,mid,blank); for a single choice an option id or 'blank' "
            "(motion=yes); for a multiple choice the chosen ids (board=c1,c3). "
            "Exit codes: 0 cast; 1 receipt not saved; 2 usage; 3 refused by the server; "
            "4 network failure; 5 the server's answer does not verify."
        ),
    )
    add_server_argument(p, required=True)
    p.add_argument("--election", required=True, metavar="ID", help="the election id")
    p.add_argument(
        "--code",
        metavar="CODE",
        help="the credential code (visible to other users of this machine; prefer the prompt)",
    )
    p.add_argument(
        "--choice",
        action="append",
        metavar="QUESTION=VALUE",
        help="your choice for one question (repeatable); see below",
    )
    p.add_argument(
        "--receipt", type=Path, metavar="FILE", help="also save the receipt (JSON) to FILE"
    )
    p.add_argument("--insecure-test-key", action="store_true", help=argparse.SUPPRESS)
    p.set_defaults(handler=guarded(vote))
