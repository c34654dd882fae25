"""A case carried from intake to archive and audit in a real browser, by each role on its own page."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import psutil
import pytest
from playwright.sync_api import expect

from tests.workbench.conftest import DESKTOP, PHONE, Desk, shoot, watch

pytestmark = pytest.mark.timeout(600)
LANDING = {"mediator": "/desk", "liaison": "/inbox", "supervisor": "/board", "auditor": "/audit", "admin": "/admin",
           "leader": "/scores"}
TITLE = "工资拖欠三个月"
SHANGHAI = ZoneInfo("Asia/Shanghai")
STATE: dict[str, str] = {}  # what one step leaves for the next: the case id


def sign_in(browser: Any, desk: Desk, role: str, viewport: dict[str, int] = DESKTOP, console: bool = True) -> Any:
    context = browser.new_context(viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai")
    page = watch(context.new_page(), desk, console=console)
    page.goto(f"{desk.base}/login")
    page.get_by_label("用户名").fill(desk.logins[role].login)
    page.get_by_label("密码").fill(desk.logins[role].password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{desk.base}{LANDING[role]}*")
    return page


def test_every_role_signs_in_and_lands_on_its_page(browser: Any, desk: Desk) -> None:
    for role, path in LANDING.items():
        viewport = PHONE if role == "liaison" else DESKTOP
        page = sign_in(browser, desk, role, viewport)
        assert page.url.startswith(f"{desk.base}{path}")
        assert page.get_by_role("button", name="退出").is_visible()
        shoot(page, f"landing-{role}")
        page.get_by_role("button", name="退出").click()
        page.wait_for_url(f"{desk.base}/login*")
        page.goto(f"{desk.base}{path}")  # signed out: back to the login page
        assert "/login" in page.url
        page.context.close()


def test_a_wrong_password_is_refused_in_chinese(browser: Any, desk: Desk) -> None:
    context = browser.new_context(viewport=DESKTOP)
    page = watch(context.new_page(), desk, console=False)
    page.goto(f"{desk.base}/login")
    page.get_by_label("用户名").fill("mediator")
    page.get_by_label("密码").fill("not-the-password")
    page.get_by_role("button", name="登录").click()
    assert page.get_by_role("alert").inner_text() == "用户名或密码错误"
    shoot(page, "login")
    context.close()


def test_mediator_registers_a_case_and_routes_it(browser: Any, desk: Desk) -> None:
    page = sign_in(browser, desk, "mediator")
    page.get_by_role("link", name="＋ 受理登记").click()
    page.get_by_label("标题").fill(TITLE)
    page.get_by_label("描述").fill("某餐馆拖欠三名服务员三个月工资，共计两万四千元。")
    page.get_by_label("类别").select_option(label="拖欠工资")
    page.get_by_label("来源渠道").select_option(label="12345热线")
    page.get_by_label("网格").select_option("grid-donghu-binhe-1")
    page.get_by_label("风险等级").select_option(label="高")
    page.get_by_label("当事人姓名").fill("钱小红")
    page.get_by_label("电话").fill("13912345678")
    page.get_by_label("身份证号").fill("110101199001011234")
    shoot(page, "intake")
    page.get_by_role("button", name="登记").click()
    page.wait_for_url(re.compile(r".*/cases/C-[^/?]+\?done=.*"))
    case_id = page.url.split("/cases/")[1].split("?")[0]
    STATE["case_id"] = case_id
    assert page.get_by_role("heading", name=TITLE).is_visible()
    assert "待分流" in page.inner_text("body")
    assert "钱小红" in page.inner_text("body")  # a mediator reads parties in full

    # The same applicant, category and grid again: the warning comes before anything is saved.
    page.goto(f"{desk.base}/cases/new")
    page.get_by_label("标题").fill("再次反映工资拖欠")
    page.get_by_label("描述").fill("同一人再次来电。")
    page.get_by_label("类别").select_option(label="拖欠工资")
    page.get_by_label("网格").select_option("grid-donghu-binhe-1")
    page.get_by_label("当事人姓名").fill("钱小红")
    page.get_by_label("电话").fill("139-1234-5678")
    page.get_by_label("身份证号").fill("110101199001011234")
    page.get_by_role("button", name="登记").click()
    warning = page.get_by_role("alert")
    assert "疑似重复件" in warning.inner_text() and case_id in warning.inner_text()
    assert page.get_by_role("button", name="仍然登记（并入原案）").is_visible()
    shoot(page, "intake-duplicate-warning")

    # One step on the desk: the suggested route is pre-filled; 分流 routes it.
    page.goto(f"{desk.base}/desk")
    card = page.get_by_role("article", name=f"待分流 {TITLE}")
    assert card.get_by_label("牵头单位").input_value() == "dept-donghu-labour"
    shoot(page, "desk")
    card.get_by_role("button", name="分流").click()
    page.wait_for_url(re.compile(r".*/desk\?done=.*"))
    assert page.get_by_role("article", name=f"待分流 {TITLE}").count() == 0
    page.goto(f"{desk.base}/cases/{case_id}")
    assert "协调中" in page.inner_text("body")
    assert "东湖街道人社所" in page.inner_text("body")
    shoot(page, "case-routed")
    page.context.close()


def _access_log(desk: Desk, case_id: str) -> list[dict[str, Any]]:
    issued = subprocess.run([sys.executable, "-m", "entrypoints.cli", "token", "issue", "--role", "auditor",
                             "--data-dir", str(desk.data_dir)], capture_output=True, text=True, timeout=120)
    answer = httpx.get(f"{desk.base}/api/v1/audit/access-log?case_id={case_id}",
                       headers={"Authorization": f"Bearer {issued.stdout.strip()}"})
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def test_the_desk_records_no_read_and_opening_a_case_records_one(browser: Any, desk: Desk) -> None:
    """The access log says who looked at whose personal data: a desk that lists cases (and polls every few
    seconds) looks at nobody's; opening the case does."""
    page = sign_in(browser, desk, "mediator")
    link = page.locator("a.title").first
    case_id = link.get_attribute("href").removeprefix("/cases/")
    before = len(_access_log(desk, case_id))
    for _ in range(3):
        page.reload()
        page.wait_for_load_state("networkidle")
    assert len(_access_log(desk, case_id)) == before
    page.goto(f"{desk.base}/cases/{case_id}")
    after = _access_log(desk, case_id)
    assert len(after) == before + 1
    assert (after[0]["what"], after[0]["actor"]["role"]) == ("case", "mediator")
    page.context.close()


def test_a_mediator_picks_any_departments_inbox(browser: Any, desk: Desk) -> None:
    page = sign_in(browser, desk, "mediator", PHONE, console=False)
    page.get_by_role("link", name="部门待办").click()
    page.wait_for_url(f"{desk.base}/inbox")
    assert "请选择一个部门" in page.inner_text("body")
    page.get_by_label("查看部门").select_option(label="东湖街道人社所")
    page.get_by_role("button", name="查看").click()
    page.wait_for_url(re.compile(r".*/inbox\?department=dept-donghu-labour$"))
    assert page.get_by_role("heading", name="待办任务 东湖街道人社所").is_visible()
    assert page.get_by_role("article", name=f"任务 {TITLE}").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shoot(page, "inbox-picker-phone")
    answer = page.goto(f"{desk.base}/inbox?department=dept-nowhere")
    assert answer is not None and answer.status == 404
    assert "没有这个部门" in page.get_by_role("alert").inner_text()
    assert page.get_by_label("查看部门").is_visible()  # pick again
    page.context.close()


def test_mediator_records_meeting_minutes_with_a_commitment_on_a_phone(browser: Any, desk: Desk) -> None:
    case_id = STATE["case_id"]
    page = sign_in(browser, desk, "mediator", PHONE, console=False)  # a half-filled row is answered 422
    page.goto(f"{desk.base}/cases/{case_id}")
    page.get_by_role("button", name="联席会议").click()
    page.get_by_label("会议时间").fill(datetime.now(SHANGHAI).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("议题").fill("核实欠薪数额，确定支付计划")
    page.get_by_role("button", name="确定").click()
    page.wait_for_url(re.compile(r".*\?done=.*"))

    page.get_by_role("button", name="会议纪要").click()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    first = page.get_by_role("group", name="承诺事项 1")
    first.get_by_label("承诺单位").select_option(label="东湖街道人社所")
    first.get_by_label("承诺内容").fill("三日内核实欠薪数额并约谈负责人")
    due = datetime.now(SHANGHAI) + timedelta(days=3)
    first.get_by_label("办理期限").fill(due.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="＋ 增加一项承诺").click()  # one more row; what was typed stays
    assert page.get_by_role("group", name="承诺事项 3").is_visible()
    first = page.get_by_role("group", name="承诺事项 1")
    assert first.get_by_label("承诺内容").input_value() == "三日内核实欠薪数额并约谈负责人"
    page.get_by_role("group", name="承诺事项 2").get_by_label("承诺内容").fill("督促支付")  # no department
    shoot(page, "minutes-form-phone")
    page.get_by_role("button", name="确定").click()
    assert page.get_by_role("alert").inner_text() == "承诺事项2：请选择「承诺单位」"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.get_by_role("group", name="承诺事项 2").get_by_label("承诺内容").fill("")
    page.get_by_role("button", name="确定").click()
    page.wait_for_url(re.compile(rf".*/cases/{case_id}\?done=.*"))
    work = page.get_by_role("region", name="会议、调解与回访").inner_text()
    assert "东湖街道人社所：三日内核实欠薪数额并约谈负责人" in work, work
    history = page.get_by_role("region", name="办理过程").inner_text()
    assert f"东湖街道人社所承诺于 {due.strftime('%Y-%m-%d %H:%M')} 前三日内核实欠薪数额" in history, history
    shoot(page, "case-commitment-phone")
    page.context.close()


def test_liaison_on_a_phone_acknowledges_and_replies(browser: Any, desk: Desk) -> None:
    case_id = STATE["case_id"]
    page = sign_in(browser, desk, "liaison", PHONE)
    page.goto(f"{desk.base}/inbox?department=dept-donghu-zongzhi")  # another department's: ignored
    assert page.get_by_role("heading", name="待办任务 东湖街道人社所").is_visible()
    assert page.get_by_label("查看部门").count() == 0  # no picker for a liaison
    task = page.get_by_role("article", name=f"任务 {TITLE}")
    assert task.is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # no sideways scrolling
    shoot(page, "inbox-phone")
    task.get_by_role("button", name="签收").click()
    page.get_by_role("button", name="确定").click()
    page.wait_for_url(re.compile(r".*/inbox\?done=.*"))
    assert "已完成：签收" in page.inner_text("body")
    task = page.get_by_role("article", name=f"任务 {TITLE}")
    assert task.get_by_role("button", name="签收").count() == 0
    # 申请延期: a length picked in working days, read so by the supervisor, who approves it on the case page
    task.get_by_role("button", name="申请延期").click()
    page.get_by_label("延长时长").select_option(label="5个工作日")
    page.get_by_label("原因").fill("需等待劳动监察大队核实工时")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shoot(page, "extension-form-phone")
    page.get_by_role("button", name="确定").click()
    page.wait_for_url(re.compile(r".*/inbox\?done=.*"))
    expect(page.get_by_role("article", name=f"任务 {TITLE}")).to_contain_text("已申请延期5个工作日，待审批",
                                                                           timeout=30_000)
    boss = sign_in(browser, desk, "supervisor")
    expect(boss.get_by_role("region", name="待审批（延期、退回）")).to_contain_text(
        "延期5个工作日 · 需等待劳动监察大队核实工时", timeout=30_000)
    boss.goto(f"{desk.base}/cases/{case_id}")
    held = boss.get_by_role("article", name="任务 东湖街道人社所")
    assert "申请延期5个工作日：需等待劳动监察大队核实工时（待审批）" in held.inner_text()
    held.get_by_role("button", name="审批延期").click()
    boss.get_by_label("是否批准").select_option(label="批准")
    boss.get_by_role("button", name="确定").click()
    boss.wait_for_url(re.compile(rf".*/cases/{case_id}\?done=.*"))
    history = boss.get_by_role("region", name="办理过程").inner_text()
    assert "东湖街道人社所申请延期5个工作日：需等待劳动监察大队核实工时" in history, history
    assert "延期审批：批准，东湖街道人社所答复时限" in history, history
    assert "（待审批）" not in boss.get_by_role("article", name="任务 东湖街道人社所").inner_text()
    # 中止计时: the liaison's card says the deadline waits (no countdown, never overdue) until it is resumed
    for button, reason in (("中止", "等待工伤鉴定结论"), ("恢复", "鉴定结论已出")):
        boss.get_by_role("button", name=button, exact=True).click()
        boss.get_by_label("原因").fill(reason)
        boss.get_by_role("button", name="确定").click()
        boss.wait_for_url(re.compile(rf".*/cases/{case_id}\?done=.*"))
        if button == "中止":
            page.goto(f"{desk.base}/inbox")
            card = page.get_by_role("article", name=f"任务 {TITLE}")
            expect(card).to_contain_text("已中止计时，答复时限暂停计算", timeout=30_000)
            assert "恢复计时后顺延" in card.inner_text() and "截止" not in card.inner_text()
            shoot(page, "inbox-paused-phone")
    boss.context.close()
    page.goto(f"{desk.base}/inbox")
    task = page.get_by_role("article", name=f"任务 {TITLE}")
    expect(task).not_to_contain_text("待审批", timeout=30_000)
    expect(task).not_to_contain_text("中止计时", timeout=30_000)
    task.get_by_role("button", name="答复").click()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.get_by_label("答复内容").fill("已约谈餐馆负责人，承诺本周内结清工资。")
    shoot(page, "reply-form-phone")
    page.get_by_role("button", name="确定").click()
    page.wait_for_url(re.compile(r".*/inbox\?done=.*"))
    assert page.get_by_role("article", name=f"任务 {TITLE}").count() == 0  # done: no longer to handle
    page.goto(f"{desk.base}/cases/{case_id}")
    assert "已答复" in page.inner_text("body")
    assert "钱小红" in page.inner_text("body")  # the department holding the task contacts the party
    shoot(page, "case-phone")
    page.goto(f"{desk.base}/notifications")  # the bell: each message opens its case, so no bare link line
    bell = page.locator("main").inner_text()
    assert f"【联调·派单】案件 {case_id}" in bell and "详情：" not in bell and "http" not in bell, bell
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shoot(page, "notifications-phone")
    page.context.close()


def test_a_refused_action_shows_the_domains_reason_in_chinese(browser: Any, desk: Desk) -> None:
    page = sign_in(browser, desk, "mediator", console=False)
    page.goto(f"{desk.base}/cases/{STATE['case_id']}/act/archive")
    page.get_by_role("button", name="确定").click()
    reason = page.get_by_role("alert").inner_text()
    assert "未能归档" in reason and "阶段" in reason, reason
    assert not re.search(r"[A-Za-z]{4,}", reason), reason  # Chinese, not the domain's English
    shoot(page, "refused")
    page.context.close()


def test_mediator_submits_supervisor_verifies_and_the_case_is_archived(browser: Any, desk: Desk) -> None:
    case_id = STATE["case_id"]
    boss = sign_in(browser, desk, "supervisor")  # the board is open before the resolution is submitted
    assert TITLE not in boss.get_by_role("region", name="待验收").inner_text()

    page = sign_in(browser, desk, "mediator")
    page.goto(f"{desk.base}/cases/{case_id}")
    page.get_by_role("button", name="提交办结").click()
    page.get_by_label("办结结果").select_option(label="调解成功")
    page.get_by_label("办结说明").fill("餐馆已结清全部工资，双方签订和解协议。")
    page.get_by_role("button", name="确定").click()
    page.wait_for_url(re.compile(r".*\?done=.*"))
    assert "督办验收" in page.inner_text("body")

    # The board refreshes by itself: the case appears in the verification queue without a reload.
    expect(boss.get_by_role("region", name="待验收")).to_contain_text(TITLE, timeout=30_000)
    shoot(boss, "board")
    boss.get_by_role("region", name="待验收").get_by_role("link", name=TITLE).click()
    assert "钱*" in boss.inner_text("body") and "钱小红" not in boss.inner_text("body")  # masked for a supervisor
    assert "139****5678" in boss.inner_text("body")
    boss.get_by_role("button", name="验收").click()
    boss.get_by_label("验收结论").select_option(label="通过")
    boss.get_by_role("button", name="确定").click()
    boss.wait_for_url(re.compile(r".*\?done=.*"))
    assert "已验收" in boss.inner_text("body")
    shoot(boss, "case-verified")
    boss.context.close()

    page.reload()
    page.get_by_role("button", name="回访").click()
    page.get_by_label("满意度").select_option(label="满意")
    page.get_by_role("button", name="确定").click()
    page.wait_for_url(re.compile(r".*\?done=.*"))
    page.get_by_role("button", name="归档").click()
    page.get_by_role("button", name="确定").click()
    page.wait_for_url(re.compile(r".*\?done=.*"))
    assert "已归档" in page.inner_text("body")
    assert page.get_by_role("region", name="可执行的操作").count() == 0  # nothing left to do
    shoot(page, "case-archived")
    page.context.close()


def test_auditor_replays_to_an_earlier_event_and_verifies_the_chain(browser: Any, desk: Desk) -> None:
    case_id = STATE["case_id"]
    page = sign_in(browser, desk, "auditor")
    page.get_by_role("link", name=TITLE).first.click()
    assert page.url.endswith(f"/cases/{case_id}/timeline")
    assert page.locator("#replayed-stage").inner_text() == "已归档"
    assert "哈希链完整" in page.get_by_role("region", name="哈希链核验").inner_text()
    page.goto(f"{desk.base}/cases/{case_id}/timeline?upto=1")  # right after registration
    assert page.locator("#replayed-stage").inner_text() == "待分流"
    assert "此时尚无任务" in page.inner_text("body")
    page.get_by_role("link", name="3", exact=True).click()  # routed: the task exists, not yet acknowledged
    assert page.locator("#replayed-stage").inner_text() == "协调中"
    assert "待签收" in page.inner_text("body")
    shoot(page, "timeline-replay")
    with page.expect_download() as download:
        page.get_by_role("link", name="下载案卷（一案一档）").click()
    assert download.value.suggested_filename == f"{case_id}-dossier.zip"
    page.context.close()
    # The dossier holds the parties' data in full: who downloaded it is in the access log.
    issued = subprocess.run([sys.executable, "-m", "entrypoints.cli", "token", "issue", "--role", "auditor",
                             "--data-dir", str(desk.data_dir)], capture_output=True, text=True, timeout=120)
    log = httpx.get(f"{desk.base}/api/v1/audit/access-log?case_id={case_id}",
                    headers={"Authorization": f"Bearer {issued.stdout.strip()}"}).json()
    assert (log["items"][0]["what"], log["items"][0]["actor"]["role"]) == ("dossier", "auditor")


def test_api_docs_render_offline(browser: Any, desk: Desk) -> None:
    context = browser.new_context(viewport=DESKTOP)
    page = watch(context.new_page(), desk)
    page.goto(f"{desk.base}/api/v1/docs")
    page.locator(".swagger-ui .info .title").wait_for()
    assert "LianDiao" in page.locator(".swagger-ui .info .title").inner_text()
    shoot(page, "api-docs")
    context.close()


def test_posts_without_the_csrf_token_are_refused(browser: Any, desk: Desk) -> None:
    page = sign_in(browser, desk, "liaison", PHONE, console=False)
    answer = page.context.request.post(f"{desk.base}/cases/{STATE['case_id']}/act/acknowledge",
                                       form={"next": "/inbox"}, max_redirects=0)
    assert answer.status == 403 and "安全校验码" in answer.text()
    answer = page.context.request.post(f"{desk.base}/logout", form={}, max_redirects=0)
    assert answer.status == 403
    page.goto(f"{desk.base}/inbox")
    assert "/inbox" in page.url  # still signed in: the forged sign-out did nothing
    page.context.close()
    password = desk.logins["mediator"].password
    login = httpx.post(f"{desk.base}/login", data={"login": "mediator", "password": password})
    assert login.status_code == 403 and "set-cookie" not in login.headers


def test_a_supervisor_reads_the_month_s_scores_and_downloads_them(browser: Any, desk: Desk) -> None:
    page = sign_in(browser, desk, "supervisor", console=False)  # a bad period is answered 422 on purpose
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="考核").click()
    page.wait_for_url(f"{desk.base}/scores*")
    expect(page.get_by_role("heading", name=re.compile("部门考核"))).to_be_visible()
    table = page.get_by_role("table").first  # the departments; the 责任人 table follows
    expect(table.get_by_role("columnheader", name="按时签收率")).to_be_visible()
    assert table.get_by_role("row").count() >= 2  # the demo's routed cases give this month's departments
    expect(page.get_by_role("heading", name="责任人")).to_be_visible()
    expect(page.get_by_role("heading", name="红榜")).to_be_visible()
    shoot(page, "scores")
    with page.expect_download() as download:
        page.get_by_role("link", name="下载 Excel").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    from openpyxl import load_workbook

    with open(download.value.path(), "rb") as saved:  # the saved download has no .xlsx name to go by
        book = load_workbook(saved)
    assert book.sheetnames[1:] == ["红榜", "黑榜", "责任人"]
    page.get_by_text("按起止日期").click()
    page.get_by_label("开始日期").fill("2026-03-02")
    page.get_by_label("结束日期").fill("2026-03-01")
    page.get_by_role("button", name="按日期查看").click()
    assert page.get_by_role("alert").inner_text() == "结束日期早于开始日期。"
    page.context.close()
    leader = sign_in(browser, desk, "leader", PHONE)  # a leader lands on the figures, on a phone too
    expect(leader.get_by_role("heading", name=re.compile("部门考核"))).to_be_visible()
    figures = leader.locator("#table-h ~ .table-wrap")  # wider than a phone: it scrolls, the names held in view
    figures.evaluate("wrap => { wrap.scrollLeft = wrap.scrollWidth; }")
    name, wrap = figures.locator("td.name").first.bounding_box(), figures.bounding_box()
    assert name is not None and wrap is not None and abs(name["x"] - wrap["x"]) < 2, (name, wrap)
    shoot(leader, "scores-leader-phone")
    leader.context.close()


def test_the_public_page_shows_the_month_without_one_personal_detail(browser: Any, desk: Desk) -> None:
    """公示 needs no sign-in; it names no party (checked against every party of the demo's cases)."""
    from entrypoints.demo.loader import CASES

    context = browser.new_context(viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai")
    page = watch(context.new_page(), desk)
    page.goto(f"{desk.base}/public")
    assert "/login" not in page.url
    expect(page.get_by_role("heading", name=re.compile("矛盾纠纷化解公示"))).to_be_visible()
    shoot(page, "public-phone")
    # a resident reads it on a phone: each case and each department a card, nothing to scroll sideways
    assert page.evaluate("[...document.querySelectorAll('main .table-wrap')]"
                         ".every(w => w.scrollWidth <= w.clientWidth)")
    months = [page.locator("#period-picker option").nth(i).get_attribute("value") for i in range(3)]
    for month in months:  # this month and the two before: wherever the demo's archived cases fall
        page.goto(f"{desk.base}/public?period={month}")
        text = page.locator("main").inner_text()
        for case in CASES:
            for detail in (case.applicant[0], case.applicant[1], case.respondent):
                assert detail not in text, (month, detail)
        assert not re.search(r"1[3-9]\d{9}|\d{17}[\dXx]", text)  # nothing shaped like a phone or an ID number
    answer = httpx.get(f"{desk.base}/api/v1/public/board", params={"period": months[0]})
    assert answer.status_code == 200 and set(answer.json()) >= {"cases", "scores", "red_list", "black_list"}
    context.close()


def test_nothing_was_asked_from_outside_and_no_console_errors(desk: Desk) -> None:
    assert desk.outside_requests == []
    assert desk.console_errors == []


def test_an_outage_of_postgresql_is_a_clear_chinese_503(browser: Any, desk: Desk) -> None:
    """Last in the module: it stops the stack's PostgreSQL (immediate shutdown, as a crash would)."""
    page = sign_in(browser, desk, "mediator", console=False)
    postmaster = int((desk.data_dir / "postgres" / "postmaster.pid").read_text().split()[0])
    server = psutil.Process(postmaster)
    server.send_signal(signal.SIGQUIT)
    deadline = time.monotonic() + 60
    while server.is_running() and server.status() != psutil.STATUS_ZOMBIE and time.monotonic() < deadline:
        time.sleep(0.2)  # a zombie until `liandiao up` notices: gone as far as clients can tell
    answer = page.goto(f"{desk.base}/desk")
    assert answer is not None and answer.status == 503
    assert answer.headers.get("retry-after")
    assert page.get_by_role("heading", name="系统暂时不可用").is_visible()
    assert "稍后" in page.get_by_role("alert").inner_text()
    shoot(page, "outage")
    page.context.close()
