"""The counting minutes (biên bản kiểm phiếu) as an A4 PDF, laid out like the
Vietnamese form: the unit and the national heading, the title and meeting,
date, time and place, then I. the committee, II. people and ballots with the
quorum, III. each question's table (counts, percentages, flags, the
denominator stated), IV. the electronic record (fingerprint, board head,
trustees' key and signature fingerprints, QR code of the public record) and
V. a signature block for every committee member; "Trang x/y" on each page.

Rendering only: :class:`MinutesData` is gathered and checked by
:func:`kiemphieu.client.cli.minutes.fetch_minutes_data`, or built directly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    HRFlowable,
    KeepTogether,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from kiemphieu.crypto.election.attestation import CloseAttestation
from kiemphieu.crypto.election.committee import Trustee
from kiemphieu.crypto.election.manifest import Manifest
from kiemphieu.crypto.election.result import ElectionResult
from kiemphieu.crypto.election.result import percent as share_of
from kiemphieu.crypto.election.tally import TallyCounts
from kiemphieu.crypto.election.trustee import TrusteeShares

from . import minutes_text as tx
from .fonts import PdfFonts, load_fonts
from .http import api_path
from .minutes_tables import (
    BOTTOM,
    GREY,
    HEAD_BG,
    LEFT,
    QR_SIDE,
    RIGHT,
    TOP,
    WIDTH,
    _Doc,
    _grid,
    _p,
    _plain,
    _question,
)

CHAIR_ROLE = re.compile(r"(?<!phó )trưởng ban|^chair", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class MinutesData:
    """Everything the minutes print.

    ``tally_shares``: the valid tally-share document of each trustee who
    decrypted, by index; ``base_hash``: the election fingerprint H_E;
    ``server``: the server's base URL; ``receipt_key``: its Ed25519 receipt
    key, which signs the receipts and the election record, printed whole so an
    observer can pin it (``kiemphieu verify --server-key``).
    """

    manifest: Manifest
    result: ElectionResult
    counts: TallyCounts
    trustees: tuple[Trustee, ...]
    tally_shares: tuple[TrusteeShares, ...]
    base_hash: bytes
    board_size: int
    board_head: bytes | None
    server: str
    generated_at: datetime
    receipt_key: bytes | None = None
    attestations: tuple[CloseAttestation, ...] = ()
    """The trustees' close attestations of the board printed, by index."""

    @property
    def record_url(self) -> str:
        """The election record (docs/record.md) the QR code points at:
        ``{server}/api/elections/{id}/record``."""
        return self.server + api_path("elections", self.manifest.election_id, "record")

    @property
    def chair(self) -> Trustee | None:
        """The member whose role says chair (Trưởng ban, not Phó), else the first."""
        for t in sorted(self.trustees, key=lambda m: m.index):
            if CHAIR_ROLE.search(t.role.strip()):
                return t
        return min(self.trustees, key=lambda m: m.index, default=None)

    def committee(self) -> list[Trustee]:
        """The members, chair first, then by index."""
        chair = self.chair
        return sorted(self.trustees, key=lambda t: (t is not chair, t.index))


# --- the sections -------------------------------------------------------------


def _header(d: _Doc) -> list[Flowable]:
    t, meeting = d.t, d.data.manifest.meeting
    left: list[Flowable] = []
    if meeting is not None:
        left.append(_p(d.loc(meeting.unit).upper(), d.centre))
    left += [
        _p(t["committee_caps"], d.centre),
        HRFlowable(width="30%", thickness=0.6, color=colors.black, spaceBefore=2),
    ]
    right: list[Flowable] = [
        _p(t["nation"], d.centre),
        _p(t["motto"], d.centre),
        HRFlowable(width="50%", thickness=0.6, color=colors.black, spaceBefore=2),
    ]
    if meeting is not None:
        right += [Spacer(1, 6), _p(tx.long_date(meeting.date, d.lang), d.italic)]
    head = _plain([[left, right]], [WIDTH * 0.42, WIDTH * 0.58])
    head.setStyle(TableStyle([("ALIGN", (0, 0), (-1, -1), "CENTER")]))
    out: list[Flowable] = [
        head,
        Spacer(1, 18),
        _p(t["title"], d.title),
    ]
    if meeting is not None:
        out.append(_p(d.loc(meeting.name), d.centre))
    sub = ParagraphStyle("sub", d.body, alignment=TA_CENTER, fontSize=9, textColor=GREY)
    election = t["election"].format(
        title=d.loc(d.data.manifest.title), id=d.data.manifest.election_id
    )
    out += [Spacer(1, 3), _p(election, sub), Spacer(1, 12)]
    if meeting is None:
        when = where = t["not_recorded"]
    else:
        when = t["time_value"].format(date=tx.long_date(meeting.date, d.lang))
        where = meeting.place
    label = ParagraphStyle("label10", d.body, fontName=d.fonts.bold)
    rows = [
        [_p(t["time"] + ":", label), _p(when, d.body)],
        [_p(t["place"] + ":", label), _p(where, d.body)],
    ]
    out.append(_plain(rows, [28 * mm, WIDTH - 28 * mm]))
    return out


def _committee(d: _Doc) -> list[Flowable]:
    t, data = d.t, d.data
    rules = data.manifest.rules
    needed = rules.threshold if rules is not None else len(data.trustees)
    chair = data.chair
    rows: list[list[Any]] = [
        [_p(t[k], d.head) for k in ("col_index", "col_name", "col_role", "col_task")]
    ]
    for member in data.committee():
        rows.append(
            [
                _p(str(member.index), d.num),
                _p(member.name, d.cell),
                _p(member.role or "—", d.cell),
                _p(t["chair"] if member is chair else t["member"], d.cell),
            ]
        )
    return [
        CondPageBreak(40 * mm),
        _p(t["s1"], d.section),
        _p(t["committee_intro"].format(n=len(data.trustees), t=needed), d.body),
        Spacer(1, 4),
        _grid(rows, [12 * mm, 68 * mm, WIDTH - 110 * mm, 30 * mm]),
    ]


def _figures(d: _Doc) -> list[Flowable]:
    t, r, rules = d.t, d.data.result, d.data.manifest.rules
    quorum = ""
    if rules is not None:
        quorum = t["quorum_met" if r.quorum_met else "quorum_not_met"].format(
            present=d.n(r.present),
            summoned=d.n(r.summoned),
            pct=d.pct(share_of(r.present, r.summoned)),
            frac=tx.fraction(rules.quorum),
        )
    rows = [
        [_p(t[key], d.cell), _p(d.n(value), d.num), _p(note, d.cell)]
        for key, value, note in (
            ("summoned", r.summoned, ""),
            ("present", r.present, quorum),
            ("issued", r.issued, ""),
            ("returned", r.returned, ""),
        )
    ]
    widths = [62 * mm, 20 * mm, WIDTH - 82 * mm]
    table = _grid(rows, widths, 0, [("BACKGROUND", (0, 0), (0, -1), HEAD_BG)])
    return [
        CondPageBreak(40 * mm),
        _p(t["s2"], d.section),
        table,
        Spacer(1, 3),
        _p(t["per_row_note"], d.small),
    ]


def _qr(url: str) -> Drawing:
    widget = QrCodeWidget(url, barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    scale = [QR_SIDE / (x1 - x0), 0, 0, QR_SIDE / (y1 - y0), 0, 0]
    drawing = Drawing(QR_SIDE, QR_SIDE, transform=scale)
    drawing.add(widget)
    return drawing


def _verification(d: _Doc) -> list[Flowable]:
    t, data = d.t, d.data
    head = tx.grouped_hex(data.board_head) if data.board_head is not None else t["no_head"]
    when = data.generated_at.strftime("%Y-%m-%d %H:%M %Z").strip()
    facts = [
        [_p(t["fingerprint"], d.label), _p(tx.grouped_hex(data.base_hash), d.mono)],
        [_p(t["board_size"], d.label), _p(d.n(data.board_size), d.cell)],
        [_p(t["board_head"], d.label), _p(head, d.mono)],
        [_p(t["server"], d.label), _p(data.server, d.cell)],
        [
            _p(t["receipt_key"], d.label),
            _p(tx.grouped_hex(data.receipt_key) if data.receipt_key else "—", d.mono),
        ],
        [_p(t["record"], d.label), _p(data.record_url, d.cell)],
        [_p(t["generated"], d.label), _p(when, d.cell)],
    ]
    text_w = WIDTH - QR_SIDE - 6 * mm
    caption = ParagraphStyle("qrcap", d.small, alignment=TA_CENTER, fontSize=7, leading=8.5)
    side = _plain(
        [
            [
                _plain(facts, [38 * mm, text_w - 38 * mm], pad=4),
                [_qr(data.record_url), _p(t["qr_caption"], caption)],
            ]
        ],
        [text_w + 6 * mm, QR_SIDE],
    )
    by_index = {m.index: m for m in data.trustees}
    attested: list[list[Any]] = [
        [_p(t[k], d.head) for k in ("col_index", "col_name", "col_key", "col_signature")]
    ]
    for att in data.attestations:
        member = by_index.get(att.index)
        attested.append(
            [
                _p(str(att.index), d.num),
                _p(member.name if member else "?", d.cell),
                _p(tx.fingerprint(member.identity_key) if member else "?", d.mono),
                _p(tx.fingerprint(att.signature), d.mono),
            ]
        )
    rows: list[list[Any]] = [
        [_p(t[k], d.head) for k in ("col_index", "col_name", "col_key", "col_signature")]
    ]
    for doc in data.tally_shares:
        member = by_index.get(doc.index)
        rows.append(
            [
                _p(str(doc.index), d.num),
                _p(member.name if member else "?", d.cell),
                _p(tx.fingerprint(member.identity_key) if member else "?", d.mono),
                _p(tx.fingerprint(doc.signature), d.mono),
            ]
        )
    fp_w = 46 * mm
    widths = [12 * mm, WIDTH - 12 * mm - 2 * fp_w, fp_w, fp_w]
    return [
        KeepTogether([_p(t["s4"], d.section), _p(t["verify_intro"], d.body), Spacer(1, 6), side]),
        Spacer(1, 8),
        _p(t["attested_intro"], d.body),
        Spacer(1, 4),
        _grid(attested, widths),
        Spacer(1, 8),
        _p(t["decrypted_intro"], d.body),
        Spacer(1, 4),
        _grid(rows, widths),
        Spacer(1, 3),
        _p(t["fingerprint_note"], d.small),
    ]


def _signatures(d: _Doc) -> list[Flowable]:
    t, chair = d.t, d.data.chair
    hint = ParagraphStyle("hint", d.small, fontName=d.fonts.italic, alignment=TA_CENTER)
    blocks: list[list[Flowable]] = [
        [
            _p((t["chair"] if member is chair else t["member"]).upper(), d.centre),
            _p(t["sign_hint"], hint),
            Spacer(1, 20 * mm),
            _p(member.name, d.centre),
        ]
        for member in d.data.committee()
    ]
    per_row = 3
    cells: list[list[Any]] = []
    for k in range(0, len(blocks), per_row):
        row: list[Any] = list(blocks[k : k + per_row])
        cells.append(row + [""] * (per_row - len(row)))
    grid = Table(cells, colWidths=[WIDTH / per_row] * per_row)
    grid.setStyle(
        TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("BOTTOMPADDING", (0, 0), (-1, -1), 14)])
    )
    intro = [_p(t["s5"], d.section), _p(t["sign_intro"], d.body), Spacer(1, 10)]
    return [KeepTogether([*intro, grid])]


def _numbered_canvas(fonts: PdfFonts, page_text: str, footer: str) -> type[Canvas]:
    """A canvas that holds its pages until the end, to print "Trang x/y" on each."""

    class NumberedCanvas(Canvas):  # type: ignore[misc]  # reportlab has no type hints
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._held: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._held.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._held)
            y = BOTTOM - 9 * mm
            for number, state in enumerate(self._held, 1):
                self.__dict__.update(state)
                self.setFont(fonts.sans, 8)
                self.setFillColor(GREY)
                self.setStrokeColor(GREY)
                self.setLineWidth(0.4)
                self.line(LEFT, y + 10, A4[0] - RIGHT, y + 10)
                self.drawString(LEFT, y, footer)
                self.drawRightString(A4[0] - RIGHT, y, page_text.format(page=number, pages=total))
                super().showPage()
            super().save()

    return NumberedCanvas


def render_minutes(
    data: MinutesData, out: Path, lang: str = "vi", font_dir: Path | None = None
) -> None:
    """Write the counting minutes of ``data`` to ``out`` (A4 PDF, DejaVu Sans embedded)
    in Vietnamese (``vi``) or English (``en``). Raises FontMissing, or ValueError
    for another language."""
    t = tx.text(lang)
    d = _Doc(data, lang, load_fonts(font_dir))
    story = [*_header(d), *_committee(d), *_figures(d)]
    story += [CondPageBreak(55 * mm), _p(t["s3"], d.section)]
    for number, qr in enumerate(data.result.questions, 1):
        story += _question(d, number, qr)
    story += [*_verification(d), *_signatures(d)]
    doc = SimpleDocTemplate(
        str(out),
        pagesize=A4,
        leftMargin=LEFT,
        rightMargin=RIGHT,
        topMargin=TOP,
        bottomMargin=BOTTOM,
        title=f"{t['pdf_title']}: {data.manifest.election_id}",
        author="kiemphieu",
        subject=d.loc(data.manifest.title),
        creator="kiemphieu minutes",
    )
    footer = f"kiemphieu · {data.manifest.election_id} · {tx.grouped_hex(data.base_hash[:8])}"
    doc.build(story, canvasmaker=_numbered_canvas(d.fonts, t["page"], footer))
