"""排查 in a real browser: a mediator starts two sweeps over 花园社区 on the desk; the demo grid worker (第一网格)
sees both on the 390-px phone page, answers one with 排查无纠纷 and the other with a dispute found; the mediator's
sweep page shows each grid's state, the case found linked, the other grid still awaited."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest

from tests.workbench.conftest import DESKTOP, PHONE, Desk, shoot, watch
from tests.workbench.test_grid_browser import fits, sign_in

pytestmark = pytest.mark.timeout(600)


def start_sweep(browser: Any, desk: Desk, note: str) -> tuple[Any, str]:
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN", timezone_id="Asia/Shanghai")
    page = watch(context.new_page(), desk)
    page.goto(f"{desk.base}/login")
    page.get_by_label("用户名").fill(desk.logins["mediator"].login)
    page.get_by_label("密码").fill(desk.logins["mediator"].password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{desk.base}/desk*")
    page.get_by_role("link", name="排查", exact=True).click()
    page.wait_for_url(f"{desk.base}/sweeps")
    page.get_by_label("排查范围").select_option(label="东湖街道花园社区")
    page.get_by_label("时限").fill("3wd")
    page.get_by_label("说明（选填）").fill(note)
    page.get_by_role("button", name="发起排查").click()
    page.wait_for_url(re.compile(r".*/sweeps/SW-[^?]+\?done=.*"))
    sweep_id = page.url.split("/sweeps/", 1)[1].split("?", 1)[0]
    return page, sweep_id


def test_a_sweep_is_started_answered_on_the_phone_and_followed_on_the_desk(browser: Any, desk: Desk) -> None:
    n = uuid.uuid4().hex[:6]
    desk_page, zero_id = start_sweep(browser, desk, f"零报告{n}")
    grids = desk_page.get_by_role("listitem", name=re.compile("网格 "))
    assert grids.count() == 2 and all("待上报" in grids.nth(i).inner_text() for i in range(2))
    _, found_id = start_sweep(browser, desk, f"发现纠纷{n}")

    phone = sign_in(browser, desk, "grid_worker", "/grid", console=False)  # the empty report is answered 422
    for sweep_id in (zero_id, found_id):
        assert phone.locator(f"#sweep-{sweep_id}").is_visible()
    assert fits(phone)
    shoot(phone, "sweep-phone")

    phone.locator(f"#sweep-{zero_id}").get_by_role("button", name="排查无纠纷", exact=True).click()
    phone.wait_for_url(re.compile(r".*/grid\?done=.*"))
    assert phone.locator(f"#sweep-{zero_id}").count() == 0  # answered: no longer waiting

    card = phone.locator(f"#sweep-{found_id}")
    card.get_by_text("上报排查发现的纠纷").click()
    card.get_by_role("button", name="上报排查结果", exact=True).click()  # nothing filled: a clear message
    phone.wait_for_load_state()
    card = phone.locator(f"#sweep-{found_id}")
    assert "请至少填写一件" in card.get_by_role("alert").inner_text()
    card.get_by_label("第1件 事项名称").fill(f"楼道堆物{n}")
    card.get_by_label("第1件 纠纷类型").select_option(label="邻里纠纷")
    card.get_by_label("第1件 经过").fill("楼道长期堆放杂物，邻居多次协商未果")
    card.get_by_label("第1件 反映人").fill("李阿姨")
    card.get_by_role("button", name="上报排查结果", exact=True).click()
    phone.wait_for_url(re.compile(r".*/grid\?done=.*"))
    assert phone.locator(f"#sweep-{found_id}").count() == 0
    assert fits(phone)

    desk_page.goto(f"{desk.base}/sweeps/{found_id}")
    first = desk_page.get_by_role("listitem", name="网格 东湖街道花园社区第一网格")
    assert "已上报" in first.inner_text() and "发现纠纷 1 件" in first.inner_text()
    case_href = first.get_by_role("link").first.get_attribute("href")
    second = desk_page.get_by_role("listitem", name="网格 东湖街道花园社区第二网格")
    assert "待上报" in second.inner_text()
    shoot(desk_page, "sweep-desk")
    desk_page.goto(f"{desk.base}/sweeps/{zero_id}")
    assert "排查无纠纷" in desk_page.get_by_role("listitem", name="网格 东湖街道花园社区第一网格").inner_text()
    desk_page.goto(f"{desk.base}{case_href}")
    assert f"楼道堆物{n}" in desk_page.content()
    desk_page.goto(f"{desk.base}/sweeps")
    assert desk_page.get_by_role("listitem", name=f"排查 {found_id}").is_visible()
    assert not desk.outside_requests and not desk.console_errors


def test_a_bad_due_is_refused_in_chinese(browser: Any, desk: Desk) -> None:
    context = browser.new_context(viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai")
    page = watch(context.new_page(), desk, console=False)
    page.goto(f"{desk.base}/login")
    page.get_by_label("用户名").fill(desk.logins["supervisor"].login)
    page.get_by_label("密码").fill(desk.logins["supervisor"].password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{desk.base}/board*")
    page.goto(f"{desk.base}/sweeps")
    page.get_by_label("时限").fill("很快")
    page.get_by_role("button", name="发起排查").click()
    page.wait_for_load_state()
    assert "「时限」格式不对" in page.get_by_role("alert").inner_text()
    assert fits(page)
