"""研判 and the repeat-visit warning in a real browser, on a 390-px phone: a mediator registers a person twice
(another spelling of the name, another matter) and is warned before saving; the 研判 page shows this month's
hotspots against last month and the grid × category heat table without the page growing wider than the
phone; a bad period is a Chinese message; a liaison is turned away."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest

from tests.workbench.conftest import PHONE, Desk, shoot, watch

pytestmark = pytest.mark.timeout(600)
LANDING = {"mediator": "/desk", "supervisor": "/board", "liaison": "/inbox"}


def sign_in(browser: Any, desk: Desk, role: str, console: bool = True) -> Any:
    context = browser.new_context(viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai")
    page = watch(context.new_page(), desk, console=console)
    page.goto(f"{desk.base}/login")
    page.get_by_label("用户名").fill(desk.logins[role].login)
    page.get_by_label("密码").fill(desk.logins[role].password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{desk.base}{LANDING[role]}*")
    return page


def register(page: Any, desk: Desk, name: str, category: str, grid: str, id_number: str) -> None:
    page.goto(f"{desk.base}/cases/new")
    page.get_by_label("标题").fill(f"{category}纠纷")
    page.get_by_label("描述").fill("当事人来访反映。")
    page.get_by_label("类别").select_option(label=category)
    page.get_by_label("网格").select_option(grid)
    page.get_by_label("当事人姓名").fill(name)
    page.get_by_label("身份证号").fill(id_number)
    page.get_by_role("button", name="登记").click()


def test_a_repeat_visit_is_flagged_and_the_analysis_page_reads_on_a_phone(browser: Any, desk: Desk) -> None:
    page = sign_in(browser, desk, "mediator")
    id_number = "3301" + str(uuid.uuid4().int)[:13] + "x"
    register(page, desk, "黄晓明", "楼上漏水", "grid-donghu-huayuan-1", id_number)
    page.wait_for_url(re.compile(r".*/cases/C-[^/?]+\?done=.*"))
    first = page.url.split("/cases/")[1].split("?")[0]

    register(page, desk, "黄小明", "小区车辆乱停", "grid-xicheng-gulou-1", id_number.upper())
    warning = page.get_by_role("alert")
    assert f"该当事人此前已来访 1 次（最近：编号 {first}）" in warning.inner_text()
    shoot(page, "intake-repeat-warning")
    page.get_by_role("button", name="仍然登记").click()
    page.wait_for_url(re.compile(r".*/cases/C-[^/?]+\?done=.*"))
    # Recorded on the case, and shown on its page.
    facts = page.locator("dl.facts").inner_text()
    assert "重复来访" in facts and first in facts

    page.get_by_role("link", name="研判").click()
    page.wait_for_url(f"{desk.base}/analysis*")
    assert page.get_by_role("heading", name=re.compile("热点（按街道")).is_visible()
    hotspots = page.locator("table.hotspots")
    assert "东湖街道" in hotspots.inner_text() and "西城街道" in hotspots.inner_text()
    repeat_tile = page.locator(".tile", has_text="重复来访人数").locator("strong").inner_text()
    assert int(repeat_tile) >= 1
    page.get_by_label("统计维度").select_option(label="按网格")
    page.get_by_role("button", name="查看").click()
    page.wait_for_url(re.compile(r".*/analysis\?period=.*&by=grid"))
    assert page.get_by_role("heading", name=re.compile("热点（按网格")).is_visible()
    heat = page.locator("table.heat")
    assert "楼上漏水" in heat.inner_text() and "小区车辆乱停" in heat.inner_text()
    assert page.locator("table.heat td.heat-5").count() >= 1  # the largest cell is the darkest
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= PHONE["width"], width  # wide tables scroll in their own box, the page does not
    shoot(page, "analysis-phone")
    page.context.close()


def test_a_bad_period_is_explained_and_a_liaison_is_turned_away(browser: Any, desk: Desk) -> None:
    page = sign_in(browser, desk, "supervisor", console=False)  # the 422 and 403 pages log "Failed to load"
    assert page.get_by_role("link", name="研判").is_visible()
    response = page.goto(f"{desk.base}/analysis?period=2026-13")
    assert response.status == 422
    assert "统计期有误" in page.get_by_role("alert").inner_text()
    assert page.get_by_label("统计期").input_value() == "2026-13"
    page.context.close()
    liaison = sign_in(browser, desk, "liaison", console=False)
    assert liaison.get_by_role("link", name="研判").count() == 0
    assert liaison.goto(f"{desk.base}/analysis").status == 403
    liaison.context.close()


def test_three_cases_of_one_category_in_one_community_raise_a_cluster_alert_a_supervisor_closes(
        browser: Any, desk: Desk) -> None:
    page = sign_in(browser, desk, "mediator")
    cases = []
    for n, (name, grid) in enumerate((("甲某", "grid-xicheng-gulou-1"), ("乙某", "grid-xicheng-gulou-2"),
                                      ("丙某", "grid-xicheng-gulou-1"))):
        register(page, desk, name, "信访事项（访调对接）", grid, f"42010119800101{n:03d}{uuid.uuid4().int % 10}")
        page.wait_for_url(re.compile(r".*/cases/C-[^/?]+\?done=.*"))
        cases.append(page.url.split("/cases/")[1].split("?")[0])
    assert "聚集预警" in page.locator("dl.facts").inner_text()  # the third case opened it
    page.goto(f"{desk.base}/desk")
    alerts = page.locator("#alerts")
    assert "西城街道鼓楼社区 · 信访事项（访调对接）" in alerts.inner_text() and "3 件" in alerts.inner_text()
    assert all(c in alerts.inner_text() for c in cases)
    assert alerts.locator("form").count() == 0  # a mediator sees it, a supervisor closes it
    page.context.close()

    boss = sign_in(browser, desk, "supervisor", console=False)  # the 422 page logs "Failed to load"
    assert "西城街道鼓楼社区" in boss.locator("#alerts").inner_text()  # on the board
    boss.goto(f"{desk.base}/analysis")
    item = boss.locator("#alerts li", has_text="鼓楼社区")
    item.get_by_label("处置情况").fill("   ")
    item.get_by_role("button", name="关闭预警").click()
    boss.wait_for_load_state()
    assert "请填写「处置情况」" in boss.get_by_role("alert").inner_text()
    item = boss.locator("#alerts li", has_text="鼓楼社区")
    item.get_by_label("处置情况").fill("已约谈信访人，联合街道综治中心化解")
    shoot(boss, "analysis-cluster-alert")
    item.get_by_role("button", name="关闭预警").click()
    boss.wait_for_url(re.compile(r".*/analysis\?done=.*"))
    assert boss.locator("#alerts li", has_text="鼓楼社区").count() == 0
    width = boss.evaluate("document.scrollingElement.scrollWidth")
    assert width <= PHONE["width"], width
    boss.context.close()


def test_nothing_was_asked_from_outside_and_no_console_errors(desk: Desk) -> None:
    assert desk.outside_requests == [] and desk.console_errors == []
