"""Readable output (Rich). The JSON output is the record contract and lives in `main.py`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rich import box
from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from autopilot_reports.domain.links import report_links
from autopilot_reports.models.common import iso_utc
from autopilot_reports.models.events import ImportProgress
from autopilot_reports.models.record import HistoryEntry, Objective, ReportRecord

BAR_WIDTH = 32
STATUS_STYLES = {"Completed": "bold green", "Failed": "bold red", "Stopped": "bold yellow", "Stopping": "yellow"}
MISSING = Text("-", style="dim")


def status_text(status: str, secondary: str | None = None) -> Text:
    text = Text(status, style=STATUS_STYLES.get(status, "bold cyan"))
    if secondary and secondary != status:
        text.append(f" / {secondary}", style="default")
    return text


def when(value: datetime | None) -> Text:
    return Text(iso_utc(value)) if value else MISSING


def objective_text(objective: Objective | None) -> Text:
    if objective is None:
        return MISSING
    value = "-" if objective.value is None else f"{objective.value:.6g}"
    text = Text(f"{objective.metric} = ")
    text.append(value, style="bold")
    if objective.type:
        text.append(f" ({objective.type})", style="dim")
    return text


def show_report(console: Console, record: ReportRecord) -> None:
    console.print(_summary_panel(record))
    for section in (_features(record), _partial_failures(record), _failure(record), _leaderboard(record)):
        if section is not None:
            console.print(section)
    links = report_links(record)
    console.print(Text("Links", style="bold"))
    for link in (links.job, *links.artifacts):
        target = link.url or link.s3_uri or "(no console link in this partition)"
        console.print(Text.assemble(f"  {link.label}: ", (target, f"link {target}")), soft_wrap=True)


def _summary_panel(record: ReportRecord) -> Panel:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="dim", no_wrap=True)
    grid.add_column()
    explainability = Text(record.explainability.state.value)
    if record.explainability.reason:
        explainability.append(f" ({record.explainability.reason})", style="dim")
    rows: list[tuple[str, RenderableType]] = [
        ("status", status_text(record.status, record.secondary_status)),
        ("problem type", Text(record.problem_type or "-")),
        ("api", Text(record.api)),
        ("objective", objective_text(record.objective)),
        ("best candidate", Text(record.best_candidate or "-")),
        ("explainability", explainability),
        ("created", when(record.created_at)),
        ("ended", when(record.ended_at)),
        ("last modified", when(record.last_modified_at)),
        ("notified", when(record.notified_at)),
    ]
    if record.endpoint:
        rows.insert(5, ("endpoint", Text(record.endpoint)))
    for label, value in rows:
        grid.add_row(label, value)
    return Panel(grid, title=Text(record.job_name, style="bold"), title_align="left", subtitle=record.job_arn)


def _features(record: ReportRecord) -> RenderableType | None:
    features = record.explainability.top_features
    if not features:
        return None
    top = max((item.importance for item in features), default=0.0)
    table = Table(box=box.SIMPLE, show_header=False, pad_edge=False)
    table.add_column("feature", no_wrap=True)
    table.add_column("bar", no_wrap=True)
    table.add_column("importance", justify="right")
    for item in features:
        length = round(BAR_WIDTH * item.importance / top) if top > 0 else 0
        table.add_row(Text(item.feature), Text("█" * max(length, 0), style="magenta"), f"{item.importance:.4f}")
    title = f"Top features ({len(features)} of {record.explainability.feature_count}"
    labels = record.explainability.labels
    title += f"; labels {', '.join(labels)})" if labels else ")"
    return Group(Text(title, style="bold"), table)


def _partial_failures(record: ReportRecord) -> RenderableType | None:
    if not record.partial_failures:
        return None
    lines = [Text(f"Partial failures ({len(record.partial_failures)})", style="bold yellow")]
    lines += [Text.assemble("  • ", message) for message in record.partial_failures]
    return Group(*lines)


def _failure(record: ReportRecord) -> RenderableType | None:
    if not record.failure_reason:
        return None
    return Text.assemble(("Failure reason: ", "bold red"), record.failure_reason)


def _leaderboard(record: ReportRecord) -> RenderableType | None:
    if record.leaderboard is None:
        return None
    if not record.leaderboard:
        return Text("Leaderboard: no completed candidates", style="dim")
    table = Table(title="Leaderboard", title_justify="left", title_style="bold", box=box.SIMPLE_HEAD)
    table.add_column("#", justify="right")
    table.add_column("candidate", overflow="fold")
    table.add_column("objective")
    table.add_column("explainability", overflow="fold")
    table.add_column("model insights", overflow="fold")
    for rank, entry in enumerate(record.leaderboard, start=1):
        table.add_row(
            str(rank),
            Text(entry.candidate),
            objective_text(entry.objective),
            Text(entry.explainability_prefix or "-"),
            Text(entry.model_insights_prefix or "-"),
        )
    return table


def show_history(console: Console, job_name: str, entries: Sequence[HistoryEntry]) -> None:
    table = Table(
        title=f"History of {job_name} ({len(entries)} transitions)", title_justify="left", box=box.SIMPLE_HEAD
    )
    for column in ("last modified", "status", "explainability", "partial failures", "failure reason", "detected by"):
        table.add_column(column)
    for entry in entries:
        table.add_row(
            when(entry.last_modified_at),
            status_text(entry.status, entry.secondary_status),
            entry.explainability_state.value,
            str(entry.partial_failure_count),
            Text(entry.failure_reason or "-"),
            entry.detected_by or "-",
        )
    console.print(table)


def show_list(console: Console, records: Sequence[ReportRecord], title: str, total: int) -> None:
    if total > len(records):
        title += f" (showing {len(records)} of {total}; see --limit)"
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD)
    for column in ("job", "status", "last modified", "objective", "explainability", "partial failures"):
        table.add_column(column, no_wrap=column in ("job", "last modified"))
    for record in records:
        table.add_row(
            Text(record.job_name),
            status_text(record.status, record.secondary_status),
            when(record.last_modified_at),
            objective_text(record.objective),
            record.explainability.state.value,
            str(len(record.partial_failures)),
        )
    console.print(table)


def import_summary(progress: ImportProgress) -> Text:
    return Text(
        f"import {progress.import_id} {progress.status}: {progress.jobs_seen} jobs seen, "
        f"{progress.published} published, {progress.pieces} pieces (last update {iso_utc(progress.updated_at)})"
    )
