"""The monthly 研判 report's effects, for the schedule's workflow: make and keep the month's report (the use case
is handed in by the composition root: activities do not reach up into the application layer), and deliver its
announcement to the district centre on the channels the organisation names, each channel once (送达记录)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import asyncpg
from pydantic import BaseModel
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.notifications import send
from domain.notifications import url_for
from domain.organisation import Organisation
from infra.deliveries import claim_delivery, delivery_status, mark_delivered, mark_for_retry
from infra.monthly import announcement, update_announcement

_LEASE = timedelta(minutes=2)  # as long as one attempt at a channel may run


class MakeRequest(BaseModel):
    at: datetime  # the workflow's time: the month before it is made
    period: str | None = None  # a month asked for by hand (YYYY-MM); None: the month before ``at``


class MonthlyMade(BaseModel):
    period: str
    stored: list[str]  # the formats this run stored (empty: the month was already kept)
    sha256: dict[str, str]
    notification_id: str | None
    announced: bool


MakeReport = Callable[[MakeRequest], Awaitable[MonthlyMade]]


class MonthlyReportActivities:
    def __init__(self, pool: asyncpg.Pool, org: Organisation, make: MakeReport) -> None:
        self.pool = pool
        self.org = org
        self._make = make

    @activity.defn(name="make_monthly_report")
    async def make_monthly_report(self, request: MakeRequest) -> MonthlyMade:
        return await self._make(request)

    @activity.defn(name="deliver_monthly_report")
    async def deliver_monthly_report(self, notification_id: str) -> int:
        """Send the announcement on each of its channels not yet delivered; the number delivered by this
        attempt. A refused send is retried (the activity fails); a delivered channel is never sent again."""
        record = await announcement(self.pool, notification_id)
        if record is None:
            return 0
        delivered, failed, done = 0, [], {}
        for d in record.deliveries:
            status = await delivery_status(self.pool, notification_id, d.channel_id)
            if status is not None and status[0] == "delivered":
                done[d.channel_id] = status[1]
                continue
            url = url_for(self.org, d.channel_id)
            attempt = None if url is None else await claim_delivery(self.pool, notification_id, d.channel_id, "",
                                                                     _LEASE)
            if url is None or attempt is None:
                continue
            try:
                accepted = await send(url, "月度研判报告", record.text)
            except ApplicationError:
                raise
            except Exception as exc:  # a receiver's failure is retried, whatever it is
                accepted, error = False, type(exc).__name__
            else:
                error = "the receiver did not accept it"
            if accepted:
                await mark_delivered(self.pool, notification_id, d.channel_id)
                done[d.channel_id] = attempt
                delivered += 1
            else:
                await mark_for_retry(self.pool, notification_id, d.channel_id, error)
                failed.append(d.channel_id)
        now = datetime.now(record.created_at.tzinfo)
        await update_announcement(self.pool, record.model_copy(update={"deliveries": tuple(
            d.model_copy(update={"status": "delivered", "attempts": done[d.channel_id],
                                 "delivered_at": d.delivered_at or now})
            if d.channel_id in done else d for d in record.deliveries)}))
        if failed:
            raise ApplicationError(f"{len(failed)} channel(s) refused the announcement", type="NotDelivered")
        return delivered
