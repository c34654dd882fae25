"""A round table over two cases, over the real servers: three departments invited and two residents'
representatives, an item proposed by a liaison and approved, the minutes leaving each case its meeting, the
absent department and a commitment watched by the case's ladder."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from application.case_client import CaseClient
from application.cases import Application, Intake
from application.errors import Forbidden, NotFound, Refused
from application.meetings import (
    call_meeting,
    decide_item,
    get_meeting,
    list_meetings,
    propose_item,
    record_minutes,
    round_table_due_from,
    round_table_every,
)
from bootstrap import build_application
from domain.commands import CommitmentPromise
from domain.events import Actor, MeetingAttendee, Party
from domain.meetings import CallMeeting, ItemMinute, RecordMinutes
from domain.organisation import demo_organisation
from domain.policy import DEFAULT_POLICY, AnalysisPolicy, parse_policy
from domain.vocabulary import Channel, Clock, PartyRole, Role
from tests.receivers import Webhook
from tests.workflows.notify_setup import POLICE, SECRET, organisation
from tests.workflows.scenario import CO as SCENARIO_CO
from tests.workflows.scenario import LEAD as SCENARIO_LEAD
from workers.case_worker import build_worker

FIXED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
AT = FIXED + timedelta(days=7)
DUE = datetime(2030, 1, 1, 9, 0, tzinfo=UTC)
MEDIATOR = Actor(role=Role.mediator, id="m-mt", department="dept-donghu-zongzhi", name="王丽")
SUPERVISOR = Actor(role=Role.supervisor, id="s-mt", department="dept-donghu-zongzhi")
LEAD = "dept-donghu-huayuan-committee"
DEPTS = (LEAD, "dept-donghu-housing", "dept-donghu-police")
LIAISON = Actor(role=Role.liaison, id="l-mt", department=LEAD)


class Clocked:
    def __init__(self) -> None:
        self.now = FIXED

    def __call__(self) -> datetime:
        return self.now


# Its cases share the session's database: clustering with other tests' cases would update cases on task
# queues no worker serves any more.
NO_CLUSTERS = DEFAULT_POLICY.model_copy(update={"analysis": AnalysisPolicy(cluster=None)})

@pytest.fixture
def clock() -> Clocked:
    return Clocked()


@pytest.fixture
def app(pool: asyncpg.Pool, temporal_client, cases: CaseClient, clock: Clocked) -> Application:  # type: ignore[no-untyped-def]
    return build_application(pool, temporal_client, cases.task_queue, org=demo_organisation(),
                             policy=NO_CLUSTERS, clock=clock)


async def a_case(app: Application) -> str:
    received = await app.receive(MEDIATOR, Intake(
        title="楼道堆物", description="消防通道被占", category="leak", channel=Channel.walk_in,
        grid_id="grid-donghu-huayuan-1", parties=(Party(name=f"赵{uuid.uuid4().hex[:6]}", role=PartyRole.applicant),)))
    await app.route(MEDIATOR, received.case_id, LEAD)
    return received.case_id


async def test_a_round_table_over_two_cases_leaves_each_case_its_minutes(app: Application, clock: Clocked) -> None:
    first, second = await a_case(app), await a_case(app)
    called = await call_meeting(app, SUPERVISOR, CallMeeting(
        meeting_kind="round_table", title="一季度圆桌议事会", at=AT, jurisdiction="st-donghu", departments=DEPTS,
        other_attendees=(MeetingAttendee(name="钱某", capacity="居民代表"),
                         MeetingAttendee(name="孙某", capacity="居民代表"))), request_id=f"call-{first}")
    meeting_id = called.meeting_id
    again = await call_meeting(app, SUPERVISOR, CallMeeting(
        meeting_kind="round_table", title="一季度圆桌议事会", at=AT, jurisdiction="st-donghu", departments=DEPTS),
        request_id=f"call-{first}")
    assert again.meeting_id == meeting_id and again.events == []  # a repeated Idempotency-Key calls nothing

    item = (await propose_item(app, LIAISON, meeting_id, first, "占道")).state.agenda[0].item_id
    await propose_item(app, MEDIATOR, meeting_id, second)
    with pytest.raises(Forbidden):
        await decide_item(app, LIAISON, meeting_id, item, True)
    await decide_item(app, SUPERVISOR, meeting_id, item, True)
    await decide_item(app, SUPERVISOR, meeting_id, f"{meeting_id}-I2", True)
    with pytest.raises(Refused):
        await decide_item(app, SUPERVISOR, meeting_id, item, False)  # already settled

    clock.now = AT + timedelta(hours=2)
    minutes = RecordMinutes(present=(LEAD, "dept-donghu-housing"), items=(
        ItemMinute(case_id=first, decision="限期清理", commitments=(
            CommitmentPromise(department=LEAD, what="十日内清理并答复", due_at=DUE),)),
        ItemMinute(case_id=second, decision="联合整治", commitments=(
            CommitmentPromise(department="dept-donghu-housing", what="两周内答复", due_at=DUE),)),
    ))
    written = await record_minutes(app, MEDIATOR, meeting_id, minutes, request_id=f"minutes-{meeting_id}")
    assert written.state.minutes is not None and written.state.minutes.absent == ("dept-donghu-police",)
    await record_minutes(app, MEDIATOR, meeting_id, minutes, request_id=f"minutes-{meeting_id}")  # once only

    for case_id, department in ((first, LEAD), (second, "dept-donghu-housing")):
        state = await app.get_case(MEDIATOR, case_id)
        [meeting] = state.meetings
        assert meeting.departments == DEPTS and "一季度圆桌议事会" in meeting.agenda
        [minuted] = state.minutes
        assert "dept-donghu-police" in set(meeting.departments) - set(minuted.attended)  # absent on both
        [commitment] = state.commitments
        assert commitment.department == department
        watch = state.watch(commitment.commitment_id)  # what the case's ladder reminds and escalates on
        assert watch is not None and watch.clock is Clock.commitment and watch.due_at == DUE

    state = await get_meeting(app, SUPERVISOR, meeting_id)
    assert [a.capacity for a in state.other_attendees] == ["居民代表", "居民代表"]
    assert meeting_id in [m.meeting_id for m in await list_meetings(app, MEDIATOR, FIXED, AT + timedelta(days=1))]
    assert await round_table_due_from(app, SUPERVISOR, AT.date()) is None
    assert await round_table_due_from(app, SUPERVISOR, datetime(2026, 4, 1).date()) is not None


def test_the_round_table_period_is_the_policys_and_quarterly_without_a_section(  # type: ignore[no-untyped-def]
        pool: asyncpg.Pool, temporal_client, cases: CaseClient, clock: Clocked) -> None:
    def built(policy_text: str) -> Application:
        return build_application(pool, temporal_client, cases.task_queue, org=demo_organisation(),
                                 policy=parse_policy(policy_text), clock=clock)

    assert round_table_every(built("")) == "quarter"
    assert round_table_every(built('[meetings]\nround_table_every = "month"\n')) == "month"


async def test_bad_meeting_input_is_an_application_error(app: Application) -> None:
    with pytest.raises(NotFound):
        await propose_item(app, LIAISON, "MT-none", "C-none")
    with pytest.raises(Forbidden):
        await get_meeting(app, Actor(role=Role.grid_worker, id="g"), "MT-none")


@pytest.fixture(scope="module")
async def hook() -> AsyncIterator[Webhook]:
    receiver = Webhook().start()
    yield receiver
    receiver.stop()


async def test_the_invitation_and_the_reminder_reach_each_invited_department(
        pool: asyncpg.Pool, temporal_client, hook: Webhook) -> None:  # type: ignore[no-untyped-def]
    org = organisation(hook, None)
    async with build_worker(temporal_client, pool, "tests-meetings", org=org):
        app = build_application(pool, temporal_client, "tests-meetings", org=org, policy=NO_CLUSTERS,
                                clock=lambda: FIXED)
        called = await call_meeting(app, SUPERVISOR, CallMeeting(
            meeting_kind="joint", title="欠薪联席会议", at=AT, jurisdiction="st-donghu",
            departments=(SCENARIO_LEAD, SCENARIO_CO, POLICE)))
        # The meeting is days ago by the engine's own clock, so the reminder's timer has already run out.
        await temporal_client.get_workflow_handle(f"meeting-{called.meeting_id}").result()
    for path in ("/lead/liaison", f"/co/liaison/{SECRET}", "/police"):
        told = [p.body["message"] for p in hook.accepted(path) if called.meeting_id in p.body["message"]]
        assert sorted(m.split("】")[0] for m in told) == ["【联调·会议提醒", "【联调·会议通知"], path
    assert not [p for p in hook.accepted("/street-centre") if called.meeting_id in p.body["message"]]
