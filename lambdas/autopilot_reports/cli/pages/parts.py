"""What both pages are made of: a rendered page, a figure with its caption, the status badge, our links,
numbers, counts and times. Data text passes the HTML gate here as everywhere (`markup`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from autopilot_reports.cli.pages.charts import Chart
from autopilot_reports.cli.pages.markup import Markup, el, join, text
from autopilot_reports.domain.links import Link
from autopilot_reports.domain.untrusted import html_text
from autopilot_reports.models.common import iso_utc

STATUSES = ("Completed", "Failed", "Stopped", "Stopping", "InProgress")  # the badge's colour classes


@dataclass(frozen=True)
class Rendered:
    html: str
    charts: tuple[Chart, ...]

    @property
    def marks(self) -> dict[str, int]:
        return {chart.name: chart.marks for chart in self.charts}


def gated(value: str) -> str:
    """The HTML gate as `common`'s helpers take it: their result is escaped data and our own words."""
    return html_text(value)


def number(value: float | None) -> str:
    return "-" if value is None else f"{value:.6g}"


def badge(status: str) -> Markup:
    return el("span", status, class_="badge " + (status if status in STATUSES else ""))


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    return f"{count:,} {noun if count == 1 else nouns or noun + 's'}"


def when(value: datetime | None) -> str:
    return iso_utc(value) if value else "-"


def figure(chart: Chart, caption: Markup | str) -> Markup:
    return el("figure", chart.svg, el("figcaption", caption))


def link(target: Link) -> Markup:
    """Our own console link (built from the ARN and URIs, percent-encoded), with its s3:// URI beside it;
    a partition without a public console gets the URI as text."""
    uri = el("code", target.s3_uri) if target.s3_uri else Markup("")
    if target.url is None:
        return join([text(target.label), Markup(" "), uri, el("span", " (no console link in this partition)")])
    return join([el("a", target.label, href=target.url, rel="noreferrer"), Markup(" "), uri])
