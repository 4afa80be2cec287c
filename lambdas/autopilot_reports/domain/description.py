"""One shape for what DescribeAutoMLJob and DescribeAutoMLJobV2 say about a job."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from autopilot_reports import constants as c
from autopilot_reports.domain.ports import Api
from autopilot_reports.models.common import as_utc, parse_iso_utc
from autopilot_reports.models.record import LeaderboardEntry, Objective

TIME_SERIES_PROBLEM_TYPE = "TimeSeriesForecasting"
MAXIMIZE, MINIMIZE = "Maximize", "Minimize"
# Autopilot's objective metrics that are better when lower (AutoMLJobObjective in the API reference);
# used only when no candidate states its metric's direction.
LOWER_IS_BETTER = frozenset(
    {
        "MSE",
        "RMSE",
        "MAE",
        "LogLoss",
        "AverageWeightedQuantileLoss",
        "MAPE",
        "MASE",
        "WAPE",
        "Perplexity",
        "ValidationLoss",
    }
)


@dataclass(frozen=True)
class JobDescription:
    api: Api
    name: str
    arn: str
    status: str
    secondary_status: str
    problem_type: str | None
    best_candidate: str | None
    objective: Objective | None
    explainability_prefix: str | None
    partial_failures: list[str] = field(default_factory=list)
    failure_reason: str | None = None
    created_at: datetime | None = None
    ended_at: datetime | None = None
    last_modified_at: datetime | None = None
    objective_metric: str | None = None  # the job's objective, even before a best candidate exists
    endpoint: str | None = None

    @property
    def is_time_series(self) -> bool:
        return self.problem_type == TIME_SERIES_PROBLEM_TYPE

    @property
    def is_terminal(self) -> bool:
        return self.status in c.TERMINAL_STATUSES

    @property
    def higher_is_better(self) -> bool:
        """The objective's direction: as the best candidate states it, else known from the metric's name."""
        if self.objective is not None and self.objective.type in (MAXIMIZE, MINIMIZE):
            return self.objective.type == MAXIMIZE
        metric = self.objective.metric if self.objective is not None else self.objective_metric
        return metric not in LOWER_IS_BETTER


def describe_job(api: Api, response: Mapping[str, Any]) -> JobDescription:
    """Normalizes a Describe response. Raises KeyError/TypeError on a response missing required fields."""
    best = response.get("BestCandidate")
    best = best if isinstance(best, Mapping) else {}  # a malformed BestCandidate reads as none, not a crash
    return JobDescription(
        api=api,
        name=response["AutoMLJobName"],
        arn=response["AutoMLJobArn"],
        status=response["AutoMLJobStatus"],
        secondary_status=response["AutoMLJobSecondaryStatus"],
        problem_type=_problem_type(api, response),
        best_candidate=best.get("CandidateName"),
        objective=_objective(best),
        explainability_prefix=_dig(best, "CandidateProperties", "CandidateArtifactLocations", "Explainability"),
        partial_failures=cap_partial_failures(response.get("PartialFailureReasons") or []),
        failure_reason=_truncate(str(response["FailureReason"]), c.MAX_FAILURE_REASON_CHARS)
        if response.get("FailureReason")
        else None,
        created_at=_time(response.get("CreationTime")),
        ended_at=_time(response.get("EndTime")),
        last_modified_at=_time(response.get("LastModifiedTime")),
        objective_metric=_dig(response, "AutoMLJobObjective", "MetricName")
        or _dig(response, "ResolvedAttributes", "AutoMLJobObjective", "MetricName"),
        endpoint=_dig(response, "ModelDeployResult", "EndpointName") or None,
    )


def leaderboard_entries(
    candidates: Sequence[Mapping[str, Any]], higher_is_better: bool, limit: int
) -> list[LeaderboardEntry]:
    """The Completed candidates with an objective value, best first (ties by name), at most `limit`.
    The API was asked for exactly this; it is checked again so a listing never reorders the board."""
    scored = [
        candidate
        for candidate in candidates
        if candidate.get("CandidateStatus") == c.COMPLETED and _objective_value(candidate) is not None
    ]
    scored.sort(key=lambda candidate: str(candidate.get("CandidateName", "")))
    scored.sort(key=lambda candidate: _objective_value(candidate) or 0.0, reverse=higher_is_better)
    return [
        LeaderboardEntry(
            candidate=str(candidate.get("CandidateName", "")),
            objective=_objective(candidate),
            explainability_prefix=_location(candidate, "Explainability"),
            model_insights_prefix=_location(candidate, "ModelInsights"),
        )
        for candidate in scored[:limit]
    ]


def _objective_value(candidate: Mapping[str, Any]) -> float | None:
    objective = _objective(candidate)
    return objective.value if objective is not None else None


def _location(candidate: Mapping[str, Any], name: str) -> str | None:
    value = _dig(candidate, "CandidateProperties", "CandidateArtifactLocations", name)
    return value if isinstance(value, str) and value else None


def cap_partial_failures(reasons: Any) -> list[str]:
    """Every message, each within the API's 1,024 characters; a list longer than any the API returns is
    cut with a final line saying how many were left out."""
    if not isinstance(reasons, list | tuple):  # one reason where a list belongs
        reasons = [reasons]
    messages = [_partial_failure_message(reason) for reason in reasons if reason is not None]
    capped = [_truncate(message, c.MAX_PARTIAL_FAILURE_CHARS) for message in messages[: c.MAX_PARTIAL_FAILURES]]
    if len(messages) > c.MAX_PARTIAL_FAILURES:
        capped.append(f"... and {len(messages) - c.MAX_PARTIAL_FAILURES} more partial failure messages")
    return capped


def _partial_failure_message(reason: Any) -> str:
    """The reason's message; an entry of another shape is kept as text, never dropped silently."""
    if isinstance(reason, Mapping) and isinstance(reason.get("PartialFailureMessage"), str):
        return str(reason["PartialFailureMessage"])
    return str(reason)


def _truncate(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    marker = f" ... [{len(text) - limit} characters truncated]"
    return text[: limit - len(marker)] + marker


def _problem_type(api: Api, response: Mapping[str, Any]) -> str | None:
    if api == "v1":
        return _dig(response, "ResolvedAttributes", "ProblemType") or response.get("ProblemType")
    resolved = _dig(
        response,
        "ResolvedAttributes",
        "AutoMLProblemTypeResolvedAttributes",
        "TabularResolvedAttributes",
        "ProblemType",
    )
    configured = _dig(response, "AutoMLProblemTypeConfig", "TabularJobConfig", "ProblemType")
    return resolved or configured or response.get("AutoMLProblemTypeConfigName")


def _objective(candidate: Mapping[str, Any]) -> Objective | None:
    metric = candidate.get("FinalAutoMLJobObjectiveMetric")
    if not isinstance(metric, Mapping) or not metric.get("MetricName"):
        return None
    value = metric.get("Value")
    number = value if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) else None
    return Objective(
        metric=str(metric["MetricName"]), type=metric.get("Type"), value=None if number is None else float(number)
    )


def _dig(mapping: Mapping[str, Any], *path: str) -> Any:
    current: Any = mapping
    for key in path:
        if not isinstance(current, Mapping):
            return None
        current = current.get(key)
    return current


def _time(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        return parse_iso_utc(value)
    return as_utc(value)
