"""The mediation papers on the case page in a real browser, on a 390-px phone: the mediator records an agreement
with a performance deadline, issues the agreement (出具协议书), previews and downloads the PDF, files the signed
scan, records the application for 司法确认 and the performance; every field labelled, nothing loaded from
outside."""

from __future__ import annotations

import re
import subprocess
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.workbench.conftest import PHONE, Desk, shoot, watch

pytestmark = pytest.mark.timeout(600)
SHANGHAI = ZoneInfo("Asia/Shanghai")
CASE = "C-DEMO-06"  # 宠物扰民: routed and acknowledged in the demo, in coordination
TERMS = "周某于十日内为犬只办理登记并加装围栏，夜间不得在户外饲养"


def sign_in(browser: Any, desk: Desk) -> Any:
    context = browser.new_context(viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai")
    page = watch(context.new_page(), desk)
    page.goto(f"{desk.base}/login")
    page.get_by_label("用户名").fill(desk.logins["mediator"].login)
    page.get_by_label("密码").fill(desk.logins["mediator"].password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{desk.base}/desk*")
    return page


def text_of(pdf: bytes) -> str:
    out = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    return "".join(out.split())


def fits(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"])


def test_mediator_issues_previews_and_downloads_the_agreement_on_a_phone(browser: Any, desk: Desk) -> None:
    page = sign_in(browser, desk)
    page.goto(f"{desk.base}/cases/{CASE}")
    page.get_by_role("button", name="记录调解").click()
    page.get_by_label("调解方式").select_option(label="人民调解")
    page.get_by_label("是否达成协议").select_option(label="是")
    page.get_by_label("协议内容").fill(TERMS)
    page.get_by_label("争议事项及责任").fill("犬只夜间吠叫扰民，责任在饲养人周某")
    page.get_by_label("履行方式").fill("周某自行整改，社区监督")
    due = datetime.now(SHANGHAI) + timedelta(days=10)
    page.get_by_label("履行期限").fill(due.strftime("%Y-%m-%dT%H:%M"))
    assert fits(page)
    page.get_by_role("button", name="确定").click()
    page.wait_for_url(re.compile(rf".*/cases/{CASE}\?done=.*"))

    papers = page.get_by_role("region", name="调解文书")
    assert "待履行" in papers.inner_text()
    preview = page.context.request.get(f"{desk.base}/cases/{CASE}/papers/agreement/preview")
    assert preview.status == 200 and preview.headers["content-type"] == "application/pdf"
    assert TERMS in text_of(preview.body()) and "（待编号）" in text_of(preview.body())
    assert papers.get_by_role("link", name="预览人民调解协议书").is_visible()

    papers.get_by_role("button", name="出具协议书").click()
    page.wait_for_url(re.compile(rf".*/cases/{CASE}\?done=.*"))
    assert "已完成：出具协议书" in page.inner_text("body")
    papers = page.get_by_role("region", name="调解文书")
    listed = papers.inner_text()
    assert "人民调解协议书" in listed and "西城人调字第" in listed and "司法确认" in listed
    with page.expect_download() as download:
        papers.get_by_role("link", name=re.compile("下载人民调解协议书")).click()
    pdf = open(download.value.path(), "rb").read()
    text = text_of(pdf)
    assert TERMS in text and "孙先生" in text and "西城人调字第" in text and "人民调解员（签名）" in text
    assert fits(page)
    shoot(page, "case-papers-phone")

    # the parties sign the printed agreement; its scan is filed with it
    scan = b"%PDF-1.4\n" + "双方签字".encode() + b"\n%%EOF\n"
    papers.get_by_label("协议书签字版").set_input_files(
        files=[{"name": "协议书签字版.pdf", "mimeType": "application/pdf", "buffer": scan}])
    papers.get_by_role("button", name="上传签字版").click()
    page.wait_for_url(re.compile(rf".*/cases/{CASE}\?done=.*"))
    assert "已归入签字版" in page.get_by_role("region", name="调解文书").inner_text()

    page.get_by_role("button", name="申请司法确认").click()
    page.get_by_label("人民法庭").select_option(label="临江区人民法院东湖人民法庭")
    page.get_by_label("申请时间").fill(datetime.now(SHANGHAI).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="确定").click()
    page.wait_for_url(re.compile(rf".*/cases/{CASE}\?done=.*"))
    assert "待法院确认" in page.get_by_role("region", name="调解文书").inner_text()

    page.get_by_role("button", name="履行情况").click()
    page.get_by_label("是否已履行").select_option(label="已履行")
    page.get_by_label("履行情况").fill("已办理登记并加装围栏")
    page.get_by_role("button", name="确定").click()
    page.wait_for_url(re.compile(rf".*/cases/{CASE}\?done=.*"))
    assert "已履行" in page.get_by_role("region", name="调解文书").inner_text()
    shoot(page, "case-papers-performed-phone")
    page.context.close()
    assert desk.outside_requests == [] and desk.console_errors == []
