"""``kiemphieu verify-audit``: check a ballot audit from the booth (docs/spec.md §8.11).

Cast-or-audit: before casting, a voter may ask the booth to reveal the
randomness of an encrypted ballot. The booth saves a ``ballot-audit`` document;
this verb re-encrypts its selections from the revealed coins against the
election's context (fetched from the server, or read from a saved summary) and
prints the selections the ballot encrypts. An audited ballot is never counted.

Exit codes: 0 the audit checks; 1 a file could not be read; 2 usage; 3 the
server refused; 4 network failure; 5 the audit (or the election's
description) does not verify.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from kiemphieu.crypto import codec
from kiemphieu.crypto.election.audit import BallotAudit, check_audit
from kiemphieu.crypto.election.ballot import Vote
from kiemphieu.crypto.election.manifest import BLANK, Manifest, QuestionKind
from kiemphieu.crypto.errors import DecodeError, VerificationError
from kiemphieu.crypto.primitives.paillier import KeyPolicy

from .connection import ExitCode, LocalError, UsageError, client_for, fail, guarded
from .voter import INSECURE_WARNING, Election, election_from_summary, fetch_election


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise LocalError(f"cannot read the {what} {path}: {exc.strerror}") from None


def _election(args: argparse.Namespace, policy: KeyPolicy) -> Election:
    if (args.summary is None) == (args.server is None):
        raise UsageError("give either --server URL --election ID or --summary FILE")
    if args.server is not None:
        if args.election is None:
            raise UsageError("--server needs --election ID")
        return fetch_election(client_for(args, admin=False), args.election, policy)
    try:
        info = json.loads(_read(args.summary, "election summary"))
    except (ValueError, UnicodeDecodeError):
        raise UsageError(f"{args.summary} is not JSON") from None
    if not isinstance(info, dict) or not isinstance(info.get("id"), str):
        raise UsageError(f"{args.summary} is not an election summary (GET /api/elections/ID)")
    if args.election is not None and info["id"] != args.election:
        raise UsageError(f"{args.summary} describes election {info['id']!r}, not {args.election!r}")
    return election_from_summary(info, info["id"], policy)


def describe(manifest: Manifest, votes: dict[str, Vote]) -> list[str]:
    """One line per question, in the ``--choice`` syntax of ``kiemphieu vote``."""
    lines = []
    for q in manifest.questions:
        vote = votes[q.id]
        if q.kind is QuestionKind.CONFIDENCE and isinstance(vote, tuple):
            text = ",".join(BLANK if v is None else q.options[v].id for v in vote)
        elif q.kind is QuestionKind.SINGLE and (vote is None or isinstance(vote, int)):
            text = BLANK if vote is None else q.options[vote].id
        elif isinstance(vote, frozenset):
            text = ",".join(q.options[i].id for i in sorted(vote)) or "(none)"
        else:  # pragma: no cover - check_audit returns votes of the question's kind
            raise TypeError(f"question {q.id}: unexpected vote")
        lines.append(f"  {q.id}={text}")
    return lines


def verify_audit(args: argparse.Namespace) -> int:
    policy = KeyPolicy.STANDARD
    if args.insecure_test_key:
        print(INSECURE_WARNING, file=sys.stderr)
        policy = KeyPolicy.TESTING
    raw = _read(args.file, "audit file")
    election = _election(args, policy)
    ctx = election.context
    try:
        audit = codec.loads(BallotAudit, raw)
    except DecodeError as exc:
        return fail(ExitCode.VERIFICATION, f"{args.file} is not a ballot audit: {exc}")
    try:
        votes = check_audit(ctx, audit)
    except VerificationError as exc:
        return fail(ExitCode.VERIFICATION, f"the audit does not verify: {exc}")
    print(
        f"The audited ballot encrypts exactly these selections (election {ctx.election_id}):",
        *describe(ctx.manifest, votes),
        "It was never signed, so it cannot be cast: the booth encrypts your vote afresh.",
        sep="\n",
    )
    return int(ExitCode.OK)


def register(verbs: Any) -> None:
    """Add ``verify-audit`` to the CLI."""
    p = verbs.add_parser(
        "verify-audit",
        help="check a ballot audit saved by the booth (cast-or-audit)",
        description=(
            "Re-encrypt the selections of a ballot-audit document from its revealed "
            "randomness and compare with the audited ballot, byte for byte. The election "
            "comes from the server (--server, --election) or a saved summary (--summary)."
        ),
        epilog=(
            "Exit codes: 0 the audit checks; 1 a file could not be read; 2 usage; "
            "3 refused by the server; 4 network failure; 5 the audit or the election's "
            "description does not verify."
        ),
    )
    p.add_argument("file", type=Path, metavar="FILE", help="the ballot-audit JSON file")
    p.add_argument("--server", metavar="URL", help="the server's URL")
    p.add_argument("--election", metavar="ID", help="the election id")
    p.add_argument(
        "--summary",
        type=Path,
        metavar="FILE",
        help="the election's summary (JSON of GET /api/elections/ID) instead of a server",
    )
    p.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS", help="network timeout")
    p.add_argument("--insecure-test-key", action="store_true", help=argparse.SUPPRESS)
    p.set_defaults(handler=guarded(verify_audit))
