"""Determinism: recorded histories of real runs replay against today's workflow code.

The histories in tests/histories/ were recorded from the scenarios below. A change to the workflow that
would break a running case fails here; re-record only for a deliberate, patched change
(`LIANDIAO_RECORD_HISTORIES=1 pytest tests/workflows/test_replay.py`, see docs/architecture.md)."""

from __future__ import annotations

import asyncio
import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from application.case_client import CaseClient
from domain.commands import (
    AcknowledgeTask,
    ArchiveCase,
    CommitmentPromise,
    ConveneMeeting,
    DecideExtension,
    DecideReturn,
    FulfilCommitment,
    JudgeComplaint,
    LiftListing,
    ListCase,
    PauseClock,
    RecordFollowUp,
    RecordMediation,
    RegradeRisk,
    ReplyTask,
    ReportToSummons,
    RequestExtension,
    ResumeClock,
    ReturnTask,
    RouteCase,
    SubmitResolution,
    SummonDepartments,
    VerifyResolution,
)
from domain.vocabulary import MediationMethod, Outcome, RiskLevel, Satisfaction
from infra.event_store import EventStore
from infra.temporal import data_converter, load_codec
from tests.conftest import TEST_KEYS
from tests.workflows.scenario import (
    CO,
    FAST,
    LEAD,
    MEDIATOR,
    OTHER,
    SUPERVISOR,
    liaison,
    new_routed_case,
    types,
    wait_for_events,
)
from workflows.dispute_case import GENERATION, DisputeCaseWorkflow
from workflows.sweep import SweepWorkflow

HISTORIES = Path(__file__).parent.parent / "histories"
RECORD = os.environ.get("LIANDIAO_RECORD_HISTORIES") == "1"
# Histories are named <scenario>-<the workflow change they were recorded after>.json. Keep every one:
# a case started under older code may still be running.
CURRENT = "generation-5"  # runs carry their generation: no patch markers, every patch so far built in


def replayer() -> Replayer:
    # With the payload codec: histories recorded before it (payloads in clear) pass through it unchanged.
    # A sweep's history (sweep-escalation, recorded by tests/e2e/test_api_sweeps.py) replays beside the cases'.
    return Replayer(workflows=[DisputeCaseWorkflow, SweepWorkflow],
                    data_converter=data_converter(load_codec(TEST_KEYS)))


async def full_lifecycle(cases: CaseClient) -> str:
    """Every action of the lifecycle, under the supervision rules as practised. Histories recorded
    before them (``*-archive-seal``, ``*-before-archive-seal``) ran the old rules: a return at once, a
    dissatisfied follow-up reopening by itself."""
    case_id = await new_routed_case(cases)
    t1, t2, t3 = f"{case_id}-T1", f"{case_id}-T2", f"{case_id}-T3"
    await cases.act(case_id, ReturnTask(task_id=t2, reason="非本单位职责"), liaison(CO))
    await cases.act(case_id, DecideReturn(task_id=t2, approve=True), SUPERVISOR)  # the co-department withdraws
    await cases.act(case_id, ReturnTask(task_id=t1, reason="非本单位职责"), liaison(LEAD))
    await cases.act(case_id, DecideReturn(task_id=t1, approve=True), SUPERVISOR)  # the lead's: back to triage
    await cases.act(case_id, RouteCase(lead_department=OTHER), MEDIATOR)
    await cases.act(case_id, ReturnTask(task_id=t3, reason="非本单位职责"), liaison(OTHER))
    await cases.act(case_id, DecideReturn(task_id=t3, approve=False, note="属本单位职责"), SUPERVISOR)  # 强制派单
    await cases.act(case_id, AcknowledgeTask(task_id=t3), liaison(OTHER))
    await cases.act(case_id, SummonDepartments(departments=(LEAD,), reason="吹哨报到"), SUPERVISOR)
    await cases.act(case_id, ReportToSummons(summons_id=f"{case_id}-S1"), liaison(LEAD))
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    await cases.act(case_id, ConveneMeeting(at=datetime.now(UTC), departments=(OTHER, LEAD), agenda="圆桌议事会",
                                            attended=(OTHER,), commitments=(
                                                CommitmentPromise(department=OTHER, what="查明管线", due_at=tomorrow),
                                            )), MEDIATOR)
    await cases.act(case_id, FulfilCommitment(commitment_id=f"{case_id}-M1-C1"), liaison(OTHER))
    await cases.act(case_id, RecordMediation(method=MediationMethod.public_security, agreement_reached=False),
                    liaison(OTHER))
    await cases.act(case_id, ListCase(leader="王副主任", reason="领导包案"), SUPERVISOR)
    await cases.act(case_id, LiftListing(reason="已推进"), SUPERVISOR)
    await cases.act(case_id, RegradeRisk(risk_level=RiskLevel.high, reason="矛盾激化"), MEDIATOR)
    await cases.act(case_id, PauseClock(reason="等待鉴定"), SUPERVISOR)
    await cases.act(case_id, ResumeClock(reason="鉴定完成"), SUPERVISOR)
    await cases.act(case_id, RequestExtension(task_id=t3, extra="1h", reason="补充材料"), liaison(OTHER))
    await cases.act(case_id, DecideExtension(task_id=t3, approve=True), SUPERVISOR)
    await cases.act(case_id, ReplyTask(task_id=t3, summary="已答复"), liaison(OTHER))
    await cases.act(case_id, SubmitResolution(outcome=Outcome.mediated, summary="调解成功"), MEDIATOR)
    await cases.act(case_id, VerifyResolution(accepted=False, note="材料不全"), SUPERVISOR)
    await cases.act(case_id, ReplyTask(task_id=t3, summary="补充答复"), liaison(OTHER))
    await cases.act(case_id, SubmitResolution(outcome=Outcome.mediated, summary="调解成功"), MEDIATOR)
    await cases.act(case_id, VerifyResolution(accepted=True), SUPERVISOR)
    await cases.act(case_id, RecordFollowUp(satisfaction=Satisfaction.dissatisfied), MEDIATOR)
    await cases.act(case_id, JudgeComplaint(reasonable=True, reason="确未解决"), SUPERVISOR)
    await cases.act(case_id, ReplyTask(task_id=t3, summary="再次处理"), liaison(OTHER))
    await cases.act(case_id, SubmitResolution(outcome=Outcome.mediated, summary="调解成功"), MEDIATOR)
    await cases.act(case_id, VerifyResolution(accepted=True), SUPERVISOR)
    await cases.act(case_id, RecordFollowUp(satisfaction=Satisfaction.satisfied), MEDIATOR)
    await cases.act(case_id, ArchiveCase(), MEDIATOR)
    return case_id


async def escalation(cases: CaseClient, store: EventStore) -> str:
    case_id = await new_routed_case(cases, FAST, co=())
    await wait_for_events(store, case_id, lambda es: types(es).count("TaskEscalated") == 2)
    await cases.act(case_id, AcknowledgeTask(task_id=f"{case_id}-T1"), liaison(LEAD))
    await cases.act(case_id, ReplyTask(task_id=f"{case_id}-T1", summary="已处理"), liaison(LEAD))
    await cases.act(case_id, SubmitResolution(outcome=Outcome.withdrawn, summary="申请人撤回"), MEDIATOR)
    await cases.act(case_id, VerifyResolution(accepted=True), SUPERVISOR)
    await cases.act(case_id, RecordFollowUp(satisfaction=Satisfaction.basically_satisfied), MEDIATOR)
    await cases.act(case_id, ArchiveCase(), MEDIATOR)
    return case_id


async def _history(cases: CaseClient, case_id: str) -> WorkflowHistory:
    handle = cases.client.get_workflow_handle(case_id)
    await handle.result()
    return await handle.fetch_history()


@pytest.mark.parametrize("scenario", ["full_lifecycle", "escalation"])
async def test_a_fresh_run_replays_deterministically(cases: CaseClient, pool, scenario: str) -> None:
    store = EventStore(pool)
    case_id = await (full_lifecycle(cases) if scenario == "full_lifecycle" else escalation(cases, store))
    history = await _history(cases, case_id)
    if RECORD:
        (HISTORIES / f"{scenario}-{CURRENT}.json").write_text(history.to_json())
    await replayer().replay_workflow(history)


@pytest.mark.parametrize("path", sorted(HISTORIES.glob("*.json")), ids=lambda p: p.stem)
async def test_recorded_histories_replay_on_todays_code(path: Path) -> None:
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    await replayer().replay_workflow(history)


def test_the_recorded_histories_are_there() -> None:
    assert {p.stem for p in HISTORIES.glob("*.json")} >= {
        f"{scenario}-{tag}" for scenario in ("full_lifecycle", "escalation")
        for tag in ("before-archive-seal", "archive-seal", "notify", "local-append", "supervision-as-practised",
                    "supervision-notify", "resolve-in-append", "keep-alarm-timer", "generation-1", "generation-2",
                    "generation-3", "generation-4", CURRENT)
    } | {f"notify_{s}-{tag}" for s in ("ladder", "quiet") for tag in ("notify", "batch-deliveries")} \
      | {"sweep-escalation", "requests-request-notices", "reopen-deadline-notices", "pause-deadline-notices",
                                       "summons-summons-notice"}


def _markers(path: Path) -> list[str]:
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    return [e.marker_recorded_event_attributes.marker_name for e in history.events
            if e.HasField("marker_recorded_event_attributes")]


@pytest.mark.parametrize("scenario", ["full_lifecycle", "escalation"])
def test_appends_are_local_activities_in_new_runs_and_scheduled_ones_in_old_histories(scenario: str) -> None:
    # `workflow.patched("local-append")`: one workflow task per action; older cases keep their activities.
    before, after = HISTORIES / f"{scenario}-archive-seal.json", HISTORIES / f"{scenario}-{CURRENT}.json"
    assert "append_events" in _activities(before) and "core_local_activity" not in _markers(before)
    assert "append_events" not in _activities(after)
    assert _markers(after).count("core_local_activity") >= 8


def _activities(path: Path) -> list[str]:
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    return [e.activity_task_scheduled_event_attributes.activity_type.name for e in history.events
            if e.HasField("activity_task_scheduled_event_attributes")]


def test_the_patch_is_taken_by_new_runs_and_skipped_by_old_histories() -> None:
    # `workflow.patched("seal-archived-case")`: a case that ran before it replays without the activity.
    before = _activities(HISTORIES / "full_lifecycle-before-archive-seal.json")
    after = _activities(HISTORIES / "full_lifecycle-archive-seal.json")
    assert "seal_archived_case" not in before
    assert after[-1] == "seal_archived_case"


def test_the_notify_patch_is_taken_by_new_runs_and_skipped_by_old_histories() -> None:
    # `workflow.patched("notify")`: cases that ran before it replay without resolving or delivering.
    assert "deliver_notification" not in _activities(HISTORIES / "escalation-archive-seal.json")
    assert "deliver_notification" in _activities(HISTORIES / "notify_ladder-notify.json")


@pytest.mark.parametrize("scenario", ["notify_ladder", "notify_quiet"])
def test_notifications_due_together_go_out_in_one_activity_in_new_runs(scenario: str) -> None:
    # `workflow.patched("batch-deliveries")`: a case's notifications due at one instant share one timer and one
    # activity; older cases keep one activity per channel (and one timer per deferred notification).
    before, after = HISTORIES / f"{scenario}-notify.json", HISTORIES / f"{scenario}-batch-deliveries.json"
    assert "batch-deliveries" not in _patches(before)
    assert "batch-deliveries" in _patches(after) or _generation(after) >= 2  # asked in generation 1, built in after
    assert "deliver_notifications" not in _activities(before)
    sent = _activities(after)
    assert "deliver_notifications" in sent and "deliver_notification" not in sent  # no channel refused there
    assert sent.count("deliver_notifications") < _activities(before).count("deliver_notification")
    assert _timers(after)[0] <= _timers(before)[0]


async def test_an_archived_case_is_sealed_and_anything_after_it_is_caught(cases: CaseClient, pool) -> None:
    from datetime import UTC, datetime
    from uuid import uuid4

    from domain.events import SYSTEM_ACTOR, ClockPaused, PendingEvent
    from infra.audit.seals import verify_archive_seals

    store = EventStore(pool)
    case_id = await escalation(cases, store)
    await cases.client.get_workflow_handle(case_id).result()
    sealed = await pool.fetchrow("SELECT version, head_hash FROM case_archive_seals WHERE case_id = $1", case_id)
    events = await store.read_stream(case_id)
    assert (sealed["version"], sealed["head_hash"]) == (events[-1].seq, events[-1].hash)
    assert not [p for p in await verify_archive_seals(pool) if p.case_id == case_id]
    # Someone appends to the archived case behind the engine's back (rolled back: the database is shared).
    late = PendingEvent(event_id=uuid4(), occurred_at=datetime.now(UTC), actor=SYSTEM_ACTOR,
                        payload=ClockPaused(reason="x"))
    async with pool.acquire() as conn:
        tx = conn.transaction()
        await tx.start()
        try:
            await store.append(case_id, len(events), [late], conn=conn)
            assert [p.case_id for p in await verify_archive_seals(conn) if p.case_id == case_id] == [case_id]
        finally:
            await tx.rollback()


def _patches(path: Path) -> set[str]:
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    return {json.loads(e.marker_recorded_event_attributes.details["patch-data"].payloads[0].data)["id"]
            for e in history.events if e.HasField("marker_recorded_event_attributes")
            and e.marker_recorded_event_attributes.marker_name == "core_patch"}


def test_the_risk_regrade_patch_is_only_in_histories_that_regrade() -> None:
    # `workflow.patched("risk-regrade-attribute")`: reached only after a RiskRegraded event, which
    # no history recorded before it has; so they replay without the marker. (Generation 1 asks no patch.)
    for path in HISTORIES.glob("*.json"):
        if _generation(path):
            continue
        marked = "risk-regrade-attribute" in _patches(path)
        regraded = {"full_lifecycle-supervision-as-practised", "full_lifecycle-supervision-notify",
                    "full_lifecycle-resolve-in-append", "full_lifecycle-keep-alarm-timer"}
        assert marked == (path.stem in regraded), path.stem


@pytest.mark.parametrize("scenario", ["full_lifecycle", "escalation"])
def test_a_notifying_decision_takes_one_local_activity_in_new_runs_and_two_in_old_histories(scenario: str) -> None:
    # `workflow.patched("resolve-in-append")`: addresses resolved inside the append, so a notifying
    # decision (routing, each rung of the ladder) is one local activity; older cases keep resolve + append.
    before, after = HISTORIES / f"{scenario}-supervision-notify.json", HISTORIES / f"{scenario}-resolve-in-append.json"
    assert "resolve-in-append" not in _patches(before)
    assert "resolve-in-append" in _patches(after)
    current = HISTORIES / f"{scenario}-{CURRENT}.json"
    for taken in (after, current):
        assert _markers(taken).count("core_local_activity") < _markers(before).count("core_local_activity")


def _timers(path: Path) -> tuple[int, int]:
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    return (sum(e.HasField("timer_started_event_attributes") for e in history.events),
            sum(e.HasField("timer_canceled_event_attributes") for e in history.events))


@pytest.mark.parametrize("scenario", ["full_lifecycle", "escalation"])
def test_an_action_that_leaves_the_alarm_keeps_its_timer_in_new_runs(scenario: str) -> None:
    # `workflow.patched("keep-alarm-timer")`: an action that does not move the next alarm no longer
    # cancels its durable timer and starts the same one again; older cases keep restarting it.
    before, after = HISTORIES / f"{scenario}-resolve-in-append.json", HISTORIES / f"{scenario}-keep-alarm-timer.json"
    assert "keep-alarm-timer" not in _patches(before)
    assert "keep-alarm-timer" in _patches(after)
    for taken in (after, HISTORIES / f"{scenario}-{CURRENT}.json"):
        (started_before, canceled_before), (started, canceled) = _timers(before), _timers(taken)
        assert started <= started_before and canceled <= canceled_before
        if scenario == "full_lifecycle":  # 35 actions, most of which leave the alarm where it was
            assert (started_before, canceled_before) == (23, 23)
            assert started <= started_before // 2 and canceled <= canceled_before // 2  # recorded: 9 and 9


def _generation(path: Path) -> int:
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    started = history.events[0].workflow_execution_started_event_attributes
    codec = load_codec(TEST_KEYS)
    payloads = asyncio.run(codec.decode(list(started.input.payloads)))
    return int(json.loads(payloads[0].data).get("generation", 0))


def _change_version_upserts(path: Path) -> int:
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    upserts = [e.upsert_workflow_search_attributes_event_attributes for e in history.events
               if e.HasField("upsert_workflow_search_attributes_event_attributes")]
    return sum("TemporalChangeVersion" in u.search_attributes.indexed_fields for u in upserts)


@pytest.mark.parametrize("scenario", ["full_lifecycle", "escalation"])
def test_a_run_of_the_current_generation_asks_for_no_patch(scenario: str) -> None:
    # Generations: a run started with generation 1 takes every patch so far without a marker, and so
    # without the TemporalChangeVersion upsert the SDK adds to each; older histories keep both (and replay).
    older, current = HISTORIES / f"{scenario}-keep-alarm-timer.json", HISTORIES / f"{scenario}-{CURRENT}.json"
    assert (_generation(older), _generation(current)) == (0, GENERATION)
    assert len(_patches(older)) >= 5 and _change_version_upserts(older) == len(_patches(older))
    assert _patches(current) == set() and _change_version_upserts(current) == 0
    shorter = len(WorkflowHistory.from_json(older.stem, older.read_text()).events) \
        - len(WorkflowHistory.from_json(current.stem, current.read_text()).events)
    assert shorter >= 2 * 5


def _upserts(path: Path) -> list[set[str]]:
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    return [set(e.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields)
            for e in history.events if e.HasField("upsert_workflow_search_attributes_event_attributes")]


@pytest.mark.parametrize("scenario", ["full_lifecycle", "escalation"])
def test_generation_3_starts_with_the_intakes_attributes_and_closes_in_the_archives_task(scenario: str) -> None:
    # START_ATTRIBUTES: the start carries the stage, risk and category the intake leads to, and a run upserts only
    # what changed (the stage, the risk); LOCAL_SEAL: the seal is a local activity in the archive's workflow task.
    older, current = HISTORIES / f"{scenario}-generation-2.json", HISTORIES / f"{scenario}-generation-3.json"
    events = list(WorkflowHistory.from_json(current.stem, current.read_text()).events)
    started = events[0].workflow_execution_started_event_attributes.search_attributes.indexed_fields
    assert set(started) == {"LiandiaoStage", "LiandiaoRisk", "LiandiaoCategory"}
    assert all(u <= {"LiandiaoStage", "LiandiaoRisk"} for u in _upserts(current))
    assert len(_upserts(current)) == len(_upserts(older)) - 1  # the intake's
    assert "seal_archived_case" in _activities(older) and not _activities(current)
    closing = [e for e in events if e.HasField("workflow_task_completed_event_attributes")][-1]
    after = [e for e in events if e.event_id > closing.event_id]
    assert [e.HasField("marker_recorded_event_attributes") for e in after[-2:]] == [True, False]
    assert after[-1].HasField("workflow_execution_completed_event_attributes")
    assert any(e.HasField("workflow_execution_update_completed_event_attributes") for e in after)  # the archive


def _notified_kinds(path: Path, kinds: set[str]) -> set[str]:
    """Which of ``kinds`` a recorded history's deliveries and local activities' results name (payloads decoded)."""
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    codec = load_codec(TEST_KEYS)
    payloads = []
    for e in history.events:
        if e.HasField("activity_task_scheduled_event_attributes"):
            payloads += e.activity_task_scheduled_event_attributes.input.payloads
        if e.HasField("marker_recorded_event_attributes"):
            for recorded in e.marker_recorded_event_attributes.details.values():
                payloads += recorded.payloads
    texts = [p.data.decode(errors="ignore") for p in asyncio.run(codec.decode(payloads))]
    return {k for k in kinds if any(f'"{k}"' in t for t in texts)}


def test_a_deadline_set_again_and_a_summons_answered_are_told_in_new_runs_only() -> None:
    # DEADLINE_NOTICES_PATCH, SUMMONS_NOTICE_PATCH: the full lifecycle rejects a resolution, reopens the case,
    # pauses its clock and has its one summoned department report; generation 5 tells the people concerned each
    # time, the histories recorded before it told no one.
    kinds = {"verification_rejected", "case_reopened", "clock_paused", "clock_resumed", "summons_reported"}
    assert _notified_kinds(HISTORIES / f"full_lifecycle-{CURRENT}.json", kinds) == kinds
    assert _notified_kinds(HISTORIES / "full_lifecycle-generation-4.json", kinds) == set()
