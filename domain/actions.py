"""``available_actions(state, actor, now)``: which actions a person may take on a case right now.

Derived from ``decide`` itself, not from a second copy of its rules: each kind of action is tried as a probe
command on the current state, and it is available when ``decide`` neither refuses nor forbids it. Probes
carry placeholder text; only the role, the stage and the task's status decide the answer. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.case import CaseState
from domain.commands import (
    AcknowledgeTask,
    AddAttachment,
    ApplyJudicialConfirmation,
    ArchiveCase,
    AssignLeader,
    Command,
    ConveneMeeting,
    DecideExtension,
    DecideJudicialConfirmation,
    DecideReturn,
    DeclineCase,
    FulfilCommitment,
    HandUp,
    IssueDocument,
    JudgeComplaint,
    LiftListing,
    ListCase,
    NameAssignee,
    PauseClock,
    RateTask,
    RecordFollowUp,
    RecordMediation,
    RecordMeetingMinutes,
    RecordPerformance,
    RegradeRisk,
    ReplyTask,
    ReportToSummons,
    RequestExtension,
    ResumeClock,
    ReturnTask,
    RouteCase,
    SubmitResolution,
    SummonDepartments,
    VerifyResolution,
)
from domain.decide import ActionRefused, NotPermitted, decide
from domain.events import Actor
from domain.vocabulary import DocumentKind, Grade, MediationMethod, Outcome, RiskLevel, Role, Satisfaction

_PROBE = "-"  # placeholder text: decide never looks at free text when it checks preconditions


@dataclass(frozen=True)
class AvailableAction:
    kind: str  # the command's ``kind`` ("route", "acknowledge", ...)
    task_id: str | None = None  # set for actions on one task
    ref: str | None = None  # the summons, meeting or commitment an action is on


def _route_probe(state: CaseState) -> RouteCase:
    """A route the case could take: to a department of its organisation that has not returned it (a case
    received before its organisation's departments were kept takes any id; the route's stage check decides)."""
    if state.departments is None:
        return RouteCase(lead_department="\x00probe")
    open_to = [d for d in state.departments if d not in state.returned_by]
    return RouteCase(lead_department=open_to[0] if open_to else "\x00probe")


def _case_probes(now: datetime) -> list[Command]:
    return [
        DeclineCase(reason=_PROBE),
        PauseClock(reason=_PROBE),
        ResumeClock(reason=_PROBE),
        ConveneMeeting(at=now, departments=(_PROBE,), agenda=_PROBE),
        RecordMediation(method=MediationMethod.people, agreement_reached=False),
        # A withdrawal is the one resolution possible before the lead department replies.
        SubmitResolution(outcome=Outcome.withdrawn, summary=_PROBE),
        VerifyResolution(accepted=True),
        RecordFollowUp(satisfaction=Satisfaction.satisfied),
        ArchiveCase(),
        HandUp(reason=_PROBE),  # 上交
        # supervision as practised
        SummonDepartments(departments=(_PROBE,), reason=_PROBE),
        ListCase(leader=_PROBE, reason=_PROBE),
        LiftListing(reason=_PROBE),
        AssignLeader(user="\x00probe", reason=_PROBE, user_role=Role.leader),  # no user has this id
        JudgeComplaint(reasonable=False, reason=_PROBE),
        # mediation papers: 履行 and 司法确认 (a court id no case can hold: the application checks the real one)
        RecordPerformance(performed=True),
        ApplyJudicialConfirmation(court_department="\x00probe", applied_at=now),
        DecideJudicialConfirmation(confirmed=True),
    ]


def _regrade_probe(state: CaseState) -> Command:
    # any level but the current one: re-grading to the same level is refused
    other = RiskLevel.high if state.risk_level is not RiskLevel.high else RiskLevel.critical
    return RegradeRisk(risk_level=other, reason=_PROBE)


def _ref_probes(state: CaseState) -> list[tuple[str, Command]]:
    """Actions on one summons, meeting or commitment of the case."""
    probes: list[tuple[str, Command]] = [(x.summons_id, ReportToSummons(summons_id=x.summons_id))
                                         for x in state.summons]
    probes += [(m.meeting_id, RecordMeetingMinutes(meeting_id=m.meeting_id, attended=(_PROBE,)))
               for m in state.meetings]
    probes += [(c.commitment_id, FulfilCommitment(commitment_id=c.commitment_id)) for c in state.commitments]
    return probes


def _task_probes(task_id: str) -> list[Command]:
    return [
        AcknowledgeTask(task_id=task_id),
        ReturnTask(task_id=task_id, reason=_PROBE),
        RequestExtension(task_id=task_id, extra="1d", reason=_PROBE),
        DecideExtension(task_id=task_id, approve=False),
        ReplyTask(task_id=task_id, summary=_PROBE),
        DecideReturn(task_id=task_id, approve=False),
        RateTask(task_id=task_id, grade=Grade.good),
    ]


def _allowed(state: CaseState, command: Command, actor: Actor, now: datetime) -> bool:
    try:
        decide(state, command, actor, now)
    except (ActionRefused, NotPermitted):
        return False
    return True


def available_actions(state: CaseState, actor: Actor, now: datetime) -> list[AvailableAction]:
    """The actions ``actor`` may take on the case now: case actions first, then each task's, in task order."""
    probes = [*_case_probes(now), _route_probe(state), _regrade_probe(state)]
    found = [AvailableAction(c.kind) for c in probes if _allowed(state, c, actor, now)]
    found += [AvailableAction(c.kind, ref=ref) for ref, c in _ref_probes(state) if _allowed(state, c, actor, now)]
    for task in state.tasks:
        probes = [*_task_probes(task.task_id),  # 责任人: someone else of the liaison's own department
                  NameAssignee(task_id=task.task_id, user="\x00probe", user_department=actor.department)]
        found += [AvailableAction(c.kind, task.task_id) for c in probes if _allowed(state, c, actor, now)]
    return found


def available_papers(state: CaseState, actor: Actor, now: datetime) -> list[DocumentKind]:
    """The papers ``actor`` may issue from the case's record now (出具协议书 and the others), in the case file's
    order. Issuing the same contents again answers the paper already issued, so a paper stays offered."""
    number = state.case_number or _PROBE
    return [kind for kind in DocumentKind
            if _allowed(state, IssueDocument(document=kind, number=number, sha256="0" * 64, size=1), actor, now)]


def may_file_signed_agreement(state: CaseState, actor: Actor, now: datetime) -> bool:
    """Whether ``actor`` may upload the parties' signed scan of the issued agreement now (上传签字版)."""
    probe = AddAttachment(sha256="0" * 64, name=_PROBE, media_type="application/pdf", size=1,
                          attachment_kind="signed_agreement")
    return _allowed(state, probe, actor, now)
