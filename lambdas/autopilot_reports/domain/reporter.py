"""Turns one "AutoML Job State Change" into the job's report: describe, collect, store, notify.

The event is only a nudge: the record is built from what DescribeAutoMLJob says now, so replays and
out-of-order events converge on the same record, and the table's conditional write decides whether
anything is new (DESIGN section 5).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from autopilot_reports.domain.description import JobDescription, describe_job
from autopilot_reports.domain.explainability import collect_explainability
from autopilot_reports.domain.notification import render_notification
from autopilot_reports.domain.ports import (
    ArtifactReader,
    AutoMLJobs,
    JobNotFoundError,
    Notifier,
    ReportStore,
    Saved,
)
from autopilot_reports.models.record import Explainability, HistoryEntry, ReportRecord


class Outcome(StrEnum):
    WRITTEN = "written"
    NOTIFIED = "notified"
    UNCHANGED = "unchanged"
    NOT_FOUND = "not_found"


@dataclass(frozen=True)
class ReportResult:
    outcome: Outcome
    record: ReportRecord | None = None
    reason: str | None = None


@dataclass
class Reporter:
    jobs: AutoMLJobs
    artifacts: ArtifactReader
    store: ReportStore
    notifier: Notifier
    top_features: int
    analysis_max_bytes: int
    notify_statuses: tuple[str, ...]
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    def report(self, job_name: str, detected_by: str | None = None) -> ReportResult:
        try:
            api, response = self.jobs.describe(job_name)
        except JobNotFoundError as error:
            reason = f"SageMaker does not know this job: {error}"
            self.store.record_error(job_name, reason)
            return ReportResult(Outcome.NOT_FOUND, reason=reason)
        job = describe_job(api, response)
        explainability = collect_explainability(job, self.artifacts, self.top_features, self.analysis_max_bytes)
        notify = job.status in self.notify_statuses
        record = build_record(job, explainability, notified_at=self.clock() if notify else None)
        saved = self.store.save_report(record, HistoryEntry.of(record, detected_by), claim_notification=notify)
        if saved is Saved.UNCHANGED:
            return ReportResult(Outcome.UNCHANGED, record)
        if saved is Saved.WRITTEN:
            return ReportResult(Outcome.WRITTEN, record.model_copy(update={"notified_at": None}))
        self._publish(record)
        return ReportResult(Outcome.NOTIFIED, record)

    def _publish(self, record: ReportRecord) -> None:
        try:
            self.notifier.publish(render_notification(record))
        except Exception:
            # Give the claim back so the retry of this event publishes; then let the retry happen.
            assert record.notified_at is not None
            self.store.release_notification(record.job_name, record.notified_at)
            raise


def build_record(job: JobDescription, explainability: Explainability, notified_at: datetime | None) -> ReportRecord:
    if job.created_at is None or job.last_modified_at is None:
        raise ValueError(f"Describe response for {job.name} has no CreationTime or LastModifiedTime")
    return ReportRecord(
        job_name=job.name,
        job_arn=job.arn,
        api=job.api,
        status=job.status,
        secondary_status=job.secondary_status,
        problem_type=job.problem_type,
        objective=job.objective,
        best_candidate=job.best_candidate,
        explainability=explainability,
        partial_failures=job.partial_failures,
        failure_reason=job.failure_reason,
        created_at=job.created_at,
        ended_at=job.ended_at,
        last_modified_at=job.last_modified_at,
        notified_at=notified_at,
    )
