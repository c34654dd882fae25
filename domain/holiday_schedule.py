"""A year's holiday schedule as the State Council announced it (放假调休安排, each November for the next year).

The file an admin loads (docs/api.md §11) is ``{"year": 2027, "holidays": [...], "workdays": [...]}``:
``holidays`` are the weekdays off (a 假期 block minus its weekend days, which are off anyway), ``workdays`` the
weekend days worked (调休上班). Until a year is announced the ``holidays`` package only estimates it, with no
make-up days; an announced year replaces that estimate wholesale in the calendar a new case pins.

Pure: checking a file's text gives every problem at once, each led by its place (``holidays[3]: ...``), so an
admin fixes a file in one go rather than one error per try."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date
from functools import lru_cache
from importlib import resources
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

FIRST_YEAR, LAST_YEAR = 2000, 2100  # the present holiday system dates from 1999; a year outside is a typo
_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_FIELDS = ("year", "holidays", "workdays")


class AnnouncedYear(BaseModel):
    """One announced year: its weekdays off and its weekend days worked, sorted."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    year: int
    holidays: tuple[date, ...]
    workdays: tuple[date, ...]

    @field_validator("holidays", "workdays")
    @classmethod
    def _sorted(cls, value: tuple[date, ...]) -> tuple[date, ...]:
        return tuple(sorted(value))  # one order whatever the file's, so the hash names the schedule

    @model_validator(mode="after")
    def _consistent(self) -> AnnouncedYear:
        # The same rules check_announced_year reports one by one; here for years built in code.
        problems = _year_problem(self.year) or _date_problems(
            self.year, list(enumerate(self.holidays)), list(enumerate(self.workdays)))
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def canonical_json(self) -> str:
        """Keys sorted, dates sorted, no whitespace: the same schedule gives the same text, whatever its file's
        order and layout."""
        return json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))

    @property
    def content_hash(self) -> str:
        """sha256 (lowercase hex) of :attr:`canonical_json`."""
        return hashlib.sha256(self.canonical_json.encode("utf-8")).hexdigest()


def check_announced_year(text: str) -> tuple[AnnouncedYear | None, list[str]]:
    """The schedule in ``text`` and no problems, or ``None`` and every problem, one line each, led by its place
    (``holidays[3]: 2027-01-02 is a Saturday; a holiday is a weekday off``)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        return None, [f"$: not valid JSON: {e.msg} at line {e.lineno} column {e.colno}"]
    if not isinstance(data, dict):
        return None, ['$: must be a JSON object {"year": ..., "holidays": [...], "workdays": [...]}']
    problems = [f"{key}: unknown field (the fields are year, holidays and workdays)"
                for key in data if key not in _FIELDS]
    year = data.get("year")
    if "year" not in data:
        problems.append("year: missing")
    elif not isinstance(year, int) or isinstance(year, bool):
        problems.append(f"year: must be a whole number such as 2027 (got {json.dumps(year, ensure_ascii=False)})")
        year = None
    else:
        wrong_year = _year_problem(year)
        problems += wrong_year
        if wrong_year:
            year = None  # dates are not compared with a year that is itself wrong
    lists = {name: _dates(name, data, problems) for name in ("holidays", "workdays")}
    if data.get("holidays") == []:
        problems.append("holidays: empty; an announced year has days off")
    problems += _date_problems(year, lists["holidays"], lists["workdays"])
    if problems:
        return None, problems
    return AnnouncedYear(year=data["year"], holidays=tuple(d for _, d in lists["holidays"]),
                         workdays=tuple(d for _, d in lists["workdays"])), []


def _year_problem(year: int) -> list[str]:
    if FIRST_YEAR <= year <= LAST_YEAR:
        return []
    return [f"year: {year} is not a year of announced schedules ({FIRST_YEAR}-{LAST_YEAR})"]


def _dates(name: str, data: dict[str, Any], problems: list[str]) -> list[tuple[int, date]]:
    """The dates of list ``name`` that parse, with their index; what does not parse goes to ``problems``."""
    if name not in data:
        problems.append(f'{name}: missing (a list of dates such as ["2027-01-01"], possibly empty)')
        return []
    items = data[name]
    if not isinstance(items, list):
        problems.append(f"{name}: must be a list of dates")
        return []
    parsed = []
    for i, item in enumerate(items):
        day = _date(item)
        if day is None:
            shown = json.dumps(item, ensure_ascii=False)
            problems.append(f'{name}[{i}]: {shown} is not a date (use "YYYY-MM-DD", e.g. "2027-01-01")')
        else:
            parsed.append((i, day))
    return parsed


def _date(item: object) -> date | None:
    # Only the plain form: fromisoformat would also take "20270101" and week dates, which no notice uses.
    if not isinstance(item, str) or _DATE_RE.fullmatch(item) is None:
        return None
    try:
        return date.fromisoformat(item)
    except ValueError:  # 2027-02-30
        return None


def _date_problems(year: int | None, holidays: list[tuple[int, date]],
                   workdays: list[tuple[int, date]]) -> list[str]:
    """The rules on dates that parsed: in ``year``, on the right kind of day, each listed once. A holiday on a
    weekend or a workday on a weekday changes nothing on the calendar: it is a misread notice, not a no-op."""
    problems = []
    first_seen: dict[date, str] = {}
    for name, items, on_weekend, kind in (("holidays", holidays, False, "a holiday is a weekday off"),
                                          ("workdays", workdays, True, "a workday is a weekend day worked")):
        for i, day in items:
            place = f"{name}[{i}]"
            if year is not None and day.year != year:
                problems.append(f"{place}: {day} is not in {year}")
            if (day.weekday() >= 5) != on_weekend:
                problems.append(f"{place}: {day} is a {_DAY_NAMES[day.weekday()]}; {kind}")
            if day in first_seen:
                problems.append(f"{place}: {day} is listed twice (first as {first_seen[day]})")
            else:
                first_seen[day] = place
    return problems


@lru_cache(maxsize=1)
def built_in_years() -> dict[int, AnnouncedYear]:
    """The announced years shipped with LianDiao (``domain/data/holidays-cn-YYYY.json``, in the load format).

    They hold a year as announced even where the installed ``holidays`` package predates the announcement and
    only estimates it. 2026: 国办发明电〔2025〕7号 of 4 November 2025."""
    found = {}
    for entry in resources.files("domain").joinpath("data").iterdir():
        if entry.name.startswith("holidays-cn-") and entry.name.endswith(".json"):
            schedule, problems = check_announced_year(entry.read_text(encoding="utf-8"))
            if schedule is None:
                raise ValueError(f"built-in {entry.name}: {'; '.join(problems)}")
            found[schedule.year] = schedule
    return found
