"""The domain's words as the desk shows them: Chinese only (the audit tools print both languages; a desk
read all day on a phone needs the short form)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from domain.vocabulary import (
    ArchiveReason,
    Channel,
    MediationMethod,
    NotAcceptedReason,
    Outcome,
    PartyRole,
    RiskLevel,
    Role,
    Satisfaction,
    Stage,
    TaskRole,
    TaskStatus,
)

TIMEZONE = ZoneInfo("Asia/Shanghai")

STAGE = {Stage.intake: "受理", Stage.triage: "待分流", Stage.coordination: "协调中", Stage.supervision: "督办验收",
         Stage.archived: "已归档"}
ROLE = {Role.mediator: "调解员", Role.liaison: "部门联络员", Role.supervisor: "督办人", Role.auditor: "审计",
        Role.admin: "管理员", Role.system: "系统"}
CHANNEL = {Channel.walk_in: "来访", Channel.hotline: "12345热线", Channel.grid_report: "网格上报",
           Channel.online: "网上"}
RISK = {RiskLevel.low: "低", RiskLevel.medium: "中", RiskLevel.high: "高", RiskLevel.critical: "极高"}
PARTY_ROLE = {PartyRole.applicant: "申请人", PartyRole.respondent: "被申请人", PartyRole.third_party: "第三人"}
TASK_ROLE = {TaskRole.lead: "牵头", TaskRole.co: "协办"}
TASK_STATUS = {TaskStatus.pending_ack: "待签收", TaskStatus.acknowledged: "办理中",
               TaskStatus.return_requested: "申请退回（待审批）", TaskStatus.returned: "已退回",
               TaskStatus.replied: "已答复", TaskStatus.cancelled: "已撤销"}
LEVEL = {0: "正常", 1: "催办", 2: "预警", 3: "挂牌督办"}
OUTCOME = {Outcome.mediated: "调解成功", Outcome.partially_resolved: "部分解决",
           Outcome.referred_to_litigation: "引导诉讼/仲裁", Outcome.withdrawn: "撤回", Outcome.no_basis: "诉求不合理"}
SATISFACTION = {Satisfaction.satisfied: "满意", Satisfaction.basically_satisfied: "基本满意",
                Satisfaction.dissatisfied: "不满意"}
METHOD = {MediationMethod.people: "人民调解", MediationMethod.administrative: "行政调解",
          MediationMethod.judicial: "司法调解", MediationMethod.public_security: "治安调解"}
NOT_ACCEPTED = {NotAcceptedReason.out_of_scope: "不属于受理范围",
                NotAcceptedReason.in_litigation: "已进入诉讼或仲裁程序",
                NotAcceptedReason.duplicate: "重复件", NotAcceptedReason.other: "其他"}
ARCHIVE = {ArchiveReason.resolved: "办结", ArchiveReason.not_accepted: "不予受理", ArchiveReason.duplicate: "重复件"}
CLOCK = {"acknowledge": "签收", "reply": "答复", "report": "报到", "commitment": "承诺办理", "follow_up": "回访"}


def local(value: datetime | None) -> str:
    return "—" if value is None else value.astimezone(TIMEZONE).strftime("%m-%d %H:%M")


def local_full(value: datetime | None) -> str:
    return "—" if value is None else value.astimezone(TIMEZONE).strftime("%Y-%m-%d %H:%M")


def span(delta: timedelta) -> str:
    """A duration as a person says it: 2天3小时, 3小时12分, 8分钟."""
    minutes = int(abs(delta).total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}天{hours}小时"
    if hours:
        return f"{hours}小时{mins}分"
    return f"{max(mins, 1)}分钟"


def countdown(due: datetime | None, now: datetime) -> str:
    if due is None:
        return ""
    left = due - now
    return f"剩余 {span(left)}" if left.total_seconds() >= 0 else f"已超时 {span(left)}"


def level_colour(level: int, overdue: bool) -> str:
    """green / yellow (预警) / red (挂牌督办): the CSS class of a task's countdown."""
    if level >= 3:
        return "red"
    if level == 2 or overdue:
        return "yellow"
    return "green"


def percent(rate: float | None, absent: str = "0%") -> str:
    return absent if rate is None else f"{round(rate * 100)}%"


def rate_colour(rate: float | None) -> str:
    """On-time rate bars: red below 60 %, yellow below 90 %."""
    if rate is None:
        return "grey"
    return "red" if rate < 0.6 else "yellow" if rate < 0.9 else "green"


NOTICE_KIND = {"assignment": "派单", "reminder": "催办", "warning": "预警", "listed_supervision": "挂牌督办",
               "critical_alert": "紧急", "summons": "吹哨", "return_requested": "申请退回"}


def notice_kind(kind: str, level: int) -> str:
    return NOTICE_KIND.get(kind, LEVEL.get(level, "通知"))


def local_iso(value: str | datetime | None) -> str:
    """A time from a JSON answer (ISO 8601 text) or a datetime, in local time."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return local(value)
