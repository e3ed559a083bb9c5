"""``kiemphieu results``: fetch a result, check it, print it (docs/spec.md §5, §8.7–8.8).

The server's result is not taken on trust. What is cheap is checked here:

1. the election's key ceremony and base hash (as ``vote`` does);
2. the packed ciphertexts are the packing of the published encrypted tally
   (with ``--recount``, the tally itself is recomputed from the whole board,
   as a trustee does before decrypting);
3. every tally-share document the server lists as valid: by a member of the
   key ceremony's committee (not the server's trustee list), for exactly the
   packed ciphertexts, every proof (batched); at least t of them;
4. t of them recombined, unpacked with the public checks of §8.7.3, and the
   result recomputed under the manifest's rules with the size of the roll the
   registrar signed (§8.12; the server's list must be exactly that roll).

The counts and the result must equal the server's, or the command exits 5.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from typing import Any

from kiemphieu.crypto import codec
from kiemphieu.crypto.election.result import ElectionResult, compute_result
from kiemphieu.crypto.election.tally import EncryptedTally, TallyCounts, pack, unpack
from kiemphieu.crypto.election.trustee import SharePurpose, TrusteeShares, verify_shares
from kiemphieu.crypto.errors import DecodeError, KiemphieuCryptoError
from kiemphieu.crypto.primitives.combination import VerifiedDecryptionShare, combine
from kiemphieu.crypto.primitives.paillier import KeyPolicy

from . import recount as rc
from .connection import add_server_argument, client_for, guarded
from .http import ApiClient, BadReply, api_path
from .result_table import render_table
from .roll import fetch_signed_roll
from .voter import INSECURE_WARNING, Election, fetch_election


@dataclass(frozen=True)
class VerifiedResult:
    """A result recomputed here from the published shares and equal to the server's."""

    election: Election
    result: ElectionResult
    counts: TallyCounts
    trustees: tuple[int, ...]
    recounted: bool


def _decode(cls: type[Any], value: object, what: str) -> Any:
    try:
        return codec.from_wire(cls, value)
    except DecodeError as exc:
        raise BadReply(f"{what}: {exc}") from None


def _tally_shares(
    client: ApiClient, election: Election, packed: tuple[int, ...]
) -> dict[int, tuple[VerifiedDecryptionShare, ...]]:
    """Step 3: every tally-share document the server calls valid, re-verified here."""
    ctx = election.context
    members = {t.index: t for t in ctx.ceremony.committee.trustees}
    log = client.get(api_path("elections", ctx.election_id, "shares")).get("shares")
    if not isinstance(log, list):
        raise BadReply("the share log is not a list")
    verified: dict[int, tuple[VerifiedDecryptionShare, ...]] = {}
    for entry in log:
        if not isinstance(entry, dict) or entry.get("purpose") != SharePurpose.TALLY.value:
            continue
        if entry.get("valid") is not True:
            continue
        doc: TrusteeShares = _decode(TrusteeShares, entry.get("shares"), "a tally-share document")
        if doc.index in verified:
            continue  # the server keeps a trustee's first valid document
        member = members.get(doc.index)
        if member is None:
            raise rc.Mismatch(f"tally shares of trustee {doc.index}, who is not on the committee")
        try:
            verified[doc.index] = verify_shares(ctx.key, member, doc, ctx.hash, packed)
        except KiemphieuCryptoError as exc:
            raise rc.Mismatch(f"trustee {doc.index}'s tally shares, listed valid: {exc}") from None
    if len(verified) < ctx.key.t:
        raise rc.Mismatch(f"{len(verified)} valid tally-share documents; {ctx.key.t} are needed")
    return verified


def _differences(mine: ElectionResult, theirs: ElectionResult) -> list[str]:
    out = [
        name
        for name in ("election", "summoned", "present", "issued", "returned", "quorum_met")
        if getattr(mine, name) != getattr(theirs, name)
    ]
    if len(mine.questions) != len(theirs.questions):
        return [*out, "questions"]
    for q, r in zip(mine.questions, theirs.questions, strict=True):
        parts = zip(q.parts, r.parts, strict=False)
        out += [f"{q.question}/{a.part}" for a, b in parts if a != b]
        if q.question != r.question or len(q.parts) != len(r.parts):
            out.append(q.question)
    return out


def verify_result(
    client: ApiClient, election_id: str, policy: KeyPolicy, *, recount: bool = False
) -> VerifiedResult:
    """Steps 1–4 of the module docstring; raises BadReply (Mismatch) on any difference."""
    election = fetch_election(client, election_id, policy)
    ctx = election.context
    answer = client.get(api_path("elections", election_id, "result"))
    theirs: ElectionResult = _decode(ElectionResult, answer.get("result"), "the result")
    their_counts: TallyCounts = _decode(TallyCounts, answer.get("counts"), "the counts")
    tally_answer = client.get(api_path("elections", election_id, "tally"))
    tally: EncryptedTally = _decode(EncryptedTally, tally_answer.get("tally"), "the tally")
    packed = rc.packed_ciphertexts(tally_answer.get("packed"))
    try:
        if pack(ctx, tally) != packed:
            raise rc.Mismatch("the packed ciphertexts are not the packing of the tally")
    except KiemphieuCryptoError as exc:
        raise rc.Mismatch(f"the published tally: {exc}") from None
    roll, _ = fetch_signed_roll(client, election_id, ctx.ceremony.committee.registrar, ctx.hash)
    if recount:
        board = rc.download_board(client, election_id)
        rc.compare(rc.verify_board(election, board, roll), tally_answer)
    shares = _tally_shares(client, election, packed)
    chosen = tuple(sorted(shares)[: ctx.key.t])
    try:
        plaintexts = [
            combine(ctx.key, c, [shares[i][k] for i in chosen]) for k, c in enumerate(packed)
        ]
        counts = unpack(ctx, tally.ballots, plaintexts)
        mine = compute_result(ctx.manifest, counts, issued=len(roll))
    except KiemphieuCryptoError as exc:
        raise rc.Mismatch(f"recombining trustees {list(chosen)}'s shares: {exc}") from None
    if counts != their_counts:
        raise rc.Mismatch("the server's counts differ from the decryption recombined here")
    if mine != theirs:
        diff = ", ".join(_differences(mine, theirs))
        raise rc.Mismatch(f"the server's result differs from the one recomputed here ({diff})")
    return VerifiedResult(election, mine, counts, chosen, recount)


def results_verb(args: argparse.Namespace) -> int:
    policy = KeyPolicy.STANDARD
    if args.insecure_test_key:
        print(INSECURE_WARNING, file=sys.stderr)
        policy = KeyPolicy.TESTING
    client = client_for(args, admin=False)
    verified = verify_result(client, args.election, policy, recount=args.recount)
    if args.json:
        out = {
            "election": args.election,
            "state": verified.election.state,
            "result": codec.to_wire(verified.result),
            "counts": codec.to_wire(verified.counts),
            "verified": {"trustees": list(verified.trustees), "recounted": verified.recounted},
        }
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return 0
    print(render_table(verified.election.context.manifest, verified.result, args.lang))
    check = "ok  recombined from the shares of trustees "
    check += ", ".join(map(str, verified.trustees))
    check += "; every proof, signature and the rules re-checked; equal to the server's result"
    if verified.recounted:
        check += "; tally recounted from the board"
    print(check)
    return 0


def register(verbs: Any) -> None:
    """Add ``results`` to the CLI."""
    text = "fetch, verify and print an election's result"
    p = verbs.add_parser("results", help=text, description=text)
    add_server_argument(p, required=True)
    p.add_argument("--election", required=True, metavar="ID", help="the election id")
    p.add_argument("--json", action="store_true", help="print the verified result as JSON")
    p.add_argument("--lang", choices=("vi", "en"), default="vi", help="labels (default vi)")
    p.add_argument(
        "--recount",
        action="store_true",
        help="also recompute the encrypted tally from the whole board (slower)",
    )
    p.add_argument("--insecure-test-key", action="store_true", help=argparse.SUPPRESS)
    p.set_defaults(handler=guarded(results_verb))
