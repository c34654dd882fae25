"""The figures' facts projected into the real PostgreSQL and counted in SQL give the hand-worked numbers of
tests/domain/test_figures.py, the same as the domain's own counting."""

from __future__ import annotations

import uuid

import asyncpg

from domain.events import PendingEvent
from domain.figures import Period, count, follow_up_facts, task_facts
from infra.event_store import EventStore
from infra.figures import department_counts
from infra.projections import Projector
from tests.domain.test_figures import APRIL_1, MARCH, at, fixed_set, march_counts
from tests.domain.test_supervision import CO, LEAD, MEDIATOR


async def write_fixed_set(pool: asyncpg.Pool) -> None:
    store = EventStore(pool)
    for case in fixed_set():
        version = 0
        for event, occurred_at in case.history:
            pending = PendingEvent(event_id=uuid.uuid4(), occurred_at=occurred_at, actor=MEDIATOR, payload=event)
            version = (await store.append(case.state.case_id, version, [pending])).version
    await Projector(pool, store).catch_up()


async def test_sql_counts_the_hand_worked_march(own_pool: asyncpg.Pool) -> None:
    await write_fixed_set(own_pool)
    counted = {c.department: c for c in await department_counts(own_pool, MARCH, APRIL_1)}
    assert counted == march_counts(fixed_set())
    assert set(counted) == {LEAD, CO}


async def test_sql_and_the_domain_agree_on_every_day_and_moment(own_pool: asyncpg.Pool) -> None:
    """Each day of March, seen at several moments: the edges (a deadline passing, a period's first and last
    instant) fall where the domain puts them."""
    await write_fixed_set(own_pool)
    cases = fixed_set()
    tasks = [f for c in cases for f in task_facts(c.state)]
    follow_ups = [f for c in cases for f in follow_up_facts(c.state)]
    for day in range(1, 32):
        period = Period.parse(first=at(day, 0).date(), last=at(day, 0).date())
        for now in (at(3, 10), at(11, 9), APRIL_1):
            assert await department_counts(own_pool, period, now) == count(tasks, follow_ups, period, now), (day, now)


async def test_a_rebuild_gives_the_same_facts(own_pool: asyncpg.Pool) -> None:
    await write_fixed_set(own_pool)
    before = await department_counts(own_pool, MARCH, APRIL_1)
    await Projector(own_pool).rebuild()
    assert await department_counts(own_pool, MARCH, APRIL_1) == before
