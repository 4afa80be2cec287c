"""`import-history`: one "AutoML History Import" event on the stack's bus, then the import's progress
item until it is done (the watcher imports the range piece by piece, in the stack).

The range is exactly what the CLI prints: `--until 2026-01-01` is up to the end of that day, i.e. the
request `{"start": ..., "end": "2026-01-02T00:00:00Z"}`; the import id is derived from the range, so
the same range resumes the same import however it was started (this command, or the watcher invoked
directly as docs/deploy.md shows)."""

from __future__ import annotations

import argparse
import json
import re
import time
from typing import Any

from botocore.exceptions import ClientError
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.text import Text

from autopilot_reports import constants as c
from autopilot_reports.adapters.dynamodb_queries import ReportQueries
from autopilot_reports.cli import render
from autopilot_reports.cli.aws import BUS_OUTPUT, Aws
from autopilot_reports.cli.columns import import_row, import_started_row
from autopilot_reports.cli.commands import queries_for
from autopilot_reports.cli.dates import check_order, exclusive_end, start_of
from autopilot_reports.cli.errors import CliError, ExitCode
from autopilot_reports.cli.output import Output
from autopilot_reports.cli.stderr import debug
from autopilot_reports.domain.untrusted import terminal_text
from autopilot_reports.models.common import iso_utc
from autopilot_reports.models.events import ImportProgress, ImportRequest

# CloudFormation names the table `<stack>-ReportsTable-<suffix>` (its logical id is pinned in
# infra/constructs/store.py), and the stack names its bus after itself (infra/stack.py).
STACK_OF_TABLE = re.compile(r"^(?P<stack>.+?)-ReportsTable")
ASK_FOR_BUS = "pass --bus NAME (the stack's EventBusName output)"


def import_history(args: argparse.Namespace, aws: Aws, out: Output) -> int:
    request = import_request(args.since, args.until, args.force)
    queries = queries_for(aws)
    before = queries.get_import_progress(request.import_id)
    if before is not None and before.status == "done" and not args.force:
        out.emit(before.model_dump(mode="json"), [import_row(before)], lambda console: already_done(console, before))
        return ExitCode.OK
    bus = bus_for(args, aws)
    if out.readable:
        announce = f"import {request.import_id}: the jobs created in {span(request)}, through bus {bus}"
        out.console.print(Text(terminal_text(announce)), soft_wrap=True)
    put_import_event(aws, bus, request)
    if args.no_wait:
        started = request.model_dump(mode="json", include={"import_id", "start", "end", "force"})
        out.emit(started, [import_started_row(request)], lambda console: started_note(console, request))
        return ExitCode.OK
    done = wait_for_import(queries, request, before, args, out)
    out.emit(
        done.model_dump(mode="json"),
        [import_row(done)],
        lambda console: console.print(render.import_summary(done), soft_wrap=True),
    )
    return ExitCode.OK


def span(request: ImportRequest) -> str:
    return f"[{iso_utc(request.start)}, {iso_utc(request.end)})"


def already_done(console: Console, progress: ImportProgress) -> None:
    console.print(render.import_summary(progress), soft_wrap=True)
    console.print(Text("This range was imported already; --force imports it again."))


def started_note(console: Console, request: ImportRequest) -> None:
    console.print(
        Text(f"started import {request.import_id} of {span(request)}; the same command again shows its progress")
    )


def import_request(since: str, until: str, force: bool) -> ImportRequest:
    start, end = start_of(since), exclusive_end(until)  # the import's range is half-open
    check_order(start, end)
    try:
        return ImportRequest(start=start, end=end, force=force)
    except ValidationError as error:
        raise CliError(ExitCode.BAD_DATE, f"bad import range: {error.errors()[0]['msg']}") from None


# --- the bus -------------------------------------------------------------------------------------------


def bus_for(args: argparse.Namespace, aws: Aws) -> str:
    """--bus; else the stack's EventBusName output when the stack is known (named, or the table comes
    from it); else, with only --table, the bus found beside that table."""
    if args.bus:
        return str(args.bus)
    if args.table is None or args.stack is not None:
        return aws.output(BUS_OUTPUT)
    bus = find_bus(aws)
    if aws.debug:
        debug(f"bus {bus}: its rules take history imports")
    return bus


def find_bus(aws: Aws) -> str:
    """The bus named after the table's stack, if its rules take history imports; else the one bus of
    the region whose rules do (ListEventBuses, ListRules). None or several: ask for --bus."""
    events = aws.client("events")
    named = STACK_OF_TABLE.match(aws.table())
    if named and takes_imports(events, named["stack"]):
        return named["stack"]
    takers = [bus for bus in all_buses(events) if takes_imports(events, bus)]
    if len(takers) == 1:
        return takers[0]
    if takers:
        raise CliError(
            ExitCode.NO_BUS, f"several event buses take history imports ({', '.join(takers)}); {ASK_FOR_BUS}"
        )
    looked = f"no bus named {named['stack']!r}, and " if named else ""
    raise CliError(
        ExitCode.NO_BUS,
        f"no event bus for table {aws.table_name!r} in {aws.region_name} ({looked}no bus with a history-import rule); "
        + ASK_FOR_BUS,
    )


def all_buses(events: Any) -> list[str]:
    names: list[str] = []
    params: dict[str, Any] = {}
    while True:
        page = _looking(lambda: events.list_event_buses(**params))
        names += [bus["Name"] for bus in page.get("EventBuses", [])]
        if not page.get("NextToken"):
            return names
        params["NextToken"] = page["NextToken"]


def takes_imports(events: Any, bus: str) -> bool:
    """Whether a rule on `bus` matches our history-import events (the stack's HistoryImportRule)."""
    params: dict[str, Any] = {"EventBusName": bus}
    while True:
        try:
            page = _looking(lambda: events.list_rules(**params))
        except _NoSuchBus:
            return False
        if any(_matches_imports(rule.get("EventPattern")) for rule in page.get("Rules", [])):
            return True
        if not page.get("NextToken"):
            return False
        params["NextToken"] = page["NextToken"]


class _NoSuchBus(Exception):
    pass


def _looking(call: Any) -> Any:
    """One EventBridge call of the search: a bus that is not there is an answer; any other refusal
    (e.g. no events:ListRules permission) ends the search with a request for --bus."""
    try:
        return call()
    except ClientError as error:
        code = str(error.response.get("Error", {}).get("Code", ""))
        if code == "ResourceNotFoundException":
            raise _NoSuchBus from None
        raise CliError(
            ExitCode.NO_BUS, f"cannot look for the event bus ({code} in {error.operation_name}); {ASK_FOR_BUS}"
        ) from None


def _matches_imports(pattern: str | None) -> bool:
    try:
        parsed = json.loads(pattern or "{}")
    except json.JSONDecodeError:
        return False
    if not isinstance(parsed, dict):
        return False
    return c.IMPORT_DETAIL_TYPE in parsed.get("detail-type", []) and c.EVENT_SOURCE in parsed.get("source", [])


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


# --- waiting -------------------------------------------------------------------------------------------


def wait_for_import(
    queries: ReportQueries,
    request: ImportRequest,
    before: ImportProgress | None,
    args: argparse.Namespace,
    out: Output,
) -> ImportProgress:
    """Polls the import's progress item until it says done (a done item left by an earlier run of the same
    range counts only once it has changed)."""
    deadline = time.monotonic() + args.timeout
    total = (request.end - request.start).total_seconds()
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[jobs_seen]} jobs seen, {task.fields[pieces]} pieces", markup=False),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=out.console, transient=False, disable=not out.readable) as bar:
        task = bar.add_task(f"import {request.import_id}", total=100, jobs_seen=0, pieces=0)
        while True:
            current = queries.get_import_progress(request.import_id)
            if current is not None and current != before:
                done = _percent(current, request, total)
                bar.update(task, completed=done, jobs_seen=current.jobs_seen, pieces=current.pieces)
                if current.status == "done":
                    return current
            if time.monotonic() >= deadline:
                seen = f"{current.jobs_seen} jobs seen so far" if current and current != before else "no progress yet"
                raise CliError(
                    ExitCode.TIMEOUT,
                    f"import {request.import_id} not done after {args.timeout:g}s ({seen}); it keeps running, re-run to watch",
                )
            time.sleep(args.poll_interval)


def _percent(progress: ImportProgress, request: ImportRequest, total: float) -> float:
    if progress.status == "done":
        return 100.0
    if progress.cursor is None or total <= 0:
        return 0.0
    return max(0.0, min(100.0, 100.0 * (progress.cursor - request.start).total_seconds() / total))
