"""Turns one "AutoML Job State Change" into the job's report: describe, collect, commit.

The event is only a nudge: the record is built from what DescribeAutoMLJob says now, so replays and
out-of-order events converge on the same record, and the table's conditional write decides whether
anything is new (docs/design.md §5.1). A terminal record is committed together with its notification
claim; the notifier publishes from that commit (the table's stream), so no crash of this function can
lose a notification.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from autopilot_reports import constants as c
from autopilot_reports.clock import now
from autopilot_reports.domain.description import JobDescription, describe_job, leaderboard_entries
from autopilot_reports.domain.explainability import collect_explainability
from autopilot_reports.domain.family import FamilyChangedError, FamilyStanding, family_of, judge
from autopilot_reports.domain.ports import (
    ArtifactReader,
    AutoMLJobs,
    JobNotFoundError,
    LeaderboardUnavailableError,
    RecordRejectedError,
    ReportStore,
    Saved,
)
from autopilot_reports.domain.untrusted import has_lone_surrogate, storable_text
from autopilot_reports.domain.why_ended import why_ended
from autopilot_reports.models.common import epoch_ms
from autopilot_reports.models.place import JobRef
from autopilot_reports.models.record import Explainability, HistoryEntry, LeaderboardEntry, ReportRecord

Change = TypeVar("Change")
REDUCED_REASON_CHARS = 512
FAMILY_ATTEMPTS = 4  # judgments of a job against its family's best before the race is left to a retry


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
    rejected: str | None = None  # why the full record was refused, when a reduced one was stored


@dataclass
class Reporter:
    jobs: AutoMLJobs
    artifacts: ArtifactReader
    store: ReportStore
    top_features: int
    analysis_max_bytes: int
    notify_statuses: tuple[str, ...]
    leaderboard_size: int
    family_pattern: str = c.DEFAULT_JOB_FAMILY_PATTERN
    clock: Callable[[], datetime] = now

    def report(
        self,
        job_ref: JobRef,
        detected_by: str | None = None,
        standing: FamilyStanding | None = None,
        previous_status: str | None = None,
    ) -> ReportResult:
        """The job's report, committed. `standing` is the family's best as the watcher saw it (None: not
        looked up); `previous_status` the job's status the table held then, so a job counts in its family
        once, when it first ends."""
        try:
            api, response = self.jobs.describe(job_ref.name)
        except JobNotFoundError as error:
            reason = f"SageMaker does not know this job: {error}"
            self.store.record_error(job_ref, reason)
            return ReportResult(Outcome.NOT_FOUND, reason=reason)
        job = describe_job(api, response)
        explainability = collect_explainability(job, self.artifacts, self.top_features, self.analysis_max_bytes)
        leaderboard, leaderboard_error = self._leaderboard(job)
        notify = job.status in self.notify_statuses
        notes = [f"leaderboard: {leaderboard_error}"] if leaderboard_error else []
        record = storable(
            build_record(job, explainability, leaderboard, notified_at=self.clock() if notify else None, notes=notes)
        ).model_copy(update={"family": family_of(job.name, self.family_pattern)})
        counts = job.is_terminal and previous_status not in c.TERMINAL_STATUSES
        rejected = None
        try:
            record, saved = self._commit(record, detected_by, notify, standing, counts)
        except RecordRejectedError as error:
            # No report is lost for its content: the outcome still reaches the table and the people.
            rejected = str(error)
            record, saved = self._commit(reduced_record(record, rejected), detected_by, notify, standing, counts)
        if saved is Saved.UNCHANGED:
            return ReportResult(Outcome.UNCHANGED, record)
        if saved is Saved.WRITTEN:
            record = record.model_copy(update={"notified_at": None})
        outcome = Outcome.CLAIMED if saved is Saved.CLAIMED else Outcome.WRITTEN
        return ReportResult(outcome, record, None, leaderboard_error, rejected)

    def _commit(
        self, record: ReportRecord, detected_by: str | None, notify: bool, standing: FamilyStanding | None, counts: bool
    ) -> tuple[ReportRecord, Saved]:
        """One transaction: the record, its history item, the claim and the family's best. When the family's
        best moved since the watcher looked (another job of the family committed first), the job is judged
        again against the best that stands, a few times at most."""
        if not record.is_terminal:
            return record, self.store.save_report(record, HistoryEntry.of(record, detected_by), notify)
        standing = standing or FamilyStanding(record.family)  # not looked up: guess a family with no best yet
        for _ in range(FAMILY_ATTEMPTS - 1):
            judged, update = judge(record, standing, counts)
            try:
                return judged, self.store.save_report(judged, HistoryEntry.of(judged, detected_by), notify, update)
            except FamilyChangedError as changed:
                standing = changed.standing
        judged, update = judge(record, standing, counts)
        return judged, self.store.save_report(judged, HistoryEntry.of(judged, detected_by), notify, update)

    def _leaderboard(self, job: JobDescription) -> tuple[list[LeaderboardEntry] | None, str | None]:
        """None until the job ends; then one ListCandidatesForAutoMLJob call in the objective's direction
        (none when the size is 0, or when nothing says which way is better: never the K worst)."""
        if not job.is_terminal:
            return None, None
        if self.leaderboard_size == 0:
            return [], None
        if job.direction.direction is None:
            return [], f"not built: the objective's direction is unknown ({job.direction.basis})"
        try:
            candidates = self.jobs.list_candidates(job.name, job.direction.descending, self.leaderboard_size)
        except LeaderboardUnavailableError as error:
            return [], str(error)
        return leaderboard_entries(candidates, job.direction, self.leaderboard_size), None


def newest_changes(
    changes: Iterable[Change], job: Callable[[Change], JobRef], progress: Callable[[Change], int]
) -> tuple[list[Change], list[Change]]:
    """Of several changes of one job (a batch from the reporter's queue), the newest: the report describes
    the job as it is now whichever change it is handed, so an older change of the same job would cost the
    same calls (Describe, the leaderboard, analysis.json) to reach the same record. Returns the newest of
    each job, in the order the jobs first appear, and the superseded others. The history loses nothing:
    a report writes the history item of the state it describes, never of the state an event names."""
    newest: dict[JobRef, Change] = {}
    superseded: list[Change] = []
    for change in changes:
        key = job(change)
        held = newest.get(key)
        if held is None:
            newest[key] = change
        elif progress(change) > progress(held):
            superseded.append(held)
            newest[key] = change
        else:
            superseded.append(change)
    return list(newest.values()), superseded


def build_record(
    job: JobDescription,
    explainability: Explainability,
    leaderboard: list[LeaderboardEntry] | None,
    notified_at: datetime | None,
    notes: list[str] | None = None,
) -> ReportRecord:
    if job.created_at is None or job.last_modified_at is None:
        raise ValueError(f"Describe response for {job.name} has no CreationTime or LastModifiedTime")
    ended = job.ended_at if job.is_terminal else None
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
        job_artifacts=job.job_artifacts,
        model_insights_prefix=job.model_insights_prefix,
        backtest_results_prefix=job.backtest_results_prefix,
        best_candidate_metrics=job.best_candidate_metrics,
        why_ended=why_ended(job),
        duration_seconds=(epoch_ms(ended) - epoch_ms(job.created_at)) // 1000 if ended else None,
        notes=notes or [],
    )


def storable(record: ReportRecord) -> ReportRecord:
    """The record as DynamoDB can store it: every lone surrogate (a JSON escape like \\udc80 in a column
    name or a message) becomes U+FFFD, and a note says where. Everything else is kept as given."""
    data = record.model_dump(mode="json")
    changed: list[str] = []
    clean = _replace_surrogates(data, "", changed)
    if not changed:
        return record
    note = f"lone surrogates replaced by U+FFFD in {', '.join(sorted(set(changed)))}"
    return ReportRecord.model_validate({**clean, "notes": [*clean.get("notes", []), note]})


def _replace_surrogates(value: Any, path: str, changed: list[str]) -> Any:
    if isinstance(value, str):
        if has_lone_surrogate(value):
            changed.append(path or "a value")
            return storable_text(value)
        return value
    if isinstance(value, dict):
        return {
            storable_text(key): _replace_surrogates(item, f"{path}.{key}" if path else key, changed)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_replace_surrogates(item, path, changed) for item in value]
    return value


def reduced_record(record: ReportRecord, rejected: str) -> ReportRecord:
    """What is stored when the table refuses the full record: identity, status, times and why. The
    features, leaderboard, metrics, messages and S3 locations are dropped (Describe and the console still
    have them), so the reduced record always fits."""
    dropped = (
        f"the full record was refused ({rejected[:REDUCED_REASON_CHARS]}); stored without its top features, "
        f"leaderboard, candidate metrics, S3 locations, {len(record.partial_failures)} partial failure messages "
        "and failure reason"
    )
    explainability = Explainability(
        state=record.explainability.state, reason="dropped from this reduced record: see the job in the console"
    )
    best = record.best_candidate
    return ReportRecord(
        job_name=record.job_name,
        job_arn=record.job_arn,
        api=record.api,
        status=record.status,
        secondary_status=record.secondary_status,
        problem_type=record.problem_type,
        objective=record.objective,
        best_candidate=best[:REDUCED_REASON_CHARS] if best else None,
        explainability=explainability,
        created_at=record.created_at,
        ended_at=record.ended_at,
        last_modified_at=record.last_modified_at,
        leaderboard=None if record.leaderboard is None else [],
        notified_at=record.notified_at,
        why_ended=record.why_ended,
        duration_seconds=record.duration_seconds,
        family=record.family,
        notes=[dropped],
    )
