"""The result as a terminal table, in Vietnamese or English (docs/spec.md §8.8; domain.md).

One table per question: a row per person assessed (or per option of a
multiple choice, or the one row of a single choice), with ballots issued,
returned, valid and invalid, then each level's (option's) count and its
percentage of the election's denominator, and under the row the flags it
raised. A participation line gives summoned, present, issued, returned and
whether the quorum is met.
"""

from __future__ import annotations

from collections.abc import Sequence

from kiemphieu.crypto.election.manifest import BLANK, CHOSEN, Manifest, Question, QuestionKind
from kiemphieu.crypto.election.result import ElectionResult, PartResult
from kiemphieu.crypto.election.rules import Denominator

LABELS: dict[str, dict[str, str]] = {
    "vi": {
        "item": "Người / phương án",
        "issued": "Phát ra",
        "returned": "Thu về",
        "valid": "Hợp lệ",
        "invalid": "Không hợp lệ",
        BLANK: "Để trống, không hợp lệ",
        CHOSEN: "Được chọn",
        "choice": "Lựa chọn",
        "base": "Tỉ lệ tính trên",
        "summoned": "Triệu tập",
        "present": "Có mặt",
        "quorum": "túc số",
        "met": "ĐỦ",
        "not_met": "KHÔNG ĐỦ",
        "flag": "Cảnh báo",
    },
    "en": {
        "item": "Person / option",
        "issued": "Issued",
        "returned": "Returned",
        "valid": "Valid",
        "invalid": "Invalid",
        BLANK: "Blank or invalid",
        CHOSEN: "Chosen",
        "choice": "Choice",
        "base": "Percentages of",
        "summoned": "Summoned",
        "present": "Present",
        "quorum": "quorum",
        "met": "MET",
        "not_met": "NOT MET",
        "flag": "Flag",
    },
}

DENOMINATORS: dict[str, dict[Denominator, str]] = {
    "vi": {
        Denominator.RETURNED: "số phiếu thu về",
        Denominator.ISSUED: "số phiếu phát ra",
        Denominator.SUMMONED: "số người được triệu tập",
        Denominator.VALID: "số phiếu hợp lệ",
    },
    "en": {
        Denominator.RETURNED: "ballots returned",
        Denominator.ISSUED: "ballots issued",
        Denominator.SUMMONED: "people summoned",
        Denominator.VALID: "valid ballots",
    },
}


def _text(label: object, lang: str) -> str:
    return str(getattr(label, lang))


def _slot_names(q: Question, lang: str) -> list[str]:
    words = LABELS[lang]
    names = {o.id: _text(o.label, lang) for o in q.options}
    return [words[s] if s in (BLANK, CHOSEN) else names[s] for s in q.slot_ids]


def _part_name(q: Question, part: str, lang: str) -> str:
    if q.kind is QuestionKind.CONFIDENCE:
        return next(_text(r.label, lang) for r in q.rows if r.id == part)
    if q.kind is QuestionKind.MULTIPLE:
        return next(_text(o.label, lang) for o in q.options if o.id == part)
    return LABELS[lang]["choice"]


def _grid(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Columns padded to their widest cell; the first left-aligned, the others right."""
    widths = [max(len(r[i]) for r in (header, *rows)) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = [c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True)]
        return "  ".join([first, *rest]).rstrip()

    return [line(header), "  ".join("-" * w for w in widths), *(line(r) for r in rows)]


def _question_table(
    q: Question, parts: Sequence[PartResult], issued: int, flags: dict[str, str], lang: str
) -> list[str]:
    words = LABELS[lang]
    header = [words["item"], words["issued"], words["returned"], words["valid"], words["invalid"]]
    header += _slot_names(q, lang)
    rows: list[list[str]] = []
    notes: list[str] = []
    for p in parts:
        cells = [_part_name(q, p.part, lang), str(issued), str(p.returned), str(p.valid)]
        cells.append(str(p.invalid))
        cells += [f"{s.count} ({s.percent}%)" for s in p.slots]
        rows.append(cells)
        notes += [f"  ! {cells[0]}: {flags.get(f, f)}" for f in p.flags]
    return _grid(header, rows) + notes


def render_table(manifest: Manifest, result: ElectionResult, lang: str = "vi") -> str:
    """The whole result as text, labels in ``lang`` ("vi" or "en")."""
    if lang not in LABELS:
        raise ValueError(f"no labels for language {lang!r}")
    words = LABELS[lang]
    rules = manifest.rules
    flags = {t.id: _text(t.label, lang) for t in rules.thresholds} if rules else {}
    out = [_text(manifest.title, lang), ""]
    if rules is not None:
        quorum = rules.quorum
        met = words["met"] if result.quorum_met else words["not_met"]
        out.append(
            f"{words['summoned']} {result.summoned} · {words['present']} {result.present} · "
            f"{words['issued']} {result.issued} · {words['returned']} {result.returned} — "
            f"{words['quorum']} {quorum.num}/{quorum.den}: {met}"
        )
        out.append(f"{words['base']} {DENOMINATORS[lang][rules.denominator]}")
    for i, (q, qr) in enumerate(zip(manifest.questions, result.questions, strict=True), 1):
        out += ["", f"{i}. {_text(q.title, lang)}"]
        out += _question_table(q, qr.parts, result.issued, flags, lang)
    return "\n".join(out)
