"""Charts drawn on the server as SVG: the same picture in the HTML report (inline) and in the PDF (Typst sets
SVG with the embedded CJK fonts). No script, no web font: a browser or a PDF reader shows them as they are.

A chart scales to its container (``viewBox`` and ``width="100%"``), so it fits a 390-px phone too."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

FONT = "Noto Sans CJK SC, Noto Sans SC, PingFang SC, Microsoft YaHei, sans-serif"
BAR = "#3b6ea5"
_W = 640


def _scale(values: Sequence[int]) -> int:
    return max([*values, 1])


def bars(title: str, labels: Sequence[str], values: Sequence[int]) -> str:
    """Horizontal bars, one row per label (biggest first as given), the count at the bar's end."""
    row, label_w, top = 26, 170, 30
    height = top + row * max(len(labels), 1) + 10
    peak = _scale(values)
    span = _W - label_w - 60
    parts = [f'<text x="0" y="18" font-size="15" font-weight="bold">{escape(title)}</text>']
    if not labels:
        parts.append(f'<text x="0" y="{top + 18}" font-size="13" fill="#666">本月无数据</text>')
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = top + i * row
        width = round(span * value / peak) if value else 0
        short = label if len(label) <= 11 else label[:10] + "…"
        parts.append(f'<text x="{label_w - 6}" y="{y + 17}" font-size="13" text-anchor="end">{escape(short)}</text>'
                     f'<rect x="{label_w}" y="{y + 4}" width="{width}" height="18" fill="{BAR}"/>'
                     f'<text x="{label_w + width + 5}" y="{y + 17}" font-size="13">{value}</text>')
    return _svg(height, "".join(parts), title)


def columns(title: str, labels: Sequence[str], values: Sequence[int]) -> str:
    """Vertical columns left to right (a trend over months), the count above each, the label below."""
    top, bottom, plot_h = 30, 40, 160
    n = max(len(labels), 1)
    slot = _W / n
    peak = _scale(values)
    parts = [f'<text x="0" y="18" font-size="15" font-weight="bold">{escape(title)}</text>',
             f'<line x1="0" y1="{top + plot_h}" x2="{_W}" y2="{top + plot_h}" stroke="#999" stroke-width="1"/>']
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        h = round(plot_h * value / peak) if value else 0
        x = round(i * slot + slot * 0.15, 1)
        w = round(slot * 0.7, 1)
        cx = round(i * slot + slot / 2, 1)
        parts.append(f'<rect x="{x}" y="{top + plot_h - h}" width="{w}" height="{h}" fill="{BAR}"/>'
                     f'<text x="{cx}" y="{top + plot_h - h - 4}" font-size="12" text-anchor="middle">{value}</text>'
                     f'<text x="{cx}" y="{top + plot_h + 16}" font-size="11" text-anchor="middle">'
                     f'{escape(label)}</text>')
    return _svg(top + plot_h + bottom, "".join(parts), title)


def _svg(height: int, body: str, title: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_W} {height}" width="100%" role="img" '
            f'aria-label="{escape(title)}" font-family="{FONT}"><title>{escape(title)}</title>{body}</svg>')
