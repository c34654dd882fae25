"""An announced year's schedule: every problem of a file reported with its place; the built-in 2026 schedule
day by day against the State Council's notice; announced years winning over the package's estimate."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from unittest import mock

import holidays
import pytest
from pydantic import ValidationError

from domain.calendar import china_calendar, continuous_calendar, holds_year, with_year
from domain.holiday_schedule import AnnouncedYear, built_in_years, check_announced_year
from domain.policy import DEFAULT_POLICY, pin_policy

HOURS = ("09:00-12:00", "13:30-17:30")


def problems_of(data: object) -> list[str]:
    schedule, problems = check_announced_year(json.dumps(data))
    assert (schedule is None) == bool(problems)
    return problems


GOOD_2027 = {"year": 2027, "holidays": ["2027-01-01", "2027-02-08", "2027-02-09"], "workdays": ["2027-02-20"]}


def test_a_good_file_gives_the_schedule_sorted_with_a_hash_of_its_content() -> None:
    schedule, problems = check_announced_year(json.dumps(GOOD_2027))
    assert problems == [] and schedule is not None
    assert schedule.year == 2027
    assert schedule.holidays == (date(2027, 1, 1), date(2027, 2, 8), date(2027, 2, 9))
    assert schedule.workdays == (date(2027, 2, 20),)
    shuffled = {"workdays": ["2027-02-20"], "holidays": ["2027-02-09", "2027-01-01", "2027-02-08"], "year": 2027}
    again, _ = check_announced_year(json.dumps(shuffled, indent=4))
    assert again is not None and again.content_hash == schedule.content_hash  # order and layout do not count
    assert len(schedule.content_hash) == 64


def test_every_problem_is_reported_with_its_place() -> None:
    assert problems_of({"year": 2027, "workdays": ["2027-02-03", "2027-02-20", "2027-02-20", "2028-01-01"],
                        "holidays": ["2027-01-01", "2027-02-08", "2026-12-31", "2027-01-02", "2027-01-01"]}) == [
        "holidays[2]: 2026-12-31 is not in 2027",
        "holidays[3]: 2027-01-02 is a Saturday; a holiday is a weekday off",
        "holidays[4]: 2027-01-01 is listed twice (first as holidays[0])",
        "workdays[0]: 2027-02-03 is a Wednesday; a workday is a weekend day worked",
        "workdays[2]: 2027-02-20 is listed twice (first as workdays[1])",
        "workdays[3]: 2028-01-01 is not in 2027",
    ]


def test_dates_that_are_not_dates_and_fields_that_are_not_fields() -> None:
    assert problems_of({"year": 2027, "holidays": ["2027-02-30", 20270101, "20270101", "2027-01-01"],
                        "workday": []}) == [
        "workday: unknown field (the fields are year, holidays and workdays)",
        'holidays[0]: "2027-02-30" is not a date (use "YYYY-MM-DD", e.g. "2027-01-01")',
        'holidays[1]: 20270101 is not a date (use "YYYY-MM-DD", e.g. "2027-01-01")',
        'holidays[2]: "20270101" is not a date (use "YYYY-MM-DD", e.g. "2027-01-01")',
        'workdays: missing (a list of dates such as ["2027-01-01"], possibly empty)',
    ]


def test_the_year_and_the_shape() -> None:
    assert problems_of({"holidays": [], "workdays": {}}) == [
        "year: missing", "workdays: must be a list of dates", "holidays: empty; an announced year has days off"]
    assert problems_of({"year": "2027", "holidays": ["2027-01-01"], "workdays": []}) == [
        'year: must be a whole number such as 2027 (got "2027")']
    # a wrong year is reported once, not again for every date that is not in it
    assert problems_of({"year": 207, "holidays": ["2027-01-01"], "workdays": []}) == [
        "year: 207 is not a year of announced schedules (2000-2100)"]
    assert problems_of([2027]) == ['$: must be a JSON object {"year": ..., "holidays": [...], "workdays": [...]}']
    schedule, problems = check_announced_year('{"year": 2027,')
    assert schedule is None and len(problems) == 1 and problems[0].startswith("$: not valid JSON: ")


def test_the_model_holds_the_same_rules_when_built_in_code() -> None:
    with pytest.raises(ValidationError, match="2027-01-02 is a Saturday"):
        AnnouncedYear(year=2027, holidays=(date(2027, 1, 2),), workdays=())


# --- 2026, as announced on 4 November 2025 (国办发明电〔2025〕7号) ------------------------------------------

def days(first: date, last: date) -> set[date]:
    return {first + timedelta(n) for n in range((last - first).days + 1)}


# Each block as the notice words it, weekends included; the make-up working days (上班) after it.
NOTICE_2026_OFF = (
    days(date(2026, 1, 1), date(2026, 1, 3))  # 元旦
    | days(date(2026, 2, 15), date(2026, 2, 23))  # 春节
    | days(date(2026, 4, 4), date(2026, 4, 6))  # 清明节
    | days(date(2026, 5, 1), date(2026, 5, 5))  # 劳动节
    | days(date(2026, 6, 19), date(2026, 6, 21))  # 端午节
    | days(date(2026, 9, 25), date(2026, 9, 27))  # 中秋节
    | days(date(2026, 10, 1), date(2026, 10, 7))  # 国庆节
)
NOTICE_2026_WORKED = {date(2026, 1, 4), date(2026, 2, 14), date(2026, 2, 28), date(2026, 5, 9), date(2026, 9, 20),
                      date(2026, 10, 10)}


def announced_working_day(day: date) -> bool:
    return day in NOTICE_2026_WORKED or (day.weekday() < 5 and day not in NOTICE_2026_OFF)


def test_every_day_of_2026_on_the_pinned_calendar_is_as_announced() -> None:
    calendar = pin_policy(DEFAULT_POLICY, datetime(2026, 3, 2, 1, tzinfo=UTC)).calendar
    wrong = [(day, calendar.is_working_day(day)) for day in days(date(2026, 1, 1), date(2026, 12, 31))
             if calendar.is_working_day(day) != announced_working_day(day)]
    assert wrong == []
    # 261 weekdays, 19 of them off, 6 weekend days worked
    assert sum(announced_working_day(d) for d in days(date(2026, 1, 1), date(2026, 12, 31))) == 248


def test_the_built_in_2026_holds_even_where_the_package_only_estimates_it() -> None:
    estimate = holidays.country_holidays("CN", years=2027)  # a year the package has not seen announced
    with mock.patch.object(holidays, "country_holidays", return_value=estimate) as package:
        calendar = china_calendar([2026], "Asia/Shanghai", HOURS)
    package.assert_not_called()  # 2026 is built in: the package is not asked
    assert [d for d in days(date(2026, 1, 1), date(2026, 12, 31))
            if calendar.is_working_day(d) != announced_working_day(d)] == []


def test_the_package_agrees_with_the_built_in_2026_when_it_has_the_announcement() -> None:
    package = holidays.country_holidays("CN", years=2026)
    if not any(d.year == 2026 for d in package.weekend_workdays):
        pytest.skip(f"holidays {holidays.__version__} predates the 2026 announcement")
    built_in = built_in_years()[2026]
    assert sorted(d for d in package if d.weekday() < 5) == list(built_in.holidays)
    assert sorted(d for d in package.weekend_workdays if d.year == 2026) == list(built_in.workdays)


def test_a_loaded_year_wins_over_the_package_estimate() -> None:
    loaded, _ = check_announced_year(json.dumps(
        {"year": 2027, "holidays": ["2027-01-01", "2027-02-08"], "workdays": ["2027-02-21"]}))
    assert loaded is not None
    estimated = china_calendar([2027], "Asia/Shanghai", HOURS)
    announced = china_calendar([2027], "Asia/Shanghai", HOURS, {2027: loaded})
    assert not estimated.is_working_day(date(2027, 2, 21))  # a Sunday the estimate knows nothing about
    assert announced.is_working_day(date(2027, 2, 21))
    assert not announced.is_working_day(date(2027, 1, 1))
    # the estimate's other days off (Feb 9-10, Oct 4-5, ...) are not added to what was announced
    assert estimated.holidays != announced.holidays and announced.holidays == loaded.holidays


def test_an_open_case_calendar_takes_the_announced_year_and_keeps_the_others() -> None:
    loaded, _ = check_announced_year(json.dumps(
        {"year": 2027, "holidays": ["2027-01-01", "2027-02-08"], "workdays": ["2027-02-21"]}))
    assert loaded is not None
    pinned = china_calendar([2026, 2027, 2028], "Asia/Shanghai", HOURS)  # 2027 only estimated
    assert not holds_year(pinned, loaded)
    updated = with_year(pinned, loaded)
    assert holds_year(updated, loaded) and updated.is_working_day(date(2027, 2, 21))
    assert [d for d in updated.holidays if d.year != 2027] == [d for d in pinned.holidays if d.year != 2027]
    assert with_year(updated, loaded) is updated  # already held: nothing to change
    absent = china_calendar([2026], "Asia/Shanghai", HOURS)  # a case pinned before 2027 was in reach
    assert with_year(absent, loaded).holidays[-2:] == loaded.holidays
    assert holds_year(continuous_calendar(), loaded)
