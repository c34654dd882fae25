"""Activities: resolve a notification's recipients through the organisation, and deliver it: on one channel, or
every channel of a case's notifications due at one instant in one activity (``deliver_notifications``).

Delivery is at least once, with a dedupe key per (notification, channel) in PostgreSQL
(013_notification_deliveries.sql): an attempt claims the key before it sends and marks it delivered after.
A retry of a delivered channel answers "delivered" without sending. A claim is a lease as long as one attempt
may run (``start_to_close``): a worker killed mid-send leaves a claim that the next attempt takes over once the
lease has run out, and sends again. So a duplicate is possible exactly when the receiver accepted a message but
its acceptance was not marked: the worker died (or the database was unreachable) between the receiver's answer
and the mark, or the receiver took it but answered too late (timeout). Apprise URLs never leave this module:
the workflow, the events and the logs know a channel by its id and redacted address only.

A batch claims, sends and marks its channels a chunk of ``BATCH_CONCURRENCY`` at a time: a claim is taken just
before its send, so its lease covers one send as a single delivery's does. Webhooks (Apprise ``json://`` and
``jsons://``) are posted through a few shared HTTP clients with keep-alive, the address parsed by Apprise's own
plugin (headers, parameters, credentials and payload fields as Apprise would send them); every other scheme
goes through Apprise itself."""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
from datetime import datetime, timedelta
from typing import Any, Literal

import apprise
import asyncpg
import httpx
from apprise.manager_plugins import NotificationManager
from pydantic import BaseModel
from temporalio import activity
from temporalio.exceptions import ApplicationError

from domain.events import DeliveryTarget, DomainEvent, NotificationDeferred, NotificationIssued
from domain.notifications import Intent, message, person_of, person_targets, person_url, recipients, targets, url_for
from domain.organisation import Organisation
from infra.deliveries import (
    claim_deliveries,
    claim_delivery,
    delivery_status,
    delivery_statuses,
    mark_delivered,
    mark_for_retry,
    mark_outcomes,
)
from infra.logging import get_logger
from infra.users import notify_urls

log = get_logger(__name__)
# Apprise logs the URLs it sends to (with their keys and passwords) at debug and info: keep it quiet.
logging.getLogger("apprise").setLevel(logging.CRITICAL)

ATTEMPT_TIMEOUT = timedelta(seconds=20)  # one send; also the lease of a claim
SEND_TIMEOUT_S = 10
BATCH_CONCURRENCY = 16  # sends at once in one batch; also the channels claimed together
# webhook posts in flight at once in a worker, all batches together: as many as the clients' connections.
# More would wait inside httpcore's pool, whose bookkeeping grows with the square of the requests queued there
# (5,000 queued took the worker's event loop from the workflow tasks for seconds).
WEBHOOKS_IN_FLIGHT = 64
# connections of one client: the posts in flight are spread over WEBHOOKS_IN_FLIGHT / this many clients, each
# one post per connection. httpcore's pool walks all its connections on every request and every response (and
# asks each idle one's socket whether it is readable, and counts its idle ones once per connection): one pool
# of 64 connections cost 3.3 ms of CPU per post to a local receiver, 16 pools of 4 cost 0.7 ms.
CONNECTIONS_PER_CLIENT = 4


_PERSON = "user:"  # a recipient told in person: "user:{id}"


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


class DeliverItem(BaseModel):
    notification_id: str
    channel_id: str
    subject: str
    text: str


class DeliverBatch(BaseModel):
    case_id: str
    items: list[DeliverItem]


class ItemOutcome(BaseModel):
    """What one attempt on one channel came to: ``delivered``; ``failed`` for good (the channel is gone or its
    address cannot be sent to); ``retry`` (refused, or another attempt holds it): the workflow retries it."""

    notification_id: str
    channel_id: str
    status: Literal["delivered", "failed", "retry"]
    attempts: int = 0
    error: str = ""  # the error type: ChannelRemoved, UnsupportedChannel, DeliveryRefused, DeliveryInProgress...
    already_delivered: bool = False


def batch_timeout(items: int) -> timedelta:
    """Start-to-close of one batch attempt: one send's limit per chunk of ``BATCH_CONCURRENCY``."""
    return ATTEMPT_TIMEOUT * max(1, -(-items // BATCH_CONCURRENCY))


def case_link(public_url: str, case_id: str) -> str:
    return f"{public_url.rstrip('/')}/cases/{case_id}"


async def send(url: str, subject: str, text: str, limit_s: float = SEND_TIMEOUT_S) -> bool:
    """One message through Apprise; True when the receiver accepted it."""
    sender = apprise.Apprise()
    if not sender.add(url):
        raise ApplicationError("the channel's address is not a URL Apprise can send to", type="UnsupportedChannel",
                               non_retryable=True)
    return bool(await sender.async_notify(body=text, title=subject, timeout=limit_s))


class Webhooks:
    """Apprise ``json://`` / ``jsons://`` posts through shared ``httpx.AsyncClient``s (keep-alive, no thread
    per send). The address is parsed once per URL by Apprise's plugin; the request is built from it as the
    plugin's ``send`` builds it (method, headers, parameters, basic auth, payload fields re-mapped).

    A post takes a slot: one of ``WEBHOOKS_IN_FLIGHT``, ``CONNECTIONS_PER_CLIENT`` to a client (one client per
    slot group and certificate check), so no client ever has more posts than connections and none waits in its
    pool. The slots are taken last in, first out: the clients used last, whose connections are open, go first."""

    def __init__(self) -> None:
        self._ssl: dict[bool, ssl.SSLContext] = {}  # by whether certificates are verified; shared by the clients
        self._plugins: dict[str, Any] = {}
        # a slot's clients, by whether certificates are verified; made on the activities' event loop
        self._slots: asyncio.LifoQueue[dict[bool, httpx.AsyncClient]] | None = None

    def plugin(self, url: str) -> Any | None:
        """Apprise's parsed plugin for a webhook URL; None for another scheme (or an address it cannot parse)."""
        if not url.startswith(("json://", "jsons://")):
            return None
        if url not in self._plugins:
            if len(self._plugins) > 4096:  # the organisation changed a great deal: start again
                self._plugins.clear()
            self._plugins[url] = apprise.Apprise.instantiate(url)
        return self._plugins[url]

    def _client(self, group: dict[bool, httpx.AsyncClient], verify: bool) -> httpx.AsyncClient:
        if verify not in group:
            if verify not in self._ssl:  # one context for all the clients: each of its own costs milliseconds
                self._ssl[verify] = httpx.create_ssl_context(verify=verify)
            group[verify] = httpx.AsyncClient(
                verify=self._ssl[verify], limits=httpx.Limits(max_connections=CONNECTIONS_PER_CLIENT))
        return group[verify]

    async def post(self, plugin: Any, subject: str, text: str, limit_s: float) -> bool:
        if self._slots is None:
            self._slots = asyncio.LifoQueue()
            groups: list[dict[bool, httpx.AsyncClient]] = [
                {} for _ in range(WEBHOOKS_IN_FLIGHT // CONNECTIONS_PER_CLIENT)]
            for _ in range(CONNECTIONS_PER_CLIENT):
                for group in groups:
                    self._slots.put_nowait(group)
        payload: dict[str, Any] = {"version": plugin.json_version, "title": subject, "message": text,
                                   "attachments": [], "type": "info"}
        for key, value in plugin.payload_extras.items():
            if key in payload:
                if value:
                    payload[value] = payload[key]
                del payload[key]
            else:
                payload[key] = value
        port = f":{plugin.port}" if isinstance(plugin.port, int) else ""
        target = f"{'https' if plugin.secure else 'http'}://{plugin.host}{port}{plugin.fullpath}"
        headers = {"User-Agent": plugin.app_id, "Content-Type": "application/json", **plugin.headers}
        auth = (plugin.user, plugin.password or "") if plugin.user else None
        timeout = httpx.Timeout(plugin.socket_read_timeout, connect=plugin.socket_connect_timeout)
        group = await self._slots.get()
        try:
            client = self._client(group, bool(plugin.verify_certificate))
            response = await asyncio.wait_for(client.request(
                plugin.method, target, content=json.dumps(payload).encode(), params=plugin.params,
                headers=headers, auth=auth, timeout=timeout, follow_redirects=plugin.redirects), limit_s)
        except (httpx.HTTPError, TimeoutError):
            return False
        finally:
            self._slots.put_nowait(group)
        return 200 <= response.status_code < 300


class NotificationActivities:
    def __init__(self, pool: asyncpg.Pool, org: Organisation, public_url: str, give_up_after_s: int) -> None:
        self.pool = pool
        self.org = org
        self.public_url = public_url
        self.give_up_after_s = give_up_after_s
        self.webhooks = Webhooks()
        # Apprise loads its plugins (a hundred modules) on first use: 0.4-2 s on the event loop, which held up a
        # worker's first burst of deliveries and every workflow task with it. Loaded here, at the worker's start.
        NotificationManager().load_modules()  # type: ignore[no-untyped-call]

    @activity.defn(name="resolve_notifications")
    async def resolve_notifications(self, request: ResolveRequest) -> list[Resolved]:
        """Each intent's recipients and channels as the organisation names them now (recorded with the
        notification, so a later change of the organisation does not rewrite who was told)."""
        return await self.resolve(request)

    async def resolve(self, request: ResolveRequest) -> list[Resolved]:
        link = case_link(self.public_url, request.case_id)
        told = [recipients(self.org, intent) for intent in request.intents]
        # A person told by name ("user:{id}", a 包案 leader) is reached on the channels the admin gave them: one
        # read, and only for the rare notification that names a person.
        people = [r.removeprefix(_PERSON) for who in told for r in who if r.startswith(_PERSON)]
        channels = await notify_urls(self.pool, people) if people else {}

        def reaching(recipient: str) -> tuple[DeliveryTarget, ...]:
            if recipient.startswith(_PERSON):
                person = recipient.removeprefix(_PERSON)
                return person_targets(person, channels.get(person, ()))
            return targets(self.org, recipient)

        out = []
        for intent, who in zip(request.intents, told, strict=True):
            _, text = message(intent, request.case_id, request.title, request.timezone, link, self.org)
            out.append(Resolved(recipients=who, targets=tuple(t for r in who for t in reaching(r)), text=text,
                                link=link, give_up_after_s=self.give_up_after_s))
        return out

    async def _url(self, channel_id: str) -> str | None:
        """The URL a recorded channel stands for now: a department's from the organisation, a person's from
        their own channels (``None`` once they no longer have it, or are disabled)."""
        person = person_of(channel_id)
        if person is None:
            return url_for(self.org, channel_id)
        return person_url(channel_id, (await notify_urls(self.pool, [person])).get(person, ()))

    @activity.defn(name="deliver_notification")
    async def deliver_notification(self, request: DeliverRequest) -> DeliverResult:
        url = await self._url(request.channel_id)
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
            accepted = await self._send(url, request.subject, request.text)
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


    @activity.defn(name="deliver_notifications")
    async def deliver_notifications(self, batch: DeliverBatch) -> list[ItemOutcome]:
        """Every channel of ``batch`` (a case's notifications due at one instant): claimed, sent and marked a chunk
        at a time, each channel's outcome returned (a refusal is the workflow's to retry, as a single delivery's
        would be). A repeated batch (its worker died) answers "delivered" for what was, without sending."""
        out: list[ItemOutcome] = []
        for start in range(0, len(batch.items), BATCH_CONCURRENCY):
            out += await self._deliver_chunk(batch.case_id, batch.items[start:start + BATCH_CONCURRENCY])
        return out

    async def _deliver_chunk(self, case_id: str, items: list[DeliverItem]) -> list[ItemOutcome]:
        def outcome(item: DeliverItem, status: Literal["delivered", "failed", "retry"], attempts: int = 0,
                    error: str = "", already: bool = False) -> ItemOutcome:
            return ItemOutcome(notification_id=item.notification_id, channel_id=item.channel_id, status=status,
                               attempts=attempts, error=error, already_delivered=already)

        done: dict[int, ItemOutcome] = {}
        urls: dict[int, str] = {}
        for i, item in enumerate(items):
            url = await self._url(item.channel_id)
            if url is None:
                done[i] = outcome(item, "failed", error="ChannelRemoved")
            else:
                urls[i] = url
        keys = list(dict.fromkeys((items[i].notification_id, items[i].channel_id) for i in urls))
        claimed = await claim_deliveries(self.pool, case_id, keys, ATTEMPT_TIMEOUT)
        held = [k for k in keys if k not in claimed]
        found = await delivery_statuses(self.pool, held) if held else {}
        to_send: dict[int, int] = {}  # item -> attempt number
        taken: set[tuple[str, str]] = set()
        for i in urls:
            key = (items[i].notification_id, items[i].channel_id)
            if key in claimed and key not in taken:
                to_send[i] = claimed[key]
                taken.add(key)
            elif key in found and found[key][0] == "delivered":
                done[i] = outcome(items[i], "delivered", found[key][1], already=True)
            else:  # another attempt holds a live claim (or this batch names the channel twice)
                done[i] = outcome(items[i], "retry", error="DeliveryInProgress")

        async def one(i: int) -> tuple[int, bool | None, str]:
            try:
                return i, await self._send(urls[i], items[i].subject, items[i].text), ""
            except ApplicationError as exc:  # the address cannot be sent to: failed for good, as before
                return i, None, exc.type or "UnsupportedChannel"
            except Exception as exc:  # a bug in a plugin must not leave the claim held for a whole lease
                return i, False, type(exc).__name__

        sent = await asyncio.gather(*(one(i) for i in to_send))
        delivered = [(items[i].notification_id, items[i].channel_id) for i, ok, _ in sent if ok]
        refused = [((items[i].notification_id, items[i].channel_id), error or "the receiver did not accept the message")
                   for i, ok, error in sent if ok is False]
        await mark_outcomes(self.pool, delivered, refused)
        for i, ok, error in sent:
            if ok:
                done[i] = outcome(items[i], "delivered", to_send[i])
            elif ok is None:
                done[i] = outcome(items[i], "failed", error=error)
            else:
                done[i] = outcome(items[i], "retry", to_send[i], error="DeliveryRefused")
        return [done[i] for i in range(len(items))]

    async def _send(self, url: str, subject: str, text: str) -> bool:
        plugin = self.webhooks.plugin(url)
        if plugin is None:
            return await send(url, subject, text)
        return await self.webhooks.post(plugin, subject, text, SEND_TIMEOUT_S)
