"""Replay a case to any point and tell what happened, event by event (``liandiao audit replay``, the dossier).

The state comes from ``domain.case.evolve``, the same fold the workflow and the projections use, and each
event's line from ``domain.describe`` (the one describer, which the workbench uses too), always masked: no
party's name, phone or ID number reaches the timeline. Departments, jurisdictions and categories are shown by
their names in the organisation the case was received under (ids only when that organisation does not know
them), and each step by who took it: the person's name, role and department. The label tables below are the
dossier's, in both languages."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict

from domain.case import CaseState
from domain.describe import DEFAULT_TIMEZONE, Names, actor_label, local_time, tell
from domain.events import RecordedEvent
from domain.organisation import Organisation
from domain.vocabulary import (
    ArchiveReason,
    Channel,
    Clock,
    MediationMethod,
    Outcome,
    PartyRole,
    RiskLevel,
    Satisfaction,
    Stage,
    TaskRole,
    TaskStatus,
)

# The dossier's words: Chinese first, the API name after it (the events' lines are domain.describe's, Chinese).
STAGE_LABELS = {
    Stage.intake: "统一受理 intake", Stage.triage: "统一分流 triage", Stage.coordination: "统一协调 coordination",
    Stage.supervision: "统一督办 supervision", Stage.archived: "统一归档 archived",
}
CHANNEL_LABELS = {
    Channel.walk_in: "来访 walk-in", Channel.hotline: "12345 hotline", Channel.grid_report: "网格上报 grid report",
    Channel.online: "网上 online",
}
RISK_LABELS = {
    RiskLevel.low: "低 low", RiskLevel.medium: "中 medium", RiskLevel.high: "高 high",
    RiskLevel.critical: "极高 critical",
}
PARTY_ROLE_LABELS = {
    PartyRole.applicant: "申请人 applicant", PartyRole.respondent: "被申请人 respondent",
    PartyRole.third_party: "第三人 third party",
}
TASK_ROLE_LABELS = {TaskRole.lead: "牵头 lead", TaskRole.co: "协办 co"}
TASK_STATUS_LABELS = {
    TaskStatus.pending_ack: "待签收 pending", TaskStatus.acknowledged: "已签收 acknowledged",
    TaskStatus.returned: "已退回 returned", TaskStatus.replied: "已答复 replied",
    TaskStatus.cancelled: "已撤销 cancelled", TaskStatus.return_requested: "退回审核中 return requested",
}
CLOCK_LABELS = {
    Clock.acknowledge: "签收时限 acknowledge", Clock.reply: "答复时限 reply", Clock.report: "报到时限 report",
    Clock.commitment: "承诺时限 commitment", Clock.follow_up: "回访时限 follow-up",
    Clock.performance: "履行期限 performance", Clock.judicial_confirmation: "司法确认申请期限 judicial confirmation",
}
LEVEL_LABELS = {1: "催办 reminder", 2: "预警 warning", 3: "挂牌督办 listed supervision"}
OUTCOME_LABELS = {
    Outcome.mediated: "调解成功 mediated", Outcome.partially_resolved: "部分解决 partially resolved",
    Outcome.referred_to_litigation: "引导诉讼/仲裁 referred to litigation", Outcome.withdrawn: "撤回 withdrawn",
    Outcome.no_basis: "诉求不合理 no basis",
}
SATISFACTION_LABELS = {
    Satisfaction.satisfied: "满意 satisfied", Satisfaction.basically_satisfied: "基本满意 basically satisfied",
    Satisfaction.dissatisfied: "不满意 dissatisfied",
}
METHOD_LABELS = {
    MediationMethod.people: "人民调解 people's", MediationMethod.administrative: "行政调解 administrative",
    MediationMethod.judicial: "司法调解 judicial", MediationMethod.public_security: "治安调解 public security",
}
ARCHIVE_LABELS = {
    ArchiveReason.resolved: "办结 resolved", ArchiveReason.not_accepted: "不予受理 not accepted",
    ArchiveReason.duplicate: "重复件 duplicate",
}


class TimelineEntry(BaseModel):
    model_config = ConfigDict(frozen=True)

    seq: int
    occurred_at: datetime
    actor_role: str
    actor_id: str
    actor_department: str | None
    actor_name: str | None = None  # the person's display name (events before people had names have none)
    actor_label: str = ""  # who, for people: 王敏（调解员，东湖街道综治中心）
    actor_department_name: str | None = None
    event_type: str
    description: str  # what happened, in Chinese (domain.describe), personal data masked
    stage: Stage  # the stage after this event


def replay(
    events: Sequence[RecordedEvent], upto: int | None = None, org: Organisation | None = None, *,
    masked: bool = True, people: dict[str, str] | None = None,
) -> tuple[CaseState, list[TimelineEntry]]:
    """The case as it stood after event ``upto`` (all events when None), and the timeline up to there, with
    names from ``org`` (the organisation the case was received under). One fold gives both. ``masked``: the
    lines name no party in full (the default: a timeline is printed and pasted). ``people``: user id -> name for
    the people the case names by id (责任人, 包案领导)."""
    names = Names(org, people)
    chosen = [e for e in events if upto is None or e.seq <= upto]
    if not chosen:
        raise ValueError(f"no events to replay{'' if upto is None else f' up to seq {upto}'}")
    state = CaseState(case_id=chosen[0].case_id)
    entries: list[TimelineEntry] = []
    for recorded, state, description in tell(chosen, names, masked=masked):
        actor = recorded.actor
        entries.append(TimelineEntry(
            seq=recorded.seq, occurred_at=recorded.occurred_at, actor_role=actor.role.value, actor_id=actor.id,
            actor_department=actor.department, actor_name=actor.name, actor_label=actor_label(actor, names),
            actor_department_name=names.department(actor.department) if actor.department else None,
            event_type=recorded.type, description=description, stage=state.stage,
        ))
    return state, entries


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def render_timeline(entries: Sequence[TimelineEntry], timezone: str = DEFAULT_TIMEZONE) -> str:
    """A fixed-width text table (CJK characters counted as two columns); the description comes last."""
    tz = ZoneInfo(timezone)
    header = ("seq", f"time ({timezone})", "actor", "department", "event", "stage after", "what happened")
    rows = [
        (
            str(e.seq),
            local_time(e.occurred_at, tz),
            e.actor_label or f"{e.actor_role}:{e.actor_id}",
            e.actor_department_name or "-",
            e.event_type,
            e.stage.value,
            e.description,
        )
        for e in entries
    ]
    widths = [max(_width(r[i]) for r in [header, *rows]) for i in range(len(header) - 1)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join([*(_pad(c, w) for c, w in zip(cells, widths, strict=False)), cells[-1]]).rstrip()

    rule = "  ".join(["-" * w for w in widths] + ["-" * 13])
    return "\n".join([line(header), rule, *(line(r) for r in rows)]) + "\n"
