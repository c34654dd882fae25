"""Activities: resolve a notification's recipients through the organisation, and deliver it on one channel.

Delivery is at least once, with a dedupe key per (notification, channel) in PostgreSQL
(013_notification_deliveries.sql): an attempt claims the key before it sends and marks it delivered after.
A retry of a delivered channel answers "delivered" without sending. A claim is a lease as long as one attempt
may run (``start_to_close``): a worker killed mid-send leaves a claim that the next attempt takes over once the
lease has run out, and sends again. So a duplicate is possible exactly when the receiver accepted a message but
its acceptance was not marked: the worker died (or the database was unreachable) between the receiver's answer
and the mark, or the receiver took it but answered too late (timeout). Apprise URLs never leave this module:
the workflow, the events and the logs know a channel by its id and redacted address only."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import apprise
import asyncpg
from pydantic import BaseModel
from temporalio import activity
from temporalio.exceptions import ApplicationError

from domain.events import DeliveryTarget, DomainEvent, NotificationDeferred, NotificationIssued
from domain.notifications import Intent, message, recipients, targets, url_for
from domain.organisation import Organisation
from infra.deliveries import claim_delivery, delivery_status, mark_delivered, mark_for_retry
from infra.logging import get_logger

log = get_logger(__name__)
# Apprise logs the URLs it sends to (with their keys and passwords) at debug and info: keep it quiet.
logging.getLogger("apprise").setLevel(logging.CRITICAL)

ATTEMPT_TIMEOUT = timedelta(seconds=20)  # one send; also the lease of a claim
SEND_TIMEOUT_S = 10


class ResolveRequest(BaseModel):
    case_id: str
    title: str  # domain.notifications.safe_title: parties' data masked
    timezone: str
    intents: list[Intent]


class Resolved(BaseModel):
    recipients: tuple[str, ...]
    targets: tuple[DeliveryTarget, ...]
    text: str
    link: str
    give_up_after_s: int


class IssuePlan(BaseModel):
    """What the workflow decided about one notification before its addresses are known: its id and urgency."""

    intent: Intent
    notification_id: str
    urgent: bool


def issued_events(plan: IssuePlan, resolved: Resolved, quiet_end: datetime | None) -> list[DomainEvent]:
    """The events that record one notification: issued with its resolved addresses and text, and deferred to
    the end of the quiet hours when it is not urgent and has channels to wait for."""
    intent = plan.intent
    issued = NotificationIssued(
        notification_id=plan.notification_id, kind=intent.kind, level=intent.level, task_id=intent.task_id,
        due_at=intent.due_at, recipients=resolved.recipients, text=resolved.text, link=resolved.link,
        urgent=plan.urgent, targets=resolved.targets, give_up_after_s=resolved.give_up_after_s)
    if not plan.urgent and quiet_end is not None and resolved.targets:
        return [issued, NotificationDeferred(notification_id=plan.notification_id, until=quiet_end)]
    return [issued]


class DeliverRequest(BaseModel):
    case_id: str
    notification_id: str
    channel_id: str
    subject: str
    text: str


class DeliverResult(BaseModel):
    attempts: int
    already_delivered: bool = False


def case_link(public_url: str, case_id: str) -> str:
    return f"{public_url.rstrip('/')}/cases/{case_id}"


async def send(url: str, subject: str, text: str, limit_s: float = SEND_TIMEOUT_S) -> bool:
    """One message through Apprise; True when the receiver accepted it."""
    sender = apprise.Apprise()
    if not sender.add(url):
        raise ApplicationError("the channel's address is not a URL Apprise can send to", type="UnsupportedChannel",
                               non_retryable=True)
    return bool(await sender.async_notify(body=text, title=subject, timeout=limit_s))


class NotificationActivities:
    def __init__(self, pool: asyncpg.Pool, org: Organisation, public_url: str, give_up_after_s: int) -> None:
        self.pool = pool
        self.org = org
        self.public_url = public_url
        self.give_up_after_s = give_up_after_s

    @activity.defn(name="resolve_notifications")
    async def resolve_notifications(self, request: ResolveRequest) -> list[Resolved]:
        """Each intent's recipients and channels as the organisation names them now (recorded with the
        notification, so a later change of the organisation does not rewrite who was told)."""
        return self.resolve(request)

    def resolve(self, request: ResolveRequest) -> list[Resolved]:
        link = case_link(self.public_url, request.case_id)
        out = []
        for intent in request.intents:
            who = recipients(self.org, intent)
            _, text = message(intent, request.case_id, request.title, request.timezone, link, self.org)
            out.append(Resolved(recipients=who, targets=tuple(t for r in who for t in targets(self.org, r)),
                                text=text, link=link, give_up_after_s=self.give_up_after_s))
        return out

    @activity.defn(name="deliver_notification")
    async def deliver_notification(self, request: DeliverRequest) -> DeliverResult:
        url = url_for(self.org, request.channel_id)
        if url is None:
            raise ApplicationError("the organisation no longer has this channel", type="ChannelRemoved",
                                   non_retryable=True)
        attempts = await claim_delivery(self.pool, request.notification_id, request.channel_id, request.case_id,
                                        ATTEMPT_TIMEOUT)
        if attempts is None:
            found = await delivery_status(self.pool, request.notification_id, request.channel_id)
            if found is not None and found[0] == "delivered":
                return DeliverResult(attempts=found[1], already_delivered=True)
            # Another attempt holds a live claim (this one started after a timeout while it still runs).
            raise ApplicationError("another attempt is sending this message", type="DeliveryInProgress")
        try:
            accepted = await send(url, request.subject, request.text)
        except ApplicationError:
            raise
        except Exception as exc:  # a bug in a plugin must not leave the claim held for a whole lease
            accepted = False
            error = type(exc).__name__
        else:
            error = "the receiver did not accept the message"
        if accepted:
            await mark_delivered(self.pool, request.notification_id, request.channel_id)
            return DeliverResult(attempts=attempts)
        await mark_for_retry(self.pool, request.notification_id, request.channel_id, error)
        raise ApplicationError(error, {"attempts": attempts}, type="DeliveryRefused")

