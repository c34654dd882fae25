"""The monthly 研判 report as sections (a heading, Chinese column headers, rows, maybe a chart), rendered three
ways: a workbook (one sheet per section, numbers as numbers, rates as percentages, native charts), HTML for the
screen and PDF (both with the same server-drawn SVG charts). What each figure means is domain/monthly.py's."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from application.reports import SCORE_COLUMNS
from domain.analysis import Change
from domain.figures import SHANGHAI
from domain.monthly import MonthlyReport, Row, percent_text
from infra.charts import bars, columns
from infra.papers import template
from infra.pdf import render_pdf
from infra.report_html import render_html
from infra.spreadsheets import Chart, Column, Table, xlsx

_CHANGE_COLUMNS = (
    Column("本月", "int", 8), Column("上月", "int", 8), Column("环比增减", "int", 10), Column("环比", "percent", 10),
    Column("去年同月", "int", 10), Column("同比增减", "int", 10), Column("同比", "percent", 10),
)


@dataclass(frozen=True)
class Section:
    table: Table  # what the workbook writes: numbers as numbers
    text_rows: tuple[tuple[str, ...], ...]  # what the screen and the paper show
    chart: str | None = None  # SVG
    note: str | None = None


def month_name(label: str) -> str:
    year, month = label.split("-")
    return f"{year}年{int(month)}月"


def _local(at: datetime) -> str:
    return at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def _rate(c: Change) -> float | None:
    return None if c.percent is None else c.percent / 100


def _change_values(r: Row) -> list[Any]:
    return [r.count, r.month_before, r.month_on_month.count, _rate(r.month_on_month), r.year_before,
            r.year_on_year.count, _rate(r.year_on_year)]


def _change_text(r: Row) -> tuple[str, ...]:
    return (str(r.count), str(r.month_before), f"{r.month_on_month.count:+d}", percent_text(r.month_on_month, r.count),
            str(r.year_before), f"{r.year_on_year.count:+d}", percent_text(r.year_on_year, r.count))


def _breakdown(title: str, header: str, rows: Sequence[Row], chart_title: str | None = None) -> Section:
    cols = (Column(header, width=24), *_CHANGE_COLUMNS)
    chart = bars(chart_title, [r.name for r in rows if r.count], [r.count for r in rows if r.count]) \
        if chart_title else None
    return Section(Table(title, cols, [[r.name, *_change_values(r)] for r in rows],
                         Chart(chart_title, 0, 1, "bar") if chart_title else None),
                   tuple((r.name, *_change_text(r)) for r in rows), chart)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _num(value: float | int | None) -> str:
    return "—" if value is None else (str(value) if isinstance(value, int) else f"{value:.2f}")


def sections(report: MonthlyReport) -> list[Section]:
    """Every section of the report, in the order it is read."""
    out = [_breakdown("概况", "项目", [report.total]),
           Section(Table("督办与来访", (Column("指标", width=28), Column("数值", "int", 10)), [
               ["逾期案件（件）", report.overdue_cases], ["逾期任务（项）", report.overdue_tasks],
               ["挂牌督办案件（件）", len(report.listed)], ["重复来访人数（本月）", report.repeat_visitors],
               ["重复来访人数（上月）", report.repeat_visitors_before]]),
               (("逾期案件（件）", str(report.overdue_cases)), ("逾期任务（项）", str(report.overdue_tasks)),
                ("挂牌督办案件（件）", str(len(report.listed))), ("重复来访人数（本月）", str(report.repeat_visitors)),
                ("重复来访人数（上月）", str(report.repeat_visitors_before))),
               note="重复来访只计人数，不列姓名、电话或身份证号。")]
    trend_labels = [t.period for t in report.trend]
    out.append(Section(
        Table("近12个月走势", (Column("月份", width=10), Column("受理数", "int", 10)),
              [[t.period, t.count] for t in report.trend], Chart("近12个月受理数", 0, 1, "column")),
        tuple((t.period, str(t.count)) for t in report.trend),
        columns("近12个月受理数", [label[2:] for label in trend_labels], [t.count for t in report.trend])))
    out.append(_breakdown("按渠道", "受理渠道", report.by_channel))
    out.append(_breakdown("按类别", "纠纷类别", report.by_category, "本月受理数（按类别）"))
    out.append(_breakdown("按街道", "街道", report.by_street, "本月受理数（按街道）"))
    out.append(Section(
        Table("热点社区", (Column("社区", width=28), Column("本月", "int", 8), Column("上月", "int", 8),
                       Column("环比增减", "int", 10), Column("环比", "percent", 10)),
              [[h.name, h.count, h.previous, h.change.count, _rate(h.change)] for h in report.hotspots]),
        tuple((h.name, str(h.count), str(h.previous), f"{h.change.count:+d}", percent_text(h.change, h.count))
              for h in report.hotspots)))
    out.append(Section(
        Table("挂牌督办", (Column("案件编号", width=26), Column("牵头部门", width=24),
                       Column("挂牌时间", "datetime", 18)),
              [[c.case_id, c.department, c.since.astimezone(SHANGHAI).replace(tzinfo=None)] for c in report.listed]),
        tuple((c.case_id, c.department, _local(c.since)) for c in report.listed)))
    out.append(Section(
        Table("部门考核", SCORE_COLUMNS,
              [[s.figures.rank, s.name, s.figures.tasks, s.figures.on_time_ack_rate, s.figures.on_time_reply_rate,
                s.figures.satisfaction_rate, s.figures.return_rate, s.figures.reopen_rate, s.figures.rating_avg,
                s.figures.listed, s.figures.score] for s in report.scores]),
        tuple((_num(s.figures.rank), s.name, str(s.figures.tasks), _pct(s.figures.on_time_ack_rate),
               _pct(s.figures.on_time_reply_rate), _pct(s.figures.satisfaction_rate), _pct(s.figures.return_rate),
               _pct(s.figures.reopen_rate), _num(s.figures.rating_avg), str(s.figures.listed), _num(s.figures.score))
              for s in report.scores)))
    cluster_cols = (Column("纠纷类别", width=16), Column("地点", width=28), Column("案件数", "int", 8),
                    Column("发现时间", "datetime", 18), Column("状态", width=8))
    if report.clusters is None:
        out.append(Section(Table("群体性隐患预警", cluster_cols, []), (), note="本系统尚未启用群体性隐患预警。"))
    else:
        status = {"open": "处理中", "closed": "已关闭"}
        out.append(Section(
            Table("群体性隐患预警", cluster_cols,
                  [[c.category, c.jurisdiction, c.cases, c.opened_at.astimezone(SHANGHAI).replace(tzinfo=None),
                    status.get(c.status, c.status)] for c in report.clusters]),
            tuple((c.category, c.jurisdiction, str(c.cases), _local(c.opened_at), status.get(c.status, c.status))
                  for c in report.clusters)))
    return out


def document(report: MonthlyReport, district: str) -> dict[str, Any]:
    """The report as JSON-ready data for the HTML page and the PDF template (the same words in both)."""
    label = report.period.label
    return {
        "title": f"{district}矛盾纠纷月度研判报告", "period": month_name(label),
        "subtitle": f"统计期间 {report.period.first.isoformat()} 至 {report.period.last.isoformat()}（北京时间）；"
                    f"环比对比{month_name(report.month_before.label)}，同比对比{month_name(report.year_before.label)}",
        "made_at": f"生成时间 {_local(report.made_at)}",
        "definitions": "受理数不含重复件；上期为 0 时不计增减百分比（显示“新增”或“—”）；逾期按报告生成时判断。",
        "sections": [{"heading": s.table.title, "columns": [c.header for c in s.table.columns],
                      "rows": [list(r) for r in s.text_rows], "chart": s.chart, "note": s.note}
                     for s in sections(report)],
    }


def render(report: MonthlyReport, fmt: str, district: str) -> bytes:
    """The report's bytes as ``html``, ``xlsx`` or ``pdf``; dated by when it was made, never by the clock."""
    if fmt == "xlsx":
        return xlsx([s.table for s in sections(report)], created=report.made_at)
    data = document(report, district)
    if fmt == "pdf":
        return render_pdf(template("monthly"), data, date=report.made_at)
    return render_html(data).encode("utf-8")
