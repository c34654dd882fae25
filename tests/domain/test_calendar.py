"""Deadline arithmetic on real dates of the State Council's 2025/2026 holiday schedules."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from domain.calendar import (
    BusinessCalendar,
    add_working_time,
    china_calendar,
    continuous_calendar,
    due_at,
    parse_working_hours,
    shift_for_pause,
    working_time_between,
)
from domain.policy import Duration

SH = ZoneInfo("Asia/Shanghai")
HOURS = ("09:00-12:00", "13:30-17:30")
CN = china_calendar([2025, 2026], "Asia/Shanghai", HOURS)
CONT = continuous_calendar()


def at(y: int, mo: int, d: int, h: int = 10, mi: int = 0, us: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, 0, us, tzinfo=SH)


def d(text: str) -> Duration:
    return Duration.parse(text)


# --- the calendar data ------------------------------------------------------------------------------------


def test_2025_national_day_block_and_make_up_days() -> None:
    # 2025: Oct 1-8 off (Mid-Autumn merged in); Sun Sep 28 and Sat Oct 11 are working days
    for day in range(1, 9):
        assert not CN.is_working_day(date(2025, 10, day))
    assert CN.is_working_day(date(2025, 9, 28))
    assert CN.is_working_day(date(2025, 10, 11))
    assert CN.is_working_day(date(2025, 10, 9))
    assert not CN.is_working_day(date(2025, 10, 12))  # an ordinary Sunday


def test_2025_spring_festival_block_and_make_up_days() -> None:
    # 2025: Jan 28 (除夕) - Feb 4 off; Sun Jan 26 and Sat Feb 8 are working days
    for day in (28, 29, 30, 31):
        assert not CN.is_working_day(date(2025, 1, day))
    for day in (1, 2, 3, 4):
        assert not CN.is_working_day(date(2025, 2, day))
    assert CN.is_working_day(date(2025, 1, 26))
    assert CN.is_working_day(date(2025, 2, 8))
    assert CN.is_working_day(date(2025, 1, 27))
    assert CN.is_working_day(date(2025, 2, 5))


def test_every_weekday_off_in_2025_is_listed() -> None:
    weekdays_off_2025 = {
        date(2025, 1, 1),
        *(date(2025, 1, x) for x in (28, 29, 30, 31)),
        *(date(2025, 2, x) for x in (3, 4)),
        date(2025, 4, 4),
        *(date(2025, 5, x) for x in (1, 2, 5)),
        date(2025, 6, 2),
        *(date(2025, 10, x) for x in (1, 2, 3, 6, 7, 8)),
    }
    assert {h for h in CN.holidays if h.year == 2025} == weekdays_off_2025
    assert [w for w in CN.workdays if w.year == 2025] == [
        date(2025, 1, 26),
        date(2025, 2, 8),
        date(2025, 4, 27),
        date(2025, 9, 28),
        date(2025, 10, 11),
    ]


def test_2026_schedule() -> None:
    # 2026: Spring Festival Feb 15-23 off, Sat Feb 14 and Sat Feb 28 working; National Day Oct 1-7 off,
    # Sun Sep 20 and Sat Oct 10 working
    assert not CN.is_working_day(date(2026, 2, 23))
    assert CN.is_working_day(date(2026, 2, 14)) and CN.is_working_day(date(2026, 2, 28))
    assert not CN.is_working_day(date(2026, 10, 7))
    assert CN.is_working_day(date(2026, 9, 20)) and CN.is_working_day(date(2026, 10, 10))


def test_calendar_data_is_sorted_and_outside_years_fall_back_to_weekdays() -> None:
    assert list(CN.holidays) == sorted(CN.holidays)
    assert list(CN.workdays) == sorted(CN.workdays)
    assert {x.year for x in CN.holidays + CN.workdays} == {2025, 2026}
    assert CN.is_working_day(date(2030, 10, 1))  # a Tuesday, not pinned
    assert not CN.is_working_day(date(2030, 10, 5))  # a Saturday


def test_continuous_calendar_every_day_works() -> None:
    assert CONT.is_working_day(date(2025, 10, 1))
    assert CONT.is_working_day(date(2025, 10, 4))


def test_working_hours_validation() -> None:
    assert parse_working_hours(HOURS) == ((time(9), time(12)), (time(13, 30), time(17, 30)))
    for bad in (
        ["9:00-12:00"],
        ["12:00-09:00"],
        ["13:00-17:00", "09:00-12:00"],
        ["09:00-12:00", "11:00-13:00"],
    ):
        with pytest.raises(ValueError):
            parse_working_hours(bad)
    with pytest.raises(ValidationError):
        BusinessCalendar(kind="cn", timezone="Asia/Shanghai")  # no working hours
    with pytest.raises(ValidationError):
        BusinessCalendar(kind="continuous", timezone="Mars/Olympus")


# --- due_at -----------------------------------------------------------------------------------------------


def test_three_working_days_before_national_day() -> None:
    # Fri Sep 26 + 3wd: Sun Sep 28 (make-up) 1, Mon Sep 29 2, Tue Sep 30 3
    assert due_at(at(2025, 9, 26, 10, 15), d("3wd"), CN) == at(2025, 9, 30, 10, 15)
    # Fri Sep 26 + 4wd jumps the whole Oct 1-8 block
    assert due_at(at(2025, 9, 26, 10, 15), d("4wd"), CN) == at(2025, 10, 9, 10, 15)


def test_one_working_day_across_the_holiday() -> None:
    assert due_at(at(2025, 9, 30, 16), d("1wd"), CN) == at(2025, 10, 9, 16)
    # Thu Oct 9 + 2wd: Fri Oct 10, then the make-up Saturday Oct 11
    assert due_at(at(2025, 10, 9, 16), d("2wd"), CN) == at(2025, 10, 11, 16)


def test_working_days_from_a_holiday_and_zero() -> None:
    # the start date is never counted, working day or not
    assert due_at(at(2025, 10, 4, 20), d("1wd"), CN) == at(2025, 10, 9, 20)
    assert due_at(at(2025, 9, 26, 10), d("0wd"), CN) == at(2025, 9, 26, 10)


def test_due_at_keeps_microseconds_and_the_start_timezone() -> None:
    start_utc = at(2025, 9, 26, 10, 15, 123456).astimezone(UTC)
    due = due_at(start_utc, d("3wd"), CN)
    assert due.tzinfo is UTC
    assert due == at(2025, 9, 30, 10, 15, 123456)
    assert due_at(start_utc, d("90s"), CN) == start_utc + timedelta(seconds=90)


def test_wall_clock_units_ignore_the_calendar() -> None:
    start = at(2025, 9, 30, 10)
    assert due_at(start, d("15m"), CN) == at(2025, 9, 30, 10, 15)
    assert due_at(start, d("24h"), CN) == at(2025, 10, 1, 10)
    assert due_at(start, d("3d"), CN) == at(2025, 10, 3, 10)
    assert due_at(start, d("0s"), CN) == start


def test_working_hours_skip_lunch() -> None:
    assert due_at(at(2025, 9, 24, 11), d("2wh"), CN) == at(2025, 9, 24, 14, 30)
    assert due_at(at(2025, 9, 24, 11), d("1wh"), CN) == at(2025, 9, 24, 12)  # ends at the interval's end


def test_working_hours_skip_nights_and_weekends() -> None:
    # Fri 2025-09-19 17:00 + 1wh: 30 min left on Friday, then Monday 09:00 + 30 min
    assert due_at(at(2025, 9, 19, 17), d("1wh"), CN) == at(2025, 9, 22, 9, 30)
    # Tue Sep 30 17:00 + 1wh crosses the whole National Day block
    assert due_at(at(2025, 9, 30, 17), d("1wh"), CN) == at(2025, 10, 9, 9, 30)


def test_working_hours_start_outside_hours() -> None:
    assert due_at(at(2025, 9, 24, 7), d("1wh"), CN) == at(2025, 9, 24, 10)  # before opening
    assert due_at(at(2025, 9, 24, 12, 30), d("1wh"), CN) == at(2025, 9, 24, 14, 30)  # at lunch
    assert due_at(at(2025, 9, 27, 10), d("1wh"), CN) == at(2025, 9, 28, 10)  # Sat -> make-up Sunday
    assert due_at(at(2025, 9, 24, 9), d("7wh"), CN) == at(2025, 9, 24, 17, 30)  # one full day
    assert due_at(at(2025, 9, 24, 9), d("8wh"), CN) == at(2025, 9, 25, 10)


def test_continuous_calendar_arithmetic() -> None:
    start = at(2025, 9, 30, 17)
    assert due_at(start, d("3wd"), CONT) == at(2025, 10, 3, 17)
    assert due_at(start, d("4wh"), CONT) == at(2025, 9, 30, 21)
    assert add_working_time(start, timedelta(seconds=6), CONT) == start + timedelta(seconds=6)
    assert working_time_between(start, at(2025, 10, 1, 17), CONT) == timedelta(days=1)


def test_naive_start_is_rejected() -> None:
    with pytest.raises(ValueError):
        due_at(datetime(2025, 9, 26, 10), d("1wd"), CN)


# --- working time and pauses ------------------------------------------------------------------------------


def test_working_time_between() -> None:
    assert working_time_between(at(2025, 9, 24, 11), at(2025, 9, 24, 14, 30), CN) == timedelta(hours=2)
    assert working_time_between(at(2025, 9, 19, 17), at(2025, 9, 22, 9, 30), CN) == timedelta(hours=1)
    # the whole National Day block: only Sep 30's afternoon from 17:00 and nothing until Oct 9
    assert working_time_between(at(2025, 9, 30, 17), at(2025, 10, 8, 23), CN) == timedelta(minutes=30)
    assert working_time_between(at(2025, 9, 24, 14), at(2025, 9, 24, 10), CN) == timedelta(0)


def test_add_working_time_inverts_working_time_between() -> None:
    start = at(2025, 9, 26, 10, 7, 42)
    for hours in (1, 5, 7, 20, 60):
        end = add_working_time(start, timedelta(hours=hours), CN)
        assert working_time_between(start, end, CN) == timedelta(hours=hours)


def test_shift_for_pause_continuous() -> None:
    due = at(2025, 10, 2, 10)
    shifted = shift_for_pause(due, at(2025, 10, 1, 8), at(2025, 10, 1, 11, 30), CONT)
    assert shifted == due + timedelta(hours=3, minutes=30)


def test_shift_for_pause_cn_counts_only_working_time() -> None:
    due = at(2025, 9, 30, 16)
    # paused Wed Sep 24 11:00 -> 14:30 used 2 working hours: 1.5 h left on Sep 30, then the holiday
    # block, then 30 min on Thu Oct 9
    assert shift_for_pause(due, at(2025, 9, 24, 11), at(2025, 9, 24, 14, 30), CN) == at(2025, 10, 9, 9, 30)
    # a pause over a weekend night uses no working time and moves nothing
    assert shift_for_pause(due, at(2025, 9, 19, 18), at(2025, 9, 20, 23), CN) == due
    # a pause of one full working day moves the deadline by that day's 7 working hours
    assert shift_for_pause(at(2025, 9, 24, 9), at(2025, 9, 22, 0), at(2025, 9, 23, 0), CN) == at(
        2025, 9, 24, 17, 30
    )


def test_working_fraction_falls_in_working_hours() -> None:
    from domain.calendar import working_fraction

    friday = at(2026, 3, 6, 15)
    monday_end = at(2026, 3, 9, 16)  # 8 working hours later
    assert working_fraction(friday, monday_end, 0.5, CN) == at(2026, 3, 9, 10, 30)
    assert working_fraction(friday, monday_end, 0.8, CN) == at(2026, 3, 9, 14, 24)
    saturday = at(2026, 3, 7, 10)  # no working time in the span: the wall-clock fraction
    assert working_fraction(saturday, saturday + timedelta(hours=2), 0.5, CN) == at(2026, 3, 7, 11)
    assert working_fraction(friday, friday + timedelta(hours=4), 0.25, CONT) == at(2026, 3, 6, 16)
