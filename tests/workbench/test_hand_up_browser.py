"""上交 in a real browser on a 390-px phone: the demo grid worker reports a dispute they could not settle; 我的上报
says it is handled at the community; they hand it up (上交, with a reason) from its case page and it is handled at
the street; the street centre's mediator finds it in triage, is told (a 上交 notification) and hands it up to the
district, after which it leaves the street's triage."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest

from tests.workbench.conftest import Desk, shoot
from tests.workbench.test_grid_browser import fill_report, fits, reported_case, sign_in

pytestmark = pytest.mark.timeout(600)


def hand_up(page: Any, desk: Desk, case_id: str, level_now: str, reason: str) -> None:
    page.goto(f"{desk.base}/cases/{case_id}")
    page.get_by_role("button", name="上交").click()
    assert level_now in page.get_by_label("现办理层级").inner_text()
    page.get_by_label("原因").fill(reason)
    assert fits(page)
    page.get_by_role("button", name="确定").click()
    page.wait_for_url(re.compile(rf".*/cases/{case_id}\?done=.*"))
    assert "已完成：上交" in page.inner_text("body")


def test_a_grid_worker_hands_a_report_up_to_the_street_and_the_street_to_the_district(browser: Any,
                                                                                      desk: Desk) -> None:
    page = sign_in(browser, desk, "grid_worker", "/grid")
    n = uuid.uuid4().int
    title = f"漏水{n % 10000}上交"
    fill_report(page, title, f"137{n % 10**8:08d}")
    page.get_by_role("button", name="上报").click()
    page.wait_for_url(re.compile(r".*/grid\?done=.*"))
    case_id = reported_case(page, title)
    assert "办理层级：社区" in page.get_by_role("listitem", name=f"上报 {title}").inner_text()

    hand_up(page, desk, case_id, "社区（上交至街道）", "涉及两个社区的住户，社区协调不了")
    body = page.inner_text("body")
    assert re.search(r"办理层级\s*街道", body), body
    assert "上交：由社区上交至街道办理，原因：涉及两个社区的住户，社区协调不了" in body
    assert fits(page)
    assert page.get_by_role("button", name="上交").count() == 0  # at the street: out of the grid worker's hands
    shoot(page, "hand-up-case-phone")
    page.goto(f"{desk.base}/grid")
    mine = page.get_by_role("listitem", name=f"上报 {title}").inner_text()
    assert "办理层级：街道" in mine and "进度：已上交" in mine
    assert fits(page)
    shoot(page, "hand-up-my-reports-phone")

    # the street centre's mediator: in triage, handled at the street, and told
    mediator = sign_in(browser, desk, "mediator", "/desk")
    waiting = mediator.get_by_role("article", name=f"待分流 {title}")
    assert "街道办理" in waiting.inner_text()
    assert fits(mediator)
    mediator.goto(f"{desk.base}/notifications")
    assert f"【联调·上交】案件 {case_id}" in mediator.inner_text("body")
    hand_up(mediator, desk, case_id, "街道（上交至区）", "需区级协调多个部门")
    assert re.search(r"办理层级\s*区", mediator.inner_text("body"))
    assert mediator.get_by_role("button", name="上交").count() == 0  # no level above the district
    mediator.goto(f"{desk.base}/desk")
    assert mediator.get_by_role("article", name=f"待分流 {title}").count() == 0  # the district's now
    assert not desk.outside_requests and not desk.console_errors
