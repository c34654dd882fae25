"""The admin's desk in a real browser on a phone: a liaison added, signed in with the password shown once, and
refused at once when disabled; a broken organisation file and a bad calendar file shown problem by problem;
the re-enter-password step; the admin log; a POST without the CSRF token refused."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import asyncpg
import pytest
from playwright.sync_api import expect

from domain.organisation import demo_organisation
from tests.workbench.conftest import PHONE, SCREENSHOTS, Desk, shoot, watch

pytestmark = pytest.mark.timeout(600)


def _context(browser: Any) -> Any:
    return browser.new_context(viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai")


def _sign_in(browser: Any, desk: Desk, login: str, password: str, landing: str, console: bool = True) -> Any:
    page = watch(_context(browser).new_page(), desk, console=console)
    page.goto(f"{desk.base}/login")
    page.get_by_label("用户名").fill(login)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{desk.base}{landing}*")
    return page


def _admin(browser: Any, desk: Desk, console: bool = False) -> Any:
    # Refusals answer 4xx on purpose, which Chromium logs as console errors: the page is checked instead.
    admin = desk.logins["admin"]
    return _sign_in(browser, desk, admin.login, admin.password, "/admin", console=console)


def _sql(desk: Desk, statement: str) -> None:
    """One statement on the stack's own database (Playwright's sync API holds this thread's event loop)."""
    url = json.loads((desk.data_dir / "stack.json").read_text())["database_url"]

    async def run() -> None:
        conn = await asyncpg.connect(url)
        try:
            await conn.execute(statement)
        finally:
            await conn.close()

    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, run()).result()


def test_an_added_liaison_signs_in_and_is_refused_at_once_when_disabled(browser: Any, desk: Desk) -> None:
    page = _admin(browser, desk, console=True)
    expect(page.get_by_role("heading", name="管理", exact=True)).to_be_visible()
    shoot(page, "admin-desk")
    page.screenshot(path=str(SCREENSHOTS / "admin-desk-top.png"))
    login = f"liu-{uuid.uuid4().hex[:6]}"
    page.get_by_label("姓名").fill("刘晓梅")
    page.get_by_label("角色").select_option(label="联络员")
    page.get_by_label("部门").select_option("dept-donghu-housing")
    page.get_by_label("用户名").fill(login)
    page.get_by_role("button", name="添加").click()
    expect(page.get_by_role("heading", name="账号已添加")).to_be_visible()
    assert page.locator("#new-login").inner_text() == login
    password = page.locator("#new-password").inner_text()
    assert len(password) == 16
    shoot(page, "admin-password-once")

    liaison = _sign_in(browser, desk, login, password, "/inbox")
    assert "刘晓梅" in liaison.locator(".me").inner_text()

    page.get_by_role("link", name="返回管理页").click()
    row = page.locator(f'tr[data-login="{login}"]')
    expect(row).to_contain_text("联络员")
    assert password not in page.content()  # shown once: the desk never shows it again
    row.get_by_role("button", name="停用").click()
    page.wait_for_url(re.compile(r".*/admin\?done=.*"))
    expect(page.locator(f'tr[data-login="{login}"]')).to_contain_text("已停用")
    log = page.locator("#admin-log")
    expect(log).to_contain_text("添加账号")
    expect(log).to_contain_text("停用账号")
    assert password not in log.inner_text()

    liaison.reload()  # the disabled liaison's very next request goes to the login
    liaison.wait_for_url(re.compile(r".*/login\?next=/inbox$"))
    liaison.get_by_label("用户名").fill(login)
    liaison.get_by_label("密码").fill(password)
    liaison.get_by_role("button", name="登录").click()
    expect(liaison.get_by_role("alert")).to_have_text("该账号已停用，请联系管理员")
    liaison.context.close()
    page.context.close()


def test_people_are_found_by_a_word_a_role_or_their_state_on_the_phone(browser: Any, desk: Desk) -> None:
    page = _admin(browser, desk)
    liaison = desk.logins["liaison"]
    labour = demo_organisation().department("dept-donghu-labour").name  # the demo liaison's department
    search = page.get_by_role("search", name="查找人员")
    search.get_by_label("关键词").fill(labour)  # a department's name finds its people
    search.get_by_role("button", name="查找").click()
    page.wait_for_url(re.compile(r".*/admin\?q=.*"))
    rows = page.locator("#people tbody tr")
    expect(page.locator(f'tr[data-login="{liaison.login}"]')).to_be_visible()
    assert rows.count() >= 1 and all(labour in rows.nth(i).inner_text() for i in range(rows.count()))
    expect(page.locator("#people-found")).to_contain_text(f"共 {rows.count()} 人")
    expect(page.get_by_role("search", name="查找人员").get_by_label("关键词")).to_have_value(labour)
    shoot(page, "admin-people-found")
    search = page.get_by_role("search", name="查找人员")
    search.get_by_label("账号状态").select_option(label="已停用")
    search.get_by_role("button", name="查找").click()
    page.wait_for_url(re.compile(r".*status=disabled.*"))
    expect(page.locator(f'tr[data-login="{liaison.login}"]')).to_have_count(0)
    page.get_by_role("link", name="清除条件").click()
    expect(page.locator(f'tr[data-login="{desk.logins["admin"].login}"]')).to_be_visible()
    page.goto(f"{desk.base}/admin?q=%E6%97%A0%E6%AD%A4%E4%BA%BA&role=nobody&page=x")  # no one; bad filters left out
    expect(page.locator("#people-found")).to_have_text("没有符合条件的人员。")
    page.context.close()


def test_a_bad_person_gets_a_chinese_message_and_keeps_what_was_typed(browser: Any, desk: Desk) -> None:
    page = _admin(browser, desk)
    page.get_by_label("姓名").fill("陈联络")
    page.get_by_label("角色").select_option(label="联络员")
    page.get_by_label("用户名").fill("chen-lianluo")
    page.get_by_role("button", name="添加").click()
    expect(page.locator("#person-error")).to_have_text("联络员须选择所属部门。")
    expect(page.get_by_label("姓名")).to_have_value("陈联络")
    page.get_by_label("部门").select_option("dept-donghu-housing")
    page.get_by_label("用户名").fill("Chen Lianluo")
    page.get_by_role("button", name="添加").click()
    expect(page.locator("#person-error")).to_contain_text("用户名须为 2 至 64 位")
    page.context.close()


def test_a_leaders_own_channel_is_set_shown_redacted_and_refused_when_malformed(browser: Any, desk: Desk) -> None:
    page = _admin(browser, desk)
    login = f"wang-{uuid.uuid4().hex[:6]}"
    page.get_by_label("姓名").fill("王领导")
    page.get_by_label("角色").select_option(label="领导")
    page.get_by_label("用户名").fill(login)
    page.get_by_role("button", name="添加").click()
    page.get_by_role("link", name="返回管理页").click()
    row = page.locator(f'tr[data-login="{login}"]')
    expect(row).to_contain_text("仅站内")
    row.get_by_text("设置").click()
    row.get_by_label("通知地址").fill("wecombot://ROBOTKEY0042\nnot a url")
    row.get_by_role("button", name=f"保存通知渠道 {login}").click()
    expect(page.get_by_role("alert")).to_contain_text("第 2 个地址有误")
    assert "ROBOTKEY0042" not in page.content()  # refused: nothing saved, the key never echoed
    row = page.locator(f'tr[data-login="{login}"]')
    expect(row.get_by_label("通知地址")).to_be_visible()  # the form stays open on the row it was about
    row.get_by_label("通知地址").fill("wecombot://ROBOTKEY0042\nmailto://wang:pw@mail.example?to=wang@x.cn")
    row.get_by_role("button", name=f"保存通知渠道 {login}").click()
    page.wait_for_url(re.compile(r".*/admin\?done=.*"))
    row = page.locator(f'tr[data-login="{login}"]')
    expect(row).to_contain_text("wecombot://***")
    expect(row).to_contain_text("mailto://mail.example")
    assert "ROBOTKEY0042" not in page.content() and "wang:pw" not in page.content()
    expect(page.locator("#admin-log")).to_contain_text("设置通知渠道")
    shoot(page, "admin-person-channels")

    row.get_by_text("设置").click()
    row.get_by_role("button", name=f"保存通知渠道 {login}").click()  # saved empty: cleared
    page.wait_for_url(re.compile(r".*/admin\?done=.*"))
    expect(page.locator(f'tr[data-login="{login}"]')).to_contain_text("仅站内")
    page.context.close()


def test_a_broken_organisation_file_shows_its_json_paths(browser: Any, desk: Desk) -> None:
    page = _admin(browser, desk)
    data = json.loads(demo_organisation().canonical_json)
    data["departments"][0]["jurisdiction"] = "st-nowhere"
    del data["categories"][1]["name"]
    page.get_by_label("组织架构文件").set_input_files(
        {"name": "org.json", "mimeType": "application/json", "buffer": json.dumps(data).encode()})
    page.get_by_role("button", name="上传组织架构").click()
    problems = page.locator("#org-problems")
    expect(problems).to_contain_text("组织架构文件有")
    expect(problems).to_contain_text("departments[0].jurisdiction")
    expect(problems).to_contain_text("categories[1]")
    expect(problems).to_be_in_viewport()  # the answer opens at the form's section, even on a phone
    page.screenshot(path=str(SCREENSHOTS / "admin-org-problems-view.png"))
    shoot(page, "admin-org-problems")
    page.get_by_role("button", name="上传组织架构").click()  # no file chosen
    expect(page.locator("#org-problems")).to_have_text("请选择要上传的组织架构文件（JSON）。")

    good = json.loads(demo_organisation().canonical_json)
    good["departments"].append({**good["departments"][0], "id": "dept-admin-new", "name": "新设调解室"})
    page.get_by_label("组织架构文件").set_input_files(
        {"name": "org.json", "mimeType": "application/json", "buffer": json.dumps(good).encode()})
    page.get_by_role("button", name="上传组织架构").click()
    page.wait_for_url(re.compile(r".*/admin\?done=.*"))
    count = len(good["departments"])
    expect(page.locator("#organisation")).to_contain_text(f"{count} 个部门")
    fingerprint = page.locator("#organisation code.hash").inner_text()
    expect(page.locator("#admin-log")).to_contain_text(fingerprint)
    # In force without a restart: the mediator's inbox picker offers the new department at once.
    mediator = desk.logins["mediator"]
    other = _sign_in(browser, desk, mediator.login, mediator.password, "/desk")
    other.goto(f"{desk.base}/inbox?department=dept-admin-new")
    expect(other.get_by_role("heading", name="新设调解室")).to_be_visible()
    other.context.close()
    page.context.close()


def test_a_bad_calendar_file_shows_its_problems_and_a_good_one_is_listed(browser: Any, desk: Desk) -> None:
    page = _admin(browser, desk)
    bad = {"year": 2031, "holidays": ["2031-01-04", "2031-13-01"], "workdays": ["2031-01-08"]}
    page.get_by_label("年度安排文件").set_input_files(
        {"name": "2031.json", "mimeType": "application/json", "buffer": json.dumps(bad).encode()})
    page.get_by_role("button", name="载入日历").click()
    problems = page.locator("#calendar-problems")
    expect(problems).to_contain_text("日历文件有 3 处问题")
    expect(problems).to_contain_text("holidays[0]: 2031-01-04 is a Saturday")
    expect(problems).to_contain_text("holidays[1]")
    expect(problems).to_contain_text("workdays[0]")
    expect(problems).to_be_in_viewport()
    shoot(page, "admin-calendar-problems")
    good = {"year": 2031, "holidays": ["2031-01-01"], "workdays": []}
    page.get_by_label("年度安排文件").set_input_files(
        {"name": "2031.json", "mimeType": "application/json", "buffer": json.dumps(good).encode()})
    page.get_by_role("button", name="载入日历").click()
    page.wait_for_url(re.compile(r".*/admin\?done=.*"))
    expect(page.locator('tr[data-year="2031"]')).to_contain_text("1 天")
    expect(page.locator("#admin-log")).to_contain_text("载入日历")
    page.context.close()


def test_an_action_needs_a_password_entered_within_ten_minutes(browser: Any, desk: Desk) -> None:
    page = _admin(browser, desk)
    _sql(desk, "UPDATE sessions SET password_at = now() - interval '11 minutes'")
    page.get_by_label("姓名").fill("孙审计")
    page.get_by_label("角色").select_option(label="审计")
    page.get_by_role("button", name="添加").click()
    expect(page.get_by_role("heading", name="请再次输入密码")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("刚才的操作尚未执行")
    shoot(page, "admin-confirm")
    page.get_by_label("密码").fill("not-my-password")
    page.get_by_role("button", name="确认").click()
    expect(page.get_by_role("alert")).to_have_text("用户名或密码错误")
    page.get_by_label("密码").fill(desk.logins["admin"].password)
    page.get_by_role("button", name="确认").click()
    page.wait_for_url(f"{desk.base}/admin")
    expect(page.get_by_role("heading", name="添加人员")).to_be_visible()
    page.goto(f"{desk.base}/admin")  # fresh again: the desk itself
    expect(page.get_by_role("button", name="添加")).to_be_visible()
    page.context.close()


def test_a_post_without_the_csrf_token_is_refused(browser: Any, desk: Desk) -> None:
    page = _admin(browser, desk)
    answer = page.request.post(f"{desk.base}/admin/people", form={"name": "外人", "role": "admin"})
    assert answer.status == 403 and "安全校验码" in answer.text()
    assert "外人" not in page.request.get(f"{desk.base}/admin").text()
    page.context.close()


def test_the_desk_is_for_the_admin_only(browser: Any, desk: Desk) -> None:
    mediator = desk.logins["mediator"]
    page = _sign_in(browser, desk, mediator.login, mediator.password, "/desk", console=False)
    page.goto(f"{desk.base}/admin")
    expect(page.get_by_role("heading", name="无权访问")).to_be_visible()
    assert page.request.post(f"{desk.base}/admin/people", form={"name": "x"}).status == 403
    page.context.close()
