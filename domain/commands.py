"""Commands: what a user (or the engine's own timers) asks of a case. ``decide`` turns one into events."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field

from domain.events import Frozen, Party
from domain.holiday_schedule import AnnouncedYear
from domain.organisation import JurisdictionLevel
from domain.policy import PinnedPolicy
from domain.vocabulary import (
    Channel,
    Clock,
    DocumentKind,
    Grade,
    MediationMethod,
    NotAcceptedReason,
    Outcome,
    RiskLevel,
    Role,
    Satisfaction,
)

Text = Annotated[str, Field(min_length=1, max_length=4000)]
ShortText = Annotated[str, Field(min_length=1, max_length=200)]


class ReceiveCase(Frozen):
    kind: Literal["receive"] = "receive"
    title: ShortText
    description: Text
    category: ShortText
    channel: Channel
    grid_id: ShortText
    risk_level: RiskLevel = RiskLevel.medium
    parties: tuple[Party, ...] = Field(min_length=1, max_length=50)
    policy: PinnedPolicy  # pinned to the case
    duplicate_of: str | None = None  # found by the caller's duplicate check (重复件)
    organisation: str | None = None  # the fingerprint of the organisation in force (Organisation.fingerprint)
    # The department ids of that organisation: a route is checked against them wherever it comes from.
    departments: tuple[str, ...] | None = None
    # Where it is handled from the start: the level of the jurisdiction receiving it (None: the street's)
    handling_level: JurisdictionLevel | None = None
    repeat_of: tuple[str, ...] = ()  # found by the caller's repeat-visit check (重复来访), latest first


class DeclineCase(Frozen):
    """不予受理: out of scope, already in litigation or arbitration."""

    kind: Literal["not_accepted"] = "not_accepted"
    reason: Text
    reason_code: NotAcceptedReason = NotAcceptedReason.other


class RouteCase(Frozen):
    kind: Literal["route"] = "route"
    lead_department: ShortText
    co_departments: tuple[ShortText, ...] = ()
    note: str | None = None
    suggested_lead: str | None = None
    # department -> the jurisdiction one level up, notified on listed supervision (resolved from the org)
    escalate_to: dict[str, str | None] = Field(default_factory=dict)


class AcknowledgeTask(Frozen):
    kind: Literal["acknowledge"] = "acknowledge"
    task_id: ShortText


class ReturnTask(Frozen):
    kind: Literal["return"] = "return"
    task_id: ShortText
    reason: Text


class RequestExtension(Frozen):
    kind: Literal["request_extension"] = "request_extension"
    task_id: ShortText
    extra: ShortText  # a policy duration such as "3wd"
    reason: Text


class DecideExtension(Frozen):
    kind: Literal["decide_extension"] = "decide_extension"
    task_id: ShortText
    approve: bool
    note: str | None = None


class ReplyTask(Frozen):
    kind: Literal["reply"] = "reply"
    task_id: ShortText
    summary: Text


class PauseClock(Frozen):
    kind: Literal["pause_clock"] = "pause_clock"
    reason: Text


class ResumeClock(Frozen):
    kind: Literal["resume_clock"] = "resume_clock"
    reason: Text


class CommitmentPromise(Frozen):
    department: ShortText
    what: Text
    due_at: datetime  # the 答复时限 the department gave


class ConveneMeeting(Frozen):
    kind: Literal["convene_meeting"] = "convene_meeting"
    at: datetime
    departments: tuple[ShortText, ...] = Field(min_length=1)
    agenda: Text
    # The minutes, when the meeting is recorded after it was held (see RecordMeetingMinutes).
    attended: tuple[ShortText, ...] = ()
    commitments: tuple[CommitmentPromise, ...] = ()


class RecordMediation(Frozen):
    kind: Literal["record_mediation"] = "record_mediation"
    method: MediationMethod
    agreement_reached: bool
    terms: str | None = None
    # what the agreement paper sets out beside the terms (人民调解法 Art. 29)
    disputes: Annotated[str, Field(max_length=4000)] | None = None
    performance_method: Annotated[str, Field(max_length=4000)] | None = None
    performance_due: datetime | None = None  # 履行期限: watched until the performance is recorded


class SettleOnSpot(Frozen):
    """就地化解: the grid worker who reported the dispute settled it where it arose; the mediation is recorded
    and the case goes straight to verification, without a department task."""

    kind: Literal["settle_on_spot"] = "settle_on_spot"
    method: MediationMethod
    agreement_reached: bool
    terms: Text


class HandUp(Frozen):
    """上交: the case goes to the next jurisdiction level up (one level at a time). ``from_level``, when given, is
    the level the person saw: if someone handed the case up meanwhile, this is refused rather than taking it
    two levels up."""

    kind: Literal["hand_up"] = "hand_up"
    reason: Text
    from_level: JurisdictionLevel | None = None


class SubmitResolution(Frozen):
    kind: Literal["submit_resolution"] = "submit_resolution"
    outcome: Outcome
    summary: Text


class VerifyResolution(Frozen):
    kind: Literal["verify"] = "verify"
    accepted: bool
    note: str | None = None


class RecordFollowUp(Frozen):
    kind: Literal["follow_up"] = "follow_up"
    satisfaction: Satisfaction
    note: str | None = None


class ArchiveCase(Frozen):
    kind: Literal["archive"] = "archive"


# --- supervision as practised ---------------------------------------------------------------------


class DecideReturn(Frozen):
    kind: Literal["decide_return"] = "decide_return"
    task_id: ShortText
    approve: bool
    note: str | None = None


class SummonDepartments(Frozen):
    """吹哨: the named departments must report (报到) within ``report_within`` (default: the policy's)."""

    kind: Literal["summon"] = "summon"
    departments: tuple[ShortText, ...] = Field(min_length=1, max_length=50)
    reason: Text
    report_within: ShortText | None = None  # a policy duration such as "2wh"
    # department -> the jurisdiction one level up, told when the report is flagged (resolved from the org)
    escalate_to: dict[str, str | None] = Field(default_factory=dict)


class ReportToSummons(Frozen):
    kind: Literal["report"] = "report"
    summons_id: ShortText
    note: str | None = None


class RecordMeetingMinutes(Frozen):
    kind: Literal["meeting_minutes"] = "meeting_minutes"
    meeting_id: ShortText
    attended: tuple[ShortText, ...] = Field(min_length=1)
    commitments: tuple[CommitmentPromise, ...] = ()


class FulfilCommitment(Frozen):
    kind: Literal["fulfil_commitment"] = "fulfil_commitment"
    commitment_id: ShortText
    note: str | None = None


class ListCase(Frozen):
    kind: Literal["list"] = "list"
    leader: ShortText  # free text (the old form), or the id of a leader user when ``leader_user`` is set
    reason: Text
    leader_user: ShortText | None = None  # a leader user's id, checked by the caller (active, role leader)


class AssignLeader(Frozen):
    """包案: put a leader user in personal charge of the case. The caller resolved ``user`` (an active user)
    and says its role, which the rule checks."""

    kind: Literal["assign_leader"] = "assign_leader"
    user: ShortText
    reason: Text
    user_role: Role


class NameAssignee(Frozen):
    """责任人: a liaison names who in the department handles the task. The caller resolved ``user`` (an active
    user) and says its department, which the rule checks."""

    kind: Literal["name_assignee"] = "name_assignee"
    task_id: ShortText
    user: ShortText
    user_department: str | None


class LiftListing(Frozen):
    kind: Literal["lift_listing"] = "lift_listing"
    reason: Text


class RegradeRisk(Frozen):
    kind: Literal["regrade_risk"] = "regrade_risk"
    risk_level: RiskLevel
    reason: Text


class UpdateCalendar(Frozen):
    """Put a year's announced schedule into the case's calendar (sent by the engine after `calendar load`)."""

    kind: Literal["update_calendar"] = "update_calendar"
    schedule: AnnouncedYear


class RateTask(Frozen):
    """评定: a supervisor grades a department's handling of its task, once it has replied."""

    kind: Literal["rate"] = "rate"
    task_id: ShortText
    grade: Grade
    note: Annotated[str, Field(max_length=4000)] | None = None


class JudgeComplaint(Frozen):
    """A supervisor judges a dissatisfied follow-up: reasonable (reopen) or not (archive with the reason)."""

    kind: Literal["judge_complaint"] = "judge_complaint"
    reasonable: bool
    reason: Text


# Issued by the engine's timers, never by a user.
class RemindTask(Frozen):
    kind: Literal["remind"] = "remind"
    task_id: str
    clock: Clock
    fraction: float


class EscalateTask(Frozen):
    kind: Literal["escalate"] = "escalate"
    task_id: str
    clock: Clock
    level: Literal[2, 3]


class NoteCluster(Frozen):
    """聚集预警: record on the case that it is one of a cluster alert's (sent by the engine at intake)."""

    kind: Literal["note_cluster"] = "note_cluster"
    alert_id: ShortText
    jurisdiction: ShortText
    category: ShortText
    case_ids: tuple[ShortText, ...] = Field(min_length=1, max_length=10000)
    opened: bool = False


# attachments
class AddAttachment(Frozen):
    """Join a stored file to the case (the caller stored the content under its SHA-256 first)."""

    kind: Literal["add_attachment"] = "add_attachment"
    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    name: ShortText
    media_type: ShortText
    size: Annotated[int, Field(ge=1)]
    # "signed_agreement": the parties' signed scan of the issued agreement ``document_id`` (default: the latest)
    attachment_kind: Literal["signed_agreement"] | None = None
    document_id: ShortText | None = None


# mediation papers
Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class IssueDocument(Frozen):
    """Record a paper rendered from the case's record (the caller rendered and stored it under its hash)."""

    kind: Literal["issue_document"] = "issue_document"
    document: DocumentKind
    number: ShortText  # the case's number (（2026）东湖人调字第12号), allocated by the caller per committee and year
    sha256: Sha256
    size: Annotated[int, Field(ge=1)]


class RecordPerformance(Frozen):
    kind: Literal["record_performance"] = "record_performance"
    performed: bool
    note: Annotated[str, Field(max_length=4000)] | None = None
    performance_due: datetime | None = None  # not performed: a new deadline keeps it watched


class ApplyJudicialConfirmation(Frozen):
    kind: Literal["apply_judicial_confirmation"] = "apply_judicial_confirmation"
    court_department: ShortText
    applied_at: datetime


class DecideJudicialConfirmation(Frozen):
    kind: Literal["decide_judicial_confirmation"] = "decide_judicial_confirmation"
    confirmed: bool
    ruling_no: Annotated[str, Field(max_length=200)] | None = None
    note: Annotated[str, Field(max_length=4000)] | None = None


Command = Annotated[
    ReceiveCase
    | DeclineCase
    | RouteCase
    | AcknowledgeTask
    | ReturnTask
    | RequestExtension
    | DecideExtension
    | ReplyTask
    | PauseClock
    | ResumeClock
    | ConveneMeeting
    | RecordMediation
    | SettleOnSpot
    | HandUp
    | SubmitResolution
    | VerifyResolution
    | RecordFollowUp
    | ArchiveCase
    | RemindTask
    | EscalateTask
    # attachments
    | AddAttachment
    # supervision as practised
    | DecideReturn
    | SummonDepartments
    | ReportToSummons
    | RecordMeetingMinutes
    | FulfilCommitment
    | ListCase
    | LiftListing
    | AssignLeader
    | NameAssignee
    | RegradeRisk
    | JudgeComplaint
    | RateTask
    | UpdateCalendar
    # mediation papers
    | IssueDocument
    | RecordPerformance
    | ApplyJudicialConfirmation
    | DecideJudicialConfirmation
    | NoteCluster,
    Field(discriminator="kind"),
]
