"""The monthly 研判 report as one HTML page for the screen: self-contained (inline style, inline SVG charts, no
script, no web font), readable on a 390-px phone (tables scroll sideways, charts scale)."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, select_autoescape

_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>{{ d.title }} {{ d.period }}</title>
<style>
body { font-family: "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif; margin: 0 auto;
       max-width: 960px; padding: 12px; color: #222; line-height: 1.5; }
h1 { font-size: 1.4em; text-align: center; margin: .4em 0 .1em; }
h2 { font-size: 1.1em; border-left: 4px solid #3b6ea5; padding-left: 8px; margin-top: 1.6em; }
.meta { color: #555; font-size: .85em; text-align: center; margin: .2em 0; }
.scroll { overflow-x: auto; -webkit-overflow-scrolling: touch; }
table { border-collapse: collapse; font-size: .9em; min-width: 100%; }
th, td { border: 1px solid #ccc; padding: 4px 6px; white-space: nowrap; }
th { background: #eef2f7; }
td:not(:first-child) { text-align: right; }
.chart { max-width: 640px; margin: .5em 0; }
.note { color: #555; font-size: .85em; }
</style></head>
<body>
<h1>{{ d.title }}</h1>
<p class="meta">{{ d.period }} · {{ d.subtitle }}</p>
<p class="meta">{{ d.made_at }}</p>
<p class="note">{{ d.definitions }}</p>
{% for s in d.sections %}
<section>
<h2>{{ s.heading }}</h2>
{% if s.chart %}<div class="chart">{{ s.chart | safe }}</div>{% endif %}
{% if s.rows %}
<div class="scroll"><table>
<thead><tr>{% for c in s.columns %}<th scope="col">{{ c }}</th>{% endfor %}</tr></thead>
<tbody>{% for r in s.rows %}<tr>{% for v in r %}<td>{{ v }}</td>{% endfor %}</tr>{% endfor %}</tbody>
</table></div>
{% elif not s.note %}<p class="note">本月无。</p>{% endif %}
{% if s.note %}<p class="note">{{ s.note }}</p>{% endif %}
</section>
{% endfor %}
</body></html>
"""

_TEMPLATE = Environment(autoescape=select_autoescape(default=True, default_for_string=True)).from_string(_PAGE)


def render_html(data: dict[str, Any]) -> str:
    """The page of ``data`` (application/monthly_render.py ``document``); the charts are our own SVG."""
    return _TEMPLATE.render(d=data)
