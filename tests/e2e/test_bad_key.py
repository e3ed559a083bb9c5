"""The booth refuses a bad key or roll in chromium (issue 10, point 5).

A real election is prepared through the CLI; then the browser is served what a
malicious server would send instead of the honest replies: a committee member
renamed (with H_E moved to match), a lopsided 3072-bit modulus with a valid
modulus proof, the test key under the standard policy (the policy a real
server's pages carry), and a roll with a credential the registrar never
signed. Each time the booth stops with its plain message, before anything is
sealed, and posts nothing.
"""

from __future__ import annotations

import dataclasses
import json

import pytest
import requests

from kiemphieu.crypto import codec
from kiemphieu.crypto.election.ceremony import KeyCeremony
from kiemphieu.crypto.election.credential import derive_key, new_code

from ..support.forgeries import lopsided_ceremony, lopsided_primes, rehashed
from .test_booth import Committee, cheap_kdf, drive, server  # noqa: F401  (fixtures)

pytestmark = pytest.mark.e2e


def test_the_booth_refuses_a_bad_key_or_roll(server, artifacts, capsys, monkeypatch, tmp_path):  # noqa: F811
    committee = Committee(capsys, monkeypatch, server, tmp_path)
    codes = committee.prepare(voters=2)
    eid, url = committee.id, server.url
    committee.admin("open", "--election", eid)
    summary = requests.get(f"{url}/api/elections/{eid}", timeout=10).json()
    credentials = requests.get(f"{url}/api/elections/{eid}/credentials", timeout=10).json()
    ceremony = codec.from_wire(KeyCeremony, summary["key_ceremony"])
    lopsided = lopsided_ceremony(ceremony, *lopsided_primes())
    members = list(ceremony.committee.trustees)
    members[1] = dataclasses.replace(members[1], name="Người khác")
    renamed = dataclasses.replace(
        ceremony, committee=dataclasses.replace(ceremony.committee, trustees=tuple(members))
    )
    puppet = derive_key(new_code(), eid, ceremony.committee.registrar.identity_key).public.hex()
    padded = {**credentials, "credentials": sorted([*credentials["credentials"], puppet])}
    cases = [
        ("renamed", {f"/api/elections/{eid}": rehashed(summary, renamed)}, None,
         "stop.cardSignature"),
        ("lopsided", {f"/api/elections/{eid}": rehashed(summary, lopsided)}, None,
         "stop.factorProof"),
        ("short-key", {}, "standard", "stop.keyPolicy"),
        ("puppet-roll", {f"/api/elections/{eid}/credentials": padded}, None, "stop.roll"),
    ]  # fmt: skip
    base = {"base": url, "election": eid, "artifacts": str(artifacts)}
    for name, replies, policy, key in cases:
        file = tmp_path / f"replies-{name}.json"
        file.write_text(json.dumps(replies), encoding="utf-8")
        seen = drive(
            "bad-key", **base, name=name, repliesFile=str(file), policy=policy, code=codes[0]
        )
        assert seen["key"] == key, (name, seen["key"], seen["detail"])
        assert seen["posts"] == [], name  # nothing cast
        assert "seal-start" not in seen["marks"], name  # nothing encrypted
        assert not seen["cast"], name
        assert seen["problems"] == [], (name, seen["problems"])
    turnout = requests.get(f"{url}/api/elections/{eid}/turnout", timeout=10).json()
    assert turnout["ballots"] == 0
    # the honest replies: the same booth goes on to the ballot (the check passes)
    seen = drive("vote", **base, voters=[{"name": "honest", "lang": "vi", "code": codes[1],
                 "choices": {"leaders": ["high", "mid", "low"], "motion": "yes",
                             "board": ["c2"]}}])  # fmt: skip
    assert seen["voters"][0]["verdict"] == "ok"
