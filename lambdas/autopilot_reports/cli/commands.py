"""The reading commands: show (and show --wait), history, list, watch, families, spokes. Every read is one
GetItem or Query (never a Scan); each command hands its answer to `Output` once, in all three forms.

On an organization's hub a job is its account, region and name: `show NAME` finds its places with one
Query (by_name) and, when the name ran in several, says so and lists them (exit 2) unless `--account`
(and the job's `--region`) pick one; `list --account ID` is one Query of by_account."""

from __future__ import annotations

import argparse
import contextlib
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from rich.status import Status
from rich.text import Text

from autopilot_reports import constants as c
from autopilot_reports.adapters.dynamodb_items import FAMILIES_PK, KeyScope, is_unreadable
from autopilot_reports.adapters.dynamodb_queries import ReportQueries
from autopilot_reports.cli import render
from autopilot_reports.cli.aws import Aws
from autopilot_reports.cli.columns import (
    family_fields,
    family_row,
    history_row,
    record_row,
    spoke_fields,
    spoke_row,
)
from autopilot_reports.cli.dates import check_order, inclusive_end, start_of, windows_back
from autopilot_reports.cli.errors import CliError, ExitCode
from autopilot_reports.cli.output import Output
from autopilot_reports.domain.untrusted import terminal_text
from autopilot_reports.models.common import iso_utc
from autopilot_reports.models.record import ReportRecord

FAR_FUTURE = datetime(9999, 12, 31, 23, 59, 59, 999000, tzinfo=UTC)
WATCH_WINDOW = 50  # the most recently modified jobs each watch poll reads (one Query)
ENDED = {c.COMPLETED: ExitCode.OK, c.FAILED: ExitCode.JOB_FAILED, c.STOPPED: ExitCode.JOB_STOPPED}


def queries_for(aws: Aws) -> ReportQueries:
    return ReportQueries(aws.table(), dynamodb=aws.client("dynamodb"), scope=aws.key_scope())


def no_job(job_name: str, aws: Aws, where: str = "") -> CliError:
    return CliError(ExitCode.NO_JOB, f"no report for job {job_name!r}{where} in table {aws.table_name!r}")


def organization(queries: ReportQueries) -> bool:
    return queries.scope is KeyScope.ORGANIZATION


@dataclass(frozen=True)
class JobWanted:
    """A job named on the command line: its name, and on a hub the account and region that pick it."""

    name: str
    account: str | None = None
    region: str | None = None

    @classmethod
    def of(cls, args: argparse.Namespace) -> JobWanted:
        return cls(args.job_name, getattr(args, "account", None), getattr(args, "job_region", None))

    def where(self) -> str:
        picked = [f"account {self.account}" if self.account else "", f"region {self.region}" if self.region else ""]
        shown = ", ".join(part for part in picked if part)
        return f" ({shown})" if shown else ""


def find_job(queries: ReportQueries, job: JobWanted) -> ReportRecord | None:
    """The job's latest report: one GetItem by name; on a hub one Query of the name's places, which must
    be one (else exit 2, listing them: pick one with --account and --region)."""
    if not organization(queries):
        return queries.get_report(job.name)
    found = queries.places_of(job.name, job.account, job.region)
    if len(found) > 1:
        places = "; ".join(
            f"--account {record.account_id} --region {record.region} ({record.account_label})"
            for record in sorted(found, key=lambda record: (record.account_id or "", record.region or ""))
        )
        raise CliError(
            ExitCode.USAGE,
            f"job {job.name!r} ran in {len(found)} places{job.where()}: pick one with {places}",
        )
    return found[0] if found else None


def emit_record(out: Output, record: ReportRecord) -> None:
    out.emit(record.model_dump(mode="json"), [record_row(record)], lambda console: render.show_report(console, record))


def newest_first(records: Sequence[ReportRecord]) -> list[ReportRecord]:
    return sorted(records, key=lambda record: (-record.last_modified_at.timestamp(), record.job_name))


# --- show ----------------------------------------------------------------------------------------------


def show(args: argparse.Namespace, aws: Aws, out: Output) -> int:
    if args.timeout is not None and not args.wait:
        raise CliError(ExitCode.USAGE, "--timeout goes with --wait (see autopilot-reports show --help)")
    queries = queries_for(aws)
    job = JobWanted.of(args)
    if not args.wait:
        record = find_job(queries, job)
        if record is None:
            raise no_job(job.name, aws, job.where())
        emit_record(out, record)
        return ExitCode.OK
    record = wait_until_ended(queries, job, args.timeout, args.poll_interval, out)
    emit_record(out, record)
    return ENDED.get(record.status, ExitCode.OK)


def wait_until_ended(
    queries: ReportQueries, job: JobWanted, timeout: float | None, interval: float, out: Output
) -> ReportRecord:
    """GetItem (a hub: a Query of the name's places) every `interval` seconds until the job's record is
    terminal. A job the table does not know yet is waited for too: its first record lands when the
    watcher sees it."""
    job_name = job.name
    deadline = None if timeout is None else time.monotonic() + timeout
    with _waiting(out, job_name) as status:
        while True:
            record = find_job(queries, job)
            if record is not None and record.is_terminal:
                return record
            state = f"{record.status} / {record.secondary_status}" if record else "no report yet"
            if status is not None:
                status.update(Text(terminal_text(f"waiting for {job_name} to end: {state}")))
            if deadline is not None and time.monotonic() >= deadline:
                raise CliError(
                    ExitCode.TIMEOUT,
                    f"job {job_name!r} has not ended after {timeout:g}s ({state}); run again to go on waiting",
                )
            remaining = interval if deadline is None else min(interval, max(deadline - time.monotonic(), 0.0))
            time.sleep(remaining)


@contextlib.contextmanager
def _waiting(out: Output, job_name: str) -> Iterator[Status | None]:
    """A spinner on a person's terminal (it leaves nothing behind); nothing in json or text, nor in a pipe."""
    if not out.animated:
        yield None
        return
    with out.console.status(Text(terminal_text(f"waiting for {job_name} to end"))) as status:
        yield status


# --- history -------------------------------------------------------------------------------------------


def history(args: argparse.Namespace, aws: Aws, out: Output) -> int:
    queries = queries_for(aws)
    job = JobWanted.of(args)
    if organization(queries):  # a hub keys history by the job's place: find it first
        record = find_job(queries, job)
        if record is None:
            raise no_job(job.name, aws, job.where())
        entries = queries.history(job.name, record.place)
    else:
        entries = queries.history(job.name)
        if not entries and queries.get_report(job.name) is None:
            raise no_job(job.name, aws)
    out.emit(
        [entry.model_dump(mode="json") for entry in entries],
        [history_row(entry) for entry in entries],
        lambda console: render.show_history(console, args.job_name, entries),
    )
    return ExitCode.OK


# --- list ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class JobFilter:
    status: str | None = None
    partial_failures: bool = False
    prefix: str = ""
    family: str = ""  # records carry their family; no index does, so it filters what the query read
    account: str | None = None  # on a hub: by_account is queried; elsewhere it filters what was read
    region: str | None = None  # the job's region: a filter on the read

    @property
    def index(self) -> str:
        return c.INDEX_BY_PARTIAL_FAILURE if self.partial_failures else c.INDEX_BY_STATUS

    @property
    def any(self) -> bool:
        return bool(self.status or self.partial_failures or self.prefix or self.family or self.account or self.region)

    def matches(self, record: ReportRecord) -> bool:
        return (
            record.job_name.startswith(self.prefix)
            and self.status in (None, record.status)
            and self.family in ("", record.family)
            and self.account in (None, record.account_id)
            and self.region in (None, record.region)
        )

    def describe(self) -> str:
        what = [self.status or "all statuses"]
        if self.partial_failures:
            what.append("with partial failures")
        if self.prefix:
            what.append(f"named {self.prefix}*")
        if self.family:
            what.append(f"family {self.family}")
        if self.account:
            what.append(f"account {self.account}")
        if self.region:
            what.append(f"region {self.region}")
        return ", ".join(what)

    def options(self) -> str:
        given = [
            ("--status", self.status),
            ("--partial-failures", self.partial_failures),
            ("--prefix", self.prefix),
            ("--family", self.family),
            ("--account", self.account),
            ("--region", self.region),
        ]
        return "/".join(option for option, value in given if value)


def in_range(queries: ReportQueries, jobs: JobFilter, start: datetime, end: datetime) -> list[ReportRecord]:
    """One Query on the narrowest index: by_partial_failure (sparse) or by_status; every status's
    partition when neither filter is given; on a hub, by_account for one account's jobs."""
    if jobs.account and organization(queries):
        found = queries.by_account(jobs.account, start, end, jobs.region)
    elif jobs.partial_failures:
        found = queries.with_partial_failures(start, end)
    elif jobs.status:
        found = queries.by_status(jobs.status, start, end)
    else:
        found = [record for status in c.JOB_STATUSES for record in queries.by_status(status, start, end)]
    return [record for record in found if jobs.matches(record)]


def newest(queries: ReportQueries, jobs: JobFilter, end: datetime | None, limit: int) -> list[ReportRecord]:
    """The newest jobs whatever their age: one Query on `recent` when nothing filters them; else the
    filter's index walked back in growing windows until `limit` jobs are found (or 1970 is reached)."""
    if not jobs.any and end is None and limit:
        return queries.recent(limit)
    found: list[ReportRecord] = []
    for start, stop in windows_back(end or FAR_FUTURE, datetime.now(UTC)):
        found += in_range(queries, jobs, start, stop)
        if limit and len(found) >= limit:
            break
    return found


def list_jobs(args: argparse.Namespace, aws: Aws, out: Output) -> int:
    jobs = JobFilter(args.status, args.partial_failures, args.prefix, args.family, args.account, args.job_region)
    start = start_of(args.since) if args.since else None
    end = inclusive_end(args.until) if args.until else None
    if start is not None:
        check_order(start, end or FAR_FUTURE)
    queries = queries_for(aws)
    if start is None:
        found = newest_first(newest(queries, jobs, end, args.limit))
        title = newest_title(jobs, end, found, args.limit)
    else:
        found = newest_first(in_range(queries, jobs, start, end or FAR_FUTURE))
        title = range_title(jobs, start, end, found, args.limit)
    shown = found[: args.limit] if args.limit else found
    if not shown:
        title = empty_answer(jobs, start, end)
        if not out.readable:
            out.note(title)
    out.emit(
        [record.model_dump(mode="json") for record in shown],
        [record_row(record) for record in shown],
        lambda console: render.show_list(console, shown, title, organization(queries)),
    )
    note_malformed(out, shown)
    return ExitCode.OK


def note_malformed(out: Output, records: Sequence[ReportRecord]) -> None:
    """Items that are not records are listed as far as they could be read (dynamodb_items.shown_record),
    and said to be so, beside the answer: they never sink it."""
    malformed = [record.job_name for record in records if is_unreadable(record)]
    if malformed:
        out.note(
            f"{plural_items(len(malformed))} malformed, shown only as far as it could be read: "
            + ", ".join(malformed)
            + " (`show NAME` says why)"
        )


def plural_items(count: int) -> str:
    return "1 item is" if count == 1 else f"{count} items are"


def modified(start: datetime | None, end: datetime | None) -> str:
    if start and end:
        return f"modified {iso_utc(start)} .. {iso_utc(end)}"
    if start:
        return f"modified since {iso_utc(start)}"
    return f"modified up to {iso_utc(end)}" if end else "of any age"


def range_title(
    jobs: JobFilter, start: datetime, end: datetime | None, found: Sequence[ReportRecord], limit: int
) -> str:
    title = f"{len(found)} jobs ({jobs.describe()}) {modified(start, end)}"
    if limit and len(found) > limit:
        title += f" (showing {limit} of {len(found)}; see --limit)"
    return title


def newest_title(jobs: JobFilter, end: datetime | None, found: Sequence[ReportRecord], limit: int) -> str:
    shown = min(len(found), limit) if limit else len(found)
    title = f"the {shown} newest jobs ({jobs.describe()}) {modified(None, end)}"
    if limit and len(found) >= limit:
        title += " (older ones: see --limit, --since)"
    return title


def empty_answer(jobs: JobFilter, start: datetime | None, end: datetime | None) -> str:
    """Which range and index came back empty, and how to widen the question."""
    index = c.INDEX_RECENT if start is None and end is None and not jobs.any else jobs.index
    if jobs.account and index != c.INDEX_RECENT:
        index = f"{c.INDEX_BY_ACCOUNT} (on a hub)"
    answer = f"0 jobs ({jobs.describe()}) {modified(start, end)} (index {index})"
    widen = []
    if start is not None:
        widen.append("an earlier --since")
    if end is not None:
        widen.append("a later --until")
    if widen:
        return f"{answer}; try {' or '.join(widen)}"
    if jobs.any:
        return f"{answer}; try without {jobs.options()}"
    return (
        f"{answer}: the table has no reports yet (a job appears once the watcher sees it; older jobs: import-history)"
    )


# --- watch ---------------------------------------------------------------------------------------------


def watch(args: argparse.Namespace, aws: Aws, out: Output) -> int:
    """Each job's report once, when it has ended, until Ctrl-C (exit 130). Jobs that had ended before
    the watch began are not shown, unless --since asks for those that ended since then."""
    queries = queries_for(aws)
    jobs = JobFilter(args.status, prefix=args.prefix)
    seen = {job_key(record) for record in queries.recent(WATCH_WINDOW) if record.is_terminal}
    if args.since:
        since = start_of(args.since)
        ended = [record for status in c.TERMINAL_STATUSES for record in queries.by_status(status, since, FAR_FUTURE)]
        seen |= land(out, ended, jobs, set())
    if out.readable:
        note = (
            f"watching table {aws.table_name} for jobs that end (a Query every {args.poll_interval:g}s; Ctrl-C stops)"
        )
        out.console.print(Text(terminal_text(note), style="dim"))
    while True:
        time.sleep(args.poll_interval)
        seen |= land(out, [record for record in queries.recent(WATCH_WINDOW) if record.is_terminal], jobs, seen)


def job_key(record: ReportRecord) -> tuple[str | None, str | None, str]:
    """A job's identity: its name, in its account and region (on a hub, one name may run in several)."""
    return (record.account_id, record.region, record.job_name)


def land(
    out: Output, ended: Sequence[ReportRecord], jobs: JobFilter, seen: set[tuple[str | None, str | None, str]]
) -> set[tuple[str | None, str | None, str]]:
    """Prints the ended jobs not seen yet that pass the filter, oldest first; returns the jobs it saw."""
    new = [record for record in ended if job_key(record) not in seen]
    for record in reversed(newest_first(new)):
        if jobs.matches(record):
            emit_landed(out, record)
    return {job_key(record) for record in new}


def emit_landed(out: Output, record: ReportRecord) -> None:
    out.emit(
        record.model_dump(mode="json"), [record_row(record)], lambda console: render.show_job_line(console, record)
    )


# --- families ------------------------------------------------------------------------------------------


def families(args: argparse.Namespace, aws: Aws, out: Output) -> int:
    """Each family's best job, its value, its number of jobs and its costed jobs' estimated cost: one Query
    (the by_status index's FAMILY partition), by family name; --prefix filters the names."""
    found = [row for row in queries_for(aws).family_rows() if row[0].family.startswith(args.prefix)]
    found.sort(key=lambda family: family[0].family)
    title = families_title(args.prefix, len(found))
    if not found and not out.readable:
        out.note(title)
    fields = [family_fields(standing, jobs, cost) for standing, jobs, cost in found]
    out.emit(fields, [family_row(each) for each in fields], lambda console: render.show_families(console, found, title))
    return ExitCode.OK


def families_title(prefix: str, count: int) -> str:
    """How many families (named how), by name; an empty answer says where it looked and what to try."""
    named = f" named {prefix}*" if prefix else ""
    if count:
        return f"{count} {'family' if count == 1 else 'families'}{named}, by name"
    answer = f"0 families{named} (index {c.INDEX_BY_STATUS}, partition {FAMILIES_PK})"
    if prefix:
        return f"{answer}; try without --prefix"
    return f"{answer}: no job has been reported yet (a family appears with its first job's report)"


# --- spokes --------------------------------------------------------------------------------------------


def spokes(args: argparse.Namespace, aws: Aws, out: Output) -> int:
    """An organization's hub: each spoke it has heard from, by account and region, with its last heartbeat,
    version and job counts (one Query of the spokes, and one of by_account per account)."""
    aws.hub = True
    queries = queries_for(aws)
    found = sorted(queries.spokes(), key=lambda spoke: spoke.place)
    counts = {account: queries.job_counts(account) for account in sorted({spoke.place.account for spoke in found})}
    fields = [
        spoke_fields(
            spoke,
            {status: n for (region, status), n in counts[spoke.place.account].items() if region == spoke.place.region},
        )
        for spoke in found
    ]
    title = spokes_title(len(found))
    if not found and not out.readable:
        out.note(title)
    out.emit(fields, [spoke_row(each) for each in fields], lambda console: render.show_spokes(console, fields, title))
    return ExitCode.OK


def spokes_title(count: int) -> str:
    if count:
        return f"{count} {'spoke' if count == 1 else 'spokes'} heard from, by account and region"
    return (
        "0 spokes: the hub has heard no heartbeat yet (a spoke sends one within an hour of its first tick; "
        "is this a hub's table? see --hub)"
    )
