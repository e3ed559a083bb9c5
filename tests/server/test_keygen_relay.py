"""The key generation relay (server/keygen.py, docs/spec.md §12.7), on SQLite
and PostgreSQL, played by in-process trustees through the Flask test client.

A whole run publishes the committee's key; then the database is searched for
p, q, φ(n), λ(n) and d in every form they could be stored in, and none is
there. The relay refuses bad signatures, non-members, rounds out of turn and
second different messages, and stops a run whose round outlives its deadline,
naming the missing trustee.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import nacl.signing
import pytest
from sqlalchemy import MetaData, create_engine, select

from kiemphieu.client.cli.http import ServerError
from kiemphieu.client.cli.keygen_relay import Relay
from kiemphieu.client.cli.keystore import TrusteeKeys
from kiemphieu.crypto import codec
from kiemphieu.crypto.election.ceremony import Generation, KeyCeremony, verify_key_ceremony
from kiemphieu.crypto.keygen.envelope import Route, sign_message
from kiemphieu.crypto.keygen.frames import RoundPost, encode_post
from kiemphieu.crypto.keygen.messages import KeygenResult
from kiemphieu.crypto.keygen.parameters import KeygenParameters
from kiemphieu.crypto.keygen.party import KeygenParty
from kiemphieu.crypto.primitives.numbers import lagrange_at
from kiemphieu.crypto.primitives.paillier import KeyPolicy
from tests.support.committee import CommitteeSecrets

from .conftest import Server, manifest_toml

EID = "keygen-relay"


@dataclass
class FlaskExchange:
    """ApiClient.exchange over the Flask test client (what Relay needs)."""

    client: object

    def exchange(
        self, method: str, path: str, body: bytes | None = None, *,
        content_type: str = "application/octet-stream", idempotent=True,
    ):  # fmt: skip
        if method == "POST":
            r = self.client.post(path, data=body, content_type=content_type)  # type: ignore[attr-defined]
        else:
            r = self.client.get(path)  # type: ignore[attr-defined]
        if 200 <= r.status_code < 300:
            return r.status_code, r.data
        raise ServerError(r.status_code, r.json["code"], r.json["message"])


def register(server: Server, committee: CommitteeSecrets) -> None:
    r = server.admin("post", "/api/admin/elections", data=manifest_toml(election_id=EID).encode(),
                     headers={"Content-Type": "application/toml"})  # fmt: skip
    assert r.status_code == 201, r.json
    for member in committee.trustees:
        r = server.admin("post", f"/api/admin/elections/{EID}/trustees", data=codec.dumps(member),
                         headers={"Content-Type": "application/json"})  # fmt: skip
        assert r.status_code == 201, r.json
    r = server.admin("post", f"/api/admin/elections/{EID}/registrar",
                     data=codec.dumps(committee.registrar),
                     headers={"Content-Type": "application/json"})  # fmt: skip
    assert r.status_code == 201, r.json


def start(server: Server, **body) -> dict:
    r = server.admin("post", f"/api/admin/elections/{EID}/keygen",
                     json={"bits": 512, "batch": 64, "timeout": 30, **body})  # fmt: skip
    assert r.status_code == 201, r.json
    return r.json


def relays(server: Server, committee: CommitteeSecrets, info: dict) -> dict[int, Relay]:
    members = {m.index: m.trustee for m in committee.members}
    out = {}
    for m in committee.members:
        keys = TrusteeKeys(m.identity_seed, bytes(m.sealing_key))
        out[m.index] = Relay(FlaskExchange(server.client), EID, info["run"], m.index, keys, members,
                             bytes.fromhex(info["session"]), 30.0, poll_s=0.0)  # fmt: skip
    return out


@pytest.fixture
def registered(server: Server, test_committee: CommitteeSecrets) -> Server:
    register(server, test_committee)
    return server


def test_a_run_through_the_relay_publishes_the_key_and_stores_no_secret(
    registered: Server, test_committee: CommitteeSecrets
) -> None:
    server = registered
    info = start(server)
    relay = relays(server, test_committee, info)
    keys = {m.index: m.trustee.identity_key for m in test_committee.members}
    params = KeygenParameters(512, 3, 5)
    session = bytes.fromhex(info["session"])
    parties = {j: KeygenParty(params, j, session=session, election_id=EID, batch=64,
                              identity_keys=keys) for j in keys}  # fmt: skip
    shares_p, shares_q = {}, {}
    outs = {j: p.start() for j, p in parties.items()}
    while not all(isinstance(o, KeygenResult) for o in outs.values()):
        for j, out in outs.items():
            relay[j].post(out)  # type: ignore[arg-type]
        label = next(iter(outs.values())).label  # type: ignore[union-attr]
        outs = {j: parties[j].receive(relay[j].read(label)) for j in parties}
        if label.endswith("/filter"):
            for j, party in parties.items():
                shares_p[j], shares_q[j] = party._state.p_share, party._state.q_share
    results: dict[int, KeygenResult] = outs  # type: ignore[assignment]
    summary = server.client.get(f"/api/elections/{EID}").json
    assert summary["state"] == "keys-published"
    ceremony = codec.from_wire(KeyCeremony, summary["key_ceremony"])
    assert ceremony.generation is Generation.COMMITTEE and ceremony.key == results[1].public
    verify_key_ceremony(ceremony, KeyPolicy.TESTING)
    assert server.client.get(f"/api/elections/{EID}/keygen").json["state"] == "done"

    n = ceremony.key.n
    p, q = sum(shares_p.values()), sum(shares_q.values())
    assert p * q == n
    phi = (p - 1) * (q - 1)
    lam = lagrange_at(0, [1, 2, 3], ceremony.key.delta)
    d = sum(lam[i] * results[i].share.s for i in (1, 2, 3)) // ceremony.key.delta
    secrets_ = [p, q, phi, phi // math.gcd(p - 1, q - 1), d, *(r.share.s for r in results.values())]
    stored = _everything_stored(server)
    assert len(stored) > 100_000  # the letters and broadcasts are there
    for x in secrets_:
        raw = x.to_bytes((x.bit_length() + 7) // 8, "big")
        assert raw not in stored
        assert format(x, "x").encode() not in stored and str(x).encode() not in stored


def _everything_stored(server: Server) -> bytes:
    """Every value of every row of every table, as bytes, concatenated."""
    engine = create_engine(server.config.db_url.replace("postgresql://", "postgresql+psycopg://"))
    meta = MetaData()
    meta.reflect(engine)
    out = []
    with engine.connect() as conn:
        for table in meta.sorted_tables:
            for row in conn.execute(select(table)):
                for value in row:
                    if isinstance(value, (bytes, memoryview)):
                        out.append(bytes(value))
                    elif value is not None:
                        out.append(str(value).encode())
    engine.dispose()
    return b"\x00".join(out)


def _post(server: Server, post: RoundPost, run: int = 1):
    return _post_raw(server, encode_post(post), run)


def _post_raw(server: Server, frame: bytes, run: int = 1):
    path = f"/api/trustee/elections/{EID}/keygen/{run}/messages"
    return server.client.post(path, data=frame, content_type="application/octet-stream")


def _signed(committee: CommitteeSecrets, session: bytes, label: str, sender: int,
            broadcast: bytes = b"", *, signer: int | None = None) -> RoundPost:  # fmt: skip
    seed = committee.seed(signer or sender)
    sig = sign_message(seed, Route(session, label, sender), broadcast, {})
    return RoundPost(label, sender, broadcast, {}, sig)


def test_the_relay_refuses_bad_signatures_non_members_and_rounds_out_of_turn(
    registered: Server, test_committee: CommitteeSecrets
) -> None:
    server = registered
    info = start(server)
    session = bytes.fromhex(info["session"])
    r = _post(server, _signed(test_committee, session, "a0/sieve-0", 2, signer=3))
    assert r.status_code == 403 and r.json["code"] == "bad-signature"
    stranger = nacl.signing.SigningKey.generate()
    sig = sign_message(bytes(stranger), Route(session, "a0/sieve-0", 6), b"", {})
    r = _post(server, RoundPost("a0/sieve-0", 6, b"", {}, sig))
    assert r.status_code == 403 and r.json["code"] == "not-a-member"
    other_session = bytes(32)
    r = _post(server, _signed(test_committee, other_session, "a0/sieve-0", 1))
    assert r.status_code == 403

    first = _signed(test_committee, session, "a0/sieve-0", 1)
    assert _post(server, first).status_code == 201
    assert _post(server, first).status_code == 200  # a retry after a lost answer
    r = _post(server, _signed(test_committee, session, "a0/sieve-0", 1, b"x"))
    assert r.status_code == 409 and r.json["code"] == "round-conflict"
    r = _post(server, _signed(test_committee, session, "a0/product", 2))
    assert r.status_code == 409 and "trustee(s) 2, 3, 4, 5" in r.json["message"]
    r = _post_raw(server, encode_post(first)[:-5])
    assert r.status_code == 400 and r.json["code"] == "malformed"
    r = _post(server, first, run=2)
    assert r.status_code == 404
    for j in range(2, 6):
        assert _post(server, _signed(test_committee, session, "a0/sieve-0", j)).status_code == 201
    assert _post(server, _signed(test_committee, session, "a0/product", 2)).status_code == 201
    r = _post(server, _signed(test_committee, session, "a0/sieve-0", 2, b"late"))
    assert r.status_code == 409


def test_a_round_past_its_deadline_stops_the_run_naming_who_is_missing(
    registered: Server, test_committee: CommitteeSecrets
) -> None:
    server = registered
    info = start(server, timeout=1)
    session = bytes.fromhex(info["session"])
    for j in (1, 2, 3, 5):
        assert _post(server, _signed(test_committee, session, "a0/sieve-0", j)).status_code == 201
    r = server.client.get(f"/api/trustee/elections/{EID}/keygen/1/round?label=a0/sieve-0&reader=1")
    assert r.status_code == 202 and r.json == {"missing": [4]}
    time.sleep(1.2)
    r = server.client.get(f"/api/trustee/elections/{EID}/keygen/1/round?label=a0/sieve-0&reader=1")
    assert (
        r.status_code == 409
        and "trustee(s) 4 sent nothing for round a0/sieve-0" in r.json["message"]
    )
    r = _post(server, _signed(test_committee, session, "a0/sieve-0", 4))
    assert r.status_code == 409 and r.json["code"] == "keygen-stopped"
    state = server.client.get(f"/api/elections/{EID}/keygen").json
    assert state["state"] == "failed" and "trustee(s) 4" in state["failure"]
    again = start(server)
    assert again["run"] == 2 and again["session"] != info["session"]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"bits": 512, "batch": 0}, 400, "bad-parameters"),
        ({"bits": 511}, 400, "bad-parameters"),
        ({"bits": 512, "timeout": 0}, 400, "bad-parameters"),
        ({"bits": 512, "speed": 1}, 400, "malformed"),
        ({"bits": "512"}, 400, "malformed"),
    ],
)
def test_a_run_with_bad_parameters_is_refused(registered: Server, body, status, code) -> None:
    r = registered.admin("post", f"/api/admin/elections/{EID}/keygen", json=body)
    assert r.status_code == status and r.json["code"] == code, r.json


def test_a_run_needs_the_admin_token_and_the_whole_committee(
    server: Server, test_committee: CommitteeSecrets
) -> None:
    r = server.admin("post", "/api/admin/elections", data=manifest_toml(election_id=EID).encode(),
                     headers={"Content-Type": "application/toml"})  # fmt: skip
    assert r.status_code == 201
    r = server.client.post(f"/api/admin/elections/{EID}/keygen", json={"bits": 512})
    assert r.status_code == 401
    r = server.admin("post", f"/api/admin/elections/{EID}/keygen", json={"bits": 512})
    assert r.status_code == 409


@dataclass
class LyingExchange(FlaskExchange):
    """A relay that changes one byte of what it hands out (a malicious server)."""

    flip: int = -1

    def exchange(self, method: str, path: str, body: bytes | None = None, **kw):
        status, data = super().exchange(method, path, body, **kw)
        if method == "GET" and status == 200:
            k = self.flip % len(data)
            data = data[:k] + bytes([data[k] ^ 1]) + data[k + 1 :]
        return status, data


@pytest.mark.parametrize(
    ("flip", "error"),
    [
        (-1, "signature"),
        (-70, "round a0/sieve-0"),
        (40, "round a0/sieve-0"),
        (200, "round a0/sieve-0"),
    ],
)
def test_a_trustee_refuses_what_the_server_changed_in_a_relayed_message(
    registered: Server, test_committee: CommitteeSecrets, flip: int, error: str
) -> None:
    from kiemphieu.client.cli.http import BadReply
    from kiemphieu.client.cli.keygen_relay import Stopped

    server = registered
    info = start(server)
    relay = relays(server, test_committee, info)
    keys = {m.index: m.trustee.identity_key for m in test_committee.members}
    session = bytes.fromhex(info["session"])
    params = KeygenParameters(512, 3, 5)
    for j, r in relay.items():
        party = KeygenParty(params, j, session=session, election_id=EID, batch=64,
                            identity_keys=keys)  # fmt: skip
        r.post(party.start())
    relay[4].client = LyingExchange(server.client, flip)
    with pytest.raises((Stopped, BadReply), match=error):
        relay[4].read("a0/sieve-0")
    assert relay[3].read("a0/sieve-0").label == "a0/sieve-0"  # the honest copy opens


def test_a_frame_past_the_relays_own_limit_is_413_before_it_is_read(
    registered: Server, monkeypatch
) -> None:
    from kiemphieu.server.api import keygen as api

    start(registered)
    path = f"/api/trustee/elections/{EID}/keygen/1/messages"
    monkeypatch.setattr(api, "MAX_FRAME_BYTES", 4 << 20)  # the real one is 16 × 64 MiB
    r = registered.client.post(
        path, data=b"K" * ((4 << 20) + 1), content_type="application/octet-stream"
    )
    assert r.status_code == 413 and r.json["code"] == "too-large"
    # a frame above the general 1 MiB limit is admitted here (and refused as a frame)
    r = registered.client.post(path, data=b"K" * (2 << 20), content_type="application/octet-stream")
    assert r.status_code == 400 and r.json["code"] == "malformed"


def test_a_trustee_whose_check_fails_stops_the_run_for_everyone_with_its_reason(
    registered: Server, test_committee: CommitteeSecrets
) -> None:
    from kiemphieu.client.cli.keygen_relay import Stopped

    server = registered
    info = start(server)
    relay = relays(server, test_committee, info)
    r = server.client.post(
        f"/api/trustee/elections/{EID}/keygen/1/abort",
        json={"sender": 2, "reason": "forged", "signature": "00" * 64},
    )
    assert r.status_code == 403 and r.json["code"] == "bad-signature"
    r = server.client.post(
        f"/api/trustee/elections/{EID}/keygen/1/abort",
        json={"sender": 2, "reason": "x", "signature": "00" * 64, "more": 1},
    )
    assert r.status_code == 400
    assert server.client.get(f"/api/elections/{EID}/keygen").json["state"] == "running"
    relay[3].abort("a0/product from trustee 1: expected 96 values (trustee 1)")
    state = server.client.get(f"/api/elections/{EID}/keygen").json
    assert state["state"] == "failed"
    assert state["failure"] == (
        "trustee 3 stopped the run: a0/product from trustee 1: expected 96 values (trustee 1)"
    )
    with pytest.raises(Stopped, match="trustee 3 stopped the run"):
        relay[1].read("a0/sieve-0")
    relay[4].abort("again")  # the run has stopped: best effort, no error
