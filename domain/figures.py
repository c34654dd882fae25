"""The district's figures (考核): what each department is scored and ranked by, for a period.

Each figure has one definition, written here and nowhere else (the SQL in infra/figures.py only counts the
facts named below; the README's "考核" section quotes these definitions).

Facts come from the folded case (``task_facts``, ``follow_up_facts``); a task is judged on the deadlines it
has *now*, so an approved extension (延期) or a paused clock (中止计时) has already moved them.

* **on_time_ack_rate** (按时签收率): among the department's tasks whose acknowledge deadline fell in the
  period, the share acknowledged at or before it. A task still unacknowledged counts as late once its
  deadline has passed and is left out before.
* **on_time_reply_rate** (按时办结率): the same over reply deadlines and replies.
* **satisfaction_rate** (满意率): among the follow-ups (回访) recorded in the period on cases the department
  replied on (else led), the share 满意 or 基本满意. A case followed up twice counts twice.
* **return_rate** (回退率): among the department's tasks assigned in the period, the share it returned
  (退回 of a lead task, 撤回 of a co-department's task after its approved return).
* **reopen_rate** (重办率): among the department's lead tasks counted in the reply figures, the share whose
  case was reopened (重办): a dissatisfied follow-up judged reasonable sent it back to work. (A verification
  the supervisor rejects is the centre's own check before closing, not a reopening.)
* **rating_avg** (评定): the mean grade of the department's tasks counted in the reply figures that a
  supervisor graded, 优秀 4, 良好 3, 一般 2, 差 1 (``GRADE_POINTS``); none graded, none. It counts in the score
  only with a ``rating`` weight (default 0), as ``(avg − 1) / 3``.
* **listed** (挂牌督办): the department's cases listed under a leader in the period (counted, not scored).

Returned, withdrawn and cancelled tasks are judged by the return rate only: they are left out of the
acknowledge and reply figures (a cancelled task, one the lead's return took away, is left out of everything).

**score**: the weighted mean of the rates present, out of 100: ``100 × Σ wᵢ·rᵢ / Σ wᵢ`` where r is the rate
for on_time_ack, on_time_reply and satisfaction and ``1 − rate`` for return and reopen, over the rates that
have tasks behind them (a rate with none is left out and the rest re-weighted, never counted as 0 %); a
department with none of the first three (nothing it had to do fell due) has no score and no rank yet.
A department with no task and no follow-up in the period has no row.

**rank**: by score, highest first; equal scores share a rank (1, 1, 3). **red_list** (红榜) is the first
``red_black`` ranked, **black_list** (黑榜) the last ``red_black``, each at most half the ranked departments so
that no department is on both; a department with the lowest score is never on the red list, nor one with the
highest on the black list (when all score alike, neither list names anyone).

**Per person** (责任人): the same task figures counted over the tasks whose 责任人 a person is as the case
stands, one row per department and person (a task not yet acknowledged has none: it counts for its department
only). Satisfaction is left out (a follow-up rates a department's work on a case, not one person's), so a
person's score weighs the other rates present. Persons are ranked by score like departments, with no red or
black list."""

from __future__ import annotations

import re
from calendar import monthrange
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict

from domain.case import CaseState
from domain.policy import Scoring, Weights
from domain.vocabulary import GRADE_POINTS, Grade, Satisfaction, TaskRole, TaskStatus

SHANGHAI = ZoneInfo("Asia/Shanghai")

RATES = ("on_time_ack", "on_time_reply", "satisfaction", "return", "reopen", "rating")
# Rates where less is better: the score counts 1 - rate.
_INVERTED = frozenset({"return", "reopen"})
# Rates of what a department did when it was due; a score needs one of them.
_ACHIEVEMENTS = ("on_time_ack", "on_time_reply", "satisfaction")


# --------------------------------------------------------------------------------------------- the period


FIRST_YEAR, LAST_YEAR = 1900, 9998


class PeriodError(ValueError):
    """A period that is not one: the message says what was expected."""


@dataclass(frozen=True)
class Period:
    """Asia/Shanghai days ``first``..``last``, both inclusive; ``label`` as asked (2026-11, 2026-Q4, 2026)."""

    label: str
    first: date
    last: date

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(), SHANGHAI)

    @property
    def end(self) -> datetime:
        """The first instant after the period."""
        return datetime.combine(self.last + timedelta(days=1), time(), SHANGHAI)

    def holds(self, at: datetime | None) -> bool:
        return at is not None and self.start <= at < self.end

    def previous(self) -> Period:
        """The period of the same kind just before: the month, quarter or year before; for a from/to range,
        as many days ending the day before ``first``."""
        label = self.label
        if re.fullmatch(r"\d{4}-\d{2}", label):
            year, month = (self.first.year, self.first.month - 1) if self.first.month > 1 else (self.first.year - 1, 12)
            return Period.parse(f"{year:04d}-{month:02d}")
        if m := re.fullmatch(r"(\d{4})-Q([1-4])", label):
            year, quarter = int(m[1]), int(m[2]) - 1
            return Period.parse(f"{year:04d}-Q{quarter}" if quarter else f"{year - 1:04d}-Q4")
        if re.fullmatch(r"\d{4}", label):
            return Period.parse(f"{self.first.year - 1:04d}")
        days = (self.last - self.first).days + 1
        return Period.parse(None, self.first - timedelta(days=days), self.first - timedelta(days=1))

    @staticmethod
    def parse(period: str | None = None, first: date | None = None, last: date | None = None) -> Period:
        """``period`` (``2026-11``, ``2026-Q4``, ``2026``) or ``first`` and ``last`` dates; not both."""
        parsed = Period._parse(period, first, last)
        # The instants either side must exist as timestamps in UTC too (year 1 at +08:00 does not).
        if not (FIRST_YEAR <= parsed.first.year and parsed.last.year <= LAST_YEAR):
            raise PeriodError(f"a period lies within the years {FIRST_YEAR} to {LAST_YEAR}")
        return parsed

    @staticmethod
    def _parse(period: str | None, first: date | None, last: date | None) -> Period:
        if period is not None and (first is not None or last is not None):
            raise PeriodError("give either period or from/to, not both")
        if period is None:
            if first is None or last is None:
                raise PeriodError("give period (2026-11, 2026-Q4 or 2026) or both from and to (YYYY-MM-DD)")
            if last < first:
                raise PeriodError(f"to ({last}) is before from ({first})")
            return Period(label=f"{first.isoformat()}..{last.isoformat()}", first=first, last=last)
        text = period.strip()
        if text[:4] == "0000":  # every form starts with the year
            raise PeriodError(f"{period!r}: there is no year 0000")
        if m := re.fullmatch(r"(\d{4})-(\d{2})", text):
            year, month = int(m[1]), int(m[2])
            if not 1 <= month <= 12:
                raise PeriodError(f"{period!r}: month {month} is not 01-12")
            return Period(text, date(year, month, 1), date(year, month, monthrange(year, month)[1]))
        if m := re.fullmatch(r"(\d{4})-[Qq]([1-4])", text):
            year, quarter = int(m[1]), int(m[2])
            last_month = quarter * 3
            return Period(f"{year}-Q{quarter}", date(year, last_month - 2, 1),
                          date(year, last_month, monthrange(year, last_month)[1]))
        if re.fullmatch(r"\d{4}", text):
            year = int(text)
            return Period(text, date(year, 1, 1), date(year, 12, 31))
        raise PeriodError(f"{period!r} is not a month (2026-11), a quarter (2026-Q4) or a year (2026)")


# --------------------------------------------------------------------------------------------- the facts


class TaskFact(BaseModel):
    """What the figures need of one task, as the case stands."""

    model_config = ConfigDict(frozen=True)

    case_id: str
    task_id: str
    department: str
    role: TaskRole
    assigned_at: datetime
    acknowledge_due_at: datetime
    acknowledged_at: datetime | None
    reply_due_at: datetime
    replied_at: datetime | None
    returned: bool  # 退回 (lead) or 撤回 (co-department), once approved
    cancelled: bool  # taken away by the lead's return
    case_reopened: bool  # the case was reopened (CaseReopened) at least once; on the lead task only
    listed_at: datetime | None  # 挂牌督办 of the case (on the lead task only)
    grade: Grade | None = None  # 评定
    assignee: str | None = None  # 责任人 (a user id) as the task stands


class FollowUpFact(BaseModel):
    model_config = ConfigDict(frozen=True)

    case_id: str
    n: int  # the follow-up's place on the case, from 1
    department: str
    at: datetime
    satisfaction: Satisfaction


def _current_lead(state: CaseState) -> str | None:
    return next((t.department for t in reversed(state.tasks) if t.role is TaskRole.lead), None)


def task_facts(state: CaseState) -> list[TaskFact]:
    lead = next((t for t in reversed(state.tasks) if t.role is TaskRole.lead), None)
    return [
        TaskFact(
            case_id=state.case_id, task_id=t.task_id, department=t.department, role=t.role,
            assigned_at=t.assigned_at, acknowledge_due_at=t.acknowledge_due_at, acknowledged_at=t.acknowledged_at,
            reply_due_at=t.reply_due_at, replied_at=t.replied_at,
            returned=t.status is TaskStatus.returned, cancelled=t.status is TaskStatus.cancelled,
            case_reopened=t is lead and state.reopen_count > 0,
            listed_at=state.listing.since if t is lead and state.listing is not None else None,
            grade=t.grade, assignee=t.assignee,
        )
        for t in state.tasks
    ]


def follow_up_facts(state: CaseState) -> list[FollowUpFact]:
    """Each follow-up, for the departments that replied on the case (else its lead): who it rates."""
    replied = list(dict.fromkeys(t.department for t in state.tasks if t.status is TaskStatus.replied))
    lead = _current_lead(state)
    rated = replied or ([lead] if lead else [])
    return [FollowUpFact(case_id=state.case_id, n=n, department=department, at=f.at, satisfaction=f.satisfaction)
            for n, f in enumerate(state.follow_ups, start=1) for department in rated]


# --------------------------------------------------------------------------------------------- counts to figures


class Counts(BaseModel):
    """One department's counts for a period, each named after the definition it feeds (module docstring)."""

    model_config = ConfigDict(frozen=True)

    department: str
    assignee: str | None = None  # per person: the 责任人's user id
    tasks: int = 0  # the tasks behind any of the figures below, each counted once
    ack_due: int = 0
    ack_on_time: int = 0
    reply_due: int = 0
    reply_on_time: int = 0
    assigned: int = 0
    returned: int = 0
    follow_ups: int = 0
    satisfied: int = 0  # 满意 or 基本满意
    reopen_base: int = 0
    reopened: int = 0
    listed: int = 0
    rated: int = 0
    rating_points: int = 0  # the sum of GRADE_POINTS of the rated

    def rate(self, name: str) -> float | None:
        part, whole = _RATE_PARTS[name](self)
        return part / whole if whole else None

    @property
    def rating_avg(self) -> float | None:
        return self.rating_points / self.rated if self.rated else None


# Each rate's (part, whole): a table, not a dict built per call (the scores ask it ~20 times a department).
_RATE_PARTS: dict[str, Callable[[Counts], tuple[int, int]]] = {
    "on_time_ack": lambda c: (c.ack_on_time, c.ack_due),
    "on_time_reply": lambda c: (c.reply_on_time, c.reply_due),
    "satisfaction": lambda c: (c.satisfied, c.follow_ups),
    "return": lambda c: (c.returned, c.assigned),
    "reopen": lambda c: (c.reopened, c.reopen_base),
    "rating": lambda c: (c.rating_points - c.rated, 3 * c.rated),  # (avg - 1) / 3: 优秀 1.0, 差 0.0
}


class Figures(BaseModel):
    """One department's row of the scores."""

    model_config = ConfigDict(frozen=True)

    department: str
    tasks: int
    on_time_ack_rate: float | None
    on_time_reply_rate: float | None
    satisfaction_rate: float | None
    return_rate: float | None
    reopen_rate: float | None
    rating_avg: float | None
    listed: int
    score: float | None
    rank: int | None = None
    assignee: str | None = None  # per person: the 责任人's user id


def score(counts: Counts, weights: Weights) -> float | None:
    """The weighted mean of the rates present, out of 100 (module docstring); None when no rate is, or when
    only the penalties are (nothing the department had to do fell due yet: a return rate alone is no score)."""
    return _score({name: counts.rate(name) for name in RATES}, _weighted(weights))


@lru_cache(maxsize=16)
def _weighted(weights: Weights) -> tuple[tuple[str, float], ...]:
    """The rates with a weight, in RATES order (Weights is frozen: one tuple per policy)."""
    return tuple((name, weights.of(name)) for name in RATES if weights.of(name) != 0)


def _score(rates: dict[str, float | None], weighted: tuple[tuple[str, float], ...]) -> float | None:
    if all(rates[name] is None for name in _ACHIEVEMENTS):
        return None
    total = points = 0.0
    for name, weight in weighted:
        rate = rates[name]
        if rate is None:
            continue
        total += weight
        points += weight * (1 - rate if name in _INVERTED else rate)
    return round(100 * points / total, 2) if total else None


def figures(counts: Counts, weights: Weights, rank: int | None = None) -> Figures:
    rates = {name: counts.rate(name) for name in RATES}
    return _figures(counts, rates, _score(rates, _weighted(weights)), rank)


def _figures(counts: Counts, rates: dict[str, float | None], score: float | None, rank: int | None) -> Figures:
    return Figures(
        department=counts.department, tasks=counts.tasks, on_time_ack_rate=rates["on_time_ack"],
        on_time_reply_rate=rates["on_time_reply"], satisfaction_rate=rates["satisfaction"],
        return_rate=rates["return"], reopen_rate=rates["reopen"], rating_avg=counts.rating_avg,
        listed=counts.listed, score=score, rank=rank, assignee=counts.assignee,
    )


@dataclass(frozen=True)
class Ranking:
    rows: tuple[Figures, ...]  # ranked rows first (best first), then those with no score, by department
    red_list: tuple[str, ...]
    black_list: tuple[str, ...]


def rank(all_counts: list[Counts], scoring: Scoring) -> Ranking:
    """Rows for the departments with anything in the period, ranked by score (module docstring)."""
    weighted = _weighted(scoring.weights)
    # Each department's rates and score worked out once and its row built once, its rank known (a copy per
    # ranked row and the rates asked again per use were most of the ranking's time).
    present = []
    for c in all_counts:
        if c.tasks or c.follow_ups or c.listed:
            rates = {name: c.rate(name) for name in RATES}
            present.append((c, rates, _score(rates, weighted)))
    scored = sorted((p for p in present if p[2] is not None), key=lambda p: (-(p[2] or 0), p[0].department))
    ranked: list[Figures] = []
    for i, (c, rates, score_) in enumerate(scored):
        same = ranked and ranked[-1].score == score_
        ranked.append(_figures(c, rates, score_, ranked[-1].rank if same else i + 1))
    rows = [_figures(c, rates, None, None) for c, rates, score_ in present if score_ is None]
    unscored = sorted(rows, key=lambda r: r.department)
    k = min(scoring.red_black, len(ranked) // 2)
    best, worst = (ranked[0].score, ranked[-1].score) if ranked else (None, None)
    red = tuple(r.department for r in ranked[:k] if (r.score or 0) > (worst or 0))
    black = tuple(r.department for r in ranked[len(ranked) - k:] if (r.score or 0) < (best or 0)) if k else ()
    return Ranking(rows=(*ranked, *unscored), red_list=red, black_list=black)


def rank_people(all_counts: list[Counts], scoring: Scoring) -> tuple[Figures, ...]:
    """Rows per person, ranked by score (equal scores share a rank), then those with no score."""
    rows = [figures(c, scoring.weights) for c in all_counts if c.tasks or c.listed]
    scored = sorted((r for r in rows if r.score is not None),
                    key=lambda r: (-(r.score or 0), r.department, r.assignee or ""))
    ranked: list[Figures] = []
    for i, row in enumerate(scored):
        same = ranked and ranked[-1].score == row.score
        ranked.append(row.model_copy(update={"rank": ranked[-1].rank if same else i + 1}))
    unscored = sorted((r for r in rows if r.score is None), key=lambda r: (r.department, r.assignee or ""))
    return (*ranked, *unscored)


def count(tasks: list[TaskFact], follow_ups: list[FollowUpFact], period: Period, now: datetime,
          by_person: bool = False) -> list[Counts]:
    """The counts of every department (``by_person``: of every department and 责任人) for ``period`` as seen at
    ``now``: the definitions above, in code.

    infra/figures.py counts the same in SQL over the projected facts; a test holds the two equal."""
    by: dict[tuple[str, str | None], dict[str, int]] = {}

    def bump(key: tuple[str, str | None], *names: str) -> None:
        row = by.setdefault(key, {})
        for name in names:
            row[name] = row.get(name, 0) + 1

    for t in tasks:
        if t.cancelled or (by_person and t.assignee is None):
            continue
        key = (t.department, t.assignee if by_person else None)
        names: list[str] = []
        if period.holds(t.assigned_at):
            names += ["assigned", *(["returned"] if t.returned else [])]
        if not t.returned:
            if period.holds(t.acknowledge_due_at) and (t.acknowledged_at is not None or t.acknowledge_due_at < now):
                on_time = t.acknowledged_at is not None and t.acknowledged_at <= t.acknowledge_due_at
                names += ["ack_due", *(["ack_on_time"] if on_time else [])]
            if period.holds(t.reply_due_at) and (t.replied_at is not None or t.reply_due_at < now):
                on_time = t.replied_at is not None and t.replied_at <= t.reply_due_at
                names += ["reply_due", *(["reply_on_time"] if on_time else [])]
                if t.role is TaskRole.lead:
                    names += ["reopen_base", *(["reopened"] if t.case_reopened else [])]
                if t.grade is not None:
                    names += ["rated", *(["rating_points"] * GRADE_POINTS[t.grade])]
        if names:
            bump(key, "tasks", *names)
        if period.holds(t.listed_at):
            bump(key, "listed")
    for f in () if by_person else follow_ups:  # a follow-up rates a department, not a person
        if period.holds(f.at):
            good = f.satisfaction in (Satisfaction.satisfied, Satisfaction.basically_satisfied)
            bump((f.department, None), "follow_ups", *(["satisfied"] if good else []))
    return [Counts(department=d, assignee=a, **row)
            for (d, a), row in sorted(by.items(), key=lambda kv: (kv[0][0], kv[0][1] or ""))]
