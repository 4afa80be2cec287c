"""What costing a job keeps between its pieces, and the prices it caches (docs/design.md §4, `compute`).

A job's child jobs are described in bounded pieces (domain/coster.py); `CostProgress` is what one piece
hands to the next (stored in the table, whose stream starts the next piece): the child jobs still to
describe and the partial sums so far (`Tally`). `CachedPrice` is one on-demand hourly price, kept a week.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import NamedTuple

from pydantic import BaseModel, ConfigDict, Field

from autopilot_reports.models.common import StorableFloat, UtcDatetime

UNDESCRIBED_NAMED = 10  # child jobs named in `incomplete`; the rest are counted
PROBLEMS_KEPT = 10


class ChildKind(StrEnum):
    """The kinds of job Autopilot launches for a candidate (AutoMLCandidateStep.CandidateStepType)."""

    TRAINING = "training"
    PROCESSING = "processing"
    TRANSFORM = "transform"


class ChildJob(BaseModel):
    """One distinct child job: its kind and the name its Describe call takes."""

    model_config = ConfigDict(frozen=True)

    kind: ChildKind
    name: str

    def __str__(self) -> str:
        return f"{self.kind.value} job {self.name}"


class Tally(BaseModel):
    """The partial sums of a job's costing: every figure of `Compute` but the estimate, and what is left
    out so far. Billable seconds are also kept by usage (kind) and instance type: the prices are."""

    model_config = ConfigDict(frozen=True)

    child_jobs: dict[str, int] = Field(default_factory=dict)  # by kind, described or not
    instance_seconds: dict[str, StorableFloat] = Field(default_factory=dict)  # by instance type
    billable_by_usage: dict[str, dict[str, StorableFloat]] = Field(default_factory=dict)  # kind -> type -> seconds
    billable_seconds: StorableFloat = 0.0
    spot_savings_seconds: StorableFloat = 0.0
    described: int = 0
    undescribed: list[str] = Field(default_factory=list)  # the first UNDESCRIBED_NAMED, with why
    undescribed_count: int = 0
    problems: list[str] = Field(default_factory=list)  # described, but some figure was missing (capped)
    problem_count: int = 0


class CostProgress(BaseModel):
    """What one piece of a job's costing hands to the next: the child jobs still to describe, in order,
    and the sums so far. `pieces` counts the pieces done; the next write expects it (one chain per job)."""

    model_config = ConfigDict(frozen=True)

    job_name: str
    job_arn: str
    family: str = ""
    pending: list[ChildJob]
    tally: Tally
    pieces: int = 0
    started_at: UtcDatetime


class PriceKey(NamedTuple):
    """Which price: where, for what usage (the child job's kind) and on which instance type."""

    region: str
    usage: str  # a ChildKind's value
    instance_type: str


class CachedPrice(BaseModel):
    """An on-demand hourly list price as the Price List API gave it (or that it listed none), and when."""

    model_config = ConfigDict(frozen=True)

    region: str
    usage: str
    instance_type: str
    hourly: StorableFloat | None = None  # None: no on-demand price listed
    currency: str | None = None
    fetched_at: UtcDatetime
    reason: str | None = None  # why there is no price

    @property
    def key(self) -> PriceKey:
        return PriceKey(self.region, self.usage, self.instance_type)

    def fresh_at(self, moment: datetime, ttl_seconds: float) -> bool:
        return (moment - self.fetched_at).total_seconds() < ttl_seconds


class FamilyCost(BaseModel):
    """A family's estimated cost so far: the sum of its costed jobs' estimates (on its family item)."""

    model_config = ConfigDict(frozen=True)

    amount: StorableFloat
    currency: str
    jobs: int  # jobs whose estimate is in the sum
