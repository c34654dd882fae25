"""The monthly 研判 report through the HTTP API (docs/api.md §7): the month as HTML, a workbook a spreadsheet
opens (a sheet per section, Chinese headers, numbers as numbers, rates as percentages) and a PDF with its CJK
font embedded; the kept report served as kept; who may not read it and what bad months get. The figures
themselves are checked against hand-worked numbers in tests/domain/test_monthly.py and tests/infra/test_monthly.py;
the stack here is shared with other tests, so the counts are compared with 研判's own totals."""

from __future__ import annotations

import asyncio
import hashlib
import io
import subprocess
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.api_client import Api, assert_problem

SHEETS = ["概况", "督办与来访", "近12个月走势", "按渠道", "按类别", "按街道", "热点社区", "挂牌督办", "部门考核",
          "群体性隐患预警"]


@pytest.fixture
async def a(api: str, tokens: dict[str, str], pool) -> AsyncIterator[Api]:  # type: ignore[no-untyped-def]
    from domain.vocabulary import Role
    from infra.tokens import issue_token

    client = Api(api, dict(tokens))
    client.tokens["leader"] = await issue_token(pool, Role.leader, None, "a leader")
    yield client
    await client.http.aclose()


def this_month() -> str:
    return datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")


async def counted(a: Api, case_id: str, month: str) -> int:
    """The month's count once the projector has the new case (研判's totals, the same definition)."""
    for _ in range(100):
        summary = await a.call("mediator", "GET", f"/cases/{case_id}")
        if summary.status_code == 200:
            return int((await a.ok("supervisor", "GET", f"/analysis/totals?period={month}"))["count"])
        await asyncio.sleep(0.1)
    raise AssertionError(f"{case_id} never projected")


async def test_the_month_as_html_a_workbook_and_a_pdf(a: Api, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    month = this_month()
    total = await counted(a, await a.new_case(), month)
    assert total >= 1

    html = await a.call("leader", "GET", f"/reports/monthly?period={month}&format=html")
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert html.headers["x-report-kept"] == "false"  # the month so far: built now, not kept
    assert "矛盾纠纷月度研判报告" in html.text and "<svg" in html.text and "<script" not in html.text
    assert "按渠道" in html.text and "部门考核" in html.text

    xlsx = await a.call("auditor", "GET", f"/reports/monthly?period={month}&format=xlsx")
    assert xlsx.status_code == 200 and "attachment" in xlsx.headers["content-disposition"]
    assert xlsx.headers["x-content-sha256"] == hashlib.sha256(xlsx.content).hexdigest()
    book = load_workbook(io.BytesIO(xlsx.content))
    assert book.sheetnames == SHEETS
    summary = book["概况"]
    assert [c.value for c in summary[1]] == ["项目", "本月", "上月", "环比增减", "环比", "去年同月", "同比增减", "同比"]
    row = [c.value for c in summary[2]]
    assert row[0] == "合计" and isinstance(row[1], int) and row[1] >= total  # numbers, not text
    assert row[3] == row[1] - row[2]
    if row[4] is not None:
        assert summary["E2"].number_format == "0.0%" and row[4] == pytest.approx((row[1] - row[2]) / row[2], abs=1e-3)
    channels = book["按渠道"]
    assert sum(r[1].value for r in channels.iter_rows(min_row=2)) == row[1]  # the channels add up to the total
    assert book["近12个月走势"]["A13"].value == month and book["近12个月走势"]["B13"].value == row[1]

    pdf = await a.call("supervisor", "GET", f"/reports/monthly?period={month}&format=pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    path = tmp_path / "yanpan.pdf"
    path.write_bytes(pdf.content)
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, check=True).stdout.decode()
    assert "NotoSansCJK" in fonts and " yes yes " in fonts  # embedded, subset
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True).stdout.decode()
    assert "矛盾纠纷月度研判报告" in text and "近12个月受理数" in text


async def test_the_kept_report_is_served_as_kept(a: Api, pool) -> None:  # type: ignore[no-untyped-def]
    from application.monthly import make_and_keep
    from domain.figures import Period
    from domain.organisation import demo_organisation
    from domain.policy import Scoring

    made = await make_and_keep(pool, demo_organisation(), Scoring(), datetime(2001, 6, 1, tzinfo=UTC),
                               Period.parse("2001-05"), "https://liandiao.example")
    for fmt in ("html", "xlsx", "pdf"):
        got = await a.call("leader", "GET", f"/reports/monthly?period=2001-05&format={fmt}")
        assert got.status_code == 200 and got.headers["x-report-kept"] == "true"
        assert hashlib.sha256(got.content).hexdigest() == made.sha256[fmt] == got.headers["x-content-sha256"]


async def test_who_may_not_read_it_and_bad_months_are_problems(a: Api) -> None:
    month = this_month()
    assert_problem(await a.call("liaison_lead", "GET", f"/reports/monthly?period={month}"), 403, "supervisor")
    assert_problem(await a.call("mediator", "GET", f"/reports/monthly?period={month}"), 403, "leader")
    assert_problem(await a.call(None, "GET", f"/reports/monthly?period={month}"), 401)
    assert_problem(await a.call("supervisor", "GET", "/reports/monthly?period=2026-13"), 422, "month 13")
    assert_problem(await a.call("supervisor", "GET", "/reports/monthly?period=2999-01"), 422, "future")
    assert_problem(await a.call("supervisor", "GET", "/reports/monthly?period=2026-Q4"), 422, "YYYY-MM")
    assert_problem(await a.call("supervisor", "GET", "/reports/monthly?period=26-11"), 422, "YYYY-MM")
    assert_problem(await a.call("supervisor", "GET", "/reports/monthly?period=1900-06"), 422, "1901")
    assert_problem(await a.call("supervisor", "GET", "/reports/monthly"), 422, "period")
    assert_problem(await a.call("supervisor", "GET", f"/reports/monthly?period={month}&format=doc"), 422, "format")
