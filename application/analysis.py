"""研判 as use cases: the hotspots of a period against the period before, the grid × category heat table and
the repeat visitors' count. The figures are defined in domain/analysis.py; here the period is read, the
counts fetched (infra/analysis.py) and rolled up under the organisation in force."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

import asyncpg

from application.access import require_role
from application.errors import InvalidInput
from domain.analysis import Change, Heat, Hotspot, HotspotBy, change, heat, hotspots
from domain.events import Actor
from domain.figures import Period, PeriodError
from domain.organisation import Organisation
from domain.vocabulary import Role
from infra.analysis import repeat_visitors, tallies

if TYPE_CHECKING:
    from application.cases import Application

READ_ANALYSIS = frozenset({Role.supervisor, Role.leader, Role.auditor, Role.mediator})
BY_VALUES = ", ".join(b.value for b in HotspotBy)


def parse_period(text: str | None) -> Period:
    """A month, quarter or year with a period before it; anything else is a 422 saying what was expected."""
    if text is None or not text.strip():
        raise InvalidInput("give a period: a month (2026-11), a quarter (2026-Q4) or a year (2026)", "period")
    try:
        period = Period.parse(text)
        period.previous().start, period.end  # both must exist as instants (a year 0 or 10000 does not)
    except PeriodError as exc:
        raise InvalidInput(str(exc), "period") from exc
    except (ValueError, OverflowError) as exc:  # a year the calendar has not, or without one before (0000, 9999)
        raise InvalidInput(f"{text!r} is out of range: give a year from 1901 to 9998", "period") from exc
    return period


def parse_by(text: str | None) -> HotspotBy:
    try:
        return HotspotBy(text or HotspotBy.street.value)
    except ValueError:
        raise InvalidInput(f"{text!r} is not one of {BY_VALUES}", "by") from None


@dataclass(frozen=True)
class Totals:
    count: int
    previous: int
    change: Change
    repeat_visitors: int


@dataclass(frozen=True)
class Analysis:
    period: Period
    previous: Period
    by: HotspotBy
    rows: tuple[Hotspot, ...]
    totals: Totals
    heat: Heat


async def analysis(app: Application, actor: Actor, period: Period, by: HotspotBy) -> Analysis:
    return await district_analysis(app.pool, app.org, actor, period, by, app.repeat_window)


async def district_analysis(pool: asyncpg.Pool, org: Organisation, actor: Actor, period: Period,
                            by: HotspotBy, repeat_window: timedelta) -> Analysis:
    """:func:`analysis` from its parts, for the command line (which has the database, not the workers)."""
    require_role(actor, READ_ANALYSIS)
    before = period.previous()
    # Three independent counts, each on a connection of its own: the answer waits for the slowest, not the sum.
    now_tallies, before_tallies, repeats = await asyncio.gather(
        tallies(pool, period), tallies(pool, before), repeat_visitors(pool, period, repeat_window))
    count, previous = sum(t.count for t in now_tallies), sum(t.count for t in before_tallies)
    return Analysis(
        period=period, previous=before, by=by, rows=tuple(hotspots(org, now_tallies, before_tallies, by)),
        totals=Totals(count=count, previous=previous, change=change(count, previous), repeat_visitors=repeats),
        heat=heat(org, now_tallies),
    )


async def stored_analysis(pool: asyncpg.Pool, actor: Actor, period: Period, by: HotspotBy,
                          repeat_window: timedelta) -> Analysis:
    """:func:`analysis` under the organisation the stack last started with (the command line's way in)."""
    from infra.organisations import in_force

    return await district_analysis(pool, await in_force(pool), actor, period, by, repeat_window)


# --------------------------------------------------------------------------------------------- shapes


def _change(c: Change) -> dict[str, object]:
    return {"count": c.count, "percent": c.percent}


def hotspots_json(report: Analysis) -> list[dict[str, object]]:
    """The answer of GET /analysis/hotspots (docs/api.md §7): biggest first."""
    return [{"key": r.key, "name": r.name, "count": r.count, "previous": r.previous, "change": _change(r.change)}
            for r in report.rows]


def totals_json(report: Analysis) -> dict[str, object]:
    t = report.totals
    return {"period": report.period.label, "from": report.period.first.isoformat(),
            "to": report.period.last.isoformat(), "previous_period": report.previous.label,
            "count": t.count, "previous": t.previous, "change": _change(t.change),
            "repeat_visitors": t.repeat_visitors}
