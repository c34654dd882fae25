"""The district's figures as use cases: the monthly scores (考核) with ranks and the red and black lists.

What each figure means is domain/figures.py's; here the period and the jurisdiction are chosen, the
departments named from the organisation in force, and the result shaped for JSON, CSV and a workbook."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import TYPE_CHECKING

import asyncpg

from application.access import require_role
from application.errors import InvalidInput, NotFound
from domain.describe import ARCHIVE, GRADE, OUTCOME
from domain.events import Actor
from domain.figures import Figures, Period, PeriodError, rank, rank_people
from domain.masking import redact
from domain.organisation import Organisation, UnknownId
from domain.policy import Scoring
from domain.vocabulary import ArchiveReason, Role, TaskRole
from infra.figures import archived_states, department_counts, person_counts
from infra.read_models import names_of
from infra.spreadsheets import Column, Table, csv_text, xlsx

if TYPE_CHECKING:
    from application.cases import Application

READ_SCORES = frozenset({Role.supervisor, Role.leader, Role.auditor})


@dataclass(frozen=True)
class ScoreRow:
    figures: Figures
    name: str
    jurisdiction: str  # the department's jurisdiction id


@dataclass(frozen=True)
class PersonRow:
    """One 责任人's figures (domain/figures.py, "Per person"): the user id is ``figures.assignee``."""

    figures: Figures
    name: str  # the person's name (the id when the users table no longer has them)
    department_name: str


@dataclass(frozen=True)
class Scores:
    period: Period
    jurisdiction: str | None
    rows: tuple[ScoreRow, ...]
    red_list: tuple[str, ...]
    black_list: tuple[str, ...]
    people: tuple[PersonRow, ...] | None = None  # per person, when asked for (never on the public board)


def parse_period(period: str | None, first: date | None, last: date | None) -> Period:
    try:
        return Period.parse(period, first, last)
    except PeriodError as exc:
        raise InvalidInput(str(exc), "period") from exc


def _within(org: Organisation, department: str, jurisdiction: str | None) -> bool:
    """The department sits in ``jurisdiction`` or below it (a street holds its communities' departments)."""
    if jurisdiction is None:
        return True
    try:
        home = org.department(department).jurisdiction
    except UnknownId:
        return False  # a department the organisation no longer has belongs to no jurisdiction of it
    return any(j.id == jurisdiction for j in org.ancestors(home))


async def scores(app: Application, actor: Actor, period: Period, jurisdiction: str | None = None,
                 by_person: bool = False) -> Scores:
    """考核: every department's figures for ``period``, ranked within ``jurisdiction`` (all when None); with
    ``by_person`` also every 责任人's."""
    return await district_scores(app.pool, app.org, app.policy.scoring or Scoring(), app.clock(), actor, period,
                                 jurisdiction, by_person)


async def district_scores(pool: asyncpg.Pool, org: Organisation, scoring: Scoring, now: datetime, actor: Actor,
                          period: Period, jurisdiction: str | None = None, by_person: bool = False) -> Scores:
    """:func:`scores` from its parts, for the command line (which has the database, not the workers)."""
    require_role(actor, READ_SCORES)
    report = await _district_scores(pool, org, scoring, now, period, jurisdiction)
    if not by_person:
        return report
    counts = [c for c in await person_counts(pool, period, now) if _within(org, c.department, jurisdiction)]
    ranked = rank_people(counts, scoring)
    names = await names_of(pool, (f.assignee for f in ranked if f.assignee))
    people = tuple(PersonRow(figures=f, name=names.get(f.assignee or "", f.assignee or ""),
                             department_name=org.department_name(f.department)) for f in ranked)
    return replace(report, people=people)


async def scores_for(pool: asyncpg.Pool, org: Organisation, scoring: Scoring, now: datetime,
                     period: Period) -> Scores:
    """The district's scores with no caller to check (the monthly report checks its own reader)."""
    return await _district_scores(pool, org, scoring, now, period)


async def _district_scores(pool: asyncpg.Pool, org: Organisation, scoring: Scoring, now: datetime, period: Period,
                           jurisdiction: str | None = None) -> Scores:
    if jurisdiction is not None:
        try:
            org.jurisdiction(jurisdiction)
        except UnknownId as exc:
            raise InvalidInput(str(exc), "jurisdiction") from exc
    counts = [c for c in await department_counts(pool, period, now) if _within(org, c.department, jurisdiction)]
    ranking = rank(counts, scoring)
    # One look-up a department (the organisation's own look-ups go through pydantic's private attributes).
    known = {d.id: d for d in org.departments}
    rows = tuple(ScoreRow(figures=f, name=d.name if d else f.department, jurisdiction=d.jurisdiction if d else "")
                 for f in ranking.rows for d in (known.get(f.department),))
    return Scores(period=period, jurisdiction=jurisdiction, rows=rows, red_list=ranking.red_list,
                  black_list=ranking.black_list)


# --------------------------------------------------------------------------------------------- 公示


@dataclass(frozen=True)
class PublicCase:
    """One archived case as the public sees it: no party, no person, no id; the title masked."""

    title: str
    category: str
    lead_department: str
    outcome: str
    rating: str | None


@dataclass(frozen=True)
class PublicBoard:
    period: Period
    cases: tuple[PublicCase, ...]
    scores: Scores


def publicity_enabled(app: Application) -> bool:
    return app.policy.publicity is not None and app.policy.publicity.enabled


async def public_board(app: Application, period: Period) -> PublicBoard:
    """公示: the period's cases archived as resolved and the department scores, for anyone, when the policy enables it.

    Titles are masked with the case's own parties (names, phones, ID numbers) and anything shaped like a phone
    or ID number; nothing else of a case is shown but its category, lead department, outcome and grade."""
    if not publicity_enabled(app):
        raise NotFound("公示 is not enabled here ([publicity] enabled = true in the policy)", "publicity_off")
    cases = []
    for state in await archived_states(app.pool, period):
        if state.archive_reason is not ArchiveReason.resolved:
            continue  # a duplicate or a case not accepted was never handled: nothing to show the public
        lead = next((t for t in reversed(state.tasks) if t.role is TaskRole.lead), None)
        cases.append(PublicCase(
            title=redact(state.title, state.parties), category=app.org.category_name(state.category),
            lead_department=app.org.department_name(lead.department) if lead else "",
            outcome=OUTCOME[state.outcome] if state.outcome else ARCHIVE[state.archive_reason],
            rating=GRADE[lead.grade] if lead and lead.grade else None))
    scores = await _district_scores(app.pool, app.org, app.policy.scoring or Scoring(), app.clock(), period)
    return PublicBoard(period=period, cases=tuple(cases), scores=scores)


def public_json(board: PublicBoard) -> dict[str, object]:
    scores = scores_json(board.scores)
    return {"period": scores["period"], "from": scores["from"], "to": scores["to"],
            "cases": [{"title": c.title, "category": c.category, "lead_department": c.lead_department,
                       "outcome": c.outcome, "rating": c.rating} for c in board.cases],
            "scores": scores["rows"], "red_list": scores["red_list"], "black_list": scores["black_list"]}


# --------------------------------------------------------------------------------------------- shapes


def scores_json(report: Scores) -> dict[str, object]:
    return {
        "period": report.period.label, "from": report.period.first.isoformat(), "to": report.period.last.isoformat(),
        "jurisdiction": report.jurisdiction,
        "rows": [{
            "department": r.figures.department, "name": r.name, "jurisdiction": r.jurisdiction,
            "tasks": r.figures.tasks, "on_time_ack_rate": r.figures.on_time_ack_rate,
            "on_time_reply_rate": r.figures.on_time_reply_rate, "satisfaction_rate": r.figures.satisfaction_rate,
            "return_rate": r.figures.return_rate, "reopen_rate": r.figures.reopen_rate,
            "rating_avg": r.figures.rating_avg,
            "listed": r.figures.listed, "score": r.figures.score, "rank": r.figures.rank,
        } for r in report.rows],
        "red_list": list(report.red_list), "black_list": list(report.black_list),
    }


SCORE_COLUMNS = (
    Column("排名", "int", 6), Column("部门", width=24), Column("任务数", "int", 8), Column("按时签收率", "percent"),
    Column("按时办结率", "percent"), Column("满意率", "percent"), Column("回退率", "percent"),
    Column("重办率", "percent"), Column("评定均分", "number", 10), Column("挂牌督办", "int", 10),
    Column("得分", "number", 8),
)


def _score_rows(report: Scores, names: set[str] | None = None) -> list[list[object]]:
    return [[r.figures.rank, r.name, r.figures.tasks, r.figures.on_time_ack_rate, r.figures.on_time_reply_rate,
             r.figures.satisfaction_rate, r.figures.return_rate, r.figures.reopen_rate, r.figures.rating_avg,
             r.figures.listed,
             r.figures.score]
            for r in report.rows if names is None or r.figures.department in names]


def people_json(report: Scores) -> dict[str, object]:
    """The scores per person (``by=person``): one row per department and 责任人, the same figures but satisfaction."""
    return {
        "period": report.period.label, "from": report.period.first.isoformat(), "to": report.period.last.isoformat(),
        "jurisdiction": report.jurisdiction, "by": "person",
        "rows": [{
            "user": {"id": r.figures.assignee, "name": r.name}, "department": r.figures.department,
            "department_name": r.department_name, "tasks": r.figures.tasks,
            "on_time_ack_rate": r.figures.on_time_ack_rate, "on_time_reply_rate": r.figures.on_time_reply_rate,
            "return_rate": r.figures.return_rate, "reopen_rate": r.figures.reopen_rate,
            "rating_avg": r.figures.rating_avg, "listed": r.figures.listed, "score": r.figures.score,
            "rank": r.figures.rank,
        } for r in report.people or ()],
    }


_PEOPLE_COLUMNS = (
    Column("排名", "int", 6), Column("责任人", width=12), Column("部门", width=24), Column("任务数", "int", 8),
    Column("按时签收率", "percent"), Column("按时办结率", "percent"), Column("回退率", "percent"),
    Column("重办率", "percent"), Column("评定均分", "number", 10), Column("挂牌督办", "int", 10),
    Column("得分", "number", 8),
)


def _people_rows(report: Scores) -> list[list[object]]:
    return [[r.figures.rank, r.name, r.department_name, r.figures.tasks, r.figures.on_time_ack_rate,
             r.figures.on_time_reply_rate, r.figures.return_rate, r.figures.reopen_rate, r.figures.rating_avg,
             r.figures.listed, r.figures.score] for r in report.people or ()]


def scores_tables(report: Scores) -> list[Table]:
    """考核 (every department), 红榜 and 黑榜: one sheet each; 责任人 (per person) after them when computed."""
    title = f"考核 {report.period.label}"
    tables = [Table(title, SCORE_COLUMNS, _score_rows(report)),
              Table("红榜", SCORE_COLUMNS, _score_rows(report, set(report.red_list))),
              Table("黑榜", SCORE_COLUMNS, _score_rows(report, set(report.black_list)))]
    if report.people is not None:
        tables.append(Table("责任人", _PEOPLE_COLUMNS, _people_rows(report)))
    return tables


def scores_xlsx(report: Scores) -> bytes:
    return xlsx(scores_tables(report))


def scores_csv(report: Scores, by_person: bool = False) -> str:
    if by_person:
        return csv_text(Table("责任人", _PEOPLE_COLUMNS, _people_rows(report)))
    return csv_text(scores_tables(report)[0])


async def stored_scores(pool: asyncpg.Pool, scoring: Scoring, now: datetime, actor: Actor, period: Period,
                        jurisdiction: str | None = None, by_person: bool = False) -> Scores:
    """:func:`scores` under the organisation the stack last started with (the command line's way in)."""
    from infra.organisations import in_force

    return await district_scores(pool, await in_force(pool), scoring, now, actor, period, jurisdiction, by_person)
