"""The one place PDFs start: an A4 page with a font that writes Vietnamese, and QR codes.

fpdf2's built-in fonts are Latin-1 only, so every document registers DejaVu (Debian package
``fonts-dejavu-core``; MOTCUA_PDF_FONT_DIR points elsewhere). Slips (forms 01-07) and result
documents both build on :func:`new_document`.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import segno
from fpdf import FPDF

FONT_FAMILY = "DejaVu"
_FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf", "I": "DejaVuSans-Oblique.ttf"}
_SEARCH = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu", "/usr/local/share/fonts/dejavu")


class FontMissing(RuntimeError):
    """No Unicode font to write Vietnamese with: install fonts-dejavu-core or set MOTCUA_PDF_FONT_DIR."""


def font_dir() -> Path:
    candidates = [os.environ["MOTCUA_PDF_FONT_DIR"]] if os.environ.get("MOTCUA_PDF_FONT_DIR") else list(_SEARCH)
    for folder in candidates:
        if (Path(folder) / _FONT_FILES[""]).is_file():
            return Path(folder)
    raise FontMissing("DejaVuSans.ttf not found in " + ", ".join(candidates)
                      + ": install the Debian package fonts-dejavu-core or set MOTCUA_PDF_FONT_DIR")


def new_document(*, title: str, author: str = "") -> FPDF:
    """A4 portrait, 20 mm margins, DejaVu regular/bold/italic registered and selected at 11 pt."""
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_margins(20, 18, 20)
    pdf.set_auto_page_break(auto=True, margin=18)
    folder = font_dir()
    for style, filename in _FONT_FILES.items():
        pdf.add_font(FONT_FAMILY, style=style, fname=str(folder / filename))
    pdf.set_title(title)
    if author:
        pdf.set_author(author)
    pdf.set_creator("motcua")
    pdf.set_font(FONT_FAMILY, size=11)
    return pdf


def qr_png(data: str, *, scale: int = 4) -> io.BytesIO:
    """A QR code as PNG bytes, ready for ``pdf.image(...)``."""
    buffer = io.BytesIO()
    segno.make(data, error="m").save(buffer, kind="png", scale=scale, border=2)
    buffer.seek(0)
    return buffer


def to_bytes(pdf: FPDF) -> bytes:
    return bytes(pdf.output())
