"""The report record (docs/design.md §4): what DynamoDB keeps, the CLI prints and the sandbox writes."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field, model_validator

from autopilot_reports import constants as c
from autopilot_reports.models.common import StorableFloat, UtcDatetime, epoch_ms
from autopilot_reports.models.place import JobRef, Place

# How far along a job is, for two observations with the same LastModifiedTime (SageMaker bumps it on
# every change, but a tie must still order the same way everywhere): status first, then the secondary
# status in the order an AutoML job passes through them.
STATUS_ORDER = {"InProgress": 0, "Stopping": 1, "Completed": 2, "Failed": 2, "Stopped": 2}
SECONDARY_STATUS_ORDER = {
    "Starting": 0,
    "AnalyzingData": 1,
    "PreTraining": 2,
    "FeatureEngineering": 2,
    "ModelTuning": 3,
    "TrainingModels": 3,
    "CandidateDefinitionsGenerated": 4,
    "GeneratingExplainabilityReport": 5,
    "GeneratingModelInsightsReport": 6,
    "DeployingModel": 7,
}
LATE_SECONDARY_STATUS = 8  # outcomes (Completed, Failed, MaxCandidatesReached, ...Error) and unknown ones


def state_rank(status: str, secondary_status: str) -> int:
    """A number that grows as a job progresses; equal for identical states (below RANKS_PER_MS)."""
    return STATUS_ORDER.get(status, 0) * 100 + SECONDARY_STATUS_ORDER.get(secondary_status, LATE_SECONDARY_STATUS)


RANKS_PER_MS = 1000  # state_rank stays below this


def progress(last_modified_at: datetime, status: str, secondary_status: str) -> int:
    """THE "newer" rule, as one number: LastModifiedTime (ms), then lifecycle rank for a tie. An
    observation is newer than another exactly when its progress is greater; the watcher, the store's
    condition expression and the fake store all compare this number, never their own rule."""
    return epoch_ms(last_modified_at) * RANKS_PER_MS + state_rank(status, secondary_status)


class ExplainabilityState(StrEnum):
    PENDING = "pending"
    AVAILABLE = "available"
    MISSING = "missing"
    ERROR = "error"
    NOT_APPLICABLE = "not_applicable"


class Objective(BaseModel):
    """A candidate's final objective metric: its name and Type as AWS gave them, the standard metric the
    name stands for where one is known, and the direction decided for it (domain.objective; None when
    no evidence decides it)."""

    model_config = ConfigDict(frozen=True)

    metric: str
    type: str | None = None
    value: StorableFloat | None = None
    standard_metric: str | None = None
    direction: Literal["Maximize", "Minimize"] | None = None

    @model_validator(mode="after")
    def _type_decides(self) -> Objective:
        """A record stored before `direction` existed still has AWS's Type: the strongest evidence there is
        (domain.objective), so it decides the direction on read too."""
        if self.direction is None and self.type in ("Maximize", "Minimize"):
            object.__setattr__(self, "direction", self.type)
        return self


class CandidateMetric(BaseModel):
    """One of the best candidate's CandidateMetrics: name as given, standard name, data set, value."""

    model_config = ConfigDict(frozen=True)

    metric: str
    standard_metric: str | None = None
    set: str | None = None  # Train, Validation or Test, as AWS gives it
    value: StorableFloat | None = None  # null when AWS gave no finite number


class JobArtifacts(BaseModel):
    """The notebooks Autopilot wrote for the job (AutoMLJobArtifacts), as s3:// URIs."""

    model_config = ConfigDict(frozen=True)

    candidate_definition_notebook: str | None = None
    data_exploration_notebook: str | None = None


class FamilyBest(BaseModel):
    """The best Completed job of a family so far, by its objective value."""

    model_config = ConfigDict(frozen=True)

    job_name: str
    value: StorableFloat


class FeatureImportance(BaseModel):
    model_config = ConfigDict(frozen=True)

    feature: str
    importance: StorableFloat


class LeaderboardEntry(BaseModel):
    """One Completed candidate of a terminal job, from ListCandidatesForAutoMLJob."""

    model_config = ConfigDict(frozen=True)

    candidate: str
    objective: Objective | None = None
    explainability_prefix: str | None = None
    model_insights_prefix: str | None = None


class Explainability(BaseModel):
    model_config = ConfigDict(frozen=True)

    state: ExplainabilityState
    s3_prefix: str | None = None
    reason: str | None = None
    top_features: list[FeatureImportance] = Field(default_factory=list)
    feature_count: int = 0
    labels: list[str] = Field(default_factory=list)
    artifacts: dict[str, str] = Field(default_factory=dict)


class EstimatedCost(BaseModel):
    """What the job's compute would cost at on-demand list prices (docs/design.md §4: what it includes and
    excludes). `basis` says which prices, in words: "on-demand list price, <region>, fetched <date>"."""

    model_config = ConfigDict(frozen=True)

    amount: StorableFloat
    currency: str
    basis: str


class Compute(BaseModel):
    """What the job's child jobs (training, processing, transform) used, and its estimated cost: filled
    after the report, off its hot path (domain/coster.py). Seconds are instance-seconds (× instance count)."""

    model_config = ConfigDict(frozen=True)

    child_jobs: dict[str, int]  # distinct child jobs by kind (training, processing, transform), described or not
    instance_seconds: dict[str, StorableFloat]  # instance type -> seconds its instances were held
    billable_seconds: StorableFloat
    spot_savings_seconds: StorableFloat
    estimated_cost: EstimatedCost | None = None  # null: nothing could be priced
    incomplete: str | None = None  # why the figures leave something out, in words; null when they do not

    @property
    def child_job_count(self) -> int:
        return sum(self.child_jobs.values())

    @property
    def total_instance_seconds(self) -> float:
        return sum(self.instance_seconds.values())


class ReportRecord(BaseModel):
    """The latest known state of one AutoML job."""

    model_config = ConfigDict(frozen=True)

    job_name: str
    job_arn: str
    api: Literal["v1", "v2"]
    status: str
    secondary_status: str
    problem_type: str | None = None
    objective: Objective | None = None
    best_candidate: str | None = None
    explainability: Explainability
    partial_failures: list[str] = Field(default_factory=list)
    failure_reason: str | None = None
    created_at: UtcDatetime
    ended_at: UtcDatetime | None = None
    last_modified_at: UtcDatetime
    leaderboard: list[LeaderboardEntry] | None = None  # null until the job ends; [] when none
    endpoint: str | None = None  # the endpoint Autopilot deployed the best candidate to (ModelDeployResult)
    notified_at: UtcDatetime | None = None
    job_artifacts: JobArtifacts = Field(default_factory=JobArtifacts)
    model_insights_prefix: str | None = None
    backtest_results_prefix: str | None = None
    best_candidate_metrics: list[CandidateMetric] = Field(default_factory=list)
    why_ended: str | None = None  # one plain sentence for the terminal secondary status
    duration_seconds: int | None = None  # EndTime - CreationTime
    family: str = ""  # from the job name by the stack's jobFamilyPattern
    new_best_in_family: bool = False
    previous_best: FamilyBest | None = None  # the best this job beat, or the standing best
    notes: list[str] = Field(default_factory=list)  # what the reporter could not keep as given, in words
    # The account's name where an organization's hub knows it (context accountNames); set by the hub, never
    # taken from what a spoke sent. None in a standalone stack or a spoke.
    account_name: str | None = None
    compute: Compute | None = None  # written by the coster after the report; the reporter never writes it

    @property
    def is_terminal(self) -> bool:
        return self.status in c.TERMINAL_STATUSES

    @property
    def place(self) -> Place | None:
        """Where the job ran, from its ARN (None only for a record made by hand with another ARN)."""
        return Place.of_arn_or_none(self.job_arn)

    @property
    def job(self) -> JobRef:
        """Which job this is in an organization. Raises InvalidJobArnError when the ARN is not an AutoML
        job's (only a record made by hand has such an ARN)."""
        return JobRef.of(self.job_arn, self.job_name)

    # In the record's JSON and stored as attributes (docs/design.md §4), derived again when read: an item
    # stored before they existed reads the same.
    @computed_field  # type: ignore[prop-decorator]
    @property
    def account_id(self) -> str | None:
        place = self.place
        return place.account if place else None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def region(self) -> str | None:
        place = self.place
        return place.region if place else None

    @property
    def progress(self) -> int:
        return progress(self.last_modified_at, self.status, self.secondary_status)

    @property
    def account_label(self) -> str:
        """The account as people read it: `111122223333 (team-churn)`, or the id alone."""
        return account_label(self.account_id, self.account_name)


def account_label(account_id: str | None, account_name: str | None) -> str:
    """An account id with its name beside it where known (`111122223333 (team-churn)`)."""
    shown = account_id or "unknown account"
    return f"{shown} ({account_name})" if account_name else shown


class HistoryEntry(BaseModel):
    """One observed transition of a job."""

    model_config = ConfigDict(frozen=True)

    job_name: str
    status: str
    secondary_status: str
    last_modified_at: UtcDatetime
    explainability_state: ExplainabilityState
    partial_failure_count: int = 0
    failure_reason: str | None = None
    detected_by: str | None = None

    @classmethod
    def of(cls, record: ReportRecord, detected_by: str | None) -> HistoryEntry:
        return cls(
            job_name=record.job_name,
            status=record.status,
            secondary_status=record.secondary_status,
            last_modified_at=record.last_modified_at,
            explainability_state=record.explainability.state,
            partial_failure_count=len(record.partial_failures),
            failure_reason=record.failure_reason,
            detected_by=detected_by,
        )
