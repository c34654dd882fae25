"""Shared set-up for the workflow tests: actors, policies and a few steps every scenario takes."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from application.case_client import CaseClient
from domain.commands import ReceiveCase, RouteCase
from domain.events import Actor, Party, RecordedEvent
from domain.policy import PinnedPolicy, parse_policy, pin_policy
from domain.vocabulary import Channel, PartyRole, RiskLevel, Role
from infra.event_store import EventStore

MEDIATOR = Actor(role=Role.mediator, id="med-1", department="dept-donghu-zongzhi")
SUPERVISOR = Actor(role=Role.supervisor, id="sup-1", department="dept-donghu-zongzhi")
LEAD, CO, OTHER = "dept-donghu-huayuan-committee", "dept-donghu-housing", "dept-donghu-justice"

# Deadlines long enough that no timer fires during a test that does not want one.
CALM = '[risk.medium]\nacknowledge_within = "1h"\nreply_within = "2h"\n[escalation]\nremind_at = [0.5]\n'
# Second-scale deadlines for the escalation ladder: remind at 1s, warn at 2s, flag at 3s.
FAST = """calendar = "continuous"
[risk.medium]
acknowledge_within = "2s"
reply_within = "30s"
[escalation]
remind_at = [0.5]
warn_after = "0s"
flag_after = "1s"
"""


def liaison(department: str) -> Actor:
    return Actor(role=Role.liaison, id=f"liaison-{department}", department=department)


def pinned(policy_toml: str = CALM) -> PinnedPolicy:
    return pin_policy(parse_policy(policy_toml), datetime.now(UTC))


def receive_command(policy_toml: str = CALM, **changes: Any) -> ReceiveCase:
    fields: dict[str, Any] = dict(
        title="楼上漏水", description="楼上卫生间漏水，天花板渗水三周", category="leak",
        channel=Channel.walk_in, grid_id="grid-donghu-huayuan-1", risk_level=RiskLevel.medium,
        parties=(Party(name="张三", role=PartyRole.applicant, phone="13800001234"),
                 Party(name="李四", role=PartyRole.respondent)),
        policy=pinned(policy_toml),
    )
    fields.update(changes)
    return ReceiveCase(**fields)


async def new_routed_case(cases: CaseClient, policy_toml: str = CALM, co: tuple[str, ...] = (CO,)) -> str:
    case_id = f"C-{uuid.uuid4().hex[:10]}"
    await cases.receive(case_id, receive_command(policy_toml), MEDIATOR)
    await cases.act(case_id, RouteCase(lead_department=LEAD, co_departments=co), MEDIATOR)
    return case_id


async def wait_for_events(
    store: EventStore, case_id: str, until: Callable[[list[RecordedEvent]], bool], timeout: float = 30
) -> list[RecordedEvent]:
    """Poll the event store until ``until(events)`` holds (order and occurrence, never timings)."""
    deadline = time.monotonic() + timeout
    while True:
        events = await store.read_stream(case_id)
        if until(events):
            return events
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met; events so far: {[e.type for e in events]}")
        await asyncio.sleep(0.2)


def types(events: list[RecordedEvent]) -> list[str]:
    """The case's own event types, without its notifications' (tests/workflows/test_notifications.py)."""
    return own([e.type for e in events])


def own(event_types: list[str]) -> list[str]:
    return [t for t in event_types if not t.startswith("Notification")]
