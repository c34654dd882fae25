"""The monthly 研判 report as use cases: read a month (YYYY-MM, not in the future), build its report from the
counts, serve the kept one when the schedule has made it, and make, keep and announce it (the schedule's
activity, on the first of each month for the month before).

What each figure means is domain/monthly.py's; how it looks, application/monthly_render.py's."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

import asyncpg

from application.access import require_role
from application.errors import InvalidInput
from application.monthly_render import month_name, render
from application.reports import scores_for
from domain.case import Delivery, NotificationRecord
from domain.describe import CHANNEL
from domain.events import Actor
from domain.figures import FIRST_YEAR, SHANGHAI, Period
from domain.monthly import NO_CHANNEL, MonthFacts, MonthlyReport, ScoreLine, monthly_report, months_ending, year_before
from domain.notifications import targets
from domain.organisation import JurisdictionLevel, Organisation
from domain.policy import Scoring
from domain.vocabulary import Role
from infra.analysis import repeat_visitors
from infra.monthly import (
    cluster_alerts,
    cluster_lines,
    keep_report,
    kept_periods,
    kept_report,
    received,
    record_announcement,
    task_facts_of,
    trend,
)

if TYPE_CHECKING:
    from application.cases import Application

READ_MONTHLY = frozenset({Role.supervisor, Role.leader, Role.auditor})
FORMATS = ("html", "xlsx", "pdf")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MEDIA = {"html": "text/html; charset=utf-8", "xlsx": XLSX, "pdf": "application/pdf"}
CHANNEL_NAMES = {c.value: name for c, name in CHANNEL.items()} | {NO_CHANNEL: "未注明"}
ZONGZHI = "zongzhi"
ANNOUNCE_KIND = "monthly_report"


def parse_month(text: str | None, today: date) -> Period:
    """A month YYYY-MM that has begun (``today`` in Asia/Shanghai); anything else is a 422 saying what is wanted."""
    if text is None or not text.strip():
        raise InvalidInput("give a month as YYYY-MM, e.g. 2026-11", "period")
    text = text.strip()
    m = re.fullmatch(r"(\d{4})-(\d{2})", text)
    if m is None:
        raise InvalidInput(f"{text!r} is not a month: give YYYY-MM, e.g. 2026-11", "period")
    year, month = int(m[1]), int(m[2])
    if not 1 <= month <= 12:
        raise InvalidInput(f"{text!r}: month {month:02d} is not 01-12", "period")
    if year <= FIRST_YEAR:  # the same month a year before must exist too
        raise InvalidInput(f"{text!r}: give a month from {FIRST_YEAR + 1}", "period")
    if (year, month) > (today.year, today.month):
        raise InvalidInput(f"{text!r} is in the future: the latest month is {today.year:04d}-{today.month:02d}",
                           "period")
    return Period.parse(text)


def today(app: Application) -> date:
    """Today in Asia/Shanghai, by the application's clock: the latest month a report is asked for."""
    return app.clock().astimezone(SHANGHAI).date()


def parse_format(text: str | None) -> str:
    chosen = (text or "html").strip().lower()
    if chosen not in FORMATS:
        raise InvalidInput(f"{text!r} is not one of {', '.join(FORMATS)}", "format")
    return chosen


def district_of(org: Organisation) -> tuple[str, str]:
    """(id, name) of the district at the top of the tree."""
    top = next((j for j in org.jurisdictions if j.level is JurisdictionLevel.district), None)
    return (top.id, top.name) if top is not None else ("", "")


# ``[analysis] repeat_window`` when the caller has no policy at hand (the policy file's default).
REPEAT_WINDOW = timedelta(days=90)


async def build(pool: asyncpg.Pool, org: Organisation, scoring: Scoring, period: Period,
                made_at: datetime, repeat_window: timedelta = REPEAT_WINDOW) -> MonthlyReport:
    """The month's report as the record stands at ``made_at``."""
    before, year_ago = period.previous(), year_before(period)
    found = await cluster_alerts(pool, period)
    scores = await scores_for(pool, org, scoring, made_at, period)
    facts = MonthFacts(
        period=period, made_at=made_at, received=await received(pool, period),
        month_before=await received(pool, before), year_before=await received(pool, year_ago),
        trend=await trend(pool, months_ending(period)), tasks=await task_facts_of(pool, period),
        repeat_visitors=await repeat_visitors(pool, period, repeat_window),
        repeat_visitors_before=await repeat_visitors(pool, before, repeat_window),
        scores=[ScoreLine(name=r.name, figures=r.figures) for r in scores.rows],
        clusters=cluster_lines(found, ({c.id: c.name for c in org.categories},
                                       {j.id: org.jurisdiction_name(j.id) for j in org.jurisdictions})),
    )
    return monthly_report(org, facts, CHANNEL_NAMES)


@dataclass(frozen=True)
class Rendered:
    period: str
    format: str
    content: bytes
    sha256: str
    made_at: datetime
    kept: bool  # the report made by the schedule (True) or built now from the record (False)

    @property
    def media_type(self) -> str:
        return MEDIA[self.format]

    @property
    def filename(self) -> str:
        return f"yanpan-{self.period}.{self.format}"


async def monthly(app: Application, actor: Actor, period: Period, fmt: str) -> Rendered:
    return await district_monthly(app.pool, app.org, app.policy.scoring or Scoring(), app.clock(), actor, period, fmt,
                                  app.repeat_window)


async def district_monthly(pool: asyncpg.Pool, org: Organisation, scoring: Scoring, now: datetime, actor: Actor,
                           period: Period, fmt: str, repeat_window: timedelta = REPEAT_WINDOW) -> Rendered:
    """The month's report in ``fmt``: the kept one when there is one, else built now (the month so far)."""
    require_role(actor, READ_MONTHLY)
    kept = await kept_report(pool, period.label, fmt)
    if kept is not None:
        sha256, content, made_at = kept
        return Rendered(period.label, fmt, content, sha256, made_at, kept=True)
    content = render(await build(pool, org, scoring, period, now, repeat_window), fmt, district_of(org)[1])
    return Rendered(period.label, fmt, content, hashlib.sha256(content).hexdigest(), now, kept=False)


async def stored_monthly(pool: asyncpg.Pool, scoring: Scoring, now: datetime, actor: Actor, period: Period,
                         fmt: str) -> Rendered:
    """:func:`monthly` under the organisation the stack last started with (the command line's way in)."""
    from infra.organisations import in_force

    return await district_monthly(pool, await in_force(pool), scoring, now, actor, period, fmt)


def may_read(actor: Actor) -> bool:
    return actor.role in READ_MONTHLY


def recent_months(today_: date, n: int = 12) -> list[str]:
    """The picker's offers: this month and the ones before, newest first."""
    return [p.label for p in reversed(months_ending(Period.parse(f"{today_.year:04d}-{today_.month:02d}"), n))]


async def kept_months(app: Application, actor: Actor) -> list[str]:
    """The months whose report the schedule made and kept, newest first."""
    require_role(actor, READ_MONTHLY)
    return await kept_periods(app.pool)


# --------------------------------------------------------------------------------------------- made by the schedule


@dataclass(frozen=True)
class Made:
    period: str
    stored: tuple[str, ...]  # the formats stored by this making (none: the month was already kept)
    sha256: dict[str, str]
    notification_id: str | None  # the announcement, None when the organisation has no district centre
    announced: bool  # the announcement was recorded by this making


def previous_month(now: datetime) -> Period:
    """The month before the one ``now`` falls in (Asia/Shanghai): what the schedule makes on the first."""
    local = now.astimezone(SHANGHAI).date()
    return Period.parse(f"{local.year:04d}-{local.month:02d}").previous()


def announcement(org: Organisation, report: MonthlyReport, public_url: str,
                 give_up_after_s: int) -> tuple[NotificationRecord, list[str]] | None:
    """The notice to the district centre (its liaisons: the duty desk): counts and a link, no personal data."""
    district_id, _ = district_of(org)
    centre = next((d for d in org.departments if d.kind == ZONGZHI and d.jurisdiction == district_id), None)
    if centre is None:
        return None
    label = report.period.label
    mom = report.total.month_on_month
    text = (f"{month_name(label)}矛盾纠纷月度研判报告已生成：受理{report.total.count}件"
            f"（环比{mom.count:+d}件），逾期案件{report.overdue_cases}件，挂牌督办{len(report.listed)}件，"
            f"重复来访{report.repeat_visitors}人。请在工作台“研判”查看或下载。")
    recipient = f"liaisons:{centre.id}"
    deliveries = tuple(Delivery(channel_id=t.channel_id, department=t.department, role=t.role, address=t.address)
                       for t in targets(org, recipient))
    record = NotificationRecord(
        notification_id=f"monthly-report-{label}", kind=ANNOUNCE_KIND, level=0, recipients=(recipient,), text=text,
        link=f"{public_url.rstrip('/')}/reports/monthly?period={label}", urgent=False,
        give_up_after_s=give_up_after_s, created_at=report.made_at, deliveries=deliveries)
    return record, [centre.id]


async def make_and_keep(pool: asyncpg.Pool, org: Organisation, scoring: Scoring, now: datetime, period: Period,
                        public_url: str, give_up_after_s: int = 86400,
                        repeat_window: timedelta = REPEAT_WINDOW) -> Made:
    """Build the month's report, keep each format under its SHA-256 and record the announcement. Made again,
    the first making stands: nothing is stored twice and the announcement is recorded once."""
    report = await build(pool, org, scoring, period, now, repeat_window)
    _, district = district_of(org)
    stored, hashes = [], {}
    for fmt in FORMATS:
        kept = await kept_report(pool, period.label, fmt)
        if kept is not None:
            hashes[fmt] = kept[0]
            continue
        content = render(report, fmt, district)
        hashes[fmt] = hashlib.sha256(content).hexdigest()
        if await keep_report(pool, period.label, fmt, hashes[fmt], content, now):
            stored.append(fmt)
    notice = announcement(org, report, public_url, give_up_after_s)
    if notice is None:
        return Made(period.label, tuple(stored), hashes, None, False)
    record, departments = notice
    announced = await record_announcement(pool, record, departments)
    return Made(period.label, tuple(stored), hashes, record.notification_id, announced)
