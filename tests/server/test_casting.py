"""Casting and the board through the API (SQLite and PostgreSQL)."""

from __future__ import annotations

import dataclasses

from kiemphieu.crypto import codec
from kiemphieu.crypto.election import ballot as bl
from kiemphieu.crypto.election.board import BoardEntry, Receipt, verify_chain, verify_receipt
from kiemphieu.crypto.election.ceremony import KeyCeremony
from kiemphieu.crypto.election.context import ElectionContext
from kiemphieu.crypto.election.credential import derive_key, new_code
from kiemphieu.crypto.election.manifest import Manifest
from kiemphieu.crypto.primitives.paillier import KeyPolicy

from .conftest import prepare_election

VOTE = {"leaders": (0, 2), "motion": 1}


def context_of(server, eid) -> ElectionContext:
    info = server.client.get(f"/api/elections/{eid}").json
    manifest = codec.from_wire(Manifest, info["manifest"])
    ceremony = codec.from_wire(KeyCeremony, info["key_ceremony"])
    ctx = ElectionContext(manifest, ceremony, KeyPolicy.TESTING)
    assert ctx.hash.hex() == info["base_hash"]
    return ctx


def cast(server, eid, ballot):
    return server.client.post(
        f"/api/elections/{eid}/ballots", data=codec.dumps(ballot), content_type="application/json"
    )


def board_entries(server, eid):
    out = server.client.get(f"/api/elections/{eid}/board?limit=500").json
    return [codec.from_wire(BoardEntry, e["entry"]) for e in out["entries"]], out


def test_cast_receipt_board_and_idempotence(opened):
    server, eid = opened.server, opened.election_id
    ctx = context_of(server, eid)
    receipt_key = bytes.fromhex(server.client.get("/api/server").json["receipt_key"])
    ballot = bl.encrypt_ballot(ctx, opened.keys[0], VOTE)
    r = cast(server, eid, ballot)
    assert r.status_code == 201, r.json
    receipt = verify_receipt(codec.from_wire(Receipt, r.json), receipt_key)
    assert receipt.tracking_code == bl.tracking_code(ballot)
    assert receipt.position == 2  # roll, open, then this ballot
    again = cast(server, eid, ballot)
    assert again.status_code == 200 and again.json == r.json
    entries, listing = board_entries(server, eid)
    assert len(entries) == 3
    assert verify_chain(ctx.hash, entries) == receipt.head
    assert listing["entries"][2]["ballot"] == codec.to_wire(ballot)
    found = server.client.get(f"/api/elections/{eid}/ballots/{receipt.tracking_code.hex()}")
    assert found.status_code == 200 and found.json["receipt"] == r.json
    assert server.client.get(f"/api/elections/{eid}/turnout").json == {
        "state": "open",
        "credentials": 4,
        "ballots": 1,
        "voters": 1,
    }


def test_revote_last_counts_and_refuse(server, held):
    opened = prepare_election(server, held, revote="refuse")
    ctx = context_of(server, opened.election_id)
    first = bl.encrypt_ballot(ctx, opened.keys[1], VOTE)
    assert cast(server, opened.election_id, first).status_code == 201
    second = bl.encrypt_ballot(ctx, opened.keys[1], {"leaders": (1, 1), "motion": None})
    r = cast(server, opened.election_id, second)
    assert r.status_code == 409 and r.json["code"] == "already-voted"
    assert server.client.get(f"/api/elections/{opened.election_id}/board/head").json["size"] == 3


def test_revote_appends_when_last_counts(opened):
    server, eid = opened.server, opened.election_id
    ctx = context_of(server, eid)
    for vote in (VOTE, {"leaders": (None, 1), "motion": 0}):
        assert cast(server, eid, bl.encrypt_ballot(ctx, opened.keys[2], vote)).status_code == 201
    turnout = server.client.get(f"/api/elections/{eid}/turnout").json
    assert (turnout["ballots"], turnout["voters"]) == (2, 1)


def test_refusals_change_nothing(opened):
    server, eid = opened.server, opened.election_id
    ctx = context_of(server, eid)
    head = server.client.get(f"/api/elections/{eid}/board/head").json
    stranger = derive_key(new_code(), eid, ctx.registrar_key)
    good = bl.encrypt_ballot(ctx, opened.keys[0], VOTE)
    forged_sig = dataclasses.replace(good, signature=bytes(64))
    thief = bl.encrypt_ballot(ctx, stranger, VOTE)
    moved = dataclasses.replace(good, credential=opened.keys[1].public)
    cases = [
        (b"{not json", 400, "malformed"),
        (b"[]", 400, "malformed"),
        (b'{"type":"ballot","version":2}', 400, "malformed"),
        (codec.dumps(good).replace(b'"version":1', b'"version":1,"extra":1'), 400, "malformed"),
        (codec.dumps(forged_sig), 422, "bad-signature"),
        (codec.dumps(moved), 422, "bad-signature"),
        (codec.dumps(thief), 403, "unknown-credential"),
    ]
    for body, status, code in cases:
        r = server.client.post(
            f"/api/elections/{eid}/ballots", data=body, content_type="application/json"
        )
        assert (r.status_code, r.json["code"]) == (status, code), (body[:60], r.json)
        assert set(r.json) == {"code", "message", "field"}
    huge = b'{"a":"' + b"x" * (server.config.max_body_bytes + 10) + b'"}'
    r = server.client.post(
        f"/api/elections/{eid}/ballots", data=huge, content_type="application/json"
    )
    assert r.status_code == 413 and r.json["code"] == "too-large"
    r = server.client.post(
        "/api/elections/nope/ballots", data=codec.dumps(good), content_type="application/json"
    )
    assert r.status_code == 404
    assert server.client.get(f"/api/elections/{eid}/board/head").json == head


def bogus(ballot: bl.Ballot, key) -> bl.Ballot:
    """The ballot with one proof broken (two responses swapped), signed again by its
    credential: the signature holds, the proof does not."""
    ans = ballot.answers[1]
    proof = ans.proofs[0]
    bad_proof = dataclasses.replace(proof, z=(proof.z[1], proof.z[0], *proof.z[2:]))
    unsigned = dataclasses.replace(
        ballot,
        answers=(ballot.answers[0], dataclasses.replace(ans, proofs=(bad_proof,))),
        signature=bl.ZERO_SIGNATURE,
    )
    return dataclasses.replace(unsigned, signature=key.sign(bl.signing_message(unsigned)))


def test_invalid_proof_is_refused(opened):
    server, eid = opened.server, opened.election_id
    ctx = context_of(server, eid)
    signed = bogus(bl.encrypt_ballot(ctx, opened.keys[0], VOTE), opened.keys[0])
    r = cast(server, eid, signed)
    assert r.status_code == 422 and r.json["code"] == "invalid-ballot"


def test_lifecycle_refusals(server, held):
    opened = prepare_election(server, held, open_poll=False)
    eid = opened.election_id
    ctx = context_of(server, eid)
    ballot = bl.encrypt_ballot(ctx, opened.keys[0], VOTE)
    r = cast(server, eid, ballot)
    assert r.status_code == 409 and r.json["code"] == "not-open"
    assert server.admin("post", f"/api/admin/elections/{eid}/close").status_code == 409
    assert server.admin("post", f"/api/admin/elections/{eid}/open").status_code == 200
    assert server.admin("post", f"/api/admin/elections/{eid}/open").status_code == 409
    r = server.admin(
        "post",
        f"/api/registrar/elections/{eid}/credentials",
        json={"credentials": [bytes(32).hex()]},
    )
    assert r.status_code == 409
    assert cast(server, eid, ballot).status_code == 201
    assert server.admin("post", f"/api/admin/elections/{eid}/close").status_code == 200
    late = bl.encrypt_ballot(ctx, opened.keys[1], VOTE)
    assert cast(server, eid, late).status_code == 409
    entries, _ = board_entries(server, eid)
    assert [e.kind.value for e in entries] == ["roll", "open", "ballot", "close"]
    # the close starts the closed record's build, which computes the tally
    assert server.app.extensions["kiemphieu"].record_builder.wait(eid, timeout=60)
    actions = [e["action"] for e in server.client.get(f"/api/audit?election={eid}").json["entries"]]
    assert actions == [
        "create",
        *["add-trustee"] * 5,
        "set-registrar",
        "publish-keys",
        "add-credentials",
        "sign-roll",
        *["test-shares"] * 5,
        "open",
        "close",
        "tally",
    ]


def test_admin_needs_token(server):
    r = server.client.post(
        "/api/admin/elections", data=b"x", headers={"Authorization": "Bearer wrong"}
    )
    assert r.status_code == 401
    r = server.client.post("/api/admin/elections", data=b"x")
    assert r.status_code == 401


def test_a_credential_sending_bogus_ballots_is_refused_unchecked_and_no_one_else(
    opened, monkeypatch
):
    """Issue 13: refused ballots count per credential; past the limit its ballots get
    429 with Retry-After before any proof is checked, and other voters are served."""
    server, eid = opened.server, opened.election_id
    services = server.app.extensions["kiemphieu"]
    from kiemphieu.server.ratelimit import RateLimiter

    monkeypatch.setattr(services, "ballot_limiter", RateLimiter(2, 3600))
    ctx = context_of(server, eid)
    ballot = bl.encrypt_ballot(ctx, opened.keys[0], VOTE)
    flood = bogus(ballot, opened.keys[0])
    for _ in range(2):
        assert cast(server, eid, flood).status_code == 422
    from kiemphieu.server import casting

    checked: list[int] = []
    real = casting.cast
    monkeypatch.setattr(casting, "cast", lambda *a, **k: checked.append(1) or real(*a, **k))
    r = cast(server, eid, flood)
    assert r.status_code == 429 and r.json["code"] == "rate-limited"
    assert int(r.headers["Retry-After"]) >= 1 and not checked  # refused before any proof
    other = bl.encrypt_ballot(ctx, opened.keys[1], VOTE)
    assert cast(server, eid, other).status_code == 201  # another voter is served
    assert checked == [1]  # and only that ballot reached the verification
    assert cast(server, eid, ballot).status_code == 429  # the flooding credential waits


def test_ballots_forged_in_a_voters_name_never_lock_that_voter_out(opened, monkeypatch):
    """A credential's public key is on the public roll: ballots naming it with a bad
    signature are refused, but do not count against it (issue 13)."""
    server, eid = opened.server, opened.election_id
    services = server.app.extensions["kiemphieu"]
    from kiemphieu.server.ratelimit import RateLimiter

    monkeypatch.setattr(services, "ballot_limiter", RateLimiter(2, 3600))
    ctx = context_of(server, eid)
    ballot = bl.encrypt_ballot(ctx, opened.keys[2], VOTE)
    forged = dataclasses.replace(bogus(ballot, opened.keys[2]), signature=bytes(64))
    for _ in range(5):
        r = cast(server, eid, forged)
        assert r.status_code == 422 and r.json["code"] == "bad-signature"
    assert cast(server, eid, ballot).status_code == 201  # the voter is served
