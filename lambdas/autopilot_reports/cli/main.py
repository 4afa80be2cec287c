"""The commands: show, history, list, import-history. Each read is one GetItem or Query (never a Scan)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ValidationError
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TaskProgressColumn, TextColumn, TimeElapsedColumn

from autopilot_reports import constants as c
from autopilot_reports.adapters.dynamodb import DynamoDBReportStore
from autopilot_reports.cli import render
from autopilot_reports.cli.aws import BUS_OUTPUT, DEFAULT_STACK, Aws, aws_errors
from autopilot_reports.cli.dates import check_order, exclusive_end, start_of, window
from autopilot_reports.cli.errors import EXIT_CODES_HELP, CliError, ExitCode
from autopilot_reports.models.common import iso_utc
from autopilot_reports.models.events import ImportProgress, ImportRequest
from autopilot_reports.models.record import ReportRecord

PROG = "autopilot-reports"
DESCRIPTION = """Reports on SageMaker Autopilot (AutoML) jobs, read from the stack's DynamoDB table.

The table (and the event bus, for import-history) come from the CloudFormation stack's outputs
(ReportsTableName, EventBusName) unless --table is given. Standard AWS credentials; --endpoint-url
points every client at an emulator (e.g. `make serve`). --json prints the record contract: one JSON
object per line (list, history) or one object (show)."""
DEFAULT_LIST_LIMIT = 100
DEFAULT_IMPORT_TIMEOUT = 3600.0
DEFAULT_POLL_INTERVAL = 2.0

Command = Callable[[argparse.Namespace, Aws, Console], int]


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog=PROG,
        description=DESCRIPTION,
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    where = root.add_argument_group("where to look")
    where.add_argument("--table", help="the report table (default: the stack's ReportsTableName output)")
    where.add_argument("--stack", default=DEFAULT_STACK, help=f"the deployed stack (default: {DEFAULT_STACK})")
    where.add_argument("--region", help="AWS region (default: from the profile or AWS_DEFAULT_REGION)")
    where.add_argument("--profile", help="AWS named profile")
    where.add_argument("--endpoint-url", help="send every AWS call here (an emulator, e.g. http://127.0.0.1:4566)")
    root.add_argument("--json", action="store_true", help="print JSON (the record contract) instead of tables")
    commands = root.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, help_text: str, run: Command) -> argparse.ArgumentParser:
        sub = commands.add_parser(
            name,
            help=help_text,
            description=help_text,
            epilog=EXIT_CODES_HELP,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        # SUPPRESS: a --json given before the command is not reset by the subcommand's default.
        sub.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print JSON")
        sub.set_defaults(run=run)
        return sub

    command("show", "one job's latest report", show).add_argument("job_name", metavar="JOB")
    command("history", "one job's observed transitions, oldest first", history).add_argument("job_name", metavar="JOB")

    listing = command("list", "jobs last modified in a time range, newest first", list_jobs)
    listing.add_argument("--status", choices=c.JOB_STATUSES, help="only jobs with this status")
    listing.add_argument(
        "--since", help="ISO 8601 date or datetime, UTC unless an offset is given (default: 7 days before --until)"
    )
    listing.add_argument("--until", help="ISO 8601 date (the whole day) or datetime (default: now)")
    listing.add_argument("--partial-failures", action="store_true", help="only jobs with partial failures")
    listing.add_argument("--prefix", default="", help="only jobs whose name starts with this")
    listing.add_argument(
        "--limit",
        type=int,
        default=DEFAULT_LIST_LIMIT,
        help=f"at most this many jobs (default {DEFAULT_LIST_LIMIT}; 0: all)",
    )

    backfill = command(
        "import-history",
        "import the jobs created in [--since, --until) that the table does not know (runs in the stack)",
        import_history,
    )
    backfill.add_argument("--since", required=True, help="ISO 8601 date or datetime: the first creation time")
    backfill.add_argument("--until", required=True, help="ISO 8601 datetime, or a date (up to its end): exclusive")
    backfill.add_argument("--force", action="store_true", help="re-publish jobs the table already knows")
    backfill.add_argument("--no-wait", action="store_true", help="start the import and return")
    backfill.add_argument("--bus", help="the stack's event bus (default: the stack's EventBusName output)")
    backfill.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_IMPORT_TIMEOUT,
        help="stop waiting after this many seconds (default 3600)",
    )
    backfill.add_argument("--poll-interval", type=float, default=DEFAULT_POLL_INTERVAL, help=argparse.SUPPRESS)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    aws = Aws(
        stack=args.stack,
        table_name=args.table,
        region=args.region,
        profile=args.profile,
        endpoint_url=args.endpoint_url,
    )
    try:
        with aws_errors(aws):
            code: int = args.run(args, aws, Console(highlight=False))
            return code
    except CliError as error:
        print(f"{PROG}: {error.message}", file=sys.stderr)
        return int(error.code)
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return int(ExitCode.INTERRUPTED)


def store_for(aws: Aws) -> DynamoDBReportStore:
    return DynamoDBReportStore(aws.table(), dynamodb=aws.client("dynamodb"))


def print_json(rows: Sequence[BaseModel]) -> None:
    for row in rows:
        sys.stdout.write(json.dumps(row.model_dump(mode="json")) + "\n")


# --- commands ------------------------------------------------------------------------------------------


def show(args: argparse.Namespace, aws: Aws, console: Console) -> int:
    record = store_for(aws).get_report(args.job_name)
    if record is None:
        raise CliError(ExitCode.NO_JOB, f"no report for job {args.job_name!r} in table {aws.table_name!r}")
    if args.json:
        print_json([record])
    else:
        render.show_report(console, record)
    return ExitCode.OK


def history(args: argparse.Namespace, aws: Aws, console: Console) -> int:
    store = store_for(aws)
    entries = store.history(args.job_name)
    if not entries and store.get_report(args.job_name) is None:
        raise CliError(ExitCode.NO_JOB, f"no report for job {args.job_name!r} in table {aws.table_name!r}")
    if args.json:
        print_json(entries)
    else:
        render.show_history(console, args.job_name, entries)
    return ExitCode.OK


def list_jobs(args: argparse.Namespace, aws: Aws, console: Console) -> int:
    if args.limit < 0:
        raise CliError(ExitCode.USAGE, "--limit must be 0 (all) or more")
    start, end = window(args.since, args.until)
    store = store_for(aws)
    matching = [
        record
        for record in query_jobs(store, args.status, args.partial_failures, start, end)
        if record.job_name.startswith(args.prefix)
    ]
    matching.sort(key=lambda record: (-record.last_modified_at.timestamp(), record.job_name))
    shown = matching[: args.limit] if args.limit else matching
    if args.json:
        print_json(shown)
    else:
        render.show_list(console, shown, list_title(args, start, end, len(matching)), len(matching))
    return ExitCode.OK


def query_jobs(
    store: DynamoDBReportStore, status: str | None, partial_failures: bool, start: datetime, end: datetime
) -> list[ReportRecord]:
    """One Query on the narrowest index: by_partial_failure (sparse) or by_status; every status's
    partition when neither filter is given."""
    if partial_failures:
        return [record for record in store.with_partial_failures(start, end) if status in (None, record.status)]
    if status:
        return store.by_status(status, start, end)
    return [record for each in c.JOB_STATUSES for record in store.by_status(each, start, end)]


def list_title(args: argparse.Namespace, start: datetime, end: datetime, count: int) -> str:
    what = [args.status or "all statuses"]
    if args.partial_failures:
        what.append("with partial failures")
    if args.prefix:
        what.append(f"named {args.prefix}*")
    return f"{count} jobs ({', '.join(what)}) modified {iso_utc(start)} .. {iso_utc(end)}"


def import_history(args: argparse.Namespace, aws: Aws, console: Console) -> int:
    request = import_request(args.since, args.until, args.force)
    store = store_for(aws)
    before = store.get_import_progress(request.import_id)
    if before is not None and before.status == "done" and not args.force:
        if args.json:
            print_json([before])
        else:
            console.print(render.import_summary(before), soft_wrap=True)
            console.print("This range was imported already; --force imports it again.")
        return ExitCode.OK
    put_import_event(aws, args.bus or aws.output(BUS_OUTPUT), request)
    if args.no_wait:
        if args.json:
            sys.stdout.write(
                json.dumps(request.model_dump(mode="json", include={"import_id", "start", "end", "force"})) + "\n"
            )
        else:
            console.print(f"started import {request.import_id} ({iso_utc(request.start)} .. {iso_utc(request.end)})")
        return ExitCode.OK
    done = wait_for_import(store, request, before, args, console)
    if args.json:
        print_json([done])
    else:
        console.print(render.import_summary(done), soft_wrap=True)
    return ExitCode.OK


def import_request(since: str, until: str, force: bool) -> ImportRequest:
    start, end = start_of(since), exclusive_end(until)  # the import's range is half-open
    check_order(start, end)
    try:
        return ImportRequest(start=start, end=end, force=force)
    except ValidationError as error:
        raise CliError(ExitCode.BAD_DATE, f"bad import range: {error.errors()[0]['msg']}") from None


def put_import_event(aws: Aws, bus: str, request: ImportRequest) -> None:
    detail = {"start": iso_utc(request.start), "end": iso_utc(request.end), "force": request.force}
    response = aws.client("events").put_events(
        Entries=[
            {
                "Source": c.EVENT_SOURCE,
                "DetailType": c.IMPORT_DETAIL_TYPE,
                "Detail": json.dumps(detail),
                "EventBusName": bus,
            }
        ]
    )
    if response.get("FailedEntryCount"):
        entry: dict[str, Any] = response["Entries"][0]
        raise CliError(
            ExitCode.AWS_ERROR,
            f"EventBridge refused the import event: {entry.get('ErrorCode')}: {entry.get('ErrorMessage')}",
        )


def wait_for_import(
    store: DynamoDBReportStore,
    request: ImportRequest,
    before: ImportProgress | None,
    args: argparse.Namespace,
    console: Console,
) -> ImportProgress:
    """Polls the import's progress item until it says done (a done item left by an earlier run of the same
    range counts only once it has changed)."""
    deadline = time.monotonic() + args.timeout
    span = (request.end - request.start).total_seconds()
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[jobs_seen]} jobs seen, {task.fields[pieces]} pieces"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False, disable=args.json) as bar:
        task = bar.add_task(f"import {request.import_id}", total=100, jobs_seen=0, pieces=0)
        while True:
            current = store.get_import_progress(request.import_id)
            if current is not None and current != before:
                bar.update(
                    task, completed=_percent(current, request, span), jobs_seen=current.jobs_seen, pieces=current.pieces
                )
                if current.status == "done":
                    return current
            if time.monotonic() >= deadline:
                seen = f"{current.jobs_seen} jobs seen so far" if current and current != before else "no progress yet"
                raise CliError(
                    ExitCode.IMPORT_TIMEOUT,
                    f"import {request.import_id} not done after {args.timeout:g}s ({seen}); it keeps running, re-run to watch",
                )
            time.sleep(args.poll_interval)


def _percent(progress: ImportProgress, request: ImportRequest, span: float) -> float:
    if progress.status == "done":
        return 100.0
    if progress.cursor is None or span <= 0:
        return 0.0
    return max(0.0, min(100.0, 100.0 * (progress.cursor - request.start).total_seconds() / span))
