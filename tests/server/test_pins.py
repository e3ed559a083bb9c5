"""What the registrar and the trustees pin, through the API (issue 10; SQLite and
PostgreSQL): signed cards, the registrar's card and roll signature, the
ceremony's committee, idempotent test shares and close attestations."""

from __future__ import annotations

import dataclasses

import nacl.signing

from kiemphieu.crypto import codec
from kiemphieu.crypto.election import ballot as bl
from kiemphieu.crypto.election.attestation import BoardClose, attest
from kiemphieu.crypto.election.committee import make_registrar
from kiemphieu.crypto.election.credential import new_code
from kiemphieu.crypto.election.roll import sign_roll as registrar_sign
from kiemphieu.crypto.election.trustee import SharePurpose, make_shares

from .conftest import attest_close, manifest_toml, prepare_election, sign_roll
from .test_casting import VOTE, cast, context_of

JSON = {"Content-Type": "application/json"}


def post_json(server, path, doc, *, admin=True):
    if admin:
        return server.admin("post", path, data=codec.dumps(doc), headers=JSON)
    return server.client.post(path, data=codec.dumps(doc), content_type="application/json")


def create(server, eid="test-election"):
    r = server.admin(
        "post",
        "/api/admin/elections",
        data=manifest_toml(election_id=eid).encode(),
        headers={"Content-Type": "application/toml"},
    )
    assert r.status_code == 201, r.json
    return r.json["id"]


def test_a_card_not_signed_by_its_member_is_refused(server, held):
    eid = create(server)
    member = held.committee.trustees[0]
    for forged in (
        dataclasses.replace(member, name="Người khác"),
        dataclasses.replace(member, role="Trưởng ban"),
        dataclasses.replace(
            member, pedersen=dataclasses.replace(member.pedersen, s=member.pedersen.t)
        ),
    ):
        r = post_json(server, f"/api/admin/elections/{eid}/trustees", forged)
        assert (r.status_code, r.json["code"]) == (400, "bad-card"), r.json
    broken = dataclasses.replace(
        member.pedersen, proof=dataclasses.replace(member.pedersen.proof, e=1)
    )
    unsigned_params = dataclasses.replace(member, pedersen=broken)
    r = post_json(server, f"/api/admin/elections/{eid}/trustees", unsigned_params)
    assert r.status_code == 400
    assert server.client.get(f"/api/elections/{eid}/trustees").json["trustees"] == []


def test_registrar_card_rules(server, held):
    eid = create(server)
    card = held.committee.registrar
    path = f"/api/admin/elections/{eid}/registrar"
    forged = dataclasses.replace(card, name="Văn phòng khác")
    assert post_json(server, path, forged).status_code == 400
    assert post_json(server, path, card).status_code == 201
    assert post_json(server, path, card).status_code == 201  # the same again: fine
    other = make_registrar(bytes(nacl.signing.SigningKey.generate()), "Khác")
    r = post_json(server, path, other)
    assert (r.status_code, r.json["code"]) == (409, "registrar-exists")
    assert server.client.get(f"/api/elections/{eid}/registrar").json["registrar"] == (
        codec.to_wire(card)
    )


def test_the_roll_is_signed_only_after_the_key_ceremony(server, held):
    """Credentials may be listed in a draft, but the registrar's signature
    binds H_E: before the ceremony there is nothing to bind, so it is refused."""
    eid = create(server)
    assert post_json(server, f"/api/admin/elections/{eid}/registrar", held.committee.registrar)
    keys = [held.committee.credential(new_code(), eid).public for _ in range(2)]
    r = server.admin(
        "post", f"/api/registrar/elections/{eid}/credentials",
        json={"credentials": [k.hex() for k in keys]},
    )  # fmt: skip
    assert r.status_code == 201
    early = held.committee.sign_roll(eid, bytes(32), keys)
    r = post_json(server, f"/api/registrar/elections/{eid}/roll", early)
    assert (r.status_code, r.json["code"]) == (409, "wrong-state")
    assert server.client.get(f"/api/elections/{eid}/credentials").json["signed_roll"] is None


def test_ceremony_dealt_to_another_committee_is_refused(server, held):
    eid = create(server)
    for member in held.committee.trustees:
        assert post_json(server, f"/api/admin/elections/{eid}/trustees", member).status_code == 201
    r = post_json(server, f"/api/admin/elections/{eid}/keys", held.ceremony)
    assert (r.status_code, r.json["code"]) == (409, "no-registrar")
    other = make_registrar(bytes(nacl.signing.SigningKey.generate()), "Khác")
    assert post_json(server, f"/api/admin/elections/{eid}/registrar", other).status_code == 201
    r = post_json(server, f"/api/admin/elections/{eid}/keys", held.ceremony)
    assert (r.status_code, r.json["code"], r.json["field"]) == (
        400,
        "ceremony-invalid",
        "committee",
    )
    assert server.client.get(f"/api/elections/{eid}").json["state"] == "draft"


def test_open_needs_the_registrars_signature_on_exactly_the_roll(server, held):
    opened = prepare_election(server, held, open_poll=False, signed=False)
    eid = opened.election_id
    keys = [k.public for k in opened.keys]
    r = server.admin("post", f"/api/admin/elections/{eid}/open")
    assert (r.status_code, r.json["code"]) == (409, "roll-unsigned")
    # the server (or anyone with the admin token) cannot sign in the registrar's place
    impostor = registrar_sign(bytes(32), eid, opened.base_hash, keys)
    r = post_json(server, f"/api/registrar/elections/{eid}/roll", impostor)
    assert (r.status_code, r.json["code"]) == (400, "bad-signature")
    # a signature over fewer keys than listed is refused
    partial = held.committee.sign_roll(eid, opened.base_hash, keys[:-1])
    r = post_json(server, f"/api/registrar/elections/{eid}/roll", partial)
    assert (r.status_code, r.json["code"]) == (409, "roll-differs")
    # the registrar's own signature, but for another key ceremony (H_E): refused
    elsewhere = held.committee.sign_roll(eid, bytes(32), keys)
    r = post_json(server, f"/api/registrar/elections/{eid}/roll", elsewhere)
    assert (r.status_code, r.json["code"]) == (400, "bad-signature")
    assert "another key ceremony" in r.json["message"]
    sign_roll(server, held, keys)
    # a puppet credential added after the signature: the poll does not open
    puppet = held.committee.credential(new_code(), eid).public
    r = server.admin(
        "post",
        f"/api/registrar/elections/{eid}/credentials",
        json={"credentials": [puppet.hex()]},
    )
    assert r.status_code == 201
    r = server.admin("post", f"/api/admin/elections/{eid}/open")
    assert (r.status_code, r.json["code"]) == (409, "roll-unsigned")
    assert "5 are listed" in r.json["message"]
    listed = server.client.get(f"/api/elections/{eid}/credentials").json
    assert listed["signed_roll"]["count"] == 4 and len(listed["credentials"]) == 5
    sign_roll(server, held, [*keys, puppet])  # the registrar signs the new roll itself
    assert server.admin("post", f"/api/admin/elections/{eid}/open").status_code == 200
    summary = server.client.get(f"/api/elections/{eid}").json
    assert summary["signed_roll"]["count"] == 5
    entries = server.client.get(f"/api/elections/{eid}/board?limit=1").json["entries"]
    assert entries[0]["entry"]["payload_hash"] == summary["signed_roll"]["roll_hash"]
    late = held.committee.sign_roll(eid, opened.base_hash, keys)
    r = post_json(server, f"/api/registrar/elections/{eid}/roll", late)
    assert (r.status_code, r.json["code"]) == (409, "wrong-state")


def test_test_shares_are_idempotent(server, held):
    opened = prepare_election(server, held, open_poll=False)
    eid = opened.election_id
    again = make_shares(
        held.dealing.shares[0],
        bytes(opened.identities[0]),
        opened.base_hash,
        SharePurpose.TEST,
        (held.dealing.test_ciphertext,),
    )
    r = post_json(server, f"/api/trustee/elections/{eid}/test-shares", again, admin=False)
    assert r.status_code == 201, r.json
    log = server.client.get(f"/api/elections/{eid}/shares").json["shares"]
    assert [e["index"] for e in log] == [1, 2, 3, 4, 5]  # nothing added


def test_attestations(server, held):
    opened = prepare_election(server, held)
    eid = opened.election_id
    ctx = context_of(server, eid)
    assert cast(server, eid, bl.encrypt_ballot(ctx, opened.keys[0], VOTE)).status_code == 201
    path = f"/api/trustee/elections/{eid}/attestations"
    early = attest(held.committee.seed(1), ctx.hash, 1, BoardClose(4, 1, bytes(32), bytes(32)))
    r = post_json(server, path, early, admin=False)
    assert (r.status_code, r.json["code"]) == (409, "wrong-state")
    assert server.admin("post", f"/api/admin/elections/{eid}/close").status_code == 200
    close = attest_close(server, held, [1])
    # the same again is fine; another board is refused, naming the server's
    same = attest(held.committee.seed(1), ctx.hash, 1, close)
    assert post_json(server, path, same, admin=False).status_code == 200
    other = attest(held.committee.seed(2), ctx.hash, 2, dataclasses.replace(close, ballots=7))
    r = post_json(server, path, other, admin=False)
    assert (r.status_code, r.json["code"]) == (409, "other-board")
    assert close.head.hex() in r.json["message"]
    # signed by another key than trustee 3's, or for another election
    forged = attest(held.committee.seed(2), ctx.hash, 3, close)
    assert post_json(server, path, forged, admin=False).status_code == 400
    elsewhere = attest(held.committee.seed(3), bytes(32), 3, close)
    assert post_json(server, path, elsewhere, admin=False).status_code == 400
    listed = server.client.get(f"/api/elections/{eid}/attestations").json["attestations"]
    assert [a["index"] for a in listed] == [1]
