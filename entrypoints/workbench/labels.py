"""The domain's words as the desk shows them: Chinese only (a desk read all day on a phone needs the short
form). The words the events are told with come from ``domain.describe``, so a page and its history agree."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from domain import describe
from domain.case import JudicialConfirmation
from domain.describe import (
    ARCHIVE,
    CHANNEL,
    GRADE,
    METHOD,
    NOT_ACCEPTED,
    OUTCOME,
    PARTY_ROLE,
    RISK,
    ROLE,
    SATISFACTION,
    STAGE,
    TASK_ROLE,
    TASK_STATUS,
)
from domain.handling import LEVEL_NAMES
from domain.vocabulary import DocumentKind

TIMEZONE = ZoneInfo("Asia/Shanghai")

LEVEL = {0: "正常", **describe.LEVEL}
HANDLING_LEVEL = LEVEL_NAMES  # where a case is handled now: 网格, 社区, 街道, 区
CLOCK = {clock.value: words for clock, words in describe.CLOCK.items()}  # templates look up by the clock's name

def local(value: datetime | None) -> str:
    return "—" if value is None else value.astimezone(TIMEZONE).strftime("%m-%d %H:%M")


def local_full(value: datetime | None) -> str:
    return "—" if value is None else value.astimezone(TIMEZONE).strftime("%Y-%m-%d %H:%M")


duration = describe.duration_words  # "3wd" as 3个工作日


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


NOTICE_KIND = describe.NOTIFICATION_KIND  # the words of the history, so the bell and the timeline agree


def notice_kind(kind: str, level: int) -> str:
    return NOTICE_KIND.get(kind, LEVEL.get(level, "通知"))


def local_iso(value: str | datetime | None) -> str:
    """A time from a JSON answer (ISO 8601 text) or a datetime, in local time."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return local(value)


__all__ = [  # the words re-exported from domain.describe are the desk's too
    "ARCHIVE", "CHANNEL", "CLOCK", "GRADE", "LEVEL", "METHOD", "NOTICE_KIND", "NOT_ACCEPTED", "OUTCOME", "PARTY_ROLE",
    "RISK", "ROLE", "SATISFACTION", "STAGE", "TASK_ROLE", "TASK_STATUS", "TIMEZONE", "countdown", "level_colour",
    "local", "local_full", "local_iso", "notice_kind", "percent", "rate_colour", "span"
]

# Mediation papers: each kind's name and the button that issues it (出具协议书 and friends)
PAPER = {kind.value: words for kind, words in describe.DOCUMENT.items()}
PAPER_BUTTON = {DocumentKind.registration: "出具登记表", DocumentKind.mediation_record: "出具调解记录",
                DocumentKind.agreement: "出具协议书", DocumentKind.supervision_notice: "出具督办通知单",
                DocumentKind.follow_up_record: "出具回访记录", DocumentKind.case_file: "生成卷宗"}
PERFORMANCE = {None: "待履行", True: "已履行", False: "未履行"}


def confirmation(jc: JudicialConfirmation) -> str:
    """司法确认 as it stands: not applied for, awaiting the court, or its ruling."""
    if jc.applied_at is None:
        return "尚未申请"
    if jc.confirmed is None:
        return f"已于 {local(jc.applied_at)} 申请，待法院确认"
    return ("确认有效" if jc.confirmed else "不予确认") + (f"（{jc.ruling_no}）" if jc.ruling_no else "")

# 进度: the last step of a grid worker's report, in the words of 我的上报 (any other step shows as 办理中)
STEP = {
    "CaseReceived": "已受理，待分流", "CaseRouted": "已分流", "TaskAssigned": "已派单",
    "TaskAcknowledged": "部门已签收", "TaskReplied": "部门已答复", "MediationRecorded": "已调解",
    "ResolutionSubmitted": "已办结，待验收", "ResolutionVerified": "已验收，待回访",
    "ResolutionRejected": "验收未通过，重新办理", "FollowUpRecorded": "已回访", "CaseArchived": "已归档",
    "CaseNotAccepted": "不予受理", "CaseMarkedDuplicate": "重复件", "CaseReopened": "重新办理",
    "CaseHandedUp": "已上交",
}


def step(event_type: str) -> str:
    return STEP.get(event_type, "办理中")
