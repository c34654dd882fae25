"""The case worker: wires the event store to the case workflows. No business rules here."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import asyncpg
from temporalio.client import Client
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from activities.decisions import DecisionActivities
from activities.event_store import EventStoreActivities
from activities.meetings import MeetingActivities
from activities.monthly_report import MonthlyReportActivities
from activities.notifications import NotificationActivities
from activities.seals import SealActivities
from activities.sweeps import SweepActivities
from domain.organisation import Organisation
from infra.db import create_pool
from infra.embedded import StackError, port_is_free
from infra.event_store import EventStore
from infra.logging import get_logger
from infra.settings import Settings
from infra.temporal import codec_for, connect_temporal
from workflows.dispute_case import DisputeCaseWorkflow
from workflows.meeting import StandingMeetingWorkflow
from workflows.monthly_report import MonthlyReportWorkflow
from workflows.seal import SealWorkflow
from workflows.sweep import SweepWorkflow


def build_worker(
    client: Client, pool: asyncpg.Pool, task_queue: str, *, seal_file: Path | None = None, sandboxed: bool = False,
    org: Organisation | None = None, settings: Settings | None = None,
    org_listeners: list[Callable[[Organisation], None]] | None = None,
    monthly: MonthlyReportActivities | None = None, **options: object,
) -> Worker:
    """``sandboxed``: run workflows in Temporal's sandbox (settings.workflow_sandbox explains the default).
    ``org_listeners`` gets a callable that hands the activities a new organisation in force (the admin's desk
    in the same process). ``monthly``: the monthly report's activities (bootstrap builds them: they carry a use
    case), with its workflow; a worker without them leaves that workflow to one that has them."""
    settings = settings or Settings()
    store_activities = EventStoreActivities(EventStore(pool))
    seals = SealActivities(pool, seal_file or Path(".liandiao") / "seals.jsonl")
    org = org or load_worker_organisation(settings)
    notify = NotificationActivities(pool, org, settings.public_url, settings.notify_give_up_after_s)
    meetings = MeetingActivities(pool, org)
    sweeps = SweepActivities(pool, org, settings.public_url, settings.notify_give_up_after_s)
    if org_listeners is not None:
        org_listeners.append(lambda new: _hand_over(new, notify, meetings, sweeps, monthly))
    if not sandboxed:
        options.setdefault("workflow_runner", UnsandboxedWorkflowRunner())
    cached = options.get("max_cached_workflows")  # a caller's own cache size (the benchmark's) caps the slots
    for key, value in tuning(settings, cached if isinstance(cached, int) else None).items():
        options.setdefault(key, value)
    workflows: list[type] = [DisputeCaseWorkflow, SealWorkflow, StandingMeetingWorkflow, SweepWorkflow]
    activities: list[Callable[..., object]] = [
        store_activities.append_events, store_activities.seal_archived_case, seals.seal_chain_heads,
        seals.sign_tree_head, notify.resolve_notifications, notify.deliver_notification,
        notify.deliver_notifications,
        DecisionActivities(store_activities, notify).append_decision, meetings.notify_meeting,
        sweeps.plan_sweep, sweeps.sound_sweep_alarm, sweeps.record_sweep_delivery]
    if monthly is not None:
        workflows.append(MonthlyReportWorkflow)
        activities += [monthly.make_monthly_report, monthly.deliver_monthly_report]
    return Worker(
        client,
        task_queue=task_queue,
        workflows=workflows,
        activities=activities,
        **options,  # type: ignore[arg-type]
    )


def _hand_over(org: Organisation, notify: NotificationActivities, meetings: MeetingActivities,
               sweeps: SweepActivities, monthly: MonthlyReportActivities | None) -> None:
    notify.org = org
    meetings.org = org
    sweeps.org = org
    if monthly is not None:
        monthly.org = org


def tuning(settings: Settings, max_cached_workflows: int | None = None) -> dict[str, object]:
    """The Temporal worker options the settings control, for every worker of cases and for the
    benchmark's bare baseline alike. ``max_cached_workflows``: the cache size actually used, if not the
    settings' own."""
    cached = settings.max_cached_workflows if max_cached_workflows is None else max_cached_workflows
    return {"max_cached_workflows": cached,
            "max_concurrent_workflow_tasks": task_slots(settings.max_concurrent_workflow_tasks, cached),
            "sticky_queue_schedule_to_start_timeout": timedelta(seconds=settings.sticky_queue_timeout_s)}


def task_slots(wanted: int, cached: int) -> int:
    """Workflow task slots: as the settings ask, but at most a tenth of the worker's cache.

    A task holds its case in the cache while it runs, and a case that is not cached needs a cached one that
    has no task to give way. With as many slots as cached cases, a burst of deadlines on evicted cases fills
    the cache with cases that are all busy: the worker takes tasks it cannot start, their 10 s start-to-close
    timeout runs out, and each is replayed again (1,000 deadlines on a 100-case cache, 2 cores: 100 slots
    drained 17.8 warnings/s with 27 timed-out tasks among the 20 latest, 10 slots 25.8/s with none)."""
    if cached == 0:  # no cache, no sticky queues: every task replays anyway
        return wanted
    return max(2, min(wanted, cached // 10))


def load_worker_organisation(settings: Settings) -> Organisation:
    """The organisation file named by LIANDIAO_ORGANISATION_FILE (with each department's notify URLs), else the
    built-in demo district."""
    from application.organisation import OrganisationProblems, read_organisation

    try:
        return read_organisation(settings.organisation_file)
    except OrganisationProblems as exc:
        raise StackError(str(exc)) from exc


def check_metrics_port(settings: Settings) -> str | None:
    """The metrics address to serve, after checking its port is free (a one-line error, not a panic)."""
    if settings.metrics_port is not None and not port_is_free(settings.metrics_port, settings.metrics_host):
        raise StackError(f"port {settings.metrics_port} (metrics) is already in use")
    return settings.metrics_address


MonthlyFactory = Callable[[asyncpg.Pool, Organisation], MonthlyReportActivities]


async def run_worker(settings: Settings, database_url: str, temporal_address: str,
                     monthly: MonthlyFactory | None = None) -> None:
    """A standalone worker process (`liandiao worker`) until SIGINT/SIGTERM. ``monthly`` builds the monthly
    report's activities (the composition root has the use case), so this worker can run the schedule's work too."""
    import asyncio
    import signal

    codec = codec_for(settings)
    try:
        pool = await asyncio.wait_for(create_pool(database_url, max_size=settings.db_pool_max), 10)
        client = await asyncio.wait_for(
            connect_temporal(temporal_address, settings.temporal_namespace, codec,
                             check_metrics_port(settings)), 10)
    except StackError:
        raise
    except Exception as exc:
        raise StackError(f"cannot reach the stack: {exc}") from exc
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    org = load_worker_organisation(settings)
    worker = build_worker(client, pool, settings.task_queue, seal_file=settings.data_dir / "seals.jsonl",
                          settings=settings, org=org, monthly=monthly(pool, org) if monthly else None,
                          sandboxed=settings.workflow_sandbox)
    get_logger(__name__).info("case worker started", task_queue=settings.task_queue,
                              metrics=settings.metrics_address and f"http://{settings.metrics_address}/metrics")
    try:
        async with worker:
            await stop.wait()
    finally:
        await pool.close()
