"""The calendar's counting arithmetic (no day-by-day walk) gives exactly what the walk gave.

The reference functions below are the walking implementations that domain/calendar.py used before; every
random start and duration must come out identical, to the microsecond, on the real 2025-2027 schedules, on a
calendar full of make-up days and holidays, and on a zone with daylight saving time (where the arithmetic
falls back to the walk)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from domain.calendar import (
    BusinessCalendar,
    add_working_time,
    china_calendar,
    due_at,
    nth_working_day_after,
    working_days_between,
    working_time_between,
)
from domain.policy import Duration

CN = china_calendar([2025, 2026, 2027], "Asia/Shanghai", ("09:00-12:00", "13:30-17:30"))
ODD_HOURS = china_calendar([2025, 2026, 2027], "Asia/Shanghai", ("00:00-00:30", "08:15-11:59", "12:00-23:59"))
_rng = random.Random(7)
DENSE = BusinessCalendar(  # random holidays on any day, random make-up days, some days in both lists
    kind="cn", timezone="Asia/Shanghai", working_hours=((time(9), time(12)), (time(13), time(18))),
    holidays=tuple(date(2025, 1, 1) + timedelta(days=_rng.randrange(1100)) for _ in range(300)),
    workdays=tuple(date(2025, 1, 1) + timedelta(days=_rng.randrange(1100)) for _ in range(120)),
)
BERLIN = BusinessCalendar(  # daylight saving time: the working hours move against UTC twice a year
    kind="cn", timezone="Europe/Berlin", working_hours=((time(1, 30), time(3, 0)), (time(9), time(17))),
    holidays=(date(2025, 12, 25), date(2026, 4, 3)), workdays=(date(2025, 10, 25),),
)
CALENDARS = {"cn": CN, "odd_hours": ODD_HOURS, "dense": DENSE, "berlin": BERLIN}


# --- the walking reference ----------------------------------------------------------------------------------


def _next_working_day(d: date, calendar: BusinessCalendar) -> date:
    d += timedelta(days=1)
    while not calendar.is_working_day(d):
        d += timedelta(days=1)
    return d


def walk_due_at_wd(start: datetime, n: int, calendar: BusinessCalendar) -> datetime:
    local = start.astimezone(calendar.tz)
    day = local.date()
    for _ in range(n):
        day = _next_working_day(day, calendar)
    return local.replace(year=day.year, month=day.month, day=day.day).astimezone(start.tzinfo)


def _intervals_from(day: date, calendar: BusinessCalendar) -> Iterator[tuple[datetime, datetime]]:
    tz = calendar.tz
    while True:
        if calendar.is_working_day(day):
            for s, e in calendar.working_hours:
                yield (datetime.combine(day, s, tzinfo=tz).astimezone(UTC),
                       datetime.combine(day, e, tzinfo=tz).astimezone(UTC))
        day += timedelta(days=1)


def walk_add_working_time(start: datetime, amount: timedelta, calendar: BusinessCalendar) -> datetime:
    if amount <= timedelta(0):
        return start
    cursor, remaining = start.astimezone(UTC), amount
    for begin, end in _intervals_from(start.astimezone(calendar.tz).date(), calendar):
        if end <= cursor:
            continue
        cursor = max(cursor, begin)
        if remaining <= end - cursor:
            return (cursor + remaining).astimezone(start.tzinfo)
        remaining -= end - cursor
        cursor = end
    raise AssertionError


def walk_working_time_between(a: datetime, b: datetime, calendar: BusinessCalendar) -> timedelta:
    if b <= a:
        return timedelta(0)
    total = timedelta(0)
    for begin, end in _intervals_from(a.astimezone(calendar.tz).date(), calendar):
        if begin >= b:
            break
        overlap = min(end, b) - max(begin, a)
        if overlap > timedelta(0):
            total += overlap
    return total


# --- random instants, some of them exactly on interval edges ------------------------------------------------


def random_instant(rng: random.Random, calendar: BusinessCalendar) -> datetime:
    day = date(2025, 1, 1) + timedelta(days=rng.randrange(3 * 365 + 30))  # runs past the pinned years too
    tz = ZoneInfo(rng.choice([calendar.timezone, "UTC", "Asia/Shanghai"]))
    if rng.random() < 0.3:  # on an interval's edge
        edge = rng.choice([t for interval in calendar.working_hours for t in interval])
        local = datetime.combine(day, edge, tzinfo=calendar.tz)
    else:
        local = datetime.combine(day, time(0), tzinfo=calendar.tz) + timedelta(
            seconds=rng.randrange(86_400), microseconds=rng.randrange(1_000_000) if rng.random() < 0.5 else 0)
    return local.astimezone(tz)


def random_amount(rng: random.Random) -> timedelta:
    return rng.choice([
        timedelta(hours=rng.randrange(0, 400)),  # what "Nwh" gives
        timedelta(seconds=rng.randrange(1, 3_000_000)),
        timedelta(minutes=rng.randrange(1, 600)),
        timedelta(microseconds=rng.randrange(1, 10_000)),
    ])


@pytest.mark.parametrize("name", sorted(CALENDARS))
def test_working_days_count_and_nth_match_the_walk(name: str) -> None:
    calendar, rng = CALENDARS[name], random.Random(name)
    for _ in range(400):
        first = date(2024, 11, 1) + timedelta(days=rng.randrange(1300))
        last = first + timedelta(days=rng.randrange(-3, 120))
        walked = sum(calendar.is_working_day(first + timedelta(days=i)) for i in range((last - first).days + 1))
        assert working_days_between(first, last, calendar) == walked, (first, last)
        n = rng.randrange(0, 60)
        expected = first
        for _ in range(n):
            expected = _next_working_day(expected, calendar)
        assert nth_working_day_after(first, n, calendar) == expected, (first, n)


@pytest.mark.parametrize("name", sorted(CALENDARS))
def test_due_at_in_working_days_matches_the_walk(name: str) -> None:
    calendar, rng = CALENDARS[name], random.Random(f"wd-{name}")
    for _ in range(400):
        start, n = random_instant(rng, calendar), rng.randrange(0, 40)
        assert due_at(start, Duration(amount=n, unit="wd"), calendar) == walk_due_at_wd(start, n, calendar), (start, n)


@pytest.mark.parametrize("name", sorted(CALENDARS))
def test_add_working_time_matches_the_walk(name: str) -> None:
    calendar, rng = CALENDARS[name], random.Random(f"wh-{name}")
    for _ in range(600):
        start, amount = random_instant(rng, calendar), random_amount(rng)
        got = add_working_time(start, amount, calendar)
        want = walk_add_working_time(start, amount, calendar)
        assert got == want and got.tzinfo == want.tzinfo, (start, amount)


@pytest.mark.parametrize("name", sorted(CALENDARS))
def test_working_time_between_matches_the_walk(name: str) -> None:
    calendar, rng = CALENDARS[name], random.Random(f"between-{name}")
    for _ in range(600):
        a = random_instant(rng, calendar)
        b = rng.choice([random_instant(rng, calendar), a + random_amount(rng), a - random_amount(rng)])
        assert working_time_between(a, b, calendar) == walk_working_time_between(a, b, calendar), (a, b)


def test_a_year_of_working_hours_is_counted_not_walked() -> None:
    # 2,000 working hours from new year 2025: the same answer the walk gives, via ~250 skipped days.
    start = datetime(2025, 1, 1, 10, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert add_working_time(start, timedelta(hours=2000), CN) == walk_add_working_time(start, timedelta(hours=2000), CN)
