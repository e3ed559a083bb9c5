"""The fonts of the PDF documents (credential sheets, counting minutes).

Vietnamese needs a font with its diacritics (ư, ơ, ạ, ế, …), which reportlab's
built-in fonts lack: the documents embed DejaVu Sans, from Debian's
``fonts-dejavu-core`` (or ``--font-dir``). DejaVu Sans Mono (bold and regular)
and DejaVu Sans Oblique are used when present, else the built-in Courier and
the upright face.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from .connection import LocalError

FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),  # Debian, Ubuntu: fonts-dejavu-core
    Path("/usr/share/fonts/dejavu-sans-fonts"),  # Fedora
    Path("/usr/share/fonts/dejavu-sans-mono-fonts"),
    Path("/usr/share/fonts/TTF"),  # Arch
    Path("/usr/share/fonts/dejavu"),
    Path("/usr/local/share/fonts"),
)
SANS, SANS_BOLD, SANS_OBLIQUE = "DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-Oblique.ttf"
MONO, MONO_REGULAR = "DejaVuSansMono-Bold.ttf", "DejaVuSansMono.ttf"
FONT_HELP = (
    "the PDF documents need the DejaVu Sans font (DejaVuSans.ttf and DejaVuSans-Bold.ttf) "
    "for Vietnamese text; install it (Debian/Ubuntu: apt-get install fonts-dejavu-core) "
    "or pass --font-dir DIR"
)
FAMILY = "KP-Sans"


class FontMissing(LocalError):
    """No font with Vietnamese diacritics was found."""


@dataclass(frozen=True, slots=True)
class PdfFonts:
    """Registered reportlab font names; ``sans`` is also a family (<b>, <i> in paragraphs)."""

    sans: str
    bold: str
    mono: str  # bold monospace: credential codes
    mono_regular: str  # hashes and fingerprints
    italic: str


def _find(name: str, dirs: Sequence[Path]) -> Path | None:
    for d in dirs:
        if (d / name).is_file():
            return d / name
    return None


def load_fonts(font_dir: Path | None = None) -> PdfFonts:
    """Register DejaVu Sans (regular, bold) and, if found, the oblique and mono faces.

    Raises FontMissing with the install hint when the sans faces are absent.
    """

    dirs = (font_dir,) if font_dir is not None else FONT_DIRS
    sans, bold = _find(SANS, dirs), _find(SANS_BOLD, dirs)
    if sans is None or bold is None:
        where = str(font_dir) if font_dir is not None else "the usual font folders"
        raise FontMissing(f"no DejaVu Sans in {where}: {FONT_HELP}")
    oblique = _find(SANS_OBLIQUE, dirs)
    mono = _find(MONO, dirs) or _find(MONO, FONT_DIRS)
    mono_regular = _find(MONO_REGULAR, dirs) or _find(MONO_REGULAR, FONT_DIRS)
    try:
        pdfmetrics.registerFont(TTFont(FAMILY, str(sans)))
        pdfmetrics.registerFont(TTFont("KP-Sans-Bold", str(bold)))
        if oblique is not None:
            pdfmetrics.registerFont(TTFont("KP-Sans-Oblique", str(oblique)))
        if mono is not None:
            pdfmetrics.registerFont(TTFont("KP-Mono-Bold", str(mono)))
        if mono_regular is not None:
            pdfmetrics.registerFont(TTFont("KP-Mono", str(mono_regular)))
    except Exception as exc:  # reportlab raises TTFError and plain errors on bad files
        raise FontMissing(f"cannot load the font: {exc}; {FONT_HELP}") from None
    italic = "KP-Sans-Oblique" if oblique is not None else FAMILY
    pdfmetrics.registerFontFamily(
        FAMILY, normal=FAMILY, bold="KP-Sans-Bold", italic=italic, boldItalic="KP-Sans-Bold"
    )
    return PdfFonts(
        sans=FAMILY,
        bold="KP-Sans-Bold",
        mono="KP-Mono-Bold" if mono is not None else "Courier-Bold",
        mono_regular="KP-Mono" if mono_regular is not None else "Courier",
        italic=italic,
    )


def missing_glyphs(font: str, text: str) -> str:
    """The characters of ``text`` that ``font`` cannot draw (for a warning)."""

    face = getattr(pdfmetrics.getFont(font), "face", None)
    table = getattr(face, "charToGlyph", None)
    if not isinstance(table, dict):
        return ""
    return "".join(sorted({ch for ch in text if not ch.isspace() and ord(ch) not in table}))
