"""What the pages show beside the record's own fields, one seam each, so the pages never guess.

- the cost: docs/design.md §4's `compute`, which the coster writes after the report. Until it has,
  `cost_of` returns None and the page has no cost section; `Cost` is the page's view of it.
"""

from __future__ import annotations

from dataclasses import dataclass

from autopilot_reports.models.record import ReportRecord


@dataclass(frozen=True)
class Cost:
    """A job's compute and its estimated cost (docs/design.md §4, `compute`)."""

    child_jobs: int
    instance_seconds: float
    billable_seconds: float
    spot_savings_seconds: float
    amount: float | None
    currency: str | None
    basis: str | None  # how the estimate was made (which prices), in words
    incomplete: bool  # some child jobs or prices could not be read
    by_type: tuple[tuple[str, float], ...] = ()  # instance seconds by instance type
    left_out: str | None = None  # what the figures leave out, in words (data: through the HTML gate)


def cost_of(record: ReportRecord) -> Cost | None:
    """The job's cost once the record has it (the coster writes `compute` after the report)."""
    compute = record.compute
    if compute is None:
        return None
    estimate = compute.estimated_cost
    return Cost(
        child_jobs=compute.child_job_count,
        instance_seconds=compute.total_instance_seconds,
        billable_seconds=compute.billable_seconds,
        spot_savings_seconds=compute.spot_savings_seconds,
        amount=estimate.amount if estimate else None,
        currency=estimate.currency if estimate else None,
        basis=estimate.basis if estimate else None,
        incomplete=compute.incomplete is not None,
        by_type=tuple(compute.instance_seconds.items()),
        left_out=compute.incomplete,
    )
