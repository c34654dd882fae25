"""月度研判报告 in a real browser on a 390-px phone, against `liandiao up --demo`: from 研判 a leader opens the
monthly report's page, picks a month, reads the report on the screen (charts drawn on the server, no script,
nothing wider than the phone) and downloads the workbook and the PDF; a bad month is a Chinese message; a
liaison is turned away; nothing is fetched from outside."""

from __future__ import annotations

import asyncio
import io
import json
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.workbench.conftest import PHONE, Desk, shoot, watch

pytestmark = pytest.mark.timeout(600)
LANDING = {"leader": "/scores", "liaison": "/inbox", "supervisor": "/board"}


def sign_in(browser: Any, desk: Desk, role: str, console: bool = True) -> Any:
    context = browser.new_context(viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai", accept_downloads=True)
    page = watch(context.new_page(), desk, console=console)
    page.goto(f"{desk.base}/login")
    page.get_by_label("用户名").fill(desk.logins[role].login)
    page.get_by_label("密码").fill(desk.logins[role].password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{desk.base}{LANDING[role]}*")
    return page


def test_a_leader_reads_and_downloads_the_month_on_a_phone(browser: Any, desk: Desk) -> None:
    from openpyxl import load_workbook

    month = datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")
    page = sign_in(browser, desk, "leader")
    page.get_by_role("link", name="研判").click()
    page.wait_for_url(f"{desk.base}/analysis*")
    page.get_by_role("link", name=re.compile("月度研判报告")).click()
    page.wait_for_url(f"{desk.base}/reports/monthly")
    page.get_by_label("月份", exact=True).fill(month)
    page.get_by_role("button", name="选择").click()
    page.wait_for_url(re.compile(rf".*/reports/monthly\?period={month}"))
    assert "尚未存档" in page.locator("main").inner_text()  # this month: built now from the record
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    shoot(page, "monthly-picker-phone")

    with page.expect_download() as xlsx:
        page.get_by_role("link", name="下载 Excel").click()
    book = load_workbook(io.BytesIO(open(xlsx.value.path(), "rb").read()))
    assert book.sheetnames[:4] == ["概况", "督办与来访", "近12个月走势", "按渠道"]
    assert isinstance(book["概况"]["B2"].value, int) and book["概况"]["B2"].value >= 1  # the demo's cases
    with page.expect_download() as pdf:
        page.get_by_role("link", name="下载 PDF").click()
    assert open(pdf.value.path(), "rb").read(4) == b"%PDF"

    page.get_by_role("link", name="查看报告").click()
    page.wait_for_url(re.compile(r".*/reports/monthly/view\?period=.*"))
    assert page.get_by_role("heading", name=re.compile("矛盾纠纷月度研判报告")).is_visible()
    assert page.locator("svg").count() >= 3  # the trend, the categories, the streets
    assert page.locator("script").count() == 0
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]  # tables scroll in their box
    shoot(page, "monthly-report-phone")
    page.context.close()


def _keep_last_month(desk: Desk) -> str:
    """What the schedule does on the first: make, keep and announce the month before (on the stack's database;
    Playwright's sync API holds this thread's event loop). The month made."""
    from application.monthly import make_and_keep, previous_month
    from domain.organisation import demo_organisation
    from domain.policy import Scoring
    from infra.db import create_pool

    url = json.loads((desk.data_dir / "stack.json").read_text())["database_url"]
    month = previous_month(datetime.now(UTC))

    async def run() -> None:
        pool = await create_pool(url, max_size=2)
        try:
            await make_and_keep(pool, demo_organisation(), Scoring(), datetime.now(UTC), month, desk.base)
        finally:
            await pool.close()

    with ThreadPoolExecutor(1) as runner:
        runner.submit(asyncio.run, run()).result()
    return month.label


def test_the_kept_month_is_announced_and_listed(browser: Any, desk: Desk) -> None:
    month = _keep_last_month(desk)
    page = sign_in(browser, desk, "leader")  # a district-wide reader sees the district centre's notices
    page.goto(f"{desk.base}/notifications")
    notice = page.locator("li", has_text="矛盾纠纷月度研判报告已生成")
    assert notice.count() == 1 and "月度研判" in notice.inner_text()
    notice.get_by_role("button").click()  # marks it read and opens the reports' page
    page.wait_for_url(f"{desk.base}/reports/monthly")
    assert page.get_by_role("link", name=month).is_visible()  # among the kept months
    page.get_by_role("link", name=month).click()
    page.wait_for_url(re.compile(rf".*/reports/monthly\?period={month}"))
    assert "已于月初生成并存档" in page.locator("main").inner_text()
    page.context.close()


def test_a_bad_month_is_explained_and_a_liaison_is_turned_away(browser: Any, desk: Desk) -> None:
    page = sign_in(browser, desk, "supervisor", console=False)  # the 422 and 403 pages log "Failed to load"
    response = page.goto(f"{desk.base}/reports/monthly?period=2999-01")
    assert response.status == 422 and "月份有误" in page.get_by_role("alert").inner_text()
    assert page.goto(f"{desk.base}/reports/monthly.pdf?period=2026-13").status == 422
    page.context.close()
    liaison = sign_in(browser, desk, "liaison", console=False)
    assert liaison.goto(f"{desk.base}/reports/monthly").status == 403
    liaison.context.close()


def test_nothing_was_asked_from_outside_and_no_console_errors(desk: Desk) -> None:
    assert desk.outside_requests == [] and desk.console_errors == []
