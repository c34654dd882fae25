"""The scores per person counted in SQL over the projected facts (real PostgreSQL) give the hand-worked numbers of
tests/domain/test_figures_people.py; the acknowledgement's actor, folded by the projector, names the 责任人."""

from __future__ import annotations

import uuid

import asyncpg

from domain.events import PendingEvent
from domain.figures import count, follow_up_facts, task_facts
from infra.event_store import EventStore
from infra.figures import person_counts
from infra.projections import Projector
from infra.read_models import department_inbox
from tests.domain.test_figures import APRIL_1, MARCH
from tests.domain.test_figures_people import people_set
from tests.domain.test_supervision import LEAD


async def _write(pool: asyncpg.Pool) -> None:
    store = EventStore(pool)
    for case in people_set():
        version = 0
        for (event, occurred_at), actor in zip(case.history, case.actors, strict=True):
            pending = PendingEvent(event_id=uuid.uuid4(), occurred_at=occurred_at, actor=actor, payload=event)
            version = (await store.append(case.state.case_id, version, [pending])).version
    await Projector(pool, store).catch_up()


async def test_sql_counts_people_as_the_domain_and_the_hand_do(own_pool: asyncpg.Pool) -> None:
    await _write(own_pool)
    cases = people_set()
    counted = await person_counts(own_pool, MARCH, APRIL_1)
    tasks = [f for c in cases for f in task_facts(c.state)]
    assert counted == count(tasks, [f for c in cases for f in follow_up_facts(c.state)], MARCH, APRIL_1,
                            by_person=True)
    assert [(c.assignee, c.tasks, c.ack_on_time, c.reply_on_time) for c in counted] == [
        ("usr-z", 1, 1, 1), ("usr-x", 2, 1, 2), ("usr-y", 1, 1, 0)]


async def test_the_inbox_shows_each_tasks_assignee(own_pool: asyncpg.Pool) -> None:
    await _write(own_pool)
    await own_pool.execute("INSERT INTO users (id, login, name, role, department, kind) "
                           "VALUES ('usr-y', 'y-login', '杨责任', 'liaison', $1, 'person')", LEAD)
    inbox = {i.task_id: i.assignee for i in await department_inbox(own_pool, LEAD)}
    assert inbox["P1-T1"] is not None and (inbox["P1-T1"].id, inbox["P1-T1"].name) == ("usr-y", "杨责任")
    assert inbox["P2-T1"] is not None and (inbox["P2-T1"].id, inbox["P2-T1"].name) == ("usr-x", None)  # no user
    assert inbox["P3-T1"] is None  # never acknowledged
    await Projector(own_pool).rebuild()  # the read models are rebuilt from the events alone: the same names
    assert {i.task_id: i.assignee for i in await department_inbox(own_pool, LEAD)} == inbox
