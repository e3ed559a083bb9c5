"""Credential sheets: one A4 page per voter (PDF) and a mail-merge list (CSV).

A page shows the election's title in Vietnamese and English, the code in its
grouped form in large monospace, a QR code of the code, short instructions in
both languages and the sheet number. Vietnamese needs a font with its
diacritics (ư, ơ, ạ, ế, …), which reportlab's built-in fonts lack: the pages
embed DejaVu Sans (see :mod:`.fonts`). The code itself is ASCII; it is set in
DejaVu Sans Mono when present, else in the built-in Courier.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas

from kiemphieu.crypto.election.manifest import LocalizedText
from kiemphieu.crypto.election.rules import Revote

from .fonts import PdfFonts


@dataclass(frozen=True, slots=True)
class Sheet:
    """One voter's sheet: its number and the code (never in a repr)."""

    number: int
    code: str = field(repr=False)


# --- the text of a sheet ------------------------------------------------------

HEADER = "kiemphieu · Phiếu mã cử tri / Voter credential sheet"
CODE_LABEL = "Mã bỏ phiếu của bạn / Your voting code"
QR_CAPTION = "Quét để nhập mã / Scan to enter the code"
ELECTION_LABEL = "Mã cuộc bỏ phiếu / Election ID"
FOOTER = "Giữ kín tờ này — Keep this sheet private"


def sheet_label(number: int, width: int) -> str:
    return f"Tờ số / Sheet No. {number:0{width}d}"


def instructions(revote: Revote | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The bullet points, in Vietnamese and in English."""
    again_vi, again_en = (
        ("Mỗi mã chỉ bỏ phiếu được một lần.", "Each code can vote only once.")
        if revote is Revote.REFUSE
        else (
            "Bạn có thể bỏ phiếu lại; chỉ lá phiếu cuối cùng được tính.",
            "You may vote again; only your last ballot counts.",
        )
    )
    vi = (
        "Giữ kín mã này: ai có mã đều có thể bỏ phiếu thay bạn. Không ai, kể cả ban tổ chức, "
        "được hỏi mã của bạn.",
        "Khi bỏ phiếu, nhập mã hoặc quét mã QR. Không phân biệt chữ hoa, chữ thường; "
        "có thể bỏ qua dấu gạch ngang.",
        again_vi,
        "Sau khi bỏ phiếu, hãy lưu mã theo dõi trên biên nhận để tự kiểm tra lá phiếu của mình "
        "trên bảng công khai.",
    )
    en = (
        "Keep this code secret: whoever holds it can vote in your place. Nobody, not even the "
        "organisers, may ask you for it.",
        "To vote, type the code or scan the QR code. Upper or lower case does not matter; "
        "the hyphens may be left out.",
        again_en,
        "After voting, keep the tracking code on your receipt: with it you can check your "
        "ballot on the public board.",
    )
    return vi, en


# --- rendering ----------------------------------------------------------------

MARGIN = 56.0
GREY = (0.35, 0.35, 0.35)
MAX_TITLE_LINES = 3


def render_pdf(
    sheets: Sequence[Sheet],
    *,
    title: LocalizedText,
    election_id: str,
    revote: Revote | None,
    fonts: PdfFonts,
) -> bytes:
    """One A4 page per sheet, the fonts embedded (subset)."""

    buf = io.BytesIO()
    c = Canvas(buf, pagesize=A4, pageCompression=1)
    c.setTitle(f"kiemphieu credentials: {election_id}")
    c.setAuthor("kiemphieu")
    c.setSubject("Voter credential sheets (confidential)")
    c.setCreator("kiemphieu credentials issue")
    width = max(4, len(str(max((s.number for s in sheets), default=1))))
    bullets = instructions(revote)
    for sheet in sheets:
        _page(
            c,
            sheet,
            title=title,
            election_id=election_id,
            bullets=bullets,
            fonts=fonts,
            number_width=width,
        )
        c.showPage()
    c.save()
    return buf.getvalue()


def _wrapped(
    text: str, font: str, size: float, width: float, limit: int | None = None
) -> list[str]:

    lines: list[str] = simpleSplit(text, font, size, width)
    if limit is not None and len(lines) > limit:
        lines = [*lines[: limit - 1], lines[limit - 1].rstrip() + " …"]
    return lines


def _page(
    c: Canvas,
    sheet: Sheet,
    *,
    title: LocalizedText,
    election_id: str,
    bullets: tuple[tuple[str, ...], tuple[str, ...]],
    fonts: PdfFonts,
    number_width: int,
) -> None:

    page_w, page_h = A4
    text_w = page_w - 2 * MARGIN
    label = sheet_label(sheet.number, number_width)

    y = page_h - MARGIN
    c.setFillColorRGB(*GREY)
    c.setFont(fonts.sans, 9)
    c.drawString(MARGIN, y, HEADER)
    c.setFillColorRGB(0, 0, 0)
    c.setFont(fonts.bold, 11)
    c.drawRightString(page_w - MARGIN, y, label)
    y -= 10
    c.setLineWidth(0.6)
    c.line(MARGIN, y, page_w - MARGIN, y)

    y -= 30
    c.setFont(fonts.bold, 18)
    for line in _wrapped(title.vi, fonts.bold, 18, text_w, MAX_TITLE_LINES):
        c.drawString(MARGIN, y, line)
        y -= 22
    c.setFillColorRGB(*GREY)
    c.setFont(fonts.sans, 13)
    for line in _wrapped(title.en, fonts.sans, 13, text_w, MAX_TITLE_LINES):
        c.drawString(MARGIN, y, line)
        y -= 16
    y -= 4
    c.setFont(fonts.sans, 9)
    c.drawString(MARGIN, y, f"{ELECTION_LABEL}: {election_id}")
    c.setFillColorRGB(0, 0, 0)

    y -= 34
    c.setFont(fonts.sans, 11)
    c.drawCentredString(page_w / 2, y, CODE_LABEL)
    box_h = 54.0
    y -= 10 + box_h
    c.setLineWidth(1.2)
    c.roundRect(MARGIN, y, text_w, box_h, 8, stroke=1, fill=0)
    size = 22.0
    while size > 12 and pdfmetrics.stringWidth(sheet.code, fonts.mono, size) > text_w - 24:
        size -= 1
    c.setFont(fonts.mono, size)
    c.drawCentredString(page_w / 2, y + (box_h - 0.7 * size) / 2, sheet.code)

    qr_size = 150.0
    y -= 14 + qr_size
    widget = QrCodeWidget(sheet.code, barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(
        qr_size, qr_size, transform=[qr_size / (x1 - x0), 0, 0, qr_size / (y1 - y0), 0, 0]
    )
    drawing.add(widget)
    renderPDF.draw(drawing, c, (page_w - qr_size) / 2, y)
    y -= 10
    c.setFillColorRGB(*GREY)
    c.setFont(fonts.sans, 8)
    c.drawCentredString(page_w / 2, y, QR_CAPTION)
    c.setFillColorRGB(0, 0, 0)

    y -= 30
    for heading, items in (("Hướng dẫn", bullets[0]), ("Instructions", bullets[1])):
        c.setFont(fonts.bold, 11)
        c.drawString(MARGIN, y, heading)
        y -= 16
        c.setFont(fonts.sans, 10)
        for item in items:
            lines = _wrapped(item, fonts.sans, 10, text_w - 14)
            c.drawString(MARGIN + 2, y, "•")
            for line in lines:
                c.drawString(MARGIN + 14, y, line)
                y -= 13
            y -= 3
        y -= 10

    c.setLineWidth(0.6)
    c.line(MARGIN, MARGIN + 12, page_w - MARGIN, MARGIN + 12)
    c.setFont(fonts.sans, 8)
    c.setFillColorRGB(*GREY)
    c.drawString(MARGIN, MARGIN, FOOTER)
    c.drawRightString(page_w - MARGIN, MARGIN, label)
    c.setFillColorRGB(0, 0, 0)


def render_csv(sheets: Sequence[Sheet]) -> bytes:
    """``sheet,code`` with one row per sheet, for a mail merge (RFC 4180 line ends)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["sheet", "code"])
    for s in sheets:
        writer.writerow([s.number, s.code])
    return out.getvalue().encode("utf-8")
