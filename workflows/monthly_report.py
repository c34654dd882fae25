"""MonthlyReportWorkflow: started on the first of each month by a Temporal schedule (and on demand) to make,
keep and announce the month before's 研判 report."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleCalendarSpec,
    ScheduleRange,
    ScheduleSpec,
)
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.monthly_report import MakeRequest, MonthlyMade, MonthlyReportActivities

MONTHLY_SCHEDULE_ID = "liandiao-monthly-report"
# 01:00 Asia/Shanghai on the first: the month before is over, and the night's deadlines have been judged.
MONTHLY_AT = ScheduleCalendarSpec(day_of_month=(ScheduleRange(1),), hour=(ScheduleRange(1),),
                                  minute=(ScheduleRange(0),), second=(ScheduleRange(0),))


@workflow.defn(name="MonthlyReport")
class MonthlyReportWorkflow:
    @workflow.run
    async def run(self, period: str | None = None) -> MonthlyMade:
        made: MonthlyMade = await workflow.execute_activity_method(
            MonthlyReportActivities.make_monthly_report, MakeRequest(at=workflow.now(), period=period),
            start_to_close_timeout=timedelta(minutes=10),
            retry_policy=RetryPolicy(maximum_attempts=10, maximum_interval=timedelta(minutes=5)))
        if made.notification_id is not None:
            try:
                await workflow.execute_activity_method(
                    MonthlyReportActivities.deliver_monthly_report, made.notification_id,
                    start_to_close_timeout=timedelta(minutes=2),
                    retry_policy=RetryPolicy(maximum_attempts=20, maximum_interval=timedelta(minutes=30)))
            except ActivityError:
                # The report is kept and the notice is in the workbench; a channel that never answered is in
                # the delivery ledger (notification_deliveries) for whoever looks.
                workflow.logger.warning("monthly report announcement not delivered on every channel")
        return made


async def ensure_monthly_schedule(client: Client, task_queue: str, schedule_id: str = MONTHLY_SCHEDULE_ID) -> None:
    """Create the monthly schedule once; an existing one is left as it is."""
    try:
        await client.create_schedule(
            schedule_id,
            Schedule(
                action=ScheduleActionStartWorkflow(MonthlyReportWorkflow.run, id="liandiao-monthly-report",
                                                   task_queue=task_queue),
                spec=ScheduleSpec(calendars=[MONTHLY_AT], time_zone_name="Asia/Shanghai"),
            ),
        )
    except ScheduleAlreadyRunningError:
        pass
