"""The demo's first scenario: a confidence vote on 5 leaders, and its random ballots.

A department (fictional) assesses its director general and four deputies
under QĐ 96-QĐ/TW: 90 people summoned, percentages of the ballots returned,
"more than half and less than two thirds low" and "two thirds or more low"
flagged as exclusive tiers, quorum 2/3 of those summoned; a committee of 5
trustees, any 3 of whom decrypt. Every name here is invented.

The random ballots (``kiemphieu demo --auto``) lean against the last deputy,
so that the result shows a flag: three ballots in five rate that row "low".
The choices are random for the show, not for any secret (the ballots'
encryption draws its own randomness from :mod:`secrets`).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date

from kiemphieu.crypto.election.ballot import Vote

ELECTION_ID = "tin-nhiem-demo"
QUESTION = "leaders"
SUMMONED = 90
TRUSTEES = 5
THRESHOLD = 3
DECRYPTING = (1, 3, 5)
LEVELS = ("high", "mid", "low")
LOW = LEVELS.index("low")
TILTED_ROW = 4

LEADERS = (
    ("cuc-truong", "Nguyễn Văn Thành", "Cục trưởng", "Director General"),
    ("pho-1", "Trần Thị Mai", "Phó Cục trưởng", "Deputy Director General"),
    ("pho-2", "Lê Hoàng Nam", "Phó Cục trưởng", "Deputy Director General"),
    ("pho-3", "Phạm Minh Tuấn", "Phó Cục trưởng", "Deputy Director General"),
    ("pho-4", "Vũ Thị Lan", "Phó Cục trưởng", "Deputy Director General"),
)

COMMITTEE = (
    ("Đỗ Thị Hương", "Trưởng ban kiểm phiếu"),
    ("Bùi Văn Khánh", "Ủy viên"),
    ("Hoàng Thị Ngọc", "Ủy viên"),
    ("Ngô Quang Vinh", "Ủy viên"),
    ("Đặng Thu Trang", "Ủy viên"),
)
REGISTRAR = "Phòng Tổ chức cán bộ"

_MANIFEST = """\
election_id = "{election_id}"

[title]
vi = "Lấy phiếu tín nhiệm lãnh đạo Cục Thử nghiệm năm {year} (bản trình diễn)"
en = "Confidence rating of the Department of Trials' leaders, {year} (demo)"

[description]
vi = "Hội nghị lấy phiếu tín nhiệm theo Quy định 96-QĐ/TW. Tên người là hư cấu."
en = "Confidence rating under Regulation 96-QĐ/TW. All names are fictional."

[rules]
summoned = {summoned}
quorum = "2/3"
denominator = "returned"
revote = "last-counts"
trustees = {trustees}
threshold = {threshold}

[[rules.thresholds]]
id = "low-more-than-half"
question = "{question}"
slot = "low"
comparison = "more-than"
fraction = "1/2"
denominator = "returned"
label = {{ vi = "Trên 1/2 đến dưới 2/3 tín nhiệm thấp", en = "Over 1/2, under 2/3 low confidence" }}

[[rules.thresholds]]
id = "low-two-thirds"
question = "{question}"
slot = "low"
comparison = "at-least"
fraction = "2/3"
denominator = "returned"
label = {{ vi = "Từ hai phần ba trở lên tín nhiệm thấp", en = "Two thirds or more low confidence" }}

[[questions]]
id = "{question}"
kind = "confidence"
title = {{ vi = "Lãnh đạo Cục", en = "The department's leaders" }}
levels = [
  {{ id = "high", vi = "Tín nhiệm cao", en = "High confidence" }},
  {{ id = "mid", vi = "Tín nhiệm", en = "Confidence" }},
  {{ id = "low", vi = "Tín nhiệm thấp", en = "Low confidence" }},
]
rows = [
{rows}
]

[meeting]
unit = {{ vi = "Cục Thử nghiệm", en = "Department of Trials" }}
name = {{ vi = "Hội nghị lấy phiếu tín nhiệm năm {year}", \
en = "Confidence rating conference {year}" }}
place = "Hội trường tầng 3, số 12 phố Thử Nghiệm, Hà Nội"
date = {date}
"""


def manifest_toml(election_id: str = ELECTION_ID, day: date | None = None) -> str:
    """The scenario's manifest (TOML), dated ``day`` (default today)."""
    day = day or date.today()
    rows = ",\n".join(
        f'  {{ id = "{rid}", vi = "{name} — {vi}", en = "{name} — {en}" }}'
        for rid, name, vi, en in LEADERS
    )
    return _MANIFEST.format(
        election_id=election_id,
        year=day.year,
        summoned=SUMMONED,
        trustees=TRUSTEES,
        threshold=THRESHOLD,
        question=QUESTION,
        rows=rows,
        date=day.isoformat(),
    )


def random_votes(count: int, rng: random.Random | None = None) -> list[dict[str, Vote]]:
    """``count`` ballots' choices: each row high, mid, low or (rarely) blank,
    and the tilted row "low" on three ballots in every five."""
    rng = rng or random.Random()  # noqa: S311 - demo choices, not secrets
    out: list[dict[str, Vote]] = []
    for i in range(count):
        row: list[int | None] = []
        for r in range(len(LEADERS)):
            if r == TILTED_ROW:
                row.append(LOW if i % 5 < 3 else rng.choice((0, 1)))
            else:
                row.append(rng.choices((0, 1, LOW, None), weights=(45, 35, 15, 5))[0])
        out.append({QUESTION: tuple(row)})
    return out


def expected_slots(votes: Sequence[dict[str, Vote]]) -> list[tuple[int, ...]]:
    """Per row, the counts (high, mid, low, blank) the tally must show."""
    counts = [[0] * (len(LEVELS) + 1) for _ in LEADERS]
    for vote in votes:
        levels = vote[QUESTION]
        if not isinstance(levels, tuple):
            raise TypeError("a confidence vote is a tuple of levels")
        for r, level in enumerate(levels):
            counts[r][len(LEVELS) if level is None else level] += 1
    return [tuple(c) for c in counts]
