"""The registrar's and the voter's commands against a real server process.

Flow: ``admin create`` and ``admin keys`` (fixture), ``credentials issue``
(PDF and CSV checked, the server's list equal to the keys of the CSV codes),
``admin open``, ``vote`` (receipt file verified), a revote, refusals by exit
code, ``admin close``.
"""

from __future__ import annotations

import csv
import io
import json
import stat

import pytest
import requests
from pypdf import PdfReader

from kiemphieu.client.cli import voter
from kiemphieu.client.cli.http import ApiClient
from kiemphieu.client.cli.keystore import save_registrar_key
from kiemphieu.crypto import codec
from kiemphieu.crypto.election.board import Receipt, verify_receipt
from kiemphieu.crypto.election.credential import ALPHABET, new_code

from .conftest import CHOICES


def issue(cli, election, out, count=5, *extra):
    return cli("credentials", "issue", "--election", election.id, "--count", count,
               "--out", out, "--server", election.live.url,
               "--token-file", election.live.token_file,
               "--registrar-key", election.registrar_key,
               "--passphrase-file", election.passphrase_file, "--insecure-test-key",
               *extra)  # fmt: skip


def cast(cli, election, code, *extra, choices=CHOICES, stdin=None):
    argv = ["vote", "--server", election.live.url, "--election", election.id,
            "--insecure-test-key", "--code", code]  # fmt: skip
    for c in choices:
        argv += ["--choice", c]
    return cli(*argv, *extra, stdin=stdin)


def read_codes(folder):
    with open(folder / "credentials.csv", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["sheet", "code"]
    return rows[1:]


def mistype(code: str) -> str:
    """The code with its check character changed."""
    last = code[-1]
    return code[:-1] + ALPHABET[(ALPHABET.index(last) + 1) % 32]


def test_issue_open_vote_revote_close(cli, new_election, tmp_path):
    election = new_election()
    out = tmp_path / "sheets"
    r = issue(cli, election, out)
    assert r.code == 0, r.err
    assert "issued 5 credentials" in r.out

    # The files: mode 0600, 5 rows, 5 pages, each page holding its code.
    pdf, csv_path = out / "credentials.pdf", out / "credentials.csv"
    for path in (pdf, csv_path):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    rows = read_codes(out)
    assert [int(n) for n, _ in rows] == [1, 2, 3, 4, 5]
    codes = [c for _, c in rows]
    assert len(set(codes)) == 5
    reader = PdfReader(pdf)
    assert len(reader.pages) == 5
    for i, (page, code) in enumerate(zip(reader.pages, codes, strict=True), start=1):
        text = " ".join(page.extract_text().split())  # lines rejoined
        assert code in text
        assert "Lấy phiếu tín nhiệm lãnh đạo Vụ Tổ chức cán bộ" in text
        assert "Confidence rating of the Personnel" in text
        assert f"Sheet No. {i:04d}" in text
        assert "Giữ kín mã này" in text and "Keep this code secret" in text
    fonts = {str(f) for p in reader.pages for f in p["/Resources"]["/Font"].values()}
    assert fonts  # embedded TrueType subsets, not only the standard 14
    # Only public keys went to the server: exactly those of the CSV codes.
    listed = election.live.get(f"/api/elections/{election.id}/credentials")["credentials"]
    assert sorted(listed) == sorted(election.credential(c).public.hex() for c in codes)

    # A second run into the same folder refuses to overwrite and uploads nothing.
    before = pdf.read_bytes()
    r = issue(cli, election, out)
    assert r.code == 2 and "--force" in r.err
    assert pdf.read_bytes() == before
    assert len(election.live.get(f"/api/elections/{election.id}/credentials")["credentials"]) == 5

    assert election.admin(cli, "open", "--election", election.id).code == 0

    # Two voters; the receipt file verifies against the server's receipt key.
    receipt_file = tmp_path / "receipt.json"
    r = cast(cli, election, codes[0], "--receipt", receipt_file)
    assert r.code == 0, r.err
    receipt = codec.loads(Receipt, receipt_file.read_bytes())
    server_key = bytes.fromhex(election.live.get("/api/server")["receipt_key"])
    verify_receipt(receipt, server_key)
    assert receipt.tracking_code.hex() in r.out
    assert f"position       {receipt.position}" in r.out
    assert receipt.position == 2  # roll, open, then this ballot
    found = election.live.get(f"/api/elections/{election.id}/ballots/{receipt.tracking_code.hex()}")
    assert found["receipt"] == codec.to_wire(receipt)
    r = cast(cli, election, codes[1].lower().replace("-", " "),
             choices=("leaders=low,low,low,low,low", "motion=blank", "board=c4"))  # fmt: skip
    assert r.code == 0, r.err

    # A revote: a new ballot, further down the board.
    again = tmp_path / "again.json"
    r = cast(cli, election, codes[0], "--receipt", again,
             choices=("leaders=mid,mid,mid,mid,mid", "motion=no", "board=c2"))  # fmt: skip
    assert r.code == 0, r.err
    second = codec.loads(Receipt, again.read_bytes())
    assert second.position == 4 and second.tracking_code != receipt.tracking_code

    # A mistyped code is caught locally (check character): usage error.
    r = cast(cli, election, mistype(codes[2]))
    assert r.code == 2 and "check character" in r.err
    # A valid code not on the roll the registrar signed: refused here, nothing sent.
    r = cast(cli, election, new_code())
    assert r.code == 2 and "not on the roll the registrar signed" in r.err

    # The roll is closed once the poll is open: the server's 409, files removed.
    late = tmp_path / "late"
    r = issue(cli, election, late, 2)
    assert r.code == 3
    assert "the roll is closed" in r.err and "sheets were deleted" in r.err
    assert not (late / "credentials.pdf").exists() and not (late / "credentials.csv").exists()

    status = election.admin(cli, "status", "--election", election.id)
    assert status.code == 0 and "open" in status.out and "2 voters of 5" in status.out

    assert election.admin(cli, "close", "--election", election.id).code == 0
    r = cast(cli, election, codes[3])
    assert r.code == 3 and "not open" in r.err
    turnout = election.live.get(f"/api/elections/{election.id}/turnout")
    assert turnout == {"state": "closed", "credentials": 5, "ballots": 3, "voters": 2}


def test_standard_policy_refuses_the_test_key(cli, new_election, tmp_path):
    election = new_election()
    assert issue(cli, election, tmp_path / "s", 1).code == 0
    (_, code), = read_codes(tmp_path / "s")  # fmt: skip
    argv = ["vote", "--server", election.live.url, "--election", election.id, "--code", code]
    r = cli(*argv, *[a for c in CHOICES for a in ("--choice", c)])
    assert r.code == 5
    assert "512-bit modulus is refused under the standard policy" in r.err
    assert "--insecure-test-key" not in cli("vote", "--help").out


def test_choice_errors_are_usage_errors(cli, new_election, tmp_path):
    election = new_election()
    code = new_code()
    cases = [
        ((CHOICES[0], CHOICES[1]), "no choice for board"),
        (("leaders=high,mid", *CHOICES[1:]), "give 5 levels"),
        ((CHOICES[0], "motion=maybe", CHOICES[2]), "'maybe' is not one of yes, no, blank"),
        ((*CHOICES[:2], "board=c1,c2,c3,c4"), "choose 1 to 3"),
        ((*CHOICES[:2], "board=c1,c1"), "named twice"),
        ((*CHOICES, "nothing=1"), "no question 'nothing'"),
        ((*CHOICES, "motion=no"), "given twice"),
        (("leaders", *CHOICES[1:]), "write QUESTION=VALUE"),
    ]
    for choices, message in cases:
        r = cast(cli, election, code, choices=choices)
        assert r.code == 2, (choices, r.err)
        assert message in r.err, (choices, r.err)


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_prompts_for_missing_choices_on_a_terminal(cli, new_election, tmp_path):
    election = new_election()
    assert issue(cli, election, tmp_path / "s", 1).code == 0
    (_, code), = read_codes(tmp_path / "s")  # fmt: skip
    assert election.admin(cli, "open", "--election", election.id).code == 0
    answers = "high\nmid\nsoso\nblank\nlow\nhigh\nc5\nc1,c3\n"
    r = cast(cli, election, code, choices=("motion=yes",), stdin=_Terminal(answers))
    assert r.code == 0, r.err
    assert "Nguyễn Văn An / Nguyen Van An" in r.err
    assert "'soso' is not one of high, mid, low, blank" in r.err
    assert "'c5' is not one of c1, c2, c3, c4" in r.err
    assert "tracking code" in r.out


def test_code_from_standard_input(cli, new_election, tmp_path):
    election = new_election()
    assert issue(cli, election, tmp_path / "s", 1).code == 0
    (_, code), = read_codes(tmp_path / "s")  # fmt: skip
    assert election.admin(cli, "open", "--election", election.id).code == 0
    argv = ["vote", "--server", election.live.url, "--election", election.id, "--insecure-test-key"]
    r = cli(*argv, *[a for c in CHOICES for a in ("--choice", c)], stdin=io.StringIO(code + "\n"))
    assert r.code == 0, r.err
    assert code not in r.out + r.err


class _Tampering(ApiClient):
    """A client whose answers are altered on the way back, as by a bad server."""

    def __init__(self, base_url: str, what: str) -> None:
        super().__init__(base_url, retries=0)
        self.what = what

    def get(self, path):
        out = super().get(path)
        if self.what == "base_hash" and "base_hash" in out:
            out["base_hash"] = "00" * 32
        return out

    def post(self, path, body, **kw):
        out = super().post(path, body, **kw)
        if self.what == "receipt":
            out["position"] += 1
        return out


@pytest.mark.parametrize(
    "case",
    [
        ("base_hash", "base hash differs"),
        ("receipt", "credential signature does not verify"),
    ],
)
def test_answers_that_do_not_verify(cli, new_election, tmp_path, monkeypatch, case):
    what, message = case
    election = new_election()
    assert issue(cli, election, tmp_path / "s", 1).code == 0
    (_, code), = read_codes(tmp_path / "s")  # fmt: skip
    assert election.admin(cli, "open", "--election", election.id).code == 0
    monkeypatch.setattr(voter, "client_for", lambda args, admin: _Tampering(args.server, what))
    r = cast(cli, election, code)
    assert r.code == 5, r.err
    assert message in r.err


def test_unreachable_server_is_a_network_failure(cli, tmp_path):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    r = cli("vote", "--server", f"http://127.0.0.1:{port}", "--election", "x",
            "--code", new_code(), "--choice", "q=1")  # fmt: skip
    assert r.code == 4 and "cannot connect" in r.err


def test_partial_upload_keeps_exactly_the_listed_sheets(cli, new_election, tmp_path):
    """counter_bits = 8: the server lists at most 255 keys. With 250 listed, a
    run of 10 in batches of 3 gets 3 through; the files keep those 3 sheets."""
    election = new_election(counter_bits=8)
    keys = [election.credential(new_code()).public.hex() for _ in range(250)]
    path = f"/api/registrar/elections/{election.id}/credentials"
    election.live.post(path, json.dumps({"credentials": keys}).encode(), admin=True)
    election.sign_roll([bytes.fromhex(k) for k in keys])
    out = tmp_path / "partial"
    r = issue(cli, election, out, 10, "--batch-size", 3, "--first-sheet", 251)
    assert r.code == 3, r.err
    assert "Only 3 of 10 credentials were listed (sheets 251–253)" in r.err
    rows = read_codes(out)
    assert [int(n) for n, _ in rows] == [251, 252, 253]
    assert len(PdfReader(out / "credentials.pdf").pages) == 3
    listed = set(election.live.get(f"/api/elections/{election.id}/credentials")["credentials"])
    assert len(listed) == 253
    assert {election.credential(c).public.hex() for _, c in rows} <= listed


def test_unknown_election_writes_nothing(cli, live, tmp_path):
    out = tmp_path / "none"
    key, secret = tmp_path / "registrar.json", tmp_path / "secret"
    save_registrar_key(key, bytes(32), "a registrar passphrase")
    secret.write_text("a registrar passphrase\n")
    secret.chmod(0o600)
    r = cli("credentials", "issue", "--election", "no-such-election", "--count", 1,
            "--out", out, "--server", live.url, "--token-file", live.token_file,
            "--registrar-key", key, "--passphrase-file", secret)  # fmt: skip
    assert r.code == 3 and "not found" in r.err
    assert not out.exists() or not any(out.iterdir())


def test_admin_token_from_environment_and_missing(cli, live, tmp_path, monkeypatch):
    args = ("admin", "open", "--server", live.url, "--election", "no-such-election")
    r = cli(*args)
    assert r.code == 2 and "KIEMPHIEU_ADMIN_TOKEN" in r.err
    monkeypatch.setenv("KIEMPHIEU_ADMIN_TOKEN", "wrong")
    r = cli(*args)
    assert r.code == 3 and "admin token is required" in r.err
    monkeypatch.setenv("KIEMPHIEU_ADMIN_TOKEN", live.token)
    r = cli(*args)
    assert r.code == 3 and "not found" in r.err


def test_status_json(cli, new_election):
    election = new_election()
    r = election.admin(cli, "status", "--election", election.id, "--json")
    assert r.code == 0
    doc = json.loads(r.out)
    assert doc["election"]["state"] == "keys-published"
    assert doc["turnout"]["credentials"] == 0
    assert requests.get(election.live.url + "/api/server", timeout=5).status_code == 200


def test_missing_font_fails_before_anything_is_made(cli, new_election, tmp_path):
    election = new_election()
    empty = tmp_path / "no-fonts"
    empty.mkdir()
    out = tmp_path / "out"
    r = issue(cli, election, out, 2, "--font-dir", empty)
    assert r.code == 1
    assert "fonts-dejavu-core" in r.err and "--font-dir" in r.err
    assert not out.exists()
    assert election.live.get(f"/api/elections/{election.id}/credentials")["credentials"] == []


def test_the_registrar_never_signs_a_credential_it_did_not_issue(cli, new_election, tmp_path):
    """A server (or an operator with the admin token) adds a credential of its
    own: the registrar's tool refuses to issue more or to sign the roll, so the
    poll cannot open until it is removed by a new election; the sheets issued
    before keep their signature."""
    election = new_election()
    first = tmp_path / "first"
    assert issue(cli, election, first, 2).code == 0
    signed = election.live.get(f"/api/elections/{election.id}/credentials")["signed_roll"]
    assert signed["count"] == 2
    puppet = election.credential(new_code()).public.hex()
    path = f"/api/registrar/elections/{election.id}/credentials"
    election.live.post(path, json.dumps({"credentials": [puppet]}).encode(), admin=True)
    r = issue(cli, election, tmp_path / "second", 2)
    assert r.code == 5 and "does not cover" in r.err, r.err
    assert not (tmp_path / "second" / "credentials.csv").exists()
    sign = ("credentials", "sign", "--election", election.id, "--server", election.live.url,
            "--token-file", election.live.token_file, "--registrar-key", election.registrar_key,
            "--passphrase-file", election.passphrase_file, "--insecure-test-key")  # fmt: skip
    r = cli(*sign, "--sheets", first / "credentials.csv")
    assert r.code == 5 and "not the roll the registrar signed before" in r.err, r.err
    again = election.live.get(f"/api/elections/{election.id}/credentials")["signed_roll"]
    assert again == signed  # nothing new was signed
    r = election.admin(cli, "open", "--election", election.id)
    assert r.code == 3 and "registrar signed a roll of 2 credentials; 3 are listed" in r.err


def test_issued_in_a_draft_and_signed_after_the_key_ceremony(cli, new_election, tmp_path):
    """Credentials issued before the key ceremony are listed but not signed: the
    registrar's signature binds H_E. After the ceremony ``credentials sign``
    with the batches' credentials.keys (or .csv) files signs them all; one
    batch alone is refused, since the server lists keys it would not cover."""
    election = new_election(keys=False)
    first, second = tmp_path / "first", tmp_path / "second"
    r = issue(cli, election, first, 2)
    assert r.code == 0, r.err
    assert "signed after the key ceremony" in r.out
    path = f"/api/elections/{election.id}/credentials"
    assert election.live.get(path)["signed_roll"] is None
    r = issue(cli, election, second, 3)  # a second draft batch: a warning only
    assert r.code == 0 and "has not signed yet" in r.err, r.err
    listing = (first / "credentials.keys").read_text().split()
    assert listing == [election.credential(c).public.hex() for _, c in read_codes(first)]
    assert stat.S_IMODE((first / "credentials.keys").stat().st_mode) == 0o600

    sign = ("credentials", "sign", "--election", election.id, "--server", election.live.url,
            "--token-file", election.live.token_file, "--registrar-key", election.registrar_key,
            "--passphrase-file", election.passphrase_file, "--insecure-test-key")  # fmt: skip
    r = cli(*sign, "--sheets", first / "credentials.keys", second / "credentials.keys")
    assert r.code == 3 and "no key ceremony yet" in r.err, r.err

    election.publish_keys(cli)
    r = cli(*sign, "--sheets", first / "credentials.keys")
    assert r.code == 5 and "3 credentials that the registrar never signed" in r.err, r.err
    assert election.live.get(path)["signed_roll"] is None
    r = cli(*sign, "--sheets", first / "credentials.keys", second / "credentials.csv")
    assert r.code == 0 and "roll of 5 credentials is signed" in r.out, r.err
    h = election.base_hash.hex()
    assert " ".join(h[i : i + 4] for i in range(0, 64, 4)) in r.out  # to compare by voice
    signed = election.live.get(path)["signed_roll"]
    assert (signed["count"], signed["election"]) == (5, election.base_hash.hex())
    assert election.admin(cli, "open", "--election", election.id).code == 0
    assert cast(cli, election, read_codes(second)[2][1]).code == 0


def test_a_keys_file_that_is_not_one_is_refused(cli, new_election, tmp_path):
    election = new_election()
    bad = tmp_path / "credentials.keys"
    bad.write_text("00" * 32 + "\nnot a key\n")
    r = cli("credentials", "sign", "--election", election.id, "--server", election.live.url,
            "--token-file", election.live.token_file, "--registrar-key", election.registrar_key,
            "--passphrase-file", election.passphrase_file, "--insecure-test-key",
            "--sheets", bad)  # fmt: skip
    assert r.code == 1 and "line 2: not a credential key" in r.err, r.err
