"""SealWorkflow: run hourly by a Temporal schedule (and on demand) to sign a tree head over every event."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleIntervalSpec,
    ScheduleSpec,
)

with workflow.unsafe.imports_passed_through():
    from activities.seals import SealActivities, SealSummary
    from infra.audit.log import TreeHead

SEAL_SCHEDULE_ID = "liandiao-seal-hourly"


@workflow.defn(name="Seal")
class SealWorkflow:
    @workflow.run
    async def run(self) -> TreeHead | SealSummary:
        if workflow.patched("signed-tree-head"):
            # Now a seal is a signed tree head over every event (infra/audit/log.py).
            head: TreeHead = await workflow.execute_activity_method(
                SealActivities.sign_tree_head, start_to_close_timeout=timedelta(minutes=10))
            return head
        summary: SealSummary = await workflow.execute_activity_method(
            SealActivities.seal_chain_heads, start_to_close_timeout=timedelta(minutes=5))
        return summary


async def ensure_seal_schedule(client: Client, task_queue: str, every: timedelta = timedelta(hours=1)) -> None:
    """Create the hourly seal schedule once; an existing one is left as it is."""
    try:
        await client.create_schedule(
            SEAL_SCHEDULE_ID,
            Schedule(
                action=ScheduleActionStartWorkflow(SealWorkflow.run, id="liandiao-seal", task_queue=task_queue),
                spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=every)]),
            ),
        )
    except ScheduleAlreadyRunningError:
        pass
