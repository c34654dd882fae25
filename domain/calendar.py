"""Business calendars and deadline arithmetic (docs/domain.md, "Deadlines and the escalation ladder").

Pure: no clock, no I/O. A :class:`BusinessCalendar` is plain data (pinned to a case inside its policy), so a
case replayed years later computes the same deadlines even after the State Council publishes new schedules
or the ``holidays`` package changes.

Every function takes timezone-aware datetimes and returns aware datetimes in the *start's* timezone (the
first argument's); days and working hours are read in the calendar's timezone."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import pairwise
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from domain.holiday_schedule import AnnouncedYear, built_in_years

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


def china_calendar(
    years: Iterable[int], timezone: str, working_hours: Sequence[str],
    announced: Mapping[int, AnnouncedYear] | None = None,
) -> BusinessCalendar:
    """The State Council schedule for ``years``.

    Each year comes from the first that has it: ``announced`` (the years an admin loaded), the schedules
    shipped with LianDiao (:func:`built_in_years`), else the ``holidays`` package. The package lists named
    holidays and the 调休 days off ("Day off (substituted from ...)") as holidays, and the make-up working
    weekend days in ``weekend_workdays``; a year it has no published schedule for is its estimate (observed
    rules, no make-up days), which is why an announced year replaces it wholesale rather than adding to it."""
    wanted = sorted(set(years))
    schedules = {**built_in_years(), **(announced or {})}
    days_off = [d for y in wanted if y in schedules for d in schedules[y].holidays]
    workdays = [d for y in wanted if y in schedules for d in schedules[y].workdays]
    estimated = [y for y in wanted if y not in schedules]
    if estimated:
        import holidays as holidays_pkg  # a heavy import: only pinning a new case needs it

        source = holidays_pkg.country_holidays("CN", years=estimated)
        # the package also keeps weekend workdays of other years it touched: keep only the requested ones
        workdays += [d for d in source.weekend_workdays if d.year in estimated and d.weekday() >= 5]
        days_off += [d for d in source if d.year in estimated and d.weekday() < 5]
    return BusinessCalendar(
        kind="cn",
        timezone=timezone,
        working_hours=parse_working_hours(working_hours),
        holidays=tuple(days_off),
        workdays=tuple(workdays),
    )


def holds_year(calendar: BusinessCalendar, schedule: AnnouncedYear) -> bool:
    """Whether ``calendar`` already has ``schedule``'s year as announced. A continuous calendar has no days
    off, so no announcement changes it; a cn calendar may lack the year or hold only the package's estimate."""
    if calendar.kind == "continuous":
        return True
    return (tuple(d for d in calendar.holidays if d.year == schedule.year) == schedule.holidays
            and tuple(d for d in calendar.workdays if d.year == schedule.year) == schedule.workdays)


def with_year(calendar: BusinessCalendar, schedule: AnnouncedYear) -> BusinessCalendar:
    """``calendar`` with ``schedule``'s year replaced by (or added as) the announced one; other years as they
    were. What an open case's calendar becomes when a year is announced after it was received."""
    if holds_year(calendar, schedule):
        return calendar
    return calendar.model_copy(update={
        "holidays": tuple(sorted({*(d for d in calendar.holidays if d.year != schedule.year), *schedule.holidays})),
        "workdays": tuple(sorted({*(d for d in calendar.workdays if d.year != schedule.year), *schedule.workdays})),
    })


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
    day = nth_working_day_after(local.date(), n, calendar)
    return local.replace(year=day.year, month=day.month, day=day.day).astimezone(start.tzinfo)


# --- counting working days without walking them -------------------------------------------------------------
# A day is a working day by the Monday-Friday rule, corrected by the pinned exceptions: a weekday holiday
# (-1) or a weekend make-up day (+1). Counting a range is then the weekdays in it (closed form) plus the sum
# of the corrections in it (bisect over their prefix sums): O(log) instead of one step per day.


@lru_cache(maxsize=256)
def _corrections(holidays: tuple[date, ...], workdays: tuple[date, ...]) -> tuple[tuple[date, ...], tuple[int, ...]]:
    """The days where ``is_working_day`` differs from Monday-Friday, sorted, and the running sum of their
    corrections (prefix[i] = sum of the first i)."""
    extra = {d: 1 for d in workdays if d.weekday() >= 5}  # make-up days win over holidays, as in is_working_day
    off = {d: -1 for d in holidays if d.weekday() < 5 and d not in set(workdays)}
    merged = sorted({**extra, **off}.items())
    days = tuple(d for d, _ in merged)
    prefix = [0]
    for _, c in merged:
        prefix.append(prefix[-1] + c)
    return days, tuple(prefix)


def _weekdays_through(d: date) -> int:
    """Monday-Friday days from an epoch Monday up to and including ``d`` (any monotone count will do)."""
    n = d.toordinal()  # ordinal 1 (0001-01-01) is a Monday
    weeks, rest = divmod(n, 7)
    return weeks * 5 + min(rest, 5)


def working_days_between(first: date, last: date, calendar: BusinessCalendar) -> int:
    """How many working days ``first``..``last`` (both included) holds; 0 when ``last < first``."""
    if last < first:
        return 0
    if calendar.kind == "continuous":
        return (last - first).days + 1
    days, prefix = _corrections(calendar.holidays, calendar.workdays)
    corrections = prefix[bisect_right(days, last)] - prefix[bisect_left(days, first)]
    return _weekdays_through(last) - _weekdays_through(first - timedelta(days=1)) + corrections


def nth_working_day_after(d: date, n: int, calendar: BusinessCalendar) -> date:
    """The ``n``-th working day after ``d`` (``d`` itself never counts); ``d`` when ``n <= 0``."""
    if n <= 0:
        return d
    if calendar.kind == "continuous":
        return d + timedelta(days=n)
    # The answer is d + k days for the smallest k with n working days in d+1..d+k: bracket k, then bisect.
    lo, hi = n - 1, max(n, 1)
    while working_days_between(d + timedelta(days=1), d + timedelta(days=hi), calendar) < n:
        lo, hi = hi, hi * 2
    while hi - lo > 1:  # invariant: fewer than n working days within lo days, n or more within hi days
        mid = (lo + hi) // 2
        if working_days_between(d + timedelta(days=1), d + timedelta(days=mid), calendar) >= n:
            hi = mid
        else:
            lo = mid
    return d + timedelta(days=hi)


@lru_cache(maxsize=1024)
def _steady_offset(timezone: str, year: int) -> timedelta | None:
    """The zone's one UTC offset throughout ``year`` (noon of every day), or None if it changes (DST).

    Whole working days can be skipped at D each only when the offset holds; else the arithmetic walks."""
    tz = ZoneInfo(timezone)
    first = date(year, 1, 1)
    offsets = {datetime.combine(first + timedelta(days=i), time(12), tzinfo=tz).utcoffset()
               for i in range((date(year + 1, 1, 1) - first).days)}
    offset = offsets.pop() if len(offsets) == 1 else None
    return offset


def _steady_between(calendar: BusinessCalendar, first: date, last: date) -> bool:
    offsets = {_steady_offset(calendar.timezone, y) for y in range(first.year - 1, last.year + 2)}
    return len(offsets) == 1 and None not in offsets


def _day_intervals(day: date, calendar: BusinessCalendar) -> list[tuple[datetime, datetime]]:
    """The working-hours intervals of ``day`` in UTC; none on a day off."""
    if not calendar.is_working_day(day):
        return []
    tz = calendar.tz
    return [(datetime.combine(day, s, tzinfo=tz).astimezone(UTC), datetime.combine(day, e, tzinfo=tz).astimezone(UTC))
            for s, e in calendar.working_hours]


def _daily_working_time(calendar: BusinessCalendar) -> timedelta:
    return sum((datetime.combine(date.min, e) - datetime.combine(date.min, s) for s, e in calendar.working_hours),
               timedelta(0))


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


def next_morning_if_day_end(moment: datetime, calendar: BusinessCalendar) -> datetime:
    """``moment`` or, when it is exactly the end of its day's last working interval, the start of the next
    working day: the same working instant, in the form ``due_at`` gives a whole-day deadline (3wd from Monday
    09:00 is Thursday 09:00, not Wednesday 17:30)."""
    if calendar.kind == "continuous":
        return moment
    local = moment.astimezone(calendar.tz)
    intervals = _day_intervals(local.date(), calendar)
    if not intervals or moment != intervals[-1][1]:
        return moment
    start, _ = next(_intervals_from(local.date() + timedelta(days=1), calendar))
    return start.astimezone(moment.tzinfo)


def add_working_time(start: datetime, amount: timedelta, calendar: BusinessCalendar) -> datetime:
    """Walk ``amount`` of working time forward from ``start``, skipping lunch, nights, weekends and holidays.

    Ends exactly at an interval's end when the amount runs out there (11:00 + 1wh = 12:00, not 13:30); a zero
    or negative amount returns ``start`` unchanged. Continuous calendar: ``start + amount``."""
    _require_aware(start)
    if amount <= timedelta(0):
        return start
    if calendar.kind == "continuous":
        return (start.astimezone(UTC) + amount).astimezone(start.tzinfo)
    fast = _add_working_time_by_days(start, amount, calendar)
    if fast is not None:
        return fast
    return _walk_working_time(start, amount, calendar)


def _add_working_time_by_days(start: datetime, amount: timedelta, calendar: BusinessCalendar) -> datetime | None:
    """add_working_time in O(log): the start's day as the walk does it, then whole working days of D each
    skipped by counting, then the last day. None (walk instead) when the zone's offset changes on the way."""
    cursor = start.astimezone(UTC)
    remaining = amount
    first = start.astimezone(calendar.tz).date()
    for begin, end in _day_intervals(first, calendar):
        if end <= cursor:
            continue
        cursor = max(cursor, begin)
        if remaining <= end - cursor:
            return (cursor + remaining).astimezone(start.tzinfo)
        remaining -= end - cursor
        cursor = end
    daily = _daily_working_time(calendar)
    # Every later working day gives exactly D; skip the k whole ones before the day where the amount runs out
    # (remaining == k*D + r with 0 < r <= D: ending exactly at a day's last interval end stays on that day).
    skip = (remaining - timedelta(microseconds=1)) // daily
    remaining -= daily * skip
    last = nth_working_day_after(first, skip + 1, calendar)
    if not _steady_between(calendar, first, last):
        return None
    for begin, end in _day_intervals(last, calendar):
        if remaining <= end - begin:
            return (begin + remaining).astimezone(start.tzinfo)
        remaining -= end - begin
    raise AssertionError("unreachable: the last day holds the rest of the amount")


def _walk_working_time(start: datetime, amount: timedelta, calendar: BusinessCalendar) -> datetime:
    """The reference walk, interval by interval (zones whose offset changes on the way)."""
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
    first, last = a.astimezone(calendar.tz).date(), b.astimezone(calendar.tz).date()
    if _steady_between(calendar, first, last):
        # The end days overlap partly; every working day strictly between them lies wholly inside.
        ends = {first, last}
        total = sum((max(min(end, b) - max(begin, a), timedelta(0))
                     for day in ends for begin, end in _day_intervals(day, calendar)), timedelta(0))
        between = working_days_between(first + timedelta(days=1), last - timedelta(days=1), calendar)
        return total + _daily_working_time(calendar) * between
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


def working_fraction(start: datetime, due: datetime, fraction: float, calendar: BusinessCalendar) -> datetime:
    """The instant at ``fraction`` of the *working* time from ``start`` to ``due``, so a reminder at 50 % of
    a deadline falls inside working hours rather than at night. A span without working time (an emergency's
    wall-clock limit over a weekend) falls back to the fraction of wall-clock time. In ``start``'s timezone."""
    _require_aware(start, due)
    span = working_time_between(start, due, calendar)
    if span <= timedelta(0):
        return start + (due - start) * fraction
    return add_working_time(start, span * fraction, calendar)
