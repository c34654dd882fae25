"""The state of one case, and what each event does to it: ``evolve`` and ``fold``.

This is the one definition of what an event means: the workflow, the projections and the auditor's replay
all fold the same events with these functions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Literal, TypeVar, assert_never

from pydantic import BaseModel

from domain.calendar import with_year
from domain.events import (
    Actor,
    DomainEvent,
    DueTimes,
    Frozen,
    NotificationKind,
    Party,
    RecordedEvent,
)
from domain.holiday_schedule import AnnouncedYear
from domain.organisation import JurisdictionLevel
from domain.policy import PinnedPolicy
from domain.vocabulary import (
    AGREEMENT_CLOCKS,
    WATCH_CLOCKS,
    ArchiveReason,
    Channel,
    Clock,
    DocumentKind,
    Grade,
    MediationMethod,
    Outcome,
    RiskLevel,
    Role,
    Satisfaction,
    Stage,
    TaskRole,
    TaskStatus,
)

_M = TypeVar("_M", bound=BaseModel)
_set = object.__setattr__  # past a frozen model's __setattr__, as pydantic's own copy does


class Escalation(Frozen):
    task_id: str  # the task, or the watch (summons report, commitment, follow-up) for those clocks
    department: str | None  # None for the centre's own follow-up
    clock: Clock
    level: int
    at: datetime
    cleared_at: datetime | None = None


class PendingExtension(Frozen):
    extra: str
    reason: str
    requested_at: datetime


class Task(Frozen):
    task_id: str
    department: str
    role: TaskRole
    status: TaskStatus
    assigned_at: datetime
    acknowledge_due_at: datetime
    reply_due_at: datetime
    escalation_level: int = 0
    reminded: tuple[tuple[Clock, float], ...] = ()
    acknowledged_at: datetime | None = None
    replied_at: datetime | None = None
    reply_summary: str | None = None
    return_reason: str | None = None
    pending_extension: PendingExtension | None = None
    escalate_to: str | None = None
    return_requested_at: datetime | None = None
    forced: bool = False  # 强制派单: a return was refused; the task can no longer be returned
    extended: tuple[tuple[datetime, datetime], ...] = ()  # approved extensions: reply due before and after
    grade: Grade | None = None  # 评定 of the department's handling, once replied
    assignee: str | None = None  # 责任人: a user id (the acknowledging liaison, or whom a liaison named)

    @property
    def open_clock(self) -> Clock | None:
        """The deadline this task is being watched on now, if any. A return awaiting its decision keeps
        the clock it was on running (if refused, the department carries on against the same deadline)."""
        if self.status is TaskStatus.pending_ack:
            return Clock.acknowledge
        if self.status is TaskStatus.acknowledged:
            return Clock.reply
        if self.status is TaskStatus.return_requested:
            return Clock.acknowledge if self.acknowledged_at is None else Clock.reply
        return None

    def due_at(self, clock: Clock) -> datetime:
        return self.acknowledge_due_at if clock is Clock.acknowledge else self.reply_due_at


class Meeting(Frozen):
    meeting_id: str
    at: datetime
    departments: tuple[str, ...]
    agenda: str


class Mediation(Frozen):
    mediation_id: str
    method: MediationMethod
    agreement_reached: bool
    terms: str | None = None
    at: datetime
    disputes: str | None = None
    performance_method: str | None = None
    performance_due: datetime | None = None


class IssuedDocument(Frozen):
    document_id: str
    kind: DocumentKind
    number: str
    sha256: str
    size: int
    issued_at: datetime


class Performance(Frozen):
    """履行 of the agreement of one mediation: watched (``watch_id``) until it is recorded."""

    mediation_id: str
    watch_id: str
    due_at: datetime
    performed: bool | None = None  # None: not yet recorded
    note: str | None = None
    recorded_at: datetime | None = None


class JudicialConfirmation(Frozen):
    """司法确认: the window after the agreement, the application and the court's ruling."""

    watch_id: str
    window_due_at: datetime
    court_department: str | None = None
    applied_at: datetime | None = None
    confirmed: bool | None = None
    ruling_no: str | None = None
    note: str | None = None
    decided_at: datetime | None = None


class FollowUp(Frozen):
    satisfaction: Satisfaction
    note: str | None = None
    at: datetime


class Delivery(Frozen):
    """One channel of a notification and how it went (送达记录)."""

    channel_id: str
    department: str
    role: str
    address: str  # redacted: never a secret
    status: Literal["pending", "deferred", "delivered", "failed"] = "pending"
    attempts: int = 0
    delivered_at: datetime | None = None
    reason: str | None = None


class NotificationRecord(Frozen):
    notification_id: str
    kind: NotificationKind
    level: int
    task_id: str | None = None
    due_at: datetime | None = None
    recipients: tuple[str, ...]
    text: str
    link: str
    urgent: bool
    give_up_after_s: int
    created_at: datetime
    deferred_until: datetime | None = None
    deliveries: tuple[Delivery, ...] = ()

    @property
    def undelivered(self) -> tuple[Delivery, ...]:
        return tuple(d for d in self.deliveries if d.status in ("pending", "deferred"))
class Attachment(Frozen):
    sha256: str
    name: str
    media_type: str
    size: int
    added_at: datetime  # who added it is the event's actor (the timeline shows it)


class CommitmentRecord(Frozen):
    commitment_id: str
    meeting_id: str
    department: str
    what: str
    due_at: datetime
    fulfilled_at: datetime | None = None


class MeetingMinutes(Frozen):
    meeting_id: str
    attended: tuple[str, ...]
    at: datetime


class SummonedDepartment(Frozen):
    department: str
    reported_at: datetime | None = None
    note: str | None = None


class Summons(Frozen):
    summons_id: str
    reason: str
    at: datetime
    due_at: datetime
    departments: tuple[SummonedDepartment, ...]


class Listing(Frozen):
    """挂牌督办 by hand, with the leader in personal charge (领导包案)."""

    leader: str  # free text (listings before leader users), or the leader user's id when ``leader_user`` is set
    reason: str
    since: datetime
    leader_user: str | None = None


class CaseLeader(Frozen):
    """包案: the leader user in personal charge of the case (by id), since when and why."""

    user: str
    reason: str
    since: datetime


class Watch(Frozen):
    """A deadline watched beside the tasks' clocks: a summoned department's report, a meeting commitment,
    the follow-up. It climbs the same ladder (reminder, warning, listed supervision)."""

    watch_id: str
    clock: Clock  # report, commitment or follow_up
    department: str | None  # None: the centre's own follow-up
    started_at: datetime
    due_at: datetime
    escalation_level: int = 0
    reminded: tuple[float, ...] = ()
    done_at: datetime | None = None  # reported, fulfilled, followed up
    closed: bool = False  # no longer watched: the case moved on (resolution submitted)
    escalate_to: str | None = None

    @property
    def open(self) -> bool:
        return self.done_at is None and not self.closed


class CaseState(Frozen):
    case_id: str
    version: int = 0  # the sequence number of the last event folded in
    stage: Stage = Stage.intake
    title: str = ""
    description: str = ""
    category: str = ""
    channel: Channel | None = None
    grid_id: str = ""
    # where it is handled now (上交 moves it up); a case received before levels were recorded: the street
    handling_level: JurisdictionLevel = JurisdictionLevel.street
    risk_level: RiskLevel = RiskLevel.medium
    parties: tuple[Party, ...] = ()
    policy: PinnedPolicy | None = None  # parsed once, when the case is received
    received_at: datetime | None = None
    organisation: str | None = None  # fingerprint of the organisation the case was received under
    departments: tuple[str, ...] | None = None  # that organisation's department ids (None: received before kept)
    duplicate_of: str | None = None
    not_accepted_reason: str | None = None
    tasks: tuple[Task, ...] = ()
    returned_by: tuple[str, ...] = ()  # departments that returned the case: not routed to again
    escalations: tuple[Escalation, ...] = ()
    paused_at: datetime | None = None
    meetings: tuple[Meeting, ...] = ()
    mediations: tuple[Mediation, ...] = ()
    outcome: Outcome | None = None
    resolution_summary: str | None = None
    verified: bool = False
    follow_ups: tuple[FollowUp, ...] = ()
    reopen_count: int = 0
    archive_reason: ArchiveReason | None = None
    archived_at: datetime | None = None
    last_event_at: datetime | None = None
    notifications: tuple[NotificationRecord, ...] = ()  # notifications (送达)
    attachments: tuple[Attachment, ...] = ()  # 调解协议书, 笔录, photos, content-addressed
    # supervision as practised
    summons: tuple[Summons, ...] = ()
    minutes: tuple[MeetingMinutes, ...] = ()
    commitments: tuple[CommitmentRecord, ...] = ()
    watches: tuple[Watch, ...] = ()
    listing: Listing | None = None
    leader: CaseLeader | None = None  # 包案领导 (stays on record after the case is resolved)
    complaint_pending: bool = False  # a dissatisfied follow-up awaits a supervisor's judgement
    follow_up_due_at: datetime | None = None
    # mediation papers
    documents: tuple[IssuedDocument, ...] = ()
    signed_agreements: tuple[tuple[str, str], ...] = ()  # (attachment sha256, agreement document_id)
    performances: tuple[Performance, ...] = ()
    judicial_confirmation: JudicialConfirmation | None = None
    # 研判
    repeat_of: tuple[str, ...] = ()  # 重复来访: earlier cases of a visitor of this one, latest first
    clusters: tuple[str, ...] = ()  # the cluster alerts (聚集预警) the case is one of

    def document(self, document_id: str) -> IssuedDocument | None:
        return next((d for d in self.documents if d.document_id == document_id), None)

    def latest_document(self, kind: DocumentKind) -> IssuedDocument | None:
        return next((d for d in reversed(self.documents) if d.kind is kind), None)

    @property
    def case_number(self) -> str | None:
        """The number every paper of the case carries, once the first one was issued."""
        return self.documents[0].number if self.documents else None

    @property
    def agreement(self) -> Mediation | None:
        """The latest mediation that reached an agreement: the one the agreement paper sets out."""
        return next((m for m in reversed(self.mediations) if m.agreement_reached), None)

    @property
    def open_performance(self) -> Performance | None:
        return next((p for p in self.performances if p.performed is None), None)

    def watch(self, watch_id: str) -> Watch | None:
        return next((w for w in self.watches if w.watch_id == watch_id), None)

    def summons_by_id(self, summons_id: str) -> Summons | None:
        return next((x for x in self.summons if x.summons_id == summons_id), None)

    def commitment(self, commitment_id: str) -> CommitmentRecord | None:
        return next((c for c in self.commitments if c.commitment_id == commitment_id), None)

    @property
    def open_watches(self) -> tuple[Watch, ...]:
        return tuple(w for w in self.watches if w.open)

    @property
    def as_practised(self) -> bool:
        """Whether the case was received under the supervision rules as practised (domain/policy.py)."""
        return self.policy is not None and self.policy.policy.as_practised

    def task(self, task_id: str) -> Task | None:
        return next((t for t in self.tasks if t.task_id == task_id), None)

    @property
    def active_tasks(self) -> tuple[Task, ...]:
        return tuple(t for t in self.tasks if t.open_clock is not None)

    @property
    def open_escalations(self) -> tuple[Escalation, ...]:
        return tuple(e for e in self.escalations if e.cleared_at is None)


def named_people(state: CaseState) -> set[str]:
    """The user ids the case names: its tasks' 责任人, its 包案 leader, its listing's leader user (the names are
    the users table's, looked up when shown)."""
    ids = {t.assignee for t in state.tasks if t.assignee}
    if state.leader is not None:
        ids.add(state.leader.user)
    if state.listing is not None and state.listing.leader_user:
        ids.add(state.listing.leader_user)
    return ids


def _replaced(model: _M, changes: Mapping[str, object]) -> _M:
    """``model.model_copy(update=changes)`` (no validation, the same fields set), without model_copy's generic
    steps: three ``copy.copy`` calls and the extra-fields check cost twice the copy itself, and a replay makes
    a copy for nearly every event. The state's parts are frozen models with no extra fields and no private
    attributes (tests/domain/test_case_fold.py checks the copies equal model_copy's); any other model goes
    through model_copy."""
    if model.__pydantic_extra__ is not None or model.__pydantic_private__ is not None:
        return model.model_copy(update=changes)
    copied = type(model).__new__(type(model))
    _set(copied, "__dict__", {**model.__dict__, **changes})
    _set(copied, "__pydantic_fields_set__", model.__pydantic_fields_set__ | changes.keys())
    _set(copied, "__pydantic_extra__", None)
    _set(copied, "__pydantic_private__", None)
    return copied


def _with_task(state: CaseState, task_id: str, **changes: object) -> tuple[Task, ...]:
    return tuple(_replaced(t, changes) if t.task_id == task_id else t for t in state.tasks)


def _with_watch(state: CaseState, watch_id: str, **changes: object) -> tuple[Watch, ...]:
    return tuple(_replaced(w, changes) if w.watch_id == watch_id else w for w in state.watches)


def _move_watched(state: CaseState, moved: dict[str, datetime]) -> dict[str, object]:
    """The watched deadlines (reports, commitments, follow-up) at their new due times."""
    return {
        "watches": tuple(_replaced(w, {"due_at": moved[w.watch_id]}) if w.watch_id in moved else w
                         for w in state.watches),
        "commitments": tuple(_replaced(c, {"due_at": moved[c.commitment_id]})
                             if c.commitment_id in moved else c for c in state.commitments),
        # a summons' departments share one deadline: it moves with theirs
        "summons": tuple(_replaced(x, {"due_at": next(
            (moved[k] for d in x.departments if (k := summons_watch_id(x.summons_id, d.department)) in moved),
            x.due_at)}) for x in state.summons),
    }


def summons_watch_id(summons_id: str, department: str) -> str:
    return f"{summons_id}:{department}"


def _close_escalations(state: CaseState, task_id: str, clock: Clock | None, at: datetime) -> tuple[Escalation, ...]:
    return tuple(
        _replaced(e, {"cleared_at": at})
        if e.task_id == task_id and e.cleared_at is None and (clock is None or e.clock is clock)
        else e
        for e in state.escalations
    )


def _apply_due_times(state: CaseState, due_times: Iterable[DueTimes], **changes: object) -> tuple[Task, ...]:
    by_id = {d.task_id: d for d in due_times}
    return tuple(
        _replaced(t, {
            "acknowledge_due_at": by_id[t.task_id].acknowledge_due_at,
            "reply_due_at": by_id[t.task_id].reply_due_at,
            **changes,
        })
        if t.task_id in by_id
        else t
        for t in state.tasks
    )


def _cancel_open_tasks(tasks: Iterable[Task]) -> tuple[Task, ...]:
    return tuple(
        _replaced(t, {"status": TaskStatus.cancelled, "pending_extension": None})
        if t.open_clock is not None
        else t
        for t in tasks
    )


def _with_notification(state: CaseState, notification_id: str, channel_id: str | None,
                       deferred_until: datetime | None = None, **changes: object) -> tuple[NotificationRecord, ...]:
    """Change the deliveries of one notification: one channel's, or (``channel_id`` None) every undelivered one."""
    def changed(n: NotificationRecord) -> NotificationRecord:
        deliveries = tuple(
            _replaced(d, changes)
            if (d.channel_id == channel_id if channel_id is not None else d.status in ("pending", "deferred"))
            else d
            for d in n.deliveries)
        update: dict[str, object] = {"deliveries": deliveries}
        if deferred_until is not None:
            update["deferred_until"] = deferred_until
        return _replaced(n, update)

    return tuple(changed(n) if n.notification_id == notification_id else n for n in state.notifications)


def evolve(state: CaseState, event: DomainEvent, at: datetime, seq: int | None = None,
           actor: Actor | None = None) -> CaseState:
    """The state after ``event`` (which occurred at ``at``, by ``actor`` when known). Pure; never fails on a
    recorded event. Only an acknowledgement looks at its actor: the liaison who acknowledged becomes the task's
    责任人, so every acknowledgement ever recorded names one without a new event.

    What each event changes is ``_changes``; one copy applies it."""
    return _replaced(state, _changes(state, event, at, seq, actor))


def _changes(s: CaseState, event: DomainEvent, at: datetime, seq: int | None,
             actor: Actor | None) -> dict[str, object]:
    """The fields ``event`` changes in ``s``, with their new values: the one definition of every transition,
    applied by ``evolve`` (a copy) and by ``fold`` (its working copy). Reads ``s``, never changes it."""
    changes: dict[str, object]
    # On the type tag, not on class patterns: a class pattern is an isinstance check, and pydantic's model
    # classes are ABCs, so each arm tried before the right one cost ~0.3 µs (a third of the fold's own time).
    # mypy narrows ``event`` by its tag as it did by class, and still proves every event has an arm.
    match event.type:
        case "CaseReceived":
            changes = {
                "stage": Stage.triage, "title": event.title, "description": event.description,
                "category": event.category, "channel": event.channel, "grid_id": event.grid_id,
                "risk_level": event.risk_level, "parties": event.parties,
                "policy": event.policy, "received_at": at, "organisation": event.organisation,
                "departments": event.departments, "repeat_of": event.repeat_of,
                "handling_level": event.handling_level or JurisdictionLevel.street,
            }
        case "CaseNotAccepted":
            changes = {"not_accepted_reason": event.reason}
        case "CaseMarkedDuplicate":
            changes = {"duplicate_of": event.duplicate_of}
        case "CaseRouted":
            changes = {"stage": Stage.coordination}
        case "TaskAssigned":
            assigned = Task(
                task_id=event.task_id, department=event.department, role=event.role,
                status=TaskStatus.pending_ack, assigned_at=at, acknowledge_due_at=event.acknowledge_due_at,
                reply_due_at=event.reply_due_at, escalate_to=event.escalate_to,
            )
            changes = {"tasks": (*s.tasks, assigned)}
        case "TaskAcknowledged":
            acknowledger = actor.id if actor is not None and actor.role is Role.liaison else None
            changes = {"tasks": _with_task(s, event.task_id, status=TaskStatus.acknowledged, acknowledged_at=at,
                                           escalation_level=0, assignee=acknowledger)}
        case "TaskAssigneeNamed":
            changes = {"tasks": _with_task(s, event.task_id, assignee=event.user)}
        case "LeaderAssigned":
            changes = {"leader": CaseLeader(user=event.user, reason=event.reason, since=at)}
        case "TaskReturned":
            returning = s.task(event.task_id)
            returned = s.returned_by if returning is None or returning.department in s.returned_by \
                else (*s.returned_by, returning.department)
            tasks = _with_task(s, event.task_id, status=TaskStatus.returned, return_reason=event.reason,
                               escalation_level=0, pending_extension=None)
            # A return sends the whole case back to triage: the other departments' open tasks are cancelled.
            changes = {"stage": Stage.triage, "tasks": _cancel_open_tasks(tasks), "returned_by": returned}
        case "TaskReminded" if event.clock in WATCH_CLOCKS:
            watched = s.watch(event.task_id)
            changes = {} if watched is None else {"watches": _with_watch(
                s, event.task_id, escalation_level=max(watched.escalation_level, 1),
                reminded=(*watched.reminded, event.fraction))}
        case "TaskEscalated" if event.clock in WATCH_CLOCKS:
            watched = s.watch(event.task_id)
            changes = {}
            if watched is not None:
                escalation = Escalation(task_id=watched.watch_id, department=watched.department,
                                        clock=event.clock, level=event.level, at=at)
                changes = {
                    "watches": _with_watch(s, event.task_id,
                                           escalation_level=max(watched.escalation_level, event.level)),
                    "escalations": (*_close_escalations(s, watched.watch_id, event.clock, at), escalation),
                }
        case "EscalationCleared" if event.clock in WATCH_CLOCKS:
            changes = {
                "escalations": _close_escalations(s, event.task_id, event.clock, at),
                "watches": _with_watch(s, event.task_id, escalation_level=0),
            }
        case "TaskReminded":
            reminded = s.task(event.task_id)
            changes = {} if reminded is None else {"tasks": _with_task(
                s, event.task_id, escalation_level=max(reminded.escalation_level, 1),
                reminded=(*reminded.reminded, (event.clock, event.fraction)))}
        case "TaskEscalated":
            escalated = s.task(event.task_id)
            changes = {}
            if escalated is not None:
                escalation = Escalation(task_id=escalated.task_id, department=escalated.department,
                                        clock=event.clock, level=event.level, at=at)
                level = max(escalated.escalation_level, event.level)
                changes = {
                    "tasks": _with_task(s, event.task_id, escalation_level=level),
                    "escalations": (*_close_escalations(s, escalated.task_id, event.clock, at), escalation),
                }
        case "EscalationCleared":
            changes = {
                "escalations": _close_escalations(s, event.task_id, event.clock, at),
                "tasks": _with_task(s, event.task_id, escalation_level=0),
            }
        case "ExtensionRequested":
            changes = {"tasks": _with_task(s, event.task_id, pending_extension=PendingExtension(
                extra=event.extra, reason=event.reason, requested_at=at))}
        case "ExtensionDecided":
            extending = s.task(event.task_id)
            extended = () if extending is None else extending.extended
            if extending is not None and event.approved and event.reply_due_at != extending.reply_due_at:
                extended = (*extended, (extending.reply_due_at, event.reply_due_at))
            changes = {"tasks": _with_task(s, event.task_id, pending_extension=None, reply_due_at=event.reply_due_at,
                                           extended=extended)}
        case "ClockPaused":
            changes = {"paused_at": at}
        case "ClockResumed":
            changes = {"paused_at": None, "tasks": _apply_due_times(s, event.due_times)}
        case "TaskReplied":
            changes = {"tasks": _with_task(s, event.task_id, status=TaskStatus.replied, replied_at=at,
                                           reply_summary=event.summary, escalation_level=0)}
        case "MeetingConvened":
            meeting = Meeting(meeting_id=event.meeting_id, at=event.at, departments=event.departments,
                              agenda=event.agenda)
            changes = {"meetings": (*s.meetings, meeting)}
        case "MediationRecorded":
            mediation = Mediation(mediation_id=event.mediation_id, method=event.method,
                                  agreement_reached=event.agreement_reached, terms=event.terms, at=at,
                                  disputes=event.disputes, performance_method=event.performance_method,
                                  performance_due=event.performance_due)
            changes = {"mediations": (*s.mediations, mediation)}
            if event.performance_due is not None:
                changes.update(_watch_performance(s, event.mediation_id, event.performance_due, at))
        case "ResolutionSubmitted":
            changes = {"stage": Stage.supervision, "outcome": event.outcome, "resolution_summary": event.summary,
                       "tasks": _cancel_open_tasks(s.tasks), "verified": False}
            # summonses and commitments are not watched once the case is resolved; an agreement's deadlines are
            if any(w.clock not in AGREEMENT_CLOCKS for w in s.open_watches):
                changes["watches"] = tuple(_replaced(w, {"closed": True})
                                           if w.open and w.clock not in AGREEMENT_CLOCKS else w
                                           for w in s.watches)
        case "ResolutionVerified":
            changes = {"verified": True, "listing": None}  # 挂牌督办 ends when the case is resolved
        case "ResolutionRejected":
            changes = {"stage": Stage.coordination, "outcome": None, "resolution_summary": None,
                       "tasks": _apply_due_times(s, event.reopened, status=TaskStatus.acknowledged, replied_at=None,
                                                 reminded=(), escalation_level=0)}
        case "FollowUpRecorded":
            follow_up = FollowUp(satisfaction=event.satisfaction, note=event.note, at=at)
            changes = {"follow_ups": (*s.follow_ups, follow_up),
                       # as practised, a dissatisfied follow-up waits for a supervisor's judgement
                       "complaint_pending": s.as_practised and event.satisfaction is Satisfaction.dissatisfied}
            if s.follow_up_due_at is not None:
                changes["follow_up_due_at"] = None
                changes["watches"] = tuple(
                    _replaced(w, {"done_at": at}) if w.clock is Clock.follow_up and w.open else w
                    for w in s.watches)
        case "CaseReopened":
            changes = {"stage": Stage.coordination, "reopen_count": event.reopen_count, "verified": False,
                       "complaint_pending": False,
                       "outcome": None, "resolution_summary": None,
                       "tasks": _apply_due_times(s, event.reopened, status=TaskStatus.acknowledged, replied_at=None,
                                                 reminded=(), escalation_level=0)}
        case "CaseHandedUp":
            changes = {"handling_level": event.to_level}
        case "CaseArchived":
            changes = {"stage": Stage.archived, "archive_reason": event.reason, "archived_at": at,
                       "listing": None, "complaint_pending": False}
        # notifications
        case "NotificationIssued":
            record = NotificationRecord(
                notification_id=event.notification_id, kind=event.kind, level=event.level, task_id=event.task_id,
                due_at=event.due_at, recipients=event.recipients, text=event.text, link=event.link,
                urgent=event.urgent, give_up_after_s=event.give_up_after_s, created_at=at,
                deliveries=tuple(Delivery(channel_id=t.channel_id, department=t.department, role=t.role,
                                          address=t.address) for t in event.targets))
            changes = {"notifications": (*s.notifications, record)}
        case "NotificationDeferred":
            changes = {"notifications": _with_notification(s, event.notification_id, None, deferred_until=event.until,
                                                           status="deferred")}
        case "NotificationDelivered":
            changes = {"notifications": _with_notification(s, event.notification_id, event.channel_id,
                                                           status="delivered", attempts=event.attempts,
                                                           delivered_at=at)}
        case "NotificationFailed":
            changes = {"notifications": _with_notification(s, event.notification_id, event.channel_id,
                                                           status="failed", attempts=event.attempts,
                                                           reason=event.reason)}
        # 调解协议书, 笔录, photos, content-addressed
        case "AttachmentAdded":
            changes = {"attachments": (*s.attachments, Attachment(
                sha256=event.sha256, name=event.name, media_type=event.media_type, size=event.size, added_at=at))}
        # --- supervision as practised
        case "ReturnRequested":
            changes = {"tasks": _with_task(s, event.task_id, status=TaskStatus.return_requested,
                                           return_reason=event.reason, return_requested_at=at)}
        case "ReturnDecided":
            decided = s.task(event.task_id)
            if event.approved or decided is None:
                changes = {}  # the TaskReturned or TaskWithdrawn that follows does the rest
            else:  # 强制派单: back to work on the same clocks
                status = TaskStatus.pending_ack if decided.acknowledged_at is None else TaskStatus.acknowledged
                changes = {"tasks": _with_task(s, event.task_id, status=status, forced=True)}
        case "TaskWithdrawn":
            withdrawn = s.task(event.task_id)
            returned = s.returned_by if withdrawn is None or withdrawn.department in s.returned_by \
                else (*s.returned_by, withdrawn.department)
            changes = {"tasks": _with_task(s, event.task_id, status=TaskStatus.returned, return_reason=event.reason,
                                           escalation_level=0, pending_extension=None),
                       "returned_by": returned}
        case "DepartmentsSummoned":
            summons = Summons(summons_id=event.summons_id, reason=event.reason, at=at, due_at=event.due_at,
                              departments=tuple(SummonedDepartment(department=d) for d in event.departments))
            watches = tuple(Watch(watch_id=summons_watch_id(event.summons_id, d), clock=Clock.report,
                                  department=d, started_at=at, due_at=event.due_at,
                                  escalate_to=event.escalate_to.get(d)) for d in event.departments)
            changes = {"summons": (*s.summons, summons), "watches": (*s.watches, *watches)}
        case "SummonsReported":
            changes = {
                "summons": tuple(
                    _replaced(x, {"departments": tuple(
                        _replaced(d, {"reported_at": at, "note": event.note})
                        if d.department == event.department else d for d in x.departments)})
                    if x.summons_id == event.summons_id else x
                    for x in s.summons),
                "watches": _with_watch(s, summons_watch_id(event.summons_id, event.department), done_at=at,
                                       escalation_level=0),
            }
        case "MeetingMinutesRecorded":
            taken = tuple(CommitmentRecord(commitment_id=c.commitment_id, meeting_id=event.meeting_id,
                                           department=c.department, what=c.what, due_at=c.due_at)
                          for c in event.commitments)
            watches = tuple(Watch(watch_id=c.commitment_id, clock=Clock.commitment, department=c.department,
                                  started_at=at, due_at=c.due_at) for c in event.commitments)
            changes = {"minutes": (*s.minutes, MeetingMinutes(meeting_id=event.meeting_id, attended=event.attended,
                                                              at=at)),
                       "commitments": (*s.commitments, *taken), "watches": (*s.watches, *watches)}
        case "CommitmentFulfilled":
            changes = {
                "commitments": tuple(_replaced(c, {"fulfilled_at": at})
                                     if c.commitment_id == event.commitment_id else c for c in s.commitments),
                "watches": _with_watch(s, event.commitment_id, done_at=at, escalation_level=0),
            }
        case "CaseListed":
            changes = {"listing": Listing(leader=event.leader, reason=event.reason, since=at,
                                          leader_user=event.leader_user)}
        case "ListingLifted":
            changes = {"listing": None}
        case "RiskRegraded":
            changes = {"risk_level": event.risk_level}
        case "FollowUpScheduled":
            watch = Watch(watch_id=event.follow_up_id, clock=Clock.follow_up, department=None, started_at=at,
                          due_at=event.due_at)
            changes = {"follow_up_due_at": event.due_at, "watches": (*s.watches, watch)}
        case "ComplaintJudged":
            changes = {"complaint_pending": False}
        case "TaskRated":
            changes = {"tasks": _with_task(s, event.task_id, grade=event.grade)}
        case "WatchedDeadlinesMoved":
            changes = _move_watched(s, {d.watch_id: d.due_at for d in event.due_times})
        case "CalendarUpdated":
            changes = _move_watched(s, {m.ref: m.after for m in event.moved if m.clock in WATCH_CLOCKS})
            moved = {(m.ref, m.clock): m.after for m in event.moved if m.clock not in WATCH_CLOCKS}
            changes["tasks"] = tuple(_replaced(t, {
                "acknowledge_due_at": moved.get((t.task_id, Clock.acknowledge), t.acknowledge_due_at),
                "reply_due_at": moved.get((t.task_id, Clock.reply), t.reply_due_at),
            }) if (t.task_id, Clock.acknowledge) in moved or (t.task_id, Clock.reply) in moved else t for t in s.tasks)
            if s.policy is not None:  # the case's calendar holds the announced year from now on
                calendar = with_year(s.policy.calendar, AnnouncedYear(
                    year=event.year, holidays=event.holidays, workdays=event.workdays))
                changes["policy"] = _replaced(s.policy, {"calendar": calendar})
        # mediation papers
        case "DocumentIssued":
            changes = {"documents": (*s.documents, IssuedDocument(
                document_id=event.document_id, kind=event.kind, number=event.number, sha256=event.sha256,
                size=event.size, issued_at=at))}
        case "SignedAgreementFiled":
            changes = {"signed_agreements": (*s.signed_agreements, (event.sha256, event.document_id))}
        case "PerformanceRecorded":
            open_one = next((p for p in s.performances if p.mediation_id == event.mediation_id
                             and p.performed is None), None)
            performances = tuple(
                _replaced(p, {"performed": event.performed, "note": event.note, "recorded_at": at})
                if p is open_one else p for p in s.performances)
            watches = s.watches if open_one is None else _with_watch(s, open_one.watch_id, done_at=at,
                                                                      escalation_level=0)
            changes = {"performances": performances, "watches": watches}
            if event.performance_due is not None:  # not performed: watched again against the new deadline
                changes.update(_watch_performance(_replaced(s, changes), event.mediation_id,
                                                  event.performance_due, at))
        case "JudicialConfirmationWindowOpened":
            changes = {"judicial_confirmation": JudicialConfirmation(watch_id=event.watch_id,
                                                                     window_due_at=event.due_at),
                       "watches": (*s.watches, Watch(watch_id=event.watch_id, clock=Clock.judicial_confirmation,
                                                     department=None, started_at=at, due_at=event.due_at))}
        case "JudicialConfirmationApplied":
            confirmation = s.judicial_confirmation
            changes = {} if confirmation is None else {
                "judicial_confirmation": _replaced(confirmation, {
                    "court_department": event.court_department, "applied_at": event.applied_at}),
                "watches": _with_watch(s, confirmation.watch_id, done_at=at, escalation_level=0)}
        case "JudicialConfirmationDecided":
            changes = {} if s.judicial_confirmation is None else {
                "judicial_confirmation": _replaced(s.judicial_confirmation, {
                    "confirmed": event.confirmed, "ruling_no": event.ruling_no, "note": event.note,
                    "decided_at": at})}
        case "ClusterDetected":
            changes = {"clusters": (*s.clusters, event.alert_id)}
        case _:  # every event has its arm: mypy proves it, so a new event cannot be folded as nothing by mistake
            assert_never(event)
    changes["version"] = seq if seq is not None else s.version + 1
    changes["last_event_at"] = at
    return changes


def performance_watch_id(mediation_id: str, n: int) -> str:
    return f"{mediation_id}-P{n}"


def _watch_performance(state: CaseState, mediation_id: str, due: datetime, at: datetime) -> dict[str, object]:
    """The agreement's 履行期限, watched from now (the centre's own work: the mediator is reminded)."""
    watch_id = performance_watch_id(mediation_id, sum(p.mediation_id == mediation_id for p in state.performances) + 1)
    return {
        "performances": (*state.performances, Performance(mediation_id=mediation_id, watch_id=watch_id, due_at=due)),
        "watches": (*state.watches, Watch(watch_id=watch_id, clock=Clock.performance, department=None,
                                          started_at=at, due_at=due)),
    }


def fold(events: Iterable[RecordedEvent], state: CaseState | None = None) -> CaseState:
    """The state of a case after ``events`` (in sequence order), starting from ``state`` or nothing: the same
    state as ``evolve`` applied event by event (tests/domain/test_case_fold.py checks every event type).

    Copying the state's ~55 fields for every event was most of a replay's fold, so the events are applied to
    one working copy of the state, changed in place, as ``model_copy`` applies an update to its copy. Nobody
    else holds that copy until it is returned; ``state`` itself is never changed. Every value ``_changes``
    puts in is immutable, so nothing in the result is shared with anything that changes later."""
    work: CaseState | None = None
    for recorded in events:
        if work is None:
            work = CaseState(case_id=recorded.case_id) if state is None else state.model_copy()
        changes = _changes(work, recorded.payload, recorded.occurred_at, recorded.seq, recorded.actor)
        work.__dict__.update(changes)
        work.__pydantic_fields_set__.update(changes)
    if work is None:
        if state is None:
            raise ValueError("fold needs at least one event or a starting state")
        return state
    return work
