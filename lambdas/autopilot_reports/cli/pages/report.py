"""One job's page: the header, the top features, the leaderboard, the metrics by data set, the family's
jobs over time, partial failures and the failure reason, every artifact as a console link, and the cost
once the record has it.

Every data text reaches the page through `markup` (the HTML gate) or a chart (`chart_label`); the words
and numbers shared with the other media come from domain.notification.common, given the HTML gate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from autopilot_reports.cli.pages import charts
from autopilot_reports.cli.pages.charts import Chart, Run, Scored
from autopilot_reports.cli.pages.facts import Cost, cost_of
from autopilot_reports.cli.pages.markup import Markup, document, el, join, text
from autopilot_reports.cli.pages.parts import Rendered, badge, figure, gated, link, number, plural, when
from autopilot_reports.domain.arns import arn_partition, arn_region
from autopilot_reports.domain.family import FamilyStanding
from autopilot_reports.domain.links import Link, report_links, s3_console_url
from autopilot_reports.domain.notification.common import (
    DIRECTION_UNKNOWN,
    duration,
    family_line,
    importance_basis,
    metric_grid,
    metric_name,
    money,
)
from autopilot_reports.domain.untrusted import html_text
from autopilot_reports.models.common import hours_minutes, iso_utc
from autopilot_reports.models.record import LeaderboardEntry, Objective, ReportRecord


@dataclass(frozen=True)
class JobPage:
    """What the job's page shows, as the CLI read it from the table."""

    record: ReportRecord
    family_runs: Sequence[ReportRecord]  # the family's Completed jobs the table holds (this one among them)
    standing: FamilyStanding | None  # the family's best now, from the families partition
    family_jobs: int | None  # the family's number of ended jobs
    generated_at: datetime
    source: str  # where the page was read from, in words


def direction_text(direction: str | None) -> str:
    return f"{direction}: {charts.direction_words(direction)}" if direction else DIRECTION_UNKNOWN


def objective_markup(objective: Objective | None) -> Markup:
    if objective is None:
        return Markup("-")
    name = metric_name(objective.metric, objective.standard_metric, gated)
    return Markup(f"{name} = <b>{number(objective.value)}</b> ({direction_text(objective.direction)})")


def status_markup(record: ReportRecord) -> Markup:
    """The status as a badge, and the secondary status where it says more."""
    if record.secondary_status in ("", record.status):
        return badge(record.status)
    return join([badge(record.status), Markup(" "), text(record.secondary_status)])


# --- the page ------------------------------------------------------------------------------------------


def report_page(page: JobPage) -> Rendered:
    record = page.record
    drawn: list[Chart] = []
    sections = [
        header(page),
        features_section(record, drawn),
        leaderboard_section(record, drawn),
        metrics_section(record),
        family_section(page, drawn),
        failures_section(record),
        artifacts_section(record),
        cost_section(cost_of(record)),
        footer(page),
    ]
    title = f"{record.job_name}: {record.status}"
    html = document(title, join(sections), [style for chart in drawn for style in chart.styles])
    return Rendered(html, tuple(drawn))


def header(page: JobPage) -> Markup:
    record = page.record
    facts: list[tuple[str, Markup | str | None]] = [
        ("status", status_markup(record)),
        ("why it ended", record.why_ended),
        ("duration", duration(record.duration_seconds) if record.duration_seconds is not None else None),
        ("objective", objective_markup(record.objective)),
        ("problem type", record.problem_type),
        ("best candidate", record.best_candidate),
        ("endpoint", record.endpoint),
        ("family", Markup(line) if (line := family_line(record, gated)) else record.family or None),
        ("account", record.account_id),
        ("region", record.region or None),
        ("created", when(record.created_at)),
        ("ended", when(record.ended_at) if record.ended_at else None),
        ("notified", when(record.notified_at) if record.notified_at else None),
        ("api", record.api),
    ]
    rows = [el("dt", name) + el("dd", value) for name, value in facts if value]
    return join(
        [
            el("h1", record.job_name),
            el("p", "AutoML job report", class_="sub"),
            el("dl", rows, class_="facts"),
        ]
    )


def features_section(record: ReportRecord, drawn: list[Chart]) -> Markup:
    explainability = record.explainability
    features = explainability.top_features
    heading = el("h2", "Top features")
    if not features:
        state = f"Explainability: {explainability.state.value}"
        return heading + el("p", state + (f" ({explainability.reason})" if explainability.reason else ""))
    chart = charts.feature_importances(features)
    drawn.append(chart)
    basis = text(importance_basis(explainability.labels, str))  # gated whole, after it cut the labels
    caption = Markup(f"The top {len(features)} of {explainability.feature_count} features ({basis}).")
    rows = [
        el("tr", el("td", str(rank), class_="number"), el("td", item.feature), el("td", f"{item.importance:.4g}"))
        for rank, item in enumerate(features, start=1)
    ]
    table = el(
        "details",
        el("summary", "the features as a table"),
        el("table", el("tr", el("th", "#", class_="number"), el("th", "feature"), el("th", "importance")), rows),
    )
    return heading + figure(chart, caption) + table


def leaderboard_section(record: ReportRecord, drawn: list[Chart]) -> Markup:
    heading = el("h2", "Leaderboard")
    board = record.leaderboard
    if board is None:
        return heading + el("p", "The leaderboard is made when the job ends.", class_="note")
    if not board:
        return heading + el("p", "No completed candidates.", class_="note")
    objective = record.objective or next((entry.objective for entry in board if entry.objective), None)
    metric = objective.standard_metric or objective.metric if objective else "objective"
    direction = objective.direction if objective else None
    scored = [Scored(entry.candidate, value) for entry in board if (value := _value(entry)) is not None]
    parts = [heading]
    if scored:
        chart = charts.leaderboard(scored, metric, direction)
        drawn.append(chart)
        caption = (
            f"{plural(len(board), 'completed candidate')}, best first: {metric}, {charts.direction_words(direction)}."
        )
        parts.append(figure(chart, caption))
    parts.append(leaderboard_table(record, board))
    return join(parts)


def _value(entry: LeaderboardEntry) -> float | None:
    return entry.objective.value if entry.objective else None


def leaderboard_table(record: ReportRecord, board: Sequence[LeaderboardEntry]) -> Markup:
    partition, region = arn_partition(record.job_arn), arn_region(record.job_arn)

    def folder(uri: str | None) -> Markup | str:
        if not uri:
            return "-"
        return link(Link("folder", s3_console_url(uri, partition, region), uri))

    head = el(
        "tr",
        el("th", "#", class_="number"),
        el("th", "candidate"),
        el("th", "objective", class_="number"),
        el("th", "explainability"),
        el("th", "model insights"),
    )
    rows = [
        el(
            "tr",
            el("td", str(rank), class_="number"),
            el("td", entry.candidate),
            el("td", number(_value(entry)), class_="number"),
            el("td", folder(entry.explainability_prefix)),
            el("td", folder(entry.model_insights_prefix)),
        )
        for rank, entry in enumerate(board, start=1)
    ]
    return el("table", head, rows)


def metrics_section(record: ReportRecord) -> Markup:
    if not record.best_candidate_metrics:
        return Markup("")
    sets, grid = metric_grid(record.best_candidate_metrics, gated, number)
    head = el("tr", el("th", "metric"), [el("th", Markup(name), class_="number") for name in sets])
    rows = [
        el(
            "tr",
            el("td", Markup(label)),
            [el("td", values.get(name, "-"), class_="number") for name in sets],
        )
        for label, values in grid.items()
    ]
    return el("h2", "The best candidate's metrics by data set") + el("table", head, rows)


def family_section(page: JobPage, drawn: list[Chart]) -> Markup:
    record = page.record
    if not record.family:
        return Markup("")
    heading = el("h2", join([Markup("The family "), el("code", record.family), Markup(" over time")]))
    metric = _family_metric(page)
    runs = [
        Run(run.job_name, run.created_at, run.objective.value, run.new_best_in_family)
        for run in page.family_runs
        if run.objective is not None
        and run.objective.value is not None
        and (run.objective.standard_metric or run.objective.metric) == metric
    ]
    standing = _standing_words(page)
    if metric is None or not runs:
        return heading + el("p", "No Completed job of this family has an objective yet.", class_="note") + standing
    if len(runs) == 1:
        alone = "This job is" if runs[0].job_name == record.job_name else f"{runs[0].job_name} is"
        return heading + el("p", f"{alone} the family's only Completed job so far: no trend yet.", class_="note")
    direction = page.standing.direction if page.standing and page.standing.direction else _direction(record)
    chart = charts.family_trend(runs, record.job_name, metric, direction)
    drawn.append(chart)
    on_chart = any(run.job_name == record.job_name for run in runs)
    caption = (
        f"{plural(len(runs), 'Completed job')} of the family by CreationTime ({metric}, {charts.direction_words(direction)}); "
        "a star marks a job that beat the family's best when it ended"
        + ("; this job is ringed." if on_chart else f"; this job ({record.status}) has no objective to show.")
    )
    return heading + figure(chart, caption) + standing


def _family_metric(page: JobPage) -> str | None:
    """The metric the family is judged on: this job's, else the standing best's, else its runs'."""
    objective = page.record.objective
    if objective is not None:
        return objective.standard_metric or objective.metric
    if page.standing and page.standing.metric:
        return page.standing.metric
    for run in page.family_runs:
        if run.objective is not None:
            return run.objective.standard_metric or run.objective.metric
    return None


def _direction(record: ReportRecord) -> str | None:
    return record.objective.direction if record.objective else None


def _standing_words(page: JobPage) -> Markup:
    standing = page.standing
    if standing is None or standing.best is None:
        return Markup("")
    jobs = f" among {plural(page.family_jobs, 'ended job')}" if page.family_jobs is not None else ""
    best = Markup(f"{html_text(standing.best.job_name)} at {number(standing.best.value)}")
    return el("p", Markup(f"The family's best now{jobs}: ") + best + Markup("."), class_="note")


def failures_section(record: ReportRecord) -> Markup:
    parts: list[Markup] = []
    if record.failure_reason:
        parts += [
            el("h3", "Failure reason"),
            el("div", text(record.failure_reason, multiline=True), class_="data failure"),
        ]
    if record.partial_failures:
        parts.append(el("h3", f"Partial failures ({len(record.partial_failures)})"))
        parts += [el("div", text(message, multiline=True), class_="data") for message in record.partial_failures]
    if record.notes:
        parts.append(el("h3", "Notes"))
        parts += [el("div", text(note, multiline=True), class_="data") for note in record.notes]
    if not parts:
        return Markup("")
    return el("h2", "Failures and notes") + join(parts)


def artifacts_section(record: ReportRecord) -> Markup:
    links = report_links(record)
    items = [el("li", link(each)) for each in (links.job, *links.artifacts)]
    return el("h2", "Artifacts") + el("ul", items, class_="links")


def cost_section(cost: Cost | None) -> Markup:
    """The job's compute and estimated cost: only when the record has them (docs/design.md §4, `compute`)."""
    if cost is None:
        return Markup("")
    amount = money(cost.amount, cost.currency or "", str).strip() if cost.amount is not None else "unknown"
    cards = [
        ("estimated cost", amount),
        ("child jobs", f"{cost.child_jobs:,}"),
        ("instance time", hours_minutes(cost.instance_seconds)),
        ("billable time", hours_minutes(cost.billable_seconds)),
        ("saved by spot", hours_minutes(cost.spot_savings_seconds)),
    ]
    parts = [
        el("h2", "Cost"),
        el("div", [el("div", el("b", value), label, class_="card") for label, value in cards], class_="cards"),
    ]
    if cost.by_type:
        rows = [el("tr", [el("td", text(kind)), el("td", hours_minutes(seconds))]) for kind, seconds in cost.by_type]
        head = el("tr", [el("th", "instance type"), el("th", "instance time")])
        parts.append(el("table", [head, *rows]))
    if cost.basis:
        parts.append(el("p", text(cost.basis), class_="note"))
    if cost.incomplete:
        parts.append(el("p", "Incomplete: some child jobs or prices could not be read.", class_="note"))
    if cost.left_out:
        parts.append(el("div", text(cost.left_out, multiline=True), class_="data"))
    return join(parts)


def footer(page: JobPage) -> Markup:
    words = (
        f"Generated {iso_utc(page.generated_at)} by autopilot-reports from {page.source}. "
        "This page loads nothing and runs no script; its links open the AWS consoles."
    )
    return el("footer", words)
