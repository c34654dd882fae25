"""Loading a year's announced schedule into the real database: a case received afterwards pins it, the package's
estimate gives way, a reload of the same file changes nothing, a corrected one replaces it on record; and
`liandiao calendar load` reports a bad file line by line with exit 1."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest
from typer.testing import CliRunner

from application.calendar import ScheduleProblems, load_schedule, loaded_years, pin_for_new_case
from application.case_client import CaseClient
from application.cases import Intake
from bootstrap import build_application
from domain.events import Actor, Party
from domain.organisation import demo_organisation
from domain.policy import DEFAULT_POLICY, pin_policy
from domain.vocabulary import Channel, PartyRole, Role

YEAR = 2027
# As a notice for 2027 might read; made up, so that its make-up Sunday (Sep 26) is one no estimate has.
SCHEDULE = {
    "year": YEAR,
    "holidays": ["2027-01-01", "2027-02-05", "2027-02-08", "2027-02-09", "2027-02-10", "2027-02-11", "2027-04-05",
                 "2027-05-03", "2027-05-04", "2027-05-05", "2027-06-09", "2027-09-15", "2027-10-01", "2027-10-04",
                 "2027-10-05", "2027-10-06", "2027-10-07"],
    "workdays": ["2027-02-14", "2027-02-20", "2027-09-26", "2027-10-09"],
}
MAKE_UP_SUNDAY = date(2027, 9, 26)
NOW = datetime(2026, 12, 6, 2, tzinfo=UTC)  # a case received now pins 2026-2028
MEDIATOR = Actor(role=Role.mediator, id="m-cal", department="dept-donghu-zongzhi", name="王丽")


@pytest.fixture
async def no_loaded_year(pool: asyncpg.Pool) -> AsyncIterator[None]:
    """The session's database shares one calendar with every test: leave no loaded year behind, or cases
    received by later tests would pin it. (The load log is append-only and is left as it is.)"""
    await pool.execute("DELETE FROM announced_years WHERE year = $1", YEAR)
    yield
    await pool.execute("DELETE FROM announced_years WHERE year = $1", YEAR)


async def test_a_loaded_year_is_in_the_calendar_of_cases_pinned_afterwards(
        pool: asyncpg.Pool, no_loaded_year: None) -> None:
    before = (await pin_for_new_case(pool, DEFAULT_POLICY, NOW)).calendar
    assert not before.is_working_day(MAKE_UP_SUNDAY)  # the package's estimate has no make-up days

    stored = await load_schedule(pool, json.dumps(SCHEDULE), "cli:tester")
    assert stored.changed and stored.replaced_hash is None and (stored.holidays, stored.workdays) == (17, 4)

    calendar = (await pin_for_new_case(pool, DEFAULT_POLICY, NOW)).calendar
    assert not calendar.is_working_day(date(2027, 1, 1))
    assert calendar.is_working_day(MAKE_UP_SUNDAY)
    assert [d for d in calendar.holidays if d.year == YEAR] == [date.fromisoformat(d) for d in SCHEDULE["holidays"]]
    # the other years are as before: 2026 built in, 2028 the package's estimate
    assert [d for d in calendar.holidays if d.year != YEAR] == [d for d in before.holidays if d.year != YEAR]
    listed = [y for y in await loaded_years(pool) if y.year == YEAR]
    assert [(y.content_hash, y.loaded_by) for y in listed] == [(stored.content_hash, "cli:tester")]


async def test_reloading_changes_nothing_and_a_correction_replaces_the_year_on_record(
        pool: asyncpg.Pool, no_loaded_year: None) -> None:
    first = await load_schedule(pool, json.dumps(SCHEDULE), "cli:tester")
    reordered = {**SCHEDULE, "holidays": list(reversed(SCHEDULE["holidays"]))}
    again = await load_schedule(pool, json.dumps(reordered, indent=2), "cli:someone-else")
    assert not again.changed and again.content_hash == first.content_hash and again.loaded_by == "cli:tester"

    corrected = {**SCHEDULE, "workdays": ["2027-02-14", "2027-02-20", "2027-10-09"]}
    fixed = await load_schedule(pool, json.dumps(corrected), "cli:admin")
    assert fixed.changed and fixed.replaced_hash == first.content_hash
    assert not (await pin_for_new_case(pool, DEFAULT_POLICY, NOW)).calendar.is_working_day(MAKE_UP_SUNDAY)
    log = await pool.fetch("SELECT content_hash, replaced_hash, loaded_by FROM announced_year_loads "
                           "WHERE year = $1 AND loaded_at >= $2 ORDER BY id", YEAR, first.loaded_at)
    assert [tuple(r) for r in log] == [(first.content_hash, None, "cli:tester"),
                                       (fixed.content_hash, first.content_hash, "cli:admin")]


async def test_a_bad_schedule_is_refused_with_every_problem_and_nothing_stored(
        pool: asyncpg.Pool, no_loaded_year: None) -> None:
    bad = {**SCHEDULE, "holidays": ["2027-01-02", *SCHEDULE["holidays"]], "workdays": ["2027-02-03"]}
    with pytest.raises(ScheduleProblems) as refused:
        await load_schedule(pool, json.dumps(bad), "cli:tester", source="2027.json")
    assert refused.value.problems == [
        "holidays[0]: 2027-01-02 is a Saturday; a holiday is a weekday off",
        "workdays[0]: 2027-02-03 is a Wednesday; a workday is a weekend day worked",
    ]
    assert str(refused.value).startswith("2027.json: 2 problems:\n")
    assert YEAR not in {y.year for y in await loaded_years(pool)}


async def test_a_case_received_after_the_load_pins_the_loaded_year(  # type: ignore[no-untyped-def]
        pool: asyncpg.Pool, temporal_client, cases: CaseClient, no_loaded_year: None) -> None:
    app = build_application(pool, temporal_client, cases.task_queue, org=demo_organisation(),
                            policy=DEFAULT_POLICY, clock=lambda: NOW)
    await load_schedule(pool, json.dumps(SCHEDULE), "cli:tester")
    received = await app.receive(MEDIATOR, Intake(
        title="楼上漏水", description="天花板渗水", category="leak", channel=Channel.walk_in,
        grid_id="grid-donghu-huayuan-1", parties=(Party(name=f"张{uuid.uuid4().hex[:6]}", role=PartyRole.applicant),)))
    pinned = (await app.get_case(MEDIATOR, received.case_id)).policy
    assert pinned != pin_policy(DEFAULT_POLICY, NOW)  # not the package's estimate of 2027
    assert not pinned.calendar.is_working_day(date(2027, 1, 1))
    assert pinned.calendar.is_working_day(MAKE_UP_SUNDAY)


def test_the_command_reports_a_bad_file_line_by_line_and_loads_a_good_one(  # type: ignore[no-untyped-def]
        pool: asyncpg.Pool, pg_url: str, no_loaded_year: None, tmp_path: Path, monkeypatch) -> None:
    from entrypoints.cli.app import app

    monkeypatch.setenv("LIANDIAO_DATABASE_URL", pg_url)
    monkeypatch.setenv("LIANDIAO_TEMPORAL_ADDRESS", "127.0.0.1:1")  # never dialled: loading needs the database
    runner = CliRunner()
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"year": YEAR, "holidays": ["2027-01-01", "2027-01-01", "2027-13-01"],
                               "workdays": ["2027-02-03"], "note": "x"}), encoding="utf-8")
    result = runner.invoke(app, ["calendar", "load", str(bad), "--data-dir", str(tmp_path)])
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.splitlines() == [
        "note: unknown field (the fields are year, holidays and workdays)",
        'holidays[2]: "2027-13-01" is not a date (use "YYYY-MM-DD", e.g. "2027-01-01")',
        "holidays[1]: 2027-01-01 is listed twice (first as holidays[0])",
        "workdays[0]: 2027-02-03 is a Wednesday; a workday is a weekend day worked",
    ]
    missing = runner.invoke(app, ["calendar", "load", str(tmp_path / "none.json"), "--data-dir", str(tmp_path)])
    assert missing.exit_code == 1 and missing.stderr.startswith("$: cannot read ") and "Traceback" not in missing.output

    good = tmp_path / "2027.json"
    good.write_text(json.dumps(SCHEDULE), encoding="utf-8")
    checked = runner.invoke(app, ["calendar", "check", str(good)])
    assert checked.exit_code == 0 and checked.stdout == f"{good}: OK: 2027, 17 holidays, 4 workdays\n"
    assert runner.invoke(app, ["calendar", "check", str(bad)]).exit_code == 1
    loaded = runner.invoke(app, ["calendar", "load", str(good), "--data-dir", str(tmp_path)])
    assert loaded.exit_code == 0, loaded.output
    assert loaded.stdout.startswith("2027: loaded 17 holidays and 4 workdays (sha256 ")
    again = runner.invoke(app, ["calendar", "load", str(good), "--data-dir", str(tmp_path)])
    assert again.exit_code == 0 and "already in force" in again.stdout and "nothing changed" in again.stdout
    listed = runner.invoke(app, ["calendar", "list", "--data-dir", str(tmp_path)])
    assert listed.exit_code == 0 and any(line.startswith("2027\t17 holidays\t4 workdays\t")
                                         for line in listed.stdout.splitlines())


async def test_an_open_case_takes_a_year_announced_after_it_was_received(  # type: ignore[no-untyped-def]
        pool: asyncpg.Pool, temporal_client, cases: CaseClient, no_loaded_year: None) -> None:
    """Received before 2027 is announced, with a reply deadline in January 2027: the announcement makes Monday
    4 January a holiday too (made up, so that no estimate has it), so the deadline moves one working day later,
    the move is on record, and a second pass changes nothing."""
    from application.calendar import bring_open_cases_up_to_date
    from domain.calendar import due_at, holds_year, working_time_between
    from domain.commands import RouteCase
    from domain.holiday_schedule import AnnouncedYear
    from domain.policy import Duration, parse_policy

    app = build_application(pool, temporal_client, cases.task_queue, org=demo_organisation(),
                            policy=parse_policy('[risk.medium]\nreply_within = "25wd"\n'))
    received = await app.receive(MEDIATOR, Intake(
        title="楼上漏水", description="天花板渗水", category="leak", channel=Channel.walk_in,
        grid_id="grid-donghu-huayuan-1", parties=(Party(name=f"张{uuid.uuid4().hex[:6]}", role=PartyRole.applicant),)))
    await app.act(MEDIATOR, received.case_id, RouteCase(lead_department="dept-donghu-huayuan-committee"))
    await app.projector.catch_up()
    before = (await app.get_case(MEDIATOR, received.case_id)).tasks[0].reply_due_at
    assert before.year == 2027  # 25 working days from December

    schedule = {**SCHEDULE, "holidays": sorted([*SCHEDULE["holidays"], "2027-01-04"])}
    await load_schedule(pool, json.dumps(schedule), "cli:tester")
    assert await bring_open_cases_up_to_date(app, only={received.case_id}) == 1
    await app.projector.catch_up()
    state = await app.get_case(MEDIATOR, received.case_id)
    announced = AnnouncedYear.model_validate(schedule)
    assert holds_year(state.policy.calendar, announced)  # type: ignore[union-attr]
    after = state.tasks[0].reply_due_at
    # one working day later: the same working instant as before + 1wd (a deadline set at night reads 03:00
    # by due_at's arithmetic; the move writes that instant as the working morning it is)
    later = due_at(before, Duration.parse("1wd"), state.policy.calendar)  # type: ignore[union-attr]
    assert working_time_between(min(after, later), max(after, later), state.policy.calendar) == timedelta(0)  # type: ignore[union-attr]
    assert after > before
    events = await app.events(MEDIATOR, received.case_id)
    updated = [e for e in events if e["type"] == "CalendarUpdated"]
    assert len(updated) == 1 and updated[0]["data"]["moved"][0]["clock"] == "reply"
    assert await bring_open_cases_up_to_date(app, only={received.case_id}) == 0
