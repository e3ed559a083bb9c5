"""The booth end to end in a real browser (issue 5, point 6).

A real server (tests/support/server_process.py, serving client/web) and the
committee's CLI run a whole election with a test-sized key; Debian's chromium,
driven by playwright-core from ``tests/e2e/booth.mjs``, is the voters' phone
(390×844, touch):

* before the poll opens, the booth says the election is not open (vi and en);
* a voter in Vietnamese mistypes the code, tries a code of no one on the roll,
  fills the confidence grid (one row by keyboard only), the motion and the k of
  n question, reviews, audits the sealed ballot (the audit document is saved;
  here ``kiemphieu verify-audit`` checks it and the board never holds it),
  re-encrypts, casts while the server's reply is lost, retries without voting
  twice, reads the receipt (signature checked in the browser), finds the
  tracking code on the board page (and not the audited one), and has the
  site's audit page check the saved audit document;
* a voter in English (the header's switch) meets the unanswered-ballot message
  and the k-of-n limit, and casts;
* after ``admin close``, ``trustee decrypt`` by three trustees and ``admin
  publish``, the results page shows the counts of the two ballots and verifies
  the decryption in the browser; one tally share changed on its way (a route in
  the browser) turns the verdict to a failure naming the checks.

No page may log a console error, throw, or break its Content-Security-Policy
(but for the errors the test itself causes, matched exactly). Screenshots of
every step in both languages are kept in ``test-artifacts/e2e/`` (git-ignored).
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
from pathlib import Path

import nacl.pwhash
import pytest
import requests

from kiemphieu.client.cli import keystore
from kiemphieu.client.cli.main import main
from kiemphieu.crypto.election.credential import ALPHABET, derive_key, new_code, parse_code

from ..support.server_process import ServerProcess

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
WEB_ROOT = ROOT / "client" / "web"
DRIVER = Path(__file__).with_name("booth.mjs")
PASSPHRASE = "correct horse battery staple"
INSECURE = "--insecure-test-key"
DECRYPTING = (2, 4, 5)  # exactly t = 3 of the 5: the poll is tallied after the third

MANIFEST = """
election_id = "{election_id}"
counter_bits = 16

[title]
vi = "Lấy phiếu tín nhiệm lãnh đạo Vụ năm 2026"
en = "Confidence rating of the department's leaders, 2026"

[description]
vi = "Kiểm thử đầu cuối trong trình duyệt."
en = "End-to-end test in the browser."

[rules]
summoned = 4
quorum = "1/2"
denominator = "returned"
revote = "last-counts"
trustees = 5
threshold = 3

[[rules.thresholds]]
id = "low-more-than-half"
question = "leaders"
slot = "low"
comparison = "more-than"
fraction = "1/2"
denominator = "returned"
label = {{ vi = "Quá nửa tín nhiệm thấp", en = "More than half low confidence" }}

[[questions]]
id = "leaders"
kind = "confidence"
title = {{ vi = "Lãnh đạo Vụ", en = "Department leaders" }}
levels = [
  {{ id = "high", vi = "Tín nhiệm cao", en = "High confidence" }},
  {{ id = "mid", vi = "Tín nhiệm", en = "Confidence" }},
  {{ id = "low", vi = "Tín nhiệm thấp", en = "Low confidence" }},
]
rows = [
  {{ id = "p1", vi = "Nguyễn Văn An — Vụ trưởng", en = "Nguyễn Văn An — Director" }},
  {{ id = "p2", vi = "Trần Thị Bình — Phó Vụ trưởng", en = "Trần Thị Bình — Deputy Director" }},
  {{ id = "p3", vi = "Lê Quang Cường — Phó Vụ trưởng", en = "Lê Quang Cường — Deputy Director" }},
]

[[questions]]
id = "motion"
kind = "single"
title = {{ vi = "Thông qua quy chế làm việc", en = "Adopt the working rules" }}
options = [
  {{ id = "yes", vi = "Đồng ý", en = "Yes" }},
  {{ id = "no", vi = "Không đồng ý", en = "No" }},
]
blank = true

[[questions]]
id = "board"
kind = "multiple"
title = {{ vi = "Bầu ban chấp hành", en = "Elect the board" }}
options = [
  {{ id = "c1", vi = "Ứng viên 1", en = "Candidate 1" }},
  {{ id = "c2", vi = "Ứng viên 2", en = "Candidate 2" }},
  {{ id = "c3", vi = "Ứng viên 3", en = "Candidate 3" }},
  {{ id = "c4", vi = "Ứng viên 4", en = "Candidate 4" }},
]
min_choices = 1
max_choices = 3
"""

VOTER_VI = {
    "name": "an",
    "lang": "vi",
    "choices": {"leaders": ["high", "low", "blank"], "motion": "yes", "board": ["c1", "c3"]},
    "keyboard": {"question": "leaders", "row": 1},
    "audit": True,
    "dropReply": True,
}
VOTER_EN = {
    "name": "binh",
    "lang": "en",
    "choices": {"leaders": ["mid", "low", "high"], "motion": "blank", "board": ["c1", "c2"]},
    "emptyFirst": True,
    "tooMany": True,
}
LEVELS = ("high", "mid", "low", "blank")
MARKS = ("precompute-start", "precompute-end", "seal-start", "seal-end", "cast", "receipt",
         "receipt-checked")  # fmt: skip


@pytest.fixture(autouse=True)
def cheap_kdf(monkeypatch):
    """The trustees' key files are test files: Argon2id at its minimum cost."""
    monkeypatch.setattr(keystore, "OPSLIMIT", nacl.pwhash.argon2id.OPSLIMIT_MIN)
    monkeypatch.setattr(keystore, "MEMLIMIT", nacl.pwhash.argon2id.MEMLIMIT_MIN)


@pytest.fixture
def server(tmp_path):
    data = tmp_path / "server"
    proc = ServerProcess(f"sqlite:///{data / 'kiemphieu.sqlite3'}", data, web_root=WEB_ROOT)
    proc.start()
    try:
        yield proc
    finally:
        proc.stop()


class Committee:
    """The election's officials, through the CLI run in-process."""

    def __init__(self, capsys, monkeypatch, server: ServerProcess, folder: Path):
        self.capsys, self.monkeypatch = capsys, monkeypatch
        self.url, self.folder = server.url, folder
        self.id = f"e2e-{os.getpid()}"
        self.token = folder / "token"
        self.token.write_text(server.token())
        self.token.chmod(0o600)
        self.secret = folder / "passphrase"
        self.secret.write_text(PASSPHRASE + "\n")
        self.secret.chmod(0o600)

    def run(self, *argv: str | os.PathLike) -> str:
        self.capsys.readouterr()
        self.monkeypatch.setattr("sys.stdin", io.StringIO(""))
        code = main([str(a) for a in argv])
        out = self.capsys.readouterr()
        assert code == 0, f"kiemphieu {argv[0]} {argv[1]}: exit {code}\n{out.err}"
        return out.out

    def admin(self, action: str, *rest: str | os.PathLike) -> str:
        return self.run("admin", action, "--server", self.url, "--token-file", self.token, *rest)

    def trustee(self, action: str, i: int) -> str:
        return self.run("trustee", action, "--server", self.url, "--election", self.id,
                        "--key", self.folder / f"trustee-{i}.json",
                        "--share", self.folder / "ceremony" / f"share-{i}.json",
                        "--passphrase-file", self.secret, INSECURE)  # fmt: skip

    def close(self) -> str:
        """Close the poll; the trustees who decrypt attest the head read aloud."""
        self.admin("close", "--election", self.id)
        head = requests.get(f"{self.url}/api/elections/{self.id}", timeout=10).json()
        for i in DECRYPTING:
            self.run("trustee", "attest", "--server", self.url, "--election", self.id,
                     "--key", self.folder / f"trustee-{i}.json", "--head", head["board_head"],
                     "--passphrase-file", self.secret, INSECURE)  # fmt: skip
        return str(head["board_head"])

    def prepare(self, voters: int) -> list[str]:
        """Create, register the committee, deal a test key, check it, issue codes."""
        manifest = self.folder / "manifest.toml"
        manifest.write_text(MANIFEST.format(election_id=self.id), encoding="utf-8")
        self.admin("create", "--manifest", manifest)
        for i in range(1, 6):
            self.run("trustee", "init", "--name", f"Thành viên {i}", "--role", "Ủy viên",
                     "--out", self.folder / f"trustee-{i}.json",
                     "--passphrase-file", self.secret, INSECURE)  # fmt: skip
            card = self.folder / f"trustee-{i}.pub.json"
            self.admin("trustee", "--election", self.id, "--index", i, "--public", card,
                       INSECURE)  # fmt: skip
        registrar = self.folder / "registrar.json"
        self.run("registrar", "init", "--name", "Vụ Tổ chức cán bộ", "--out", registrar,
                 "--passphrase-file", self.secret)  # fmt: skip
        self.admin("registrar", "--election", self.id,
                   "--public", self.folder / "registrar.pub.json")  # fmt: skip
        self.run("ceremony", "--dealer", "--server", self.url, "--token-file", self.token,
                 "--election", self.id, "--out", self.folder / "ceremony", INSECURE,
                 "--bits", 512)  # fmt: skip
        for i in range(1, 6):
            self.trustee("check", i)
        self.run("credentials", "issue", "--election", self.id, "--count", voters,
                 "--out", self.folder / "sheets", "--server", self.url,
                 "--token-file", self.token, "--registrar-key", registrar,
                 "--passphrase-file", self.secret, INSECURE)  # fmt: skip
        with open(self.folder / "sheets" / "credentials.csv", newline="") as f:
            return [code for _, code in list(csv.reader(f))[1:]]


def drive(scenario: str, **args) -> dict:
    """Run one scenario of the browser driver; its JSON answer."""
    argument = json.dumps({"scenario": scenario, **args})
    done = subprocess.run(
        ["node", str(DRIVER), argument], capture_output=True, text=True, timeout=300, check=False
    )
    lines = done.stdout.strip().splitlines()
    answer = json.loads(lines[-1]) if lines else {"ok": False, "error": "no answer"}
    if not answer.get("ok"):
        pytest.fail(f"browser scenario {scenario} failed:\n{answer.get('error')}\n{done.stderr}")
    return answer


def mistyped(code: str) -> str:
    """The code with one data character changed: the check character catches it."""
    data = parse_code(code)
    other = ALPHABET[(ALPHABET.index(data[5]) + 7) % len(ALPHABET)]
    return data[:5] + other + data[6:] + code[-1]


def expected_slots(ballots: list[dict]) -> dict[str, dict[str, dict[str, int]]]:
    """question → part → slot → count, from the choices the voters made."""
    out: dict[str, dict[str, dict[str, int]]] = {
        "leaders": {p: dict.fromkeys(LEVELS, 0) for p in ("p1", "p2", "p3")},
        "motion": {"choice": dict.fromkeys(("yes", "no", "blank"), 0)},
        "board": {c: {"chosen": 0} for c in ("c1", "c2", "c3", "c4")},
    }
    for b in ballots:
        for part, level in zip(("p1", "p2", "p3"), b["leaders"], strict=True):
            out["leaders"][part][level] += 1
        out["motion"]["choice"][b["motion"]] += 1
        for c in b["board"]:
            out["board"][c]["chosen"] += 1
    return out


def first_int(text: str) -> int:
    found = re.match(r"\s*(\d+)", text)
    assert found, text
    return int(found.group(1))


def board_credentials(url: str, eid: str) -> list[str]:
    r = requests.get(f"{url}/api/elections/{eid}/board", timeout=10)
    assert r.status_code == 200, r.text
    return [e["ballot"]["credential"] for e in r.json()["entries"] if e["ballot"] is not None]


def test_vote_audit_cast_and_verify_results_in_chromium(
    server, artifacts, capsys, monkeypatch, tmp_path
):
    committee = Committee(capsys, monkeypatch, server, tmp_path)
    codes = committee.prepare(voters=4)
    eid, url = committee.id, server.url
    base = {"base": url, "election": eid, "artifacts": str(artifacts)}

    # before the poll opens
    state = requests.get(f"{url}/api/elections/{eid}", timeout=10).json()["state"]
    seen = drive("not-open", **base, key="unavailable.notYet", state=state)
    assert seen["problems"] == []
    probe = seen["probe"]  # the watcher sees a CSP violation when there is one
    assert probe["directive"].startswith("script-src") and not probe["inlineRan"]
    assert [p["kind"] for p in probe["reported"]] == ["csp"]

    committee.admin("open", "--election", eid)
    voters = [
        {**VOTER_VI, "code": codes[0], "typo": mistyped(codes[0]), "unlisted": new_code()},
        {**VOTER_EN, "code": codes[1].lower().replace("-", " ")},
    ]
    seen = drive("vote", **base, voters=voters)
    an, binh = seen["voters"]
    for voter in (an, binh):
        assert voter["problems"] == [], voter["problems"]
        assert voter["verdict"] == "ok", voter["verdictText"]
        assert voter["boardPosition"] == voter["position"]
        receipt = json.loads(Path(voter["receiptPath"]).read_text())
        assert receipt["tracking_code"] == voter["trackingCode"]
        assert receipt["position"] == voter["position"]
    # the booth's timeline (read by tests/benchmarks/booth_browser.py), in order
    for voter in (an, binh):
        first: dict[str, float] = {}
        for m in voter["marks"]:
            first.setdefault(m["name"], m["at"])
        order = [m for m in sorted(first, key=first.__getitem__) if not m.startswith("key-check")]
        assert order == list(MARKS), voter["marks"]
        # the key is checked while the voter types the code, and before anything is sealed
        assert first["key-check-start"] <= first["precompute-start"], voter["marks"]
        assert first["key-check-end"] <= first["seal-start"], voter["marks"]
    assert [m["name"] for m in an["marks"]].count("seal-end") == 2  # sealed again after the audit
    # the lost reply: one POST, then the look-up found the ballot on the board
    assert (an["posts"], an["lookups"]) == (1, 1)
    assert [e["kind"] for e in an["expected"]] == ["console", "console"]
    assert (binh["posts"], binh["lookups"]) == (1, 0)
    on_board = board_credentials(url, eid)
    ceremony = requests.get(f"{url}/api/elections/{eid}", timeout=10).json()["key_ceremony"]
    registrar = bytes.fromhex(ceremony["committee"]["registrar"]["identity_key"])
    for code in codes[:2]:
        assert on_board.count(derive_key(code, eid, registrar).public.hex()) == 1
    assert len(on_board) == 2

    # the audited ballot: it verifies, it holds the voter's choices, it is nowhere
    audited = an["audit"]
    assert audited["trackingCode"] not in (an["trackingCode"], binh["trackingCode"])
    r = requests.get(f"{url}/api/elections/{eid}/ballots/{audited['trackingCode']}", timeout=10)
    assert r.status_code == 404
    assert audited["pageVerdict"] == "ok"  # the site's checking page agrees
    path = audited["path"]
    out = committee.run("verify-audit", path, "--server", url, "--election", eid, INSECURE)
    for line in ("leaders=high,low,blank", "motion=yes", "board=c1,c3"):
        assert f"  {line}" in out, out

    # the count
    committee.close()
    for i in DECRYPTING:
        committee.trustee("decrypt", i)
    committee.admin("publish", "--election", eid)
    result = requests.get(f"{url}/api/elections/{eid}/result", timeout=10).json()["result"]
    server_slots = {
        q["question"]: {p["part"]: {s["slot"]: s["count"] for s in p["slots"]} for p in q["parts"]}
        for q in result["questions"]
    }
    assert server_slots == expected_slots([VOTER_VI["choices"], VOTER_EN["choices"]])

    seen = drive("results", **base, state="published")
    assert seen["problems"] == [], seen["problems"]
    assert seen["verdict"] == "ok", seen["checks"]
    assert seen["runner"] == "worker"  # verified off the page's thread (js/results/worker.js)
    ids = ["base-hash", "packing", "share-signatures", "share-proofs", "combination",
           "unpacking", "result"]  # fmt: skip
    assert [c["id"] for c in seen["checks"]] == ids and all(c["ok"] for c in seen["checks"])
    figures = ("summoned", "present", "issued", "returned")
    assert seen["participation"] == {k: result[k] for k in figures}
    assert (result["returned"], result["issued"]) == (2, 4)
    rows = seen["rows"]
    for part, slots in server_slots["leaders"].items():
        cells = rows[f"result-leaders-{part}"]
        assert [first_int(c) for c in cells[:4]] == [slots[s] for s in LEVELS]
        assert first_int(cells[4]) == 2 - slots["blank"]  # valid rows
    # p2 had "low" on both ballots: more than half, flagged (2 of the 4 summoned voted,
    # the quorum of 1/2 is met; below it no row would be flagged); p1 is not
    assert "Quá nửa tín nhiệm thấp" in rows["result-leaders-p2"][5]
    assert rows["result-leaders-p1"][5] == "—"
    for slot, count in server_slots["motion"]["choice"].items():
        assert first_int(rows[f"result-motion-{slot}"][0]) == count
    for part, slots in server_slots["board"].items():
        assert first_int(rows[f"result-board-{part}"][0]) == slots["chosen"]
    assert seen["charts"] == 3 + 1  # a stacked bar per person and one for the motion

    tampered = seen["tampered"]
    assert tampered["problems"] == [], tampered["problems"]
    assert tampered["trustee"] in DECRYPTING
    assert tampered["verdict"] == "bad"
    # the changed share's signature and proof fail; with t - 1 good shares left,
    # the combination (and what follows from it) cannot be verified either
    verdict = {c["id"]: c["ok"] for c in tampered["checks"]}
    assert list(verdict) == ids
    assert verdict["base-hash"] and verdict["packing"]
    assert not verdict["share-signatures"] and not verdict["share-proofs"], tampered["checks"]
    assert not verdict["combination"], tampered["checks"]
