"""The sweep page as drawn from a sweep's state (no server): each grid's state and rung, and the 送达记录 of a
silent grid's listing, deferred through the quiet hours, with the centre named."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.events import Actor, DeliveryTarget, SweepNotice
from domain.organisation import demo_organisation
from domain.policy import DEFAULT_POLICY, pin_policy
from domain.sweeps import LEVEL_NAMES, STATUS_NAMES, EscalateGrid, ReportSweep, StartSweep, decide, replay, with_notices
from domain.vocabulary import Role
from entrypoints.workbench import labels
from entrypoints.workbench.pages_sweeps import STATUS_TAGS
from entrypoints.workbench.web import department_name, templates

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
G1, G2 = "grid-donghu-huayuan-1", "grid-donghu-huayuan-2"


def test_the_sweep_page_shows_each_grid_and_the_record_of_what_was_sent() -> None:
    org = demo_organisation()
    start = StartSweep(jurisdiction="cm-donghu-huayuan", grids=(G1, G2), due="1h", due_at=NOW + timedelta(hours=1),
                       policy=pin_policy(DEFAULT_POLICY, NOW))
    events = decide(None, start, actor=Actor(role=Role.mediator, id="m"), sweep_id="SW-1", now=NOW)
    [listed] = decide(replay(events), EscalateGrid(grid_id=G2, level=3), actor=Actor(role=Role.system, id="s"),
                      sweep_id="SW-1", now=NOW)
    target = DeliveryTarget(channel_id="c1", department="dept-donghu-zongzhi", role="liaisons", address="json://x")
    events.append(with_notices(listed, (SweepNotice(
        notification_id="n1", kind="listed_supervision", level=3, recipients=("liaisons:dept-donghu-zongzhi",),
        targets=(target,), text="…", deferred_until=NOW + timedelta(hours=7)),)))
    events += decide(replay(events), ReportSweep(grid_id=G1, cases=("C-1",)),
                     actor=Actor(role=Role.grid_worker, id="g", jurisdiction=G1), sweep_id="SW-1", now=NOW)
    html = templates.get_template("sweep.html").render(
        sweep=replay(events), summary={"grids": 2, "reported": 1, "overdue": 0, "flagged": 1}, clock_now=NOW,
        status_names=STATUS_NAMES, status_tags=STATUS_TAGS, level_names=LEVEL_NAMES, grid_name=org.jurisdiction_name,
        labels=labels, dept=lambda d: department_name(org, d), who=None, now=NOW, org=org, csrf="", me="", role="",
        done=None, reads_meetings=False)
    assert "<title>排查 SW-1 · 联调</title>" in html
    assert html.index("各网格") < html.index("催办督办与送达记录")
    assert '<a href="/cases/C-1">C-1</a>' in html and "发现纠纷 1 件" in html
    assert "送达：东湖街道综治中心 · 已送达 0/1 · 免打扰时段后发送（2026-03-02 16:00）" in html
