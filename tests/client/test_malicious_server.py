"""Issue 10's attacks by a server that lies, played through the real CLI against a
real server process (on SQLite and on PostgreSQL) whose answers are rewritten
on their way to the client (as a malicious server would send them). Each
attack is shown in the shape that worked before (what the server sends) and
refused now, with nothing posted.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import secrets

import pytest
import requests

from kiemphieu.client.cli.http import ApiClient
from kiemphieu.client.cli.keystore import load_registrar_card
from kiemphieu.crypto import codec
from kiemphieu.crypto.election.ceremony import KeyCeremony
from kiemphieu.crypto.election.committee import make_registrar
from kiemphieu.crypto.election.credential import new_code

from ..support.committee import hold_ceremony, make_committee
from ..support.forgeries import lopsided_ceremony, lopsided_primes, rehashed
from .test_committee_cli import BALLOTS, Committee, cheap_kdf, closed, keyed  # noqa: F401


def rewrite(monkeypatch, route: str, change) -> None:
    """The CLI sees ``change(answer)`` for every GET whose path ends in ``route``."""
    real = ApiClient.get

    def get(self, path):
        answer = real(self, path)
        return change(copy.deepcopy(answer)) if path.split("?")[0].endswith(route) else answer

    monkeypatch.setattr(ApiClient, "get", get)


def posted_shares(live, eid) -> list:
    return live.get(f"/api/elections/{eid}/shares")["shares"]


def test_trustee_check_is_no_decryption_oracle(cli, any_live, tmp_path, monkeypatch):
    live = any_live
    """Point 1: after the poll opened, the server serves the ceremony with c_T
    replaced by a voter's ciphertext (and says it is keyed again, board empty)
    and asks the trustees to re-run the check. Before, they posted a share of
    that ciphertext. Now the share file pins H_E: refused, nothing posted."""
    c = keyed(cli, live, tmp_path)
    codes = c.open_with_voters()
    assert c.vote(codes[0], BALLOTS[0]).code == 0
    board = live.get(f"/api/elections/{c.id}/board?start=2&limit=1")["entries"][0]
    voter_ciphertext = board["ballot"]["answers"][0]["ciphertexts"][0]
    before = posted_shares(live, c.id)

    def oracle(summary):
        summary["key_ceremony"]["test_ciphertext"] = voter_ciphertext
        summary.update(state="keys-published", board_size=0, board_head=None)
        return rehashed(summary)

    with monkeypatch.context() as patch:
        rewrite(patch, f"/elections/{c.id}", oracle)
        r = c.trustee("check", 1)
    assert r.code == 5, r.err
    assert "another key ceremony than the one your share was dealt in" in r.err
    # the honest ceremony, but the poll is open: no test decryption either
    r = c.trustee("check", 2)
    assert r.code == 3 and "keyed and not yet open" in r.err
    assert posted_shares(live, c.id) == before


def test_renamed_committee_member_is_refused(cli, any_live, tmp_path, monkeypatch):
    live = any_live
    """Point 6: the server names another chair (a changed role) and moves H_E to
    match; the card is the member's signature, so every checker refuses."""
    c = keyed(cli, live, tmp_path)
    codes = c.open_with_voters()

    def chair(summary):
        summary["key_ceremony"]["committee"]["trustees"][2]["role"] = "Trưởng ban kiểm phiếu"
        return rehashed(summary)

    with monkeypatch.context() as patch:
        rewrite(patch, f"/elections/{c.id}", chair)
        r = c.vote(codes[0], BALLOTS[0])
        assert r.code == 5 and "trustee 3: the card is not signed" in r.err, r.err
        r = c.trustee("check", 3)
        assert r.code == 5 and "not signed by its identity key" in r.err
    assert live.get(f"/api/elections/{c.id}/turnout")["ballots"] == 0


def test_puppet_credentials_are_refused(cli, any_live, tmp_path, monkeypatch):
    live = any_live
    """Point 2: the server lists credentials of its own (with known votes) beside
    the voters'. The registrar's signature covers another roll: the voter's tool,
    the trustees' attest and decrypt refuse; nothing is decrypted."""
    c = closed(cli, live, tmp_path, attested=())
    puppet = c.credential(new_code()).public.hex()

    def with_puppet(answer):
        answer["credentials"] = sorted([*answer["credentials"], puppet])
        return answer

    with monkeypatch.context() as patch:
        rewrite(patch, "/credentials", with_puppet)
        r = c.attest(1, "--head", c.head())
        assert r.code == 5 and "not the registrar's roll" in r.err, r.err
        r = c.trustee("decrypt", 1, "--head", c.head())
        assert r.code == 5 and "not the registrar's roll" in r.err, r.err
    assert [s for s in posted_shares(live, c.id) if s["purpose"] == "tally"] == []
    assert live.get(f"/api/elections/{c.id}/attestations")["attestations"] == []


@pytest.fixture(scope="module")
def fake_ceremony(pedersen_primes, test_primes):
    """A key ceremony for an election id, dealt to a committee and registrar of
    the server's own making (it holds their keys), or naming a given registrar
    card: ``(committee, ceremony)``."""
    fake = make_committee(pedersen_primes)

    def make(eid, registrar=None):
        named = fake if registrar is None else dataclasses.replace(fake, registrar=registrar)
        return named, hold_ceremony(eid, named, test_primes).ceremony

    return make


def test_a_substitute_election_cannot_take_a_voters_code(
    cli, any_live, tmp_path, monkeypatch, fake_ceremony
):
    live = any_live
    """The server serves the voter a whole other key ceremony for the same
    election: a committee and a registrar of its own (it holds their keys,
    so a ballot cast there is the server's to decrypt or drop), with a roll
    that registrar signed, listing the voters' real credential keys. A key
    derived from the code and the id alone would be on that roll; the key
    also depends on the registrar's key, so under the substitute registrar
    the voter's code gives a key the server cannot list: refused, nothing cast."""
    c = keyed(cli, live, tmp_path)
    codes = c.open_with_voters()
    genuine = live.get(f"/api/elections/{c.id}/credentials")["credentials"]
    fake, substituted = fake_ceremony(c.id)
    fake_hash = bytes.fromhex(rehashed({
        "manifest": live.get(f"/api/elections/{c.id}")["manifest"],
        "key_ceremony": codec.to_wire(substituted),
    })["base_hash"])  # fmt: skip
    fake_roll = fake.sign_roll(c.id, fake_hash, [bytes.fromhex(k) for k in genuine])

    def substitute(summary):
        summary["key_ceremony"] = codec.to_wire(substituted)
        summary["signed_roll"] = codec.to_wire(fake_roll)
        return rehashed(summary)

    def fake_credentials(answer):
        answer["signed_roll"] = codec.to_wire(fake_roll)
        return answer

    assert c.credential(codes[0]).public.hex() in genuine  # what the server can list
    with monkeypatch.context() as patch:
        rewrite(patch, f"/elections/{c.id}", substitute)
        rewrite(patch, f"/elections/{c.id}/credentials", fake_credentials)
        r = c.vote(codes[0], BALLOTS[0])
    assert r.code == 2 and "not on the roll the registrar signed" in r.err, r.err
    assert live.get(f"/api/elections/{c.id}/turnout")["ballots"] == 0


def test_the_registrar_signs_no_roll_for_a_ceremony_naming_another_registrar(
    cli, any_live, tmp_path, monkeypatch
):
    live = any_live
    """The server shows the registrar a key ceremony whose committee names a
    registrar of the server's own (and moves H_E to match), to get the real
    registrar's signature on a roll bound to it. The registrar's tool verifies
    the ceremony and finds another key in it: the keys are listed, but nothing
    is signed and the poll cannot open."""
    c = keyed(cli, live, tmp_path)
    other = make_registrar(secrets.token_bytes(32), "Vụ Tổ chức cán bộ")

    def renamed(summary):
        summary["key_ceremony"]["committee"]["registrar"] = codec.to_wire(other)
        return rehashed(summary)

    with monkeypatch.context() as patch:
        rewrite(patch, f"/elections/{c.id}", renamed)
        r = c.cli("credentials", "issue", "--election", c.id, "--count", 2,
                  "--out", tmp_path / "sheets", "--server", live.url,
                  "--token-file", live.token_file, "--registrar-key", c.registrar,
                  "--passphrase-file", c.secret, "--insecure-test-key")  # fmt: skip
    assert r.code == 5 and "names another registrar than this key" in r.err, r.err
    assert "credentials sign" in r.err  # what to run once the server behaves
    assert live.get(f"/api/elections/{c.id}/credentials")["signed_roll"] is None
    assert c.admin("open", "--election", c.id).code == 3


def test_results_take_the_committee_and_roll_from_the_ceremony(
    cli, any_live, tmp_path, monkeypatch
):
    live = any_live
    """``kiemphieu results`` after a count: the server's trustee list is not the
    committee (a stranger listed in a member's place changes nothing), and a
    puppet credential added to the list the result counts as "issued" is
    refused: the roll must be the one the registrar signed."""
    c = closed(cli, live, tmp_path)
    for i in (1, 2, 3):
        assert c.trustee("decrypt", i).code == 0
    puppet = c.credential(new_code()).public.hex()

    def stranger(answer):
        answer["trustees"] = answer["trustees"][1:]  # member 1 is gone from the list
        return answer

    def with_puppet(answer):
        answer["credentials"] = sorted([*answer["credentials"], puppet])
        return answer

    with monkeypatch.context() as patch:
        rewrite(patch, "/trustees", stranger)
        r = c.results()
    assert r.code == 0 and "1, 2, 3" in r.out, r.err
    with monkeypatch.context() as patch:
        rewrite(patch, "/credentials", with_puppet)
        r = c.results()
    assert r.code == 5 and "not the registrar's roll" in r.err, r.err


def test_the_registrar_signs_one_key_ceremony_per_election(
    cli, any_live, tmp_path, monkeypatch, fake_ceremony
):
    live = any_live
    """Once the registrar signed the real roll, the server shows it a second,
    substitute ceremony that names the real registrar's card (its own committee
    and key), hoping for a roll signed under that H_E to serve voters with.
    The ceremony verifies, but the registrar's key file remembers the base hash
    it signed this election under: refused, nothing signed."""
    c = keyed(cli, live, tmp_path)
    c.open_with_voters(2)
    before = live.get(f"/api/elections/{c.id}/credentials")["signed_roll"]
    real_card = load_registrar_card(tmp_path / "registrar.pub.json")
    _, substituted = fake_ceremony(c.id, real_card)

    def substitute(summary):
        summary["key_ceremony"] = codec.to_wire(substituted)
        return rehashed(summary)

    with monkeypatch.context() as patch:
        rewrite(patch, f"/elections/{c.id}", substitute)
        r = c.cli("credentials", "sign", "--election", c.id, "--server", live.url,
                  "--token-file", live.token_file, "--registrar-key", c.registrar,
                  "--passphrase-file", c.secret, "--insecure-test-key",
                  "--sheets", tmp_path / "sheets" / "credentials.keys")  # fmt: skip
    assert r.code == 5 and "under another key ceremony before" in r.err, r.err
    assert live.get(f"/api/elections/{c.id}/credentials")["signed_roll"] == before
    pins = json.loads((tmp_path / "registrar.signed.json").read_text())
    assert pins == {c.id: live.get(f"/api/elections/{c.id}")["base_hash"]}


def test_another_board_than_the_rooms_is_refused(cli, any_live, tmp_path, monkeypatch):
    live = any_live
    """Pin the close: a head that is not the one read aloud is refused by
    attest and decrypt; a trustee shown another board cannot get its
    attestation stored (the server keeps only its own board's)."""
    c = closed(cli, live, tmp_path, attested=())
    wrong = "ab" * 32
    r = c.attest(1, "--head", wrong)
    assert r.code == 5 and "shows you another board than the room's" in r.err
    r = c.trustee("decrypt", 1, "--head", wrong)
    assert r.code == 5 and "another board than the room's" in r.err
    r = c.trustee("decrypt", 1)  # no head and no attestation: refused
    assert r.code == 5 and "only 0 of the t = 3" in r.err
    assert live.get(f"/api/elections/{c.id}/attestations")["attestations"] == []
    assert [s for s in posted_shares(live, c.id) if s["purpose"] == "tally"] == []


@pytest.fixture(scope="module")
def lopsided() -> tuple[int, int]:
    """A 3072-bit n = (20-bit prime)·(3052-bit prime), both ≡ 3 (mod 4)."""
    return lopsided_primes()


def test_lopsided_modulus_is_refused_by_the_server_and_the_voter(
    cli, live, tmp_path, monkeypatch, lopsided
):
    """Point 4: a dealer publishes n = (20-bit prime)·(3052-bit prime) with a
    valid modulus proof; it cannot make the factor proofs, so the server
    refuses the key, and a voter's tool refuses it when a server serves it."""
    small, big = lopsided
    c = keyed(cli, live, tmp_path)
    summary = live.get(f"/api/elections/{c.id}")
    honest = codec.from_wire(KeyCeremony, summary["key_ceremony"])
    bad = lopsided_ceremony(honest, small, big)
    other = c.id + "-x"
    manifest = tmp_path / "manifest-x.toml"
    manifest.write_text((tmp_path / "manifest.toml").read_text().replace(c.id, other))
    assert c.admin("create", "--manifest", manifest).code == 0
    r = requests.post(
        f"{live.url}/api/admin/elections/{other}/keys",
        data=codec.dumps(dataclasses.replace(bad, election_id=other)),
        headers={"Authorization": f"Bearer {live.token}", "Content-Type": "application/json"},
        timeout=60,
    )
    assert r.status_code in (400, 409), r.text  # 409: no committee registered for it
    codes = c.open_with_voters()

    def serve_bad(answer):
        answer["key_ceremony"] = codec.to_wire(bad)
        return rehashed(answer)

    with monkeypatch.context() as patch:
        rewrite(patch, f"/elections/{c.id}", serve_bad)
        r = c.vote(codes[0], BALLOTS[0])
    assert r.code == 5 and "factor of n is too small" in r.err, r.err


def test_lopsided_ceremony_is_refused_on_publish(server_with_committee, lopsided):
    """The same ceremony posted to an election whose committee is registered:
    the server names the factor proof."""
    post, ceremony, _ = server_with_committee
    small, big = lopsided
    bad = lopsided_ceremony(ceremony, small, big)
    r = post(bad)
    assert r.status_code == 400 and "factor of n is too small" in r.json()["message"]
    assert post(ceremony).status_code == 200  # the honest one goes in


@pytest.fixture
def server_with_committee(live, cli, new_election, test_primes):
    """An election in draft with its committee and registrar registered (the
    conftest's election, before its key), and a way to post a key ceremony."""
    election = new_election()
    eid = election.id + "-fresh"
    manifest = election.folder / "manifest.toml"
    fresh = election.folder / "fresh.toml"
    fresh.write_text(manifest.read_text().replace(election.id, eid))
    assert election.admin(cli, "create", "--manifest", fresh).code == 0
    held = election.held
    for member in held.committee.trustees:
        live.post(f"/api/admin/elections/{eid}/trustees", codec.dumps(member), admin=True)
    live.post(
        f"/api/admin/elections/{eid}/registrar", codec.dumps(held.committee.registrar), admin=True
    )
    ceremony = hold_ceremony(eid, held.committee, test_primes).ceremony

    def post(doc):
        return requests.post(
            f"{live.url}/api/admin/elections/{eid}/keys",
            data=codec.dumps(doc),
            headers={"Authorization": f"Bearer {live.token}", "Content-Type": "application/json"},
            timeout=60,
        )

    return post, ceremony, eid
