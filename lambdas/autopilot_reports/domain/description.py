"""One shape for what DescribeAutoMLJob and DescribeAutoMLJobV2 say about a job."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, cast

from autopilot_reports import constants as c
from autopilot_reports.domain.objective import Direction, decide, standard_metric
from autopilot_reports.domain.ports import Api
from autopilot_reports.models.common import as_utc, parse_iso_utc
from autopilot_reports.models.record import CandidateMetric, JobArtifacts, LeaderboardEntry, Objective

TIME_SERIES_PROBLEM_TYPE = "TimeSeriesForecasting"
NO_MESSAGE = "(SageMaker gave no message)"


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
    direction: Direction
    partial_failures: list[str] = field(default_factory=list)
    failure_reason: str | None = None
    created_at: datetime | None = None
    ended_at: datetime | None = None
    last_modified_at: datetime | None = None
    endpoint: str | None = None
    job_artifacts: JobArtifacts = field(default_factory=JobArtifacts)
    model_insights_prefix: str | None = None
    backtest_results_prefix: str | None = None
    best_candidate_metrics: list[CandidateMetric] = field(default_factory=list)
    max_candidates: int | None = None
    max_runtime_seconds: int | None = None

    @property
    def is_time_series(self) -> bool:
        return self.problem_type == TIME_SERIES_PROBLEM_TYPE

    @property
    def is_terminal(self) -> bool:
        return self.status in c.TERMINAL_STATUSES


def describe_job(api: Api, response: Mapping[str, Any]) -> JobDescription:
    """Normalizes a Describe response. Raises KeyError/TypeError on a response missing required fields."""
    best = response.get("BestCandidate")
    best = best if isinstance(best, Mapping) else {}  # a malformed BestCandidate reads as none, not a crash
    final_metric = best.get("FinalAutoMLJobObjectiveMetric")
    final_metric = final_metric if isinstance(final_metric, Mapping) else {}
    direction = decide(
        _text(final_metric.get("Type")),
        _text(_dig(response, "AutoMLJobObjective", "MetricName"))
        or _text(_dig(response, "ResolvedAttributes", "AutoMLJobObjective", "MetricName")),
        _text(final_metric.get("StandardMetricName")),
        _text(final_metric.get("MetricName")),
    )
    completion = _completion_criteria(api, response)
    return JobDescription(
        api=api,
        name=response["AutoMLJobName"],
        arn=response["AutoMLJobArn"],
        status=response["AutoMLJobStatus"],
        secondary_status=response["AutoMLJobSecondaryStatus"],
        problem_type=_problem_type(api, response),
        best_candidate=_text(best.get("CandidateName")),
        objective=objective_of(best, direction),
        explainability_prefix=_location(best, "Explainability"),
        direction=direction,
        partial_failures=cap_partial_failures(response.get("PartialFailureReasons") or []),
        failure_reason=_truncate(str(response["FailureReason"]), c.MAX_FAILURE_REASON_CHARS)
        if response.get("FailureReason")
        else None,
        created_at=_time(response.get("CreationTime")),
        ended_at=_time(response.get("EndTime")),
        last_modified_at=_time(response.get("LastModifiedTime")),
        endpoint=_text(_dig(response, "ModelDeployResult", "EndpointName")),
        job_artifacts=JobArtifacts(
            candidate_definition_notebook=_text(
                _dig(response, "AutoMLJobArtifacts", "CandidateDefinitionNotebookLocation")
            ),
            data_exploration_notebook=_text(_dig(response, "AutoMLJobArtifacts", "DataExplorationNotebookLocation")),
        ),
        model_insights_prefix=_location(best, "ModelInsights"),
        backtest_results_prefix=_location(best, "BacktestResults"),
        best_candidate_metrics=candidate_metrics(_dig(best, "CandidateProperties", "CandidateMetrics")),
        max_candidates=_whole(completion.get("MaxCandidates")),
        max_runtime_seconds=_whole(completion.get("MaxAutoMLJobRuntimeInSeconds")),
    )


def leaderboard_entries(
    candidates: Sequence[Mapping[str, Any]], direction: Direction, limit: int
) -> list[LeaderboardEntry]:
    """The Completed candidates with an objective value, best first (ties by name), at most `limit`.
    The API was asked for exactly this; it is checked again so a listing never reorders the board."""
    scored = [
        candidate
        for candidate in candidates
        if isinstance(candidate, Mapping)
        and candidate.get("CandidateStatus") == c.COMPLETED
        and _objective_value(candidate) is not None
    ]
    scored.sort(key=lambda candidate: str(candidate.get("CandidateName", "")))
    scored.sort(key=lambda candidate: _objective_value(candidate) or 0.0, reverse=direction.descending)
    return [
        LeaderboardEntry(
            candidate=str(candidate.get("CandidateName", "")),
            objective=objective_of(candidate, direction),
            explainability_prefix=_location(candidate, "Explainability"),
            model_insights_prefix=_location(candidate, "ModelInsights"),
        )
        for candidate in scored[:limit]
    ]


def candidate_metrics(metrics: Any) -> list[CandidateMetric]:
    """CandidateMetrics as given (MetricName may be an algorithm's name, e.g. LogLoss or validation:f1);
    entries of another shape are skipped, a value that is not a finite number is null."""
    if not isinstance(metrics, list | tuple):
        return []
    found = []
    for metric in metrics[: c.MAX_CANDIDATE_METRICS]:
        if not isinstance(metric, Mapping) or not _text(metric.get("MetricName")):
            continue
        name = str(metric["MetricName"])
        found.append(
            CandidateMetric(
                metric=name,
                standard_metric=standard_metric(_text(metric.get("StandardMetricName"))) or standard_metric(name),
                set=_text(metric.get("Set")),
                value=_finite(metric.get("Value")),
            )
        )
    return found


def _objective_value(candidate: Mapping[str, Any]) -> float | None:
    metric = candidate.get("FinalAutoMLJobObjectiveMetric")
    return _finite(metric.get("Value")) if isinstance(metric, Mapping) else None


def _location(candidate: Mapping[str, Any], name: str) -> str | None:
    return _text(_dig(candidate, "CandidateProperties", "CandidateArtifactLocations", name))


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
    """The reason's message; an entry without one says so; one of another shape is kept as text, never
    dropped silently."""
    if isinstance(reason, Mapping):
        message = reason.get("PartialFailureMessage")
        return message if isinstance(message, str) and message.strip() else NO_MESSAGE
    text = str(reason)
    return text if text.strip() else NO_MESSAGE


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


def objective_of(candidate: Mapping[str, Any], direction: Direction) -> Objective | None:
    """A candidate's FinalAutoMLJobObjectiveMetric, with the standard name and the job's direction."""
    metric = candidate.get("FinalAutoMLJobObjectiveMetric")
    if not isinstance(metric, Mapping) or not _text(metric.get("MetricName")):
        return None
    name = str(metric["MetricName"])
    return Objective(
        metric=name,
        type=_text(metric.get("Type")),
        value=_finite(metric.get("Value")),
        standard_metric=standard_metric(_text(metric.get("StandardMetricName"))) or standard_metric(name),
        direction=cast(Literal["Maximize", "Minimize"] | None, direction.direction),
    )


def _completion_criteria(api: Api, response: Mapping[str, Any]) -> Mapping[str, Any]:
    """The job's limits as resolved (else as configured): V1 in AutoMLJobConfig, V2 per problem type."""
    resolved = _dig(response, "ResolvedAttributes", "CompletionCriteria")
    if isinstance(resolved, Mapping):
        return resolved
    if api == "v1":
        configured = _dig(response, "AutoMLJobConfig", "CompletionCriteria")
    else:
        problem = _dig(response, "AutoMLProblemTypeConfig")
        config: Any = next(iter(problem.values()), None) if isinstance(problem, Mapping) else None
        configured = config.get("CompletionCriteria") if isinstance(config, Mapping) else None
    return configured if isinstance(configured, Mapping) else {}


def _finite(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return float(value) if math.isfinite(value) else None
    except OverflowError:  # an integer too large for a float
        return None


def _whole(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _text(value: Any) -> str | None:
    """A non-empty string member, else None (absent, empty or of another type)."""
    return value if isinstance(value, str) and value else None


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
