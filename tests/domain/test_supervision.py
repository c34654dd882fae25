"""Supervision rules as practised (docs/domain.md): every rule and every refusal, with fixed dates.

No fixtures: each test builds its case by deciding commands and folding the events, as the workflow does."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from domain.alarms import next_alarm
from domain.case import CaseState, evolve
from domain.commands import (
    AcknowledgeTask,
    ArchiveCase,
    Command,
    CommitmentPromise,
    ConveneMeeting,
    DecideExtension,
    DecideReturn,
    FulfilCommitment,
    JudgeComplaint,
    LiftListing,
    ListCase,
    ReceiveCase,
    RecordFollowUp,
    RecordMediation,
    RecordMeetingMinutes,
    RegradeRisk,
    ReplyTask,
    ReportToSummons,
    RequestExtension,
    ReturnTask,
    RouteCase,
    SubmitResolution,
    SummonDepartments,
    VerifyResolution,
)
from domain.decide import PERMITTED, ActionRefused, NotPermitted, decide
from domain.events import SYSTEM_ACTOR, Actor, DomainEvent, Party, TaskEscalated
from domain.notifications import intents_for
from domain.policy import PinnedPolicy, parse_policy, pin_policy
from domain.vocabulary import (
    Channel,
    Clock,
    MediationMethod,
    Outcome,
    PartyRole,
    RiskLevel,
    Role,
    Satisfaction,
    Stage,
    TaskStatus,
)

SH = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=SH)  # an ordinary working Monday
FRIDAY_AFTERNOON = datetime(2026, 3, 6, 15, 0, tzinfo=SH)
MEDIATOR = Actor(role=Role.mediator, id="med-1", department="centre")
SUPERVISOR = Actor(role=Role.supervisor, id="sup-1", department="centre")
LEAD, CO, OTHER = "lead-dept", "co-dept", "other-dept"


def audiences(state: CaseState, event: DomainEvent) -> set[str]:
    """Who an event's notifications are for, before the organisation resolves them (domain/notifications.py)."""
    return {f"{a.kind}:{a.ref}" for intent in intents_for(state, event) for a in intent.audiences}


def liaison(department: str) -> Actor:
    return Actor(role=Role.liaison, id=f"l-{department}", department=department)


def pinned(toml: str = "", at: datetime = MONDAY) -> PinnedPolicy:
    return pin_policy(parse_policy(toml), at)


def old_pinned(toml: str = "", at: datetime = MONDAY) -> PinnedPolicy:
    """A policy as pinned before the supervision rules as practised: without the new sections."""
    data = pinned(toml, at).model_dump(mode="json")
    for section in ("returns", "extensions", "summons", "notifications"):
        del data["policy"][section]
    return PinnedPolicy.model_validate(data)


class Case:
    """A case driven through ``decide`` and ``evolve``; ``now`` moves only when a test moves it."""

    def __init__(self, policy: PinnedPolicy, now: datetime = MONDAY, risk: RiskLevel = RiskLevel.medium,
                 case_id: str = "C-1") -> None:
        self.state = CaseState(case_id=case_id)
        self.now = now
        self.events: list[DomainEvent] = []
        self.history: list[tuple[DomainEvent, datetime]] = []  # each event with the time it occurred
        self.actors: list[Actor] = []  # who caused each event of ``history``
        self.do(ReceiveCase(title="漏水", description="楼上漏水", category="leak", channel=Channel.walk_in,
                            grid_id="grid-1", risk_level=risk, parties=(Party(name="张三", role=PartyRole.applicant),),
                            policy=policy), MEDIATOR)

    def do(self, command: Command, actor: Actor, at: datetime | None = None) -> list[str]:
        if at is not None:
            self.now = at
        events = decide(self.state, command, actor, self.now)
        for event in events:
            self.state = evolve(self.state, event, self.now, actor=actor)
            self.history.append((event, self.now))
            self.actors.append(actor)
        self.events += events
        return [e.type for e in events]

    def refused(self, command: Command, actor: Actor, match: str, at: datetime | None = None) -> None:
        with pytest.raises(ActionRefused, match=match):
            decide(self.state, command, actor, at or self.now)

    def forbidden(self, command: Command, actor: Actor, match: str) -> None:
        with pytest.raises(NotPermitted, match=match):
            decide(self.state, command, actor, self.now)

    def fire(self) -> list[str]:
        """The next alarm, fired at its time."""
        alarm = next_alarm(self.state)
        assert alarm is not None
        return self.do(alarm.command, SYSTEM_ACTOR, at=max(alarm.at, self.now))

    def fire_until_warned(self) -> list[str]:
        """Fire alarms until the next warning (level 2); the event types fired."""
        fired: list[str] = []
        while "TaskEscalated" not in fired:
            fired += self.fire()
        return fired


def routed(toml: str = "", co: tuple[str, ...] = (CO,), policy: PinnedPolicy | None = None, **kw: Any) -> Case:
    case = Case(policy or pinned(toml), **kw)
    case.do(RouteCase(lead_department=LEAD, co_departments=co), MEDIATOR)
    return case


T1, T2 = "C-1-T1", "C-1-T2"


# --- reviewed returns (退回审核) --------------------------------------------------------------------------


def test_a_return_waits_for_the_supervisor_and_its_clock_runs_on() -> None:
    case = routed()
    assert case.do(ReturnTask(task_id=T1, reason="非本单位职责"), liaison(LEAD)) == ["ReturnRequested"]
    task = case.state.task(T1)
    assert task is not None and task.status is TaskStatus.return_requested and task.open_clock is Clock.acknowledge
    alarm = next_alarm(case.state)
    assert alarm is not None and alarm.command.task_id in (T1, T2)
    case.refused(ReturnTask(task_id=T1, reason="再次"), liaison(LEAD), "already has a return awaiting")
    case.refused(AcknowledgeTask(task_id=T1), liaison(LEAD), "return_requested; this needs pending_ack")


def test_an_approved_return_of_the_lead_sends_the_case_to_triage_and_excludes_the_department() -> None:
    case = routed()
    case.do(ReturnTask(task_id=T1, reason="非本单位职责"), liaison(LEAD))
    assert case.do(DecideReturn(task_id=T1, approve=True), SUPERVISOR) == ["ReturnDecided", "TaskReturned"]
    assert case.state.stage is Stage.triage
    assert [t.status for t in case.state.tasks] == [TaskStatus.returned, TaskStatus.cancelled]
    case.refused(RouteCase(lead_department=LEAD), MEDIATOR, "returned this case and may not be routed to again")


def test_an_approved_return_of_a_co_department_withdraws_only_its_own_task() -> None:
    case = routed()
    case.do(AcknowledgeTask(task_id=T1), liaison(LEAD))
    case.do(ReturnTask(task_id=T2, reason="不涉及本单位"), liaison(CO))
    assert case.do(DecideReturn(task_id=T2, approve=True), SUPERVISOR) == ["ReturnDecided", "TaskWithdrawn"]
    assert case.state.stage is Stage.coordination
    lead, co = case.state.tasks
    assert (lead.status, co.status) == (TaskStatus.acknowledged, TaskStatus.returned)
    assert case.state.returned_by == (CO,)


def test_an_approved_co_return_clears_its_own_escalation_only() -> None:
    case = routed('[risk.medium]\nacknowledge_within = "1h"\n')
    while case.state.task(T2).escalation_level < 2:  # type: ignore[union-attr]
        case.fire()
    case.do(ReturnTask(task_id=T2, reason="不涉及本单位"), liaison(CO))
    types = case.do(DecideReturn(task_id=T2, approve=True), SUPERVISOR)
    assert types == ["ReturnDecided", "EscalationCleared", "TaskWithdrawn"]
    assert {e.task_id for e in case.state.open_escalations} == {T1}


def test_a_refused_return_is_dispatched_by_order_on_the_same_clocks_and_cannot_be_returned_again() -> None:
    case = routed()
    before = case.state.task(T1)
    case.do(ReturnTask(task_id=T1, reason="非本单位职责"), liaison(LEAD))
    assert case.do(DecideReturn(task_id=T1, approve=False, note="属于本单位职责"), SUPERVISOR) == ["ReturnDecided"]
    task = case.state.task(T1)
    assert task is not None and before is not None
    assert task.status is TaskStatus.pending_ack and task.forced
    assert (task.acknowledge_due_at, task.reply_due_at) == (before.acknowledge_due_at, before.reply_due_at)
    case.refused(ReturnTask(task_id=T1, reason="仍然不是"), liaison(LEAD), "强制派单")


def test_a_refused_return_of_an_acknowledged_task_goes_back_to_acknowledged() -> None:
    case = routed()
    case.do(AcknowledgeTask(task_id=T1), liaison(LEAD))
    case.do(ReturnTask(task_id=T1, reason="非本单位职责"), liaison(LEAD))
    assert case.state.task(T1).open_clock is Clock.reply  # type: ignore[union-attr]
    case.do(DecideReturn(task_id=T1, approve=False), SUPERVISOR)
    assert case.state.task(T1).status is TaskStatus.acknowledged  # type: ignore[union-attr]


def test_a_return_is_allowed_only_within_returns_within_of_assignment() -> None:
    case = routed('[returns]\nwithin = "1wd"\n')
    case.refused(ReturnTask(task_id=T1, reason="晚了"), liaison(LEAD), "only within 1wd of its assignment",
                 at=MONDAY + timedelta(days=1, minutes=1))
    case.do(ReturnTask(task_id=T1, reason="及时"), liaison(LEAD), at=MONDAY + timedelta(days=1))


def test_only_a_supervisor_decides_a_return_and_only_a_requested_one() -> None:
    case = routed()
    case.refused(DecideReturn(task_id=T1, approve=True), SUPERVISOR, "pending_ack; this needs return_requested")
    case.do(ReturnTask(task_id=T1, reason="非本单位职责"), liaison(LEAD))
    case.forbidden(DecideReturn(task_id=T1, approve=True), MEDIATOR, "it is for: supervisor")
    case.forbidden(DecideReturn(task_id=T1, approve=True), liaison(LEAD), "it is for: supervisor")
    case.forbidden(ReturnTask(task_id=T2, reason="x"), liaison(LEAD), "belongs to department co-dept")


def test_without_review_a_return_takes_effect_at_once() -> None:
    case = routed('[returns]\nreview = "none"\n')
    assert case.do(ReturnTask(task_id=T2, reason="不涉及"), liaison(CO)) == ["TaskWithdrawn"]
    assert case.state.stage is Stage.coordination
    assert case.do(ReturnTask(task_id=T1, reason="不涉及"), liaison(LEAD)) == ["TaskReturned"]
    assert case.state.stage is Stage.triage


def test_a_case_pinned_before_reviewed_returns_keeps_its_old_rule() -> None:
    case = routed(policy=old_pinned())
    assert case.do(ReturnTask(task_id=T2, reason="不涉及"), liaison(CO)) == ["TaskReturned"]
    assert case.state.stage is Stage.triage  # as before the rules as practised: any return sends it to triage
    assert [t.status for t in case.state.tasks] == [TaskStatus.cancelled, TaskStatus.returned]


# --- bounded extensions -------------------------------------------------------------------------------------


def test_an_extension_must_be_asked_before_the_reply_deadline() -> None:
    case = routed()
    case.do(AcknowledgeTask(task_id=T1), liaison(LEAD))
    due = case.state.task(T1).reply_due_at  # type: ignore[union-attr]
    case.refused(RequestExtension(task_id=T1, extra="1wd", reason="补充材料"), liaison(LEAD),
                 "before the reply deadline passes", at=due)
    case.do(RequestExtension(task_id=T1, extra="1wd", reason="补充材料"), liaison(LEAD),
            at=due - timedelta(minutes=1))


def test_all_extensions_of_a_task_add_at_most_max_total() -> None:
    case = routed('[extensions]\nmax_total = "3wd"\n')
    case.do(AcknowledgeTask(task_id=T1), liaison(LEAD))
    case.do(RequestExtension(task_id=T1, extra="2wd", reason="补充材料"), liaison(LEAD))
    case.do(DecideExtension(task_id=T1, approve=True), SUPERVISOR)
    case.refused(RequestExtension(task_id=T1, extra="2wd", reason="再延"), liaison(LEAD),
                 r"at most 3wd in all \(extensions.max_total\); 14h of working time already granted, 14h")
    case.do(RequestExtension(task_id=T1, extra="7wh", reason="再延"), liaison(LEAD))  # exactly the rest


def test_a_refused_extension_does_not_count_toward_the_ceiling() -> None:
    case = routed('[extensions]\nmax_total = "1wd"\n')
    case.do(AcknowledgeTask(task_id=T1), liaison(LEAD))
    case.do(RequestExtension(task_id=T1, extra="1wd", reason="补充材料"), liaison(LEAD))
    case.do(DecideExtension(task_id=T1, approve=False), SUPERVISOR)
    case.do(RequestExtension(task_id=T1, extra="1wd", reason="补充材料"), liaison(LEAD))


def test_a_case_pinned_before_bounded_extensions_has_no_ceiling() -> None:
    case = routed(policy=old_pinned())
    case.do(AcknowledgeTask(task_id=T1), liaison(LEAD))
    case.do(RequestExtension(task_id=T1, extra="100wd", reason="鉴定"), liaison(LEAD))


# --- summons (吹哨报到) --------------------------------------------------------------------------------------


def test_a_summons_names_each_department_with_a_report_deadline_in_working_time() -> None:
    case = routed()
    case.do(SummonDepartments(departments=(OTHER, CO), reason="群体性风险，吹哨"), SUPERVISOR,
            at=datetime(2026, 3, 6, 17, 0, tzinfo=SH))
    summons = case.state.summons[0]
    assert summons.summons_id == "C-1-S1"
    assert summons.due_at == datetime(2026, 3, 9, 10, 30, tzinfo=SH)  # 2wh: Friday 17:00-17:30, Monday 09:00-10:30
    assert [d.department for d in summons.departments] == [OTHER, CO]
    assert audiences(case.state, case.events[-1]) == {f"liaisons:{OTHER}", f"liaisons:{CO}"}


def test_a_summoned_department_reports_once_and_only_it_may() -> None:
    case = routed()
    case.do(SummonDepartments(departments=(OTHER,), reason="吹哨", report_within="1h"), MEDIATOR)
    case.forbidden(ReportToSummons(summons_id="C-1-S1"), liaison(CO), "was not summoned by C-1-S1")
    case.forbidden(SummonDepartments(departments=(OTHER,), reason="x"), liaison(LEAD), "mediator, supervisor")
    case.refused(ReportToSummons(summons_id="C-1-S9"), liaison(OTHER), "no summons C-1-S9")
    assert case.do(ReportToSummons(summons_id="C-1-S1", note="已到场"), liaison(OTHER)) == ["SummonsReported"]
    assert case.state.summons[0].departments[0].reported_at == case.now
    case.refused(ReportToSummons(summons_id="C-1-S1"), liaison(OTHER), "already reported")


def test_a_summons_refuses_a_bad_duration_and_a_repeated_department() -> None:
    case = routed()
    case.refused(SummonDepartments(departments=(OTHER,), reason="x", report_within="soon"), MEDIATOR,
                 "report_within: \"soon\" is not a duration")
    case.refused(SummonDepartments(departments=(OTHER, OTHER), reason="x"), MEDIATOR, "appears twice")


def test_a_department_that_does_not_report_climbs_the_ladder_and_reporting_clears_it() -> None:
    case = routed()
    case.do(SummonDepartments(departments=(OTHER,), reason="吹哨", report_within="30m"), MEDIATOR)
    assert case.fire_until_warned() == ["TaskReminded", "TaskReminded", "TaskEscalated"]
    (escalation,) = case.state.open_escalations
    assert (escalation.task_id, escalation.clock, escalation.department, escalation.level) == (
        "C-1-S1:other-dept", Clock.report, OTHER, 2)
    assert f"head:{OTHER}" in audiences(case.state, case.events[-1])
    assert case.do(ReportToSummons(summons_id="C-1-S1"), liaison(OTHER)) == ["EscalationCleared", "SummonsReported"]
    assert case.state.open_escalations == ()
    assert all(a.command.clock is not Clock.report for a in [next_alarm(case.state)] if a)


def test_a_summons_on_a_case_pinned_before_summonses_uses_the_default_limit() -> None:
    case = routed(policy=old_pinned())
    case.do(SummonDepartments(departments=(OTHER,), reason="吹哨"), MEDIATOR)
    assert case.state.summons[0].due_at == MONDAY + timedelta(hours=2)


# --- joint meetings: attendance and commitments ------------------------------------------------------------


def test_meeting_minutes_record_attendance_and_commitments_that_are_watched() -> None:
    case = routed()
    due = MONDAY + timedelta(hours=2)
    types = case.do(ConveneMeeting(at=MONDAY, departments=(LEAD, CO), agenda="圆桌议事会", attended=(LEAD, CO),
                                   commitments=(CommitmentPromise(department=CO, what="三日内查明管线", due_at=due),)),
                    MEDIATOR)
    assert types == ["MeetingConvened", "MeetingMinutesRecorded"]
    (commitment,) = case.state.commitments
    assert (commitment.commitment_id, commitment.department, commitment.due_at) == ("C-1-M1-C1", CO, due)
    case.forbidden(FulfilCommitment(commitment_id="C-1-M1-C1"), liaison(LEAD), "belongs to department co-dept")
    assert case.do(FulfilCommitment(commitment_id="C-1-M1-C1", note="已查明"), liaison(CO)) == ["CommitmentFulfilled"]
    case.refused(FulfilCommitment(commitment_id="C-1-M1-C1"), liaison(CO), "already fulfilled")


def test_a_missed_commitment_is_escalated() -> None:
    case = routed('[risk.medium]\nacknowledge_within = "8wh"\nreply_within = "10wd"\n')
    case.do(ConveneMeeting(at=MONDAY, departments=(CO,), agenda="联席会议"), MEDIATOR)
    case.do(RecordMeetingMinutes(meeting_id="C-1-M1", attended=(CO,), commitments=(
        CommitmentPromise(department=CO, what="答复", due_at=MONDAY + timedelta(minutes=30)),)), MEDIATOR)
    assert case.fire_until_warned() == ["TaskReminded", "TaskReminded", "TaskEscalated"]
    assert case.state.open_escalations[0].clock is Clock.commitment


def test_meeting_minutes_refusals() -> None:
    case = routed()
    case.refused(RecordMeetingMinutes(meeting_id="C-1-M1", attended=(CO,)), MEDIATOR, "no meeting C-1-M1")
    case.do(ConveneMeeting(at=MONDAY, departments=(CO,), agenda="联席会议"), MEDIATOR)
    late = CommitmentPromise(department=CO, what="答复", due_at=MONDAY - timedelta(hours=1))
    case.refused(RecordMeetingMinutes(meeting_id="C-1-M1", attended=(CO,), commitments=(late,)), MEDIATOR,
                 "has already passed")
    absent = CommitmentPromise(department=LEAD, what="答复", due_at=MONDAY + timedelta(days=1))
    case.refused(RecordMeetingMinutes(meeting_id="C-1-M1", attended=(CO,), commitments=(absent,)), MEDIATOR,
                 "did not attend")
    case.forbidden(RecordMeetingMinutes(meeting_id="C-1-M1", attended=(CO,)), SUPERVISOR, "it is for: mediator")
    case.do(RecordMeetingMinutes(meeting_id="C-1-M1", attended=(CO,)), MEDIATOR)
    case.refused(RecordMeetingMinutes(meeting_id="C-1-M1", attended=(CO,)), MEDIATOR, "already recorded")


def test_commitments_stop_being_watched_with_the_resolution() -> None:
    case = routed()
    case.do(ConveneMeeting(at=MONDAY, departments=(LEAD,), agenda="会", attended=(LEAD,), commitments=(
        CommitmentPromise(department=LEAD, what="答复", due_at=MONDAY + timedelta(minutes=10)),)), MEDIATOR)
    case.fire_until_warned()
    assert case.state.open_escalations
    case.do(SubmitResolution(outcome=Outcome.withdrawn, summary="撤回"), MEDIATOR)
    assert case.state.open_escalations == () and case.state.open_watches == ()


# --- listed supervision by hand (挂牌督办) ------------------------------------------------------------------


def test_a_supervisor_lists_a_case_under_a_leader_until_it_is_resolved() -> None:
    case = routed()
    case.forbidden(ListCase(leader="王副主任", reason="久拖不决"), MEDIATOR, "it is for: supervisor")
    assert case.do(ListCase(leader="王副主任", reason="久拖不决"), SUPERVISOR) == ["CaseListed"]
    assert case.state.listing is not None and case.state.listing.leader == "王副主任"
    assert {i.kind for i in intents_for(case.state, case.events[-1])} == {"listed_supervision"}
    case.refused(ListCase(leader="李主任", reason="x"), SUPERVISOR, "already listed")
    case.do(AcknowledgeTask(task_id=T1), liaison(LEAD))
    case.do(ReplyTask(task_id=T1, summary="已调解"), liaison(LEAD))
    case.do(SubmitResolution(outcome=Outcome.mediated, summary="调解成功"), MEDIATOR)
    assert case.state.listing is not None  # shown until the resolution is accepted
    case.do(VerifyResolution(accepted=True), SUPERVISOR)
    assert case.state.listing is None
    case.refused(ListCase(leader="李主任", reason="x"), SUPERVISOR, "already verified")


def test_a_listing_can_be_lifted_once() -> None:
    case = routed()
    case.refused(LiftListing(reason="x"), SUPERVISOR, "not listed")
    case.do(ListCase(leader="王副主任", reason="久拖不决"), SUPERVISOR)
    assert case.do(LiftListing(reason="已推进"), SUPERVISOR) == ["ListingLifted"]
    assert case.state.listing is None


# --- risk re-grade -------------------------------------------------------------------------------------------


def test_risk_is_regraded_with_a_reason_and_critical_alerts_the_police_and_the_district() -> None:
    case = routed()
    case.forbidden(RegradeRisk(risk_level=RiskLevel.high, reason="x"), liaison(LEAD), "mediator, supervisor")
    case.refused(RegradeRisk(risk_level=RiskLevel.medium, reason="x"), MEDIATOR, "already medium")
    case.do(RegradeRisk(risk_level=RiskLevel.critical, reason="扬言报复"), MEDIATOR)
    assert case.state.risk_level is RiskLevel.critical
    assert {i.kind for i in intents_for(case.state, case.events[-1])} == {"critical_alert"}
    assert audiences(case.state, case.events[-1]) == {"district_centre:grid-1", "police_above:grid-1"}
    case.do(RegradeRisk(risk_level=RiskLevel.high, reason="情绪平稳"), SUPERVISOR)
    assert intents_for(case.state, case.events[-1]) == []


# --- mediation by whoever mediates -------------------------------------------------------------------------


def test_a_liaison_of_a_department_with_a_task_records_its_mediation() -> None:
    case = routed()
    assert case.do(RecordMediation(method=MediationMethod.public_security, agreement_reached=True), liaison(CO)) \
        == ["MediationRecorded"]
    case.forbidden(RecordMediation(method=MediationMethod.judicial, agreement_reached=False), liaison(OTHER),
                   "has no task on this case")
    case.do(RecordMediation(method=MediationMethod.people, agreement_reached=False), MEDIATOR)


# --- the follow-up's deadline and the supervisor's judgement -----------------------------------------------


def resolved(toml: str = "", policy: PinnedPolicy | None = None) -> Case:
    case = routed(toml, co=(), policy=policy)
    case.do(AcknowledgeTask(task_id=T1), liaison(LEAD))
    case.do(ReplyTask(task_id=T1, summary="已调解"), liaison(LEAD))
    case.do(SubmitResolution(outcome=Outcome.mediated, summary="调解成功"), MEDIATOR)
    case.do(VerifyResolution(accepted=True), SUPERVISOR)
    return case


def test_the_follow_up_is_due_within_after_verification_and_a_missed_one_is_escalated() -> None:
    case = resolved('[follow_up]\nwithin = "1wd"\n')
    assert case.events[-1].type == "FollowUpScheduled"
    assert case.state.follow_up_due_at == MONDAY + timedelta(days=1)
    assert case.fire_until_warned() == ["TaskReminded", "TaskReminded", "TaskEscalated"]
    (escalation,) = case.state.open_escalations
    assert (escalation.clock, escalation.department, escalation.level) == (Clock.follow_up, None, 2)
    assert audiences(case.state, case.events[-1]) == {"centre_of:grid-1"}
    types = case.do(RecordFollowUp(satisfaction=Satisfaction.satisfied), MEDIATOR)
    assert types == ["EscalationCleared", "FollowUpRecorded"]
    assert next_alarm(case.state) is None and case.state.open_escalations == ()


def test_a_dissatisfied_follow_up_waits_for_the_supervisor_who_may_reopen_within_the_count() -> None:
    case = resolved()
    case.do(RecordFollowUp(satisfaction=Satisfaction.dissatisfied, note="漏水未修"), MEDIATOR)
    assert case.state.stage is Stage.supervision and case.state.complaint_pending
    case.refused(ArchiveCase(), MEDIATOR, "awaits a supervisor's judgement")
    case.refused(RecordFollowUp(satisfaction=Satisfaction.satisfied), MEDIATOR, "awaits a supervisor's judgement")
    case.forbidden(JudgeComplaint(reasonable=True, reason="x"), MEDIATOR, "it is for: supervisor")
    judged = case.do(JudgeComplaint(reasonable=True, reason="确未修复"), SUPERVISOR)
    assert judged == ["ComplaintJudged", "CaseReopened"]
    assert case.state.stage is Stage.coordination and case.state.reopen_count == 1
    case.do(ReplyTask(task_id=T1, summary="已修复"), liaison(LEAD))
    case.do(SubmitResolution(outcome=Outcome.mediated, summary="修复"), MEDIATOR)
    case.do(VerifyResolution(accepted=True), SUPERVISOR)
    case.do(RecordFollowUp(satisfaction=Satisfaction.dissatisfied), MEDIATOR)
    case.refused(JudgeComplaint(reasonable=True, reason="x"), SUPERVISOR, "already reopened 1 time")
    assert case.do(JudgeComplaint(reasonable=False, reason="诉求超出协议"), SUPERVISOR) == [
        "ComplaintJudged", "CaseArchived"]
    assert case.state.stage is Stage.archived


def test_judging_needs_a_pending_complaint() -> None:
    case = resolved()
    case.refused(JudgeComplaint(reasonable=False, reason="x"), SUPERVISOR, "no dissatisfied follow-up awaits")


def test_a_case_pinned_before_the_rules_as_practised_reopens_at_once_and_has_no_follow_up_deadline() -> None:
    case = resolved(policy=old_pinned())
    assert case.events[-1].type == "ResolutionVerified" and next_alarm(case.state) is None
    assert case.do(RecordFollowUp(satisfaction=Satisfaction.dissatisfied), MEDIATOR) == [
        "FollowUpRecorded", "CaseReopened"]


# --- clocks in working time on the cn calendar -------------------------------------------------------------


def test_a_friday_afternoon_task_on_the_cn_calendar_is_warned_on_monday() -> None:
    case = routed(co=(), now=FRIDAY_AFTERNOON)
    task = case.state.task(T1)
    assert task is not None
    assert task.acknowledge_due_at == datetime(2026, 3, 9, 16, 0, tzinfo=SH)  # 8wh: 2.5h Friday, 5.5h Monday
    fired: list[tuple[str, datetime]] = []
    while not any(kind == "TaskEscalated" for kind, _ in fired):
        alarm = next_alarm(case.state)
        assert alarm is not None
        fired.append((case.fire()[0], alarm.at.astimezone(SH)))
    assert fired == [
        ("TaskReminded", datetime(2026, 3, 9, 10, 30, tzinfo=SH)),  # 50 % of the working time
        ("TaskReminded", datetime(2026, 3, 9, 14, 24, tzinfo=SH)),  # 80 %, after the lunch break
        ("TaskEscalated", datetime(2026, 3, 9, 16, 0, tzinfo=SH)),  # the warning, on Monday
    ]


def test_reminders_of_a_case_pinned_before_the_rules_as_practised_stay_at_wall_clock_fractions() -> None:
    case = routed('[risk.medium]\nacknowledge_within = "24h"\n', co=(), now=FRIDAY_AFTERNOON,
                  policy=old_pinned('[risk.medium]\nacknowledge_within = "24h"\n'))
    alarm = next_alarm(case.state)
    assert alarm is not None and alarm.at == FRIDAY_AFTERNOON + timedelta(hours=12)  # Saturday 03:00


def test_an_emergency_wall_clock_limit_outside_working_hours_still_reminds_on_the_wall_clock() -> None:
    saturday_night = datetime(2026, 3, 7, 22, 0, tzinfo=SH)
    case = routed(co=(), now=saturday_night, risk=RiskLevel.critical)
    alarm = next_alarm(case.state)
    assert alarm is not None and alarm.at == saturday_night + timedelta(minutes=60)  # 50 % of "2h"


# --- the one role table ------------------------------------------------------------------------------------


def test_every_command_has_its_roles_in_the_one_table() -> None:
    from typing import get_args

    union = get_args(get_args(Command)[0])
    assert set(union) == set(PERMITTED)



def test_a_flagged_report_tells_the_jurisdiction_named_by_the_summons() -> None:
    case = routed('[escalation]\nflag_after = "1h"\n')
    case.do(SummonDepartments(departments=(OTHER,), reason="吹哨", report_within="30m",
                              escalate_to={OTHER: "street-1"}), MEDIATOR)
    case.fire_until_warned()
    assert case.fire() == ["TaskEscalated"]
    flagged = case.events[-1]
    assert isinstance(flagged, TaskEscalated)
    assert flagged.level == 3 and flagged.notify_jurisdiction == "street-1"
    assert audiences(case.state, flagged) == {"centre_of:street-1", f"head:{OTHER}"}


def test_more_refusals_name_their_reason() -> None:
    case = routed()
    case.refused(ConveneMeeting(at=MONDAY, departments=(CO,), agenda="会", commitments=(
        CommitmentPromise(department=CO, what="w", due_at=MONDAY + timedelta(days=1)),)), MEDIATOR,
        "commitments need the meeting's attendance")
    case.refused(ConveneMeeting(at=MONDAY, departments=(CO,), agenda="会", attended=(CO, CO)), MEDIATOR,
                 "appears twice in the attendance")
    case.forbidden(LiftListing(reason="x"), MEDIATOR, "it is for: supervisor")
    case.forbidden(ReportToSummons(summons_id="C-1-S1"), MEDIATOR, "it is for: liaison")
    case.forbidden(JudgeComplaint(reasonable=True, reason="x"), liaison(LEAD), "it is for: supervisor")
    case.refused(FulfilCommitment(commitment_id="C-1-M9-C1"), MEDIATOR, "no commitment C-1-M9-C1")
    resolved_case = resolved()
    resolved_case.refused(SummonDepartments(departments=(OTHER,), reason="x"), MEDIATOR,
                          "stage supervision; this needs triage or coordination")
    resolved_case.refused(ListCase(leader="王", reason="x"), SUPERVISOR, "already verified")
    resolved_case.refused(RegradeRisk(risk_level=RiskLevel.medium, reason="x"), MEDIATOR, "already medium")


def test_a_pause_moves_the_watched_deadlines_too() -> None:
    from domain.commands import PauseClock, ResumeClock

    case = routed()
    case.do(SummonDepartments(departments=(OTHER,), reason="吹哨", report_within="2wh"), MEDIATOR)
    case.do(ConveneMeeting(at=MONDAY, departments=(CO,), agenda="会", attended=(CO,), commitments=(
        CommitmentPromise(department=CO, what="答复", due_at=MONDAY + timedelta(hours=6)),)), MEDIATOR)
    case.do(PauseClock(reason="等待鉴定"), SUPERVISOR)
    assert next_alarm(case.state) is None
    # paused Monday 09:00-10:00: one working hour; every watched deadline moves one working hour later
    types = case.do(ResumeClock(reason="鉴定完成"), SUPERVISOR, at=MONDAY + timedelta(hours=1))
    assert types == ["ClockResumed", "WatchedDeadlinesMoved"]
    assert case.state.summons[0].due_at == datetime(2026, 3, 2, 12, 0, tzinfo=SH)  # 11:00 + 1wh
    assert case.state.watch("C-1-S1:other-dept").due_at == datetime(2026, 3, 2, 12, 0, tzinfo=SH)  # type: ignore[union-attr]
    assert case.state.commitments[0].due_at == datetime(2026, 3, 2, 16, 0, tzinfo=SH)  # 15:00 + 1wh


def test_a_resume_without_watched_deadlines_records_only_the_tasks() -> None:
    from domain.commands import PauseClock, ResumeClock

    case = routed()
    case.do(PauseClock(reason="等待鉴定"), SUPERVISOR)
    assert case.do(ResumeClock(reason="鉴定完成"), SUPERVISOR, at=MONDAY + timedelta(hours=1)) == ["ClockResumed"]
