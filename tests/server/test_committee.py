"""The committee through the API: trustee check before opening, tally, shares,
combination, result (SQLite and PostgreSQL)."""

from __future__ import annotations

import dataclasses

import nacl.public
import nacl.signing

from kiemphieu.crypto import codec
from kiemphieu.crypto.election import ballot as bl
from kiemphieu.crypto.election.committee import make_card, place
from kiemphieu.crypto.election.tally import EncryptedTally, accumulate, pack
from kiemphieu.crypto.election.trustee import (
    ZERO_SIGNATURE,
    SharePurpose,
    make_shares,
    shares_message,
)

from ..support.committee import make_pedersen
from .conftest import attest_close, manifest_toml, prepare_election
from .test_casting import cast, context_of


def test_open_refused_until_every_trustee_passed(server, held):
    opened = prepare_election(server, held, open_poll=False, checked=4)
    eid = opened.election_id
    r = server.admin("post", f"/api/admin/elections/{eid}/open")
    assert r.status_code == 409 and r.json["code"] == "trustees-unchecked"
    assert "[5]" in r.json["message"]
    # a share signed by trustee 5's identity but computed with trustee 4's key share
    wrong = make_shares(
        held.dealing.shares[3],
        bytes(opened.identities[4]),
        opened.base_hash,
        SharePurpose.TEST,
        (held.dealing.test_ciphertext,),
    )
    wrong = dataclasses.replace(
        wrong, index=5, shares=tuple(dataclasses.replace(s, index=5) for s in wrong.shares)
    )
    unsigned = dataclasses.replace(wrong, signature=ZERO_SIGNATURE)
    wrong = dataclasses.replace(
        unsigned, signature=bytes(opened.identities[4].sign(shares_message(unsigned)).signature)
    )
    r = server.client.post(
        f"/api/trustee/elections/{eid}/test-shares",
        data=codec.dumps(wrong),
        content_type="application/json",
    )
    assert r.status_code == 422 and r.json["code"] == "invalid-shares"
    log = server.client.get(f"/api/elections/{eid}/shares").json["shares"]
    assert [(e["index"], e["valid"]) for e in log][-1] == (5, False)
    assert server.admin("post", f"/api/admin/elections/{eid}/open").status_code == 409
    good = make_shares(
        held.dealing.shares[4],
        bytes(opened.identities[4]),
        opened.base_hash,
        SharePurpose.TEST,
        (held.dealing.test_ciphertext,),
    )
    r = server.client.post(
        f"/api/trustee/elections/{eid}/test-shares",
        data=codec.dumps(good),
        content_type="application/json",
    )
    assert r.status_code == 201
    assert server.admin("post", f"/api/admin/elections/{eid}/open").status_code == 200


def test_count_with_exactly_t_trustees(server, held):
    opened = prepare_election(server, held, voters=5)
    eid = opened.election_id
    ctx = context_of(server, eid)
    votes = [
        {"leaders": (2, 2), "motion": 0},
        {"leaders": (2, None), "motion": 1},
        {"leaders": (0, 2), "motion": None},
        {"leaders": (1, 2), "motion": 0},
    ]
    ballots = [bl.encrypt_ballot(ctx, k, v) for k, v in zip(opened.keys, votes, strict=False)]
    replaced = bl.encrypt_ballot(ctx, opened.keys[0], {"leaders": (0, 0), "motion": 1})
    for b in [replaced, *ballots]:  # voter 0 revotes: its later ballot counts
        assert cast(server, eid, b).status_code == 201
    assert server.client.get(f"/api/elections/{eid}/tally").status_code == 409  # still open
    assert server.admin("post", f"/api/admin/elections/{eid}/close").status_code == 200
    info = server.client.get(f"/api/elections/{eid}/tally").json
    tally = codec.from_wire(EncryptedTally, info["tally"])
    mine = accumulate(ctx, bl.verify_ballots(ctx, ballots))
    assert tally == mine  # the trustees' own recomputation agrees
    packed = tuple(pack(ctx, mine))
    assert [int(c, 16) for c in info["packed"]] == list(packed)
    assert info["counted"] == [3, 4, 5, 6]
    unattested = make_shares(
        held.dealing.shares[1], bytes(opened.identities[1]), ctx.hash, SharePurpose.TALLY, packed
    )
    r = server.client.post(
        f"/api/trustee/elections/{eid}/tally-shares",
        data=codec.dumps(unattested),
        content_type="application/json",
    )
    assert (r.status_code, r.json["code"]) == (409, "not-attested")
    attest_close(server, held, range(1, 6))
    for i in (1, 3):  # two of three needed: no result yet
        doc = make_shares(
            held.dealing.shares[i],
            bytes(opened.identities[i]),
            ctx.hash,
            SharePurpose.TALLY,
            packed,
        )
        r = server.client.post(
            f"/api/trustee/elections/{eid}/tally-shares",
            data=codec.dumps(doc),
            content_type="application/json",
        )
        assert r.status_code == 201 and r.json["combined"] is False
    again = server.client.post(  # a retry after a lost answer: the same, nothing added
        f"/api/trustee/elections/{eid}/tally-shares",
        data=codec.dumps(doc),
        content_type="application/json",
    )
    assert again.status_code == 201 and again.json["combined"] is False
    posted = server.client.get(f"/api/elections/{eid}/shares").json["shares"]
    assert [e["index"] for e in posted if e["purpose"] == "tally"] == [2, 4]
    assert server.client.get(f"/api/elections/{eid}/result").status_code == 404
    doc = make_shares(
        held.dealing.shares[4], bytes(opened.identities[4]), ctx.hash, SharePurpose.TALLY, packed
    )
    r = server.client.post(
        f"/api/trustee/elections/{eid}/tally-shares",
        data=codec.dumps(doc),
        content_type="application/json",
    )
    assert r.status_code == 201 and r.json["combined"] is True
    out = server.client.get(f"/api/elections/{eid}/result").json
    assert out["state"] == "tallied"
    leaders = out["counts"]["questions"][0]["parts"]
    assert [p["slots"] for p in leaders] == [[1, 1, 2, 0], [0, 0, 3, 1]]
    motion = out["counts"]["questions"][1]["parts"][0]["slots"]
    assert motion == [2, 1, 1]
    result = out["result"]
    assert result["returned"] == 4 and result["issued"] == 5
    p1, p2 = result["questions"][0]["parts"]
    assert p1["flags"] == [] and p2["flags"] == ["low-more-than-half"]  # 3 of 4 low
    assert (p2["valid"], p2["invalid"]) == (3, 1)
    # a late trustee changes nothing; publication is the admin's
    late = make_shares(
        held.dealing.shares[0], bytes(opened.identities[0]), ctx.hash, SharePurpose.TALLY, packed
    )
    r = server.client.post(
        f"/api/trustee/elections/{eid}/tally-shares",
        data=codec.dumps(late),
        content_type="application/json",
    )
    assert r.status_code == 409
    assert server.admin("post", f"/api/admin/elections/{eid}/publish").json["state"] == "published"


def test_trustee_keys_are_distinct(server, pedersen_primes):
    """A second trustee with a registered identity or encryption key is refused:
    two key shares sealed to one key would let one holder open both."""
    r = server.admin(
        "post",
        "/api/admin/elections",
        data=manifest_toml().encode(),
        headers={"Content-Type": "application/toml"},
    )
    assert r.status_code == 201, r.json
    eid = r.json["id"]
    keys = [bytes(nacl.public.PrivateKey.generate().public_key) for _ in range(2)]
    seeds = [bytes(nacl.signing.SigningKey.generate()) for _ in range(2)]
    ids = [0, 1]

    def add(index, identity, sealing):
        seed = seeds[identity]
        card = make_card(
            seed, sealing, f"Thành viên {index}", "Ủy viên", make_pedersen(seed, pedersen_primes)
        )
        return server.admin(
            "post",
            f"/api/admin/elections/{eid}/trustees",
            data=codec.dumps(place(index, card)),
            headers={"Content-Type": "application/json"},
        )

    assert add(1, ids[0], keys[0]).status_code == 201
    for identity, sealing, field in [
        (ids[1], keys[0], "encryption_key"),
        (ids[0], keys[1], "identity_key"),
    ]:
        r = add(2, identity, sealing)
        assert (r.status_code, r.json["code"], r.json["field"]) == (409, "trustee-exists", field)
    assert add(2, ids[1], keys[1]).status_code == 201
    assert len(server.client.get(f"/api/elections/{eid}/trustees").json["trustees"]) == 2
