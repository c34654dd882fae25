"""The case workflow on the real Temporal dev server and PostgreSQL: every stage and branch."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from application.case_client import CaseClient
from domain.commands import (
    AcknowledgeTask,
    ArchiveCase,
    ConveneMeeting,
    DecideExtension,
    DecideReturn,
    DeclineCase,
    JudgeComplaint,
    PauseClock,
    RecordFollowUp,
    RecordMediation,
    RegradeRisk,
    ReplyTask,
    RequestExtension,
    ResumeClock,
    ReturnTask,
    RouteCase,
    SubmitResolution,
    VerifyResolution,
)
from domain.decide import ActionRefused, NotPermitted
from domain.vocabulary import MediationMethod, Outcome, RiskLevel, Satisfaction, Stage, TaskStatus
from infra.event_store import EventStore
from tests.workflows.scenario import (
    CO,
    FAST,
    LEAD,
    MEDIATOR,
    OTHER,
    SUPERVISOR,
    liaison,
    new_routed_case,
    own,
    receive_command,
    types,
    wait_for_events,
)
from workflows.dispute_case import DisputeCaseWorkflow


@pytest.fixture
def store(pool: asyncpg.Pool) -> EventStore:
    return EventStore(pool)


async def _resolve(cases: CaseClient, case_id: str) -> None:
    t1 = f"{case_id}-T1"
    await cases.act(case_id, AcknowledgeTask(task_id=t1), liaison(LEAD))
    await cases.act(case_id, ReplyTask(task_id=t1, summary="已联系楼上住户维修防水层"), liaison(LEAD))
    await cases.act(case_id, SubmitResolution(outcome=Outcome.mediated, summary="双方达成维修协议"), MEDIATOR)


async def test_a_case_goes_through_all_five_stages(cases: CaseClient, store: EventStore, temporal_client) -> None:
    case_id = f"C-{uuid.uuid4().hex[:10]}"
    received = await cases.receive(case_id, receive_command(), MEDIATOR)
    assert received.stage == Stage.triage
    routed = await cases.act(case_id, RouteCase(lead_department=LEAD, co_departments=(CO,)), MEDIATOR)
    assert (routed.stage, own(routed.events)) == (Stage.coordination, ["CaseRouted", "TaskAssigned", "TaskAssigned"])
    t1, t2 = f"{case_id}-T1", f"{case_id}-T2"
    await cases.act(case_id, AcknowledgeTask(task_id=t1), liaison(LEAD))
    await cases.act(case_id, AcknowledgeTask(task_id=t2), liaison(CO))
    await cases.act(case_id, ConveneMeeting(at=datetime.now(UTC) + timedelta(days=1), departments=(LEAD, CO),
                                            agenda="漏水责任认定"), MEDIATOR)
    await cases.act(case_id, RecordMediation(method=MediationMethod.people, agreement_reached=True,
                                             terms="楼上住户承担维修费用"), MEDIATOR)
    await cases.act(case_id, ReplyTask(task_id=t2, summary="已现场勘查"), liaison(CO))
    await cases.act(case_id, ReplyTask(task_id=t1, summary="已达成调解协议"), liaison(LEAD))
    resolved = await cases.act(case_id, SubmitResolution(outcome=Outcome.mediated, summary="调解成功"), MEDIATOR)
    assert resolved.stage == Stage.supervision
    await cases.act(case_id, VerifyResolution(accepted=True, note="验收通过"), SUPERVISOR)
    await cases.act(case_id, RecordFollowUp(satisfaction=Satisfaction.satisfied), MEDIATOR)
    archived = await cases.act(case_id, ArchiveCase(), MEDIATOR)
    assert archived.stage == Stage.archived

    # The events of each action were in the store when the update returned.
    events = await store.read_stream(case_id)
    assert types(events) == [
        "CaseReceived", "CaseRouted", "TaskAssigned", "TaskAssigned", "TaskAcknowledged", "TaskAcknowledged",
        "MeetingConvened", "MediationRecorded", "TaskReplied", "TaskReplied", "ResolutionSubmitted",
        "ResolutionVerified", "FollowUpScheduled", "FollowUpRecorded", "CaseArchived",  # follow-up due
    ]
    assert [e.seq for e in events] == list(range(1, len(events) + 1))  # with its notifications
    assert (await store.verify(case_id)).valid
    result = await temporal_client.get_workflow_handle_for(DisputeCaseWorkflow.run, case_id).result()
    assert result.stage is Stage.archived and result.version == len(events)


async def test_actions_not_allowed_now_are_rejected_and_write_nothing(cases: CaseClient, store: EventStore) -> None:
    case_id = await new_routed_case(cases)
    t1 = f"{case_id}-T1"
    before = await store.version(case_id)
    refusals = [
        (RouteCase(lead_department=OTHER), MEDIATOR, ActionRefused, "stage coordination"),
        (ReplyTask(task_id=t1, summary="答复"), liaison(LEAD), ActionRefused, "pending_ack"),
        (AcknowledgeTask(task_id=t1), liaison(CO), NotPermitted, "belongs to department"),
        (AcknowledgeTask(task_id=t1), MEDIATOR, NotPermitted, "may not"),
        (AcknowledgeTask(task_id="nope"), liaison(LEAD), ActionRefused, "no task"),
        (SubmitResolution(outcome=Outcome.mediated, summary="x"), MEDIATOR, ActionRefused, "not replied"),
        (VerifyResolution(accepted=True), SUPERVISOR, ActionRefused, "stage coordination"),
        (VerifyResolution(accepted=True), MEDIATOR, NotPermitted, "supervisor"),
        (ArchiveCase(), MEDIATOR, ActionRefused, "stage coordination"),
        (ResumeClock(reason="x"), SUPERVISOR, ActionRefused, "not paused"),
        (DecideExtension(task_id=t1, approve=True), SUPERVISOR, ActionRefused, "no extension request"),
    ]
    for command, actor, error, words in refusals:
        with pytest.raises(error, match=words):
            await cases.act(case_id, command, actor)
    assert await store.version(case_id) == before
    assert (await cases.state(case_id)).stage is Stage.coordination


async def test_an_unacknowledged_task_climbs_the_ladder_and_acknowledging_clears_it(
    cases: CaseClient, store: EventStore
) -> None:
    case_id = await new_routed_case(cases, FAST, co=())
    t1 = f"{case_id}-T1"
    events = await wait_for_events(store, case_id, lambda es: "TaskEscalated" in types(es)
                                   and any(e.payload.level == 3 for e in es if e.type == "TaskEscalated"))
    ladder = [(e.type, getattr(e.payload, "level", None)) for e in events
              if e.type in ("TaskReminded", "TaskEscalated")]
    assert ladder == [("TaskReminded", None), ("TaskEscalated", 2), ("TaskEscalated", 3)]
    flagged = next(e for e in events if e.type == "TaskEscalated" and e.payload.level == 3)
    assert flagged.payload.clock == "acknowledge"
    state = await cases.state(case_id)
    assert state.task(t1).escalation_level == 3 and len(state.open_escalations) == 1

    acknowledged = await cases.act(case_id, AcknowledgeTask(task_id=t1), liaison(LEAD))
    assert own(acknowledged.events) == ["EscalationCleared", "TaskAcknowledged"]
    state = await cases.state(case_id)
    assert state.task(t1).escalation_level == 0 and state.open_escalations == ()
    assert [e.level for e in state.escalations] == [2, 3]  # the history stays


async def test_an_action_that_leaves_the_alarm_where_it_was_keeps_its_timer_and_the_ladder_climbs(
    cases: CaseClient, store: EventStore, temporal_client
) -> None:
    # a mediation record does not move the reminder due in a second; the workflow keeps the timer
    # it started for it (no cancel, no second start) and the ladder climbs as if nothing had happened.
    case_id = await new_routed_case(cases, FAST, co=())
    await cases.act(case_id, RecordMediation(method=MediationMethod.people, agreement_reached=False), liaison(LEAD))
    events = await wait_for_events(store, case_id, lambda es: any(
        e.type == "TaskEscalated" and e.payload.level == 3 for e in es))
    assert [(e.type, getattr(e.payload, "level", None)) for e in events
            if e.type in ("TaskReminded", "TaskEscalated")] == [
        ("TaskReminded", None), ("TaskEscalated", 2), ("TaskEscalated", 3)]
    history = await temporal_client.get_workflow_handle(case_id).fetch_history()
    started = [e for e in history.events if e.HasField("timer_started_event_attributes")]
    fired = [e for e in history.events if e.HasField("timer_fired_event_attributes")]
    assert not [e for e in history.events if e.HasField("timer_canceled_event_attributes")]
    assert len(started) == len(fired) == 3  # one timer per rung: reminder, warning, flag


async def test_a_return_sends_the_case_back_to_triage_and_the_department_is_not_routed_again(
    cases: CaseClient, store: EventStore
) -> None:
    case_id = await new_routed_case(cases)
    # a return is reviewed; once a supervisor approves it, the lead's return sends the case back.
    await cases.act(case_id, ReturnTask(task_id=f"{case_id}-T1", reason="不属于本单位职责"), liaison(LEAD))
    returned = await cases.act(case_id, DecideReturn(task_id=f"{case_id}-T1", approve=True), SUPERVISOR)
    assert returned.stage == Stage.triage
    state = await cases.state(case_id)
    assert [t.status for t in state.tasks] == [TaskStatus.returned, TaskStatus.cancelled]
    with pytest.raises(ActionRefused, match="returned this case"):
        await cases.act(case_id, RouteCase(lead_department=LEAD), MEDIATOR)
    with pytest.raises(ActionRefused, match="returned this case"):
        await cases.act(case_id, RouteCase(lead_department=OTHER, co_departments=(LEAD,)), MEDIATOR)
    rerouted = await cases.act(case_id, RouteCase(lead_department=OTHER, co_departments=(CO,)), MEDIATOR)
    assert rerouted.stage == Stage.coordination
    state = await cases.state(case_id)
    assert [(t.task_id[-2:], t.department, t.status) for t in state.tasks[2:]] == [
        ("T3", OTHER, TaskStatus.pending_ack), ("T4", CO, TaskStatus.pending_ack)]


async def test_an_approved_extension_moves_the_reply_deadline_and_a_refused_one_does_not(
    cases: CaseClient,
) -> None:
    case_id = await new_routed_case(cases)
    t1 = f"{case_id}-T1"
    await cases.act(case_id, AcknowledgeTask(task_id=t1), liaison(LEAD))
    due = (await cases.state(case_id)).task(t1).reply_due_at

    await cases.act(case_id, RequestExtension(task_id=t1, extra="1h", reason="需要补充材料"), liaison(LEAD))
    with pytest.raises(NotPermitted):
        await cases.act(case_id, DecideExtension(task_id=t1, approve=True), MEDIATOR)
    await cases.act(case_id, DecideExtension(task_id=t1, approve=False, note="理由不充分"), SUPERVISOR)
    assert (await cases.state(case_id)).task(t1).reply_due_at == due

    await cases.act(case_id, RequestExtension(task_id=t1, extra="1h", reason="等待鉴定结果"), liaison(LEAD))
    await cases.act(case_id, DecideExtension(task_id=t1, approve=True), SUPERVISOR)
    assert (await cases.state(case_id)).task(t1).reply_due_at == due + timedelta(hours=1)


async def test_a_paused_clock_does_not_run(cases: CaseClient, store: EventStore) -> None:
    case_id = await new_routed_case(cases, FAST, co=())
    await cases.act(case_id, PauseClock(reason="等待司法鉴定"), SUPERVISOR)
    due = (await cases.state(case_id)).task(f"{case_id}-T1").acknowledge_due_at
    # Wait well past the acknowledge deadline and its flag time: nothing may fire while paused.
    await asyncio.sleep(4)
    assert not {"TaskReminded", "TaskEscalated"} & set(types(await store.read_stream(case_id)))
    resumed = await cases.act(case_id, ResumeClock(reason="鉴定完成"), SUPERVISOR)
    assert own(resumed.events) == ["ClockResumed"]
    moved = (await cases.state(case_id)).task(f"{case_id}-T1").acknowledge_due_at
    assert moved >= due + timedelta(seconds=4)
    # The clock runs again afterwards.
    await wait_for_events(store, case_id, lambda es: "TaskReminded" in types(es))


async def test_a_dissatisfied_follow_up_reopens_the_case_once(cases: CaseClient, store: EventStore) -> None:
    case_id = await new_routed_case(cases, co=())
    await _resolve(cases, case_id)
    await cases.act(case_id, VerifyResolution(accepted=True), SUPERVISOR)
    # a dissatisfied follow-up reopens the case only when a supervisor judges it reasonable.
    await cases.act(case_id, RecordFollowUp(satisfaction=Satisfaction.dissatisfied, note="仍在漏水"), MEDIATOR)
    first = await cases.act(case_id, JudgeComplaint(reasonable=True, reason="确未修好"), SUPERVISOR)
    assert own(first.events) == ["ComplaintJudged", "CaseReopened"] and first.stage == Stage.coordination
    task = (await cases.state(case_id)).task(f"{case_id}-T1")
    assert task.status is TaskStatus.acknowledged

    await cases.act(case_id, ReplyTask(task_id=f"{case_id}-T1", summary="二次维修完成"), liaison(LEAD))
    await cases.act(case_id, SubmitResolution(outcome=Outcome.partially_resolved, summary="部分解决"), MEDIATOR)
    await cases.act(case_id, VerifyResolution(accepted=True), SUPERVISOR)
    second = await cases.act(case_id, RecordFollowUp(satisfaction=Satisfaction.dissatisfied), MEDIATOR)
    assert own(second.events) == ["FollowUpRecorded"] and second.stage == Stage.supervision
    with pytest.raises(ActionRefused, match="already reopened 1 time"):
        await cases.act(case_id, JudgeComplaint(reasonable=True, reason="仍不满意"), SUPERVISOR)
    judged = await cases.act(case_id, JudgeComplaint(reasonable=False, reason="诉求超出协议范围"), SUPERVISOR)
    assert judged.stage == Stage.archived
    assert types(await store.read_stream(case_id)).count("CaseReopened") == 1


async def test_a_rejected_verification_goes_back_to_coordination(cases: CaseClient) -> None:
    case_id = await new_routed_case(cases, co=())
    await _resolve(cases, case_id)
    rejected = await cases.act(case_id, VerifyResolution(accepted=False, note="证据不足"), SUPERVISOR)
    assert rejected.stage == Stage.coordination
    assert (await cases.state(case_id)).task(f"{case_id}-T1").status is TaskStatus.acknowledged


async def test_not_accepted_and_duplicate_cases_are_archived(cases: CaseClient, store: EventStore) -> None:
    declined = f"C-{uuid.uuid4().hex[:10]}"
    await cases.receive(declined, receive_command(), MEDIATOR)
    result = await cases.act(declined, DeclineCase(reason="已进入诉讼程序"), MEDIATOR)
    assert result.stage == Stage.archived and own(result.events) == ["CaseNotAccepted", "CaseArchived"]

    duplicate = f"C-{uuid.uuid4().hex[:10]}"
    result = await cases.receive(duplicate, receive_command(duplicate_of=declined), MEDIATOR)
    assert result.stage == Stage.archived
    assert types(await store.read_stream(duplicate)) == ["CaseReceived", "CaseMarkedDuplicate", "CaseArchived"]
    with pytest.raises(ActionRefused, match="archived"):
        await cases.act(duplicate, RouteCase(lead_department=LEAD), MEDIATOR)


async def test_a_repeated_request_has_effect_once(cases: CaseClient, store: EventStore) -> None:
    case_id = f"C-{uuid.uuid4().hex[:10]}"
    first = await cases.receive(case_id, receive_command(), MEDIATOR, request_id="req-1")
    again = await cases.receive(case_id, receive_command(), MEDIATOR, request_id="req-1")
    assert first == again
    route = RouteCase(lead_department=LEAD)
    assert await cases.act(case_id, route, MEDIATOR, "req-2") == await cases.act(case_id, route, MEDIATOR, "req-2")
    assert types(await store.read_stream(case_id)) == ["CaseReceived", "CaseRouted", "TaskAssigned"]


async def test_the_workflow_refuses_a_route_outside_the_pinned_organisation(cases: CaseClient) -> None:
    # Straight to the workflow, past the application layer's own check: the case holds its departments.
    case_id = f"C-{uuid.uuid4().hex[:10]}"
    await cases.receive(case_id, receive_command(departments=(LEAD, CO)), MEDIATOR)
    with pytest.raises(ActionRefused, match="not in the organisation"):
        await cases.act(case_id, RouteCase(lead_department=LEAD, co_departments=("dept-gone",)), MEDIATOR)
    with pytest.raises(ActionRefused, match="not in the organisation"):
        await cases.act(case_id, RouteCase(lead_department="dept-gone"), MEDIATOR)
    routed = await cases.act(case_id, RouteCase(lead_department=LEAD, co_departments=(CO,)), MEDIATOR)
    assert routed.stage == Stage.coordination


async def _attributes(cases: CaseClient, case_id: str) -> dict[str, object]:
    described = await cases.client.get_workflow_handle(case_id).describe()
    return {p.key.name: p.value for p in described.typed_search_attributes if p.key.name.startswith("Liandiao")}


async def test_the_stage_risk_and_category_are_in_temporal_from_the_start_to_the_archive(cases: CaseClient) -> None:
    # The workflow starts with the attributes its intake leads to and upserts what changes after (stage, risk).
    case_id = f"C-{uuid.uuid4().hex[:10]}"
    await cases.receive(case_id, receive_command(), MEDIATOR)
    triage = {"LiandiaoStage": "triage", "LiandiaoRisk": "medium", "LiandiaoCategory": "leak"}
    assert await _attributes(cases, case_id) == triage
    await cases.act(case_id, RouteCase(lead_department=LEAD), MEDIATOR)
    assert await _attributes(cases, case_id) == {**triage, "LiandiaoStage": "coordination"}
    await cases.act(case_id, RegradeRisk(risk_level=RiskLevel.high, reason="矛盾激化"), MEDIATOR)
    assert await _attributes(cases, case_id) == {**triage, "LiandiaoStage": "coordination", "LiandiaoRisk": "high"}
    await _resolve(cases, case_id)
    await cases.act(case_id, VerifyResolution(accepted=True), SUPERVISOR)
    await cases.act(case_id, RecordFollowUp(satisfaction=Satisfaction.satisfied), MEDIATOR)
    await cases.act(case_id, ArchiveCase(), MEDIATOR)
    await cases.client.get_workflow_handle(case_id).result()
    assert await _attributes(cases, case_id) == {**triage, "LiandiaoStage": "archived", "LiandiaoRisk": "high"}

    duplicate = f"C-{uuid.uuid4().hex[:10]}"  # received and archived in one step
    await cases.receive(duplicate, receive_command(duplicate_of=case_id), MEDIATOR)
    assert await _attributes(cases, duplicate) == {**triage, "LiandiaoStage": "archived"}

    refused = f"C-{uuid.uuid4().hex[:10]}"  # an intake the workflow refuses leaves no stage behind, as before
    with pytest.raises(NotPermitted):
        await cases.receive(refused, receive_command(), SUPERVISOR)
    assert await _attributes(cases, refused) == {}
