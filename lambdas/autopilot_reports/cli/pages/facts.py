"""What the pages show that the record does not carry yet, one seam each, so the pages never guess.

- the cost: docs/design.md §4's `compute`, which a later change adds to the record. Until then `cost_of`
  returns None and the page has no cost section; `Cost` is the page's view of it, ready for `record.compute`.
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


def cost_of(record: ReportRecord) -> Cost | None:
    """The job's cost once the record has it; the record has no `compute` yet (a later change adds it)."""
    return None
