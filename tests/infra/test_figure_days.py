"""The counts of a period wholly past, summed from the counts by day (036_figure_days.sql), are the counts from the
facts' rows and the domain's own counting: on the fixed set of tests/domain/test_figures.py, over periods of
one day to a month starting on every day of February and March (so the tasks that started before a period and
fall due in it are counted), with the facts written the ways the triggers see them."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

import asyncpg

from domain.events import PendingEvent
from domain.figures import SHANGHAI, Counts, Period, count, follow_up_facts, task_facts
from infra.event_store import EventStore
from infra.figures import department_counts, department_counts_from_rows
from infra.projections import Projector
from tests.domain.test_figures import MARCH, fixed_set
from tests.domain.test_supervision import MEDIATOR

LATER = datetime(2027, 1, 1, tzinfo=SHANGHAI)  # every period below has ended
PERIODS = [Period.parse(first=date(2026, 2, 1) + timedelta(days=d), last=date(2026, 2, 1) + timedelta(days=d + n))
           for d in range(59) for n in (0, 1, 2, 6, 9, 13, 29)] + [MARCH, Period.parse("2026-02"),
                                                                   Period.parse("2026-Q1"), Period.parse("2026")]


async def _write_projecting_each_event(pool: asyncpg.Pool) -> None:
    """Every event projected on its own: each case's facts are deleted and written again many times."""
    store = EventStore(pool)
    projector = Projector(pool, store)
    for case in fixed_set():
        version = 0
        for event, occurred_at in case.history:
            pending = PendingEvent(event_id=uuid.uuid4(), occurred_at=occurred_at, actor=MEDIATOR, payload=event)
            version = (await store.append(case.state.case_id, version, [pending])).version
            await projector.catch_up()


def _expected(period: Period) -> list[Counts]:
    cases = fixed_set()
    return count([f for c in cases for f in task_facts(c.state)], [f for c in cases for f in follow_up_facts(c.state)],
                 period, LATER)


async def _assert_sums_are_the_rows(pool: asyncpg.Pool) -> None:
    for period in PERIODS:
        summed = await department_counts(pool, period, LATER)
        assert summed == await department_counts_from_rows(pool, period, LATER), period
        assert summed == _expected(period), period


async def test_the_day_sums_are_the_row_counts_on_every_period(own_pool: asyncpg.Pool) -> None:
    await _write_projecting_each_event(own_pool)
    assert any(c.tasks for c in await department_counts(own_pool, MARCH, LATER))
    await _assert_sums_are_the_rows(own_pool)
    negative = await own_pool.fetchval(
        "SELECT count(*) FROM task_days WHERE least(starting, assigned, returned, ack_due, ack_on_time, reply_due, "
        "reply_on_time, reopen_base, reopened, listed, rated, rating_points) < 0")
    assert negative == 0


async def test_the_sums_follow_updates_deletes_and_a_rebuild(own_pool: asyncpg.Pool) -> None:
    await _write_projecting_each_event(own_pool)
    # An UPDATE (the projector deletes and inserts; the trigger on UPDATE keeps the sums too).
    await own_pool.execute("UPDATE task_facts SET returned = NOT returned,"
                           " reply_due_at = reply_due_at + interval '9 days' WHERE case_id = 'C-A'")
    await own_pool.execute("UPDATE follow_up_facts SET at = at - interval '20 days' WHERE case_id = 'C-C'")
    for period in PERIODS:
        assert await department_counts(own_pool, period, LATER) == \
            await department_counts_from_rows(own_pool, period, LATER), period
    await own_pool.execute("DELETE FROM task_facts WHERE case_id = 'C-B'")
    await own_pool.execute("DELETE FROM follow_up_facts WHERE case_id = 'C-A'")
    for period in PERIODS:
        assert await department_counts(own_pool, period, LATER) == \
            await department_counts_from_rows(own_pool, period, LATER), period
    # A rebuild empties the facts (TRUNCATE: the sums are emptied with them) and folds every event again.
    await Projector(own_pool).rebuild()
    await _assert_sums_are_the_rows(own_pool)


async def test_a_period_not_yet_over_is_counted_from_the_rows(own_pool: asyncpg.Pool) -> None:
    """Seen on 3 March 10:00 (the acknowledge deadlines pass then), March's counts are the domain's: the sums,
    which judge every deadline as passed, are not used for a period that has not ended."""
    await _write_projecting_each_event(own_pool)
    for now in (datetime(2026, 3, 3, 9, 59, tzinfo=SHANGHAI), datetime(2026, 3, 3, 10, tzinfo=SHANGHAI),
                datetime(2026, 4, 1, tzinfo=SHANGHAI) - timedelta(microseconds=1)):
        cases = fixed_set()
        expected = count([f for c in cases for f in task_facts(c.state)],
                         [f for c in cases for f in follow_up_facts(c.state)], MARCH, now)
        assert await department_counts(own_pool, MARCH, now) == expected, now
