"""Supervision as practised on the real Temporal dev server and PostgreSQL, with second-scale policies:
reviewed returns, summons, the follow-up deadline and listing by hand on the board."""

from __future__ import annotations

import asyncpg
import pytest

from application.case_client import CaseClient
from domain.commands import (
    AcknowledgeTask,
    DecideReturn,
    ListCase,
    RecordFollowUp,
    ReplyTask,
    ReportToSummons,
    ReturnTask,
    SubmitResolution,
    SummonDepartments,
    VerifyResolution,
)
from domain.decide import ActionRefused
from domain.vocabulary import Clock, Outcome, Satisfaction, Stage, TaskStatus
from infra.event_store import EventStore
from infra.projections import Projector
from infra.read_models import supervision_board, supervision_extras
from tests.workflows.scenario import (
    CO,
    LEAD,
    MEDIATOR,
    OTHER,
    SUPERVISOR,
    liaison,
    new_routed_case,
    own,
    types,
    wait_for_events,
)

# Deadlines long enough that no task timer fires; the watched deadline under test is second-scale.
QUIET = """calendar = "continuous"
[risk.medium]
acknowledge_within = "1h"
reply_within = "2h"
[escalation]
remind_at = [0.5]
warn_after = "0s"
flag_after = "1h"
[follow_up]
within = "2s"
"""


@pytest.fixture
def store(pool: asyncpg.Pool) -> EventStore:
    return EventStore(pool)


async def test_a_reviewed_return_of_the_lead_approved_sends_the_case_to_triage(cases: CaseClient) -> None:
    case_id = await new_routed_case(cases)
    t1 = f"{case_id}-T1"
    requested = await cases.act(case_id, ReturnTask(task_id=t1, reason="不属于本单位职责"), liaison(LEAD))
    assert own(requested.events) == ["ReturnRequested"] and requested.stage == Stage.coordination
    assert (await cases.state(case_id)).task(t1).status is TaskStatus.return_requested  # type: ignore[union-attr]
    approved = await cases.act(case_id, DecideReturn(task_id=t1, approve=True), SUPERVISOR)
    assert own(approved.events) == ["ReturnDecided", "TaskReturned"] and approved.stage == Stage.triage
    state = await cases.state(case_id)
    assert [t.status for t in state.tasks] == [TaskStatus.returned, TaskStatus.cancelled]
    assert state.returned_by == (LEAD,)


async def test_a_reviewed_return_rejected_is_dispatched_by_order(cases: CaseClient) -> None:
    case_id = await new_routed_case(cases)
    t1 = f"{case_id}-T1"
    due = (await cases.state(case_id)).task(t1).acknowledge_due_at  # type: ignore[union-attr]
    await cases.act(case_id, ReturnTask(task_id=t1, reason="不属于本单位职责"), liaison(LEAD))
    rejected = await cases.act(case_id, DecideReturn(task_id=t1, approve=False, note="属本单位职责"), SUPERVISOR)
    assert own(rejected.events) == ["ReturnDecided"] and rejected.stage == Stage.coordination
    task = (await cases.state(case_id)).task(t1)
    assert task is not None and task.status is TaskStatus.pending_ack and task.forced
    assert task.acknowledge_due_at == due  # its clocks run on
    with pytest.raises(ActionRefused, match="强制派单"):
        await cases.act(case_id, ReturnTask(task_id=t1, reason="仍不属于"), liaison(LEAD))


async def test_a_co_departments_return_leaves_the_leads_task_alone(cases: CaseClient) -> None:
    case_id = await new_routed_case(cases)
    t1, t2 = f"{case_id}-T1", f"{case_id}-T2"
    await cases.act(case_id, AcknowledgeTask(task_id=t1), liaison(LEAD))
    await cases.act(case_id, ReturnTask(task_id=t2, reason="不涉及本单位"), liaison(CO))
    approved = await cases.act(case_id, DecideReturn(task_id=t2, approve=True), SUPERVISOR)
    assert own(approved.events) == ["ReturnDecided", "TaskWithdrawn"] and approved.stage == Stage.coordination
    state = await cases.state(case_id)
    assert [(t.department, t.status) for t in state.tasks] == [
        (LEAD, TaskStatus.acknowledged), (CO, TaskStatus.returned)]


async def test_a_summoned_department_that_does_not_report_is_escalated(cases: CaseClient, store: EventStore) -> None:
    case_id = await new_routed_case(cases, QUIET, co=())
    await cases.act(case_id, SummonDepartments(departments=(OTHER, CO), reason="吹哨报到", report_within="2s"),
                    SUPERVISOR)
    await cases.act(case_id, ReportToSummons(summons_id=f"{case_id}-S1", note="已到场"), liaison(CO))
    events = await wait_for_events(store, case_id, lambda es: "TaskEscalated" in types(es))
    escalated = next(e for e in events if e.type == "TaskEscalated")
    assert (escalated.payload.clock, escalated.payload.task_id) == (Clock.report, f"{case_id}-S1:{OTHER}")
    state = await cases.state(case_id)
    assert [(e.department, e.clock) for e in state.open_escalations] == [(OTHER, Clock.report)]
    reported = await cases.act(case_id, ReportToSummons(summons_id=f"{case_id}-S1"), liaison(OTHER))
    # the last to report: the centre is told every summoned department is in (a notification after the report)
    assert own(reported.events) == ["EscalationCleared", "SummonsReported"]
    assert reported.events[-1] == "NotificationIssued"


async def test_a_missed_follow_up_is_escalated(cases: CaseClient, store: EventStore) -> None:
    case_id = await new_routed_case(cases, QUIET, co=())
    t1 = f"{case_id}-T1"
    await cases.act(case_id, AcknowledgeTask(task_id=t1), liaison(LEAD))
    await cases.act(case_id, ReplyTask(task_id=t1, summary="已处理"), liaison(LEAD))
    await cases.act(case_id, SubmitResolution(outcome=Outcome.mediated, summary="调解成功"), MEDIATOR)
    verified = await cases.act(case_id, VerifyResolution(accepted=True), SUPERVISOR)
    assert own(verified.events) == ["ResolutionVerified", "FollowUpScheduled"]
    events = await wait_for_events(store, case_id, lambda es: "TaskEscalated" in types(es))
    assert next(e for e in events if e.type == "TaskEscalated").payload.clock == Clock.follow_up
    done = await cases.act(case_id, RecordFollowUp(satisfaction=Satisfaction.satisfied), MEDIATOR)
    assert done.events[0] == "EscalationCleared" and done.events[-1] == "FollowUpRecorded"


async def test_a_listing_by_hand_shows_on_the_board_with_its_leader_until_resolved(
    cases: CaseClient, pool: asyncpg.Pool
) -> None:
    projector = Projector(pool)
    case_id = await new_routed_case(cases, co=())
    await cases.act(case_id, ListCase(leader="王副主任", reason="久拖不决，领导包案"), SUPERVISOR)
    await projector.catch_up()
    listings = {i.case_id: i for i in (await supervision_extras(pool, 500))["listings"]}
    assert listings[case_id].leader == "王副主任"
    summary = await pool.fetchval("SELECT escalation_level FROM case_summaries WHERE case_id = $1", case_id)
    assert summary == 3
    t1 = f"{case_id}-T1"
    await cases.act(case_id, AcknowledgeTask(task_id=t1), liaison(LEAD))
    await cases.act(case_id, ReplyTask(task_id=t1, summary="已处理"), liaison(LEAD))
    await cases.act(case_id, SubmitResolution(outcome=Outcome.mediated, summary="调解成功"), MEDIATOR)
    await projector.catch_up()
    assert case_id in {i.case_id for i in (await supervision_extras(pool, 500))["listings"]}
    await cases.act(case_id, VerifyResolution(accepted=True), SUPERVISOR)
    await projector.catch_up()
    assert case_id not in {i.case_id for i in (await supervision_extras(pool, 500))["listings"]}
    assert case_id not in {i.case_id for i in await supervision_board(pool, 500)}


async def test_returns_and_summonses_awaiting_show_on_the_board(cases: CaseClient, pool: asyncpg.Pool) -> None:
    projector = Projector(pool)
    case_id = await new_routed_case(cases)
    await cases.act(case_id, ReturnTask(task_id=f"{case_id}-T2", reason="不涉及本单位"), liaison(CO))
    await cases.act(case_id, SummonDepartments(departments=(OTHER,), reason="吹哨"), MEDIATOR)
    await projector.catch_up()
    extras = await supervision_extras(pool, 500)
    assert [(d.task_id, d.kind) for d in extras["awaiting_decision"] if d.case_id == case_id] == [
        (f"{case_id}-T2", "return")]
    assert [(x.summons_id, x.department) for x in extras["summons"] if x.case_id == case_id] == [
        (f"{case_id}-S1", OTHER)]
    await cases.act(case_id, DecideReturn(task_id=f"{case_id}-T2", approve=False), SUPERVISOR)
    await cases.act(case_id, ReportToSummons(summons_id=f"{case_id}-S1"), liaison(OTHER))
    await projector.catch_up()
    extras = await supervision_extras(pool, 500)
    assert not [d for d in extras["awaiting_decision"] if d.case_id == case_id]
    assert not [x for x in extras["summons"] if x.case_id == case_id]
