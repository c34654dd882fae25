"""研判 through the HTTP API (docs/api.md §7): this month's hotspots and totals move by the cases this test
receives (the stack is shared, so counts are compared before and after), the answer of a repeat intake names
the earlier case, and bad input gets a problem. The figures are checked against hand-worked numbers in
tests/domain/test_analysis.py and tests/infra/test_analysis.py."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.api_client import Api, assert_problem, case_body

GRID = "grid-xicheng-gulou-2"


@pytest.fixture
async def a(api: str, tokens: dict[str, str], pool) -> AsyncIterator[Api]:  # type: ignore[no-untyped-def]
    from domain.vocabulary import Role
    from infra.tokens import issue_token

    client = Api(api, dict(tokens))
    client.tokens["leader"] = await issue_token(pool, Role.leader, None, "a leader")
    yield client
    await client.http.aclose()


def month() -> str:
    return datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")


def count_of(rows: list[dict[str, Any]], key: str) -> int:
    return next((r["count"] for r in rows if r["key"] == key), 0)


async def test_this_months_hotspots_and_a_repeat_visit(a: Api) -> None:
    period = month()
    before = await a.ok("supervisor", "GET", f"/analysis/hotspots?period={period}&by=grid")
    totals_before = await a.ok("leader", "GET", f"/analysis/totals?period={period}")
    body = case_body(grid_id=GRID, category="parking")
    first = await a.ok("mediator", "POST", "/cases", body)
    assert first["repeat_of"] == []
    # The same applicant again about another matter, the name written differently: a repeat, not a duplicate.
    applicant = {**body["parties"][0], "name": "王 小明"}
    second = await a.ok("mediator", "POST", "/cases", {**body, "category": "neighbour",
                                                        "parties": [applicant, body["parties"][1]]})
    assert second["repeat_of"] == [first["case_id"]] and second["duplicate_of"] is None
    for _ in range(100):
        rows = await a.ok("auditor", "GET", f"/analysis/hotspots?period={period}&by=grid")
        if count_of(rows, GRID) == count_of(before, GRID) + 2:
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError("the two cases never showed in the hotspots")
    row = next(r for r in rows if r["key"] == GRID)
    assert set(row) == {"key", "name", "count", "previous", "change"}
    assert row["name"].endswith("网格") and set(row["change"]) == {"count", "percent"}
    assert row["change"]["count"] == row["count"] - row["previous"]
    assert [r["count"] for r in rows] == sorted((r["count"] for r in rows), reverse=True)
    streets = await a.ok("mediator", "GET", f"/analysis/hotspots?period={period}")  # by street by default
    # this test's cases are in a demo street; other tests' cases may lie in grids of their own organisations
    assert {"st-donghu", "st-xicheng"} & {r["key"] for r in streets}
    totals = await a.ok("supervisor", "GET", f"/analysis/totals?period={period}")
    assert totals["count"] >= totals_before["count"] + 2
    assert totals["repeat_visitors"] >= totals_before["repeat_visitors"] + 1
    assert set(totals) == {"period", "from", "to", "previous_period", "count", "previous", "change",
                           "repeat_visitors"}
    assert "王小明" not in str(totals) and body["parties"][0]["phone"] not in str(totals)


async def test_bad_input_gets_a_problem(a: Api) -> None:
    assert_problem(await a.call("liaison_lead", "GET", "/analysis/hotspots?period=2026-11"), 403, "mediator")
    assert_problem(await a.call("supervisor", "GET", "/analysis/hotspots?period=2026-13"), 422, "month 13")
    assert_problem(await a.call("supervisor", "GET", "/analysis/hotspots?period=November"), 422,
                   "is not a month (2026-11), a quarter (2026-Q4) or a year (2026)")
    assert_problem(await a.call("supervisor", "GET", "/analysis/hotspots"), 422, "period", "required")
    assert_problem(await a.call("supervisor", "GET", "/analysis/hotspots?period=2026-11&by=town"), 422,
                   "by", "'street', 'community', 'grid' or 'category'")
    assert_problem(await a.call("supervisor", "GET", "/analysis/totals?period=9999-12"), 422,
                   "within the years 1900 to 9998")
    schema = (await a.http.get(a.base + "/openapi.json")).json()
    (period,) = [p for p in schema["paths"]["/api/v1/analysis/hotspots"]["get"]["parameters"]
                 if p["name"] == "period"]
    assert period["required"] and period["schema"]["pattern"].startswith("^(19")
