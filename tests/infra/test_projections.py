"""The read models against the real PostgreSQL: events go in through the event store, the projector folds
them with the domain's evolve, the read_models queries answer.

The session's read models are shared with every other test that appends events, so these tests look only
at their own cases and at departments with unique ids. The tests that compare whole tables (rebuild,
concurrent catch-up) get a database of their own on the same server."""

from __future__ import annotations

import asyncio
import base64
import uuid
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

import asyncpg
import pytest

from domain.events import (
    Actor,
    CaseArchived,
    CaseListed,
    CaseReceived,
    CaseRouted,
    ClockPaused,
    ClockResumed,
    DepartmentsSummoned,
    DueTimes,
    EscalationCleared,
    EventPayload,
    FollowUpRecorded,
    MediationRecorded,
    Party,
    PendingEvent,
    ResolutionSubmitted,
    ResolutionVerified,
    ReturnRequested,
    SummonsReported,
    TaskAcknowledged,
    TaskAssigned,
    TaskEscalated,
    TaskReminded,
    TaskReplied,
    TaskReturned,
)
from domain.policy import DEFAULT_POLICY, pin_policy
from domain.vocabulary import (
    ArchiveReason,
    Channel,
    Clock,
    MediationMethod,
    Outcome,
    PartyRole,
    RiskLevel,
    Role,
    Satisfaction,
    Stage,
    TaskRole,
    TaskStatus,
)
from infra.event_store import EventStore
from infra.projections import Projector
from infra.read_models import (
    case_summary,
    department_inbox,
    department_statistics,
    find_duplicate,
    list_cases,
    party_fingerprint,
    supervision_board,
)

NOW = datetime.now(UTC).replace(microsecond=0)
POLICY = pin_policy(DEFAULT_POLICY, NOW).model_dump(mode="json")
MEDIATOR = Actor(role=Role.mediator, id="med-1", department="dept-donghu-zongzhi")
SYSTEM = Actor(role=Role.system, id="liandiao")
APPLICANT = Party(name="张三", role=PartyRole.applicant, phone="13800001234")


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


class Case:
    """One case's stream, written event by event the way the workflow would."""

    def __init__(self, store: EventStore, case_id: str | None = None) -> None:
        self.store = store
        self.case_id = case_id or unique("C")
        self.version = 0
        self.tasks = 0

    async def add(self, at: datetime, *payloads: EventPayload, actor: Actor = MEDIATOR) -> None:
        events = [PendingEvent(event_id=uuid.uuid4(), occurred_at=at, actor=actor, payload=p)
                  for p in payloads]
        self.version = (await self.store.append(self.case_id, self.version, events)).version

    async def receive(self, at: datetime, **changes: Any) -> Case:
        fields: dict[str, Any] = dict(
            title="楼上漏水", description="楼上卫生间漏水，天花板渗水三周", category="leak", channel=Channel.walk_in,
            grid_id="grid-donghu-huayuan-1", risk_level=RiskLevel.medium, parties=(APPLICANT,), policy=POLICY,
        )
        await self.add(at, CaseReceived(**{**fields, **changes}))
        return self

    async def route(self, at: datetime, lead: str, *co: str, ack: timedelta = timedelta(days=1),
                    reply: timedelta = timedelta(days=7)) -> list[str]:
        """Routes to ``lead`` and ``co``; the task ids, in that order."""
        ids, assigned = [], []
        for department in (lead, *co):
            self.tasks += 1
            ids.append(f"{self.case_id}-T{self.tasks}")
            assigned.append(TaskAssigned(
                task_id=ids[-1], department=department, role=TaskRole.lead if department == lead else TaskRole.co,
                acknowledge_due_at=at + ack, reply_due_at=at + reply,
            ))
        await self.add(at, CaseRouted(lead_department=lead, co_departments=co), *assigned)
        return ids

    async def close(self, at: datetime, satisfaction: Satisfaction = Satisfaction.satisfied) -> None:
        await self.add(at, ResolutionSubmitted(outcome=Outcome.mediated, summary="双方达成协议"),
                       ResolutionVerified())
        await self.add(at + timedelta(hours=1), FollowUpRecorded(satisfaction=satisfaction),
                       CaseArchived(reason=ArchiveReason.resolved))


def liaison(department: str) -> Actor:
    return Actor(role=Role.liaison, id=f"liaison-{department}", department=department)


@pytest.fixture
def store(pool: asyncpg.Pool) -> EventStore:
    return EventStore(pool)


@pytest.fixture
def projector(pool: asyncpg.Pool, store: EventStore) -> Projector:
    return Projector(pool, store)


async def dump(pool: asyncpg.Pool) -> dict[str, list[dict[str, Any]]]:
    keys = {
        "case_states": "case_id", "case_summaries": "case_id", "department_tasks": "case_id, task_id",
        "open_escalations": "case_id, task_id, clock", "department_stats": "department",
        "projection_checkpoints": "name",
        # supervision as practised
        "case_listings": "case_id", "awaiting_decisions": "case_id, task_id, kind",
        "open_summons": "case_id, summons_id, department",
    }
    async with pool.acquire() as conn:
        return {t: [dict(r) for r in await conn.fetch(f"SELECT * FROM {t} ORDER BY {k}")] for t, k in keys.items()}


async def stats_of(pool: asyncpg.Pool, department: str) -> dict[str, Any]:
    return next(s for s in await department_statistics(pool) if s.department == department).model_dump()


async def mixed_cases(store: EventStore, departments: list[str], n: int) -> list[Case]:
    """``n`` cases through the lifecycle's usual turns: closed, escalated, returned and re-routed, paused."""
    made = []
    for i in range(n):
        a, b, c = (departments[(i + k) % len(departments)] for k in range(3))
        t0 = NOW - timedelta(days=10, minutes=i)
        case = await Case(store).receive(t0, risk_level=list(RiskLevel)[i % 4])
        lead, co = await case.route(t0 + timedelta(hours=1), a, b)
        match i % 4:
            case 0:
                await case.add(t0 + timedelta(hours=2), TaskAcknowledged(task_id=lead), actor=liaison(a))
                await case.add(t0 + timedelta(days=3), TaskReplied(task_id=lead, summary="已答复"), actor=liaison(a))
                await case.add(t0 + timedelta(days=3), MediationRecorded(
                    mediation_id=f"{case.case_id}-R1", method=MediationMethod.people, agreement_reached=True))
                await case.close(t0 + timedelta(days=4), list(Satisfaction)[i % 3])
            case 1:
                await case.add(t0 + timedelta(hours=13), TaskReminded(
                    task_id=co, clock=Clock.acknowledge, fraction=0.5, due_at=t0 + timedelta(days=1)), actor=SYSTEM)
                await case.add(t0 + timedelta(days=1, hours=1), TaskEscalated(
                    task_id=co, clock=Clock.acknowledge, level=2, due_at=t0 + timedelta(days=1)), actor=SYSTEM)
                await case.add(t0 + timedelta(days=3), TaskEscalated(
                    task_id=co, clock=Clock.acknowledge, level=3, due_at=t0 + timedelta(days=1)), actor=SYSTEM)
                # listed by hand, a summons half reported, a return awaiting its decision
                await case.add(t0 + timedelta(days=3), CaseListed(leader="王副主任", reason="久拖不决"))
                await case.add(t0 + timedelta(days=3), DepartmentsSummoned(
                    summons_id=f"{case.case_id}-S1", departments=(a, c), reason="吹哨", due_at=t0 + timedelta(days=4)))
                await case.add(t0 + timedelta(days=3), SummonsReported(summons_id=f"{case.case_id}-S1", department=a),
                               actor=liaison(a))
                await case.add(t0 + timedelta(days=3), ReturnRequested(task_id=lead, reason="不属本单位"),
                               actor=liaison(a))
            case 2:
                await case.add(t0 + timedelta(hours=3), TaskReturned(task_id=lead, reason="不属本单位职责"),
                               actor=liaison(a))
                (again,) = await case.route(t0 + timedelta(hours=5), c)
                await case.add(t0 + timedelta(hours=6), TaskAcknowledged(task_id=again), actor=liaison(c))
            case _:
                await case.add(t0 + timedelta(hours=2), TaskAcknowledged(task_id=co), actor=liaison(b))
                await case.add(t0 + timedelta(hours=3), ClockPaused(reason="等待鉴定"))
                if i % 8 == 3:
                    await case.add(t0 + timedelta(days=2), ClockResumed(reason="鉴定完成", due_times=(
                        DueTimes(task_id=lead, acknowledge_due_at=t0 + timedelta(days=3),
                                 reply_due_at=t0 + timedelta(days=9)),
                        DueTimes(task_id=co, acknowledge_due_at=t0 + timedelta(days=3),
                                 reply_due_at=t0 + timedelta(days=9)))))
        made.append(case)
    return made


# --------------------------------------------------------------------------------------------- behaviour


async def test_summary_inbox_board_and_statistics_follow_the_events(
    store: EventStore, projector: Projector, pool: asyncpg.Pool
) -> None:
    lead_dept, co_dept = unique("dept-lead"), unique("dept-co")
    t0 = NOW - timedelta(days=2)
    case = await Case(store).receive(t0, risk_level=RiskLevel.high)
    lead, co = await case.route(t0, lead_dept, co_dept, ack=timedelta(days=1), reply=timedelta(days=5))
    await case.add(t0 + timedelta(days=1, hours=2), TaskAcknowledged(task_id=lead), actor=liaison(lead_dept))  # late
    await case.add(t0 + timedelta(hours=12), TaskReminded(
        task_id=co, clock=Clock.acknowledge, fraction=0.5, due_at=t0 + timedelta(days=1)), actor=SYSTEM)
    await case.add(t0 + timedelta(days=1), TaskEscalated(
        task_id=co, clock=Clock.acknowledge, level=2, due_at=t0 + timedelta(days=1)), actor=SYSTEM)
    await projector.catch_up()

    summary = await case_summary(pool, case.case_id)
    assert summary is not None
    assert (summary.stage, summary.risk_level, summary.version) == (Stage.coordination, RiskLevel.high, 7)
    assert summary.departments == [lead_dept, co_dept] and summary.lead_department == lead_dept
    assert summary.escalation_level == 2 and summary.overdue
    assert summary.overdue_since == t0 + timedelta(days=1)  # the co-department's acknowledgement, long due
    assert ([c.case_id for c in (await list_cases(pool, department=co_dept))[0]]
            == [c.case_id for c in (await list_cases(pool, department=co_dept, overdue=True))[0]] == [case.case_id])
    assert (await list_cases(pool, department=co_dept, overdue=False))[0] == []

    (item,) = await department_inbox(pool, co_dept)
    assert (item.task_id, item.status, item.open_clock, item.escalation_level) == (
        co, TaskStatus.pending_ack, Clock.acknowledge, 2)
    assert item.due_at == t0 + timedelta(days=1) and item.overdue and item.title == "楼上漏水"
    (on_board,) = await supervision_board(pool, department=co_dept)
    assert (on_board.task_id, on_board.clock, on_board.level, on_board.since, on_board.due_at) == (
        co, Clock.acknowledge, 2, t0 + timedelta(days=1), t0 + timedelta(days=1))
    assert on_board.risk_level is RiskLevel.high

    later = t0 + timedelta(days=1, hours=3)
    await case.add(later, EscalationCleared(task_id=co, clock=Clock.acknowledge, level=2),
                   TaskAcknowledged(task_id=co), actor=liaison(co_dept))
    await case.add(later, TaskReplied(task_id=lead, summary="已维修"), actor=liaison(lead_dept))
    await case.add(later, TaskReplied(task_id=co, summary="已核实"), actor=liaison(co_dept))
    await case.close(later + timedelta(hours=1))
    await projector.catch_up()

    assert await supervision_board(pool, department=co_dept) == []
    summary = await case_summary(pool, case.case_id)
    assert summary is not None
    assert (summary.stage, summary.outcome, summary.satisfaction, summary.archive_reason) == (
        Stage.archived, Outcome.mediated, Satisfaction.satisfied, ArchiveReason.resolved)
    assert (summary.escalation_level, summary.overdue, summary.overdue_since) == (0, False, None)
    (done,) = await department_inbox(pool, lead_dept)
    assert (done.status, done.open_clock, done.replied_at) == (TaskStatus.replied, None, later)

    assert await stats_of(pool, lead_dept) == {
        "department": lead_dept, "tasks_assigned": 1, "acknowledged": 1, "acknowledged_on_time": 0,
        "replied": 1, "replied_on_time": 1, "returns": 0, "followups": 1, "satisfied": 1,
        "basically_satisfied": 0, "dissatisfied": 0, "on_time_acknowledgement_rate": 0.0,
        "on_time_reply_rate": 1.0, "return_rate": 0.0, "satisfaction_rate": 1.0,
    }
    co_stats = await stats_of(pool, co_dept)
    assert (co_stats["acknowledged"], co_stats["acknowledged_on_time"], co_stats["followups"]) == (1, 0, 1)


async def test_a_return_sends_the_case_back_and_counts_against_the_department(
    store: EventStore, projector: Projector, pool: asyncpg.Pool
) -> None:
    first, other, second = unique("dept-a"), unique("dept-b"), unique("dept-c")
    t0 = NOW - timedelta(hours=5)
    case = await Case(store).receive(t0)
    lead, _co = await case.route(t0, first, other)
    await case.add(t0 + timedelta(hours=1), TaskReturned(task_id=lead, reason="不属本单位职责"), actor=liaison(first))
    await projector.catch_up()
    summary = await case_summary(pool, case.case_id)
    assert summary is not None and summary.stage is Stage.triage and summary.overdue_since is None
    assert [i.status for i in await department_inbox(pool, other)] == [TaskStatus.cancelled]
    assert (await stats_of(pool, first))["returns"] == 1

    (again,) = await case.route(t0 + timedelta(hours=2), second)
    await case.add(t0 + timedelta(hours=3), ClockPaused(reason="等待鉴定"))
    await projector.catch_up()
    summary = await case_summary(pool, case.case_id)
    assert summary is not None
    assert summary.departments == [first, other, second] and summary.lead_department == second
    assert summary.overdue_since is None  # the clock is paused
    assert [(i.task_id, i.status) for i in await department_inbox(pool, second)] == [
        (again, TaskStatus.pending_ack)]


async def test_inbox_puts_open_tasks_first_by_due_time_and_board_the_worst_first(
    store: EventStore, projector: Projector, pool: asyncpg.Pool
) -> None:
    dept = unique("dept-inbox")
    t0 = NOW - timedelta(days=1)
    replied_case, acked_case, pending_case = [await Case(store).receive(t0) for _ in range(3)]
    (r,) = await replied_case.route(t0, dept, reply=timedelta(days=2))
    await replied_case.add(t0, TaskAcknowledged(task_id=r), TaskReplied(task_id=r, summary="好"))
    (a,) = await acked_case.route(t0, dept, reply=timedelta(days=3))
    await acked_case.add(t0, TaskAcknowledged(task_id=a))
    (p,) = await pending_case.route(t0, dept, ack=timedelta(hours=20))
    for case, task, clock, levels in ((acked_case, a, Clock.reply, (2,)), (pending_case, p, Clock.acknowledge, (2, 3))):
        for level in levels:
            await case.add(t0 + timedelta(hours=level), TaskEscalated(
                task_id=task, clock=clock, level=level, due_at=t0), actor=SYSTEM)
    await projector.catch_up()

    assert [i.task_id for i in await department_inbox(pool, dept)] == [p, a, r]
    assert [i.task_id for i in await department_inbox(pool, dept, limit=1)] == [p]
    assert [(b.task_id, b.level) for b in await supervision_board(pool, department=dept)] == [(p, 3), (a, 2)]
    board = await supervision_board(pool, limit=500)
    assert all((x.level, -x.since.timestamp()) >= (y.level, -y.since.timestamp()) for x, y in pairwise(board))


async def test_duplicates_are_found_by_fingerprint_among_open_cases(
    store: EventStore, projector: Projector, pool: asyncpg.Pool
) -> None:
    grid = unique("grid")
    same = party_fingerprint("leak", grid, [Party(name=" 张 三", role=PartyRole.applicant, phone="+86 138-0000-1234"),
                                           Party(name="李四", role=PartyRole.respondent)])
    assert same == party_fingerprint("leak", grid, [APPLICANT])
    assert "13800001234" not in same and same != party_fingerprint("wages", grid, [APPLICANT])
    assert await find_duplicate(pool, same) is None

    first = await Case(store).receive(NOW - timedelta(hours=2), grid_id=grid)
    second = await Case(store).receive(NOW - timedelta(hours=1), grid_id=grid)
    await projector.catch_up()
    assert await find_duplicate(pool, same) == first.case_id
    assert await find_duplicate(pool, same, exclude=first.case_id) == second.case_id
    await first.add(NOW, CaseArchived(reason=ArchiveReason.not_accepted))
    await projector.catch_up()
    assert await find_duplicate(pool, same) == second.case_id


# --------------------------------------------------------------------------------------------- pagination


async def test_pagination_has_no_duplicates_or_holes(
    store: EventStore, projector: Projector, pool: asyncpg.Pool
) -> None:
    dept = unique("dept-page")
    semaphore = asyncio.Semaphore(10)

    async def one(i: int) -> Case:
        async with semaphore:
            at = NOW - timedelta(minutes=i // 3)  # three cases share each time: the case id breaks the tie
            case = await Case(store).receive(at)
            if i % 2:
                await case.route(at, dept)
            else:
                await case.add(at, CaseRouted(lead_department=dept), TaskAssigned(
                    task_id=f"{case.case_id}-T1", department=dept, role=TaskRole.lead,
                    acknowledge_due_at=at + timedelta(days=1), reply_due_at=at + timedelta(days=5)),
                    TaskReturned(task_id=f"{case.case_id}-T1", reason="退回"))
            return case

    cases = await asyncio.gather(*(one(i) for i in range(300)))
    await projector.catch_up()
    expected = sorted(((c.case_id, NOW - timedelta(minutes=i // 3)) for i, c in enumerate(cases)),
                      key=lambda x: (x[1], x[0]), reverse=True)

    returned = {c.case_id for i, c in enumerate(cases) if i % 2 == 0}  # back in triage
    for stage, wanted in ((None, expected), (Stage.triage, [e for e in expected if e[0] in returned])):
        seen: list[tuple[str, datetime | None]] = []
        cursor: str | None = None
        while True:
            items, cursor = await list_cases(pool, department=dept, stage=stage, limit=37, cursor=cursor)
            seen += [(c.case_id, c.received_at) for c in items]
            if cursor is None:
                break
        assert seen == wanted
    assert (await list_cases(pool, department=dept, limit=300))[1] is None


@pytest.mark.parametrize("cursor", [
    "not base64!", "", base64.urlsafe_b64encode(b"nonsense").decode(), base64.urlsafe_b64encode(b"[1, 2]").decode(),
    base64.urlsafe_b64encode(b'["2026-01-01T00:00:00", "C-1"]').decode(),  # no offset
    base64.urlsafe_b64encode(b'["yesterday", "C-1"]').decode(), base64.urlsafe_b64encode(b'["a", "b", "c"]').decode(),
    base64.urlsafe_b64encode("\udcff".encode(errors="surrogatepass")).decode(),
])
async def test_a_malformed_cursor_is_a_value_error(pool: asyncpg.Pool, cursor: str) -> None:
    with pytest.raises(ValueError, match="malformed cursor"):
        await list_cases(pool, cursor=cursor)


async def test_a_bad_limit_is_a_value_error(pool: asyncpg.Pool) -> None:
    with pytest.raises(ValueError, match="limit"):
        await list_cases(pool, limit=0)


# --------------------------------------------------------------------------------------------- exactly once


async def test_catch_up_twice_applies_nothing_twice(own_pool: asyncpg.Pool) -> None:
    store = EventStore(own_pool)
    departments = [unique("dept") for _ in range(3)]
    cases = await mixed_cases(store, departments, 8)
    projector = Projector(own_pool, store, batch_size=7)
    total = sum(c.version for c in cases)
    assert await projector.catch_up() == total
    before = await dump(own_pool)
    assert await projector.catch_up() == 0
    # Even a checkpoint lost while the rows stayed (which the shared transaction rules out) re-applies nothing.
    async with own_pool.acquire() as conn:
        await conn.execute("DELETE FROM projection_checkpoints")
    assert await projector.catch_up() == 0
    assert await dump(own_pool) == before
    assert sum(s.tasks_assigned for s in await department_statistics(own_pool)) == 8 * 2 + 2  # + 2 re-routes


async def test_rebuild_gives_the_same_rows_as_the_live_projection(own_pool: asyncpg.Pool) -> None:
    store = EventStore(own_pool)
    departments = [unique("dept") for _ in range(4)]
    live = Projector(own_pool, store, batch_size=5)
    for _ in range(3):  # project as the events come, in small batches that cut streams in two
        await mixed_cases(store, departments, 6)
        await live.catch_up()
    projected = await dump(own_pool)
    assert len(projected["case_summaries"]) == 18 and projected["open_escalations"]
    assert projected["case_listings"] and projected["open_summons"] and projected["awaiting_decisions"]

    assert await Projector(own_pool, store, batch_size=1000).rebuild() == sum(
        r["version"] for r in projected["case_states"])
    assert await dump(own_pool) == projected


async def test_concurrent_catch_up_applies_each_event_once(own_pool: asyncpg.Pool) -> None:
    store = EventStore(own_pool)
    departments = [unique("dept") for _ in range(3)]
    cases = await mixed_cases(store, departments, 12)
    results = await asyncio.gather(*(Projector(own_pool, store, batch_size=4).catch_up() for _ in range(3)))
    assert sum(results) == sum(c.version for c in cases)
    together = await dump(own_pool)
    await Projector(own_pool, store).rebuild()
    assert await dump(own_pool) == together


async def test_run_projects_in_the_background_until_stopped(store: EventStore, projector: Projector,
                                                            pool: asyncpg.Pool) -> None:
    stop = asyncio.Event()
    runner = asyncio.create_task(projector.run(stop, interval=0.05))
    case = await Case(store).receive(NOW)
    for _ in range(100):
        if await case_summary(pool, case.case_id) is not None:
            break
        await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(runner, 5)
    assert await case_summary(pool, case.case_id) is not None
