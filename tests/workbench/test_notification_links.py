"""Where each notification opens on the bell (no server): a case's opens the case; the monthly report's
announcement, the reports' page; a sweep's rung (a notice of no case), the sweep."""

from __future__ import annotations

from typing import Any

from entrypoints.workbench import labels
from entrypoints.workbench.notifications import opens
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
    html = templates.get_template("notifications.html").render(items=items, unread=3, labels=labels, csrf="t",
                                                                 who=None, role="", me="")
    assert 'action="/notifications/SW-1/grid-1/L3/read"' in html
    assert 'name="next" value="/sweeps/SW-1"' in html and "排查 · " in html
    assert 'name="next" value="/cases/C-20261201-0001"' in html
