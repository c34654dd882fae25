"""Activity: a decision's events and the notifications they call for, addressed and appended in one go.

a decision that notifies (an assignment, a reminder, a warning, a listing...) used to run two
local activities, one to resolve the addresses through the organisation and one to append, so each
escalation took three activations of its workflow. This one does both: the workflow decides the events,
the notifications' ids and urgency; the activity resolves the addresses (recorded with each notification),
builds the notification events with the ids it was given and appends everything in one transaction. Its
result, the events as appended, is what the workflow folds into its state, so a replay never looks at the
organisation again. Idempotent under retries like ``append_events``: the ids come from the workflow."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel
from temporalio import activity

from activities.event_store import AppendRequest, EventStoreActivities, OutboxNotification
from activities.notifications import IssuePlan, NotificationActivities, ResolveRequest, issued_events
from domain.events import Actor, NotificationIssued, PendingEvent


class DecisionAppend(BaseModel):
    case_id: str
    expected_version: int
    decided: list[PendingEvent]  # the decision's own events, with their ids
    actor: Actor
    occurred_at: datetime
    resolve: ResolveRequest  # the intents, the case's masked title and its time zone
    plans: list[IssuePlan]  # one per intent, in the same order
    quiet_end: datetime | None  # the end of the quiet hours the decision falls in, if it does
    event_ids: list[UUID]  # ids for the notification events: two per plan (issued, and deferred if it is)
    # The workflow has the decided events already: True answers with the notification events alone (the
    # routing's marker in the history: 1.9 KB -> about 0.6 KB).
    notices_only: bool = False


class DecisionAppended(BaseModel):
    version: int
    head_hash: str
    written: int
    events: list[PendingEvent]  # as appended: the decided ones first, then each notification's
    # Set when ``events`` holds each notification's alone (asked with DecisionAppend.notices_only); absent
    # from the answers recorded before, which hold every event.
    notices_only: bool = False


class DecisionActivities:
    def __init__(self, store: EventStoreActivities, notify: NotificationActivities) -> None:
        self.store = store
        self.notify = notify

    @activity.defn(name="append_decision")
    async def append_decision(self, request: DecisionAppend) -> DecisionAppended:
        resolved = await self.notify.resolve(request.resolve)
        ids = iter(request.event_ids)
        notices = [PendingEvent(event_id=next(ids), occurred_at=request.occurred_at, actor=request.actor, payload=p)
                   for plan, r in zip(request.plans, resolved, strict=True)
                   for p in issued_events(plan, r, request.quiet_end)]
        events = [*request.decided, *notices]
        outbox = [OutboxNotification(event_id=n.event_id, recipient=who, channel="inbox", kind=n.payload.kind)
                  for n in notices if isinstance(n.payload, NotificationIssued) for who in n.payload.recipients]
        result = await self.store.append_events(AppendRequest(
            case_id=request.case_id, expected_version=request.expected_version, events=events, notifications=outbox))
        assert result is not None  # asked with an answer
        return DecisionAppended(version=result.version, head_hash=result.head_hash, written=result.written,
                                events=notices if request.notices_only else events,
                                notices_only=request.notices_only)
