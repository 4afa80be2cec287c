"""Turns one "AutoML Job State Change" into the job's report: describe, collect, commit.

The event is only a nudge: the record is built from what DescribeAutoMLJob says now, so replays and
out-of-order events converge on the same record, and the table's conditional write decides whether
anything is new (DESIGN section 5). A terminal record is committed together with its notification
claim; the notifier publishes from that commit (the table's stream), so no crash of this function can
lose a notification.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from autopilot_reports.clock import now
from autopilot_reports.domain.description import JobDescription, describe_job, leaderboard_entries
from autopilot_reports.domain.explainability import collect_explainability
from autopilot_reports.domain.ports import (
    ArtifactReader,
    AutoMLJobs,
    JobNotFoundError,
    LeaderboardUnavailableError,
    ReportStore,
    Saved,
)
from autopilot_reports.models.record import Explainability, HistoryEntry, LeaderboardEntry, ReportRecord


class Outcome(StrEnum):
    WRITTEN = "written"
    CLAIMED = "claimed"  # written with its terminal notification claim: the notifier sends it
    UNCHANGED = "unchanged"
    NOT_FOUND = "not_found"


@dataclass(frozen=True)
class ReportResult:
    outcome: Outcome
    record: ReportRecord | None = None
    reason: str | None = None  # why the job was skipped (not found)
    leaderboard_error: str | None = None  # why the leaderboard is empty although the job ended


@dataclass
class Reporter:
    jobs: AutoMLJobs
    artifacts: ArtifactReader
    store: ReportStore
    top_features: int
    analysis_max_bytes: int
    notify_statuses: tuple[str, ...]
    leaderboard_size: int
    clock: Callable[[], datetime] = now

    def report(self, job_name: str, detected_by: str | None = None) -> ReportResult:
        try:
            api, response = self.jobs.describe(job_name)
        except JobNotFoundError as error:
            reason = f"SageMaker does not know this job: {error}"
            self.store.record_error(job_name, reason)
            return ReportResult(Outcome.NOT_FOUND, reason=reason)
        job = describe_job(api, response)
        explainability = collect_explainability(job, self.artifacts, self.top_features, self.analysis_max_bytes)
        leaderboard, leaderboard_error = self._leaderboard(job)
        notify = job.status in self.notify_statuses
        record = build_record(job, explainability, leaderboard, notified_at=self.clock() if notify else None)
        saved = self.store.save_report(record, HistoryEntry.of(record, detected_by), claim_notification=notify)
        if saved is Saved.UNCHANGED:
            return ReportResult(Outcome.UNCHANGED, record)
        if saved is Saved.WRITTEN:
            return ReportResult(
                Outcome.WRITTEN, record.model_copy(update={"notified_at": None}), None, leaderboard_error
            )
        return ReportResult(Outcome.CLAIMED, record, None, leaderboard_error)

    def _leaderboard(self, job: JobDescription) -> tuple[list[LeaderboardEntry] | None, str | None]:
        """None until the job ends; then one ListCandidatesForAutoMLJob call (none when the size is 0)."""
        if not job.is_terminal:
            return None, None
        if self.leaderboard_size == 0:
            return [], None
        try:
            candidates = self.jobs.list_candidates(job.name, job.higher_is_better, self.leaderboard_size)
        except LeaderboardUnavailableError as error:
            return [], str(error)
        return leaderboard_entries(candidates, job.higher_is_better, self.leaderboard_size), None


def build_record(
    job: JobDescription,
    explainability: Explainability,
    leaderboard: list[LeaderboardEntry] | None,
    notified_at: datetime | None,
) -> ReportRecord:
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
        leaderboard=leaderboard,
        endpoint=job.endpoint,
        notified_at=notified_at,
    )
