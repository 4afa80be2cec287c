"""What every medium's renderer shares: cutting with a marker, durations and times, the feature chart.

Nothing here formats data text for a medium: each renderer passes it through its gate in
`domain/untrusted.py` first, then these functions lay it out.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from autopilot_reports.models.common import hours_minutes
from autopilot_reports.models.digest import DigestCost
from autopilot_reports.models.record import CandidateMetric, FeatureImportance, Objective, ReportRecord

BAR_WIDTH = 20
METRIC_SETS = ("Train", "Validation", "Test")

Gate = Callable[[str], str]  # one medium's gate for data text (domain/untrusted.py)


def clip(text: str, limit: int, marker: str | Callable[[int], str]) -> str:
    """`text` if it fits in `limit` characters, else its start and a marker, together within `limit`."""
    if len(text) <= limit:
        return text
    if isinstance(marker, str):
        keep = max(limit - len(marker), 0)
        return text[:keep] + marker
    # Size the marker for the largest possible count; the real count is no longer, so both fit.
    keep = max(limit - len(marker(len(text))), 0)
    return text[:keep] + marker(len(text) - keep)


def omitted(count: int) -> str:
    return f" [... {count:,} more characters]"


def omitted_in(where: str) -> Callable[[int], str]:
    return lambda count: f" [... {count:,} more characters in {where}]"


def when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "-"


def duration(seconds: int | float | None) -> str:
    """Hours and minutes (`2h 05m`, `17m`), or `-` before the job ends."""
    return "-" if seconds is None else hours_minutes(seconds)


DIRECTION_UNKNOWN = "direction unknown"


def metric_name(name: str, standard: str | None, gate: Gate) -> str:
    """The name as AWS gave it, plus the standard name where it says more (`validation:mse (MSE)`); both
    are stored data, so both pass the medium's gate."""
    shown = gate(name)
    return f"{shown} ({gate(standard)})" if standard and standard != name else shown


def objective(value: Objective, gate: Gate) -> str:
    number = "-" if value.value is None else f"{value.value:.6g}"
    direction = gate(value.direction) if value.direction else DIRECTION_UNKNOWN
    return f"{metric_name(value.metric, value.standard_metric, gate)} = {number} ({direction})"


def metric_grid(
    metrics: Sequence[CandidateMetric], gate: Gate, number: Callable[[float | None], str]
) -> tuple[list[str], dict[str, dict[str, str]]]:
    """The data sets in the order Train, Validation, Test (others after them, by name), and each metric's
    value per set, keyed by its name (as `metric_name` shows it); every name through the gate."""
    grid: dict[str, dict[str, str]] = {}
    for metric in metrics:
        label = metric_name(metric.metric, metric.standard_metric, gate)
        grid.setdefault(label, {})[gate(metric.set or "-")] = number(metric.value)
    given = {name for values in grid.values() for name in values}
    sets = [name for name in METRIC_SETS if name in given]
    return sets + sorted(given - set(sets)), grid


def family_line(record: ReportRecord, gate: Gate) -> str | None:
    """The job against its family's best: a new best, the best that stands, or that none stands yet. Every
    medium (e-mail, chat, the CLI's `show`) names the family of every job that has one, whatever its status;
    None only for a record without a family (written before families existed)."""
    if not record.family:
        return None
    family = gate(record.family)
    best = record.previous_best
    if record.new_best_in_family and best is not None:
        return f"{family}: new best in the family (beats {gate(best.job_name)} at {best.value:.6g})"
    if best is not None:
        return f"{family}: the family's best is {gate(best.job_name)} at {best.value:.6g}"
    if record.status == "Completed" and record.objective is not None:
        return f"{family}: the first Completed job of its family"
    return f"{family}: no best in the family yet"


def chart(
    features: Sequence[FeatureImportance], bar: str, name_chars: int, indent: str, numbered: bool, gate: Gate
) -> list[str]:
    """Importances as bars scaled to the top one, names (gated, then cut) padded to one column."""
    if not features:
        return [f"{indent}(no features)"]
    top = max((item.importance for item in features), default=0.0)
    names = [clip(gate(item.feature), name_chars, "...") for item in features]
    width = max(len(name) for name in names)
    number_width = len(str(len(features)))
    lines = []
    for rank, (name, item) in enumerate(zip(names, features, strict=True), 1):
        length = round(BAR_WIDTH * item.importance / top) if top > 0 and item.importance > 0 else 0
        number = f"{rank:>{number_width}}. " if numbered else ""
        bars = bar * max(length, 1 if item.importance > 0 else 0)
        lines.append(f"{indent}{number}{name:<{width}} {bars:<{BAR_WIDTH}} {item.importance:.4g}")
    return lines


def metrics_table(metrics: Sequence[CandidateMetric], gate: Gate, name_chars: int, indent: str) -> list[str]:
    """The best candidate's metrics, one row per metric and one column per data set AWS gave; names cut to
    `name_chars` (a message's column)."""
    sets, grid = metric_grid(metrics, gate, lambda value: "-" if value is None else f"{value:.4g}")
    rows = {clip(name, name_chars, "..."): values for name, values in grid.items()}
    width = max([len("metric"), *(len(name) for name in rows)])
    columns = [max(len(column), 10) for column in sets]
    header = f"{indent}{'metric':<{width}}" + "".join(f"  {column:<{size}}" for column, size in zip(sets, columns))
    body = [
        f"{indent}{name:<{width}}" + "".join(f"  {row.get(column, '-'):<{size}}" for column, size in zip(sets, columns))
        for name, row in rows.items()
    ]
    return [line.rstrip() for line in [header, *body]]


def importance_basis(labels: Sequence[str], gate: Gate, quote: Gate = str) -> str:
    """What the importances are (`global SHAP, mean over <labels>`); `quote` wraps each gated label."""
    if not labels:
        return "global SHAP"
    shown = ", ".join(quote(clip(gate(label), 40, "...")) for label in labels[:3])
    more = f" and {len(labels) - 3} more" if len(labels) > 3 else ""
    return f"global SHAP, mean over {shown}{more}"


def title(record: ReportRecord) -> str:
    """The headline every medium shares: job, status, partial failures, a new family best."""
    text = f"AutoML job {record.job_name} {record.status}"
    if record.partial_failures:
        text += " with partial failures"
    if record.new_best_in_family:
        text += ": new best in its family"
    return text


def money(amount: float, currency: str, gate: Gate) -> str:
    """An estimate as people read it: two decimals, four below one unit of the currency (0.0123 USD)."""
    return f"{amount:,.2f} {gate(currency)}" if abs(amount) >= 1 else f"{amount:.4f} {gate(currency)}"


def cost_summary(cost: DigestCost, gate: Gate, name_gate: Gate | None = None) -> list[str]:
    """A digest's cost, as lines: the total and how many jobs it counts, then by family and by account
    (their names through `name_gate`, default `gate`)."""
    names = name_gate or gate
    head = f"{money(cost.total, cost.currency, gate)} over {cost.costed_jobs} job(s)"
    if cost.not_costed_jobs:
        head += f"; {cost.not_costed_jobs} more not costed (yet)"
    if cost.incomplete_jobs:
        head += f"; {cost.incomplete_jobs} with figures that leave something out"
    lines = [head]
    for label, amounts in (("by family", cost.by_family), ("by account", cost.by_account)):
        if amounts:
            shares = ", ".join(f"{names(name)} {money(value, cost.currency, gate)}" for name, value in amounts.items())
            lines.append(f"{label}: {shares}")
    return lines
