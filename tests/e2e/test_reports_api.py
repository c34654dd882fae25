"""考核 through the HTTP API and the CLI (docs/api.md §6): the month's scores as JSON, CSV and a workbook a
spreadsheet opens, and the problems bad input gets. The figures themselves are checked against hand-worked
numbers in tests/domain/test_figures.py and tests/infra/test_figures.py; here the stack is shared with other
tests, so only this test's department is looked at."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.api_client import Api, assert_problem

LEAD = "dept-donghu-labour"


@pytest.fixture
async def a(api: str, tokens: dict[str, str], pool) -> AsyncIterator[Api]:  # type: ignore[no-untyped-def]
    from domain.vocabulary import Role
    from infra.tokens import issue_token

    client = Api(api, dict(tokens))
    client.tokens["lead"] = await issue_token(pool, Role.liaison, LEAD, "labour liaison")
    client.tokens["leader"] = await issue_token(pool, Role.leader, None, "a leader")
    yield client
    await client.http.aclose()


def span() -> str:
    """From today for sixty days (Asia/Shanghai): holds a task assigned now and its acknowledge deadline."""
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    return f"from={today.isoformat()}&to={(today + timedelta(days=60)).isoformat()}"


async def routed_and_acknowledged(a: Api, query: str) -> dict[str, Any]:
    """This test's department's row, once the projector has folded the acknowledgement in."""
    case_id = await a.new_case()
    await a.ok("mediator", "POST", f"/cases/{case_id}/route", {"lead_department": LEAD, "co_departments": []})
    await a.ok("lead", "POST", f"/cases/{case_id}/tasks/{case_id}-T1/acknowledge", {})
    for _ in range(100):
        report = await a.ok("supervisor", "GET", f"/reports/scores?{query}")
        row = next((r for r in report["rows"] if r["department"] == LEAD), None)
        if row is not None and row["on_time_ack_rate"] is not None:
            return row  # type: ignore[no-any-return]
        await asyncio.sleep(0.1)
    raise AssertionError(f"no acknowledgement of {LEAD} in the scores")


async def test_the_month_as_json_csv_and_a_workbook(a: Api) -> None:
    query = span()
    await routed_and_acknowledged(a, query)
    report = await a.ok("leader", "GET", f"/reports/scores?{query}")
    month = report["period"]
    assert month == f"{report['from']}..{report['to']}"
    row = next(r for r in report["rows"] if r["department"] == LEAD)
    assert row["name"] == "东湖街道人社所" and row["tasks"] >= 1 and row["on_time_ack_rate"] is not None
    assert row["rank"] >= 1 and 0 <= row["score"] <= 100

    csv = await a.call("supervisor", "GET", f"/reports/scores?{query}&format=csv")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert csv.text.startswith("\ufeff排名,部门,任务数,按时签收率")
    assert "东湖街道人社所" in csv.text

    from openpyxl import load_workbook

    xlsx = await a.call("auditor", "GET", f"/reports/scores?{query}&format=xlsx")
    assert xlsx.status_code == 200 and "attachment" in xlsx.headers["content-disposition"]
    book = load_workbook(io.BytesIO(xlsx.content))
    assert book.sheetnames == [f"考核 {month}", "红榜", "黑榜", "责任人"]  # 责任人: the scores per person
    sheet = book[f"考核 {month}"]
    headers = [c.value for c in sheet[1]]
    assert headers[:4] == ["排名", "部门", "任务数", "按时签收率"]
    mine = next(r for r in sheet.iter_rows(min_row=2) if r[1].value == "东湖街道人社所")
    assert mine[0].value == row["rank"] and isinstance(mine[3].value, int | float)  # a number, shown as a percentage
    assert mine[3].number_format == "0.0%" and mine[3].value == pytest.approx(row["on_time_ack_rate"])


async def test_a_jurisdiction_keeps_its_own_departments(a: Api) -> None:
    query = span()
    await routed_and_acknowledged(a, query)
    xicheng = await a.ok("supervisor", "GET", f"/reports/scores?{query}&jurisdiction=st-xicheng")
    assert LEAD not in [r["department"] for r in xicheng["rows"]]
    donghu = await a.ok("supervisor", "GET", f"/reports/scores?{query}&jurisdiction=st-donghu")
    assert LEAD in [r["department"] for r in donghu["rows"]]


async def test_bad_report_requests_are_problems(a: Api) -> None:
    assert_problem(await a.call("lead", "GET", "/reports/scores?period=2026-11"), 403, "supervisor")
    assert_problem(await a.call("mediator", "GET", "/reports/scores?period=2026-11"), 403, "leader")
    assert_problem(await a.call("supervisor", "GET", "/reports/scores?period=2026-13"), 422, "month 13")
    assert_problem(await a.call("supervisor", "GET", "/reports/scores"), 422, "period")
    assert_problem(await a.call("supervisor", "GET", "/reports/scores?from=2026-03-02&to=2026-03-01"), 422,
                   "before")
    assert_problem(await a.call("supervisor", "GET", "/reports/scores?period=2026&jurisdiction=nowhere"), 422,
                   "nowhere")
    assert_problem(await a.call("supervisor", "GET", "/reports/scores?period=2026&format=pdf"), 422, "format")
    empty = await a.ok("supervisor", "GET", "/reports/scores?period=1999")
    assert (empty["rows"], empty["red_list"], empty["black_list"]) == ([], [], [])


# --- 台账 (the ledger's rows are checked by hand in tests/application/test_ledger.py) ---------------------


async def test_the_ledger_as_json_and_a_workbook(a: Api) -> None:
    from openpyxl import load_workbook

    case_id = await a.new_case()
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    query = f"from={today}&to={today}"
    for _ in range(100):
        ledger = await a.ok("supervisor", "GET", f"/reports/ledger?{query}")
        row = next((r for r in ledger["rows"] if r["case_id"] == case_id), None)
        if row is not None:
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError(f"{case_id} not in the ledger")
    assert (ledger["from"], ledger["to"]) == (today, today) and row["stage"] in ("待分流", "受理")
    assert all("*" in p["name"] for p in row["parties"])  # a supervisor sees parties masked

    xlsx = await a.call("mediator", "GET", f"/reports/ledger?{query}&format=xlsx")
    assert xlsx.status_code == 200 and "attachment" in xlsx.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None and [c.value for c in sheet[1]][:3] == ["编号", "受理时间", "来源"]
    assert case_id in [r[0].value for r in sheet.iter_rows(min_row=2)]
    csv = await a.call("leader", "GET", f"/reports/ledger?{query}&format=csv")
    assert csv.status_code == 200 and csv.text.startswith("\ufeff编号,受理时间")
    log = await a.ok("auditor", "GET", "/audit/access-log?limit=20")
    assert any(i["what"] == f"ledger {today}..{today}" and i["actor"]["role"] == "mediator" for i in log["items"])


async def test_bad_ledger_requests_are_problems(a: Api) -> None:
    assert_problem(await a.call("lead", "GET", "/reports/ledger?from=2026-03-01&to=2026-03-31"), 403, "mediator")
    assert_problem(await a.call("supervisor", "GET", "/reports/ledger?from=2026-03-02&to=2026-03-01"), 422,
                   "before")
    assert_problem(await a.call("supervisor", "GET", "/reports/ledger?from=2026-03-01"), 422, "to")
    assert_problem(await a.call("supervisor", "GET", "/reports/ledger?from=2026-02-30&to=2026-03-01"), 422, "from")
    assert_problem(await a.call("supervisor", "GET", "/reports/ledger?from=0001-01-01&to=0001-01-02"), 422, "1900")
    assert_problem(await a.call("supervisor", "GET", "/reports/ledger?from=2026-03-01&to=2026-03-31&format=pdf"),
                   422, "format")
    assert_problem(await a.call("supervisor", "GET",
                                "/reports/ledger?from=2026-03-01&to=2026-03-31&jurisdiction=nowhere"), 422, "nowhere")
