"""The columns of `--output text`: one line per item, in this order, for scripts (grep, cut -f, awk -F'\\t').

They are an interface: docs/querying.md lists them (a test compares), and a new column only ever goes at
the end. The first free-text column (failure_reason) follows the ten that never hold a space, so those
split on any whitespace; the columns appended after it (why_ended, free text too, last) need -F'\t'."""

from __future__ import annotations

from typing import Any

from autopilot_reports import constants as c
from autopilot_reports.cli.output import Row
from autopilot_reports.domain.family import FamilyStanding
from autopilot_reports.domain.ports import SpokeStatus
from autopilot_reports.models.common import iso_utc
from autopilot_reports.models.cost import FamilyCost
from autopilot_reports.models.events import ImportProgress, ImportRequest
from autopilot_reports.models.record import HistoryEntry, ReportRecord

# show, list, watch: one line per job
RECORD_COLUMNS = (
    "job_name",
    "status",
    "secondary_status",
    "last_modified_at",
    "ended_at",
    "objective_metric",
    "objective_value",
    "best_candidate",
    "explainability_state",
    "partial_failures",
    "failure_reason",
    "family",
    "new_best_in_family",
    "duration_seconds",
    "why_ended",
    "account_id",  # where the job ran (every table); on a hub, with the account's name where it knows it
    "region",
    "account_name",
    "estimated_cost",
    "cost_currency",
)
# history: one line per observed transition, oldest first
HISTORY_COLUMNS = (
    "job_name",
    "last_modified_at",
    "status",
    "secondary_status",
    "explainability_state",
    "partial_failures",
    "detected_by",
    "failure_reason",
)
# import-history: the import (status `started` with --no-wait, whose counts are then `-`)
IMPORT_COLUMNS = ("import_id", "status", "start", "end", "jobs_seen", "published", "pieces")
# families: one line per family, by name; also the keys of its JSON form (the family item's attribute names)
FAMILY_COLUMNS = (
    "family",
    "best_job",
    "best_value",
    "best_metric",
    "direction",
    "jobs",
    "cost_amount",
    "cost_currency",
    "costed_jobs",
)
# spokes (a hub): one line per spoke, by account and region; also the keys of its JSON form
SPOKE_COLUMNS = (
    "account_id",
    "region",
    "account_name",
    "last_heartbeat",
    "version",
    "watch_start",
    "watermark",
    "silent_alerted",
    "jobs",
    "completed",
    "failed",
    "stopped",
    "in_progress",
)


def number(value: float | None) -> str | None:
    """A number as Python writes it back exactly (`0.912345`, `1e-05`), or absent."""
    return repr(value) if value is not None else None


def record_row(record: ReportRecord) -> Row:
    objective = record.objective
    return (
        record.job_name,
        record.status,
        record.secondary_status,
        iso_utc(record.last_modified_at),
        iso_utc(record.ended_at) if record.ended_at else None,
        objective.metric if objective else None,
        number(objective.value) if objective else None,
        record.best_candidate,
        record.explainability.state.value,
        str(len(record.partial_failures)),
        record.failure_reason,
        record.family,
        "true" if record.new_best_in_family else "false",
        str(record.duration_seconds) if record.duration_seconds is not None else None,
        record.why_ended,
        record.account_id,
        record.region,
        record.account_name,
        *_estimate(record),
    )


def _estimate(record: ReportRecord) -> tuple[str | None, str | None]:
    estimate = record.compute.estimated_cost if record.compute else None
    return (number(estimate.amount), estimate.currency) if estimate else (None, None)


def history_row(entry: HistoryEntry) -> Row:
    return (
        entry.job_name,
        iso_utc(entry.last_modified_at),
        entry.status,
        entry.secondary_status,
        entry.explainability_state.value,
        str(entry.partial_failure_count),
        entry.detected_by,
        entry.failure_reason,
    )


def import_row(progress: ImportProgress) -> Row:
    counts = (str(progress.jobs_seen), str(progress.published), str(progress.pieces))
    return (progress.import_id, progress.status, iso_utc(progress.start), iso_utc(progress.end), *counts)


def import_started_row(request: ImportRequest) -> Row:
    return (request.import_id, "started", iso_utc(request.start), iso_utc(request.end), None, None, None)


def family_fields(standing: FamilyStanding, jobs: int, cost: FamilyCost | None = None) -> dict[str, Any]:
    """A family as JSON: the attributes of its item in the table, under their names there."""
    best = standing.best
    return {
        "family": standing.family,
        "best_job": best.job_name if best else None,
        "best_value": best.value if best else None,
        "best_metric": standing.metric,
        "direction": standing.direction,
        "jobs": jobs,
        "cost_amount": cost.amount if cost else None,
        "cost_currency": cost.currency if cost else None,
        "costed_jobs": cost.jobs if cost else 0,
    }


def family_row(fields: dict[str, Any]) -> Row:
    """A family's text line, from its JSON form (`family_fields`), in FAMILY_COLUMNS' order."""
    cells = {
        **fields,
        "best_value": number(fields["best_value"]),
        "jobs": str(fields["jobs"]),
        "cost_amount": number(fields["cost_amount"]),
        "costed_jobs": str(fields["costed_jobs"]),
    }
    return tuple(cells[name] for name in FAMILY_COLUMNS)


def spoke_fields(spoke: SpokeStatus, counts: dict[str, int]) -> dict[str, Any]:
    """A spoke as JSON: where it is, what it last said, and its jobs in the hub's table by status."""
    return {
        "account_id": spoke.place.account,
        "region": spoke.place.region,
        "account_name": spoke.account_name,
        "last_heartbeat": iso_utc(spoke.last_heartbeat),
        "version": spoke.version,
        "watch_start": iso_utc(spoke.watch_start) if spoke.watch_start else None,
        "watermark": iso_utc(spoke.watermark) if spoke.watermark else None,
        "silent_alerted": spoke.silence_alerted,
        "jobs": sum(counts.values()),
        "completed": counts.get(c.COMPLETED, 0),
        "failed": counts.get(c.FAILED, 0),
        "stopped": counts.get(c.STOPPED, 0),
        "in_progress": counts.get(c.IN_PROGRESS, 0),
    }


def spoke_row(fields: dict[str, Any]) -> Row:
    """A spoke's text line, from its JSON form (`spoke_fields`), in SPOKE_COLUMNS' order."""
    cells = {
        name: None if value is None else str(value).lower() if isinstance(value, bool) else str(value)
        for name, value in fields.items()
    }
    return tuple(cells[name] for name in SPOKE_COLUMNS)
