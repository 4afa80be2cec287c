"""One shape for what DescribeAutoMLJob and DescribeAutoMLJobV2 say about a job."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from autopilot_reports.domain.ports import Api
from autopilot_reports.models.common import as_utc, parse_iso_utc
from autopilot_reports.models.record import Objective

TIME_SERIES_PROBLEM_TYPE = "TimeSeriesForecasting"
MAX_PARTIAL_FAILURE_CHARS = 1024  # the API's own limit per message
MAX_PARTIAL_FAILURES = 20  # the API returns at most 5; anything beyond is summarised, never dropped silently


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

    @property
    def is_time_series(self) -> bool:
        return self.problem_type == TIME_SERIES_PROBLEM_TYPE


def describe_job(api: Api, response: Mapping[str, Any]) -> JobDescription:
    """Normalizes a Describe response. Raises KeyError/TypeError on a response missing required fields."""
    best = response.get("BestCandidate") or {}
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
        failure_reason=response.get("FailureReason") or None,
        created_at=_time(response.get("CreationTime")),
        ended_at=_time(response.get("EndTime")),
        last_modified_at=_time(response.get("LastModifiedTime")),
    )


def cap_partial_failures(reasons: list[Mapping[str, Any]]) -> list[str]:
    """Every message, each within the API's 1,024 characters; a list longer than any the API returns is
    cut with a final line saying how many were left out."""
    messages = [str(reason.get("PartialFailureMessage", "")) for reason in reasons]
    capped = [_truncate(message, MAX_PARTIAL_FAILURE_CHARS) for message in messages[:MAX_PARTIAL_FAILURES]]
    if len(messages) > MAX_PARTIAL_FAILURES:
        capped.append(f"... and {len(messages) - MAX_PARTIAL_FAILURES} more partial failure messages")
    return capped


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


def _objective(best: Mapping[str, Any]) -> Objective | None:
    metric = best.get("FinalAutoMLJobObjectiveMetric")
    if not metric or not metric.get("MetricName"):
        return None
    return Objective(metric=metric["MetricName"], type=metric.get("Type"), value=metric.get("Value"))


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
