"""A sweep's outside effects: read its next rung, sound it (the event with its notices appended to the sweep's
stream, recipients and channels resolved through the organisation as a case's are), and record what each
channel's delivery came to. The deliveries themselves go through the case notifications' own activity
(``deliver_notification``: one claim per notification and channel, so a retry never sends twice)."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg
from pydantic import BaseModel
from temporalio import activity

from domain.events import (
    SYSTEM_ACTOR,
    SweepEvent,
    SweepGridEscalated,
    SweepGridReminded,
    SweepNotice,
    SweepNoticeDelivered,
    SweepNoticeFailed,
)
from domain.notifications import local_time, quiet_until, recipients, targets
from domain.organisation import Organisation, UnknownId
from domain.policy import NotificationPolicy
from domain.sweeps import (
    RemindGrid,
    SweepAlarm,
    SweepRefused,
    SweepState,
    alarm_level,
    audiences,
    decide,
    next_alarm,
    notice_text,
    notifications_of,
    replay,
    with_notices,
)
from infra.sweeps import StaleSweep, append_sweep_events, record_sweep_notifications, sweep_events, sweep_events_at


class SweepStart(BaseModel):
    sweep_id: str


class SweepPlan(BaseModel):
    open: bool  # a grid has not reported yet
    alarm: SweepAlarm | None


class SoundRequest(BaseModel):
    sweep_id: str
    alarm: SweepAlarm


class NoticeDelivery(BaseModel):
    """One notice on one channel, for the workflow to deliver (after the quiet hours when deferred)."""

    notification_id: str
    channel_id: str
    subject: str
    text: str
    deferred_until: datetime | None = None
    give_up_after_s: int


class DeliveryOutcome(BaseModel):
    sweep_id: str
    notification_id: str
    channel_id: str
    attempts: int
    delivered: bool
    reason: str | None = None


def sweep_link(public_url: str, sweep_id: str) -> str:
    return f"{public_url.rstrip('/')}/sweeps/{sweep_id}"


def notice_id(sweep_id: str, alarm: SweepAlarm) -> str:
    """One id per rung of one grid: a retried sounding finds the notices it already wrote."""
    command = alarm.command
    rung = f"R{command.fraction:g}" if isinstance(command, RemindGrid) else f"L{command.level}"
    return f"{sweep_id}/{command.grid_id}/{rung}"


class SweepActivities:
    def __init__(self, pool: asyncpg.Pool, org: Organisation, public_url: str, give_up_after_s: int) -> None:
        self.pool = pool
        self.org = org
        self.public_url = public_url
        self.give_up_after_s = give_up_after_s

    @activity.defn(name="plan_sweep")
    async def plan_sweep(self, sweep_id: str) -> SweepPlan:
        state = replay(await sweep_events(self.pool, sweep_id))
        if state is None or not state.open:
            return SweepPlan(open=False, alarm=None)
        return SweepPlan(open=True, alarm=next_alarm(state))

    @activity.defn(name="sound_sweep_alarm")
    async def sound_sweep_alarm(self, request: SoundRequest) -> list[NoticeDelivery]:
        """Issue the rung if it is still the sweep's next one (a grid that reported meanwhile is left alone),
        and answer its deliveries not yet made, whether its event was appended now or by an earlier attempt."""
        wanted = notice_id(request.sweep_id, request.alarm)
        for _ in range(5):
            stored = await sweep_events_at(self.pool, request.sweep_id)
            events = [e for e, _ in stored]
            state = replay(events)
            if state is None:
                return []
            if next_alarm(state) != request.alarm:
                await self._project(state.sweep_id, stored)  # an earlier attempt may have stopped before it
                return self._deliveries(state, wanted)
            try:
                decided = decide(state, request.alarm.command, actor=SYSTEM_ACTOR, sweep_id=state.sweep_id,
                                 now=request.alarm.at)
            except SweepRefused:
                return []
            rung = decided[0]
            assert isinstance(rung, SweepGridReminded | SweepGridEscalated)
            notice = self._notice(state, rung.grid_id, alarm_level(request.alarm.command), wanted, request.alarm.at)
            new: list[SweepEvent] = [with_notices(rung, (notice,))]
            try:
                await append_sweep_events(self.pool, state.sweep_id, state.jurisdiction, len(events), new,
                                          SYSTEM_ACTOR, request.alarm.at)
            except StaleSweep:
                continue  # a report got in first: read again
            after = replay([*events, *new])
            assert after is not None
            await self._project(state.sweep_id, [*stored, *((e, request.alarm.at) for e in new)])
            return self._deliveries(after, wanted)
        raise StaleSweep(request.sweep_id)  # retried by Temporal

    @activity.defn(name="record_sweep_delivery")
    async def record_sweep_delivery(self, outcome: DeliveryOutcome) -> None:
        for _ in range(5):
            stored = await sweep_events_at(self.pool, outcome.sweep_id)
            events = [e for e, _ in stored]
            state = replay(events)
            record = None if state is None else \
                next((r for r in state.notices if r.notice.notification_id == outcome.notification_id), None)
            if state is None or record is None or outcome.channel_id not in record.undelivered:
                if state is not None:
                    await self._project(state.sweep_id, stored)  # recorded by an earlier attempt, maybe not shown
                return
            event: SweepEvent = SweepNoticeDelivered(
                notification_id=outcome.notification_id, channel_id=outcome.channel_id, attempts=outcome.attempts,
            ) if outcome.delivered else SweepNoticeFailed(
                notification_id=outcome.notification_id, channel_id=outcome.channel_id, attempts=outcome.attempts,
                reason=outcome.reason or "投递失败")
            at = datetime.now(UTC)
            try:
                await append_sweep_events(self.pool, state.sweep_id, state.jurisdiction, len(events), [event],
                                          SYSTEM_ACTOR, at)
            except StaleSweep:
                continue
            await self._project(state.sweep_id, [*stored, (event, at)])
            return
        raise StaleSweep(outcome.sweep_id)

    async def _project(self, sweep_id: str, stored: list[tuple[SweepEvent, datetime]]) -> None:
        """The sweep's notices onto the bells of the centres told (each time whole, from the stream as stored)."""
        records = notifications_of(stored, sweep_link(self.public_url, sweep_id), self.give_up_after_s)
        await record_sweep_notifications(self.pool, records)

    def _notice(self, state: SweepState, grid_id: str, level: int, notification_id: str,
                at: datetime) -> SweepNotice:
        try:
            community = self.org.parent_of(grid_id)
            above = self.org.parent_of(state.jurisdiction)
            grid_name = self.org.jurisdiction_name(grid_id)
        except UnknownId:  # the organisation dropped the grid since: tell the sweep's own centre
            community, above, grid_name = None, None, grid_id
        intent = audiences(state, grid_id, level, community.id if community else state.jurisdiction,
                           above.id if above else None)
        timezone = state.policy.policy.timezone
        _, text = notice_text(state, level, f"{grid_name}（{grid_id}）", local_time(state.due_at, timezone),
                                    sweep_link(self.public_url, state.sweep_id))
        who = recipients(self.org, intent)
        quiet = None if intent.kind == "listed_supervision" else \
            quiet_until(at, state.policy.policy.notifications or NotificationPolicy(), timezone)
        found = tuple(t for r in who for t in targets(self.org, r))
        return SweepNotice(notification_id=notification_id, kind=intent.kind, level=level, recipients=who,
                           targets=found, text=text, deferred_until=quiet if found else None)

    def _deliveries(self, state: SweepState, notification_id: str) -> list[NoticeDelivery]:
        record = next((r for r in state.notices if r.notice.notification_id == notification_id), None)
        if record is None:
            return []
        subject = record.notice.text.split("：", 1)[0]
        return [NoticeDelivery(notification_id=notification_id, channel_id=c, subject=subject,
                               text=record.notice.text, deferred_until=record.notice.deferred_until,
                               give_up_after_s=self.give_up_after_s) for c in record.undelivered]

