"""infra/pdf.py: Chinese text set in an embedded font, read back with pdftotext; the same input, the same bytes."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime

import pytest

from infra.pdf import PdfError, render_pdf

TEMPLATE = """#set text(font: "Noto Serif CJK SC", lang: "zh")
#let data = json(bytes(sys.inputs.data))
= 人民调解协议书
当事人：#data.name
"""


def _text(pdf: bytes) -> str:
    return subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()


def _fonts(pdf: bytes, tmp_path) -> str:  # type: ignore[no-untyped-def]
    path = tmp_path / "x.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdffonts", str(path)], capture_output=True, check=True).stdout.decode()


def test_chinese_is_set_in_an_embedded_cjk_font(tmp_path) -> None:  # type: ignore[no-untyped-def]
    pdf = render_pdf(TEMPLATE, {"name": "张三"}, date=datetime(2026, 3, 1, tzinfo=UTC))
    assert pdf.startswith(b"%PDF-")
    assert "人民调解协议书" in _text(pdf) and "当事人：张三" in _text(pdf)
    fonts = _fonts(pdf, tmp_path)
    assert "NotoSerifCJK" in fonts and " yes yes " in fonts  # embedded, subset


def test_same_template_and_data_give_the_same_bytes() -> None:
    at = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)
    assert render_pdf(TEMPLATE, {"name": "张三"}, date=at) == render_pdf(TEMPLATE, {"name": "张三"}, date=at)
    assert render_pdf(TEMPLATE, {"name": "张三"}, date=at) != render_pdf(TEMPLATE, {"name": "李四"}, date=at)


def test_a_template_error_is_a_pdf_error_naming_it() -> None:
    with pytest.raises(PdfError, match="typst"):
        render_pdf("#let x = (", {})
