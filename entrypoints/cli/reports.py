"""`liandiao report scores --period P [--format json|csv|xlsx] [--out FILE]`: the district's figures (考核);
`liandiao report ledger --from D --to D --out FILE [--format xlsx|csv|json]`: the case ledger (台账);
`liandiao report hotspots --period P [--by street|community|grid|category]`: 研判;
`liandiao report monthly --period YYYY-MM --out FILE [--format html|xlsx|pdf]`: the monthly 研判 report. All read
from the stack's database (thin callers of application/reports.py, ledger.py, analysis.py and monthly.py)."""

from __future__ import annotations

import json
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

DataDir = Annotated[Path | None, typer.Option("--data-dir", help="where the stack keeps its data")]
RunDb = Callable[[Path | None, Callable[[Any], Awaitable[Any]]], Any]


class Format(StrEnum):
    json = "json"
    csv = "csv"
    xlsx = "xlsx"


def register(app: typer.Typer, fail: Callable[[str, int], None], run_db: RunDb, os_user: Callable[[], str],
             policy_file: Callable[[Path | None], Path | None]) -> None:
    report_app = typer.Typer(help="The district's figures: 考核 scores, the 台账 ledger, 研判 hotspots.",
                             no_args_is_help=True)
    app.add_typer(report_app, name="report")
    register_hotspots(report_app, fail, run_db, os_user, policy_file)
    register_monthly(report_app, fail, run_db, os_user, policy_file)

    @report_app.command("scores")
    def report_scores(
        period: Annotated[str | None, typer.Option("--period", help="2026-11, 2026-Q4 or 2026")] = None,
        first: Annotated[str | None, typer.Option("--from", help="first day (YYYY-MM-DD), with --to")] = None,
        last: Annotated[str | None, typer.Option("--to", help="last day (YYYY-MM-DD), inclusive")] = None,
        jurisdiction: Annotated[str | None, typer.Option("--jurisdiction", help="a jurisdiction id")] = None,
        fmt: Annotated[Format, typer.Option("--format", help="json, csv or xlsx")] = Format.json,
        out: Annotated[Path | None, typer.Option("--out", help="the file to write (default: standard output)")] = None,
        policy: Annotated[Path | None, typer.Option("--policy", help="the policy file with [scoring] "
                                                    "(default: LIANDIAO_POLICY_FILE, else the defaults)")] = None,
        by: Annotated[str, typer.Option("--by", help="department, or person: one row per 责任人 (json, csv); "
                                                     "the workbook always has a 责任人 sheet")] = "department",
        data_dir: DataDir = None,
    ) -> None:
        """Every department's figures, score and rank for a period, with the red and black lists."""
        if by not in ("department", "person"):
            fail(f"--by is department or person, not {by!r}", 2)
            return
        per_person = by == "person"
        from application.access_log import command_line_actor
        from application.errors import ApplicationError
        from application.reports import (
            parse_period,
            people_json,
            scores_csv,
            scores_json,
            scores_xlsx,
            stored_scores,
        )
        from bootstrap.stack import load_policy
        from domain.policy import Scoring
        from infra.embedded import StackError

        try:
            chosen = parse_period(period, _day(first, "--from", fail), _day(last, "--to", fail))
        except ApplicationError as exc:
            fail(str(exc), 2)
            return
        try:
            scoring = load_policy(policy or policy_file(data_dir)).scoring or Scoring()
        except StackError as exc:
            fail(str(exc), 2)
            return
        actor = command_line_actor(os_user())
        report = run_db(data_dir, lambda pool: stored_scores(pool, scoring, datetime.now(UTC), actor, chosen,
                                                             jurisdiction, per_person or fmt is Format.xlsx))
        content: bytes
        if fmt is Format.xlsx:
            if out is None:
                fail("a workbook is written to a file: give --out FILE.xlsx", 2)
            content = scores_xlsx(report)
        elif fmt is Format.csv:
            content = scores_csv(report, per_person).encode("utf-8")
        else:
            shaped = people_json(report) if per_person else scores_json(report)
            content = (json.dumps(shaped, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
        if out is None:
            sys.stdout.buffer.write(content)
            return
        try:
            out.write_bytes(content)
        except OSError as exc:
            fail(f"cannot write {out}: {exc.strerror}", 1)
        print(f"{out}\t{len(report.rows)} departments")

    @report_app.command("ledger")
    def report_ledger(
        first: Annotated[str, typer.Option("--from", help="first day received (YYYY-MM-DD), Asia/Shanghai")],
        last: Annotated[str, typer.Option("--to", help="last day received (YYYY-MM-DD), inclusive")],
        out: Annotated[Path, typer.Option("--out", help="the file to write")],
        fmt: Annotated[Format | None, typer.Option("--format", help="xlsx, csv or json (default: by the "
                                                   "file's suffix, else xlsx)")] = None,
        jurisdiction: Annotated[str | None, typer.Option("--jurisdiction", help="a jurisdiction id")] = None,
        data_dir: DataDir = None,
    ) -> None:
        """台账: one row per case received from --from to --to, parties in full (recorded in the access log)."""
        from application.access_log import command_line_actor
        from application.errors import ApplicationError
        from application.ledger import Format as LedgerFormat
        from application.ledger import parse_days, stored_ledger

        try:
            period = parse_days(_day(first, "--from", fail), _day(last, "--to", fail))
        except ApplicationError as exc:
            fail(str(exc), 2)
            return
        suffix = out.suffix.lstrip(".").lower()
        chosen = LedgerFormat((fmt or Format(suffix if suffix in Format.__members__ else "xlsx")).value)
        actor = command_line_actor(os_user())
        try:
            handle = out.open("wb")
        except OSError as exc:
            fail(f"cannot write {out}: {exc.strerror}", 1)
            return
        try:
            with handle:
                rows = run_db(data_dir, lambda pool: stored_ledger(pool, datetime.now(UTC), actor, period,
                                                                   jurisdiction, chosen, handle))
        except typer.Exit:
            out.unlink(missing_ok=True)  # no half-written ledger left behind
            raise
        print(f"{out}\t{rows} cases")


class By(StrEnum):
    street = "street"
    community = "community"
    grid = "grid"
    category = "category"


def register_hotspots(report_app: typer.Typer, fail: Callable[[str, int], None], run_db: RunDb,
                      os_user: Callable[[], str], policy_file: Callable[[Path | None], Path | None]) -> None:
    @report_app.command("hotspots")
    def report_hotspots(
        period: Annotated[str, typer.Option("--period", help="2026-11, 2026-Q4 or 2026")],
        by: Annotated[By, typer.Option("--by", help="street, community, grid or category")] = By.street,
        data_dir: DataDir = None,
    ) -> None:
        """研判: the cases received per place or category against the period before, with the totals and the
        count of repeat visitors (as JSON)."""
        from application.access_log import command_line_actor
        from application.analysis import hotspots_json, parse_by, parse_period, stored_analysis, totals_json
        from application.errors import ApplicationError
        from bootstrap.stack import load_policy
        from domain.policy import wall_clock_seconds
        from infra.embedded import StackError

        try:
            chosen, grouping = parse_period(period), parse_by(by.value)
        except ApplicationError as exc:
            fail(str(exc), 2)
            return
        try:  # the repeat window of [analysis] in the policy in force
            rules = load_policy(policy_file(data_dir)).analysis_rules
        except StackError as exc:
            fail(str(exc), 2)
            return
        window = timedelta(seconds=wall_clock_seconds(rules.repeat_window))
        actor = command_line_actor(os_user())
        report = run_db(data_dir, lambda pool: stored_analysis(pool, actor, chosen, grouping, window))
        answer = {**totals_json(report), "by": grouping.value, "rows": hotspots_json(report)}
        print(json.dumps(answer, ensure_ascii=False, indent=2))


class MonthlyFormat(StrEnum):
    html = "html"
    xlsx = "xlsx"
    pdf = "pdf"


def register_monthly(report_app: typer.Typer, fail: Callable[[str, int], None], run_db: RunDb,
                     os_user: Callable[[], str], policy_file: Callable[[Path | None], Path | None]) -> None:
    @report_app.command("monthly")
    def report_monthly(
        period: Annotated[str, typer.Option("--period", help="a month that has begun, YYYY-MM")],
        out: Annotated[Path, typer.Option("--out", help="the file to write: .html, .xlsx or .pdf")],
        fmt: Annotated[MonthlyFormat | None, typer.Option("--format", help="html, xlsx or pdf (default: by "
                                                          "the file's suffix)")] = None,
        data_dir: DataDir = None,
    ) -> None:
        """The month's 研判 report (the one the schedule kept, else built now) written to --out."""
        from application.access_log import command_line_actor
        from application.errors import ApplicationError
        from application.monthly import parse_format, parse_month, stored_monthly
        from bootstrap.stack import load_policy
        from domain.figures import SHANGHAI
        from domain.policy import Scoring
        from infra.embedded import StackError

        now = datetime.now(UTC)
        suffix = out.suffix.lstrip(".").lower()
        try:
            chosen = parse_month(period, now.astimezone(SHANGHAI).date())
            if fmt is None and suffix not in MonthlyFormat.__members__:
                fail(f"--out {out.name}: name a .html, .xlsx or .pdf file, or give --format", 2)
                return
            kind = parse_format(fmt.value if fmt is not None else suffix)
        except ApplicationError as exc:
            fail(str(exc), 2)
            return
        try:
            scoring = load_policy(policy_file(data_dir)).scoring or Scoring()
        except StackError as exc:
            fail(str(exc), 2)
            return
        actor = command_line_actor(os_user())
        report = run_db(data_dir, lambda pool: stored_monthly(pool, scoring, now, actor, chosen, kind))
        try:
            out.write_bytes(report.content)
        except OSError as exc:
            fail(f"cannot write {out}: {exc.strerror}", 1)
        print(f"{out}\t{report.period}\t{report.format}\t{'kept' if report.kept else 'built now'}\t"
              f"sha256 {report.sha256}")


def _day(text: str | None, option: str, fail: Callable[[str, int], None]) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"{option} {text!r} is not a date (YYYY-MM-DD)", 2)
        raise
