"""The monthly 研判 report (月度研判报告): one month's figures, assembled from counts. Pure code: infra/monthly.py
fetches the counts, application/monthly.py renders the report (HTML, xlsx, PDF).

Each figure has one definition, written here and nowhere else.

* **count** (受理数): the cases received in the month, duplicates left out: domain/analysis.py's "count". By
  **channel** (受理渠道) the case's channel (a case without one is 未注明), by **category** (类别) its category, by
  **street** (街道) the street holding its grid (a grid the organisation no longer knows stands for itself).
* **month_on_month** (环比): ``change(count, count of the month before)`` and **year_on_year** (同比):
  ``change(count, count of the same month a year before)``, both domain/analysis.py's ``change``: the
  difference in cases, and ``100 × difference / earlier`` rounded to one decimal. **When the earlier count is
  0 there is no percent** (``None``, shown 「—」, 「新增」 when the month has cases): a rise from nothing is not a
  rate. Rows: every key with a case in any of the three months, biggest count first, then the month before,
  then key.
* **trend** (近12个月走势): the count of each of the twelve months ending with the report's month, oldest first.
* **hotspots** (热点): domain/analysis.py's hotspots by community for the month against the month before; the
  first ``HOTSPOTS`` of them.
* **overdue cases** (逾期案件): the cases with a task whose acknowledge (签收) or reply (答复) deadline fell in the
  month and was missed: done after the deadline, or not done and the deadline passed when the report is made
  (``made_at``). A returned or cancelled task is left out (as in domain/figures.py). **overdue_tasks** counts
  each task once, whichever of its deadlines it missed.
* **listed cases** (挂牌督办): the cases whose listing in force began in the month (domain/figures.py "listed").
* **repeat_visitors** (重复来访人数): domain/analysis.py's count for the month, and for the month before.
* **department scores** (部门考核): domain/figures.py's ranking for the month, as the report is made.
* **clusters** (群体性隐患预警): the cluster alerts opened in the month, by category and place; ``None`` where
  the stack keeps no alerts (the section then says so)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from domain.analysis import Change, Hotspot, HotspotBy, Tally, change, hotspots, place_of
from domain.figures import Figures, Period, TaskFact
from domain.organisation import JurisdictionLevel, Organisation

HOTSPOTS = 10
TREND_MONTHS = 12
NO_CHANNEL = "unspecified"


@dataclass(frozen=True)
class Received:
    """The counted cases of one grid, category and channel received in one month (infra/monthly.py)."""

    grid_id: str
    category: str
    channel: str | None
    count: int


@dataclass(frozen=True)
class Row:
    key: str
    name: str
    count: int
    month_before: int
    year_before: int
    month_on_month: Change
    year_on_year: Change


@dataclass(frozen=True)
class MonthCount:
    period: str  # YYYY-MM
    count: int


@dataclass(frozen=True)
class ListedCase:
    case_id: str
    department: str  # the lead department's name
    since: datetime


@dataclass(frozen=True)
class ClusterLine:
    category: str  # names, not ids
    jurisdiction: str
    cases: int
    opened_at: datetime
    status: str


@dataclass(frozen=True)
class ScoreLine:
    name: str
    figures: Figures


@dataclass(frozen=True)
class MonthFacts:
    """What the report is assembled from: counts fetched for the month, the month before and a year before."""

    period: Period
    made_at: datetime
    received: Sequence[Received]
    month_before: Sequence[Received]
    year_before: Sequence[Received]
    trend: Sequence[MonthCount]
    tasks: Sequence[TaskFact]  # every task with a deadline or a listing in the month
    repeat_visitors: int
    repeat_visitors_before: int
    scores: Sequence[ScoreLine]
    clusters: Sequence[ClusterLine] | None = None


@dataclass(frozen=True)
class MonthlyReport:
    period: Period
    month_before: Period
    year_before: Period
    made_at: datetime
    total: Row
    by_channel: tuple[Row, ...]
    by_category: tuple[Row, ...]
    by_street: tuple[Row, ...]
    trend: tuple[MonthCount, ...]
    hotspots: tuple[Hotspot, ...]
    overdue_cases: int
    overdue_tasks: int
    listed: tuple[ListedCase, ...]
    repeat_visitors: int
    repeat_visitors_before: int
    scores: tuple[ScoreLine, ...]
    clusters: tuple[ClusterLine, ...] | None


def year_before(period: Period) -> Period:
    """The same month a year before."""
    return Period.parse(f"{period.first.year - 1:04d}-{period.first.month:02d}")


def months_ending(period: Period, n: int = TREND_MONTHS) -> list[Period]:
    """The ``n`` months ending with ``period``, oldest first."""
    months = [period]
    while len(months) < n:
        months.append(months[-1].previous())
    return months[::-1]


def _key(r: Received, org: Organisation, by: str) -> str:
    if by == "channel":
        return r.channel or NO_CHANNEL
    if by == "category":
        return r.category
    return place_of(org, r.grid_id, JurisdictionLevel.street)


def _sum(received: Iterable[Received], org: Organisation, by: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for r in received:
        key = _key(r, org, by)
        out[key] = out.get(key, 0) + r.count
    return out


def _row(key: str, name: str, now: int, month: int, year: int) -> Row:
    return Row(key=key, name=name, count=now, month_before=month, year_before=year,
               month_on_month=change(now, month), year_on_year=change(now, year))


def breakdown(facts: MonthFacts, org: Organisation, by: str, names: Mapping[str, str]) -> tuple[Row, ...]:
    """Rows ``by`` channel, category or street (module docstring); ``names`` names the channels."""
    now, month, year = (_sum(x, org, by) for x in (facts.received, facts.month_before, facts.year_before))
    keys = sorted(now.keys() | month.keys() | year.keys(), key=lambda k: (-now.get(k, 0), -month.get(k, 0), k))

    def name(key: str) -> str:
        if by == "channel":
            return names.get(key, key)
        return org.category_name(key) if by == "category" else org.jurisdiction_name(key)

    return tuple(_row(k, name(k), now.get(k, 0), month.get(k, 0), year.get(k, 0)) for k in keys)


def _missed(done: datetime | None, due: datetime, period: Period, made_at: datetime) -> bool:
    return period.holds(due) and (done > due if done is not None else due < made_at)


def overdue(tasks: Iterable[TaskFact], period: Period, made_at: datetime) -> tuple[int, int]:
    """(overdue cases, overdue tasks) of the month as seen at ``made_at`` (module docstring)."""
    late = [t for t in tasks if not (t.returned or t.cancelled)
            and (_missed(t.acknowledged_at, t.acknowledge_due_at, period, made_at)
                 or _missed(t.replied_at, t.reply_due_at, period, made_at))]
    return len({t.case_id for t in late}), len({(t.case_id, t.task_id) for t in late})


def listed(tasks: Iterable[TaskFact], period: Period, org: Organisation) -> tuple[ListedCase, ...]:
    """The cases listed in the month, earliest first (module docstring)."""
    seen: dict[str, ListedCase] = {}
    for t in tasks:
        if t.listed_at is not None and period.holds(t.listed_at) and t.case_id not in seen:
            seen[t.case_id] = ListedCase(case_id=t.case_id, department=org.department_name(t.department),
                                         since=t.listed_at)
    return tuple(sorted(seen.values(), key=lambda c: (c.since, c.case_id)))


def _tallies(received: Iterable[Received]) -> list[Tally]:
    return [Tally(grid_id=r.grid_id, category=r.category, count=r.count) for r in received]


def monthly_report(org: Organisation, facts: MonthFacts, channel_names: Mapping[str, str]) -> MonthlyReport:
    """The report of ``facts.period``: every figure as the module docstring defines it."""
    total = _row("total", "合计", sum(r.count for r in facts.received), sum(r.count for r in facts.month_before),
                 sum(r.count for r in facts.year_before))
    cases, tasks = overdue(facts.tasks, facts.period, facts.made_at)
    spots = hotspots(org, _tallies(facts.received), _tallies(facts.month_before), HotspotBy.community)
    return MonthlyReport(
        period=facts.period, month_before=facts.period.previous(), year_before=year_before(facts.period),
        made_at=facts.made_at, total=total,
        by_channel=breakdown(facts, org, "channel", channel_names),
        by_category=breakdown(facts, org, "category", channel_names),
        by_street=breakdown(facts, org, "street", channel_names),
        trend=tuple(facts.trend), hotspots=tuple(spots[:HOTSPOTS]), overdue_cases=cases, overdue_tasks=tasks,
        listed=listed(facts.tasks, facts.period, org), repeat_visitors=facts.repeat_visitors,
        repeat_visitors_before=facts.repeat_visitors_before, scores=tuple(facts.scores),
        clusters=None if facts.clusters is None else tuple(facts.clusters),
    )


def percent_text(c: Change, now: int) -> str:
    """A change's percent as the report shows it: 「+12.5%」, 「—」 with no earlier case, 「新增」 when cases came."""
    if c.percent is None:
        return "新增" if now else "—"
    return f"{c.percent:+.1f}%"
