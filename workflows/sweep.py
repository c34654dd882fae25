"""One workflow per sweep (排查): a durable timer on the next rung of any unreported grid, until every grid has
reported. The sweep's events live in PostgreSQL (written by the application for reports, by an activity for
the rungs); the workflow only waits, and a report wakes it (signal ``reported``) to plan again."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.notifications import ATTEMPT_TIMEOUT, DeliverRequest, NotificationActivities
    from activities.sweeps import DeliveryOutcome, NoticeDelivery, SoundRequest, SweepActivities, SweepStart
    from workflows.dispute_case import DELIVERY_RETRY
    from workflows.dispute_case import _failure as delivery_failure

_TIMEOUT = timedelta(seconds=30)
_RETRY = RetryPolicy(maximum_interval=timedelta(minutes=1))
RECHECK = timedelta(days=1)


@workflow.defn(name="Sweep")
class SweepWorkflow:
    def __init__(self) -> None:
        self._changed = False
        self._deliveries: list[asyncio.Task[None]] = []

    @workflow.signal
    def reported(self) -> None:
        """A grid reported: the next rung may have moved (or there is none left)."""
        self._changed = True

    @workflow.run
    async def run(self, start: SweepStart) -> None:
        while True:
            self._changed = False
            plan = await workflow.execute_activity_method(
                SweepActivities.plan_sweep, start.sweep_id, start_to_close_timeout=_TIMEOUT, retry_policy=_RETRY)
            if not plan.open:
                break
            if plan.alarm is None:  # every silent grid is already listed: wait for the reports
                try:  # and look again each day, should a report's signal have been lost
                    await workflow.wait_condition(lambda: self._changed, timeout=RECHECK)
                except TimeoutError:
                    pass
                continue
            delay = (plan.alarm.at - workflow.now()).total_seconds()
            if delay > 0:
                try:
                    await workflow.wait_condition(lambda: self._changed, timeout=timedelta(seconds=delay))
                    continue  # a report came first
                except TimeoutError:
                    pass
            sends = await workflow.execute_activity_method(
                SweepActivities.sound_sweep_alarm, SoundRequest(sweep_id=start.sweep_id, alarm=plan.alarm),
                start_to_close_timeout=_TIMEOUT, retry_policy=_RETRY)
            for send in sends:
                self._deliveries.append(asyncio.create_task(self._deliver(start.sweep_id, send)))
        await asyncio.gather(*self._deliveries)  # what was issued is still delivered and recorded

    async def _deliver(self, sweep_id: str, send: NoticeDelivery) -> None:
        if send.deferred_until is not None:
            wait = (send.deferred_until - workflow.now()).total_seconds()
            if wait > 0:
                await workflow.sleep(timedelta(seconds=wait))  # quiet hours: a durable timer
        try:
            result = await workflow.execute_activity_method(
                NotificationActivities.deliver_notification,
                DeliverRequest(case_id=sweep_id, notification_id=send.notification_id, channel_id=send.channel_id,
                               subject=send.subject, text=send.text),
                start_to_close_timeout=ATTEMPT_TIMEOUT,
                schedule_to_close_timeout=timedelta(seconds=send.give_up_after_s),
                retry_policy=DELIVERY_RETRY)
            outcome = DeliveryOutcome(sweep_id=sweep_id, notification_id=send.notification_id,
                                      channel_id=send.channel_id, attempts=result.attempts, delivered=True)
        except ActivityError as exc:
            attempts, reason = delivery_failure(exc)
            outcome = DeliveryOutcome(sweep_id=sweep_id, notification_id=send.notification_id,
                                      channel_id=send.channel_id, attempts=attempts, delivered=False, reason=reason)
        await workflow.execute_activity_method(SweepActivities.record_sweep_delivery, outcome,
                                               start_to_close_timeout=_TIMEOUT, retry_policy=_RETRY)
