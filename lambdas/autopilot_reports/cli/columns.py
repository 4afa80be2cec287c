"""The columns of `--output text`: one line per item, in this order, for scripts (grep, cut -f, awk -F'\\t').

They are an interface: docs/querying.md lists them (a test compares), and a new column only ever goes at
the end. The free-text column (failure_reason) is last, so the ones before it split on any whitespace."""

from __future__ import annotations

from autopilot_reports.cli.output import Row
from autopilot_reports.models.common import iso_utc
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


def record_row(record: ReportRecord) -> Row:
    objective = record.objective
    return (
        record.job_name,
        record.status,
        record.secondary_status,
        iso_utc(record.last_modified_at),
        iso_utc(record.ended_at) if record.ended_at else None,
        objective.metric if objective else None,
        repr(objective.value) if objective and objective.value is not None else None,
        record.best_candidate,
        record.explainability.state.value,
        str(len(record.partial_failures)),
        record.failure_reason,
    )


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
