"""The counting committee through the CLI, against a real server process.

A whole election: ``admin create``, ``trustee init`` ×5, ``admin trustee`` ×5,
``registrar init``, ``admin registrar``, ``ceremony`` (test-sized key),
``trustee check`` ×5, ``credentials issue`` (the registrar signs the roll),
``admin open``, votes and a revote, ``admin close`` (the head to read aloud),
``trustee attest`` and ``trustee decrypt`` by exactly t = 3 of the 5,
``results`` equal to the ballots cast, and the counting minutes. Then the
refusals: a tampered tally (decrypt exits 5 and posts nothing), a wrong key
file, a ceremony with trustees missing, a tampered result, and a malicious
server's attempts (tests/client/test_malicious_server.py). And ``demo
--auto``'s own functions at test sizes.

Argon2id runs at its minimum cost here (the key files are test files); the
production limits are tested in tests/unit/test_keystore.py.
"""

from __future__ import annotations

import csv
import json
import os
import stat

import nacl.pwhash
import pytest
import requests
from pypdf import PdfReader

from kiemphieu.client.cli import demo, keystore, recount
from kiemphieu.client.cli.http import ApiClient, ServerError
from kiemphieu.client.cli.keystore import load_registrar_card
from kiemphieu.client.cli.roll import fetch_signed_roll
from kiemphieu.client.cli.voter import fetch_election
from kiemphieu.crypto.election.credential import CredentialKey, derive_key
from kiemphieu.crypto.primitives.paillier import KeyPolicy

from .conftest import MANIFEST_TOML, Live

PASSPHRASE = "correct horse battery staple"
INSECURE = "--insecure-test-key"

# Four voters; the first votes again and only its second ballot counts.
BALLOTS = [
    ("leaders=high,mid,blank,low,high", "motion=yes", "board=c1,c3"),
    ("leaders=low,low,low,low,low", "motion=no", "board=c4"),
    ("leaders=mid,high,low,low,blank", "motion=blank", "board=c1,c2,c3"),
    ("leaders=high,high,high,low,mid", "motion=yes", "board=c2"),
]
REVOTE = ("leaders=mid,mid,mid,mid,mid", "motion=no", "board=c1")
COUNTED = [REVOTE, *BALLOTS[1:]]


@pytest.fixture(autouse=True)
def cheap_kdf(monkeypatch):
    monkeypatch.setattr(keystore, "OPSLIMIT", nacl.pwhash.argon2id.OPSLIMIT_MIN)
    monkeypatch.setattr(keystore, "MEMLIMIT", nacl.pwhash.argon2id.MEMLIMIT_MIN)


_ids = iter(range(1, 1_000_000))


class Committee:
    """One election run through the CLI, step by step."""

    def __init__(self, cli, live: Live, folder, trustees: int = 5):
        self.cli, self.live, self.folder = cli, live, folder
        self.id = f"committee-{os.getpid()}-{next(_ids)}"
        self.secret = folder / "passphrase"
        self.secret.write_text(PASSPHRASE + "\n")
        self.secret.chmod(0o600)
        manifest = folder / "manifest.toml"
        manifest.write_text(MANIFEST_TOML.format(election_id=self.id, counter_bits=24))
        assert self.admin("create", "--manifest", manifest).code == 0
        for i in range(1, trustees + 1):
            r = cli("trustee", "init", "--name", f"Thành viên {i}", "--role", "Ủy viên",
                    "--out", self.key(i), "--passphrase-file", self.secret, INSECURE)  # fmt: skip
            assert r.code == 0, r.err
            assert "identity fingerprint" in r.out
            card = folder / f"trustee-{i}.pub.json"
            r = self.admin("trustee", "--election", self.id, "--index", i, "--public", card,
                           INSECURE)  # fmt: skip
            assert r.code == 0, r.err
        self.registrar = folder / "registrar.json"
        r = cli("registrar", "init", "--name", "Vụ Tổ chức cán bộ", "--out", self.registrar,
                "--passphrase-file", self.secret)  # fmt: skip
        assert r.code == 0, r.err
        r = self.admin("registrar", "--election", self.id, "--public",
                       folder / "registrar.pub.json")  # fmt: skip
        assert r.code == 0, r.err

    def key(self, i):
        return self.folder / f"trustee-{i}.json"

    def credential(self, code: str) -> CredentialKey:
        """The key of ``code`` in this election (under its registrar's key)."""
        card = load_registrar_card(self.folder / "registrar.pub.json")
        return derive_key(code, self.id, card.identity_key)

    def share(self, i):
        return self.folder / "ceremony" / f"share-{i}.json"

    def admin(self, action, *rest):
        token = () if action == "status" else ("--token-file", self.live.token_file)
        return self.cli("admin", action, "--server", self.live.url, *token, *rest)

    def ceremony(self):
        return self.cli("ceremony", "--dealer", "--server", self.live.url, "--token-file",
                        self.live.token_file, "--election", self.id, "--out",
                        self.folder / "ceremony", INSECURE, "--bits", 512)  # fmt: skip

    def trustee(self, action, i, *extra, key=None):
        return self.cli("trustee", action, "--server", self.live.url, "--election", self.id,
                        "--key", key or self.key(i), "--share", self.share(i),
                        "--passphrase-file", self.secret, INSECURE, *extra)  # fmt: skip

    def attest(self, i, *extra):
        return self.cli("trustee", "attest", "--server", self.live.url, "--election", self.id,
                        "--key", self.key(i), "--passphrase-file", self.secret, INSECURE,
                        *extra)  # fmt: skip

    def head(self):
        return self.live.get(f"/api/elections/{self.id}")["board_head"]

    def open_with_voters(self, count=5):
        r = self.cli("credentials", "issue", "--election", self.id, "--count", count,
                     "--out", self.folder / "sheets", "--server", self.live.url,
                     "--token-file", self.live.token_file, "--registrar-key", self.registrar,
                     "--passphrase-file", self.secret, INSECURE)  # fmt: skip
        assert r.code == 0, r.err
        assert self.admin("open", "--election", self.id).code == 0
        with open(self.folder / "sheets" / "credentials.csv", newline="") as f:
            return [code for _, code in list(csv.reader(f))[1:]]

    def vote(self, code, choices, *extra):
        argv = ["vote", "--server", self.live.url, "--election", self.id, INSECURE, "--code", code]
        return self.cli(*argv, *[a for c in choices for a in ("--choice", c)], *extra)

    def results(self, *extra):
        return self.cli("results", "--server", self.live.url, "--election", self.id,
                        INSECURE, *extra)  # fmt: skip


def keyed(cli, live, folder) -> Committee:
    c = Committee(cli, live, folder)
    r = c.ceremony()
    assert r.code == 0, r.err
    assert "TRUST: this is a dealer ceremony" in r.err  # the cost, printed on every run
    for i in range(1, 6):
        r = c.trustee("check", i)
        assert r.code == 0, r.err
    return c


def closed(cli, live, folder, *, attested=(1, 2, 3, 4, 5)) -> Committee:
    c = keyed(cli, live, folder)
    codes = c.open_with_voters()
    for code, choices in zip(codes, BALLOTS, strict=False):
        assert c.vote(code, choices).code == 0
    assert c.admin("close", "--election", c.id).code == 0
    for i in attested:
        r = c.attest(i, "--head", c.head())
        assert r.code == 0, r.err
    return c


def expected_slots(ballots):
    """Per question and part, the slot counts the ballots give."""
    levels = ["high", "mid", "low", "blank"]
    leaders = [[0] * 4 for _ in range(5)]
    motion = [0, 0, 0]
    board = [[0] for _ in range(4)]
    for leader_row, motion_row, board_row in ballots:
        for r, level in enumerate(leader_row.split("=")[1].split(",")):
            leaders[r][levels.index(level)] += 1
        motion[["yes", "no", "blank"].index(motion_row.split("=")[1])] += 1
        for c in board_row.split("=")[1].split(","):
            board[int(c[1]) - 1][0] += 1
    return [leaders, [motion], board]


def test_full_election_through_the_cli(cli, live, tmp_path):
    c = Committee(cli, live, tmp_path)
    r = c.ceremony()
    assert r.code == 0, r.err
    assert "key published" in r.out and "dealing took" in r.out
    for i in range(1, 6):
        path = c.share(i)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert json.loads(path.read_text())["sealed_to"] is not None  # nothing in clear
    public = json.loads((tmp_path / "ceremony" / "key-ceremony.json").read_text())
    assert public["type"] == "key-ceremony" and "modulus_proof" in public

    for i in range(1, 6):
        r = c.trustee("check", i)
        assert r.code == 0, r.err
        assert f"key share matches v_{i}" in r.out and "test-decryption share posted" in r.out
    codes = c.open_with_voters()
    receipts = [tmp_path / f"receipt-{i}.json" for i in range(len(BALLOTS) + 1)]
    for code, choices, receipt in zip(codes, BALLOTS, receipts, strict=False):
        assert c.vote(code, choices, "--receipt", receipt).code == 0
    # the revote counts, the first does not
    assert c.vote(codes[0], REVOTE, "--receipt", receipts[-1]).code == 0

    r = c.trustee("decrypt", 2)
    assert r.code == 3 and "decrypt after the close" in r.err  # still open
    r = c.admin("close", "--election", c.id)
    assert r.code == 0, r.err
    head = c.head()
    grouped = " ".join(head[i : i + 4] for i in range(0, 64, 4))
    assert "READ ALOUD" in r.out and grouped[:39] in r.out and "ballots" in r.out
    r = c.trustee("decrypt", 2)  # nobody attested yet and no head given
    assert r.code == 5 and "only 0 of the t = 3" in r.err, r.err
    for i in (2, 4):  # two trustees attest the head read aloud (spaces as read)
        r = c.attest(i, "--head", grouped.upper())
        assert r.code == 0, r.err
        assert "close attestation signed and posted" in r.out
    r = c.trustee("decrypt", 5, "--head", head)  # the third has the head read aloud
    assert r.code == 0, r.err
    for i in (2, 4):  # the two attested, and with trustee 5 they are t
        r = c.trustee("decrypt", i)
        assert r.code == 0, r.err
        assert "4 counted ballots" in r.out and "timings:" in r.out
    assert "the result is decrypted" in r.out
    attested = live.get(f"/api/elections/{c.id}/attestations")["attestations"]
    assert [a["index"] for a in attested] == [2, 4, 5]

    r = c.results("--json")
    assert r.code == 0, r.err
    out = json.loads(r.out)
    assert out["verified"]["trustees"] == [2, 4, 5]
    slots = [[p["slots"] for p in q["parts"]] for q in out["counts"]["questions"]]
    assert slots == expected_slots(COUNTED)
    assert out["result"]["returned"] == 4 and out["result"]["issued"] == 5
    r = c.results("--lang", "en", "--recount")
    assert r.code == 0, r.err
    assert "Nguyen Van An" in r.out and "Low confidence" in r.out and "quorum 2/3" in r.out
    assert "tally recounted from the board" in r.out
    r = c.results()
    assert r.code == 0 and "Nguyễn Văn An" in r.out and "Tín nhiệm thấp" in r.out
    r = c.admin("publish", "--election", c.id)
    assert r.code == 0 and "published" in r.out
    assert c.admin("publish", "--election", c.id).code == 3  # only once

    # every voter's receipt against the record downloaded from the server
    record = tmp_path / "record.zip"
    r = cli("record", "download", "--server", live.url, "--election", c.id, "--out", record)
    assert r.code == 0, r.err
    given = [a for path in receipts for a in ("--receipt", path)]
    r = cli("verify", record, "--allow-test-keys", *given)
    assert r.code == 0, r.out + r.err
    assert "OK    receipt-0.json: superseded" in r.out and "receipt-4.json: counted" in r.out
    assert "PASS  close-attestations" in r.out and "PASS  roll-signature" in r.out

    pdf = tmp_path / "minutes.pdf"
    r = cli("minutes", "--server", live.url, "--election", c.id, "--out", pdf)
    assert r.code == 0, r.err
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(pdf).pages)
    assert "Nguyễn Văn An" in text
    assert "ký số xác nhận số mục" in text  # the attestations are in the minutes


def _tamper(monkeypatch, route: str, change) -> None:
    """Make the CLI's HTTP client see ``change(answer)`` for GETs ending in ``route``."""
    real = ApiClient.get

    def get(self, path):
        answer = real(self, path)
        return change(answer) if path.endswith(route) else answer

    monkeypatch.setattr(ApiClient, "get", get)


def _swap_tally(answer):
    q = answer["tally"]["questions"][0]
    q["ciphertexts"] = [q["ciphertexts"][1], q["ciphertexts"][0], *q["ciphertexts"][2:]]
    return answer


TAMPERED = [
    (_swap_tally, "encrypted tally differs"),
    (lambda a: dict(a, packed=[format(int(a["packed"][0], 16) ** 2, "x")]), "packed"),
    (lambda a: dict(a, counted=a["counted"][1:]), "counts other ballots"),
]


def test_decrypt_refuses_a_tampered_tally(cli, live, tmp_path, monkeypatch):
    c = closed(cli, live, tmp_path)
    for change, message in TAMPERED:
        with monkeypatch.context() as patch:
            _tamper(patch, "/tally", change)
            r = c.trustee("decrypt", 1)
        assert r.code == 5, r.err
        assert message in r.err
    shares = live.get(f"/api/elections/{c.id}/shares")["shares"]
    assert [s for s in shares if s["purpose"] == "tally"] == []  # nothing posted
    assert c.trustee("decrypt", 1).code == 0  # the true tally


def test_recount_refuses_a_broken_chain(cli, live, tmp_path):
    c = closed(cli, live, tmp_path)
    client = ApiClient(live.url)
    election = fetch_election(client, c.id, KeyPolicy.TESTING)
    board = recount.download_board(client, c.id)
    roll, _ = fetch_signed_roll(
        client, c.id, election.context.ceremony.committee.registrar, election.context.hash
    )
    assert len(recount.verify_board(election, board, roll).counted) == 4
    dropped = recount.Board((*board.entries[:3], *board.entries[4:]), board.ballots)
    with pytest.raises(recount.Mismatch, match="chain"):
        recount.verify_board(election, dropped, roll)
    with pytest.raises(recount.Mismatch, match="roll"):
        recount.verify_board(election, board, roll - {next(iter(roll))})
    swapped = recount.Board(board.entries, {**board.ballots, 2: board.ballots[3]})
    with pytest.raises(recount.Mismatch, match="entry 2: the ballot is not the one chained"):
        recount.verify_board(election, swapped, roll)


def test_check_with_the_wrong_key_file_fails_clearly(cli, live, tmp_path):
    c = Committee(cli, live, tmp_path)
    assert c.ceremony().code == 0
    r = c.trustee("check", 1, key=c.key(2))
    assert r.code == 1 and "sealed to another trustee's key" in r.err
    wrong = tmp_path / "wrong"
    wrong.write_text("not the passphrase\n")
    wrong.chmod(0o600)
    r = cli("trustee", "check", "--server", live.url, "--election", c.id, "--key", c.key(1),
            "--share", c.share(1), "--passphrase-file", wrong, INSECURE)  # fmt: skip
    assert r.code == 1 and "wrong passphrase" in r.err
    r = c.trustee("check", 1)
    assert r.code == 0, r.err


def test_ceremony_refuses_when_trustees_are_missing(cli, live, tmp_path):
    c = Committee(cli, live, tmp_path, trustees=4)
    r = c.ceremony()
    assert r.code == 3 and "4 of 5 trustees" in r.err and "[5]" in r.err
    assert not (tmp_path / "ceremony").exists()
    assert live.get(f"/api/elections/{c.id}")["state"] == "draft"
    r = c.cli("ceremony", "--dealer", "--server", live.url, "--token-file", live.token_file,
              "--election", c.id, "--out", tmp_path / "x", "--bits", 2048)  # fmt: skip
    assert r.code == 2 and "2048-bit modulus is refused" in r.err


def test_results_detect_a_tampered_result(cli, live, tmp_path, monkeypatch):
    c = closed(cli, live, tmp_path)
    for i in (1, 2, 3):
        assert c.trustee("decrypt", i).code == 0
    assert c.results().code == 0

    def more_low(answer):
        part = answer["result"]["questions"][0]["parts"][0]
        part["flags"] = ["low-more-than-half"]
        return answer

    _tamper(monkeypatch, "/result", more_low)
    r = c.results()
    assert r.code == 5 and "differs from the one recomputed here (leaders/p1)" in r.err


def test_demo_auto_at_test_sizes(live, tmp_path, capsys):
    eid = f"demo-{os.getpid()}-{next(_ids)}"
    setup = demo.setup_election(
        live.url, live.token_file, tmp_path, bits=512, policy=KeyPolicy.TESTING, election_id=eid
    )
    passphrases = tmp_path / "trustees" / "passphrases.txt"
    assert stat.S_IMODE(passphrases.stat().st_mode) == 0o600
    assert "DEMO ONLY" in passphrases.read_text()
    assert live.get(f"/api/elections/{eid}")["state"] == "open"
    outcome = demo.run_auto(setup, 8, workers=2)
    assert "Vũ Thị Lan — Phó Cục trưởng" in outcome.table
    # 8 ballots of 90 summoned: below the 2/3 quorum the result has no effect, so even
    # the tilted row carries no flag (QĐ 96; the demo's default 62 ballots meet it)
    assert "túc số 2/3: KHÔNG ĐỦ" in outcome.table
    assert "Trên 1/2 đến dưới 2/3" not in outcome.table and "! " not in outcome.table
    assert outcome.minutes is not None and PdfReader(outcome.minutes).pages
    out = capsys.readouterr().out
    assert "8/8 ballots cast" in out and "the result is decrypted" in out
    assert set(setup.timings) >= {"ceremony", "checks", "voting", "decrypt trustee 5"}
    steps = demo.next_steps(setup)
    assert "kiemphieu trustee decrypt" in steps and str(setup.token_file) in steps
    assert "kiemphieu trustee attest" in steps
    assert f"{live.url}/?election={eid}" in steps  # the booth
    assert "kiemphieu verify " in steps and "kiemphieu record download" in steps


def test_demo_server_keeps_the_token_out_of_its_log(tmp_path):
    demo.prepare_demo_folder(tmp_path / "d", force=False)
    server = demo.start_server((tmp_path / "d").resolve(), demo.free_port())
    try:
        token = server.token_file.read_text().strip()
        assert stat.S_IMODE(server.token_file.stat().st_mode) == 0o600
        for presented, status in ((token, 400), ("not-the-token", 401)):
            admin = ApiClient(server.url, token=presented)
            with pytest.raises(ServerError) as refused:  # a bad manifest: 400 once admitted
                admin.post("/api/admin/elections", b"x", content_type="application/toml",
                           admin=True)  # fmt: skip
            assert refused.value.status == status
        leaked = requests.get(server.url + "/api/elections?token=" + token, timeout=10)
        assert leaked.status_code == 200  # the query string is ignored, and never logged
        booth = requests.get(server.url + "/", timeout=10)  # the installed booth is served
        assert booth.status_code == 200
        assert "default-src 'self'" in booth.headers["Content-Security-Policy"]
    finally:
        server.stop()
    log = (tmp_path / "d" / "server.log").read_text()
    assert token not in log
    assert '"GET /api/elections HTTP/1.1" 200' in log  # the request is logged, its query is not
    with pytest.raises(demo.UsageError, match="not empty"):
        demo.prepare_demo_folder(tmp_path / "d", force=False)
    demo.prepare_demo_folder(tmp_path / "d", force=True)
    assert list((tmp_path / "d").iterdir()) == []
