"""Who is told of what. Recipients are addresses (a department's liaisons, its head, a jurisdiction's
centre), resolved to people and channels by the notifier, so no personal data passes through here."""

from __future__ import annotations

from typing import Literal

from domain.case import CaseState
from domain.events import CaseReceived, DomainEvent, Frozen, TaskAssigned, TaskEscalated, TaskReminded
from domain.vocabulary import RiskLevel

Channel = Literal["inbox", "sms"]


class Notification(Frozen):
    recipient: str
    channel: Channel
    kind: str


def notifications_for(state: CaseState, event: DomainEvent) -> list[Notification]:
    """Notifications due for ``event``, given the case ``state`` before it."""
    match event:
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
