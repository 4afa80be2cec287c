"""The pages' charts, drawn by matplotlib and written as inline SVG: no script, text as `<text>` (escaped
by matplotlib's SVG writer), one `id` per data mark (`<chart>-mark-<n>`) so a browser can count what was
drawn. Every label from the job or its data passes `chart_label` (domain/untrusted.py) and is cut to a
chart's width; the page's tables beside the charts show each name whole.

Figures are built with `matplotlib.figure.Figure` (no pyplot: no global figure state, no GUI backend) inside
one rc context: text stays text (`svg.fonttype: none`), mathtext is off (`$x$` in a column name is drawn as
written), and ids are derived from the chart's name, so a page is the same bytes for the same data.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import matplotlib
from matplotlib import dates as mdates
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from matplotlib.typing import RcKeyType

from autopilot_reports.cli.pages.markup import Markup
from autopilot_reports.domain.notification.common import clip
from autopilot_reports.domain.untrusted import chart_label
from autopilot_reports.models.record import FeatureImportance

WIDTH_INCHES = 7.6
LABEL_CHARS = 44  # a tick label's longest; the table beside the chart shows the whole name
BAR = "#4c72b0"
MUTED = "#8c959f"
BEST = "#e69f00"  # Okabe-Ito orange: a new best in the family
THIS_JOB = "#1f2328"
STATUS_COLOURS = {"Completed": "#1a7f37", "Failed": "#cf222e", "Stopped": "#bf8700"}
HIGHER = {"Maximize": "higher is better", "Minimize": "lower is better"}
RC: dict[RcKeyType, Any] = {
    "svg.fonttype": "none",
    "text.parse_math": False,
    "font.size": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": MUTED,
    "axes.labelcolor": "#1f2328",
    "axes.grid": True,
    "axes.axisbelow": True,
    "grid.color": "#d8dee4",
    "grid.linewidth": 0.6,
    "xtick.color": "#59636e",
    "ytick.color": "#59636e",
    "legend.frameon": False,
}
NO_METADATA: dict[str, str | None] = {"Date": None, "Creator": None, "Format": None, "Type": None}  # no RDF block
_STYLE_ELEMENT = re.compile(r"<style[^>]*>(.*?)</style>", re.DOTALL)


@dataclass(frozen=True)
class Chart:
    """One chart as the page embeds it."""

    name: str
    svg: Markup  # the <svg> element matplotlib wrote
    styles: tuple[str, ...]  # the text of its <style> elements: the page's policy allows them by hash
    marks: int  # data marks drawn, each with the id `<name>-mark-<n>`


def mark_id(chart: str, index: int) -> str:
    return f"{chart}-mark-{index}"


def label(text: str) -> str:
    """A data text as a chart draws it: gated, then cut."""
    return clip(chart_label(text), LABEL_CHARS, "…")


def direction_words(direction: str | None) -> str:
    return HIGHER.get(direction or "", "direction unknown")


@contextmanager
def drawing(name: str) -> Iterator[None]:
    """Our rc settings while a chart is built and written; ids salted by the chart's name."""
    named: dict[RcKeyType, Any] = {"svg.hashsalt": name, "svg.id": f"chart-{name}"}
    with matplotlib.rc_context(RC | named):
        yield


def written(figure: Figure, name: str, marks: int) -> Chart:
    """The figure as inline SVG: from its <svg> element on (the XML declaration and doctype dropped)."""
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata=NO_METADATA)
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :]
    return Chart(name, Markup(svg), tuple(_STYLE_ELEMENT.findall(svg)), marks)


# matplotlib.dates has no type information: its three calls are here, each marked.
def _days(values: Sequence[datetime | date]) -> list[float]:
    """Times as the numbers a date axis plots (days since matplotlib's epoch, UTC)."""
    return [float(day) for day in mdates.date2num(list(values))]  # type: ignore[no-untyped-call]


def _date_axis(axes: Axes) -> None:
    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)  # type: ignore[no-untyped-call]
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]


# --- one job --------------------------------------------------------------------------------------------


def feature_importances(features: Sequence[FeatureImportance], name: str = "features") -> Chart:
    """Horizontal bars, the most important on top."""
    with drawing(name):
        figure = Figure(figsize=(WIDTH_INCHES, 0.9 + 0.3 * len(features)), layout="constrained")
        axes = figure.add_subplot()
        ranks = list(range(len(features)))[::-1]
        bars = axes.barh(ranks, [item.importance for item in features], color=BAR, height=0.7)
        for index, bar in enumerate(bars):
            bar.set_gid(mark_id(name, index))
        axes.set_yticks(ranks, [label(item.feature) for item in features])
        axes.grid(axis="y", visible=False)
        axes.set_xlabel("importance (global SHAP)")
        return written(figure, name, len(bars))


@dataclass(frozen=True)
class Scored:
    """One scored thing on a chart: a candidate, or a job of a family."""

    name: str
    value: float


def leaderboard(entries: Sequence[Scored], metric: str, direction: str | None, name: str = "leaderboard") -> Chart:
    """The candidates as dots on their objective, best first (on top), the best one stressed; the axis
    says which way is better."""
    with drawing(name):
        figure = Figure(figsize=(WIDTH_INCHES, 1.0 + 0.34 * len(entries)), layout="constrained")
        axes = figure.add_subplot()
        rows = list(range(len(entries)))[::-1]
        for index, (row, entry) in enumerate(zip(rows, entries, strict=True)):
            best = index == 0
            (dot,) = axes.plot(
                [entry.value], [row], marker="o", markersize=9 if best else 7, color=BEST if best else BAR, linestyle=""
            )
            dot.set_gid(mark_id(name, index))
            axes.annotate(f"{entry.value:.6g}", (entry.value, row), xytext=(8, -3), textcoords="offset points")
        axes.set_yticks(rows, [f"{index}. {label(entry.name)}" for index, entry in enumerate(entries, start=1)])
        axes.set_ylim(-0.7, len(entries) - 0.3)
        axes.xaxis.set_major_locator(MaxNLocator(6))
        axes.margins(x=0.15)
        axes.grid(axis="y", visible=False)
        axes.set_xlabel(f"{label(metric)} ({direction_words(direction)})")
        return written(figure, name, len(entries))


@dataclass(frozen=True)
class Run:
    """A job of a family on a trend: its time (the report: CreationTime; the dashboard: when it ended), its
    objective value, and the pipeline's verdict."""

    job_name: str
    at: datetime
    value: float
    new_best: bool


def family_trend(runs: Sequence[Run], this_job: str, metric: str, direction: str | None, name: str = "family") -> Chart:
    """The family's Completed jobs by CreationTime: a line through them, each new best a star, this job
    ringed."""
    ordered = sorted(runs, key=lambda run: (run.at, run.job_name))
    with drawing(name):
        figure = Figure(figsize=(WIDTH_INCHES, 3.0), layout="constrained")
        axes = figure.add_subplot()
        axes.plot(_days([run.at for run in ordered]), [run.value for run in ordered], color=MUTED, linewidth=1.2)
        for index, run in enumerate(ordered):
            (dot,) = axes.plot(
                _days([run.at]),
                [run.value],
                linestyle="",
                marker="*" if run.new_best else "o",
                markersize=14 if run.new_best else 7,
                color=BEST if run.new_best else BAR,
                markeredgecolor=THIS_JOB if run.job_name == this_job else "white",
                markeredgewidth=2.2 if run.job_name == this_job else 0.8,
            )
            dot.set_gid(mark_id(name, index))
            if run.job_name == this_job:
                axes.annotate("this job", (_days([run.at])[0], run.value), xytext=(0, 12), textcoords="offset points")
        _legend(axes)
        _date_axis(axes)
        axes.margins(x=0.06, y=0.25)
        axes.set_ylabel(f"{label(metric)}\n({direction_words(direction)})")
        axes.set_xlabel("created (UTC)")
        return written(figure, name, len(ordered))


def _legend(axes: Axes) -> None:
    """What the markers mean, drawn as keys that are not data marks (no mark id)."""
    axes.plot([], [], linestyle="", marker="o", color=BAR, label="a run")
    axes.plot([], [], linestyle="", marker="*", markersize=12, color=BEST, label="new best in the family")
    axes.plot([], [], linestyle="", marker="o", color="white", markeredgecolor=THIS_JOB, label="this job")
    axes.legend(loc="best", fontsize=9)


# --- the account ----------------------------------------------------------------------------------------


def ended_per_day(days: Sequence[date], counts: Mapping[str, Sequence[int]], name: str = "ended") -> Chart:
    """Stacked bars: jobs ended each day, one colour per status, on the period's axis; only the segments
    with jobs are drawn (a year of empty days costs nothing), each a mark."""
    with drawing(name):
        figure = Figure(figsize=(WIDTH_INCHES, 3.0), layout="constrained")
        axes = figure.add_subplot()
        positions = _days(days)
        bottom = [0] * len(days)
        marks = 0
        for status, values in counts.items():
            drawn = [index for index, value in enumerate(values) if value]
            bars = axes.bar(
                [positions[index] for index in drawn],
                [values[index] for index in drawn],
                bottom=[bottom[index] for index in drawn],
                color=STATUS_COLOURS.get(status, MUTED),
                label=status,
            )
            for bar in bars:
                bar.set_gid(mark_id(name, marks))
                marks += 1
            bottom = [below + value for below, value in zip(bottom, values, strict=True)]
        axes.set_xlim(positions[0] - 0.7, positions[-1] + 0.7)
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes.grid(axis="x", visible=False)
        axes.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncols=len(counts), fontsize=9)
        _date_axis(axes)
        axes.set_ylabel("jobs ended")
        return written(figure, name, marks)


@dataclass(frozen=True)
class FamilySeries:
    """One family over the period: its runs and the best after each (the standing best it was judged
    against, or itself when it became the best)."""

    family: str
    metric: str
    direction: str | None
    runs: Sequence[Run]
    bests: Sequence[float]  # the family's best once each run had committed, in the order of `runs`


def family_bests(series: Sequence[FamilySeries], since: datetime, until: datetime, name: str = "bests") -> Chart:
    """One small panel per family, all on the period's time axis: its best over time as a step line (the
    last best holds until the period ends), each run a dot, new bests stars."""
    columns = 2 if len(series) > 1 else 1
    rows = -(-len(series) // columns)
    marks = 0
    with drawing(name):
        figure = Figure(figsize=(WIDTH_INCHES, 0.4 + 2.3 * rows), layout="constrained")
        panels = figure.subplots(rows, columns, squeeze=False, sharex=True)
        for panel, family in zip(panels.flat, series, strict=False):
            times = [run.at for run in family.runs] + [until]
            panel.step(_days(times), [*family.bests, family.bests[-1]], where="post", color=BEST, linewidth=1.6)
            for run in family.runs:
                (dot,) = panel.plot(
                    _days([run.at]),
                    [run.value],
                    linestyle="",
                    marker="*" if run.new_best else "o",
                    markersize=12 if run.new_best else 5,
                    color=BEST if run.new_best else BAR,
                )
                dot.set_gid(mark_id(name, marks))
                marks += 1
            panel.set_title(label(family.family), fontsize=10, loc="left")
            panel.set_ylabel(f"{label(family.metric)}\n({direction_words(family.direction)})", fontsize=9)
            panel.margins(y=0.25)
            start, end = _days([since, until])
            panel.set_xlim(start - (end - start) * 0.03, end + (end - start) * 0.03)
            _date_axis(panel)
        for unused in list(panels.flat)[len(series) :]:
            unused.set_visible(False)
        return written(figure, name, marks)
