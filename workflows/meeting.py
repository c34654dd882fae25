"""One workflow per standing meeting: the invitation at once, the reminder the day before (a durable timer)."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.meetings import MeetingActivities, MeetingNoticeRequest, MeetingStart

_TIMEOUT = timedelta(seconds=30)
_RETRY = RetryPolicy(maximum_interval=timedelta(minutes=5), maximum_attempts=20)


@workflow.defn(name="StandingMeeting")
class StandingMeetingWorkflow:
    @workflow.run
    async def run(self, start: MeetingStart) -> None:
        await workflow.execute_activity_method(
            MeetingActivities.notify_meeting, MeetingNoticeRequest(meeting_id=start.meeting_id, reminder=False),
            start_to_close_timeout=_TIMEOUT, retry_policy=_RETRY)
        wait = start.reminder_at - workflow.now()
        if wait > timedelta(0):
            await workflow.sleep(wait)
        await workflow.execute_activity_method(
            MeetingActivities.notify_meeting, MeetingNoticeRequest(meeting_id=start.meeting_id, reminder=True),
            start_to_close_timeout=_TIMEOUT, retry_policy=_RETRY)
