"""The scheduled digest (docs/design.md §2.5, `event_type: digest`): what happened across all jobs in a period.

Its `lambda` and `sqs` copies are this model's JSON, for programs; e-mail and chat render it readably.
Every list names at most `DIGEST_LIST_LIMIT` jobs; `omitted` counts the rest, per list. An organization's
digest (a hub's: `organization`) also counts by account (`accounts`), and each job it names names its
account and region: `churn-2026-11-01 (111122223333 (team-churn), eu-west-1)`.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from autopilot_reports.models.common import StorableFloat, UtcDatetime


class Period(BaseModel):
    model_config = ConfigDict(frozen=True)

    start: UtcDatetime
    end: UtcDatetime


class DigestBest(BaseModel):
    model_config = ConfigDict(frozen=True)

    job_name: str
    value: StorableFloat
    metric: str | None = None


class FamilySummary(BaseModel):
    """One family active in the period: its jobs then, its standing best, and whether the best improved."""

    model_config = ConfigDict(frozen=True)

    family: str
    jobs: int
    best: DigestBest | None = None
    improved: bool = False


class DigestCost(BaseModel):
    """What the jobs that ended in the period cost, as their records' estimates say (`compute`): the total,
    by family and by account, over the costed jobs; the others are counted."""

    model_config = ConfigDict(frozen=True)

    currency: str
    total: StorableFloat
    costed_jobs: int  # ended in the period with an estimate in `currency`
    not_costed_jobs: int = 0  # ended in the period with no estimate (yet), or one in another currency
    incomplete_jobs: int = 0  # costed, but the figures leave something out (`compute.incomplete`)
    by_family: dict[str, StorableFloat] = Field(default_factory=dict)
    by_account: dict[str, StorableFloat] = Field(default_factory=dict)


class AccountSummary(BaseModel):
    """One account's jobs last modified in the period, by status, and the regions they ran in."""

    model_config = ConfigDict(frozen=True)

    account_id: str
    account_name: str | None = None
    regions: list[str] = Field(default_factory=list)
    counts: dict[str, int]


class Digest(BaseModel):
    model_config = ConfigDict(frozen=True)

    period: Period
    counts: dict[str, int]  # Completed, Failed, Stopped, InProgress: jobs last modified in the period
    failed: list[str] = Field(default_factory=list)
    partial_failures: list[str] = Field(default_factory=list)
    families: list[FamilySummary] = Field(default_factory=list)
    new_bests: list[str] = Field(default_factory=list)
    stuck: list[str] = Field(default_factory=list)  # InProgress now, quiet for stuckAfterMinutes or longer
    omitted: dict[str, int] = Field(default_factory=dict)  # per list: names beyond the limit
    region: str = ""
    cost: DigestCost | None = None  # null when no job of the period has been costed
    organization: bool = False  # a hub's: across its spokes' accounts and regions
    accounts: list[AccountSummary] = Field(default_factory=list)  # an organization's: counts by account
