"""The account's page (or the organization's, where a hub serves the table): jobs ended per day by status,
the failed and partially failed jobs with their reasons, each family's best over time, and the jobs stuck
now. Built from what the CLI's queries read; every data text through the HTML gate or `chart_label`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from autopilot_reports import constants as c
from autopilot_reports.cli.pages import charts
from autopilot_reports.cli.pages.charts import Chart, FamilySeries, Run
from autopilot_reports.cli.pages.markup import Markup, document, el, join, text
from autopilot_reports.cli.pages.parts import Rendered, badge, figure, link, number, plural, when
from autopilot_reports.domain.family import FamilyStanding
from autopilot_reports.domain.links import Link, job_console_url
from autopilot_reports.models.common import hours_minutes, iso_utc
from autopilot_reports.models.record import ReportRecord

MAX_FAMILY_PANELS = 12  # the families with the most runs in the period; the table lists every family


@dataclass(frozen=True)
class AccountPage:
    """What the dashboard shows, as the CLI read it from the table."""

    ended: Sequence[ReportRecord]  # the jobs that ended in [since, until]
    partial: Sequence[ReportRecord]  # jobs with partial failures modified in [since, until]
    stuck: Sequence[ReportRecord]  # InProgress jobs quiet for stuck_after_minutes or more at `until`
    families: Sequence[tuple[FamilyStanding, int]]  # every family's best now, and its number of jobs
    since: datetime
    until: datetime
    stuck_after_minutes: int
    generated_at: datetime
    source: str


def dashboard_page(page: AccountPage) -> Rendered:
    drawn: list[Chart] = []
    sections = [
        header(page),
        ended_section(page, drawn),
        failures_section(page),
        families_section(page, drawn),
        stuck_section(page),
        el("footer", footer_words(page)),
    ]
    html = document(title(page), join(sections), [style for chart in drawn for style in chart.styles])
    return Rendered(html, tuple(drawn))


def where(records: Sequence[ReportRecord]) -> str:
    """`account <account id> (eu-west-1)`, or how many accounts and regions the table holds."""
    accounts = sorted({account for record in records if (account := record.account_id)})
    regions = sorted({record.region for record in records if record.region})
    if len(accounts) > 1:
        return f"an organization: {len(accounts)} accounts, {len(regions)} regions"
    account = f"account {accounts[0]}" if accounts else "the account"
    return f"{account} ({', '.join(regions)})" if regions else account


def title(page: AccountPage) -> str:
    return f"AutoML jobs: {where([*page.ended, *page.partial, *page.stuck])}"


def period(page: AccountPage) -> str:
    return f"{iso_utc(page.since)} to {iso_utc(page.until)}"


def header(page: AccountPage) -> Markup:
    counts = Counter(record.status for record in page.ended)
    cards = [
        ("jobs ended", len(page.ended)),
        *((status, counts.get(status, 0)) for status in c.TERMINAL_STATUSES),
        ("with partial failures", len(page.partial)),
        ("new family bests", sum(record.new_best_in_family for record in page.ended)),
        ("stuck now", len(page.stuck)),
    ]
    return join(
        [
            el("h1", title(page)),
            el("p", f"Jobs that ended {period(page)}.", class_="sub"),
            el("div", [el("div", el("b", f"{value:,}"), name, class_="card") for name, value in cards], class_="cards"),
        ]
    )


def ended_days(page: AccountPage) -> list[date]:
    """Every UTC day of the period (the chart draws only those with jobs, so a long period costs nothing)."""
    first, last = page.since.date(), page.until.date()
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]


def ended_section(page: AccountPage, drawn: list[Chart]) -> Markup:
    heading = el("h2", "Jobs ended per day, by status")
    if not page.ended:
        return heading + el("p", "No job ended in this period.", class_="note")
    days = ended_days(page)
    index = {day: position for position, day in enumerate(days)}
    counts = {status: [0] * len(days) for status in c.TERMINAL_STATUSES}
    for record in page.ended:
        if record.ended_at is not None and record.ended_at.date() in index and record.status in counts:
            counts[record.status][index[record.ended_at.date()]] += 1
    chart = charts.ended_per_day(days, counts)
    drawn.append(chart)
    caption = f"{plural(len(page.ended), 'job')} ended, by the UTC day they ended."
    return heading + figure(chart, caption)


def console_link(record: ReportRecord) -> Markup:
    """The job's name, linked to the job in the SageMaker console (our link, from its ARN)."""
    url = job_console_url(record.job_arn, record.job_name)
    return link(Link(record.job_name, url)) if url else text(record.job_name)


def failures_section(page: AccountPage) -> Markup:
    heading = el("h2", "Failed and partially failed jobs")
    troubled = {record.job_name: record for record in page.ended if record.status == c.FAILED}
    troubled |= {record.job_name: record for record in page.partial}
    if not troubled:
        return heading + el("p", "None in this period.", class_="note")
    ordered = sorted(troubled.values(), key=lambda record: (record.ended_at or record.last_modified_at), reverse=True)
    several = len({record.account_id for record in ordered}) > 1
    head = el(
        "tr",
        el("th", "job"),
        el("th", "account") if several else None,
        el("th", "status"),
        el("th", "ended"),
        el("th", "why"),
    )
    rows = [
        el(
            "tr",
            el("td", console_link(record), class_="name"),
            el("td", record.account_id or "-") if several else None,
            el("td", badge(record.status)),
            el("td", when(record.ended_at), class_="name"),
            el("td", reasons(record)),
        )
        for record in ordered
    ]
    return heading + el("table", head, rows)


def reasons(record: ReportRecord) -> Markup:
    parts = []
    if record.failure_reason:
        parts.append(el("div", text(record.failure_reason, multiline=True), class_="data failure"))
    parts += [el("div", text(message, multiline=True), class_="data") for message in record.partial_failures]
    if record.why_ended and not parts:
        parts.append(el("div", record.why_ended))
    return join(parts)


def family_series(page: AccountPage) -> list[FamilySeries]:
    """Each family with two or more Completed jobs in the period (a trend), its jobs oldest first, with the
    family's best once each had committed: its own value when it became the best (a new best, or the first
    of its family), else the standing best it was judged against."""
    standings = {standing.family: standing for standing, _ in page.families}
    by_family: dict[str, list[ReportRecord]] = {}
    for record in page.ended:
        scored = record.objective is not None and record.objective.value is not None
        if record.family and record.status == c.COMPLETED and scored:
            by_family.setdefault(record.family, []).append(record)
    series = []
    for family, records in by_family.items():
        if len(records) < 2:
            continue
        records.sort(key=lambda record: (record.ended_at or record.last_modified_at, record.job_name))
        standing = standings.get(family)
        objective = records[-1].objective
        assert objective is not None  # kept above
        metric = (standing.metric if standing else None) or objective.standard_metric or objective.metric
        direction = (standing.direction if standing else None) or objective.direction
        runs, bests = [], []
        for record in records:
            value = record.objective.value if record.objective else None
            assert value is not None  # kept above
            runs.append(
                Run(record.job_name, record.ended_at or record.last_modified_at, value, record.new_best_in_family)
            )
            beaten = record.previous_best
            bests.append(value if record.new_best_in_family or beaten is None else beaten.value)
        series.append(FamilySeries(family, metric, direction, runs, bests))
    series.sort(key=lambda each: (-len(each.runs), each.family))
    return series[:MAX_FAMILY_PANELS]


def families_section(page: AccountPage, drawn: list[Chart]) -> Markup:
    heading = el("h2", "Each family's best over time")
    parts = [heading]
    series = family_series(page)
    if series:
        chart = charts.family_bests(series, page.since, page.until)
        drawn.append(chart)
        caption = (
            f"The Completed jobs of {plural(len(series), 'family', 'families')} with two or more in this period, by when "
            "they ended (dots), the family's best after each (line; judged against the family's whole history), and "
            "the jobs that set a new best (stars)."
        )
        parts.append(figure(chart, caption))
    else:
        parts.append(el("p", "No family has two Completed jobs with an objective in this period.", class_="note"))
    if page.families:
        parts.append(families_table(page.families))
    return join(parts)


def families_table(families: Sequence[tuple[FamilyStanding, int]]) -> Markup:
    head = el(
        "tr",
        el("th", "family"),
        el("th", "best job"),
        el("th", "best", class_="number"),
        el("th", "metric"),
        el("th", "direction"),
        el("th", "jobs", class_="number"),
    )
    rows = [
        el(
            "tr",
            el("td", standing.family),
            el("td", standing.best.job_name if standing.best else "-"),
            el("td", number(standing.best.value) if standing.best else "-", class_="number"),
            el("td", standing.metric or "-"),
            el("td", standing.direction or "-"),
            el("td", f"{jobs:,}", class_="number"),
        )
        for standing, jobs in sorted(families, key=lambda family: family[0].family)
    ]
    return el(
        "details",
        el("summary", f"every family's best now ({plural(len(families), 'family', 'families')})"),
        el("table", head, rows),
    )


def stuck_section(page: AccountPage) -> Markup:
    heading = el("h2", "Jobs stuck now")
    if not page.stuck_after_minutes:
        return heading + el("p", "Not looked for (--stuck-after 0).", class_="note")
    rule = f"InProgress and quiet for {hours_minutes(page.stuck_after_minutes * 60)} or more at {iso_utc(page.until)}"
    if not page.stuck:
        return heading + el("p", f"None ({rule}).", class_="note")
    head = el("tr", el("th", "job"), el("th", "secondary status"), el("th", "last modified"), el("th", "quiet for"))
    rows = [
        el(
            "tr",
            el("td", console_link(record), class_="name"),
            el("td", record.secondary_status),
            el("td", when(record.last_modified_at)),
            el("td", hours_minutes((page.until - record.last_modified_at).total_seconds())),
        )
        for record in sorted(page.stuck, key=lambda record: record.last_modified_at)
    ]
    return heading + el("p", f"{plural(len(page.stuck), 'job')} {rule}.", class_="note") + el("table", head, rows)


def footer_words(page: AccountPage) -> str:
    return (
        f"Generated {iso_utc(page.generated_at)} by autopilot-reports from {page.source}, by Query only. "
        "This page loads nothing and runs no script; its links open the AWS consoles."
    )
