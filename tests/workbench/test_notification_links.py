"""Where each notification opens on the bell (no server): a case's opens the case; the monthly report's
announcement, the reports' page; a sweep's rung (a notice of no case), the sweep."""

from __future__ import annotations

from typing import Any

from domain.organisation import demo_organisation
from entrypoints.workbench import labels
from entrypoints.workbench.notifications import opens, shown, told
from entrypoints.workbench.web import templates


def item(notification_id: str, case_id: str, kind: str, link: str) -> dict[str, Any]:
    return {"notification_id": notification_id, "case_id": case_id, "kind": kind, "level": 3, "text": f"{kind} 文本",
            "link": link, "created_at": "2026-12-01T01:00:00+00:00", "read_at": None}


def test_each_notification_opens_what_it_is_about() -> None:
    items = [item("n-1", "C-20261201-0001", "warning", "https://desk.example/cases/C-20261201-0001"),
             item("monthly-report-2026-11", "", "monthly_report", "https://desk.example/reports/monthly?period=2026-11"),
             item("SW-1/grid-1/L3", "", "listed_supervision", "https://desk.example/sweeps/SW-1")]
    assert [opens(i) for i in items] == [("/cases/C-20261201-0001", "C-20261201-0001"),
                                         ("/reports/monthly", "研判"), ("/sweeps/SW-1", "排查")]
    for i in items:
        i["href"], i["about"] = opens(i)
        i["shown"] = shown(i)
    html = templates.get_template("notifications.html").render(items=items, unread=3, labels=labels, csrf="t",
                                                                 who=None, role="", me="")
    assert 'action="/notifications/SW-1/grid-1/L3/read"' in html
    assert 'name="next" value="/sweeps/SW-1"' in html and "排查 · " in html
    assert 'name="next" value="/cases/C-20261201-0001"' in html


def test_the_bell_lists_a_message_without_the_line_that_only_gives_its_link() -> None:
    link = "https://desk.example/cases/C-1"
    case = item("n-1", "C-1", "warning", link) | {
        "text": f"【联调·预警】案件 C-1「漏水」已超时。\n级别：2 级（预警）\n详情：{link}"}
    sweep = item("SW-1/g/L1", "", "reminder", "https://desk.example/sweeps/SW-1") | {
        "text": "【联调·排查催办】排查 SW-1：第一网格 尚未上报。截止：12-11\nhttps://desk.example/sweeps/SW-1"}
    other = item("n-2", "C-2", "summons", "") | {"text": "【联调·吹哨】案件 C-2 请于 12-08 前报到。"}
    assert shown(case) == "【联调·预警】案件 C-1「漏水」已超时。\n级别：2 级（预警）"
    assert shown(sweep) == "【联调·排查催办】排查 SW-1：第一网格 尚未上报。截止：12-11"
    assert shown(other) == other["text"]


def test_the_bell_names_whom_each_message_went_to() -> None:
    org = demo_organisation()
    reminder = item("n-1", "C-1", "reminder", "") | {"recipients": ["liaisons:dept-donghu-labour"]}
    warning = item("n-2", "C-1", "warning", "") | {"recipients": ["head:dept-donghu-labour",
                                                                 "liaisons:dept-donghu-zongzhi"]}
    leader = item("n-3", "C-1", "leader_assignment", "") | {"recipients": ["user:usr-me"]}
    other = item("n-4", "C-1", "leader_assignment", "") | {"recipients": ["user:usr-someone"]}
    assert told(reminder, org, "usr-me") == "东湖街道人社所联络员"
    assert told(warning, org, "usr-me") == "东湖街道人社所负责人、东湖街道综治中心联络员"
    assert told(leader, org, "usr-me") == "您" and told(other, org, "usr-me") == "个人"
    assert told(item("n-5", "", "monthly_report", ""), org, "usr-me") == ""  # recorded without recipients
