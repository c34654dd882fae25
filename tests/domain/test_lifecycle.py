"""The lifecycle rules (docs/domain.md) as pure decisions: decline, duplicate, return to triage, extension,
pause and resume, a rejected verification, the ladder's own refusals, and the sealed archive.

No fixtures and no servers: each test decides commands and folds the events at fixed times, so every expected
deadline below is worked out by hand on the working day of the default policy (09:00-12:00 and 13:30-17:30,
seven working hours; March 2026 has no public holiday)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from domain.alarms import next_alarm
from domain.case import CaseState, evolve
from domain.commands import (
    AcknowledgeTask,
    DecideExtension,
    DeclineCase,
    EscalateTask,
    PauseClock,
    ReceiveCase,
    RemindTask,
    ReplyTask,
    RequestExtension,
    ResumeClock,
    ReturnTask,
    RouteCase,
    SubmitResolution,
    VerifyResolution,
)
from domain.decide import ActionRefused, decide
from domain.events import SYSTEM_ACTOR, ClockResumed, Party, ResolutionRejected
from domain.vocabulary import ArchiveReason, Channel, Clock, Outcome, PartyRole, Stage, TaskStatus
from tests.domain.test_canonical_json import one_of_each
from tests.domain.test_supervision import (
    CO,
    LEAD,
    MEDIATOR,
    MONDAY,
    SH,
    SUPERVISOR,
    T1,
    T2,
    Case,
    liaison,
    pinned,
    resolved,
    routed,
)

TUESDAY_10 = datetime(2026, 3, 3, 10, 0, tzinfo=SH)  # Monday 09:00 + 8wh, the medium acknowledge deadline
NEXT_WEDNESDAY_9 = datetime(2026, 3, 11, 9, 0, tzinfo=SH)  # Monday 09:00 + 7wd, the medium reply deadline


# --- intake: 不予受理 and 重复件 --------------------------------------------------------------------------------


def test_a_declined_case_is_recorded_as_not_accepted_and_archived_at_once() -> None:
    case = Case(pinned())
    assert case.do(DeclineCase(reason="已进入诉讼程序"), MEDIATOR) == ["CaseNotAccepted", "CaseArchived"]
    assert case.state.stage is Stage.archived and case.state.archive_reason is ArchiveReason.not_accepted
    assert next_alarm(case.state) is None


def test_a_case_cannot_be_declined_once_it_is_routed() -> None:
    case = routed()
    case.refused(DeclineCase(reason="晚了"), MEDIATOR, "stage coordination; this needs intake or triage")


def test_a_duplicate_is_received_marked_and_archived_in_one_decision() -> None:
    state = CaseState(case_id="C-2")
    command = ReceiveCase(title="漏水", description="同一漏水", category="leak", channel=Channel.hotline,
                          grid_id="grid-1", parties=(Party(name="张三", role=PartyRole.applicant),),
                          policy=pinned(), duplicate_of="C-1")
    events = decide(state, command, MEDIATOR, MONDAY)
    assert [e.type for e in events] == ["CaseReceived", "CaseMarkedDuplicate", "CaseArchived"]
    for event in events:
        state = evolve(state, event, MONDAY)
    assert (state.stage, state.duplicate_of, state.archive_reason) == (Stage.archived, "C-1", ArchiveReason.duplicate)


def test_a_case_is_received_once() -> None:
    case = Case(pinned())
    case.refused(ReceiveCase(title="再", description="再", category="leak", channel=Channel.walk_in, grid_id="g",
                             parties=(Party(name="李四", role=PartyRole.applicant),), policy=pinned()),
                 MEDIATOR, "already been received")


# --- routing and the return of the lead ----------------------------------------------------------------------


def test_routing_assigns_the_lead_and_each_co_department_on_the_policy_clocks() -> None:
    case = routed()
    lead, co = case.state.tasks
    assert (lead.task_id, lead.department, co.task_id, co.department) == (T1, LEAD, T2, CO)
    assert lead.acknowledge_due_at == TUESDAY_10 and lead.reply_due_at == NEXT_WEDNESDAY_9
    assert case.state.stage is Stage.coordination


def test_a_return_of_the_lead_without_review_cancels_the_other_tasks_and_goes_back_to_triage() -> None:
    case = routed('[returns]\nreview = "none"\n')
    case.do(AcknowledgeTask(task_id=T2), liaison(CO))
    assert case.do(ReturnTask(task_id=T1, reason="非本单位职责"), liaison(LEAD)) == ["TaskReturned"]
    assert case.state.stage is Stage.triage
    assert [t.status for t in case.state.tasks] == [TaskStatus.returned, TaskStatus.cancelled]
    assert next_alarm(case.state) is None  # nothing is watched until the case is routed again
    assert case.do(RouteCase(lead_department=CO), MEDIATOR) == ["CaseRouted", "TaskAssigned"]


# --- extensions (延期) -----------------------------------------------------------------------------------------


def acknowledged() -> Case:
    case = routed(co=())
    case.do(AcknowledgeTask(task_id=T1), liaison(LEAD))
    return case


def test_an_approved_extension_moves_the_reply_deadline_in_working_days() -> None:
    case = acknowledged()
    case.do(RequestExtension(task_id=T1, extra="2wd", reason="等待鉴定"), liaison(LEAD))
    assert case.do(DecideExtension(task_id=T1, approve=True), SUPERVISOR) == ["ExtensionDecided"]
    task = case.state.task(T1)
    assert task is not None and task.pending_extension is None
    assert task.reply_due_at == datetime(2026, 3, 13, 9, 0, tzinfo=SH)  # Wednesday 09:00 + 2wd: Friday 09:00


def test_an_approved_extension_after_the_warning_clears_it() -> None:
    case = routed('[risk.medium]\nreply_within = "1wd"\n', co=())
    case.do(AcknowledgeTask(task_id=T1), liaison(LEAD))
    case.do(RequestExtension(task_id=T1, extra="1wd", reason="等待鉴定"), liaison(LEAD))
    case.fire_until_warned()  # the reply deadline passes while the request waits
    assert case.state.task(T1).escalation_level == 2  # type: ignore[union-attr]
    types = case.do(DecideExtension(task_id=T1, approve=True), SUPERVISOR)
    assert types == ["EscalationCleared", "ExtensionDecided"]
    assert case.state.open_escalations == ()


def test_a_refused_extension_keeps_the_deadline_and_a_decision_needs_a_request() -> None:
    case = acknowledged()
    case.refused(DecideExtension(task_id=T1, approve=True), SUPERVISOR, "no extension request awaiting decision")
    case.do(RequestExtension(task_id=T1, extra="2wd", reason="等待鉴定"), liaison(LEAD))
    case.refused(RequestExtension(task_id=T1, extra="1wd", reason="再"), liaison(LEAD),
                 "already has an extension request awaiting decision")
    case.do(DecideExtension(task_id=T1, approve=False, note="理由不足"), SUPERVISOR)
    assert case.state.task(T1).reply_due_at == NEXT_WEDNESDAY_9  # type: ignore[union-attr]


def test_an_extension_needs_a_duration_the_policy_understands() -> None:
    case = acknowledged()
    case.refused(RequestExtension(task_id=T1, extra="三天", reason="x"), liaison(LEAD), "三天")


# --- pause and resume (中止计时) -------------------------------------------------------------------------------


def test_a_paused_case_raises_no_alarm_and_resuming_moves_every_task_by_the_working_time_paused() -> None:
    case = routed()
    case.do(PauseClock(reason="等待司法鉴定"), SUPERVISOR)
    assert next_alarm(case.state) is None
    case.refused(PauseClock(reason="再"), SUPERVISOR, "already paused")
    case.refused(RemindTask(task_id=T1, clock=Clock.acknowledge, fraction=0.5), SYSTEM_ACTOR,
                 "not running on its acknowledge clock")
    # paused Monday 09:00 to 14:30: 3h before lunch and 1h after, four working hours
    assert case.do(ResumeClock(reason="鉴定完成"), SUPERVISOR, at=datetime(2026, 3, 2, 14, 30, tzinfo=SH)) == [
        "ClockResumed"]
    resumed = case.events[-1]
    assert isinstance(resumed, ClockResumed) and {d.task_id for d in resumed.due_times} == {T1, T2}
    task = case.state.task(T1)
    assert task is not None and case.state.paused_at is None
    assert task.acknowledge_due_at == datetime(2026, 3, 3, 15, 30, tzinfo=SH)  # Tuesday 10:00 + 4wh
    assert task.reply_due_at == datetime(2026, 3, 11, 14, 30, tzinfo=SH)  # Wednesday 09:00 + 4wh
    assert next_alarm(case.state) is not None
    case.refused(ResumeClock(reason="再"), SUPERVISOR, "not paused")


def test_a_pause_over_a_weekend_costs_no_working_time() -> None:
    friday_evening = datetime(2026, 3, 6, 18, 0, tzinfo=SH)
    case = routed()
    case.do(PauseClock(reason="等待"), SUPERVISOR, at=friday_evening)
    case.do(ResumeClock(reason="恢复"), SUPERVISOR, at=datetime(2026, 3, 9, 9, 0, tzinfo=SH))
    assert case.state.task(T1).reply_due_at == NEXT_WEDNESDAY_9  # type: ignore[union-attr]


def test_only_a_case_in_triage_or_coordination_is_paused() -> None:
    resolved().refused(PauseClock(reason="x"), SUPERVISOR, "this needs triage or coordination")


# --- verification rejected (验收不通过) --------------------------------------------------------------------------


def test_a_rejected_verification_sends_the_lead_back_to_work_with_a_fresh_reply_deadline() -> None:
    case = routed(co=())
    case.do(AcknowledgeTask(task_id=T1), liaison(LEAD))
    case.do(ReplyTask(task_id=T1, summary="已调解"), liaison(LEAD))
    case.do(SubmitResolution(outcome=Outcome.mediated, summary="调解成功"), MEDIATOR)
    thursday = datetime(2026, 3, 5, 9, 0, tzinfo=SH)
    assert case.do(VerifyResolution(accepted=False, note="材料不全"), SUPERVISOR, at=thursday) == [
        "ResolutionRejected"]
    rejected = case.events[-1]
    assert isinstance(rejected, ResolutionRejected) and [d.task_id for d in rejected.reopened] == [T1]
    task = case.state.task(T1)
    assert task is not None and task.status is TaskStatus.acknowledged and task.escalation_level == 0
    assert task.reply_due_at == datetime(2026, 3, 16, 9, 0, tzinfo=SH)  # Thursday 09:00 + 7wd: Monday week
    assert case.state.stage is Stage.coordination and case.state.outcome is None
    case.refused(VerifyResolution(accepted=True), SUPERVISOR, "stage coordination; this needs supervision")


def test_a_verified_resolution_is_verified_once() -> None:
    resolved().refused(VerifyResolution(accepted=True), SUPERVISOR, "already verified")


# --- the ladder's own refusals: each alarm fires once ----------------------------------------------------------


def test_a_reminder_and_a_warning_are_each_recorded_once() -> None:
    case = routed(co=())
    remind = RemindTask(task_id=T1, clock=Clock.acknowledge, fraction=0.5)
    assert case.do(remind, SYSTEM_ACTOR) == ["TaskReminded"]
    case.refused(remind, SYSTEM_ACTOR, "already reminded")
    warn = EscalateTask(task_id=T1, clock=Clock.acknowledge, level=2)
    assert case.do(warn, SYSTEM_ACTOR) == ["TaskEscalated"]
    case.refused(warn, SYSTEM_ACTOR, "already escalated to this level")
    case.refused(RemindTask(task_id=T1, clock=Clock.reply, fraction=0.5), SYSTEM_ACTOR,
                 "not running on its reply clock")


def test_acknowledging_clears_the_warning_and_starts_the_reply_clock() -> None:
    case = routed(co=())
    case.fire_until_warned()
    assert case.do(AcknowledgeTask(task_id=T1), liaison(LEAD)) == ["EscalationCleared", "TaskAcknowledged"]
    task = case.state.task(T1)
    assert task is not None and task.open_clock is Clock.reply and task.escalation_level == 0
    alarm = next_alarm(case.state)
    assert alarm is not None and alarm.command.clock is Clock.reply  # type: ignore[union-attr]


# --- the sealed archive ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", [
    RouteCase(lead_department=LEAD), PauseClock(reason="x"), DeclineCase(reason="x"),
    RemindTask(task_id=T1, clock=Clock.acknowledge, fraction=0.5),
])
def test_an_archived_case_refuses_everything(command: object) -> None:
    case = Case(pinned())
    case.do(DeclineCase(reason="不属于受理范围"), MEDIATOR)
    actor = SYSTEM_ACTOR if isinstance(command, RemindTask) else SUPERVISOR if isinstance(
        command, PauseClock) else MEDIATOR
    with pytest.raises(ActionRefused, match="archived: its record is sealed"):
        decide(case.state, command, actor, MONDAY + timedelta(days=1))  # type: ignore[arg-type]


# --- every recorded event changes the state it is folded into ------------------------------------------------


def test_every_event_in_a_plausible_history_changes_the_state() -> None:
    """One of each event, folded in order: each must leave its mark (evolve has an arm for each, which mypy
    checks with assert_never; this checks the arm does something)."""
    unchanged_here = {
        "TaskWithdrawn",  # of T2, which this history never assigned
        "ComplaintJudged",  # no complaint is pending at this point of the history
        "WatchedDeadlinesMoved",  # names a watch this history does not open
    }
    state = CaseState(case_id="C-1")
    for payload in one_of_each():
        after = evolve(state, payload, MONDAY)
        changed = {name for name in CaseState.model_fields if getattr(state, name) != getattr(after, name)}
        changed -= {"version", "last_event_at"}
        assert bool(changed) != (payload.type in unchanged_here), payload.type
        state = after
