"""Replay a case to any point and tell what happened, event by event (``liandiao audit replay``).

The state comes from ``domain.case.evolve``, the same fold the workflow and the projections use; this
module only describes events in words. Free text is passed through :func:`redact` so that no party's
name, phone or ID number reaches the timeline. Departments, jurisdictions and categories are shown by their
names in the organisation the case was received under (ids only when that organisation does not know them),
and each step by who took it: the person's name, role and department."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict

from domain.case import CaseState, evolve
from domain.events import (
    Actor,
    AttachmentAdded,
    CaseArchived,
    CaseListed,
    CaseMarkedDuplicate,
    CaseNotAccepted,
    CaseReceived,
    CaseReopened,
    CaseRouted,
    ClockPaused,
    ClockResumed,
    CommitmentFulfilled,
    ComplaintJudged,
    DepartmentsSummoned,
    EscalationCleared,
    ExtensionDecided,
    ExtensionRequested,
    FollowUpRecorded,
    FollowUpScheduled,
    ListingLifted,
    MediationRecorded,
    MeetingConvened,
    MeetingMinutesRecorded,
    NotificationDeferred,
    NotificationDelivered,
    NotificationFailed,
    NotificationIssued,
    RecordedEvent,
    ResolutionRejected,
    ResolutionSubmitted,
    ResolutionVerified,
    ReturnDecided,
    ReturnRequested,
    RiskRegraded,
    SummonsReported,
    TaskAcknowledged,
    TaskAssigned,
    TaskEscalated,
    TaskReminded,
    TaskReplied,
    TaskReturned,
    TaskWithdrawn,
    WatchedDeadlinesMoved,
)
from domain.organisation import Organisation
from domain.vocabulary import (
    ArchiveReason,
    Channel,
    Clock,
    MediationMethod,
    Outcome,
    PartyRole,
    RiskLevel,
    Role,
    Satisfaction,
    Stage,
    TaskRole,
    TaskStatus,
)
from infra.audit.masking import redact

DEFAULT_TIMEZONE = "Asia/Shanghai"

# The domain's words in the user-facing form: Chinese first, the API name after it.
STAGE_LABELS = {
    Stage.intake: "统一受理 intake", Stage.triage: "统一分流 triage", Stage.coordination: "统一协调 coordination",
    Stage.supervision: "统一督办 supervision", Stage.archived: "统一归档 archived",
}
ROLE_LABELS = {
    Role.mediator: "调解员", Role.liaison: "联络员", Role.supervisor: "督办人", Role.auditor: "审计",
    Role.admin: "管理员", Role.system: "系统",
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
    actor_name: str | None = None  # the person's display name (events before issue 14 have none)
    actor_label: str = ""  # who, for people: 王敏（调解员，东湖街道综治中心）
    actor_department_name: str | None = None
    event_type: str
    description: str  # what happened, in Chinese and English, personal data masked
    stage: Stage  # the stage after this event


def case_timezone(state: CaseState) -> ZoneInfo:
    """The timezone of the policy pinned to the case: deadlines were computed in it."""
    name = state.policy.policy.timezone if state.policy is not None else DEFAULT_TIMEZONE
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError):
        return ZoneInfo(DEFAULT_TIMEZONE)


def local_time(value: datetime | None, tz: ZoneInfo) -> str:
    return "—" if value is None else value.astimezone(tz).strftime("%Y-%m-%d %H:%M")


class Names:
    """Department, jurisdiction and category names from an organisation; the id itself without one."""

    def __init__(self, org: Organisation | None) -> None:
        self.org = org

    def department(self, id: str) -> str:
        return self.org.department_name(id) if self.org is not None else id

    def departments(self, ids: Sequence[str]) -> str:
        return "、".join(self.department(d) for d in ids)

    def place(self, id: str) -> str:
        return self.org.jurisdiction_name(id) if self.org is not None else id

    def category(self, id: str) -> str:
        return self.org.category_name(id) if self.org is not None else id


def actor_label(actor: Actor, names: Names) -> str:
    """Who took a step: 王敏（调解员，东湖街道综治中心）; the engine itself is 系统."""
    if actor.role is Role.system:
        return ROLE_LABELS[Role.system]
    who = actor.name or actor.id
    where = f"，{names.department(actor.department)}" if actor.department else ""
    return f"{who}（{ROLE_LABELS[actor.role]}{where}）"


def replay(
    events: Sequence[RecordedEvent], upto: int | None = None, org: Organisation | None = None
) -> tuple[CaseState, list[TimelineEntry]]:
    """The case as it stood after event ``upto`` (all events when None), and the timeline up to there, with
    names from ``org`` (the organisation the case was received under)."""
    names = Names(org)
    chosen = [e for e in events if upto is None or e.seq <= upto]
    if not chosen:
        raise ValueError(f"no events to replay{'' if upto is None else f' up to seq {upto}'}")
    state = CaseState(case_id=chosen[0].case_id)
    entries: list[TimelineEntry] = []
    for recorded in chosen:
        before = state
        state = evolve(state, recorded.payload, recorded.occurred_at, recorded.seq)
        entries.append(TimelineEntry(
            seq=recorded.seq, occurred_at=recorded.occurred_at, actor_role=recorded.actor.role.value,
            actor_id=recorded.actor.id, actor_department=recorded.actor.department,
            actor_name=recorded.actor.name, actor_label=actor_label(recorded.actor, names),
            actor_department_name=names.department(recorded.actor.department) if recorded.actor.department else None,
            event_type=recorded.type, description=describe(recorded, before, state, names), stage=state.stage,
        ))
    return state, entries


def _clip(text: str, width: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _on_time(at: datetime, due: datetime) -> str:
    return "按时 on time" if at <= due else "超时 late"


def describe(recorded: RecordedEvent, before: CaseState, after: CaseState, names: Names | None = None) -> str:
    """One line on what ``recorded`` did, given the case before and after it."""
    names = names or Names(None)
    tz = case_timezone(after)
    parties = after.parties

    def free(text: str | None) -> str:
        return _clip(redact(text or "", parties))

    def task_of(task_id: str) -> str:
        task = before.task(task_id) or after.task(task_id)
        return f"task {task_id}" + (f"（{names.department(task.department)}）" if task is not None else "")

    e = recorded.payload
    at = recorded.occurred_at
    match e:
        case CaseReceived():
            text = (f"受理登记 received 「{free(e.title)}」: 类别 {names.category(e.category)}, "
                    f"{CHANNEL_LABELS[e.channel]}, 网格 {names.place(e.grid_id)}, risk {RISK_LABELS[e.risk_level]}, "
                    f"{len(e.parties)} parties 当事人")
            return text + (f", possible duplicate of 疑似重复 {e.duplicate_of}" if e.duplicate_of else "")
        case CaseNotAccepted():
            return f"不予受理 not accepted: {free(e.reason)}"
        case CaseMarkedDuplicate():
            return f"重复件 duplicate, merged into 并入 {e.duplicate_of}"
        case CaseRouted():
            text = f"分流 routed: lead 牵头 {names.department(e.lead_department)}"
            if e.co_departments:
                text += f", co 协办 {names.departments(e.co_departments)}"
            if e.suggested_lead and e.suggested_lead != e.lead_department:
                text += f" (rules suggested 规则建议 {names.department(e.suggested_lead)})"
            return text
        case TaskAssigned():
            return (f"派单 task {e.task_id} assigned to {names.department(e.department)} ({TASK_ROLE_LABELS[e.role]}); "
                    f"签收 ack due {local_time(e.acknowledge_due_at, tz)}, "
                    f"答复 reply due {local_time(e.reply_due_at, tz)}")
        case TaskAcknowledged():
            task = before.task(e.task_id)
            timing = f", {_on_time(at, task.acknowledge_due_at)}" if task is not None else ""
            return f"签收 {task_of(e.task_id)} acknowledged{timing}"
        case TaskReturned():
            return f"退回 {task_of(e.task_id)} returned: {free(e.reason)}"
        case TaskReminded():
            return (f"{LEVEL_LABELS[1]} level 1 on {CLOCK_LABELS[e.clock]} clock of "
                    f"{task_of(e.task_id)} at {e.fraction:.0%}, due {local_time(e.due_at, tz)}")
        case TaskEscalated():
            text = (f"{LEVEL_LABELS[e.level]} level {e.level} on {CLOCK_LABELS[e.clock]} clock "
                    f"of {task_of(e.task_id)}, due {local_time(e.due_at, tz)}")
            return text + (f", notify 报 {names.place(e.notify_jurisdiction)}" if e.notify_jurisdiction else "")
        case EscalationCleared():
            return (f"督办解除 escalation level {e.level} on {CLOCK_LABELS[e.clock]} clock of "
                    f"{task_of(e.task_id)} cleared")
        case ExtensionRequested():
            return f"申请延期 {task_of(e.task_id)} asks for +{e.extra}: {free(e.reason)}"
        case ExtensionDecided():
            verdict = "批准 approved" if e.approved else "不批准 refused"
            return (f"延期审批 extension for {task_of(e.task_id)} {verdict}; "
                    f"reply due {local_time(e.reply_due_at, tz)}")
        case ClockPaused():
            return f"中止计时 clock paused: {free(e.reason)}"
        case ClockResumed():
            return f"恢复计时 clock resumed: {free(e.reason)}; {len(e.due_times)} task deadlines moved"
        case TaskReplied():
            task = before.task(e.task_id)
            timing = f", {_on_time(at, task.reply_due_at)}" if task is not None else ""
            return f"答复 {task_of(e.task_id)} replied{timing}: {free(e.summary)}"
        case MeetingConvened():
            return (f"联席会议 meeting {e.meeting_id} at {local_time(e.at, tz)} with "
                    f"{names.departments(e.departments)}: {free(e.agenda)}")
        case MediationRecorded():
            reached = "达成协议 agreement reached" if e.agreement_reached else "未达成协议 no agreement"
            return f"调解 {METHOD_LABELS[e.method]} mediation: {reached}"
        case ResolutionSubmitted():
            return f"提交办结 resolution submitted: {OUTCOME_LABELS[e.outcome]}"
        case ResolutionVerified():
            return "验收通过 resolution verified" + (f": {free(e.note)}" if e.note else "")
        case ResolutionRejected():
            return (f"验收不通过 resolution rejected, {len(e.reopened)} tasks back to work"
                    + (f": {free(e.note)}" if e.note else ""))
        case FollowUpRecorded():
            return f"回访 follow-up: {SATISFACTION_LABELS[e.satisfaction]}"
        case CaseReopened():
            return f"重新办理 case reopened (#{e.reopen_count}): {free(e.reason)}"
        case CaseArchived():
            return f"归档 archived: {ARCHIVE_LABELS[e.reason]}"
        # issue 8: notifications (送达)
        case NotificationIssued():
            channels = f"{len(e.targets)} channels 渠道" if e.targets else "in-app only 仅站内"
            return (f"通知 {NOTIFICATION_LABELS.get(e.kind, e.kind)} notification to 发送至 "
                    f"{recipients_label(e.recipients, names) or '—'} ({channels}{', 紧急 urgent' if e.urgent else ''})")
        case NotificationDeferred():
            return f"暂缓 notification deferred until quiet hours end 免打扰结束后发送 {local_time(e.until, tz)}"
        case NotificationDelivered():
            return (f"送达 delivered via {_channel(after, e.notification_id, e.channel_id, names)} "
                    f"after {e.attempts} attempts")
        case NotificationFailed():
            return (f"送达失败 failed via {_channel(after, e.notification_id, e.channel_id, names)} "
                    f"after {e.attempts} attempts: {e.reason}")
        case AttachmentAdded():  # issue 12
            return f"附件 attachment 「{free(e.name)}」 ({e.media_type}, {e.size} bytes, sha256 {e.sha256[:12]}…)"
        case ReturnRequested():
            return f"申请退回 {task_of(e.task_id)} asks to return: {free(e.reason)}"
        case ReturnDecided():
            verdict = "批准 approved" if e.approved else "不批准，强制派单 refused, dispatched by order"
            return f"退回审核 return of {task_of(e.task_id)} {verdict}" + (f": {free(e.note)}" if e.note else "")
        case TaskWithdrawn():
            return f"协办退出 {task_of(e.task_id)} withdrawn: {free(e.reason)}"
        case DepartmentsSummoned():
            return (f"吹哨 summons {e.summons_id}: {', '.join(e.departments)} must report 报到 by "
                    f"{local_time(e.due_at, tz)}: {free(e.reason)}")
        case SummonsReported():
            return f"报到 {e.department} reported to {e.summons_id}" + (f": {free(e.note)}" if e.note else "")
        case MeetingMinutesRecorded():
            taken = "; ".join(f"{c.department} 承诺 {free(c.what)} by {local_time(c.due_at, tz)}"
                              for c in e.commitments)
            return (f"会议纪要 minutes of {e.meeting_id}: attended 出席 {', '.join(e.attended)}"
                    + (f"; {taken}" if taken else ""))
        case CommitmentFulfilled():
            return f"履行承诺 commitment {e.commitment_id} fulfilled" + (f": {free(e.note)}" if e.note else "")
        case CaseListed():
            return f"挂牌督办 listed by hand, 包案领导 leader {free(e.leader)}: {free(e.reason)}"
        case ListingLifted():
            return f"摘牌 listing lifted: {free(e.reason)}"
        case RiskRegraded():
            return f"风险调整 risk {RISK_LABELS[e.previous]} -> {RISK_LABELS[e.risk_level]}: {free(e.reason)}"
        case FollowUpScheduled():
            return f"回访时限 follow-up {e.follow_up_id} due {local_time(e.due_at, tz)}"
        case WatchedDeadlinesMoved():
            return f"时限顺延 {len(e.due_times)} watched deadlines moved by the paused time"
        case ComplaintJudged():
            verdict = "合理，重新办理 reasonable, reopen" if e.reasonable else "不合理，归档 unreasonable, archive"
            return f"不满意认定 complaint judged {verdict}: {free(e.reason)}"
    return recorded.type


NOTIFICATION_LABELS = {"assignment": "派单", "reminder": "催办", "warning": "预警", "listed_supervision": "挂牌督办",
                       "critical_alert": "紧急预警", "summons": "吹哨报到"}


RECIPIENT_ROLE_LABELS = {"liaisons": "联络员", "head": "负责人"}


def recipient_label(recipient: str, names: Names) -> str:
    """``"liaisons:{department}"`` as 花园社区居委会联络员."""
    role, _, department = recipient.partition(":")
    return f"{names.department(department)}{RECIPIENT_ROLE_LABELS.get(role, role)}"


def recipients_label(recipients: Sequence[str], names: Names) -> str:
    return "、".join(recipient_label(r, names) for r in recipients)


def _channel(state: CaseState, notification_id: str, channel_id: str, names: Names) -> str:
    """A delivery's redacted address and whom it reaches (never the URL)."""
    for n in state.notifications:
        for d in n.deliveries:
            if n.notification_id == notification_id and d.channel_id == channel_id:
                return f"{d.address} to 至 {recipient_label(f'{d.role}:{d.department}', names)}"
    return "?"


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
