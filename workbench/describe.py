"""The case's history as the desk tells it: one Chinese line per event, with departments by name and who
did it. The state comes from the domain's own fold (``evolve``); free text goes through the audit tools'
``redact`` so a party's phone or ID number typed into a note never shows to someone who sees them masked."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from domain.case import CaseState, evolve
from domain.events import (
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
from infra.audit.masking import redact
from workbench import labels

Names = Callable[[str], str]
_NOTIFICATION_KIND = {"assignment": "派单", "reminder": "催办", "warning": "预警", "listed_supervision": "挂牌督办",
                      "critical_alert": "紧急预警", "summons": "吹哨报到", "return_requested": "退回申请"}


@dataclass(frozen=True)
class Step:
    seq: int
    at: datetime
    who: str  # 调解员 张三 · 东湖街道综治中心
    what: str
    event_type: str


def history(events: Sequence[RecordedEvent], names: Names, *, masked: bool) -> tuple[CaseState, list[Step]]:
    """The case after the last of ``events`` and one step per event, oldest first."""
    state = CaseState(case_id=events[0].case_id) if events else CaseState(case_id="")
    steps: list[Step] = []
    for recorded in events:
        before = state
        state = evolve(state, recorded.payload, recorded.occurred_at, recorded.seq)
        text = _describe(recorded, before, state, names)
        if masked:
            text = redact(text, state.parties)
        actor = recorded.actor
        who = " ".join(x for x in (labels.ROLE.get(actor.role, actor.role.value), actor.name) if x)
        if actor.department:
            who += f" · {names(actor.department)}"
        steps.append(Step(recorded.seq, recorded.occurred_at, who, text, recorded.type))
    return state, steps


def _clip(text: str | None, width: int = 80) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _describe(recorded: RecordedEvent, before: CaseState, after: CaseState, names: Names) -> str:
    def dept_of(task_id: str) -> str:
        task = before.task(task_id) or after.task(task_id)
        return names(task.department) if task else task_id

    def on_time(at: datetime, due: datetime) -> str:
        return "（按时）" if at <= due else "（超时）"

    e = recorded.payload
    at = recorded.occurred_at
    match e:
        case CaseReceived():
            text = f"受理登记「{_clip(e.title, 40)}」，来源{labels.CHANNEL[e.channel]}，风险{labels.RISK[e.risk_level]}"
            return text + (f"，疑似与 {e.duplicate_of} 重复" if e.duplicate_of else "")
        case CaseNotAccepted():
            return f"不予受理：{_clip(e.reason)}"
        case CaseMarkedDuplicate():
            return f"认定为重复件，并入 {e.duplicate_of}"
        case CaseRouted():
            text = f"分流：牵头 {names(e.lead_department)}"
            if e.co_departments:
                text += "，协办 " + "、".join(names(d) for d in e.co_departments)
            if e.suggested_lead and e.suggested_lead != e.lead_department:
                text += f"（规则建议牵头 {names(e.suggested_lead)}）"
            return text
        case TaskAssigned():
            return (f"派单给{names(e.department)}（{labels.TASK_ROLE[e.role]}），"
                    f"签收时限 {labels.local(e.acknowledge_due_at)}，答复时限 {labels.local(e.reply_due_at)}")
        case TaskAcknowledged():
            task = before.task(e.task_id)
            return f"{dept_of(e.task_id)}签收" + (on_time(at, task.acknowledge_due_at) if task else "")
        case TaskReturned():
            return f"{dept_of(e.task_id)}退回：{_clip(e.reason)}"
        case TaskReminded():
            return f"催办{dept_of(e.task_id)}：{labels.CLOCK[e.clock.value]}时限 {labels.local(e.due_at)}"
        case TaskEscalated():
            return f"{labels.LEVEL[e.level]}：{dept_of(e.task_id)}{labels.CLOCK[e.clock.value]}已超时"
        case EscalationCleared():
            return f"解除{labels.LEVEL.get(e.level, '督办')}：{dept_of(e.task_id)}已办理"
        case ExtensionRequested():
            return f"{dept_of(e.task_id)}申请延期 {e.extra}：{_clip(e.reason)}"
        case ExtensionDecided():
            verdict = "批准" if e.approved else "不批准"
            return f"延期审批：{verdict}，{dept_of(e.task_id)}答复时限 {labels.local(e.reply_due_at)}"
        case ClockPaused():
            return f"中止计时：{_clip(e.reason)}"
        case ClockResumed():
            return f"恢复计时：{_clip(e.reason)}"
        case TaskReplied():
            task = before.task(e.task_id)
            timing = on_time(at, task.reply_due_at) if task else ""
            return f"{dept_of(e.task_id)}答复{timing}：{_clip(e.summary)}"
        case MeetingConvened():
            return (f"召开联席会议（{labels.local(e.at)}，" + "、".join(names(d) for d in e.departments)
                    + f"）：{_clip(e.agenda)}")
        case MediationRecorded():
            return f"{labels.METHOD[e.method]}：{'达成协议' if e.agreement_reached else '未达成协议'}"
        case ResolutionSubmitted():
            return f"提交办结：{labels.OUTCOME[e.outcome]}，{_clip(e.summary)}"
        case ResolutionVerified():
            return "验收通过" + (f"：{_clip(e.note)}" if e.note else "")
        case ResolutionRejected():
            return "验收不通过，退回重办" + (f"：{_clip(e.note)}" if e.note else "")
        case FollowUpRecorded():
            return f"回访：{labels.SATISFACTION[e.satisfaction]}" + (f"，{_clip(e.note)}" if e.note else "")
        case CaseReopened():
            return f"重新办理（第{e.reopen_count}次）：{_clip(e.reason)}"
        case CaseArchived():
            return f"归档：{labels.ARCHIVE[e.reason]}"
        # Supervision as practised (督办规则).
        case ReturnRequested():
            return f"{dept_of(e.task_id)}申请退回：{_clip(e.reason)}"
        case ReturnDecided():
            verdict = "批准退回" if e.approved else "不批准，强制派单"
            return f"退回审核：{dept_of(e.task_id)}，{verdict}" + (f"：{_clip(e.note)}" if e.note else "")
        case TaskWithdrawn():
            return f"{dept_of(e.task_id)}退出协办：{_clip(e.reason)}"
        case DepartmentsSummoned():
            return ("吹哨：" + "、".join(names(d) for d in e.departments)
                    + f"须于 {labels.local(e.due_at)} 前报到：{_clip(e.reason)}")
        case SummonsReported():
            return f"{names(e.department)}报到" + (f"：{_clip(e.note)}" if e.note else "")
        case MeetingMinutesRecorded():
            text = "会议纪要：到会 " + ("、".join(names(d) for d in e.attended) or "—")
            return text + "".join(f"；{names(c.department)}承诺于 {labels.local(c.due_at)} 前{_clip(c.what, 40)}"
                                  for c in e.commitments)
        case CommitmentFulfilled():
            return "履行承诺事项" + (f"：{_clip(e.note)}" if e.note else "")
        case CaseListed():
            return f"挂牌督办，包案领导 {_clip(e.leader, 20)}：{_clip(e.reason)}"
        case ListingLifted():
            return f"解除挂牌：{_clip(e.reason)}"
        case RiskRegraded():
            return f"风险调整：{labels.RISK[e.previous]} → {labels.RISK[e.risk_level]}：{_clip(e.reason)}"
        case FollowUpScheduled():
            return f"回访时限 {labels.local(e.due_at)}"
        case ComplaintJudged():
            return ("不满意认定：诉求合理，重新办理" if e.reasonable else "不满意认定：诉求不合理，归档") \
                + f"：{_clip(e.reason)}"
        case WatchedDeadlinesMoved():
            return "恢复计时，报到、承诺和回访时限顺延"
        # Notifications (送达) and attachments.
        case NotificationIssued():
            channels = f"{len(e.targets)} 个渠道" if e.targets else "仅站内"
            return f"发出通知（{_NOTIFICATION_KIND.get(e.kind, e.kind)}，{channels}）" + ("，紧急" if e.urgent else "")
        case NotificationDeferred():
            return f"通知暂缓，免打扰时段结束后（{labels.local(e.until)}）发送"
        case NotificationDelivered():
            return f"通知已送达（{e.attempts} 次尝试）"
        case NotificationFailed():
            return f"通知送达失败（{e.attempts} 次尝试）：{_clip(e.reason, 40)}"
        case AttachmentAdded():
            return f"上传附件「{_clip(e.name, 40)}」"
    return recorded.type  # an event this desk does not know yet (a newer version): its name at least
