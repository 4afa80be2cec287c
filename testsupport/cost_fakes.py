"""In-memory fakes of the ports costing uses (ChildJobs, PriceList, CostStore): they behave like the real
adapters (tests/integration/test_cost_store_contract.py runs the store's contract against both)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from autopilot_reports.domain.ports import (
    ChildJobUnavailableError,
    LeaderboardUnavailableError,
    PriceListUnavailableError,
)
from autopilot_reports.models.cost import CachedPrice, ChildKind, CostProgress, FamilyCost, PriceKey
from autopilot_reports.models.place import JobRef
from autopilot_reports.models.record import Compute
from testsupport.fakes import FakeStore

# What SageMaker answers for a training job that does not exist (aws/aws-sdk#165).
NOT_FOUND = "Requested resource not found."
STEP_TYPES = {
    ChildKind.TRAINING: "AWS::SageMaker::TrainingJob",
    ChildKind.PROCESSING: "AWS::SageMaker::ProcessingJob",
    ChildKind.TRANSFORM: "AWS::SageMaker::TransformJob",
}
NAME_MEMBERS = {
    ChildKind.TRAINING: "TrainingJobName",
    ChildKind.PROCESSING: "ProcessingJobName",
    ChildKind.TRANSFORM: "TransformJobName",
}


def kind_of(response: Mapping[str, Any]) -> ChildKind:
    return next(kind for kind, member in NAME_MEMBERS.items() if member in response)


@dataclass
class FakeChildJobs:
    """Candidates by job name, and child jobs' Describe responses (their names compared without case)."""

    candidates: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    responses: list[dict[str, Any]] = field(default_factory=list)
    candidates_error: str | None = None
    list_calls: int = 0
    described: list[tuple[ChildKind, str]] = field(default_factory=list)

    def list_candidates(self, job_name: str) -> list[dict[str, Any]]:
        self.list_calls += 1
        if self.candidates_error:
            raise LeaderboardUnavailableError(self.candidates_error)
        return list(self.candidates.get(job_name, []))

    def describe(self, kind: ChildKind, name: str) -> dict[str, Any]:
        self.described.append((kind, name))
        for response in self.responses:
            if kind_of(response) is kind and str(response[NAME_MEMBERS[kind]]).lower() == name.lower():
                return dict(response)
        raise ChildJobUnavailableError(NOT_FOUND)


@dataclass
class FakePriceList:
    """GetProducts over PriceList entries (parsed), with its filters' TERM_MATCH on product attributes."""

    entries: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    calls: list[tuple[str, str]] = field(default_factory=list)

    def products(self, region: str, instance_type: str) -> list[dict[str, Any]]:
        self.calls.append((region, instance_type))
        if self.error:
            raise PriceListUnavailableError(self.error)
        wanted = {"regionCode": region, "instanceName": instance_type}
        return [
            entry
            for entry in self.entries
            if all(entry["product"]["attributes"].get(name) == value for name, value in wanted.items())
        ]


@dataclass
class FakeCostStore:
    """The CostStore port over a FakeStore's records (compute goes onto them, as on the table's items)."""

    reports: FakeStore = field(default_factory=FakeStore)
    progress: dict[str, CostProgress] = field(default_factory=dict)  # by job id
    prices: dict[PriceKey, CachedPrice] = field(default_factory=dict)
    family_costs: dict[str, FamilyCost] = field(default_factory=dict)
    price_reads: int = 0
    price_writes: int = 0
    hand_offs: int = 0

    def cached_prices(self, keys: Sequence[PriceKey]) -> dict[PriceKey, CachedPrice]:
        self.price_reads += 1
        return {key: self.prices[key] for key in keys if key in self.prices}

    def save_prices(self, prices: Sequence[CachedPrice]) -> None:
        self.price_writes += 1
        self.prices.update({price.key: price for price in prices})

    def hand_on(self, progress: CostProgress, previous_pieces: int | None) -> bool:
        job_id = self._job_id(progress.job_arn, progress.job_name)
        stored = self.progress.get(job_id)
        if (stored is None) != (previous_pieces is None) or (stored is not None and stored.pieces != previous_pieces):
            return False
        self.progress[job_id] = progress
        self.hand_offs += 1
        return True

    def finish(self, job: JobRef, family: str, compute: Compute, progress_stored: bool) -> bool:
        job_id = self.reports.job_id(job)
        record = self.reports.records.get(job_id)
        if progress_stored:
            self.progress.pop(job_id, None)
        if record is None or record.compute is not None:
            return False
        self.reports.records[job_id] = record.model_copy(update={"compute": compute})
        estimate = compute.estimated_cost
        if family and estimate is not None:
            total = self.family_costs.get(family)
            self.family_costs[family] = FamilyCost(
                amount=(total.amount if total else 0.0) + estimate.amount,
                currency=estimate.currency,
                jobs=(total.jobs if total else 0) + 1,
            )
        return True

    def _job_id(self, arn: str, name: str) -> str:
        return self.reports.job_id(JobRef.of(arn, name))


def step(kind: ChildKind, arn: str, name: str) -> dict[str, str]:
    """An AutoMLCandidateStep."""
    return {"CandidateStepType": STEP_TYPES[kind], "CandidateStepArn": arn, "CandidateStepName": name}
