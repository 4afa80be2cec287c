"""Builds scenario files (DESIGN section 6) and what the pipeline must make of them, deterministically.

A scenario is a set of `Job`s on one `Clock`, the S3 objects under their Explainability prefixes, and
the delivery settings. `Scenario.document()` is the simulator's input; `Scenario.expectation()` is what
DESIGN sections 4, 4.1 and 5 require of the records, notifications and history, computed here from the
same timelines, never by hand:

- explainability: importance = mean of a feature's `global_shap_values` over all label keys (missing =
  0), top 10 by importance desc then feature name asc (`expected_available`);
- leaderboard: the Completed candidates with a final objective that exist when the job ends, best first
  by the objective's direction (ties by name), at most 5; null before the job ends;
- history: one item per state the watcher and history imports can observe (`Scenario.observed`);
- notifications: one per job whose terminal state was observed and that ended at or after the watch
  start (tick 0); `notified_at` stays null for every other job.

Time: tick t covers [start + t * tick, start + (t + 1) * tick). Every second offset below is written for a
15-minute tick and scaled to the clock's tick, so the same job reads alike on any clock and every change
at tick t is last modified inside tick t (newer than anything visible at an earlier tick). A job's
timeline lists its state at each tick; `HOLD` repeats the previous response unchanged.

Every job name, feature, value and S3 path is invented; the shapes follow what SageMaker and Clarify
really return (DescribeAutoMLJob / DescribeAutoMLJobV2, AutoMLCandidate, Clarify `analysis.json`).
"""

from __future__ import annotations

import copy
import hashlib
import json
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from autopilot_reports.constants import (
    DEFAULT_LEADERBOARD_SIZE,
    DEFAULT_STUCK_AFTER_MINUTES,
    DEFAULT_TOP_FEATURES,
    DEFAULT_WATERMARK_OVERLAP_SECONDS,
    EXAMPLE_ACCOUNT_ID,
    TERMINAL_STATUSES,
)
from autopilot_reports.domain.family import family_of
from autopilot_reports.domain.objective import standard_metric
from autopilot_reports.domain.untrusted import storable_text
from sandbox.timeline import DEFAULT_TICK_SECONDS, first_shown, shown_index

Doc = dict[str, Any]

REGION = "us-east-1"
ACCOUNT = EXAMPLE_ACCOUNT_ID
BUCKET = f"acme-automl-artifacts-{ACCOUNT}"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/service-role/AcmeAutopilotExecutionRole"
UNIT_TICK_SECONDS = 15 * 60  # the tick the offsets are written for
TOP_N = DEFAULT_TOP_FEATURES
LEADERBOARD_SIZE = DEFAULT_LEADERBOARD_SIZE
OVERLAP = timedelta(seconds=DEFAULT_WATERMARK_OVERLAP_SECONDS)
STUCK_AFTER = timedelta(minutes=DEFAULT_STUCK_AFTER_MINUTES)
IMPORTANCE_PLACES = 6
TERMINAL = TERMINAL_STATUSES
HOLD = "="  # timeline step: same response as the tick before
REPORTS = ("pdf", "html", "ipynb")

DEFAULT_DELIVERY: Doc = {
    "duplicates": 0,
    "shuffle": False,
    "seed": 1,
    "faults": {"sagemaker": 0.0, "s3": 0.0, "dynamodb": 0.0, "sns": 0.0, "events": 0.0},
}

# Member order of the real responses (botocore's output shapes), so files read like what AWS returns.
_HEAD = ("AutoMLJobName", "AutoMLJobArn")
_TIMES = ("CreationTime", "EndTime", "LastModifiedTime", "FailureReason", "PartialFailureReasons", "BestCandidate")
_STATUS = ("AutoMLJobStatus", "AutoMLJobSecondaryStatus")
V1_ORDER = (
    *_HEAD,
    "InputDataConfig",
    "OutputDataConfig",
    "RoleArn",
    "AutoMLJobObjective",
    "ProblemType",
    "AutoMLJobConfig",
    *_TIMES,
    *_STATUS,
    "GenerateCandidateDefinitionsOnly",
    "AutoMLJobArtifacts",
    "ResolvedAttributes",
)
V2_ORDER = (
    *_HEAD,
    "AutoMLJobInputDataConfig",
    "OutputDataConfig",
    "RoleArn",
    "AutoMLJobObjective",
    "AutoMLProblemTypeConfig",
    "AutoMLProblemTypeConfigName",
    *_TIMES,
    *_STATUS,
    "AutoMLJobArtifacts",
    "ResolvedAttributes",
    "DataSplitConfig",
    "SecurityConfig",
)


@dataclass(frozen=True)
class Kind:
    """A problem type: its objective metric and direction, and the metrics Autopilot reports (ranges)."""

    problem_type: str
    objective: tuple[str, str]
    metrics: dict[str, tuple[float, float]]


KINDS = {
    "binary": Kind(
        "BinaryClassification",
        ("F1", "Maximize"),
        {
            "F1": (0.70, 0.92),
            "AUC": (0.80, 0.97),
            "Accuracy": (0.80, 0.95),
            "BalancedAccuracy": (0.75, 0.92),
            "Precision": (0.65, 0.93),
            "Recall": (0.60, 0.92),
        },
    ),
    "multiclass": Kind(
        "MulticlassClassification",
        ("Accuracy", "Maximize"),
        {
            "Accuracy": (0.70, 0.92),
            "F1macro": (0.60, 0.88),
            "BalancedAccuracy": (0.62, 0.90),
            "PrecisionMacro": (0.60, 0.90),
            "RecallMacro": (0.60, 0.90),
        },
    ),
    "regression": Kind(
        "Regression",
        ("MSE", "Minimize"),
        {"MSE": (20.0, 90.0), "RMSE": (4.0, 9.5), "MAE": (3.0, 7.0), "R2": (0.60, 0.90)},
    ),
    "timeseries": Kind(
        "TimeSeriesForecasting",
        ("AverageWeightedQuantileLoss", "Minimize"),
        {
            "AverageWeightedQuantileLoss": (0.08, 0.25),
            "MAPE": (0.10, 0.35),
            "MASE": (0.60, 1.40),
            "WAPE": (0.10, 0.30),
            "RMSE": (8.0, 40.0),
        },
    ),
}

# FailureReason of candidates that failed (AutoMLCandidate.FailureReason; also quoted in PartialFailureReasons).
CANDIDATE_FAILURES = (
    "AlgorithmError: ExecuteUserScriptError: training exited with code 137 (the container ran out of memory "
    "on ml.m5.2xlarge).",
    "ClientError: the training job reached MaxRuntimePerTrainingJobInSeconds (3600 seconds) before it finished.",
)

# Secondary statuses after which the data analysis is done (ResolvedAttributes and notebooks exist).
POST_ANALYSIS = {
    "FeatureEngineering",
    "ModelTuning",
    "TrainingModels",
    "GeneratingExplainabilityReport",
    "GeneratingModelInsightsReport",
    "MaxCandidatesReached",
    "MaxAutoMLJobRuntimeReached",
    "Completed",
    "ExplainabilityError",
    "ModelInsightsError",
    "CandidateDefinitionsGenerated",
}

SKLEARN_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-sklearn-automl:2.5-1-cpu-py3"
XGBOOST_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1-cpu-py3"
AUTOGLUON_IMAGE = "763104351884.dkr.ecr.us-east-1.amazonaws.com/autogluon-inference:1.1.1-cpu-py311-ubuntu22.04"
FORECAST_IMAGE = AUTOGLUON_IMAGE  # AutoGluon serves the time-series ensembles too

# Timelines: HPO (V1 default), ensembling. See `timeline` for the shorthand.
HPO = [
    "InProgress/Starting",
    "InProgress/AnalyzingData",
    "InProgress/FeatureEngineering",
    "InProgress/ModelTuning",
    "InProgress/GeneratingExplainabilityReport+best",
    "Completed/Completed",
]
ENSEMBLE = [
    "InProgress/Starting",
    "InProgress/AnalyzingData",
    "InProgress/TrainingModels+best",
    "InProgress/GeneratingExplainabilityReport",
    "InProgress/GeneratingModelInsightsReport",
    "Completed/Completed",
]

CHURN_FEATURES = (
    "tenure_months monthly_charges total_charges contract_type payment_method internet_service support_calls_90d "
    "num_products paperless_billing age_band region last_login_days"
).split()


# --------------------------------------------------------------------------------------------- helpers
def short_hash(*parts: object, n: int = 8) -> str:
    return hashlib.sha1("/".join(str(p) for p in parts).encode()).hexdigest()[:n]


def timeline(steps: str) -> list[str]:
    """`"Starting AnalyzingData ModelTuning+best Stopping/Stopping Stopped/Stopped ="` as a step list: a
    bare secondary status is InProgress, `=` is HOLD."""
    return [step if "/" in step or step == HOLD else f"InProgress/{step}" for step in steps.split()]


class Clock:
    """One scenario's SageMaker clock: tick t starts at start + t * tick_seconds."""

    def __init__(self, start: str, tick_seconds: int = DEFAULT_TICK_SECONDS) -> None:
        self.start = datetime.fromisoformat(start)
        self.tick_seconds = tick_seconds
        self.scale = tick_seconds / UNIT_TICK_SECONDS  # exactly 1.0 on a 15-minute clock

    def moment(self, tick: int, seconds: float) -> datetime:
        """`seconds` (on the 15-minute scale) into tick `tick`."""
        if not 0 <= seconds < UNIT_TICK_SECONDS:
            raise ValueError(f"{seconds}s is outside tick {tick}")
        return self.start + timedelta(seconds=tick * self.tick_seconds + seconds * self.scale)

    def at(self, tick: int, seconds: float) -> str:
        return iso(self.moment(tick, seconds))


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def metric_values(kind: str, seed: str, objective_value: float) -> dict[str, float]:
    rng = random.Random(seed)
    values = {name: round(rng.uniform(lo, hi), 4) for name, (lo, hi) in KINDS[kind].metrics.items()}
    values[KINDS[kind].objective[0]] = objective_value
    return values


def shap_values(seed: str, features: Sequence[str], low: float = 0.002, high: float = 0.09) -> dict[str, float]:
    """Mean |SHAP| per feature (non-negative, a few dominant), in the order the features are given."""
    rng = random.Random(seed)
    return {f: round(low + (high - low) * rng.random() ** 3, 10) for f in features}


def analysis_doc(labels: dict[str, dict[str, float]], expected: dict[str, Any]) -> Doc:
    """A Clarify explainability analysis.json."""
    kernel_shap = {
        label: {"global_shap_values": values, "expected_value": expected[label]} for label, values in labels.items()
    }
    return {"version": "1.0", "explanations": {"kernel_shap": kernel_shap}}


def labels_doc(job: Job, features: Sequence[str], expected: dict[str, Any]) -> Doc:
    """A multi-label analysis.json: one label key per entry of `expected`, each with its own values."""
    return analysis_doc({label: shap_values(f"{job.name}/{label}", features) for label in expected}, expected)


def expected_available(doc: Doc, artifact_keys: list[str]) -> Doc:
    """The `explainability` expectation for a valid analysis.json (DESIGN 4.1)."""
    kernel_shap = doc["explanations"]["kernel_shap"]
    labels = list(kernel_shap)
    features: dict[str, None] = {}
    for label in labels:
        features.update(dict.fromkeys(kernel_shap[label]["global_shap_values"]))
    importance = {
        f: sum(kernel_shap[label]["global_shap_values"].get(f, 0.0) for label in labels) / len(labels) for f in features
    }
    ranked = sorted(importance.items(), key=lambda item: (-item[1], item[0]))
    check_unambiguous(ranked[: TOP_N + 1])
    return {
        "state": "available",
        "feature_count": len(features),
        "labels": [storable_text(label) for label in labels],
        # the record keeps names as given but for what DynamoDB cannot store (a lone surrogate: U+FFFD)
        "top_features": [
            {"feature": storable_text(f), "importance": round(v, IMPORTANCE_PLACES)} for f, v in ranked[:TOP_N]
        ],
        "artifact_keys": sorted(artifact_keys),
    }


def check_unambiguous(ranked: list[tuple[str, float]]) -> None:
    """Neighbours are exactly tied (name decides) or clearly apart; no value sits on a rounding edge."""
    for (f1, v1), (f2, v2) in zip(ranked, ranked[1:]):
        if v1 != v2 and abs(v1 - v2) < 1e-9:
            raise ValueError(f"{f1} and {f2} are too close to rank reliably")
    for f, v in ranked:
        fraction = abs(v * 10**IMPORTANCE_PLACES) % 1
        if abs(fraction - 0.5) < 1e-6:
            raise ValueError(f"{f}={v!r} sits on a rounding edge at {IMPORTANCE_PLACES} places")


def text(body: str) -> Doc:
    return {"text": body}


def report_objects(prefix: str, title: str, kinds: Sequence[str] = REPORTS) -> Doc:
    """Small placeholder Clarify reports beside analysis.json."""
    objects: Doc = {}
    if "pdf" in kinds:
        objects[f"{prefix}/report.pdf"] = text(f"%PDF-1.4\n% placeholder explainability report: {title}\n%%EOF\n")
    if "html" in kinds:
        objects[f"{prefix}/report.html"] = text(
            f"<!DOCTYPE html><html><head><title>{title}</title></head>"
            "<body><h1>Model explainability</h1><p>placeholder</p></body></html>"
        )
    if "ipynb" in kinds:
        objects[f"{prefix}/report.ipynb"] = {
            "cells": [{"cell_type": "markdown", "metadata": {}, "source": [f"# {title}\n"]}],
            "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
            "nbformat": 4,
            "nbformat_minor": 5,
        }
    return objects


def artifact_keys(reports: Sequence[str]) -> list[str]:
    return ["analysis"] + [f"report_{kind}" for kind in reports]


def fit(message: str, filler: str, length: int) -> str:
    """Extend a message with log lines (`filler`, `{n}` counting up) and cut it to exactly `length` characters."""
    if length > 1024:
        raise ValueError("PartialFailureMessage is at most 1024 characters")
    n = 1
    while len(message) < length:
        message += filler.format(n=n)
        n += 1
    return message[:length]


# Explainability expectations other than `available` (reason: a case-insensitive substring of the record's).
def not_applicable() -> Doc:
    return {"state": "not_applicable"}


def missing(reason: str | None = None) -> Doc:
    return _state("missing", reason)


def error(reason: str | None = None) -> Doc:
    return _state("error", reason)


def pending() -> Doc:
    return {"state": "pending"}


def _state(state: str, reason: str | None) -> Doc:
    return {"state": state} | ({"reason_contains": reason} if reason else {})


# ------------------------------------------------------------------------------------------ job model
def _serving_env(program: str, accept: str = "text/csv", **extra: str) -> dict[str, str]:
    """A serving container's environment, its variables in name order (as the API returns them)."""
    env = {"SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT": accept, "SAGEMAKER_PROGRAM": program, **extra}
    return dict(sorted((env | {"SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code"}).items()))


@dataclass
class Job:
    """One AutoML job: its request, its timeline and its candidates."""

    name: str
    kind: str  # binary | multiclass | regression | timeseries
    steps: list[str]  # "Status/SecondaryStatus" per tick, "+best" once the best candidate exists; HOLD repeats
    target: str
    dataset: str
    api: str = "v1"
    mode: str = "HYPERPARAMETER_TUNING"  # or ENSEMBLING
    declare_problem_type: bool = False  # the request names the problem type (else only resolved)
    offset: int = 90  # seconds (15-minute scale) into each tick at which this job's changes happen
    objective_value: float = 0.0
    explainability: bool = True  # the best candidate carries CandidateArtifactLocations
    explainability_subfolder: str | None = None  # V2: Clarify writes one folder per candidate
    failure_reason: str | None = None
    partial_failures: list[str] = field(default_factory=list)
    other_candidates: int = 2  # candidates besides the best one, each a little worse
    failed_candidates: int = 0  # how many of the last ones failed
    ts_config: Doc | None = None
    clock: Clock | None = None  # the scenario's, unless the job lived on its own (an old job: see `past`)
    past: bool = False  # ended before the scenario: only its final response is in the scenario
    running_since: timedelta | None = None  # created this long before tick 0; tick 0's state dates from half of it
    pause: tuple[int, timedelta] | None = None  # (step, how long): from that step on, every change comes later

    def __post_init__(self) -> None:
        if not 60 <= self.offset <= 700:
            raise ValueError("offset must leave room for the candidate's times inside the tick")

    @property
    def millis(self) -> float:
        """Sub-second part of this job's timestamps (SageMaker reports milliseconds)."""
        return int(short_hash(self.name, "ms", n=6), 16) % 1000 / 1000

    @property
    def timeline_clock(self) -> Clock:
        if self.clock is None:
            raise ValueError(f"{self.name} has no clock: add it to a Scenario first")
        return self.clock

    # identity and locations
    @property
    def arn(self) -> str:
        return f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:automl-job/{self.name}"

    @property
    def output_path(self) -> str:
        return f"s3://{BUCKET}/autopilot/" if self.api == "v1" else f"s3://{BUCKET}/autopilot-v2/"

    @property
    def job_prefix(self) -> str:
        return f"{self.output_path}{self.name}"

    def _documentation(self, kind: str) -> str:
        prefix = f"{self.job_prefix}/documentation/{kind}/output"
        return f"{prefix}/{self.explainability_subfolder}" if self.explainability_subfolder else prefix

    @property
    def explainability_prefix(self) -> str:
        return self._documentation("explainability")

    @property
    def problem_type(self) -> str:
        return KINDS[self.kind].problem_type

    @property
    def objective(self) -> tuple[str, str]:
        return KINDS[self.kind].objective

    # candidates
    def candidate_name(self, index: int) -> str:
        if self.mode == "ENSEMBLING":
            return f"{self.name}-trial-t1-{index + 1}"
        tuning = short_hash(self.name, "tuning", n=10)
        name = f"{self.name}-tuning-job-1-{tuning}-{index + 1:03d}-{short_hash(self.name, index)}"
        if len(name) > 64:
            raise ValueError(f"candidate name {name} is longer than 64 characters; shorten the job name")
        return name

    def candidate_steps(self, candidate: str) -> list[Doc]:
        def step(kind: str, arn_type: str, name: str) -> Doc:
            name = name[:63]
            return {
                "CandidateStepType": f"AWS::SageMaker::{kind}",
                "CandidateStepArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:{arn_type}/{name.lower()}",
                "CandidateStepName": name,
            }

        if self.mode == "ENSEMBLING":
            return [step("TrainingJob", "training-job", f"{self.name}-t1-1-{short_hash(candidate, n=24)}")]
        h = short_hash(self.name, "steps", n=20)
        return [
            step("ProcessingJob", "processing-job", f"{self.name}-db-1-{h}"),
            step("TrainingJob", "training-job", f"{self.name}-dpp0-1-{h}"),
            step("TransformJob", "transform-job", f"{self.name}-dpp0-csv-1-{h}"),
            step("TrainingJob", "training-job", candidate),
        ]

    def inference_containers(self, candidate: str) -> list[Doc]:
        model = f"{self.job_prefix}/sagemaker-automl-candidates/model/{candidate}/model.tar.gz"
        if self.kind == "timeseries":
            env = _serving_env("forecast_serve.py") | {"FORECAST_QUANTILES": "p10,p50,p90"}
            return [{"Image": FORECAST_IMAGE, "ModelDataUrl": model, "Environment": env}]
        if self.mode == "ENSEMBLING":
            env = _serving_env(
                "tabular_serve.py",
                SAGEMAKER_INFERENCE_OUTPUT="predicted_label",
                SAGEMAKER_INFERENCE_SUPPORTED="predicted_label,probability",
            )
            return [{"Image": AUTOGLUON_IMAGE, "ModelDataUrl": model, "Environment": env}]
        h = short_hash(self.name, "steps", n=20)
        processor = f"{self.job_prefix}/data-processor-models/{self.name}-dpp0-1-{h}/output/model.tar.gz"
        transform = _serving_env(
            "sagemaker_serve", "application/x-recordio-protobuf", AUTOML_TRANSFORM_MODE="feature-transform"
        )
        containers = [
            {"Image": SKLEARN_IMAGE, "ModelDataUrl": processor, "Environment": transform},
            {
                "Image": XGBOOST_IMAGE,
                "ModelDataUrl": f"{self.job_prefix}/tuning/{self.name}-dpp0-xgb/{candidate}/output/model.tar.gz",
                "Environment": {"MAX_CONTENT_LENGTH": "20971520", "SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT": "text/csv"},
            },
        ]
        if self.kind in ("binary", "multiclass"):
            inverse = _serving_env(
                "sagemaker_serve",
                AUTOML_TRANSFORM_MODE="inverse-label-transform",
                SAGEMAKER_INFERENCE_OUTPUT="predicted_label",
                SAGEMAKER_INFERENCE_SUPPORTED="predicted_label,probability,labels,probabilities",
            )
            containers.append({"Image": SKLEARN_IMAGE, "ModelDataUrl": processor, "Environment": inverse})
        return containers

    def candidate(self, index: int, tick: int, *, best: bool) -> Doc:
        """An AutoMLCandidate that finished during `tick` (created one tick earlier)."""
        clock = self.timeline_clock
        name = self.candidate_name(index)
        metric, direction = self.objective
        sign = 1 if direction == "Minimize" else -1
        value = round(self.objective_value + sign * 0.0137 * index, 4)
        failed = index > self.other_candidates - self.failed_candidates
        candidate: Doc = {
            "CandidateName": name,
            "FinalAutoMLJobObjectiveMetric": {
                "Type": direction,
                "MetricName": metric,
                "Value": value,
                "StandardMetricName": metric,
            },
            "ObjectiveStatus": "Failed" if failed else "Succeeded",
            "CandidateSteps": self.candidate_steps(name),
            "CandidateStatus": "Failed" if failed else "Completed",
            "InferenceContainers": self.inference_containers(name),
            "CreationTime": clock.at(tick - 1, self.offset + 100 + 3 * index + self.millis / 2),
            "EndTime": clock.at(tick, self.offset - 50 + index + self.millis / 3),
            "LastModifiedTime": clock.at(tick, self.offset - 45 + index + self.millis / 4),
        }
        if failed:
            del candidate["FinalAutoMLJobObjectiveMetric"]
            candidate["FailureReason"] = CANDIDATE_FAILURES[index % len(CANDIDATE_FAILURES)]
            return candidate
        properties: Doc = {}
        if best and self.explainability:
            locations = {
                "Explainability": self.explainability_prefix,
                "ModelInsights": self._documentation("model_monitor"),
            }
            if self.kind == "timeseries":
                locations["BacktestResults"] = f"{self.job_prefix}/documentation/backtest_results/output/{name}"
            properties["CandidateArtifactLocations"] = locations
        values = metric_values(self.kind, f"{self.name}/{index}", value)
        properties["CandidateMetrics"] = [
            {"MetricName": m, "Value": v, "Set": "Validation", "StandardMetricName": m} for m, v in values.items()
        ]
        candidate["CandidateProperties"] = properties
        return candidate

    # request
    def _criteria(self) -> Doc:
        return {
            "MaxCandidates": 10 if self.mode == "ENSEMBLING" else 50,
            "MaxRuntimePerTrainingJobInSeconds": 3600,
            "MaxAutoMLJobRuntimeInSeconds": 21600,
        }

    def request(self, created: str) -> Doc:
        source = {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{BUCKET}/datasets/{self.dataset}/train/"}}
        common = {
            "AutoMLJobName": self.name,
            "AutoMLJobArn": self.arn,
            "OutputDataConfig": {"S3OutputPath": self.output_path},
            "RoleArn": ROLE_ARN,
            "AutoMLJobObjective": {"MetricName": self.objective[0]},
            "CreationTime": created,
        }
        if self.api == "v1":
            return common | {
                "InputDataConfig": [
                    {
                        "DataSource": source,
                        "CompressionType": "None",
                        "TargetAttributeName": self.target,
                        "ContentType": "text/csv;header=present",
                        "ChannelType": "training",
                    }
                ],
                **({"ProblemType": self.problem_type} if self.declare_problem_type else {}),
                "AutoMLJobConfig": {
                    "CompletionCriteria": self._criteria(),
                    "SecurityConfig": {"EnableInterContainerTrafficEncryption": True},
                    "Mode": self.mode,
                },
                "GenerateCandidateDefinitionsOnly": False,
            }
        channel = {
            "ChannelType": "training",
            "ContentType": "text/csv;header=present",
            "CompressionType": "None",
            "DataSource": source,
        }
        if self.kind == "timeseries":
            problem: Doc = {"TimeSeriesForecastingJobConfig": self.ts_config}
            name = "TimeSeriesForecasting"
        else:
            tabular = {
                "CompletionCriteria": self._criteria(),
                "Mode": self.mode,
                "GenerateCandidateDefinitionsOnly": False,
            }
            if self.declare_problem_type:
                tabular["ProblemType"] = self.problem_type
            problem = {"TabularJobConfig": tabular | {"TargetAttributeName": self.target}}
            name = "Tabular"
        return common | {
            "AutoMLJobInputDataConfig": [channel],
            "AutoMLProblemTypeConfig": problem,
            "AutoMLProblemTypeConfigName": name,
            "DataSplitConfig": {"ValidationFraction": 0.2},
            "SecurityConfig": {"EnableInterContainerTrafficEncryption": True},
        }

    def resolved(self) -> Doc:
        objective = {"AutoMLJobObjective": {"MetricName": self.objective[0]}}
        if self.api == "v1":
            return objective | {"ProblemType": self.problem_type, "CompletionCriteria": self._criteria()}
        if self.kind == "timeseries":
            return objective | {"CompletionCriteria": (self.ts_config or {})["CompletionCriteria"]}
        return objective | {
            "CompletionCriteria": self._criteria(),
            "AutoMLProblemTypeResolvedAttributes": {"TabularResolvedAttributes": {"ProblemType": self.problem_type}},
        }

    def artifacts(self) -> Doc:
        run = f"{self.name}-pr-1-{short_hash(self.name, 'pr', n=24)}"
        notebooks = f"{self.job_prefix}/sagemaker-automl-candidates/{run}/notebooks"
        return {
            "CandidateDefinitionNotebookLocation": f"{notebooks}/SageMakerAutopilotCandidateDefinitionNotebook.ipynb",
            "DataExplorationNotebookLocation": f"{notebooks}/SageMakerAutopilotDataExplorationNotebook.ipynb",
        }

    # timeline
    def best_tick(self) -> int | None:
        return next((t for t, s in enumerate(self.steps) if s.endswith("+best")), None)

    def _modified(self, tick: int) -> str:
        moment = self.timeline_clock.moment(tick, self.offset + 3 * tick + self.millis)
        if tick == 0 and self.running_since is not None:
            moment -= self.running_since / 2
        if self.pause is not None and tick >= self.pause[0]:
            moment += self.pause[1]  # the job sat quiet before this step (the timeline waits for the clock)
        return iso(moment)

    def _created(self) -> str:
        moment = self.timeline_clock.moment(0, self.offset - 40 + self.millis)
        return iso(moment - self.running_since if self.running_since is not None else moment)

    def timeline(self) -> list[Doc]:
        """The job's Describe response at every tick of its own timeline."""
        best_tick = self.best_tick()
        best = self.candidate(0, best_tick, best=True) if best_tick is not None else None
        request = self.request(self._created())
        order = V1_ORDER if self.api == "v1" else V2_ORDER
        responses: list[Doc] = []
        analysed = False
        for tick, step in enumerate(self.steps):
            if step == HOLD:
                responses.append(copy.deepcopy(responses[-1]))
                continue
            status, secondary = step.removesuffix("+best").split("/")
            analysed = analysed or secondary in POST_ANALYSIS
            modified = self._modified(tick)
            response = dict(
                request, LastModifiedTime=modified, AutoMLJobStatus=status, AutoMLJobSecondaryStatus=secondary
            )
            if analysed:
                response["ResolvedAttributes"] = self.resolved()
                if self.api == "v1" and self.mode == "HYPERPARAMETER_TUNING":
                    response["AutoMLJobArtifacts"] = self.artifacts()
            if best is not None and best_tick is not None and tick >= best_tick:
                response["BestCandidate"] = best
            if status in TERMINAL:
                response["EndTime"] = modified
                if status == "Failed":
                    response["FailureReason"] = self.failure_reason
                if self.partial_failures:
                    response["PartialFailureReasons"] = [{"PartialFailureMessage": m} for m in self.partial_failures]
            responses.append({key: copy.deepcopy(response[key]) for key in order if key in response})
        return responses

    def describe(self) -> list[Doc]:
        """What the scenario holds: the whole timeline, or only the final response of a job from the past."""
        responses = self.timeline()
        return responses[-1:] if self.past else responses

    def candidates(self) -> list[Doc]:
        best_tick = self.best_tick()
        if best_tick is None:
            return []
        return [self.candidate(i, best_tick, best=(i == 0)) for i in range(self.other_candidates + 1)]

    def scenario_entry(self) -> Doc:
        return {"api": self.api, "describe": self.describe(), "candidates": self.candidates()}

    def leaderboard(self) -> list[str] | None:
        """DESIGN 4: null until the job ends; then the Completed candidates with a final objective that
        exist by its end, best first by the objective's direction (ties by name), at most LEADERBOARD_SIZE."""
        last = self.describe()[-1]
        if last["AutoMLJobStatus"] not in TERMINAL:
            return None
        ended = datetime.fromisoformat(last["LastModifiedTime"])
        scored = [
            (c["FinalAutoMLJobObjectiveMetric"]["Value"], c["CandidateName"])
            for c in self.candidates()
            if c["CandidateStatus"] == "Completed"
            and "FinalAutoMLJobObjectiveMetric" in c
            and datetime.fromisoformat(c["CreationTime"]) <= ended
        ]
        sign = -1 if self.objective[1] == "Maximize" else 1
        scored.sort(key=lambda item: (sign * item[0], item[1]))
        return [name for _, name in scored[:LEADERBOARD_SIZE]]

    def expected(self, explainability: Doc) -> Doc:
        """The record fields DESIGN 4 fixes for this job's last state."""
        last = self.describe()[-1]
        best = last.get("BestCandidate")
        record: Doc = {
            "job_arn": self.arn,
            "api": self.api,
            "status": last["AutoMLJobStatus"],
            "secondary_status": last["AutoMLJobSecondaryStatus"],
        }
        if "ResolvedAttributes" in last or self.declare_problem_type or self.kind == "timeseries":
            record["problem_type"] = self.problem_type
        record["best_candidate"] = best["CandidateName"] if best else None
        objective = best["FinalAutoMLJobObjectiveMetric"] if best else None
        record["objective"] = (
            {
                "metric": objective["MetricName"],
                "type": objective["Type"],
                "value": objective["Value"],
                "standard_metric": standard_metric(objective["MetricName"]),
                "direction": objective["Type"],
            }
            if objective
            else None
        )
        record["failure_reason"] = last.get("FailureReason")
        record["partial_failures"] = [r["PartialFailureMessage"] for r in last.get("PartialFailureReasons", [])]
        record["explainability"] = explainability
        record["leaderboard"] = self.leaderboard()
        if best and record["leaderboard"] is not None and record["leaderboard"][:1] != [best["CandidateName"]]:
            raise ValueError(f"{self.name}: the best candidate must lead its own leaderboard")
        return record


def credit_job(name: str, offset: int, steps: list[str] | None = None, **changes: Any) -> Job:
    """A V1 binary job that goes all the way (used where the job itself is not the point)."""
    return Job(
        name=name,
        kind="binary",
        steps=list(steps or HPO),
        target="defaulted",
        dataset="credit-apps",
        offset=offset,
        **({"objective_value": 0.8412} | changes),
    )


def clarify(job: Job, doc: object, reports: Sequence[str] = REPORTS, folder: str | None = None) -> Doc:
    """analysis.json and its reports under the job's Explainability prefix (optionally one folder deeper)."""
    where = f"{job.explainability_prefix}/{folder}" if folder else job.explainability_prefix
    return {f"{where}/analysis.json": doc} | report_objects(where, f"{job.name} explainability", reports)


# ---------------------------------------------------------------------------------------- scenarios
@dataclass(frozen=True)
class BackfillAt:
    """A history import of the jobs created in [start, end), started at `tick`."""

    tick: int
    start: datetime
    end: datetime

    def covers(self, created: datetime) -> bool:
        return self.start <= created < self.end


@dataclass
class Scenario:
    name: str
    clock: Clock
    jobs: list[Job] = field(default_factory=list)
    objects: Doc = field(default_factory=dict)
    delivery: Doc = field(default_factory=lambda: copy.deepcopy(DEFAULT_DELIVERY))
    expected: dict[str, Doc] = field(default_factory=dict)  # job name -> explainability expectation
    deployed_at: datetime | None = None  # tick 0 (written to the file); None: the earliest CreationTime
    backfills: list[BackfillAt] = field(default_factory=list)
    digests: list[int] = field(default_factory=list)  # ticks at which the digest schedule fires

    def add(self, job: Job, objects: Doc | None = None, explainability: Doc | None = None) -> Job:
        if job.clock is None:
            job.clock = self.clock
        self.jobs.append(job)
        self.objects.update(objects or {})
        if explainability is not None:
            self.expected[job.name] = explainability
        return job

    def add_available(
        self,
        job: Job,
        doc: Doc,
        reports: Sequence[str] = REPORTS,
        folder: str | None = None,
        extra_objects: Doc | None = None,
    ) -> Job:
        """Add a job with a valid analysis.json (and its reports) under its Explainability prefix."""
        objects = clarify(job, doc, reports, folder) | (extra_objects or {})
        return self.add(job, objects, expected_available(doc, artifact_keys(reports)))

    def add_features(
        self,
        job: Job,
        features: Sequence[str],
        expected_value: float | list[float] = 0.5,
        label: str = "label0",
        reports: Sequence[str] = REPORTS,
        folder: str | None = None,
        extra_sections: Doc | None = None,
    ) -> Job:
        """Add a job whose explainability is a one-label analysis.json with the given features."""
        doc = analysis_doc({label: shap_values(job.name, features)}, {label: expected_value})
        if extra_sections:
            doc["explanations"].update(extra_sections)
        return self.add_available(job, doc, reports, folder)

    def drop(self, names: set[str]) -> None:
        """Remove jobs, with their expectations and the objects under their prefixes."""
        prefixes = tuple(f"{job.job_prefix}/" for job in self.jobs if job.name in names)
        self.jobs = [job for job in self.jobs if job.name not in names]
        self.expected = {name: value for name, value in self.expected.items() if name not in names}
        self.objects = {uri: value for uri, value in self.objects.items() if not uri.startswith(prefixes)}

    def backfill(self, tick: int, start: datetime, end: datetime) -> None:
        self.backfills.append(BackfillAt(tick, start, end))

    # time
    @property
    def start(self) -> datetime:
        """Scenario time at tick 0 (the watch start)."""
        if self.deployed_at is not None:
            return self.deployed_at
        return min(datetime.fromisoformat(job.describe()[0]["CreationTime"]) for job in self.jobs)

    def shown_ticks(self, job: Job) -> list[int]:
        """The tick at which the sandbox first shows each response of the job (sandbox/timeline.py)."""
        modified = [datetime.fromisoformat(response["LastModifiedTime"]) for response in job.describe()]
        return first_shown(modified, self.start, self.clock.tick_seconds)

    @property
    def last_tick(self) -> int:
        timelines = max((self.shown_ticks(job)[-1] for job in self.jobs), default=0)
        return max([timelines, *(backfill.tick for backfill in self.backfills), *self.digests])

    def observed(self, job: Job) -> list[Doc]:
        """The states of `job` the pipeline sees, oldest first: a tick lists what was modified after the
        watch start minus the overlap (every later change lies inside its own tick, after the
        watermark), and a history import sees the job's state at its tick if it was created in range."""
        describe = job.describe()
        created = datetime.fromisoformat(describe[0]["CreationTime"])
        horizon = self.start - OVERLAP
        shown = self.shown_ticks(job)
        seen: dict[str, Doc] = {}
        for tick in range(self.last_tick + 2):  # the runner ticks once more after every timeline ended
            index = shown_index(shown, tick)
            if index is None:
                continue
            state = describe[index]
            by_tick = datetime.fromisoformat(state["LastModifiedTime"]) > horizon
            by_import = any(b.tick == tick and b.covers(created) for b in self.backfills)
            if by_tick or by_import:
                seen.setdefault(state["LastModifiedTime"], state)
        return list(seen.values())

    def notify_worthy(self, job: Job) -> bool:
        """DESIGN 2 and 5: terminal, observed, and ended at or after the watch start."""
        observed = self.observed(job)
        last = job.describe()[-1]
        if last["AutoMLJobStatus"] not in TERMINAL or not observed or observed[-1] != last:
            return False
        return datetime.fromisoformat(last["EndTime"]) >= self.start

    # output
    def document(self) -> Doc:
        document: Doc = {
            "region": REGION,
            "jobs": [job.scenario_entry() for job in self.jobs],
            "objects": dict(sorted(self.objects.items())),
            "delivery": self.delivery,
        }
        if self.deployed_at is not None:
            document["deployed_at"] = iso(self.deployed_at)
        if self.backfills:
            document["backfills"] = [{"tick": b.tick, "start": iso(b.start), "end": iso(b.end)} for b in self.backfills]
        if self.digests:
            document["digests"] = [{"tick": tick} for tick in self.digests]
        return document

    def stuck_alerts(self, job: Job) -> int:
        """DESIGN 5: one "may be stuck" message per stall, a stall being an InProgress state the pipeline
        observed that SageMaker left unchanged for STUCK_AFTER or longer (before its next state, or before
        the run's last tick)."""
        observed = self.observed(job)
        shown = self.shown_ticks(job)
        run_end = self.start + timedelta(seconds=(self.last_tick + 2) * self.clock.tick_seconds)  # after the last tick
        alerts = 0
        for index, state in enumerate(observed):
            if state["AutoMLJobStatus"] != "InProgress":
                continue
            quiet_from = datetime.fromisoformat(state["LastModifiedTime"])
            later = observed[index + 1] if index + 1 < len(observed) else None
            # the next state is seen at the tick it is shown; until then the record stays quiet
            until = (
                self.start + timedelta(seconds=shown[job.describe().index(later)] * self.clock.tick_seconds)
                if later is not None
                else run_end
            )
            alerts += until - quiet_from >= STUCK_AFTER + timedelta(seconds=self.clock.tick_seconds)
        return alerts

    def family_verdicts(self) -> dict[str, Doc]:
        """DESIGN 4: in the order their Completed state is seen, each Completed job with an objective value
        against its family's best so far (strictly better becomes the best; the first of a family beats nobody)."""
        done = []
        for job in self.jobs:
            last = job.describe()[-1]
            best = last.get("BestCandidate")
            if last["AutoMLJobStatus"] == "Completed" and best and self.observed(job):
                done.append((self.shown_ticks(job)[-1], job.name, job, best["FinalAutoMLJobObjectiveMetric"]["Value"]))
        standing: dict[str, tuple[str, float]] = {}
        verdicts: dict[str, Doc] = {}
        for _, name, job, value in sorted(done, key=lambda item: (item[0], item[1])):
            family = family_of(name)
            best = standing.get(family)
            higher = job.objective[1] == "Maximize"
            better = best is not None and (value > best[1] if higher else value < best[1])
            verdicts[name] = {
                "family": family,
                "new_best_in_family": better,
                "previous_best": {"job_name": best[0], "value": best[1]} if best else None,
            }
            if best is None or better:
                standing[family] = (name, value)
        return verdicts

    def expectation(self) -> Doc:
        records, notifications, history, stuck = {}, {}, {}, {}
        verdicts = self.family_verdicts()
        for job in self.jobs:
            notified = self.notify_worthy(job)
            records[job.name] = job.expected(self.expected[job.name]) | ({} if notified else {"notified_at": None})
            records[job.name] |= verdicts.get(job.name, {"family": family_of(job.name)})
            notifications[job.name] = 1 if notified else 0  # exactly once per notify-worthy job, never for others
            history[job.name] = len(self.observed(job))
            stuck[job.name] = self.stuck_alerts(job)
        expectation: Doc = {
            "importance_places": IMPORTANCE_PLACES,
            "reason_match": "case-insensitive substring",
            "records": records,
            "notifications": notifications,
            "history": history,
            "stuck": {name: count for name, count in stuck.items() if count},
        }
        if self.digests:
            expectation["digests"] = len(self.digests)
        return expectation


# ---------------------------------------------------------------------------------------------- output
def render(document: Doc, compact: bool = False) -> str:
    if compact:
        return json.dumps(document, separators=(",", ":")) + "\n"
    return _pretty(document, 0, 0) + "\n"


def _pretty(value: object, depth: int, column: int, width: int = 118) -> str:
    """JSON indented one space per level, keeping any value that fits the line on one line."""
    flat = json.dumps(value, separators=(", ", ": "))
    if not isinstance(value, dict | list) or not value or column + len(flat) <= width:
        return flat
    pad = " " * (depth + 1)
    items: Iterable[str]
    if isinstance(value, dict):
        items = []
        for key, item in value.items():
            head = f"{pad}{json.dumps(key)}: "
            items.append(head + _pretty(item, depth + 1, len(head), width))
    else:
        items = [pad + _pretty(item, depth + 1, len(pad), width) for item in value]
    brackets = "[]" if isinstance(value, list) else "{}"
    return brackets[0] + "\n" + ",\n".join(items) + "\n" + " " * depth + brackets[1]
