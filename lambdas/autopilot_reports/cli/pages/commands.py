"""`report JOB` and `dashboard`: read through the CLI's own queries (commands.py: one GetItem, Queries on
the indexes, never a Scan), render the page, write it (`-o FILE`, `-o -` for stdout), and say where.

The page modules import matplotlib, which takes a moment: they are imported here, when a page command
runs, so `show`, `list` and the others start as fast as before.
"""

from __future__ import annotations

import argparse
import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.text import Text

from autopilot_reports import constants as c
from autopilot_reports.cli.aws import Aws
from autopilot_reports.cli.commands import (
    FAR_FUTURE,
    JobFilter,
    JobWanted,
    find_job,
    in_range,
    newest,
    no_job,
    queries_for,
)
from autopilot_reports.cli.dates import FLOOR, check_order, inclusive_end, start_of
from autopilot_reports.cli.errors import CliError, ExitCode
from autopilot_reports.cli.output import Output
from autopilot_reports.domain.untrusted import terminal_text

FAMILY_RUNS = 100  # the family trend: its newest Completed jobs, at most
DEFAULT_DASHBOARD_DAYS = 7
STDOUT = "-"
DASHBOARD_FILE = "dashboard.html"
_UNSAFE_IN_FILE_NAME = re.compile(r"[^A-Za-z0-9._-]")


def report_file(job_name: str) -> str:
    """The page's default file name: the job's name (AWS allows [a-zA-Z0-9-]; anything else becomes `_`)."""
    return _UNSAFE_IN_FILE_NAME.sub("_", job_name) + ".html"


def source(aws: Aws) -> str:
    return f"table {aws.table_name} ({aws.region_name})"


# --- report --------------------------------------------------------------------------------------------


def report(args: argparse.Namespace, aws: Aws, out: Output) -> int:
    from autopilot_reports.cli.pages.report import JobPage, report_page  # matplotlib: only for pages

    queries = queries_for(aws)
    job = JobWanted.of(args)
    record = find_job(queries, job)
    if record is None:
        raise no_job(job.name, aws, job.where())
    # A family is one account and region's (on a hub, the job's own place's).
    family = JobFilter(status=c.COMPLETED, family=record.family, account=record.account_id, region=record.region)
    runs = newest(queries, family, None, FAMILY_RUNS) if record.family else []
    standing = next(((each, jobs) for each, jobs in queries.families() if each.family == record.family), None)
    page = JobPage(
        record=record,
        family_runs=runs[:FAMILY_RUNS],
        standing=standing[0] if standing else None,
        family_jobs=standing[1] if standing else None,
        generated_at=datetime.now(UTC),
        source=source(aws),
    )
    write_page(
        out, args.page_file or report_file(record.job_name), report_page(page).html, {"job_name": record.job_name}
    )
    return ExitCode.OK


# --- dashboard -----------------------------------------------------------------------------------------


def dashboard(args: argparse.Namespace, aws: Aws, out: Output) -> int:
    from autopilot_reports.cli.pages.dashboard import AccountPage, dashboard_page  # matplotlib: only for pages

    now = datetime.now(UTC)
    until = inclusive_end(args.until) if args.until else now
    since = start_of(args.since) if args.since else until - timedelta(days=DEFAULT_DASHBOARD_DAYS)
    check_order(since, until)
    queries = queries_for(aws)
    ended = [
        record
        for status in c.TERMINAL_STATUSES
        for record in in_range(queries, JobFilter(status=status), since, FAR_FUTURE)
        if record.ended_at is not None and since <= record.ended_at <= until
    ]
    partial = in_range(queries, JobFilter(partial_failures=True), since, until)
    quiet_since = until - timedelta(minutes=args.stuck_after)
    stuck = in_range(queries, JobFilter(status=c.IN_PROGRESS), FLOOR, quiet_since) if args.stuck_after else []
    page = AccountPage(
        ended=ended,
        partial=partial,
        stuck=stuck,
        families=queries.families(),
        since=since,
        until=until,
        stuck_after_minutes=args.stuck_after,
        generated_at=now,
        source=source(aws),
    )
    write_page(out, args.page_file or DASHBOARD_FILE, dashboard_page(page).html, {"jobs_ended": len(ended)})
    return ExitCode.OK


# --- writing -------------------------------------------------------------------------------------------


def write_page(out: Output, destination: str, html: str, about: dict[str, Any]) -> None:
    """The page into its file (or stdout for `-`), then where it is, in the chosen output form."""
    if destination == STDOUT:
        sys.stdout.write(html)
        return
    path = Path(destination)
    try:
        path.write_text(html, encoding="utf-8")
    except OSError as error:
        raise CliError(ExitCode.CANNOT_WRITE, f"cannot write {destination}: {error.strerror or error}") from None
    size = len(html.encode())
    shown = terminal_text(str(path))
    out.emit(
        {**about, "page": str(path.resolve()), "bytes": size},
        [(str(path.resolve()),)],
        lambda console: console.print(Text(f"wrote {shown} ({size / 1024:,.0f} KB): open it in a browser")),
    )
