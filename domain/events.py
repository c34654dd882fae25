"""Domain events: the permanent record. Frozen value objects named in the past tense (docs/domain.md).

An event's payload is one of the classes below; the envelope around it (case id, sequence, event id, time,
actor, schema version, hash chain) is added by :class:`PendingEvent` and the store. Old schema versions are
upcast when read (``domain.upcasting``), never rewritten."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, ClassVar, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, TypeAdapter, model_serializer

from domain.organisation import JurisdictionLevel
from domain.policy import PinnedPolicy
from domain.vocabulary import (
    ArchiveReason,
    Channel,
    Clock,
    DocumentKind,
    Grade,
    MediationMethod,
    NotAcceptedReason,
    Outcome,
    PartyRole,
    RiskLevel,
    Role,
    Satisfaction,
    TaskRole,
)


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Actor(Frozen):
    """Who did it. ``name`` (a person's display name) and ``jurisdiction`` (a grid worker's grid) came later:
    when absent the actor serializes without the key, exactly as every event stored before them, so no stored
    hash changes."""

    role: Role
    id: str
    department: str | None = None
    name: str | None = None
    jurisdiction: str | None = None

    @model_serializer(mode="wrap")
    def _without_absent_keys(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        for key in ("name", "jurisdiction"):
            if data.get(key) is None:
                data.pop(key, None)
        return data


SYSTEM_ACTOR = Actor(role=Role.system, id="liandiao")


class Party(Frozen):
    name: str
    role: PartyRole
    phone: str | None = None
    id_number: str | None = None


class EventPayload(Frozen):
    schema_version: ClassVar[int] = 1


class CaseReceived(EventPayload):
    type: Literal["CaseReceived"] = "CaseReceived"
    title: str
    description: str
    category: str
    channel: Channel
    grid_id: str
    risk_level: RiskLevel
    parties: tuple[Party, ...]
    policy: PinnedPolicy  # the policy in force when the case was received, with its calendar data
    duplicate_of: str | None = None
    # sha256 of the organisation in force at intake (Organisation.fingerprint): which one routed the case.
    # Added with named people, without a new schema version: events stored before have no such key, read as None,
    # and their hashes cover the data as stored.
    organisation: str | None = None
    # The department ids of that organisation, so the case itself refuses a route to any other (a direct client
    # of the workflow included). Events stored before have no such key: read as None, no such check.
    departments: tuple[str, ...] | None = None
    # Where the case is handled from the start (上交 moves it up): the level of the jurisdiction that received it.
    # 重复来访: earlier cases (in the repeat window) of a visitor of this one, latest first, matched by keyed hash.
    # Both came later, without a new schema version: absent (no level, no repeat) they serialize without their
    # keys, exactly as every event stored before, so no stored hash changes; such a case is read as handled at
    # the street (domain/case.py).
    handling_level: JurisdictionLevel | None = None
    repeat_of: tuple[str, ...] = ()

    @model_serializer(mode="wrap")
    def _without_absent_fields(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        if data.get("handling_level") is None:
            data.pop("handling_level", None)
        if not data.get("repeat_of"):
            data.pop("repeat_of", None)
        return data


class CaseNotAccepted(EventPayload):
    """v2 added ``reason_code``; v1 events are upcast (domain/upcasting.py)."""

    schema_version: ClassVar[int] = 2
    type: Literal["CaseNotAccepted"] = "CaseNotAccepted"
    reason: str
    reason_code: NotAcceptedReason


class CaseMarkedDuplicate(EventPayload):
    type: Literal["CaseMarkedDuplicate"] = "CaseMarkedDuplicate"
    duplicate_of: str


class CaseRouted(EventPayload):
    type: Literal["CaseRouted"] = "CaseRouted"
    lead_department: str
    co_departments: tuple[str, ...] = ()
    note: str | None = None
    suggested_lead: str | None = None  # what the routing rules proposed; differs when the mediator overrode


class TaskAssigned(EventPayload):
    type: Literal["TaskAssigned"] = "TaskAssigned"
    task_id: str
    department: str
    role: TaskRole
    acknowledge_due_at: datetime
    reply_due_at: datetime
    escalate_to: str | None = None  # the jurisdiction one level up, told of listed supervision (挂牌督办)


class TaskAcknowledged(EventPayload):
    type: Literal["TaskAcknowledged"] = "TaskAcknowledged"
    task_id: str


class TaskReturned(EventPayload):
    type: Literal["TaskReturned"] = "TaskReturned"
    task_id: str
    reason: str


class TaskReminded(EventPayload):
    type: Literal["TaskReminded"] = "TaskReminded"
    task_id: str
    clock: Clock
    fraction: float
    due_at: datetime


class TaskEscalated(EventPayload):
    type: Literal["TaskEscalated"] = "TaskEscalated"
    task_id: str
    clock: Clock
    level: Literal[2, 3]
    due_at: datetime
    notify_jurisdiction: str | None = None  # level 3: the next jurisdiction level up


class EscalationCleared(EventPayload):
    type: Literal["EscalationCleared"] = "EscalationCleared"
    task_id: str
    clock: Clock
    level: int


class ExtensionRequested(EventPayload):
    type: Literal["ExtensionRequested"] = "ExtensionRequested"
    task_id: str
    extra: str
    reason: str


class ExtensionDecided(EventPayload):
    type: Literal["ExtensionDecided"] = "ExtensionDecided"
    task_id: str
    approved: bool
    note: str | None = None
    reply_due_at: datetime  # the reply deadline after the decision (unchanged when refused)


class ClockPaused(EventPayload):
    type: Literal["ClockPaused"] = "ClockPaused"
    reason: str


class DueTimes(Frozen):
    task_id: str
    acknowledge_due_at: datetime
    reply_due_at: datetime


class ClockResumed(EventPayload):
    type: Literal["ClockResumed"] = "ClockResumed"
    reason: str
    due_times: tuple[DueTimes, ...] = ()  # open tasks' deadlines, moved by the paused time


class TaskReplied(EventPayload):
    type: Literal["TaskReplied"] = "TaskReplied"
    task_id: str
    summary: str


class TaskRated(EventPayload):
    """评定 of a department's handling of its task (a replied one)."""

    type: Literal["TaskRated"] = "TaskRated"
    task_id: str
    grade: Grade
    note: str | None = None


class MeetingConvened(EventPayload):
    type: Literal["MeetingConvened"] = "MeetingConvened"
    meeting_id: str
    at: datetime
    departments: tuple[str, ...]
    agenda: str


class MediationRecorded(EventPayload):
    """The agreement's contents beyond its terms (人民调解法 Art. 29: the points in dispute and each party's
    responsibility, how and by when it is carried out) came later. Absent, they serialize without their keys,
    exactly as every mediation stored before them, so no stored hash changes. A ``performance_due`` is watched
    (履行) until the mediator records the performance."""

    type: Literal["MediationRecorded"] = "MediationRecorded"
    mediation_id: str
    method: MediationMethod
    agreement_reached: bool
    terms: str | None = None
    disputes: str | None = None  # 争议事项 and each party's responsibility
    performance_method: str | None = None  # 履行方式
    performance_due: datetime | None = None  # 履行期限

    @model_serializer(mode="wrap")
    def _without_absent_papers(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        for key in ("disputes", "performance_method", "performance_due"):
            if data.get(key) is None:
                data.pop(key, None)
        return data


class ResolutionSubmitted(EventPayload):
    type: Literal["ResolutionSubmitted"] = "ResolutionSubmitted"
    outcome: Outcome
    summary: str


class ResolutionVerified(EventPayload):
    type: Literal["ResolutionVerified"] = "ResolutionVerified"
    note: str | None = None


class ResolutionRejected(EventPayload):
    type: Literal["ResolutionRejected"] = "ResolutionRejected"
    note: str | None = None
    reopened: tuple[DueTimes, ...] = ()  # tasks sent back to work, with their new reply deadlines


class FollowUpRecorded(EventPayload):
    type: Literal["FollowUpRecorded"] = "FollowUpRecorded"
    satisfaction: Satisfaction
    note: str | None = None


class CaseReopened(EventPayload):
    type: Literal["CaseReopened"] = "CaseReopened"
    reason: str
    reopen_count: int
    reopened: tuple[DueTimes, ...] = ()


class CaseHandedUp(EventPayload):
    """上交: the case is handled one jurisdiction level up from now on; that level's centre is told."""

    type: Literal["CaseHandedUp"] = "CaseHandedUp"
    from_level: JurisdictionLevel
    to_level: JurisdictionLevel
    reason: str


class CaseArchived(EventPayload):
    type: Literal["CaseArchived"] = "CaseArchived"
    reason: ArchiveReason


# --- notifications (送达). A notification is issued with the event that causes it; each channel's
# outcome is appended by the workflow that delivers it, so the proof of delivery sits in the hash chain.

NotificationKind = Literal["assignment", "reminder", "warning", "listed_supervision", "critical_alert", "summons",
                           "return_requested", "judicial_confirmation", "monthly_report",
                           "handed_up", "cluster_alert", "leader_assignment", "extension_requested",
                           "extension_decided", "return_decided", "verification_rejected", "case_reopened",
                           "clock_paused", "clock_resumed", "summons_reported"]


class ClusterDetected(EventPayload):
    """聚集预警: the case is one of a cluster alert's (domain/clusters.py). ``opened``: this case's intake opened
    the alert (its record carries the centres' notification); the others opened with it, or joined later."""

    type: Literal["ClusterDetected"] = "ClusterDetected"
    alert_id: str
    jurisdiction: str  # the community
    category: str
    case_ids: tuple[str, ...]  # the alert's cases when this one was recorded, oldest first
    opened: bool = False


class DeliveryTarget(Frozen):
    """One channel a notification goes out on, as recorded: never the URL itself (it may embed a robot key or a
    password), only a stable id and a redacted address (scheme and host or recipient)."""

    channel_id: str  # "{department}/{role}/{index}/{first 12 hex of sha256(url)}"; a person's: "user/{id}/..."
    department: str  # the department told; for a person's own channel (role "user"), the person's id
    role: Literal["liaisons", "head", "user"]
    address: str  # e.g. "json://127.0.0.1:8080/hook", "mailto://liaison@example.org", "wecombot://***"


class NotificationIssued(EventPayload):
    type: Literal["NotificationIssued"] = "NotificationIssued"
    notification_id: str
    kind: NotificationKind
    level: int  # 0 assignment/summons, 1 reminder, 2 warning, 3 listed supervision or critical alert
    task_id: str | None = None
    due_at: datetime | None = None  # what the message says is due by then
    recipients: tuple[str, ...]  # "liaisons:{department}", "head:{department}", "user:{user id}"
    text: str  # Chinese, no personal data
    link: str
    urgent: bool
    targets: tuple[DeliveryTarget, ...] = ()
    give_up_after_s: int  # a channel not delivered within this is recorded as failed


class NotificationDeferred(EventPayload):
    type: Literal["NotificationDeferred"] = "NotificationDeferred"
    notification_id: str
    until: datetime  # the end of the quiet hours


class NotificationDelivered(EventPayload):
    type: Literal["NotificationDelivered"] = "NotificationDelivered"
    notification_id: str
    channel_id: str
    attempts: int


class NotificationFailed(EventPayload):
    type: Literal["NotificationFailed"] = "NotificationFailed"
    notification_id: str
    channel_id: str
    attempts: int
    reason: str  # short, never a URL


# --- attachments --------------------------------------------------------------------------------


class AttachmentAdded(EventPayload):
    """A file (调解协议书, 笔录, a photo) joined to the case. The content is stored apart, addressed by its
    SHA-256; the event fixes that hash in the case's chain, so the file cannot change unnoticed."""

    type: Literal["AttachmentAdded"] = "AttachmentAdded"
    sha256: str  # lowercase hex of the content's SHA-256
    name: str  # the file name given by the uploader
    media_type: str  # e.g. application/pdf, image/jpeg
    size: int  # bytes


# --- supervision as practised ---------------------------------------------------------------------


class ReturnRequested(EventPayload):
    """退回申请: the department asks to return its task; a supervisor decides (returns.review)."""

    type: Literal["ReturnRequested"] = "ReturnRequested"
    task_id: str
    reason: str


class ReturnDecided(EventPayload):
    """Approved: TaskReturned (the lead's) or TaskWithdrawn (a co-department's) follows. Refused: 强制派单,
    the task stays with the department, its clocks run on, and it cannot be returned again."""

    type: Literal["ReturnDecided"] = "ReturnDecided"
    task_id: str
    approved: bool
    note: str | None = None


class TaskWithdrawn(EventPayload):
    """A co-department's return took effect: only its own task ends; the lead's work is untouched."""

    type: Literal["TaskWithdrawn"] = "TaskWithdrawn"
    task_id: str
    reason: str


class DepartmentsSummoned(EventPayload):
    """吹哨: each department must report (报到) by ``due_at``."""

    type: Literal["DepartmentsSummoned"] = "DepartmentsSummoned"
    summons_id: str
    departments: tuple[str, ...]
    reason: str
    due_at: datetime
    escalate_to: dict[str, str | None] = Field(default_factory=dict)  # told when a report is flagged (level 3)


class SummonsReported(EventPayload):
    type: Literal["SummonsReported"] = "SummonsReported"
    summons_id: str
    department: str
    note: str | None = None


class CommitmentTaken(Frozen):
    """What a department took on at a joint meeting, with the 答复时限 it gave."""

    commitment_id: str
    department: str
    what: str
    due_at: datetime


class MeetingMinutesRecorded(EventPayload):
    """Who attended a joint meeting (联席会议) and what each department took on."""

    type: Literal["MeetingMinutesRecorded"] = "MeetingMinutesRecorded"
    meeting_id: str
    attended: tuple[str, ...]
    commitments: tuple[CommitmentTaken, ...] = ()


class CommitmentFulfilled(EventPayload):
    type: Literal["CommitmentFulfilled"] = "CommitmentFulfilled"
    commitment_id: str
    note: str | None = None


class CaseListed(EventPayload):
    """挂牌督办 by hand: a supervisor lists the case at once under a leader who takes charge (领导包案).

    ``leader`` was free text at first (a name or a post); listed under a ``leader`` user, it is that user's id and
    ``leader_user`` says so (a LeaderAssigned follows). Absent, ``leader_user`` serializes without its key,
    exactly as every listing stored before it, so no stored hash changes."""

    type: Literal["CaseListed"] = "CaseListed"
    leader: str
    reason: str
    leader_user: str | None = None

    @model_serializer(mode="wrap")
    def _without_absent_user(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        if data.get("leader_user") is None:
            data.pop("leader_user", None)
        return data


class LeaderAssigned(EventPayload):
    """包案: a supervisor puts a leader (a ``leader`` user, by id: names stay in the users table) in personal
    charge of the case; the leader is notified and sees the case among theirs."""

    type: Literal["LeaderAssigned"] = "LeaderAssigned"
    user: str
    reason: str


class TaskAssigneeNamed(EventPayload):
    """A named 责任人 for a department's task: a user of that department, by id (names stay in the users
    table). Acknowledging names the acknowledging liaison without this event (the acknowledgement's actor);
    this records a liaison naming someone else. Not ``TaskAssigned``: that name is the task given to a
    department at routing."""

    type: Literal["TaskAssigneeNamed"] = "TaskAssigneeNamed"
    task_id: str
    user: str


class ListingLifted(EventPayload):
    type: Literal["ListingLifted"] = "ListingLifted"
    reason: str


class RiskRegraded(EventPayload):
    type: Literal["RiskRegraded"] = "RiskRegraded"
    previous: RiskLevel
    risk_level: RiskLevel
    reason: str


class FollowUpScheduled(EventPayload):
    """回访 is due by ``due_at`` (follow_up.within after verification); watched like a task clock."""

    type: Literal["FollowUpScheduled"] = "FollowUpScheduled"
    follow_up_id: str
    due_at: datetime


class ComplaintJudged(EventPayload):
    """A supervisor's judgement of a dissatisfied follow-up: reasonable reopens the case, otherwise it is
    archived with this reason."""

    type: Literal["ComplaintJudged"] = "ComplaintJudged"
    reasonable: bool
    reason: str


class WatchedDue(Frozen):
    watch_id: str
    due_at: datetime


class WatchedDeadlinesMoved(EventPayload):
    """On resume (恢复): the watched deadlines (reports, commitments, follow-up) move by the paused time, as
    the tasks' do in ClockResumed."""

    type: Literal["WatchedDeadlinesMoved"] = "WatchedDeadlinesMoved"
    due_times: tuple[WatchedDue, ...]


class DeadlineMoved(Frozen):
    ref: str  # the task id (acknowledge, reply) or the watch id (report, follow-up)
    clock: Clock
    before: datetime
    after: datetime


class CalendarUpdated(EventPayload):
    """A year's schedule announced after the case was received (国务院办公厅 publishes it each November) is put
    into the case's pinned calendar; the deadlines counted in working time that had not passed move to keep
    the working time they had left (old and new in ``moved``)."""

    type: Literal["CalendarUpdated"] = "CalendarUpdated"
    year: int
    content_hash: str  # of the announced schedule (domain.holiday_schedule.AnnouncedYear.content_hash)
    holidays: tuple[date, ...]
    workdays: tuple[date, ...]
    moved: tuple[DeadlineMoved, ...] = ()


# --- mediation papers: 协议书, 卷宗, 履行, 司法确认 ---------------------------------------------------------


class DocumentIssued(EventPayload):
    """A paper of the case rendered as PDF from its own record and stored under its SHA-256. ``number`` is the
    case's number with its committee (``（2026）东湖人调字第12号``), the same on every paper of the case."""

    type: Literal["DocumentIssued"] = "DocumentIssued"
    document_id: str
    kind: DocumentKind
    number: str
    sha256: str  # lowercase hex of the PDF's SHA-256
    size: int


class SignedAgreementFiled(EventPayload):
    """The scan of the agreement as the parties signed it (an attachment) tied to the issued agreement."""

    type: Literal["SignedAgreementFiled"] = "SignedAgreementFiled"
    sha256: str  # the attachment's
    document_id: str  # the issued agreement's


class PerformanceRecorded(EventPayload):
    """履行: whether the agreement was carried out. Not carried out, it is the mediator's again: a new
    ``performance_due`` keeps it watched, otherwise the mediator decides what follows (re-mediation, court)."""

    type: Literal["PerformanceRecorded"] = "PerformanceRecorded"
    mediation_id: str
    performed: bool
    note: str | None = None
    performance_due: datetime | None = None  # not performed: the new deadline, watched again


class JudicialConfirmationWindowOpened(EventPayload):
    """The agreement was issued: the parties may apply to the court for confirmation (司法确认) until ``due_at``."""

    type: Literal["JudicialConfirmationWindowOpened"] = "JudicialConfirmationWindowOpened"
    watch_id: str
    due_at: datetime


class JudicialConfirmationApplied(EventPayload):
    type: Literal["JudicialConfirmationApplied"] = "JudicialConfirmationApplied"
    court_department: str
    applied_at: datetime


class JudicialConfirmationDecided(EventPayload):
    """The court's ruling, entered by the court's liaison or recorded by the mediator."""

    type: Literal["JudicialConfirmationDecided"] = "JudicialConfirmationDecided"
    confirmed: bool
    ruling_no: str | None = None
    note: str | None = None


DomainEvent = Annotated[
    CaseReceived
    | CaseNotAccepted
    | CaseMarkedDuplicate
    | CaseRouted
    | TaskAssigned
    | TaskAcknowledged
    | TaskReturned
    | TaskReminded
    | TaskEscalated
    | EscalationCleared
    | ExtensionRequested
    | ExtensionDecided
    | ClockPaused
    | ClockResumed
    | TaskReplied
    | MeetingConvened
    | MediationRecorded
    | ResolutionSubmitted
    | ResolutionVerified
    | ResolutionRejected
    | FollowUpRecorded
    | CaseReopened
    | CaseArchived
    # notifications (送达)
    | NotificationIssued
    | NotificationDeferred
    | NotificationDelivered
    | NotificationFailed
    # attachments
    | AttachmentAdded
    # supervision as practised
    | ReturnRequested
    | ReturnDecided
    | TaskWithdrawn
    | DepartmentsSummoned
    | SummonsReported
    | MeetingMinutesRecorded
    | CommitmentFulfilled
    | CaseListed
    | ListingLifted
    | LeaderAssigned
    | TaskAssigneeNamed
    | RiskRegraded
    | FollowUpScheduled
    | ComplaintJudged
    | WatchedDeadlinesMoved
    | TaskRated
    | CalendarUpdated
    # mediation papers
    | DocumentIssued
    | SignedAgreementFiled
    | PerformanceRecorded
    | JudicialConfirmationWindowOpened
    | JudicialConfirmationApplied
    | JudicialConfirmationDecided
    # the grid: 上交
    | CaseHandedUp
    # 研判
    | ClusterDetected,
    Field(discriminator="type"),
]
_payload_adapter: TypeAdapter[DomainEvent] = TypeAdapter(DomainEvent)
PAYLOAD_CLASSES: dict[str, type[EventPayload]] = {
    cls.model_fields["type"].default: cls for cls in EventPayload.__subclasses__()
}
CURRENT_SCHEMA_VERSIONS: dict[str, int] = {type_: cls.schema_version for type_, cls in PAYLOAD_CLASSES.items()}
EVENT_TYPES: tuple[str, ...] = tuple(CURRENT_SCHEMA_VERSIONS)


def payload_from(type_: str, data: dict[str, Any]) -> DomainEvent:
    return _payload_adapter.validate_python({**data, "type": type_})


def payload_data(payload: EventPayload) -> dict[str, Any]:
    """The payload as stored in the ``data`` column: JSON-ready, without its ``type``.

    The ``type`` is dropped from the dump rather than passed as ``exclude``: pydantic parses an ``exclude``
    set on every call, which cost more than the rest of a small event's dump (this runs on every append). The
    dump is the class's serializer called directly: ``model_dump`` is a Python wrapper around it."""
    data: dict[str, Any] = payload.__pydantic_serializer__.to_python(payload, mode="json")
    del data["type"]
    return data


class PendingEvent(Frozen):
    """An event decided but not yet stored: the workflow gives it a deterministic id so a retried append
    is recognised and written once."""

    event_id: UUID
    occurred_at: datetime
    actor: Actor
    payload: DomainEvent

    @property
    def type(self) -> str:
        return self.payload.type

    @property
    def schema_version(self) -> int:
        return self.payload.schema_version


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordedEvent:
    """An event as the store holds it: the envelope and its place in the case's hash chain.

    A plain frozen dataclass, not a pydantic model: only the store builds it, from parts it has already
    validated, and validating them a second time was most of the cost of reading a stream."""

    case_id: str
    seq: int
    event_id: UUID
    occurred_at: datetime
    actor: Actor
    payload: DomainEvent
    schema_version: int
    prev_hash: str
    hash: str
    recorded_at: datetime | None = None

    @property
    def type(self) -> str:
        return self.payload.type


# A standing meeting (联席会议, 圆桌议事会) is its own record over many cases: its events form a stream of their
# own, so they are deliberately not part of the case's DomainEvent union.


class MeetingAttendee(Frozen):
    """Someone at a standing meeting who is not a department (两代表一委员, 居民代表, 物业公司)."""

    name: str
    capacity: str


class MeetingItemCommitment(Frozen):
    department: str
    what: str
    due_at: datetime


class MeetingItemMinute(Frozen):
    item_id: str
    case_id: str
    decision: str
    commitments: tuple[MeetingItemCommitment, ...] = ()


class StandingMeetingCalled(EventPayload):
    type: Literal["StandingMeetingCalled"] = "StandingMeetingCalled"
    meeting_id: str
    kind: Literal["joint", "round_table"]
    title: str
    at: datetime
    jurisdiction: str
    departments: tuple[str, ...]
    other_attendees: tuple[MeetingAttendee, ...] = ()


class AgendaItemProposed(EventPayload):
    type: Literal["AgendaItemProposed"] = "AgendaItemProposed"
    item_id: str
    case_id: str
    proposed_by: Role
    note: str | None = None


class AgendaItemDecided(EventPayload):
    type: Literal["AgendaItemDecided"] = "AgendaItemDecided"
    item_id: str
    accepted: bool


class StandingMeetingMinuted(EventPayload):
    type: Literal["StandingMeetingMinuted"] = "StandingMeetingMinuted"
    present: tuple[str, ...]
    absent: tuple[str, ...]
    items: tuple[MeetingItemMinute, ...]


MeetingEvent = Annotated[
    StandingMeetingCalled | AgendaItemProposed | AgendaItemDecided | StandingMeetingMinuted,
    Field(discriminator="type"),
]
MEETING_EVENT_TYPES: tuple[str, ...] = (
    "StandingMeetingCalled", "AgendaItemProposed", "AgendaItemDecided", "StandingMeetingMinuted")


# A sweep (排查) is its own record over the grids of a jurisdiction, like a standing meeting: its events form a
# stream of their own (sweep_events, hash-chained like a case's), not part of the case's DomainEvent union.


class SweepNotice(Frozen):
    """One message of a sweep's ladder, as recorded: who was told (``liaisons:{department}``), on which
    channels (never a URL), the Chinese text (grid and sweep ids, what is due; never personal data), and until
    when it waits for the quiet hours to end."""

    notification_id: str
    kind: Literal["reminder", "warning", "listed_supervision"]
    level: int
    recipients: tuple[str, ...]
    targets: tuple[DeliveryTarget, ...] = ()
    text: str
    deferred_until: datetime | None = None


class SweepStarted(EventPayload):
    type: Literal["SweepStarted"] = "SweepStarted"
    sweep_id: str
    jurisdiction: str
    grids: tuple[str, ...]  # every grid under the jurisdiction when the sweep started
    started_at: datetime
    due: str  # as asked: a duration ("3wd") or an ISO time
    due_at: datetime
    note: str | None = None
    policy: PinnedPolicy  # its escalation ladder and calendar, pinned as a case's is


class SweepGridReported(EventPayload):
    type: Literal["SweepGridReported"] = "SweepGridReported"
    grid_id: str
    reported_at: datetime
    cases: tuple[str, ...]  # () is the zero report (排查无纠纷)
    note: str | None = None


class SweepGridReminded(EventPayload):
    type: Literal["SweepGridReminded"] = "SweepGridReminded"
    grid_id: str
    fraction: float
    due_at: datetime
    notices: tuple[SweepNotice, ...] = ()


class SweepGridEscalated(EventPayload):
    type: Literal["SweepGridEscalated"] = "SweepGridEscalated"
    grid_id: str
    level: int  # 2 预警, 3 挂牌督办
    due_at: datetime
    notices: tuple[SweepNotice, ...] = ()


class SweepNoticeDelivered(EventPayload):
    type: Literal["SweepNoticeDelivered"] = "SweepNoticeDelivered"
    notification_id: str
    channel_id: str
    attempts: int


class SweepNoticeFailed(EventPayload):
    type: Literal["SweepNoticeFailed"] = "SweepNoticeFailed"
    notification_id: str
    channel_id: str
    attempts: int
    reason: str  # short, never a URL


SweepEvent = Annotated[
    SweepStarted | SweepGridReported | SweepGridReminded | SweepGridEscalated | SweepNoticeDelivered
    | SweepNoticeFailed,
    Field(discriminator="type"),
]
