"""Business calendars and deadline arithmetic (DOMAIN.md, "Deadlines and the escalation ladder").

Pure: no clock, no I/O. A :class:`BusinessCalendar` is plain data (pinned to a case inside its policy), so a
case replayed years later computes the same deadlines even after the State Council publishes new schedules
or the ``holidays`` package changes.

Every function takes timezone-aware datetimes and returns aware datetimes in the *start's* timezone (the
first argument's); days and working hours are read in the calendar's timezone."""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

if TYPE_CHECKING:  # policy.py imports this module; Duration is only needed for annotations here
    from domain.policy import Duration

WorkingHours = tuple[tuple[time, time], ...]

_HOURS_RE = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])-([01][0-9]|2[0-3]):([0-5][0-9])")


def parse_working_hours(texts: Sequence[str]) -> WorkingHours:
    """``["09:00-12:00", "13:30-17:30"]`` -> intervals; ValueError unless well-formed, ascending, disjoint."""
    intervals: list[tuple[time, time]] = []
    for text in texts:
        m = _HOURS_RE.fullmatch(text) if isinstance(text, str) else None
        if m is None:
            raise ValueError(
                f'"{text}" is not a working-hours interval (use "HH:MM-HH:MM", e.g. "09:00-12:00")'
            )
        start, end = time(int(m[1]), int(m[2])), time(int(m[3]), int(m[4]))
        if start >= end:
            raise ValueError(f'"{text}": the start must be before the end')
        if intervals and start < intervals[-1][1]:
            raise ValueError(f'"{text}": intervals must be in ascending order and must not overlap')
        intervals.append((start, end))
    return tuple(intervals)


def check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f'unknown time zone "{name}" (use an IANA name such as "Asia/Shanghai")') from None
    return name


class BusinessCalendar(BaseModel):
    """Which days are working days, and the working hours within them.

    ``cn``: Monday-Friday, except ``holidays`` (every *weekday* that is a statutory day off, i.e. the
    whole 假期 block minus its weekend days, which are off anyway), plus ``workdays`` (weekend days that are
    make-up working days, 调休上班). Dates outside the pinned years fall back to plain Monday-Friday.
    ``continuous``: every day is a working day and every hour is a working hour."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["cn", "continuous"]
    timezone: str
    working_hours: WorkingHours = ()
    holidays: tuple[date, ...] = ()
    workdays: tuple[date, ...] = ()

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        return check_timezone(value)

    @field_validator("holidays", "workdays")
    @classmethod
    def _sorted_dates(cls, value: tuple[date, ...]) -> tuple[date, ...]:
        # sorted and unique: the dump is hashed into the event chain, and lookups bisect
        return tuple(sorted(set(value)))

    @model_validator(mode="after")
    def _consistent(self) -> BusinessCalendar:
        if self.kind == "cn" and not self.working_hours:
            raise ValueError("a cn calendar needs working hours")  # else "wh" arithmetic never ends
        hours = self.working_hours
        if any(s >= e for s, e in hours) or any(a[1] > b[0] for a, b in pairwise(hours)):
            raise ValueError("working hours must be ascending and must not overlap")
        return self

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def is_working_day(self, d: date) -> bool:
        if self.kind == "continuous":
            return True
        if _contains(self.workdays, d):
            return True
        if _contains(self.holidays, d):
            return False
        return d.weekday() < 5


def _contains(sorted_dates: tuple[date, ...], d: date) -> bool:
    i = bisect_left(sorted_dates, d)
    return i < len(sorted_dates) and sorted_dates[i] == d


def china_calendar(years: Iterable[int], timezone: str, working_hours: Sequence[str]) -> BusinessCalendar:
    """The State Council schedule for ``years`` from the ``holidays`` package.

    The package lists named holidays and the 调休 days off ("Day off (substituted from ...)") as holidays,
    and the make-up working weekend days in ``weekend_workdays``. Years it has no published schedule for
    are its estimate (observed rules, no make-up days)."""
    import holidays as holidays_pkg  # a heavy import: only pinning a new case needs it

    wanted = sorted(set(years))
    source = holidays_pkg.country_holidays("CN", years=wanted)
    # the package also keeps weekend workdays of other years it touched: keep only the requested ones
    workdays = [d for d in source.weekend_workdays if d.year in wanted and d.weekday() >= 5]
    days_off = [d for d in source if d.year in wanted and d.weekday() < 5]
    return BusinessCalendar(
        kind="cn",
        timezone=timezone,
        working_hours=parse_working_hours(working_hours),
        holidays=tuple(days_off),
        workdays=tuple(workdays),
    )


def continuous_calendar(timezone: str = "Asia/Shanghai") -> BusinessCalendar:
    return BusinessCalendar(kind="continuous", timezone=timezone)


# --- arithmetic -------------------------------------------------------------------------------------------

_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _require_aware(*values: datetime) -> None:
    for v in values:
        if v.tzinfo is None or v.utcoffset() is None:
            raise ValueError(f"{v.isoformat()} has no timezone; deadlines need aware datetimes")


def due_at(start: datetime, duration: Duration, calendar: BusinessCalendar) -> datetime:
    """When ``duration`` counted from ``start`` runs out; in ``start``'s timezone, to the microsecond.

    - ``s``/``m``/``h``/``d``: elapsed real time (computed in UTC, so a DST change does not skew it).
    - ``wd``: the same local time of day on the N-th working day after start's local date; the start date
      is never counted, whether or not it is a working day (Saturday 10:00 + 1wd = Monday 10:00).
    - ``wh``: working time only (see :func:`add_working_time`); a start outside working hours begins at the
      next interval's start. On a continuous calendar 1wh = 1h and 1wd = 1 day."""
    _require_aware(start)
    n = duration.amount
    if duration.unit in _UNIT_SECONDS:
        return (start.astimezone(UTC) + timedelta(seconds=n * _UNIT_SECONDS[duration.unit])).astimezone(
            start.tzinfo
        )
    if n == 0:
        return start
    if duration.unit == "wh":
        return add_working_time(start, timedelta(hours=n), calendar)
    local = start.astimezone(calendar.tz)
    day = local.date()
    for _ in range(n):
        day = _next_working_day(day, calendar)
    return local.replace(year=day.year, month=day.month, day=day.day).astimezone(start.tzinfo)


def _next_working_day(d: date, calendar: BusinessCalendar) -> date:
    d += timedelta(days=1)
    while not calendar.is_working_day(d):
        d += timedelta(days=1)
    return d


def _intervals_from(day: date, calendar: BusinessCalendar) -> Iterator[tuple[datetime, datetime]]:
    """The working-hours intervals (in UTC) of working days, from ``day`` on, forever."""
    tz = calendar.tz
    while True:
        if calendar.is_working_day(day):
            for s, e in calendar.working_hours:
                yield (
                    datetime.combine(day, s, tzinfo=tz).astimezone(UTC),
                    datetime.combine(day, e, tzinfo=tz).astimezone(UTC),
                )
        day += timedelta(days=1)


def add_working_time(start: datetime, amount: timedelta, calendar: BusinessCalendar) -> datetime:
    """Walk ``amount`` of working time forward from ``start``, skipping lunch, nights, weekends and holidays.

    Ends exactly at an interval's end when the amount runs out there (11:00 + 1wh = 12:00, not 13:30); a zero
    or negative amount returns ``start`` unchanged. Continuous calendar: ``start + amount``."""
    _require_aware(start)
    if amount <= timedelta(0):
        return start
    if calendar.kind == "continuous":
        return (start.astimezone(UTC) + amount).astimezone(start.tzinfo)
    cursor = start.astimezone(UTC)
    remaining = amount
    for begin, end in _intervals_from(start.astimezone(calendar.tz).date(), calendar):
        if end <= cursor:
            continue
        cursor = max(cursor, begin)
        if remaining <= end - cursor:
            return (cursor + remaining).astimezone(start.tzinfo)
        remaining -= end - cursor
        cursor = end
    raise AssertionError("unreachable: the interval generator is infinite")


def working_time_between(a: datetime, b: datetime, calendar: BusinessCalendar) -> timedelta:
    """The working time between two instants: their overlap with the working-hours intervals of working
    days (continuous: ``b - a``). Zero when ``b <= a``."""
    _require_aware(a, b)
    if b <= a:
        return timedelta(0)
    if calendar.kind == "continuous":
        return b - a
    total = timedelta(0)
    for begin, end in _intervals_from(a.astimezone(calendar.tz).date(), calendar):
        if begin >= b:
            break
        overlap = min(end, b) - max(begin, a)
        if overlap > timedelta(0):
            total += overlap
    return total


def shift_for_pause(
    due: datetime, paused_at: datetime, resumed_at: datetime, calendar: BusinessCalendar
) -> datetime:
    """Where a deadline moves after its clock was paused (中止) from ``paused_at`` to ``resumed_at``.

    Paused time does not count, so the deadline moves later by the time the pause used up, measured the
    same way the deadline is: continuous, ``due + (resumed_at - paused_at)``; cn, the *working* time that
    elapsed during the pause, walked forward from ``due`` through working hours (a pause over a weekend
    moves nothing; a pause of a whole working day moves the deadline by one day's working hours). A pause
    that ends before it starts moves nothing. Returned in ``due``'s timezone."""
    return add_working_time(due, working_time_between(paused_at, resumed_at, calendar), calendar)
