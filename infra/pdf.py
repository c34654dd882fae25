"""PDF from a Typst template and data: Chinese set in Debian's Noto CJK fonts, embedded (subset) in the file.

``render_pdf(template, data) -> bytes``. The template is Typst source; it reads the data as
``json(bytes(sys.inputs.data))``. The same template and data give the same bytes: the fonts come only from
the font directory (never whatever else the machine has), and the document's date is fixed by the caller
(``date``), so a SHA-256 of the file recorded once holds for every later rendering.

Fonts: ``fonts-noto-cjk`` (the Makefile's ``browser`` target installs it); another directory can be named with
``LIANDIAO_PDF_FONTS``."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import typst

FONT_DIR = Path(os.environ.get("LIANDIAO_PDF_FONTS", "/usr/share/fonts/opentype/noto"))
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


@cache
def _fonts() -> typst.Fonts:
    """Only the font directory and Typst's own fonts, never the machine's others: the same bytes everywhere.
    Loaded once per process (reading the CJK collections is most of a first rendering's cost)."""
    return typst.Fonts(include_system_fonts=False, include_embedded_fonts=True, font_paths=[str(FONT_DIR)])


class PdfError(RuntimeError):
    """The document could not be set: a missing font directory or a template error (the message says which)."""


def render_pdf(template: str, data: Mapping[str, Any], *, date: datetime | None = None) -> bytes:
    """The PDF of ``template`` (Typst source) filled with ``data`` (JSON-ready). ``date`` becomes the PDF's
    creation date (default a fixed epoch): pass a date from the record, never the clock."""
    if not FONT_DIR.is_dir():
        raise PdfError(f"font directory {FONT_DIR} is missing: install fonts-noto-cjk (make browser)")
    stamp = (date or _EPOCH).astimezone(UTC)
    try:
        return bytes(typst.compile(
            template.encode("utf-8"),
            font_paths=_fonts(),
            sys_inputs={"data": json.dumps(data, ensure_ascii=False, sort_keys=True)},
            timestamp=int(stamp.timestamp()),
        ))
    except RuntimeError as exc:
        raise PdfError(f"typst: {str(exc).splitlines()[0] if str(exc) else exc}") from exc
