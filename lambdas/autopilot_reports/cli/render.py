"""Readable output (Rich), for `--output table`. The json and text forms live in `output.py` and
`columns.py`.

Every data string (names, statuses, labels, S3 prefixes, failure reasons, partial failures) becomes a
`Text` through `data()`, the terminal gate of domain/untrusted.py, and the console reads no markup: what
the job wrote is shown, never obeyed (docs/design.md §4.2). Layout follows layout.py: nothing a person copies is
cut or ellipsized, at 80 columns too.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rich.console import Console
from rich.style import Style
from rich.text import Text

from autopilot_reports.cli.layout import INDENT, Column, fitted_table, print_fact, print_flow, print_free, print_line
from autopilot_reports.domain.family import FamilyStanding
from autopilot_reports.domain.links import Link, report_links
from autopilot_reports.domain.notification.common import (
    DIRECTION_UNKNOWN,
    duration,
    family_line,
    metric_name,
    money,
)
from autopilot_reports.domain.notification.common import metric_grid as shared_metric_grid
from autopilot_reports.domain.untrusted import terminal_text
from autopilot_reports.models.common import hours_minutes, iso_utc
from autopilot_reports.models.cost import FamilyCost
from autopilot_reports.models.events import ImportProgress
from autopilot_reports.models.record import (
    CandidateMetric,
    FeatureImportance,
    HistoryEntry,
    LeaderboardEntry,
    Objective,
    ReportRecord,
)

BAR_WIDTH = 32
MIN_BAR_WIDTH = 8
BAR = "█"
STATUS_STYLES = {"Completed": "bold green", "Failed": "bold red", "Stopped": "bold yellow", "Stopping": "yellow"}
LIST_TABLE = (
    Column("job"),
    Column("status"),
    Column("last modified"),
    Column("objective"),
    Column("explainability"),
    Column("partial failures", justify="right"),
    Column("est. cost", justify="right"),
)
HISTORY_TABLE = (
    Column("last modified"),
    Column("status"),
    Column("explainability"),
    Column("partial failures", justify="right"),
    Column("detected by"),
    Column("failure reason", whole=False),
)
ORGANIZATION_LIST_TABLE = (Column("account"), Column("region"), *LIST_TABLE)
SPOKES_TABLE = (
    Column("account"),
    Column("region"),
    Column("last heartbeat"),
    Column("version"),
    Column("jobs", justify="right"),
    Column("failed", justify="right"),
)
FAMILIES_TABLE = (
    Column("family"),
    Column("best job"),
    Column("best"),
    Column("jobs", justify="right"),
    Column("est. cost", justify="right"),
)
INSTANCE_TABLE = (Column("instance type"), Column("instance time", justify="right"))
LEADERBOARD_TABLE = (
    Column("#", justify="right"),
    Column("candidate"),
    Column("objective"),
    Column("explainability"),
    Column("model insights"),
)


def data(value: str | None, style: str = "", multiline: bool = False) -> Text:
    """A data string for the terminal: hidden characters shown, never markup; `-` when absent."""
    if not value:
        return Text("-", style="dim")
    return Text(terminal_text(value, multiline=multiline), style=style)


def status_text(status: str, secondary: str | None = None) -> Text:
    text = data(status, STATUS_STYLES.get(status, "bold cyan"))
    if secondary and secondary != status:
        text.append_text(Text(" / ") + data(secondary))
    return text


def when(value: datetime | None) -> Text:
    return Text(iso_utc(value)) if value else Text("-", style="dim")


def metric_label(name: str, standard: str | None) -> str:
    """A metric's name as given, plus its standard name where it differs (`validation:mse (MSE)`); both
    through the terminal gate."""
    return metric_name(name, standard, terminal_text)


def readable_number(value: float | None) -> str:
    return "-" if value is None else f"{value:.6g}"


def score_text(metric: str, value: float | None, direction: str | None) -> Text:
    """`metric = value (direction)`, `metric` already through the gate; an unknown direction says so."""
    text = Text(f"{metric} = ")
    text.append(readable_number(value), style="bold")
    text.append(f" ({terminal_text(direction) if direction else DIRECTION_UNKNOWN})", style="dim")
    return text


def objective_text(objective: Objective | None) -> Text:
    if objective is None:
        return Text("-", style="dim")
    return score_text(metric_label(objective.metric, objective.standard_metric), objective.value, objective.direction)


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


# --- show ----------------------------------------------------------------------------------------------


def show_report(console: Console, record: ReportRecord) -> None:
    console.print(data(record.job_name, "bold"), soft_wrap=True)
    _summary(console, record)
    for section in (_metrics, _features, _partial_failures, _failure, _notes, _leaderboard, _compute, _links):
        section(console, record)


def _summary(console: Console, record: ReportRecord) -> None:
    explainability = data(record.explainability.state.value)
    if record.explainability.reason:
        explainability.append_text(Text(" (") + data(record.explainability.reason) + Text(")"))
    print_fact(console, "status", status_text(record.status, record.secondary_status))
    if record.why_ended:
        print_fact(console, "why it ended", data(record.why_ended), whole=False)
    print_fact(console, "problem type", data(record.problem_type))
    print_fact(console, "account", data(record.account_label))
    print_fact(console, "region", data(record.region))
    print_fact(console, "api", data(record.api))
    print_fact(console, "objective", objective_text(record.objective))
    print_fact(console, "best candidate", data(record.best_candidate))
    if record.endpoint:
        print_fact(console, "endpoint", data(record.endpoint))
    print_fact(console, "explainability", explainability, whole=not record.explainability.reason)
    family = family_line(record, terminal_text)
    if family:
        print_fact(console, "family", Text(family), whole=False)
    print_fact(console, "created", when(record.created_at))
    print_fact(console, "ended", when(record.ended_at))
    if record.duration_seconds is not None:
        print_fact(console, "duration", Text(duration(record.duration_seconds)))
    print_fact(console, "last modified", when(record.last_modified_at))
    print_fact(console, "notified", when(record.notified_at))
    print_fact(console, "arn", data(record.job_arn))


def _metrics(console: Console, record: ReportRecord) -> None:
    """The best candidate's metrics: one row per metric, one column per data set (Train, Validation,
    Test as AWS gives them); as blocks where the table does not fit."""
    if not record.best_candidate_metrics:
        return
    console.print(Text("Best candidate's metrics", style="bold"))
    sets, grid = metric_grid(record.best_candidate_metrics)
    columns = (Column("metric"), *(Column(Text(name), justify="right") for name in sets))
    rows = [[Text(label), *(Text(values.get(name, "-")) for name in sets)] for label, values in grid.items()]
    table = fitted_table(console, columns, rows)
    if table is not None:
        console.print(table)
        return
    for label, values in grid.items():
        console.print(Text.assemble(INDENT, label), soft_wrap=True)
        print_flow(console, [Text(f"{name} {values.get(name, '-')}") for name in sets], INDENT * 2)


def metric_grid(metrics: Sequence[CandidateMetric]) -> tuple[list[str], dict[str, dict[str, str]]]:
    """The metrics by data set, for the terminal (domain.notification.common.metric_grid)."""
    return shared_metric_grid(metrics, terminal_text, readable_number)


def _features(console: Console, record: ReportRecord) -> None:
    features = record.explainability.top_features
    if not features:
        return
    labels = record.explainability.labels
    title = Text(f"Top features ({len(features)} of {record.explainability.feature_count}", style="bold")
    if labels:
        title.append_text(Text("; labels ", style="bold") + Text(", ").join(data(label, "bold") for label in labels))
    console.print(title + Text(")", style="bold"))
    names = [data(item.feature) for item in features]
    name_width = max(name.cell_len for name in names)
    importance_width = max(len(f"{item.importance:.4f}") for item in features)
    bar_width = min(BAR_WIDTH, console.width - len(INDENT) - name_width - importance_width - 4)
    if bar_width >= MIN_BAR_WIDTH:
        for name, item in zip(names, features, strict=True):
            name.pad_right(name_width - name.cell_len)
            bar = _bar(item, features, bar_width).ljust(bar_width)
            console.print(Text.assemble(INDENT, name, "  ", (bar, "magenta"), "  ", f"{item.importance:.4f}"))
        return
    for name, item in zip(names, features, strict=True):  # a name too long for a bar beside it
        console.print(Text.assemble(INDENT, name), soft_wrap=True)
        bar = _bar(item, features, BAR_WIDTH // 2)
        console.print(Text.assemble(INDENT * 2, (bar, "magenta"), " ", f"{item.importance:.4f}"))


def _bar(item: FeatureImportance, features: Sequence[FeatureImportance], width: int) -> str:
    top = max((each.importance for each in features), default=0.0)
    length = round(width * item.importance / top) if top > 0 else 0
    return BAR * max(length, 0)


def _partial_failures(console: Console, record: ReportRecord) -> None:
    if not record.partial_failures:
        return
    console.print(Text(f"Partial failures ({len(record.partial_failures)})", style="bold yellow"))
    _bullets(console, [data(message, multiline=True) for message in record.partial_failures])


def _failure(console: Console, record: ReportRecord) -> None:
    if record.failure_reason:
        print_free(console, Text("Failure reason: ", style="bold red"), data(record.failure_reason, multiline=True), "")


def _notes(console: Console, record: ReportRecord) -> None:
    if not record.notes:
        return
    console.print(Text("Notes", style="bold"))
    _bullets(console, [data(note, multiline=True) for note in record.notes])


def _bullets(console: Console, items: Sequence[Text]) -> None:
    """Free text, one bullet each; a multi-line item stays indented under its bullet."""
    for item in items:
        print_free(console, Text("• "), item)


def _leaderboard(console: Console, record: ReportRecord) -> None:
    if record.leaderboard is None:
        return
    if not record.leaderboard:
        console.print(Text("Leaderboard: no completed candidates", style="dim"))
        return
    console.print(
        Text(f"Leaderboard ({plural(len(record.leaderboard), 'completed candidate')}, best first)", style="bold")
    )
    rows = [_leaderboard_row(rank, entry) for rank, entry in enumerate(record.leaderboard, start=1)]
    table = fitted_table(console, LEADERBOARD_TABLE, rows)
    if table is not None:
        console.print(table)
        return
    for rank, entry in enumerate(record.leaderboard, start=1):
        console.print(Text.assemble(INDENT, f"{rank}. ", data(entry.candidate, "bold")), soft_wrap=True)
        indent = INDENT * 2
        print_fact(console, "objective", objective_text(entry.objective), indent)
        if entry.explainability_prefix:
            print_fact(console, "explainability", data(entry.explainability_prefix), indent)
        if entry.model_insights_prefix:
            print_fact(console, "model insights", data(entry.model_insights_prefix), indent)


def _leaderboard_row(rank: int, entry: LeaderboardEntry) -> list[Text]:
    return [
        Text(str(rank)),
        data(entry.candidate),
        objective_text(entry.objective),
        data(entry.explainability_prefix),
        data(entry.model_insights_prefix),
    ]


def cost_text(record: ReportRecord) -> Text:
    """The job's estimated cost in a cell: `-` before the job ends, `not yet` until it is costed."""
    compute = record.compute
    if compute is None:
        return Text("not yet" if record.is_terminal else "-", style="dim")
    estimate = compute.estimated_cost
    if estimate is None:
        return Text("unknown", style="dim")
    text = Text(money(estimate.amount, estimate.currency, terminal_text))
    if compute.incomplete:
        text.append(" (part)", style="dim")
    return text


def _compute(console: Console, record: ReportRecord) -> None:
    """What the child jobs used and the estimate (docs/design.md §4, `compute`), once the coster wrote it."""
    compute = record.compute
    if compute is None:
        if record.is_terminal:
            console.print(Text("Compute: not costed yet (the coster adds it after the report)", style="dim"))
        return
    console.print(Text("Compute and estimated cost", style="bold"))
    estimate = compute.estimated_cost
    print_fact(console, "estimated cost", cost_text(record))
    if estimate is not None:
        print_fact(console, "basis", data(estimate.basis), whole=False)
    kinds = ", ".join(f"{count} {kind}" for kind, count in compute.child_jobs.items() if count) or "none"
    print_fact(console, "child jobs", Text(kinds))
    print_fact(console, "billable time", Text(hours_minutes(compute.billable_seconds)))
    if compute.spot_savings_seconds:
        print_fact(console, "saved by spot", Text(hours_minutes(compute.spot_savings_seconds)))
    rows = [[data(kind), Text(hours_minutes(seconds))] for kind, seconds in compute.instance_seconds.items()]
    table = fitted_table(console, INSTANCE_TABLE, rows) if rows else None
    if table is not None:
        console.print(table)
    else:
        for row in rows:
            print_line(console, row[0], row[1], INDENT * 2)
    if compute.incomplete:
        print_free(console, Text("Left out: ", style="bold yellow"), data(compute.incomplete, multiline=True))


def _links(console: Console, record: ReportRecord) -> None:
    links = report_links(record)
    console.print(Text("Links", style="bold"))
    for link in (links.job, *links.artifacts):
        print_line(console, Text(f"{link.label}:"), _target(link))


def _target(link: Link) -> Text:
    """Our own https link (built from the ARN and URIs, percent-encoded) is clickable; an s3:// URI or the
    lack of a console is plain text."""
    if link.url:
        url = terminal_text(link.url)
        return Text(url, style=Style(link=url))
    if link.s3_uri:
        return data(link.s3_uri)
    return Text("(no console link for this partition and region)", style="dim")


# --- history -------------------------------------------------------------------------------------------


def show_history(console: Console, job_name: str, entries: Sequence[HistoryEntry]) -> None:
    console.print(
        Text("History of ", style="bold")
        + data(job_name, "bold")
        + Text(f" ({plural(len(entries), 'transition')})", style="bold")
    )
    rows = [
        [
            when(entry.last_modified_at),
            status_text(entry.status, entry.secondary_status),
            Text(entry.explainability_state.value),
            Text(str(entry.partial_failure_count)),
            data(entry.detected_by),
            data(entry.failure_reason, multiline=True),
        ]
        for entry in entries
    ]
    table = fitted_table(console, HISTORY_TABLE, rows)
    if table is not None:
        console.print(table)
        return
    for entry in entries:
        print_flow(console, [when(entry.last_modified_at), status_text(entry.status, entry.secondary_status)], "")
        facts = [
            Text(f"explainability {entry.explainability_state.value}"),
            Text(plural(entry.partial_failure_count, "partial failure")),
            Text("detected by ") + data(entry.detected_by),
        ]
        print_flow(console, facts)
        if entry.failure_reason:
            print_fact(console, "failure reason", data(entry.failure_reason, multiline=True), whole=False)


# --- list and watch ------------------------------------------------------------------------------------


def show_list(console: Console, records: Sequence[ReportRecord], title: str, organization: bool = False) -> None:
    """The jobs as a table (on a hub, each with its account and region first), or as blocks where it does
    not fit."""
    console.print(Text(terminal_text(title), style="bold"))
    if not records:
        return
    columns = ORGANIZATION_LIST_TABLE if organization else LIST_TABLE
    rows = [[*_place_cells(record), *_list_row(record)] if organization else _list_row(record) for record in records]
    table = fitted_table(console, columns, rows)
    if table is not None:
        console.print(table)
        return
    for record in records:
        show_job_line(console, record, organization)


def _place_cells(record: ReportRecord) -> list[Text]:
    return [data(record.account_label), data(record.region)]


def _list_row(record: ReportRecord) -> list[Text]:
    return [
        data(record.job_name),
        status_text(record.status, record.secondary_status),
        when(record.last_modified_at),
        objective_text(record.objective),
        Text(record.explainability.state.value),
        Text(str(len(record.partial_failures))),
        cost_text(record),
    ]


def show_job_line(console: Console, record: ReportRecord, organization: bool = False) -> None:
    """One job as a block: its name on a line of its own, then its facts (list at 80 columns, watch)."""
    console.print(data(record.job_name, "bold"), soft_wrap=True)
    facts = [status_text(record.status, record.secondary_status), when(record.last_modified_at)]
    if organization:
        facts[:0] = _place_cells(record)
    if record.objective is not None:
        facts.append(objective_text(record.objective))
    facts.append(Text(f"explainability {record.explainability.state.value}"))
    facts.append(Text(plural(len(record.partial_failures), "partial failure")))
    if record.compute is not None:
        facts.append(Text("est. cost ") + cost_text(record))
    print_flow(console, facts)


# --- families ------------------------------------------------------------------------------------------


def show_families(
    console: Console, families: Sequence[tuple[FamilyStanding, int, FamilyCost | None]], title: str
) -> None:
    console.print(Text(terminal_text(title), style="bold"))
    if not families:
        return
    rows = [
        [data(standing.family), _best_job(standing), _best_text(standing), Text(str(jobs)), _family_cost(cost)]
        for standing, jobs, cost in families
    ]
    table = fitted_table(console, FAMILIES_TABLE, rows)
    if table is not None:
        console.print(table)
        return
    for standing, jobs, cost in families:  # one family as a block: its name, then its best, jobs and cost
        console.print(data(standing.family, "bold"), soft_wrap=True)
        facts = [Text("best ") + _best_job(standing), _best_text(standing), Text(plural(jobs, "job"))]
        if cost is not None:
            facts.append(Text("est. cost ") + _family_cost(cost))
        print_flow(console, facts if standing.best else facts[1:])


def _family_cost(cost: FamilyCost | None) -> Text:
    """The family's costed jobs' estimates summed, and how many jobs that is."""
    if cost is None:
        return Text("-", style="dim")
    return Text(money(cost.amount, cost.currency, terminal_text)) + Text(f" ({plural(cost.jobs, 'job')})", style="dim")


def _best_job(standing: FamilyStanding) -> Text:
    return data(standing.best.job_name if standing.best else None)


def _best_text(standing: FamilyStanding) -> Text:
    """The family's best value on its metric, in its direction; a family with no scored job says so."""
    if standing.best is None:
        return Text("no best yet", style="dim")
    metric = terminal_text(standing.metric) if standing.metric else "objective"
    return score_text(metric, standing.best.value, standing.direction)


# --- spokes --------------------------------------------------------------------------------------------


def show_spokes(console: Console, spokes: Sequence[dict[str, object]], title: str) -> None:
    """A hub's spokes (columns.spoke_fields), as a table or, where it does not fit, one block each."""
    console.print(Text(terminal_text(title), style="bold"))
    if not spokes:
        return
    rows = [
        [
            data(_account(spoke)),
            data(str(spoke["region"])),
            data(str(spoke["last_heartbeat"]), "bold red" if spoke["silent_alerted"] else ""),
            data(str(spoke["version"] or "")),
            Text(str(spoke["jobs"])),
            Text(str(spoke["failed"])),
        ]
        for spoke in spokes
    ]
    table = fitted_table(console, SPOKES_TABLE, rows)
    if table is not None:
        console.print(table)
        return
    for spoke, row in zip(spokes, rows, strict=True):
        console.print(row[0], soft_wrap=True)
        silent = [Text("silent: alerted", style="bold red")] if spoke["silent_alerted"] else []
        facts = [
            row[1],
            Text("heartbeat ") + row[2],
            Text("version ") + row[3],
            Text(plural(int(str(spoke["jobs"])), "job")),
        ]
        print_flow(console, facts + silent)


def _account(spoke: dict[str, object]) -> str:
    name = spoke.get("account_name")
    return f"{spoke['account_id']} ({name})" if name else str(spoke["account_id"])


# --- import-history ------------------------------------------------------------------------------------


def import_summary(progress: ImportProgress) -> Text:
    return Text(
        f"import {progress.import_id} {progress.status}: {progress.jobs_seen} jobs seen, "
        f"{progress.published} published, {progress.pieces} pieces (last update {iso_utc(progress.updated_at)})"
    )
