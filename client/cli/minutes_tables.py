"""The counting minutes' page, styles and per-question tables (the PDF's
section III): counts, percentages, flags and the denominator stated, for a
confidence question (one row per person) and for motions and elections.
Laid out by :mod:`.minutes_pdf`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from kiemphieu.crypto.election.manifest import BLANK, CHOSEN, Question, QuestionKind
from kiemphieu.crypto.election.result import PartResult, QuestionResult
from kiemphieu.crypto.election.rules import Denominator, Threshold

from . import minutes_text as tx
from .fonts import PdfFonts

if TYPE_CHECKING:
    from .minutes_pdf import MinutesData

# --- page and styles ----------------------------------------------------------

LEFT, RIGHT, TOP, BOTTOM = 22 * mm, 16 * mm, 16 * mm, 20 * mm
WIDTH = A4[0] - LEFT - RIGHT
GRID = colors.Color(0.55, 0.55, 0.55)
HEAD_BG = colors.Color(0.91, 0.91, 0.91)
FLAG_BG = colors.Color(0.99, 0.92, 0.80)
GREY = colors.Color(0.35, 0.35, 0.35)
QR_SIDE = 34 * mm


class _Doc:
    """What every section needs: the data, the language, its words and the styles."""

    def __init__(self, data: MinutesData, lang: str, fonts: PdfFonts) -> None:
        self.data = data
        self.lang = lang
        self.t = tx.text(lang)
        self.fonts = fonts
        body = ParagraphStyle("body", fontName=fonts.sans, fontSize=10, leading=13.5)
        cell = ParagraphStyle("cell", body, fontSize=8, leading=10)
        self.body = body
        self.cell = cell
        self.small = ParagraphStyle("small", body, fontSize=8, leading=10, textColor=GREY)
        self.num = ParagraphStyle("num", cell, alignment=TA_RIGHT)
        self.head = ParagraphStyle("head", cell, fontName=fonts.bold, alignment=TA_CENTER)
        self.label = ParagraphStyle("label", cell, fontName=fonts.bold)
        self.mono = ParagraphStyle("mono", cell, fontName=fonts.mono_regular, fontSize=8.5)
        self.centre = ParagraphStyle("centre", body, fontName=fonts.bold, alignment=TA_CENTER)
        self.section = ParagraphStyle(
            "section",
            body,
            fontName=fonts.bold,
            fontSize=11,
            spaceBefore=10,
            spaceAfter=5,
        )
        self.title = ParagraphStyle(
            "title", body, fontName=fonts.bold, fontSize=16, leading=20, alignment=TA_CENTER
        )
        self.italic = ParagraphStyle("italic", body, fontName=fonts.italic, alignment=TA_CENTER)

    def loc(self, text: Any) -> str:
        """A LocalizedText or LocalizedLabel in this language."""
        return str(getattr(text, self.lang))

    def n(self, value: int) -> str:
        return tx.number(value, self.lang)

    def pct(self, value: str) -> str:
        return tx.percent(value, self.lang)


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text), style)


def _grid(
    rows: list[list[Any]], widths: Sequence[float], header_rows: int = 1, extra: Sequence[Any] = ()
) -> Table:
    table = Table(rows, colWidths=list(widths), repeatRows=header_rows, hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, GRID),
                *([("BACKGROUND", (0, 0), (-1, header_rows - 1), HEAD_BG)] if header_rows else []),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 2.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                ("LEFTPADDING", (0, 0), (-1, -1), 2.5),
                ("RIGHTPADDING", (0, 0), (-1, -1), 2.5),
                *extra,
            ]
        )
    )
    return table


def _plain(rows: list[list[Any]], widths: Sequence[float], pad: float = 0) -> Table:
    table = Table(rows, colWidths=list(widths), hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), pad),
                ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
            ]
        )
    )
    return table


def _slot_label(d: _Doc, q: Question, slot: str) -> str:
    if slot == CHOSEN:
        return d.t["chosen"]
    if slot == BLANK:
        return d.t["blank_row"]
    return next((d.loc(o.label) for o in q.options if o.id == slot), slot)


def _part_label(d: _Doc, q: Question, part: str) -> str:
    if q.kind is QuestionKind.SINGLE:
        return d.loc(q.title)
    return next((d.loc(c.label) for c in (*q.rows, *q.options) if c.id == part), part)


def _flags(d: _Doc, flags: Sequence[str], rules: dict[str, Threshold]) -> str:
    return "; ".join(d.loc(rules[f].label) if f in rules else f for f in flags)


def _confidence_table(
    d: _Doc, q: Question, parts: Sequence[PartResult], rules: dict[str, Threshold]
) -> Table:
    """One row per person: valid, invalid, count and % of each level, flags."""
    t = d.t
    levels = [s for s in q.slot_ids if s != BLANK]
    head1: list[Any] = [_p(t[k], d.head) for k in ("col_no", "col_person", "col_valid")]
    head1.append(_p(t["col_invalid"], d.head))
    head2: list[Any] = ["", "", "", ""]
    for level in levels:
        head1 += [_p(_slot_label(d, q, level), d.head), ""]
        head2 += [_p(t["col_count"], d.head), _p(t["col_percent"], d.head)]
    head1.append(_p(t["col_flags"], d.head))
    head2.append("")
    rows: list[list[Any]] = [head1, head2]
    flagged = []
    for n, part in enumerate(parts, 1):
        by_slot = {s.slot: s for s in part.slots}
        row: list[Any] = [
            _p(str(n), d.num),
            _p(_part_label(d, q, part.part), d.cell),
            _p(d.n(part.valid), d.num),
            _p(d.n(part.invalid), d.num),
        ]
        for level in levels:
            row += [_p(d.n(by_slot[level].count), d.num), _p(d.pct(by_slot[level].percent), d.num)]
        row.append(_p(_flags(d, part.flags, rules), d.cell))
        if part.flags:
            flagged.append(len(rows))
        rows.append(row)
    fixed = [8 * mm, 0.0, 12 * mm, 14 * mm]
    flags_w = 30 * mm
    per_level = min(24 * mm, (WIDTH - sum(fixed) - flags_w - 36 * mm) / len(levels))
    widths = [*fixed, *[per_level / 2] * 2 * len(levels), flags_w]
    widths[1] = WIDTH - sum(widths)
    last = len(widths) - 1
    extra: list[Any] = [("SPAN", (c, 0), (c, 1)) for c in (0, 1, 2, 3, last)]
    extra += [("SPAN", (4 + 2 * k, 0), (5 + 2 * k, 0)) for k in range(len(levels))]
    extra += [("BACKGROUND", (0, r), (-1, r), FLAG_BG) for r in flagged]
    return _grid(rows, widths, 2, extra)


def _option_table(
    d: _Doc, q: Question, parts: Sequence[PartResult], rules: dict[str, Threshold]
) -> Table:
    """One row per option (a single choice's slots, or a multiple choice's parts)."""
    t = d.t
    lines: list[tuple[str, str, int, str, tuple[str, ...]]] = []
    if q.kind is QuestionKind.SINGLE:
        part = parts[0]
        for s in part.slots:
            raised = tuple(f for f in part.flags if f in rules and rules[f].slot == s.slot)
            lines.append((s.slot, _slot_label(d, q, s.slot), s.count, s.percent, raised))
    else:
        for part in parts:
            s = part.slots[0]
            label = _part_label(d, q, part.part)
            lines.append((part.part, label, s.count, s.percent, part.flags))
    head = ("col_no", "col_option", "col_count", "col_percent", "col_flags")
    rows: list[list[Any]] = [[_p(t[k], d.head) for k in head]]
    flagged = []
    for n, (slot, label, count, pct, raised) in enumerate(lines, 1):
        if raised:
            flagged.append(len(rows))
        rows.append(
            [
                _p("" if slot == BLANK else str(n), d.num),
                _p(label, d.cell),
                _p(d.n(count), d.num),
                _p(d.pct(pct), d.num),
                _p(_flags(d, raised, rules), d.cell),
            ]
        )
    widths = [8 * mm, 0.0, 20 * mm, 20 * mm, 48 * mm]
    widths[1] = WIDTH - sum(widths)
    return _grid(rows, widths, 1, [("BACKGROUND", (0, r), (-1, r), FLAG_BG) for r in flagged])


def _question(d: _Doc, number: int, qr: QuestionResult) -> list[Flowable]:
    t, manifest = d.t, d.data.manifest
    q = manifest.question(qr.question)
    rules = manifest.rules
    thresholds = {th.id: th for th in (rules.thresholds if rules else ()) if th.question == q.id}
    if q.kind is QuestionKind.CONFIDENCE:
        table = _confidence_table(d, q, qr.parts, thresholds)
    else:
        table = _option_table(d, q, qr.parts, thresholds)
    notes = []
    if q.kind is not QuestionKind.CONFIDENCE:
        first = qr.parts[0]
        notes.append(t["valid_line"].format(valid=d.n(first.valid), invalid=d.n(first.invalid)))
    if rules is not None and rules.denominator is Denominator.VALID:
        notes.append(t["denominator_valid"])
    elif rules is not None:
        what = tx.denominator(rules.denominator, d.lang)
        notes.append(t["denominator"].format(what=what, n=d.n(qr.parts[0].denominator)))
    for th in thresholds.values():
        notes.append(
            t["rule"].format(
                label=d.loc(th.label),
                slot=_slot_label(d, q, th.slot),
                cmp=tx.comparison(th.comparison),
                frac=tx.fraction(th.fraction),
                what=tx.denominator(th.denominator, d.lang),
            )
        )
    title = t["question"].format(i=number, title=d.loc(q.title))
    heading = [CondPageBreak(45 * mm), _p(title, d.section)]
    return [*heading, table, Spacer(1, 3), *(_p(n, d.small) for n in notes)]
