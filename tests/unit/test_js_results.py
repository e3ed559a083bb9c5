"""End to end: the browser's results verifier (client/web/js/results/) on the
replies of the public API for a whole small election (issue 5, point 4); and
the board page's check of a saved receipt (client/web/js/crypto/board.js) on
boards and receipts made by Python (issue 10).

A 512-bit election (tests/conftest.py key ceremony, `held`) with QĐ 96 rules:
ballots, encrypted tally, packing, trustee share documents (test and tally)
signed by the committee's identity keys, combination with the t lowest
trustees, counts and result, all made by the Python code. The replies (GET
/api/elections/<id>, /shares, /tally, /result) are shaped as
server/api/public.py shapes them, with the same codec.to_wire calls, and node
runs the verifier on them; the committee whose keys sign the shares is the
one in the summary's key ceremony, bound by H_E (GET /trustees is not read).
The verdict must be ok and its counts and result equal Python's; then each
kind of field is tampered with and the verdict must name the check that fails.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import nacl.signing
import pytest

from kiemphieu.crypto import codec
from kiemphieu.crypto.election import ballot as bl
from kiemphieu.crypto.election import board as bd
from kiemphieu.crypto.election.context import ElectionContext
from kiemphieu.crypto.election.credential import derive_key, new_code
from kiemphieu.crypto.election.result import compute_result
from kiemphieu.crypto.election.rules import (
    Comparison,
    Denominator,
    Fraction,
    LocalizedLabel,
    Revote,
    Rules,
    Threshold,
)
from kiemphieu.crypto.election.tally import accumulate, pack, unpack
from kiemphieu.crypto.election.trustee import (
    ZERO_SIGNATURE,
    SharePurpose,
    TrusteeShares,
    make_shares,
    shares_message,
)
from kiemphieu.crypto.primitives.combination import combine, verify_decryption_share
from kiemphieu.crypto.primitives.paillier import KeyPolicy

from ..conftest import make_manifest

ROOT = Path(__file__).resolve().parents[2]
RUNNER = ROOT / "tests" / "js" / "verdict-cli.mjs"
RECEIPTS = ROOT / "tests" / "js" / "receipt-cli.mjs"
CHECKS = [
    "base-hash",
    "packing",
    "share-signatures",
    "share-proofs",
    "combination",
    "unpacking",
    "result",
]
TALLY_TRUSTEES = (1, 2, 3, 4)  # t = 3: trustee 4 is spare, trustee 5 posts a refused document
ISSUED = 6

VOTES = [  # leaders: level per row (0 high, 1 mid, 2 low, None blank)
    {"leaders": (2, 2, 0, 1, None), "motion": 0, "board": frozenset({0, 1})},
    {"leaders": (2, 2, 0, 1, 0), "motion": 0, "board": frozenset({1})},
    {"leaders": (2, 2, 1, None, 0), "motion": 1, "board": frozenset({0, 2, 4})},
    {"leaders": (0, 2, 1, 1, 0), "motion": 0, "board": frozenset({3})},
    {"leaders": (1, None, 2, 1, 0), "motion": 2, "board": frozenset({0, 1, 3})},
]


def _flag(tid: str, where: tuple[str, str], comparison: Comparison, fraction: Fraction):
    return Threshold(
        tid,
        where[0],
        where[1],
        comparison,
        fraction,
        Denominator.RETURNED,
        LocalizedLabel(tid, tid),
    )


def rules() -> Rules:
    """QĐ 96: quorum 2/3 of the summoned; `low` more than half, two thirds or more."""
    return Rules(
        summoned=7,
        quorum=Fraction(2, 3),
        denominator=Denominator.RETURNED,
        thresholds=(
            _flag("low-more-than-half", ("leaders", "low"), Comparison.MORE_THAN, Fraction(1, 2)),
            _flag("low-two-thirds", ("leaders", "low"), Comparison.AT_LEAST, Fraction(2, 3)),
            _flag("motion-passed", ("motion", "yes"), Comparison.MORE_THAN, Fraction(1, 2)),
        ),
        revote=Revote.LAST_COUNTS,
        trustees=5,
        threshold=3,
    )


@dataclasses.dataclass
class Tallied:
    replies: dict[str, Any]
    identities: list[nacl.signing.SigningKey]
    counts: dict[str, Any]
    result: dict[str, Any]


def share_entry(doc: TrusteeShares, *, valid: bool = True, error: str | None = None):
    """One item of GET /shares as committee.share_log writes it."""
    return {
        "index": doc.index,
        "purpose": doc.purpose.value,
        "valid": valid,
        "error": error,
        "at": "2026-12-15T09:00:00Z",
        "shares": json.loads(codec.dumps(doc)),
    }


@pytest.fixture(scope="module")
def election(held) -> Tallied:
    """The tallied election under the session's key ceremony (named `election`
    here: the tests below read its replies)."""
    dealing = held.dealing
    manifest = dataclasses.replace(make_manifest(), rules=rules())
    ctx = ElectionContext(manifest, held.ceremony, KeyPolicy.TESTING)
    eid = manifest.election_id
    keys = [derive_key(new_code(), eid, ctx.registrar_key) for _ in VOTES]
    ballots = [bl.encrypt_ballot(ctx, k, v) for k, v in zip(keys, VOTES, strict=True)]
    enc = accumulate(ctx, bl.verify_ballots(ctx, ballots))
    packed = pack(ctx, enc)
    identities = [
        nacl.signing.SigningKey(held.committee.seed(i)) for i in range(1, len(dealing.shares) + 1)
    ]
    log = []
    for share, ident in zip(dealing.shares, identities, strict=True):
        test = make_shares(
            share, bytes(ident), ctx.hash, SharePurpose.TEST, (dealing.test_ciphertext,)
        )
        log.append(share_entry(test))
    tally_docs = {}
    for i in TALLY_TRUSTEES:
        doc = make_shares(
            dealing.shares[i - 1], bytes(identities[i - 1]), ctx.hash, SharePurpose.TALLY, packed
        )
        tally_docs[i] = doc
        log.append(share_entry(doc))
    # trustee 5 signs shares made with trustee 4's key: the server refused it
    wrong = make_shares(
        dealing.shares[3], bytes(identities[4]), ctx.hash, SharePurpose.TALLY, packed
    )
    wrong = dataclasses.replace(
        wrong, index=5, shares=tuple(dataclasses.replace(s, index=5) for s in wrong.shares)
    )
    log.append(
        share_entry(resign(wrong, identities[4]), valid=False, error="proof does not verify")
    )
    chosen = sorted(tally_docs)[: ctx.key.t]
    plaintexts = [
        combine(
            ctx.key,
            c,
            [
                verify_decryption_share(ctx.key, c, tally_docs[i].shares[k], ctx.hash)
                for i in chosen
            ],
        )
        for k, c in enumerate(packed)
    ]
    counts = unpack(ctx, enc.ballots, plaintexts)
    result = compute_result(manifest, counts, issued=ISSUED)
    replies = {
        "summary": {
            "id": eid,
            "state": "tallied",
            "manifest": codec.to_wire(manifest),
            "key_ceremony": codec.to_wire(held.ceremony),
            "base_hash": ctx.hash.hex(),
            "board_size": len(ballots) + 3,
            "board_head": "ab" * 32,
            "created_at": "2026-12-15T08:00:00Z",
            "updated_at": "2026-12-15T10:00:00Z",
        },
        "shares": {"shares": log},
        "tally": {
            "tally": codec.to_wire(enc),
            "packed": [format(c, "x") for c in packed],
            "counted": list(range(3, 3 + len(ballots))),
        },
        "result": {
            "state": "tallied",
            "result": codec.to_wire(result),
            "counts": codec.to_wire(counts),
        },
    }
    return Tallied(replies, identities, codec.to_wire(counts), codec.to_wire(result))


def resign(doc: TrusteeShares, identity: nacl.signing.SigningKey) -> TrusteeShares:
    unsigned = dataclasses.replace(doc, signature=ZERO_SIGNATURE)
    return dataclasses.replace(
        unsigned, signature=bytes(identity.sign(shares_message(unsigned)).signature)
    )


def run_node(cases: dict[str, dict[str, Any]], runner: Path = RUNNER) -> dict[str, dict[str, Any]]:
    """The JSON answers of the Node script ``runner`` to ``cases``."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is required for the browser verifier's tests (see the Makefile)")
    done = subprocess.run(
        [node, str(runner)],
        input=json.dumps(cases).encode(),
        capture_output=True,
        timeout=300,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    return json.loads(done.stdout)


def failed(verdict: dict[str, Any]) -> set[str]:
    return {c["id"] for c in verdict["checks"] if not c["ok"]}


# --- tampering, one kind of field at a time -------------------------------------------


def tally_doc(replies: dict[str, Any], index: int) -> dict[str, Any]:
    """The wire tally-shares document of trustee ``index`` inside the replies."""
    for entry in replies["shares"]["shares"]:
        if entry["purpose"] == "tally" and entry["index"] == index and entry["valid"]:
            return entry["shares"]
    raise KeyError(index)


def flip_hex(value: str) -> str:
    return value[:-1] + format(int(value[-1], 16) ^ 2, "x")


def set_doc(replies: dict[str, Any], index: int, doc: dict[str, Any]) -> None:
    for entry in replies["shares"]["shares"]:
        if entry["purpose"] == "tally" and entry["index"] == index and entry["valid"]:
            entry["shares"] = doc


def signed_again(election: Tallied, wire: dict[str, Any]) -> dict[str, Any]:
    doc = codec.from_wire(TrusteeShares, wire)
    return codec.to_wire(resign(doc, election.identities[doc.index - 1]))


def tamper_share_value(election, r, resigned):
    doc = tally_doc(r, 1)
    doc["shares"][0]["ci"] = flip_hex(doc["shares"][0]["ci"])
    if resigned:
        set_doc(r, 1, signed_again(election, doc))


def tamper_proof(election, r, field):
    doc = tally_doc(r, 2)
    proof = doc["shares"][-1]["proof"]
    proof[field] = flip_hex(proof[field])
    set_doc(r, 2, signed_again(election, doc))


TAMPERS = {
    # name: (tamper(election, replies), the checks that must fail, exactly)
    "share-value-signed": (
        lambda e, r: tamper_share_value(e, r, True),
        {"share-proofs"},
    ),
    "share-value-unsigned": (
        lambda e, r: tamper_share_value(e, r, False),
        {"share-signatures", "share-proofs"},
    ),
    "proof-a": (lambda e, r: tamper_proof(e, r, "a"), {"share-proofs"}),
    "proof-b": (lambda e, r: tamper_proof(e, r, "b"), {"share-proofs"}),
    "proof-z": (lambda e, r: tamper_proof(e, r, "z"), {"share-proofs"}),
    "signature": (
        lambda e, r: tally_doc(r, 3).update(signature=flip_hex(tally_doc(r, 3)["signature"])),
        {"share-signatures"},
    ),
    "count": (
        lambda e, r: r["result"]["counts"]["questions"][0]["parts"][1]["slots"].__setitem__(
            0, r["result"]["counts"]["questions"][0]["parts"][1]["slots"][0] + 1
        ),
        {"unpacking"},
    ),
    "percentage": (
        lambda e, r: r["result"]["result"]["questions"][0]["parts"][0]["slots"][2].update(
            percent="50.00"
        ),
        {"result"},
    ),
    "flag": (
        lambda e, r: r["result"]["result"]["questions"][0]["parts"][1]["flags"].clear(),
        {"result"},
    ),
    # the rule before issue 16: 4 low of 5 raised both tiers (QĐ 96 Điều 11 has one)
    "both-tiers": (
        lambda e, r: r["result"]["result"]["questions"][0]["parts"][1].update(
            flags=["low-more-than-half", "low-two-thirds"]
        ),
        {"result"},
    ),
    "quorum": (
        lambda e, r: r["result"]["result"].update(
            quorum_met=not r["result"]["result"]["quorum_met"]
        ),
        {"result"},
    ),
    "base-hash-claimed": (
        lambda e, r: r["summary"].update(base_hash=flip_hex(r["summary"]["base_hash"])),
        {"base-hash"},
    ),
    "packed": (
        lambda e, r: r["tally"]["packed"].__setitem__(0, flip_hex(r["tally"]["packed"][0])),
        {"packing"},
    ),
    "too-few-trustees": (
        lambda e, r: [
            entry.update(valid=False)
            for entry in r["shares"]["shares"]
            if entry["purpose"] == "tally" and entry["index"] in (2, 3, 4)
        ],
        {"combination", "unpacking"},
    ),
}

# tampers whose damage spreads to later checks: only the first failing one is fixed
SPREADING = {
    "verification-key": (
        lambda e, r: r["summary"]["key_ceremony"]["key"]["vks"].__setitem__(
            0, flip_hex(r["summary"]["key_ceremony"]["key"]["vks"][0])
        ),
        "base-hash",
    ),
    # the committee is bound by H_E: another identity key is another election
    "trustee-key": (
        lambda e, r: r["summary"]["key_ceremony"]["committee"]["trustees"][0].update(
            identity_key=bytes(nacl.signing.SigningKey.generate().verify_key).hex()
        ),
        "base-hash",
    ),
    "manifest-rules": (
        lambda e, r: r["summary"]["manifest"]["rules"]["thresholds"][0]["fraction"].update(num=0),
        "base-hash",
    ),
    "tally-ciphertext": (
        lambda e, r: r["tally"]["tally"]["questions"][1]["ciphertexts"].__setitem__(
            0, flip_hex(r["tally"]["tally"]["questions"][1]["ciphertexts"][0])
        ),
        "packing",
    ),
}

MALFORMED = {
    "no-summary": lambda r: r.update(summary=None),
    "shares-not-a-list": lambda r: r["shares"].update(shares="x"),
    "proof-not-hex": lambda r: tally_doc(r, 1)["shares"][0]["proof"].update(z="0x12"),
    "no-result": lambda r: r.update(result={"code": "not-found"}),
    "tally-missing": lambda r: r.update(tally=[]),
}


@pytest.fixture(scope="module")
def verdicts(election) -> dict[str, dict[str, Any]]:
    cases = {"honest": election.replies}
    for name, (tamper, _) in {**TAMPERS, **SPREADING}.items():
        replies = copy.deepcopy(election.replies)
        tamper(election, replies)
        cases[name] = replies
    for name, tamper in MALFORMED.items():
        replies = copy.deepcopy(election.replies)
        tamper(replies)
        cases[name] = replies
    return run_node(cases)


def test_honest_election_verifies(election, verdicts):
    verdict = verdicts["honest"]
    assert [c["id"] for c in verdict["checks"]] == CHECKS
    assert failed(verdict) == set(), verdict["checks"]
    assert verdict["ok"] is True
    assert verdict["counts"] == election.counts
    assert verdict["result"] == election.result
    by_id = {c["id"]: c for c in verdict["checks"]}
    assert by_id["share-signatures"]["passed"] == len(TALLY_TRUSTEES)
    assert "1 refused by the server" in by_id["share-signatures"]["detail"]
    groups = len(election.replies["tally"]["packed"])
    assert by_id["share-proofs"]["passed"] == len(TALLY_TRUSTEES) * groups
    assert "trustees 1, 2, 3" in by_id["combination"]["detail"]


def test_the_honest_result_raises_flags(election):
    leaders = election.result["questions"][0]["parts"]
    assert leaders[0]["flags"] == ["low-more-than-half"]  # 3 of 5 low
    assert leaders[1]["flags"] == ["low-two-thirds"]  # 4 of 5: the upper tier only
    assert election.result["quorum_met"] is True  # 3·5 ≥ 2·7


@pytest.mark.parametrize("name", sorted(TAMPERS))
def test_tampered_field_fails_its_check(verdicts, name):
    verdict = verdicts[name]
    assert verdict["ok"] is False
    assert failed(verdict) == TAMPERS[name][1], verdict["checks"]
    for c in verdict["checks"]:
        if not c["ok"]:
            assert c["detail"], c


@pytest.mark.parametrize("name", sorted(SPREADING))
def test_tampered_field_fails_first_at_its_check(verdicts, name):
    verdict = verdicts[name]
    assert verdict["ok"] is False
    first = next(c["id"] for c in verdict["checks"] if not c["ok"])
    assert first == SPREADING[name][1], verdict["checks"]


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_reply_is_reported_not_thrown(verdicts, name):
    verdict = verdicts[name]
    assert verdict["ok"] is False
    assert [c["id"] for c in verdict["checks"]] == CHECKS
    assert any(c["detail"] for c in verdict["checks"] if not c["ok"])


def test_named_failures_point_at_the_trustee(verdicts):
    proofs = {c["id"]: c for c in verdicts["share-value-signed"]["checks"]}["share-proofs"]
    assert "decryption share 1" in proofs["detail"] and proofs["failed"] == 1
    combination = {c["id"]: c for c in verdicts["share-value-signed"]["checks"]}["combination"]
    assert "trustees 2, 3, 4" in combination["detail"]
    sig = {c["id"]: c for c in verdicts["signature"]["checks"]}["share-signatures"]
    assert "trustee 3" in sig["detail"] and sig["failed"] == 1


def test_the_trustees_reply_is_not_what_the_verifier_trusts(election):
    """A GET /trustees reply with other identity keys changes nothing: the
    committee comes from the key ceremony under H_E."""
    replies = copy.deepcopy(election.replies)
    replies["trustees"] = {
        "trustees": [
            {"index": i, "identity_key": bytes(nacl.signing.SigningKey.generate().verify_key).hex()}
            for i in range(1, 6)
        ]
    }
    verdict = run_node({"with-trustees": replies})["with-trustees"]
    assert verdict["ok"] is True, verdict["checks"]


# --- saved receipts held against the board (board.js, issue 10) -----------------------

SERVER_SEED = bytes(range(100, 132))
OTHER_SEED = bytes(range(200, 232))


@dataclasses.dataclass
class BoardSetup:
    ctx: ElectionContext
    summary: dict[str, Any]
    ballots: dict[str, bl.Ballot]  # "A1", "B1", …: voter letter, then its n-th ballot
    roll: list[bytes]


def board_of(setup: BoardSetup, order: list[bl.Ballot]) -> list[dict[str, Any]]:
    """GET /board items as server/api/public.py writes them: the roll, the
    opening, then `order`, with every head chained from the genesis."""
    h = setup.ctx.hash
    head = bd.genesis(h)
    items: list[dict[str, Any]] = []

    def add(kind: bd.EntryKind, payload: bytes, ballot: bl.Ballot | None = None) -> None:
        nonlocal head
        position = len(items)
        head = bd.next_head(h, position, kind, payload, head)
        items.append(
            {
                "entry": codec.to_wire(bd.BoardEntry(position, kind, payload, head)),
                "ballot": json.loads(codec.dumps(ballot)) if ballot is not None else None,
                "at": "2026-12-15T09:00:00Z",
            }
        )

    add(bd.EntryKind.ROLL, bd.roll_hash(setup.roll))
    add(bd.EntryKind.OPEN, h)
    for ballot in order:
        add(bd.EntryKind.BALLOT, bl.tracking_code(ballot), ballot)
    return items


def receipt_for(
    setup: BoardSetup, board: list[dict[str, Any]], ballot: bl.Ballot, seed: bytes = SERVER_SEED
) -> dict[str, Any]:
    """The server's receipt for `ballot` where it stands on `board`."""
    code = bl.tracking_code(ballot)
    entry = next(i["entry"] for i in board if i["entry"]["payload_hash"] == code.hex())
    receipt = bd.sign_receipt(
        seed, setup.ctx.hash, code, entry["position"], bytes.fromhex(entry["head"])
    )
    return codec.to_wire(receipt)


@pytest.fixture(scope="module")
def board_setup(held) -> BoardSetup:
    manifest = make_manifest()
    ctx = ElectionContext(manifest, held.ceremony, KeyPolicy.TESTING)
    eid = manifest.election_id
    voters = {letter: derive_key(new_code(), eid, ctx.registrar_key) for letter in "ABCDE"}
    plan = ["A1", "B1", "A2", "C1", "A3", "D1", "E1", "D2"]
    ballots = {
        label: bl.encrypt_ballot(ctx, voters[label[0]], VOTES[k % len(VOTES)])
        for k, label in enumerate(plan)
    }
    summary = {
        "id": eid,
        "state": "open",
        "manifest": codec.to_wire(manifest),
        "key_ceremony": codec.to_wire(held.ceremony),
        "base_hash": ctx.hash.hex(),
        "signed_roll": None,
    }
    return BoardSetup(ctx, summary, ballots, [k.public for k in voters.values()])


@pytest.fixture(scope="module")
def receipt_verdicts(board_setup):
    s = board_setup
    b = s.ballots
    honest = board_of(s, [b[k] for k in ("A1", "B1", "A2", "C1", "A3", "D1", "E1", "D2")])
    server_key = bytes(nacl.signing.SigningKey(SERVER_SEED).verify_key).hex()

    def case(receipt, board=honest, key=server_key, page_max=100):
        return {
            "summary": s.summary,
            "serverKey": key,
            "receipt": receipt,
            "board": board,
            "pageMax": page_max,
        }

    a1, b1, a3 = (receipt_for(s, honest, b[k]) for k in ("A1", "B1", "A3"))
    # a ballot of voter A whose signature is not A's, at position 8
    forged = dataclasses.replace(b["A2"], signature=bytes(64))
    with_forgery = board_of(s, [b[k] for k in ("A1", "B1", "A2", "C1", "A3", "D1")] + [forged])
    other_first = board_of(s, [b[k] for k in ("D1", "B1", "A2", "C1", "A3")])  # B1 stays at 3
    replaced = board_of(s, [b[k] for k in ("A1", "C1", "A2", "B1")])  # B1 moved to 5
    other_election = dataclasses.replace(codec.from_wire(bd.Receipt, b1), election=bytes(32))
    resigned = bd.sign_receipt(
        SERVER_SEED,
        other_election.election,
        other_election.tracking_code,
        other_election.position,
        other_election.head,
    )
    last = int(b1["signature"][-2:], 16) ^ 1  # a changed byte, whatever it was
    bad_signature = {**b1, "signature": b1["signature"][:-2] + f"{last:02x}"}
    cases = {
        "counted": case(b1),
        "counted-last": case(a3),
        "superseded": case(a1),
        "superseded-small-pages": case(a1, page_max=2),
        "absent": case(b1, board=honest[:3]),
        "replaced": case(b1, board=replaced),
        "head": case(b1, board=other_first),
        "forged": case(a1, board=with_forgery),
        "other-election": case(codec.to_wire(resigned)),
        "bad-signature": case(bad_signature),
        "other-server": case(b1, key=bytes(nacl.signing.SigningKey(OTHER_SEED).verify_key).hex()),
        "not-a-receipt": case({"type": "ballot", "version": 1}),
    }
    return run_node(cases, RECEIPTS)


@pytest.mark.parametrize(
    ("name", "status", "position", "later"),
    [
        ("counted", "counted", 3, None),
        ("counted-last", "counted", 6, None),
        ("superseded", "superseded", 2, 6),
        ("superseded-small-pages", "superseded", 2, 6),
        ("absent", "absent", 3, None),
        ("replaced", "replaced", 3, None),
        ("head", "head", 3, None),
        ("forged", "forged", 2, 8),
    ],
)
def test_a_saved_receipt_is_held_against_the_board(receipt_verdicts, name, status, position, later):
    verdict = receipt_verdicts[name]
    assert "error" not in verdict, verdict
    assert (verdict["status"], verdict["position"], verdict["later"]) == (status, position, later)
    assert len(verdict["trackingCode"]) == 64


def test_small_pages_are_followed_to_the_end(receipt_verdicts):
    assert receipt_verdicts["superseded-small-pages"]["requests"] > 4
    assert receipt_verdicts["superseded"]["requests"] <= 3


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("other-election", "election"),
        ("bad-signature", "signature"),
        ("other-server", "server-key"),
        ("not-a-receipt", "form"),
    ],
)
def test_a_receipt_that_is_not_this_server_s_is_refused(receipt_verdicts, name, reason):
    verdict = receipt_verdicts[name]
    assert (verdict.get("error"), verdict.get("reason")) == ("ReceiptError", reason), verdict
