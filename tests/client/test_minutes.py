"""The counting minutes: rendered from crypto objects (every figure must be in the
PDF's text, in Vietnamese and English), long tables across pages, the QR code,
and ``kiemphieu minutes`` against a real server process through a whole count.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import nacl.public
import nacl.signing
import pytest
from pypdf import PdfReader

from kiemphieu.client.cli import minutes_text as tx
from kiemphieu.client.cli.fonts import FontMissing
from kiemphieu.client.cli.http import BadReply
from kiemphieu.client.cli.minutes import (
    MinutesData,
    NotTallied,
    fetch_minutes_data,
    render_minutes,
)
from kiemphieu.crypto import codec
from kiemphieu.crypto.election import ballot as bl
from kiemphieu.crypto.election.attestation import BoardClose, attest
from kiemphieu.crypto.election.board import roll_hash
from kiemphieu.crypto.election.ceremony import KeyCeremony
from kiemphieu.crypto.election.committee import Trustee, make_card, make_registrar
from kiemphieu.crypto.election.context import ElectionContext, base_hash
from kiemphieu.crypto.election.credential import new_code
from kiemphieu.crypto.election.manifest import BLANK, Choice, LocalizedText
from kiemphieu.crypto.election.manifest_toml import manifest_from_toml
from kiemphieu.crypto.election.result import compute_result
from kiemphieu.crypto.election.tally import PartCounts, QuestionCounts, TallyCounts
from kiemphieu.crypto.election.trustee import SharePurpose, make_shares
from kiemphieu.crypto.primitives.paillier import KeyPolicy

from ..support.committee import CommitteeSecrets, HeldCeremony, Member, hold_ceremony, make_pedersen

SOURCE = (Path(__file__).parents[1] / "data" / "confidence.toml").read_text(encoding="utf-8")
NAMES = ("Phạm Quốc Khánh", "Lê Thị Hoa", "Võ Minh Tuấn", "Đặng Thu Trang", "Bùi Văn Lợi")
ROLES = ("Phó Trưởng ban", "Ủy viên", "Trưởng ban", "Ủy viên", "Thư ký")
SERVER = "https://bophieu.example.gov.vn"
HEAD = bytes(range(32))
RECEIPT_KEY = bytes(range(100, 132))


def identities() -> list[nacl.signing.SigningKey]:
    return [nacl.signing.SigningKey(bytes([i]) * 32) for i in range(1, 6)]


def minutes_committee(primes, roles=ROLES) -> CommitteeSecrets:
    """The minutes' committee: NAMES with ``roles``, identity seeds bytes([i]) * 32."""
    members = []
    for i, key in enumerate(identities(), 1):
        seed = bytes(key)
        card = make_card(
            seed, bytes([i]) * 32, NAMES[i - 1], roles[i - 1], make_pedersen(seed, primes)
        )
        members.append(Member(i, seed, nacl.public.PrivateKey(bytes([i]) * 32), card))
    registrar_seed = bytes([9]) * 32
    return CommitteeSecrets(
        tuple(members), registrar_seed, make_registrar(registrar_seed, "Vụ Tổ chức cán bộ")
    )


def committee(primes, roles=ROLES) -> tuple[Trustee, ...]:
    return minutes_committee(primes, roles).trustees


@pytest.fixture(scope="module")
def minutes_held(pedersen_primes, test_primes) -> HeldCeremony:
    """A dealer ceremony to the minutes' committee for tests/data/confidence.toml."""
    eid = manifest_from_toml(SOURCE).election_id
    return hold_ceremony(eid, minutes_committee(pedersen_primes), test_primes)


def roll_of(issued: int) -> list[bytes]:
    """``issued`` stand-in credential keys (the minutes check only the roll's
    signature, count and hash)."""
    return [hashlib.sha256(f"voter {i}".encode()).digest() for i in range(issued)]


def minutes_data(held, manifest, rows, *, issued=85, present=None, signers=(1, 3, 5)):
    """MinutesData for ``rows`` = {question: [(part, slots), ...]} counted by 80 ballots."""
    dealing = held.dealing
    ceremony = dataclasses.replace(held.ceremony, election_id=manifest.election_id)
    h = base_hash(manifest, ceremony)
    counts = TallyCounts(
        h,
        80,
        tuple(
            QuestionCounts(q, tuple(PartCounts(p, s) for p, s in parts))
            for q, parts in rows.items()
        ),
    )
    result = compute_result(manifest, counts, issued=issued, present=present)
    keys = identities()
    docs = tuple(
        make_shares(
            dealing.shares[i - 1],
            bytes(keys[i - 1]),
            h,
            SharePurpose.TALLY,
            (dealing.test_ciphertext,),
        )
        for i in signers
    )
    when = datetime(2026, 12, 15, 10, 32, tzinfo=UTC)
    close = BoardClose(87, 80, roll_hash(roll_of(issued)), HEAD)
    attested = tuple(attest(bytes(keys[i - 1]), h, i, close) for i in signers)
    return MinutesData(
        manifest,
        result,
        counts,
        held.committee.trustees,
        docs,
        h,
        87,
        HEAD,
        SERVER,
        when,
        RECEIPT_KEY,
        attested,
    )


CONFIDENCE_ROWS = {"leaders": [("cuc-truong", (50, 20, 6, 4)), ("pho-1", (8, 10, 54, 8))]}


def text_of(path: Path) -> tuple[str, list[str]]:
    """The whole text with whitespace runs made single spaces, and each page's."""
    pages = [" ".join(p.extract_text().split()) for p in PdfReader(path).pages]
    return " ".join(pages), pages


@pytest.fixture(scope="module")
def confidence(minutes_held):
    return minutes_data(minutes_held, manifest_from_toml(SOURCE), CONFIDENCE_ROWS, present=82)


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_figure_is_in_the_minutes(confidence, tmp_path, lang):
    out = tmp_path / f"minutes-{lang}.pdf"
    render_minutes(confidence, out, lang)
    text, pages = text_of(out)
    data, words = confidence, tx.CATALOGUE[lang]
    manifest, result = data.manifest, data.result
    assert manifest.meeting is not None and manifest.rules is not None
    for p in result.questions[0].parts:
        for figure in (p.valid, p.invalid):
            assert str(figure) in text
        for s in p.slots:
            if s.slot != BLANK:  # the blank slot is the invalid column
                assert f" {s.count} {tx.percent(s.percent, lang)} " in text, s
    # 54 low of 80: two thirds or more, the upper tier only (QĐ 96 Điều 11)
    assert [p.flags for p in result.questions[0].parts] == [(), ("low-two-thirds",)]
    for rule in manifest.rules.thresholds:
        assert getattr(rule.label, lang) in text
    for key, value in (
        ("summoned", 90),
        ("present", 82),
        ("issued", 85),
        ("returned", 80),
    ):
        assert f"{words[key]} {value}" in text
    quorum = "82/90" + (" người (91,11%)" if lang == "vi" else " present (91.11%)")
    assert quorum in text
    assert tx.grouped_hex(data.base_hash) in text
    assert tx.grouped_hex(HEAD) in text and "87" in text
    for t in data.trustees:
        assert t.name in text
    for doc in data.tally_shares:
        member = data.trustees[doc.index - 1]
        row = f"{doc.index} {member.name} {tx.fingerprint(member.identity_key)}"
        assert f"{row} {tx.fingerprint(doc.signature)}" in text
    assert manifest.meeting.place in text
    assert tx.long_date(manifest.meeting.date, lang) in text
    assert getattr(manifest.meeting.unit, lang).upper() in text
    assert getattr(manifest.meeting.name, lang) in text
    assert data.record_url.endswith("/record")
    assert data.record_url in text.replace(" ", "")  # a long URL wraps inside its cell
    assert tx.grouped_hex(RECEIPT_KEY) in text
    assert words["nation"] in text and words["title"] in text
    assert f"{words['denominator'].split('{')[0]}" in text  # the denominator is stated
    for i, page in enumerate(pages, 1):
        assert page.endswith(words["page"].format(page=i, pages=len(pages)))
    # the chair (role "Trưởng ban", not "Phó Trưởng ban") signs first
    assert data.chair is not None and data.chair.index == 3
    signatures = text[text.index(words["s5"]) :]
    assert signatures.index("Võ Minh Tuấn") < signatures.index("Phạm Quốc Khánh")
    fonts = {str(f) for p in PdfReader(out).pages for f in p["/Resources"]["/Font"].values()}
    assert fonts  # embedded TrueType subsets


def test_dates_and_numbers_by_language():
    assert tx.long_date("2026-02-05", "vi") == "ngày 05 tháng 02 năm 2026"
    assert tx.long_date("2026-12-15", "vi") == "ngày 15 tháng 12 năm 2026"
    assert tx.long_date("2026-12-15", "en") == "15 December 2026"
    assert (tx.number(1234567, "vi"), tx.number(1234567, "en")) == ("1.234.567", "1,234,567")
    assert (tx.percent("66.67", "vi"), tx.percent("66.67", "en")) == ("66,67", "66.67")
    assert tx.grouped_hex(bytes(range(4))) == "0001 0203"
    assert len(tx.fingerprint(b"key").replace(" ", "")) == 16
    assert tx.CATALOGUE["vi"].keys() == tx.CATALOGUE["en"].keys()
    with pytest.raises(ValueError, match="language"):
        tx.text("fr")


def test_chair_is_the_first_member_without_a_chair_role(minutes_held, pedersen_primes):
    manifest = manifest_from_toml(SOURCE)
    data = minutes_data(minutes_held, manifest, CONFIDENCE_ROWS)
    plain = dataclasses.replace(
        data, trustees=committee(pedersen_primes, ("Phó Trưởng ban", *["Ủy viên"] * 4))
    )
    assert plain.chair is not None and plain.chair.index == 1
    assert [t.index for t in data.committee()] == [3, 1, 2, 4, 5]


def test_long_tables_flow_across_pages_and_other_question_kinds(minutes_held, tmp_path):
    """45 people, a motion with a blank slot and a 1-to-3-of-4 election; no meeting."""
    base = manifest_from_toml(SOURCE)
    people = tuple(
        Choice(f"p{i}", LocalizedText(f"Người thứ {i} — Trưởng phòng", f"Person {i}"))
        for i in range(1, 46)
    )
    extra = manifest_from_toml(
        SOURCE.split("[[questions]]")[0]
        + """
[[questions]]
id = "leaders"
kind = "confidence"
title = { vi = "Lãnh đạo", en = "Leaders" }
levels = [
  { id = "high", vi = "Tín nhiệm cao", en = "High confidence" },
  { id = "mid", vi = "Tín nhiệm", en = "Confidence" },
  { id = "low", vi = "Tín nhiệm thấp", en = "Low confidence" },
]
rows = [{ id = "p1", vi = "A", en = "A" }]

[[questions]]
id = "motion"
kind = "single"
title = { vi = "Thông qua nghị quyết", en = "Adopt the resolution" }
options = [{ id = "yes", vi = "Đồng ý", en = "Yes" }, { id = "no", vi = "Không đồng ý", en = "No" }]
blank = true

[[questions]]
id = "board"
kind = "multiple"
title = { vi = "Bầu ban chấp hành", en = "Elect the board" }
options = [
  { id = "c1", vi = "Ứng viên 1", en = "Candidate 1" },
  { id = "c2", vi = "Ứng viên 2", en = "Candidate 2" },
  { id = "c3", vi = "Ứng viên 3", en = "Candidate 3" },
  { id = "c4", vi = "Ứng viên 4", en = "Candidate 4" },
]
min_choices = 1
max_choices = 3
"""
    )
    leaders = dataclasses.replace(extra.questions[0], rows=people)
    manifest = dataclasses.replace(
        extra, questions=(leaders, *extra.questions[1:]), meeting=None, rules=base.rules
    )
    rows = {
        "leaders": [(f"p{i}", (i, 40 - i // 2, 40 - i + i // 2, 0)) for i in range(1, 46)],
        "motion": [("choice", (50, 25, 5))],
        "board": [(f"c{i}", (v,)) for i, v in enumerate((61, 40, 33, 70), 1)],
    }
    data = minutes_data(minutes_held, manifest, rows)
    out = tmp_path / "long.pdf"
    render_minutes(data, out, "vi")
    text, pages = text_of(out)
    assert len(pages) >= 3
    with_header = [i for i, p in enumerate(pages) if "Người được lấy phiếu" in p]
    assert len(with_header) >= 2  # the header row repeats on the next page
    for part in data.result.questions[0].parts:
        assert _part_name(part.part) in text
    motion = data.result.questions[1].parts[0]
    for label, s in zip(("Đồng ý", "Không đồng ý", "Phiếu trắng"), motion.slots, strict=True):
        assert f"{label}" in text and f"{s.count} {tx.percent(s.percent, 'vi')}" in text
    assert "Phiếu hợp lệ: 75; phiếu không hợp lệ: 5." in text
    for part in data.result.questions[2].parts:
        s = part.slots[0]
        assert f"{s.count} {tx.percent(s.percent, 'vi')}" in text
    assert "Thời gian: không ghi trong manifest" in text
    assert "Địa điểm: không ghi trong manifest" in text


def _part_name(part: str) -> str:
    return f"Người thứ {part[1:]} — Trưởng phòng"


def test_qr_code_points_at_the_public_record(confidence, tmp_path):
    # `make test` installs poppler-utils and zbar-tools: missing tools fail, never skip.
    assert shutil.which("pdftoppm") and shutil.which("zbarimg"), "install poppler-utils, zbar-tools"
    out = tmp_path / "minutes.pdf"
    render_minutes(confidence, out)
    subprocess.run(["pdftoppm", "-r", "150", "-png", out, tmp_path / "page"], check=True)
    found = set()
    for png in sorted(tmp_path.glob("page-*.png")):
        r = subprocess.run(
            ["zbarimg", "-q", "--raw", png], check=False, capture_output=True, text=True
        )
        found.update(r.stdout.split())
    assert found == {f"{SERVER}/api/elections/tin-nhiem-2026/record"}


def test_missing_font(confidence, tmp_path):
    with pytest.raises(FontMissing, match="fonts-dejavu-core"):
        render_minutes(confidence, tmp_path / "m.pdf", font_dir=tmp_path)


# --- fetch_minutes_data's checks, against canned answers ------------------------


class Canned:
    """An ApiClient stand-in answering GETs from a dict of paths."""

    base_url = SERVER

    def __init__(self, answers):
        self.answers = answers

    def get(self, path):
        return self.answers[path]


def canned(data, held, state="tallied"):
    eid = data.manifest.election_id
    base = f"/api/elections/{eid}"
    keys = roll_of(data.result.issued)
    signed = [
        {"index": d.index, "purpose": "tally", "valid": True, "shares": codec.to_wire(d)}
        for d in data.tally_shares
    ]
    return {
        base: {
            "id": eid,
            "state": state,
            "manifest": codec.to_wire(data.manifest),
            "key_ceremony": codec.to_wire(held.ceremony),
            "base_hash": data.base_hash.hex(),
            "board_size": data.board_size,
            "board_head": HEAD.hex(),
        },
        f"{base}/result": {
            "result": codec.to_wire(data.result),
            "counts": codec.to_wire(data.counts),
        },
        f"{base}/trustees": {"trustees": [codec.to_wire(t) for t in data.trustees]},
        f"{base}/credentials": {
            "election_id": eid,
            "credentials": sorted(k.hex() for k in keys),
            "signed_roll": codec.to_wire(held.committee.sign_roll(eid, data.base_hash, keys)),
        },
        f"{base}/shares": {"shares": signed},
        f"{base}/attestations": {"attestations": [codec.to_wire(a) for a in data.attestations]},
        "/api/server": {"software": "kiemphieu", "receipt_key": RECEIPT_KEY.hex()},
    }


def test_fetch_checks_what_it_prints(confidence, minutes_held):
    dealing = minutes_held
    eid = confidence.manifest.election_id
    got = fetch_minutes_data(Canned(canned(confidence, dealing)), eid, now=confidence.generated_at)
    assert got == confidence
    with pytest.raises(NotTallied):
        fetch_minutes_data(Canned(canned(confidence, dealing, "closed")), eid)

    answers = canned(confidence, dealing)
    answers[f"/api/elections/{eid}"]["base_hash"] = "00" * 32
    with pytest.raises(BadReply, match="base hash"):
        fetch_minutes_data(Canned(answers), eid)

    answers = canned(confidence, dealing)
    wire = answers[f"/api/elections/{eid}/result"]["result"]
    wire["questions"][0]["parts"][1]["flags"] = []  # a flag dropped from the result
    with pytest.raises(BadReply, match="does not follow from the counts"):
        fetch_minutes_data(Canned(answers), eid)

    answers = canned(confidence, dealing)
    doc = answers[f"/api/elections/{eid}/shares"]["shares"][1]["shares"]
    doc["index"] = 2  # trustee 3's shares presented as trustee 2's
    with pytest.raises(BadReply, match="signature does not verify"):
        fetch_minutes_data(Canned(answers), eid)

    answers = canned(confidence, dealing)
    answers["/api/server"]["receipt_key"] = "not a key"
    with pytest.raises(BadReply, match="receipt key"):
        fetch_minutes_data(Canned(answers), eid)

    answers = canned(confidence, dealing)
    answers[f"/api/elections/{eid}/shares"]["shares"][0]["valid"] = False
    with pytest.raises(BadReply, match="2 valid tally-share documents, 3 needed"):
        fetch_minutes_data(Canned(answers), eid)

    answers = canned(confidence, dealing)
    answers[f"/api/elections/{eid}/attestations"]["attestations"].pop()
    with pytest.raises(BadReply, match="2 trustees attested the closed board, 3 needed"):
        fetch_minutes_data(Canned(answers), eid)

    answers = canned(confidence, dealing)
    answers[f"/api/elections/{eid}/attestations"]["attestations"][0]["head"] = "11" * 32
    with pytest.raises(BadReply, match="close attestations"):
        fetch_minutes_data(Canned(answers), eid)

    answers = canned(confidence, dealing)
    roll = answers[f"/api/elections/{eid}/credentials"]
    roll["credentials"] = sorted([*roll["credentials"], "ff" * 32])  # a puppet voter
    with pytest.raises(BadReply, match="not the registrar's roll"):
        fetch_minutes_data(Canned(answers), eid)

    answers = canned(confidence, dealing)
    wire = codec.to_wire(  # one more issued than the registrar signed
        compute_result(
            confidence.manifest, confidence.counts, issued=86, present=confidence.result.present
        )
    )
    answers[f"/api/elections/{eid}/result"]["result"] = wire
    with pytest.raises(BadReply, match="86 credentials issued; the registrar signed a roll of 85"):
        fetch_minutes_data(Canned(answers), eid)

    answers = canned(confidence, dealing)
    ceremony = answers[f"/api/elections/{eid}"]["key_ceremony"]
    ceremony["committee"]["trustees"][1]["role"] = "Trưởng ban"  # and H_E moved to match
    wire = codec.from_wire(KeyCeremony, ceremony)
    answers[f"/api/elections/{eid}"]["base_hash"] = base_hash(confidence.manifest, wire).hex()
    with pytest.raises(BadReply, match="not signed by its identity key"):
        fetch_minutes_data(Canned(answers), eid)


# --- the verb against a real server -------------------------------------------


def test_minutes_verb_through_a_count(cli, live, pedersen_primes, test_primes, tmp_path):
    """Create, committee, registrar, keys, credentials and the signed roll, test
    decryption, open, 3 ballots, close, 3 of 5 trustees attest and decrypt; the
    verb refuses before the result (3), writes the minutes after it, refuses to
    overwrite (2), and replaces with --force."""
    eid = f"minutes-{os.getpid()}"
    manifest_file = tmp_path / "manifest.toml"
    manifest_file.write_text(SOURCE.replace('"tin-nhiem-2026"', f'"{eid}"'), encoding="utf-8")
    admin = ("--server", live.url, "--token-file", live.token_file)
    assert cli("admin", "create", *admin, "--manifest", manifest_file).code == 0
    keys = identities()
    held = hold_ceremony(eid, minutes_committee(pedersen_primes), test_primes)
    dealing = held.dealing
    for member in held.committee.trustees:
        live.post(f"/api/admin/elections/{eid}/trustees", codec.dumps(member), admin=True)
    live.post(
        f"/api/admin/elections/{eid}/registrar",
        codec.dumps(held.committee.registrar),
        admin=True,
    )
    ceremony = tmp_path / "ceremony.json"
    ceremony.write_bytes(codec.dumps(held.ceremony))
    assert cli("admin", "keys", *admin, "--election", eid, "--ceremony", ceremony).code == 0
    info = live.get(f"/api/elections/{eid}")
    h = bytes.fromhex(info["base_hash"])
    voters = [held.committee.credential(new_code(), eid) for _ in range(4)]
    body = json.dumps({"credentials": [v.public.hex() for v in voters]}).encode()
    live.post(f"/api/registrar/elections/{eid}/credentials", body, admin=True)
    signed = held.committee.sign_roll(eid, h, [v.public for v in voters])
    live.post(f"/api/registrar/elections/{eid}/roll", codec.dumps(signed), admin=True)
    for share, key in zip(dealing.shares, keys, strict=True):
        doc = make_shares(share, bytes(key), h, SharePurpose.TEST, (dealing.test_ciphertext,))
        live.post(f"/api/trustee/elections/{eid}/test-shares", codec.dumps(doc))

    out = tmp_path / "minutes.pdf"
    verb = ("minutes", "--server", live.url, "--election", eid, "--out", out)
    r = cli(*verb)
    assert r.code == 3 and "decrypted" in r.err and not out.exists()

    assert cli("admin", "open", *admin, "--election", eid).code == 0
    manifest = manifest_from_toml(manifest_file.read_text(encoding="utf-8"))
    ctx = ElectionContext(manifest, held.ceremony, KeyPolicy.TESTING)
    assert ctx.hash == h
    for voter, vote in zip(voters, [(0, 2), (0, None), (1, 2)], strict=False):
        live.post(
            f"/api/elections/{eid}/ballots",
            codec.dumps(bl.encrypt_ballot(ctx, voter, {"leaders": vote})),
        )
    assert cli("admin", "close", *admin, "--election", eid).code == 0
    assert cli(*verb).code == 3  # closed, not yet decrypted

    packed = tuple(int(c, 16) for c in live.get(f"/api/elections/{eid}/tally")["packed"])
    closed = live.get(f"/api/elections/{eid}")
    close = BoardClose(
        closed["board_size"], 3, signed.roll_hash, bytes.fromhex(closed["board_head"])
    )
    for i in (2, 3, 5):
        att = attest(bytes(keys[i - 1]), h, i, close)
        live.post(f"/api/trustee/elections/{eid}/attestations", codec.dumps(att))
    for i in (2, 3, 5):
        doc = make_shares(dealing.shares[i - 1], bytes(keys[i - 1]), h, SharePurpose.TALLY, packed)
        live.post(f"/api/trustee/elections/{eid}/tally-shares", codec.dumps(doc))

    r = cli(*verb)
    assert r.code == 0, r.err
    assert tx.grouped_hex(h) in r.out
    text, _ = text_of(out)
    assert tx.grouped_hex(h) in text
    head = live.get(f"/api/elections/{eid}/board/head")
    assert tx.grouped_hex(bytes.fromhex(head["head"])) in text
    result = live.get(f"/api/elections/{eid}/result")["result"]
    assert (result["issued"], result["returned"]) == (4, 3)
    p1, p2 = result["questions"][0]["parts"]
    # 3 present of 90 summoned: below the quorum the result has no effect, no flag
    # (2 low of 2 valid would be two thirds or more)
    assert result["quorum_met"] is False
    assert p1["flags"] == [] and p2["flags"] == []
    assert "1 Nguyễn Văn An — Cục trưởng 3 0 2 66,67 1 33,33 0 0,00" in text
    row = "Phó Cục trưởng 2 1 0 0,00 0 0,00 2 66,67"
    assert row in text and f"{row} Từ hai phần ba" not in text
    for i in (2, 3, 5):
        assert f"{i} {NAMES[i - 1]} {tx.fingerprint(bytes(keys[i - 1].verify_key))}" in text
    assert "Không đủ điều kiện tiến hành" in text  # 3 present of 90 summoned

    before = out.read_bytes()
    r = cli(*verb, "--lang", "en")
    assert r.code == 2 and "--force" in r.err and out.read_bytes() == before
    r = cli(*verb, "--lang", "en", "--force")
    assert r.code == 0, r.err
    text, _ = text_of(out)
    assert "COUNTING MINUTES" in text and "Quorum not met: 3/90 present (3.33%)" in text
