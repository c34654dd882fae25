"""The bodies of the use cases' inputs and answers, as the HTTP API and the workbench's forms both take them
(one shape per action, so a form and a request are checked by the same rules). Strict: unknown fields, wrong types,
empty or oversized strings and control characters are refused with a 422 that names the field."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)

from domain.organisation import JurisdictionLevel
from domain.policy import Duration
from domain.vocabulary import (
    Channel,
    DocumentKind,
    Grade,
    MediationMethod,
    NotAcceptedReason,
    Outcome,
    PartyRole,
    RiskLevel,
    Satisfaction,
    Stage,
)
from infra.read_models import CURSOR_PATTERN as CURSOR_PATTERN  # the list's cursor, as the schema says it


def _printable(multiline: bool):  # type: ignore[no-untyped-def]
    allowed = "\n\t" if multiline else ""

    def check(value: str) -> str:
        if any(unicodedata.category(c) in ("Cc", "Cf", "Cs") and c not in allowed for c in value):
            raise ValueError("control characters are not allowed")
        if not value.strip():
            raise ValueError("must not be blank")
        return value

    return AfterValidator(check)


# The same rules as JSON Schema patterns, so the OpenAPI says what _printable enforces: no control,
# format or surrogate characters (Unicode Cc, Cf, Cs), and at least one character that is not a space.
# Written as regex escapes (ASCII text), not as the characters themselves: the OpenAPI stays valid UTF-8.
_CONTROL = (r"\x00-\x1f\x7f-\x9f\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e"
            r"\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
            r"\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
            r"\U000e0001\U000e0020-\U000e007f")
_SPACE = r" \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"


def _documented(min_length: int, max_length: int, multiline: bool) -> WithJsonSchema:
    control = _CONTROL.replace(r"\x00-\x1f", r"\x00-\x08\x0b-\x1f") if multiline else _CONTROL
    space = _SPACE + (r"\t\n" if multiline else "")
    pattern = f"^[{space}]*[^{space}{control}][^{control}]*$"
    return WithJsonSchema({"type": "string", "minLength": min_length, "maxLength": max_length, "pattern": pattern})


Id = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")]
Line = Annotated[str, StringConstraints(min_length=1, max_length=200), _printable(False), _documented(1, 200, False)]
Text = Annotated[str, StringConstraints(min_length=1, max_length=4000), _printable(True), _documented(1, 4000, True)]
Phone = Annotated[str, StringConstraints(pattern=r"^\+?[0-9][0-9-]{5,19}$")]
IdNumber = Annotated[str, StringConstraints(pattern=r"^[0-9]{17}[0-9Xx]$")]


def _duration(value: str) -> str:
    Duration.parse(value)
    return value


DurationText = Annotated[str, StringConstraints(min_length=2, max_length=20), AfterValidator(_duration),
                         WithJsonSchema({"type": "string", "minLength": 2, "maxLength": 20,
                                         "pattern": "^[0-9]{1,5}(s|m|h|d|wd|wh)$"})]


_RFC3339 = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?"
                      r"([Zz]|[+-][0-9]{2}:[0-9]{2})$")


def _rfc3339(value: object) -> object:
    # pydantic would also take a number, or a string of one, as seconds since 1970: not what the schema's
    # date-time says, and never what a person meant
    if isinstance(value, datetime) or (isinstance(value, str) and _RFC3339.fullmatch(value)):
        return value
    raise ValueError("a date and time with its offset (RFC 3339), e.g. 2026-12-01T09:30:00+08:00")


Instant = Annotated[AwareDatetime, BeforeValidator(_rfc3339)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PartyIn(Body):
    name: Line
    role: PartyRole
    phone: Phone | None = None
    id_number: IdNumber | None = None


class OnSpotIn(Body):
    """就地化解: the grid worker settled the dispute on the spot."""

    method: MediationMethod
    agreement_reached: StrictBool
    terms: Text


class NewCase(Body):
    title: Line
    description: Text
    category: Id
    channel: Channel
    grid_id: Id
    risk_level: RiskLevel = RiskLevel.medium
    parties: list[PartyIn] = Field(min_length=1, max_length=20)
    on_spot: OnSpotIn | None = Field(default=None, description="a grid worker's settlement on the spot (就地化解)")


class Reason(Body):
    reason: Text


class HandUpIn(Body):
    """上交: one level up. ``from_level``: the level the case was seen at (refused with 409 if it moved meanwhile)."""

    reason: Text
    from_level: JurisdictionLevel | None = None


class NotAcceptedIn(Body):
    reason: Text
    reason_code: NotAcceptedReason = NotAcceptedReason.other


class RouteIn(Body):
    lead_department: Id
    co_departments: list[Id] = Field(default_factory=list, max_length=20,
                                     description="the lead department, if named here too, only leads",
                                     json_schema_extra={"uniqueItems": True})
    note: Text | None = None

    @model_validator(mode="after")
    def _lead_only_leads(self) -> RouteIn:
        # Naming the lead among the co-departments too says nothing more: it leads. Dropping it here keeps the
        # domain's rule (a department holds one task) and accepts every request the schema allows.
        self.co_departments = [d for d in self.co_departments if d != self.lead_department]
        return self


class Empty(Body):
    pass


class ExtensionIn(Body):
    extra: DurationText
    reason: Text


class ExtensionDecisionIn(Body):
    approve: StrictBool
    note: Text | None = None


class RatingIn(Body):
    grade: Grade  # 评定: excellent, good, fair, poor
    note: Text | None = None


class ReplyIn(Body):
    summary: Text


class CommitmentIn(Body):
    department: Id
    what: Text
    due_at: AwareDatetime  # the 答复时限 the department gave


class MeetingIn(Body):
    at: AwareDatetime
    departments: list[Id] = Field(min_length=1, max_length=20)
    agenda: Text
    # the minutes, when the meeting is recorded after it was held
    attended: list[Id] = Field(default_factory=list, max_length=20)
    commitments: list[CommitmentIn] = Field(default_factory=list, max_length=50)


class MinutesIn(Body):
    attended: list[Id] = Field(min_length=1, max_length=20)
    commitments: list[CommitmentIn] = Field(default_factory=list, max_length=50)


class ReturnDecisionIn(Body):
    approve: StrictBool
    note: Text | None = None


class SummonsIn(Body):
    departments: list[Id] = Field(min_length=1, max_length=20)
    reason: Text
    report_within: DurationText | None = None


class NoteIn(Body):
    note: Text | None = None


class ListingIn(Body):
    leader: Line = Field(description="the id of a leader user (then also the case's 包案 leader, told); "
                                     "free text naming the leader is still accepted")
    reason: Text


class AssigneeIn(Body):
    user: Id = Field(description="the id of an active user of the task's department")


class LeaderIn(Body):
    user: Id = Field(description="the id of an active leader user")
    reason: Text


class RiskIn(Body):
    risk_level: RiskLevel
    reason: Text


class JudgementIn(Body):
    reasonable: StrictBool
    reason: Text


class MediationIn(Body):
    method: MediationMethod
    agreement_reached: StrictBool
    terms: Text | None = None
    # what the agreement paper sets out beside the terms (人民调解法 Art. 29)
    disputes: Text | None = None  # 争议事项 and each party's responsibility
    performance_method: Text | None = None  # 履行方式
    performance_due: AwareDatetime | None = None  # 履行期限: watched until POST .../performance


class DocumentIn(Body):
    kind: DocumentKind


class PerformanceIn(Body):
    performed: StrictBool
    note: Text | None = None
    performance_due: AwareDatetime | None = None  # not performed: a new deadline, watched again


class JudicialConfirmationIn(Body):
    court_department: Id
    applied_at: AwareDatetime


class JudicialDecisionIn(Body):
    confirmed: StrictBool
    ruling_no: Line | None = None
    note: Text | None = None


class DocumentView(BaseModel):
    document_id: str
    kind: DocumentKind
    number: str
    sha256: str
    size: int
    issued_at: datetime | None = None


class ResolutionIn(Body):
    outcome: Outcome
    summary: Text


class VerificationIn(Body):
    accepted: StrictBool
    note: Text | None = None


class FollowUpIn(Body):
    satisfaction: Satisfaction
    note: Text | None = None


# ----------------------------------------------------------------------------------------------- answers


class CaseCreated(BaseModel):
    case_id: str
    stage: Stage
    duplicate_of: str | None
    suggested_route: dict[str, Any] | None = None
    repeat_of: list[str] = []  # 重复来访: earlier cases of the same visitors in the repeat window, latest first
    cluster_alert: str | None = None  # 聚集预警: the cluster alert this intake opened or joined


class ActionDone(BaseModel):
    case_id: str
    stage: Stage
    version: int
    events: list[str]


class TaskView(BaseModel):
    task_id: str
    department: str
    role: str
    status: str
    acknowledge_due_at: datetime
    reply_due_at: datetime
    escalation_level: int
    assigned_at: datetime
    acknowledged_at: datetime | None
    replied_at: datetime | None
    pending_extension: dict[str, Any] | None
    return_reason: str | None = None  # the return asked for (status return_requested) or granted
    forced: bool = False  # 强制派单: a return was refused; the task can no longer be returned
    grade: Grade | None = None  # 评定 of the department's handling, once replied
    assignee: dict[str, Any] | None = None  # 责任人 {"id", "name"}: null before acknowledgement


class CaseView(BaseModel):
    case_id: str
    stage: Stage
    version: int
    title: str
    description: str
    category: str
    channel: str | None
    grid_id: str
    handling_level: JurisdictionLevel  # where it is handled now: grid, community, street or district (上交)
    risk_level: RiskLevel
    received_at: datetime | None
    parties: list[dict[str, Any]]
    parties_masked: bool
    tasks: list[TaskView]
    escalations: list[dict[str, Any]]
    clock_paused: bool
    meetings: list[dict[str, Any]]
    mediations: list[dict[str, Any]]
    outcome: Outcome | None
    resolution_summary: str | None
    verified: bool
    follow_ups: list[dict[str, Any]]
    reopen_count: int
    duplicate_of: str | None
    not_accepted_reason: str | None
    archive_reason: str | None
    returned_by: list[str]
    suggested_route: dict[str, Any] | None = None
    attachments: list[dict[str, Any]] = []  # {sha256, name, media_type, size, added_at}
    # supervision as practised
    summons: list[dict[str, Any]] = []  # [{"summons_id", "reason", "due_at", "departments": [{...}]}]
    # {"leader", "reason", "since", "leader_user"}: 挂牌督办 by hand; leader_user {"id", "name"} when listed under a
    # leader user (then "leader" is that user's name)
    listing: dict[str, Any] | None = None
    leader: dict[str, Any] | None = None  # 包案: {"user": {"id", "name"}, "reason", "since"}
    meeting_minutes: list[dict[str, Any]] = []
    commitments: list[dict[str, Any]] = []
    follow_up_due_at: datetime | None = None
    complaint_pending: bool = False  # a dissatisfied follow-up awaits a supervisor's judgement
    # mediation papers
    case_number: str | None = None  # （2026）东湖人调字第12号, once the first paper is issued
    documents: list[DocumentView] = []
    signed_agreements: list[dict[str, str]] = []  # [{"sha256", "document_id"}]
    performances: list[dict[str, Any]] = []  # [{"mediation_id", "due_at", "performed", "note", "recorded_at"}]
    judicial_confirmation: dict[str, Any] | None = None
    # 研判
    repeat_of: list[str] = []  # 重复来访, as recorded at intake: earlier cases of a visitor of this one, latest first
    cluster_alerts: list[str] = []  # 聚集预警: the cluster alerts the case is one of
