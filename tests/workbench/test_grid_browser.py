"""网格上报 in a real browser on a 390-px phone: the demo grid worker lands on /grid after sign-in, reports one
dispute settled on the spot (with a photo) and one not; the first is at verification with no task, the second in
the mediator's triage; 我的上报 shows both with their progress; another grid's case is refused."""

from __future__ import annotations

import base64
import re
import uuid
from typing import Any

import pytest

from tests.workbench.conftest import PHONE, Desk, shoot, watch

pytestmark = pytest.mark.timeout(600)
# a 1x1 PNG: a photo from the scene
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGA"
                       "WjR9awAAAABJRU5ErkJggg==")


def sign_in(browser: Any, desk: Desk, role: str, landing: str, console: bool = True) -> Any:
    context = browser.new_context(viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai")
    page = watch(context.new_page(), desk, console=console)
    page.goto(f"{desk.base}/login")
    page.get_by_label("用户名").fill(desk.logins[role].login)
    page.get_by_label("密码").fill(desk.logins[role].password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{desk.base}{landing}*")
    return page


def fits(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"])


def fill_report(page: Any, title: str, phone: str) -> None:
    page.get_by_label("标题").fill(title)
    page.get_by_label("描述").fill("楼上卫生间漏水，渗到楼下天花板")
    page.get_by_label("类别").select_option(label="楼上漏水")
    page.get_by_label("当事人姓名").fill("张大爷")
    page.get_by_label("电话").fill(phone)


def reported_case(page: Any, title: str) -> str:
    item = page.get_by_role("listitem", name=f"上报 {title}")
    href = item.get_by_role("link", name=title).get_attribute("href")
    assert href is not None
    return href.rsplit("/", 1)[-1]


def test_a_grid_worker_reports_one_dispute_settled_on_the_spot_and_one_not(browser: Any, desk: Desk) -> None:
    page = sign_in(browser, desk, "grid_worker", "/grid")
    assert page.get_by_label("网格", exact=True).inner_text().strip() == "东湖街道 花园社区 第一网格"
    assert fits(page)
    n = uuid.uuid4().int
    settled, waiting = f"漏水{n % 10000}就地", f"漏水{n % 10000}待办"

    fill_report(page, settled, f"139{n % 10**8:08d}")
    page.get_by_label("现场照片").set_input_files([{"name": "现场.png", "mimeType": "image/png", "buffer": PNG}])
    page.get_by_label("已就地化解").check()
    page.get_by_label("调解方式").select_option(label="人民调解")
    page.get_by_label("协议内容").fill("楼上住户三日内修好水管，赔偿楼下五百元")
    page.get_by_label("当事人达成一致").check()
    shoot(page, "grid-report-phone")
    page.get_by_role("button", name="上报").click()
    page.wait_for_url(re.compile(r".*/grid\?done=.*"))
    assert "已完成：就地化解" in page.inner_text("body")
    settled_id = reported_case(page, settled)
    assert "进度：已办结，待验收" in page.get_by_role("listitem", name=f"上报 {settled}").inner_text()

    fill_report(page, waiting, f"138{n % 10**8:08d}")
    page.get_by_role("button", name="上报").click()
    page.wait_for_url(re.compile(r".*/grid\?done=.*"))
    waiting_id = reported_case(page, waiting)
    mine = page.get_by_role("listitem", name=f"上报 {waiting}").inner_text()
    assert "待分流" in mine and "进度：已受理，待分流" in mine
    assert fits(page)
    shoot(page, "grid-my-reports-phone")

    # the grid worker follows a report on its case page: no department task, the photo attached
    page.get_by_role("link", name=settled).click()
    body = page.inner_text("body")
    assert "就地化解" in body, body
    assert "现场.png" in body, body
    assert fits(page)

    mediator = sign_in(browser, desk, "mediator", "/desk")
    verifying = mediator.get_by_role("region", name=re.compile("督办验收"))
    on_desk = verifying.get_by_role("listitem").filter(has_text=settled)
    assert "就地化解 · 待验收" in on_desk.inner_text()
    mediator.goto(f"{desk.base}/cases/{settled_id}")
    assert "督办验收" in mediator.inner_text("body")
    mediator.get_by_role("button", name="验收").click()
    mediator.get_by_role("button", name="确定").click()
    mediator.wait_for_url(re.compile(rf".*/cases/{settled_id}\?done=.*"))
    assert mediator.get_by_role("button", name="回访").is_visible()
    mediator.goto(f"{desk.base}/desk")
    assert waiting_id in mediator.content()
    assert not desk.outside_requests and not desk.console_errors


def test_a_grid_worker_cannot_read_another_grids_case(browser: Any, desk: Desk) -> None:
    page = sign_in(browser, desk, "grid_worker", "/grid", console=False)
    response = page.goto(f"{desk.base}/cases/C-DEMO-06")  # a demo case in a 西城 grid
    assert response is not None and response.status == 403
    assert "只能查看本网格的案件" in page.inner_text("body")
