"""Who is told of what. Recipients are addresses (a department's liaisons, its head, a jurisdiction's
centre), resolved to people and channels by the notifier, so no personal data passes through here."""

from __future__ import annotations

from typing import Literal

from domain.case import CaseState
from domain.events import (
    CaseListed,
    CaseReceived,
    DepartmentsSummoned,
    DomainEvent,
    Frozen,
    ReturnRequested,
    RiskRegraded,
    TaskAssigned,
    TaskEscalated,
    TaskReminded,
)
from domain.vocabulary import WATCH_CLOCKS, RiskLevel

Channel = Literal["inbox", "sms"]


class Notification(Frozen):
    recipient: str
    channel: Channel
    kind: str


def notifications_for(state: CaseState, event: DomainEvent) -> list[Notification]:
    """Notifications due for ``event``, given the case ``state`` before it."""
    match event:
        case TaskReminded() | TaskEscalated() if event.clock in WATCH_CLOCKS:
            return _watch_notifications(state, event)
        case DepartmentsSummoned():  # 吹哨: each summoned department is told at once
            return [Notification(recipient=f"liaisons:{d}", channel="sms", kind="summons") for d in event.departments]
        case CaseListed():
            up = next((t.escalate_to for t in reversed(state.tasks) if t.escalate_to), None) or "district"
            return [Notification(recipient=f"centre:{up}", channel="sms", kind="listed_supervision"),
                    *(Notification(recipient=f"head:{t.department}", channel="sms", kind="listed_supervision")
                      for t in state.active_tasks)]
        case RiskRegraded() if event.risk_level is RiskLevel.critical:
            return [Notification(recipient="centre:district", channel="sms", kind="critical_alert"),
                    Notification(recipient=f"police:{state.grid_id}", channel="sms", kind="critical_alert")]
        case ReturnRequested():
            return [Notification(recipient="centre:case", channel="inbox", kind="return_requested")]
        case CaseReceived() if event.risk_level is RiskLevel.critical:
            # 民转刑 / 群体性事件 risk: the district centre and the police are told at once.
            return [Notification(recipient="centre:district", channel="sms", kind="critical_case"),
                    Notification(recipient=f"police:{event.grid_id}", channel="sms", kind="critical_case")]
        case TaskAssigned():
            return [Notification(recipient=f"liaisons:{event.department}", channel="inbox", kind="task_assigned")]
        case TaskReminded():
            task = state.task(event.task_id)
            if task is None:
                return []
            return [Notification(recipient=f"liaisons:{task.department}", channel="inbox", kind="reminder")]
        case TaskEscalated():
            task = state.task(event.task_id)
            if task is None:
                return []
            if event.level == 2:
                return [Notification(recipient=f"head:{task.department}", channel="sms", kind="warning"),
                        Notification(recipient="centre:case", channel="inbox", kind="warning")]
            up = event.notify_jurisdiction or "district"
            return [Notification(recipient=f"centre:{up}", channel="sms", kind="listed_supervision"),
                    Notification(recipient=f"head:{task.department}", channel="sms", kind="listed_supervision")]
    return []


def _watch_notifications(state: CaseState, event: TaskReminded | TaskEscalated) -> list[Notification]:
    """The ladder of a summons report, a commitment or the follow-up: the department (the centre for the
    follow-up, which is its own work), then its head and the centre, then the jurisdiction one level up."""
    watch = state.watch(event.task_id)
    if watch is None:
        return []
    own = f"liaisons:{watch.department}" if watch.department else "centre:case"
    if isinstance(event, TaskReminded):
        return [Notification(recipient=own, channel="inbox", kind="reminder")]
    head = [Notification(recipient=f"head:{watch.department}", channel="sms",
                         kind="warning" if event.level == 2 else "listed_supervision")] if watch.department else []
    if event.level == 2:
        return [*head, Notification(recipient="centre:case", channel="inbox", kind="warning")]
    up = event.notify_jurisdiction or "district"
    return [Notification(recipient=f"centre:{up}", channel="sms", kind="listed_supervision"), *head]
