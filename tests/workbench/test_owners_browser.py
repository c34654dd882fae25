"""责任人 and 包案 in a real browser against `liandiao up --demo`: the liaison who acknowledges is the task's
责任人 and hands it to a colleague; a supervisor names a leader, who finds the case under 我的包案 and no other."""

from __future__ import annotations

import re
import subprocess
import sys
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.workbench.conftest import DESKTOP, PHONE, Desk, shoot
from tests.workbench.test_browser import sign_in

pytestmark = pytest.mark.timeout(600)
TITLE = "装修噪音扰民"
LEAD = "dept-donghu-labour"  # the demo liaison 李强's department
STATE: dict[str, str] = {}


def test_a_liaison_acknowledges_and_hands_the_task_to_a_colleague(browser: Any, desk: Desk) -> None:
    added = subprocess.run([sys.executable, "-m", "entrypoints.cli", "user", "add", "--name", "韩小梅", "--role",
                            "liaison", "--department", LEAD, "--login", "liaison-han", "--password-stdin",
                            "--data-dir", str(desk.data_dir)], input="a-long-password\n", capture_output=True,
                           text=True, timeout=120)
    assert added.returncode == 0, added.stderr
    page = sign_in(browser, desk, "mediator")
    page.goto(f"{desk.base}/cases/new")
    page.get_by_label("标题").fill(TITLE)
    page.get_by_label("描述").fill("楼上装修每天清晨施工，影响休息。")
    page.get_by_label("类别").select_option(label="拖欠工资")  # routed by the rules to 李强's department
    page.get_by_label("网格").select_option("grid-donghu-binhe-1")
    page.get_by_label("当事人姓名").fill("孙大伟")
    page.get_by_role("button", name="登记").click()
    page.wait_for_url(re.compile(r".*/cases/C-[^/?]+\?done=.*"))
    case_id = STATE["case_id"] = page.url.split("/cases/")[1].split("?")[0]
    page.goto(f"{desk.base}/desk")
    page.get_by_role("article", name=f"待分流 {TITLE}").get_by_role("button", name="分流").click()
    page.wait_for_url(re.compile(r".*/desk\?done=.*"))
    page.context.close()

    page = sign_in(browser, desk, "liaison", PHONE)
    task = page.get_by_role("article", name=f"任务 {TITLE}")
    expect(task).to_contain_text("责任人：待签收")
    task.get_by_role("button", name="签收").click()
    page.get_by_role("button", name="确定").click()
    page.wait_for_url(re.compile(r".*/inbox\?done=.*"))
    expect(page.get_by_role("article", name=f"任务 {TITLE}")).to_contain_text("责任人：李强")
    page.goto(f"{desk.base}/cases/{case_id}")
    card = page.get_by_role("article", name="任务 东湖街道人社所")
    expect(card).to_contain_text("责任人：李强")
    card.get_by_role("button", name="更换责任人").click()
    page.get_by_label("责任人").select_option(label="韩小梅")
    shoot(page, "assignee-form-phone")
    page.get_by_role("button", name="确定").click()
    page.wait_for_url(re.compile(r".*/cases/.*done=.*"))
    expect(page.get_by_role("article", name="任务 东湖街道人社所")).to_contain_text("责任人：韩小梅")
    expect(page.locator("body")).to_contain_text("指定责任人 韩小梅")  # the timeline names the person
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.context.close()


def test_a_supervisor_names_a_leader_who_sees_it_under_their_cases_only(browser: Any, desk: Desk) -> None:
    case_id = STATE["case_id"]
    page = sign_in(browser, desk, "supervisor")
    page.goto(f"{desk.base}/cases/{case_id}")
    page.get_by_role("button", name="包案领导").click()
    page.get_by_label("包案领导").select_option(label="王志刚")
    page.get_by_label("原因").fill("群众反映强烈，领导包案")
    page.get_by_role("button", name="确定").click()
    page.wait_for_url(re.compile(r".*/cases/.*done=.*"))
    expect(page.get_by_role("heading", name="领导包案：王志刚")).to_be_visible()
    page.context.close()

    page = sign_in(browser, desk, "leader", PHONE)
    page.get_by_role("link", name="我的包案").click()
    page.wait_for_url(f"{desk.base}/leader/cases")
    expect(page.get_by_role("article", name="包案 拖欠工资（有过激言行）")).to_be_visible()  # the demo's listing
    mine = page.get_by_role("article", name=f"包案 {TITLE}")
    expect(mine).to_contain_text("群众反映强烈，领导包案")
    shoot(page, "leader-cases-phone")
    mine.get_by_role("link", name=TITLE).click()
    expect(page.get_by_role("heading", name="领导包案：王志刚")).to_be_visible()
    expect(page.get_by_role("article", name="任务 东湖街道人社所")).to_contain_text("责任人：韩小梅")
    page.goto(f"{desk.base}/notifications")
    expect(page.locator("body")).to_contain_text("包案领导")
    response = page.goto(f"{desk.base}/cases/C-DEMO-01")  # a case they do not lead
    assert response is not None and response.status == 403
    expect(page.locator("body")).to_contain_text("领导只能查看本人包案的案件")
    page.context.close()


def test_the_listing_form_offers_the_leaders(browser: Any, desk: Desk) -> None:
    page = sign_in(browser, desk, "supervisor", DESKTOP)
    page.goto(f"{desk.base}/cases/{STATE['case_id']}/act/list")
    options = page.get_by_label("包案领导").locator("option").all_inner_texts()
    assert options == ["王志刚"]
    page.context.close()
