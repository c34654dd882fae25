"""The monthly report's schedule and workflow against the real Temporal dev server and PostgreSQL: the schedule
is created once however often the stack starts; its run makes the month before's report, keeps each format under
its SHA-256 and announces it to the district centre (delivered to a real webhook); a second run keeps nothing
more and announces nothing more."""

from __future__ import annotations

import asyncio
import hashlib
import uuid

import asyncpg
from temporalio.client import Client

from activities.monthly_report import MonthlyMade
from bootstrap import monthly_report_activities
from domain.policy import DEFAULT_POLICY
from infra.monthly import announcement, kept_report
from tests.infra.test_monthly import write_fixed_set
from tests.receivers import Webhook
from tests.workflows.notify_setup import organisation
from workers.case_worker import build_worker
from workflows.monthly_report import MonthlyReportWorkflow, ensure_monthly_schedule


async def _scheduled_run(client: Client, schedule_id: str) -> str:
    """Trigger the schedule once and wait for the workflow it started; its workflow id."""
    handle = client.get_schedule_handle(schedule_id)
    await handle.trigger()
    for _ in range(200):
        actions = (await handle.describe()).info.recent_actions
        if actions:
            return actions[-1].action.workflow_id
        await asyncio.sleep(0.1)
    raise AssertionError("the schedule started no workflow")


async def test_the_scheduled_run_makes_keeps_and_announces_once(
        temporal_client: Client, own_pool: asyncpg.Pool) -> None:
    hook = Webhook().start()
    org = organisation(hook, None)
    await write_fixed_set(own_pool)  # November 2026; the tests run later, so November is "the month before"
    task_queue, schedule_id = f"tests-monthly-{uuid.uuid4().hex[:8]}", f"tests-monthly-{uuid.uuid4().hex[:8]}"
    monthly = monthly_report_activities(own_pool, org, DEFAULT_POLICY, "https://liandiao.example", 3600)
    worker = build_worker(temporal_client, own_pool, task_queue, org=org, monthly=monthly)
    try:
        async with worker:
            await ensure_monthly_schedule(temporal_client, task_queue, schedule_id)
            await ensure_monthly_schedule(temporal_client, task_queue, schedule_id)  # a second start: no error
            spec = (await temporal_client.get_schedule_handle(schedule_id).describe()).schedule.spec
            assert spec.time_zone_name == "Asia/Shanghai"
            assert [(c.day_of_month[0].start, c.hour[0].start) for c in spec.calendars] == [(1, 1)]

            workflow_id = await _scheduled_run(temporal_client, schedule_id)
            made = await temporal_client.get_workflow_handle(workflow_id, result_type=MonthlyMade).result()
            assert made.period == "2026-11" and sorted(made.stored) == ["html", "pdf", "xlsx"] and made.announced
            for fmt in ("html", "xlsx", "pdf"):
                kept = await kept_report(own_pool, "2026-11", fmt)
                assert kept is not None and hashlib.sha256(kept[1]).hexdigest() == made.sha256[fmt]
            record = await announcement(own_pool, "monthly-report-2026-11")
            assert record is not None and record.kind == "monthly_report"
            assert [d.status for d in record.deliveries] == ["delivered"]
            posts = hook.accepted("/district-centre")
            assert len(posts) == 1 and "月度研判报告已生成：受理6件" in posts[0].body["message"]

            again = await temporal_client.execute_workflow(MonthlyReportWorkflow.run, id=f"{workflow_id}-again",
                                                           task_queue=task_queue)
            assert again.stored == [] and not again.announced and again.sha256 == made.sha256
            assert await own_pool.fetchval("SELECT count(*) FROM monthly_reports") == 3
            assert len(hook.accepted("/district-centre")) == 1  # delivered once
    finally:
        await temporal_client.get_schedule_handle(schedule_id).delete()
        hook.stop()
