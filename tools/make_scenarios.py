#!/usr/bin/env python3
"""Write the sandbox's scenario files and the e2e expectations, deterministically.

    python tools/make_scenarios.py            # (re)write every file
    python tools/make_scenarios.py --check    # exit 1 if any file differs from what this script writes

Outputs:
- `sandbox/scenarios/demo.json`: the demo (DESIGN section 6 format).
- `tests/e2e/scenarios/<name>.json` and `<name>.expect.json`: one scenario per behaviour under test, with
  the records, notifications and history the pipeline must produce (DESIGN sections 4, 4.1 and 5).

Every job name, feature, value and S3 path here is invented; the shapes follow what SageMaker and Clarify
really return (DescribeAutoMLJob / DescribeAutoMLJobV2, AutoMLCandidate, Clarify `analysis.json`).

Time: each scenario has one clock. Tick t covers [start + t * 15 min, start + (t + 1) * 15 min), and a job's
state at tick t was last modified inside that window, so every change is newer than anything visible at an
earlier tick (the watcher's watermark can never hide it). A job's timeline lists its Describe response at
each tick; `HOLD` repeats the previous response unchanged (nothing happened during that tick).

Expected explainability (DESIGN 4.1) is computed here, never by hand: importance = mean of a feature's
`global_shap_values` over all label keys (missing = 0), top 10 by importance desc then feature name asc.
"""

from __future__ import annotations

import argparse
import base64
import copy
import hashlib
import json
import random
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEMO_PATH = ROOT / "sandbox" / "scenarios" / "demo.json"
E2E_DIR = ROOT / "tests" / "e2e" / "scenarios"

REGION = "us-east-1"
ACCOUNT = "123456789012"
BUCKET = "acme-automl-artifacts-123456789012"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/service-role/AcmeAutopilotExecutionRole"
TICK_SECONDS = 15 * 60
TOP_N = 10
IMPORTANCE_PLACES = 6
TERMINAL = ("Completed", "Failed", "Stopped")
HOLD = "="  # timeline step: same response as the tick before

DEFAULT_DELIVERY = {
    "duplicates": 0,
    "shuffle": False,
    "seed": 1,
    "faults": {"sagemaker": 0.0, "s3": 0.0, "dynamodb": 0.0, "sns": 0.0, "events": 0.0},
}

# Member order of the real responses (botocore's output shapes), so files read like what AWS returns.
V1_ORDER = (
    "AutoMLJobName",
    "AutoMLJobArn",
    "InputDataConfig",
    "OutputDataConfig",
    "RoleArn",
    "AutoMLJobObjective",
    "ProblemType",
    "AutoMLJobConfig",
    "CreationTime",
    "EndTime",
    "LastModifiedTime",
    "FailureReason",
    "PartialFailureReasons",
    "BestCandidate",
    "AutoMLJobStatus",
    "AutoMLJobSecondaryStatus",
    "GenerateCandidateDefinitionsOnly",
    "AutoMLJobArtifacts",
    "ResolvedAttributes",
)
V2_ORDER = (
    "AutoMLJobName",
    "AutoMLJobArn",
    "AutoMLJobInputDataConfig",
    "OutputDataConfig",
    "RoleArn",
    "AutoMLJobObjective",
    "AutoMLProblemTypeConfig",
    "AutoMLProblemTypeConfigName",
    "CreationTime",
    "EndTime",
    "LastModifiedTime",
    "FailureReason",
    "PartialFailureReasons",
    "BestCandidate",
    "AutoMLJobStatus",
    "AutoMLJobSecondaryStatus",
    "AutoMLJobArtifacts",
    "ResolvedAttributes",
    "DataSplitConfig",
    "SecurityConfig",
)

# Objective metric, its direction, and the other metrics Autopilot reports for the problem type.
KINDS = {
    "binary": {
        "problem_type": "BinaryClassification",
        "objective": ("F1", "Maximize"),
        "metrics": {
            "F1": (0.70, 0.92),
            "AUC": (0.80, 0.97),
            "Accuracy": (0.80, 0.95),
            "BalancedAccuracy": (0.75, 0.92),
            "Precision": (0.65, 0.93),
            "Recall": (0.60, 0.92),
        },
    },
    "multiclass": {
        "problem_type": "MulticlassClassification",
        "objective": ("Accuracy", "Maximize"),
        "metrics": {
            "Accuracy": (0.70, 0.92),
            "F1macro": (0.60, 0.88),
            "BalancedAccuracy": (0.62, 0.90),
            "PrecisionMacro": (0.60, 0.90),
            "RecallMacro": (0.60, 0.90),
        },
    },
    "regression": {
        "problem_type": "Regression",
        "objective": ("MSE", "Minimize"),
        "metrics": {"MSE": (20.0, 90.0), "RMSE": (4.0, 9.5), "MAE": (3.0, 7.0), "R2": (0.60, 0.90)},
    },
    "timeseries": {
        "problem_type": "TimeSeriesForecasting",
        "objective": ("AverageWeightedQuantileLoss", "Minimize"),
        "metrics": {
            "AverageWeightedQuantileLoss": (0.08, 0.25),
            "MAPE": (0.10, 0.35),
            "MASE": (0.60, 1.40),
            "WAPE": (0.10, 0.30),
            "RMSE": (8.0, 40.0),
        },
    },
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


# --------------------------------------------------------------------------------------------- helpers
def short_hash(*parts: object, n: int = 8) -> str:
    return hashlib.sha1("/".join(str(p) for p in parts).encode()).hexdigest()[:n]


class Clock:
    """One scenario's SageMaker clock: tick t starts at start + t * 15 minutes."""

    def __init__(self, start: str) -> None:
        self.start = datetime.fromisoformat(start)

    def at(self, tick: int, seconds: float) -> str:
        if not 0 <= seconds < TICK_SECONDS:
            raise ValueError(f"{seconds}s is outside tick {tick}")
        moment = self.start + timedelta(seconds=tick * TICK_SECONDS + seconds)
        return moment.astimezone(UTC).isoformat(timespec="microseconds")


def metric_values(kind: str, seed: str, objective_value: float) -> dict[str, float]:
    rng = random.Random(seed)
    metric, _ = KINDS[kind]["objective"]
    values = {name: round(rng.uniform(lo, hi), 4) for name, (lo, hi) in KINDS[kind]["metrics"].items()}
    values[metric] = objective_value
    return values


def shap_values(seed: str, features: list[str], low: float = 0.002, high: float = 0.09) -> dict[str, float]:
    """Mean |SHAP| per feature (non-negative, a few dominant), in the order the features are given."""
    rng = random.Random(seed)
    return {f: round(low + (high - low) * rng.random() ** 3, 10) for f in features}


def analysis_doc(labels: dict[str, dict[str, float]], expected: dict[str, float | list[float]]) -> dict:
    """A Clarify explainability analysis.json."""
    kernel_shap = {
        label: {"global_shap_values": values, "expected_value": expected[label]} for label, values in labels.items()
    }
    return {"version": "1.0", "explanations": {"kernel_shap": kernel_shap}}


def expected_available(doc: dict, artifact_keys: list[str]) -> dict:
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
        "labels": labels,
        "top_features": [{"feature": f, "importance": round(v, IMPORTANCE_PLACES)} for f, v in ranked[:TOP_N]],
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


def text(body: str) -> dict:
    return {"text": body}


def report_objects(prefix: str, title: str, kinds: tuple[str, ...] = ("pdf", "html", "ipynb")) -> dict:
    """Small placeholder Clarify reports beside analysis.json."""
    objects = {}
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


def history_min(describe: list[dict]) -> int:
    """Status transitions a watcher that looks every tick must see (the first sighting not counted)."""
    states = [(d["AutoMLJobStatus"], d["AutoMLJobSecondaryStatus"]) for d in describe]
    return sum(1 for before, after in zip(states, states[1:]) if before != after)


def fit(message: str, filler: str, length: int) -> str:
    """Extend a message with log lines (`filler`, `{n}` counting up) and cut it to exactly `length` characters."""
    if length > 1024:
        raise ValueError("PartialFailureMessage is at most 1024 characters")
    n = 1
    while len(message) < length:
        message += filler.format(n=n)
        n += 1
    return message[:length]


# ------------------------------------------------------------------------------------------ job model
@dataclass
class Job:
    """One AutoML job: its request, its timeline and its best candidate."""

    name: str
    kind: str  # binary | multiclass | regression | timeseries
    steps: list[str]  # "Status/SecondaryStatus" per tick, "+best" once the best candidate exists; HOLD repeats
    target: str
    dataset: str
    api: str = "v1"
    mode: str = "HYPERPARAMETER_TUNING"  # or ENSEMBLING
    declare_problem_type: bool = False  # the request names the problem type (else only resolved)
    offset: int = 90  # seconds into each tick at which this job's changes happen
    objective_value: float = 0.0
    explainability: bool = True  # the best candidate carries CandidateArtifactLocations
    explainability_subfolder: str | None = None  # V2: Clarify writes one folder per candidate
    failure_reason: str | None = None
    partial_failures: list[str] = field(default_factory=list)
    other_candidates: int = 2  # candidates besides the best one, each a little worse
    failed_candidates: int = 0  # how many of the last ones failed
    ts_config: dict | None = None

    def __post_init__(self) -> None:
        if not 60 <= self.offset <= 700:
            raise ValueError("offset must leave room for the candidate's times inside the tick")

    @property
    def millis(self) -> float:
        """Sub-second part of this job's timestamps (SageMaker reports milliseconds)."""
        return int(short_hash(self.name, "ms", n=6), 16) % 1000 / 1000

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

    @property
    def explainability_prefix(self) -> str:
        prefix = f"{self.job_prefix}/documentation/explainability/output"
        return f"{prefix}/{self.explainability_subfolder}" if self.explainability_subfolder else prefix

    @property
    def problem_type(self) -> str:
        return KINDS[self.kind]["problem_type"]

    @property
    def objective(self) -> tuple[str, str]:
        return KINDS[self.kind]["objective"]

    # candidates
    def candidate_name(self, index: int) -> str:
        if self.mode == "ENSEMBLING":
            return f"{self.name}-trial-t1-{index + 1}"
        tuning = short_hash(self.name, "tuning", n=10)
        name = f"{self.name}-tuning-job-1-{tuning}-{index + 1:03d}-{short_hash(self.name, index)}"
        if len(name) > 64:
            raise ValueError(f"candidate name {name} is longer than 64 characters; shorten the job name")
        return name

    def candidate_steps(self, candidate: str) -> list[dict]:
        def step(kind: str, arn_type: str, name: str) -> dict:
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

    def inference_containers(self, candidate: str) -> list[dict]:
        models = f"{self.job_prefix}/sagemaker-automl-candidates/model/{candidate}"
        if self.kind == "timeseries":
            return [
                {
                    "Image": FORECAST_IMAGE,
                    "ModelDataUrl": f"{models}/model.tar.gz",
                    "Environment": {
                        "SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT": "text/csv",
                        "SAGEMAKER_PROGRAM": "forecast_serve.py",
                        "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code",
                        "FORECAST_QUANTILES": "p10,p50,p90",
                    },
                }
            ]
        if self.mode == "ENSEMBLING":
            return [
                {
                    "Image": AUTOGLUON_IMAGE,
                    "ModelDataUrl": f"{models}/model.tar.gz",
                    "Environment": {
                        "SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT": "text/csv",
                        "SAGEMAKER_INFERENCE_OUTPUT": "predicted_label",
                        "SAGEMAKER_INFERENCE_SUPPORTED": "predicted_label,probability",
                        "SAGEMAKER_PROGRAM": "tabular_serve.py",
                        "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code",
                    },
                }
            ]
        h = short_hash(self.name, "steps", n=20)
        containers = [
            {
                "Image": SKLEARN_IMAGE,
                "ModelDataUrl": f"{self.job_prefix}/data-processor-models/{self.name}-dpp0-1-{h}/output/model.tar.gz",
                "Environment": {
                    "AUTOML_TRANSFORM_MODE": "feature-transform",
                    "SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT": "application/x-recordio-protobuf",
                    "SAGEMAKER_PROGRAM": "sagemaker_serve",
                    "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code",
                },
            },
            {
                "Image": XGBOOST_IMAGE,
                "ModelDataUrl": f"{self.job_prefix}/tuning/{self.name}-dpp0-xgb/{candidate}/output/model.tar.gz",
                "Environment": {"MAX_CONTENT_LENGTH": "20971520", "SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT": "text/csv"},
            },
        ]
        if self.kind in ("binary", "multiclass"):
            containers.append(
                {
                    "Image": SKLEARN_IMAGE,
                    "ModelDataUrl": f"{self.job_prefix}/data-processor-models/{self.name}-dpp0-1-{h}/output/model.tar.gz",
                    "Environment": {
                        "AUTOML_TRANSFORM_MODE": "inverse-label-transform",
                        "SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT": "text/csv",
                        "SAGEMAKER_INFERENCE_OUTPUT": "predicted_label",
                        "SAGEMAKER_INFERENCE_SUPPORTED": "predicted_label,probability,labels,probabilities",
                        "SAGEMAKER_PROGRAM": "sagemaker_serve",
                        "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code",
                    },
                }
            )
        return containers

    def candidate(self, clock: Clock, index: int, tick: int, *, best: bool) -> dict:
        """An AutoMLCandidate that finished during `tick` (created one tick earlier)."""
        name = self.candidate_name(index)
        metric, direction = self.objective
        sign = 1 if direction == "Minimize" else -1
        value = round(self.objective_value + sign * 0.0137 * index, 4)
        failed = index > self.other_candidates - self.failed_candidates
        candidate = {
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
        properties: dict = {}
        if best and self.explainability:
            locations = {
                "Explainability": self.explainability_prefix,
                "ModelInsights": f"{self.job_prefix}/documentation/model_monitor/output"
                + (f"/{self.explainability_subfolder}" if self.explainability_subfolder else ""),
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
    def request(self, created: str) -> dict:
        metric, _ = self.objective
        source = {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{BUCKET}/datasets/{self.dataset}/train/"}}
        common = {
            "AutoMLJobName": self.name,
            "AutoMLJobArn": self.arn,
            "OutputDataConfig": {"S3OutputPath": self.output_path},
            "RoleArn": ROLE_ARN,
            "AutoMLJobObjective": {"MetricName": metric},
            "CreationTime": created,
        }
        criteria = {
            "MaxCandidates": 10 if self.mode == "ENSEMBLING" else 50,
            "MaxRuntimePerTrainingJobInSeconds": 3600,
            "MaxAutoMLJobRuntimeInSeconds": 21600,
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
                    "CompletionCriteria": criteria,
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
            problem = {"TimeSeriesForecastingJobConfig": self.ts_config}
            name = "TimeSeriesForecasting"
        else:
            tabular = {"CompletionCriteria": criteria, "Mode": self.mode, "GenerateCandidateDefinitionsOnly": False}
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

    def resolved(self) -> dict:
        metric, _ = self.objective
        criteria = {
            "MaxCandidates": 10 if self.mode == "ENSEMBLING" else 50,
            "MaxRuntimePerTrainingJobInSeconds": 3600,
            "MaxAutoMLJobRuntimeInSeconds": 21600,
        }
        if self.api == "v1":
            return {
                "AutoMLJobObjective": {"MetricName": metric},
                "ProblemType": self.problem_type,
                "CompletionCriteria": criteria,
            }
        if self.kind == "timeseries":
            criteria = self.ts_config["CompletionCriteria"]
        resolved = {"AutoMLJobObjective": {"MetricName": metric}, "CompletionCriteria": criteria}
        if self.kind != "timeseries":
            resolved["AutoMLProblemTypeResolvedAttributes"] = {
                "TabularResolvedAttributes": {"ProblemType": self.problem_type}
            }
        return resolved

    def artifacts(self) -> dict:
        run = f"{self.name}-pr-1-{short_hash(self.name, 'pr', n=24)}"
        notebooks = f"{self.job_prefix}/sagemaker-automl-candidates/{run}/notebooks"
        return {
            "CandidateDefinitionNotebookLocation": f"{notebooks}/SageMakerAutopilotCandidateDefinitionNotebook.ipynb",
            "DataExplorationNotebookLocation": f"{notebooks}/SageMakerAutopilotDataExplorationNotebook.ipynb",
        }

    # timeline
    def best_tick(self) -> int | None:
        return next((t for t, s in enumerate(self.steps) if s.endswith("+best")), None)

    def describe(self, clock: Clock) -> list[dict]:
        best_tick = self.best_tick()
        best = self.candidate(clock, 0, best_tick, best=True) if best_tick is not None else None
        request = self.request(clock.at(0, self.offset - 40 + self.millis))
        order = V1_ORDER if self.api == "v1" else V2_ORDER
        timeline: list[dict] = []
        analysed = False
        for tick, step in enumerate(self.steps):
            if step == HOLD:
                timeline.append(copy.deepcopy(timeline[-1]))
                continue
            status, secondary = step.removesuffix("+best").split("/")
            analysed = analysed or secondary in POST_ANALYSIS
            modified = clock.at(tick, self.offset + 3 * tick + self.millis)
            response = dict(
                request, LastModifiedTime=modified, AutoMLJobStatus=status, AutoMLJobSecondaryStatus=secondary
            )
            if analysed:
                response["ResolvedAttributes"] = self.resolved()
                if self.api == "v1" and self.mode == "HYPERPARAMETER_TUNING":
                    response["AutoMLJobArtifacts"] = self.artifacts()
            if best is not None and tick >= best_tick:
                response["BestCandidate"] = best
            if status in TERMINAL:
                response["EndTime"] = modified
                if status == "Failed":
                    response["FailureReason"] = self.failure_reason
                if self.partial_failures:
                    response["PartialFailureReasons"] = [{"PartialFailureMessage": m} for m in self.partial_failures]
            timeline.append({key: copy.deepcopy(response[key]) for key in order if key in response})
        return timeline

    def candidates(self, clock: Clock) -> list[dict]:
        best_tick = self.best_tick()
        if best_tick is None:
            return []
        return [self.candidate(clock, i, best_tick, best=(i == 0)) for i in range(self.other_candidates + 1)]

    def scenario_entry(self, clock: Clock) -> dict:
        return {"api": self.api, "describe": self.describe(clock), "candidates": self.candidates(clock)}

    def expected(self, clock: Clock, explainability: dict) -> dict:
        """The record fields DESIGN 4 fixes for this job's last state."""
        last = self.describe(clock)[-1]
        best = last.get("BestCandidate")
        record = {
            "job_arn": self.arn,
            "api": self.api,
            "status": last["AutoMLJobStatus"],
            "secondary_status": last["AutoMLJobSecondaryStatus"],
        }
        if "ResolvedAttributes" in last or self.declare_problem_type or self.kind == "timeseries":
            record["problem_type"] = self.problem_type
        record["best_candidate"] = best["CandidateName"] if best else None
        if best:
            objective = best["FinalAutoMLJobObjectiveMetric"]
            record["objective"] = {
                "metric": objective["MetricName"],
                "type": objective["Type"],
                "value": objective["Value"],
            }
        else:
            record["objective"] = None
        record["failure_reason"] = last.get("FailureReason")
        record["partial_failures"] = [r["PartialFailureMessage"] for r in last.get("PartialFailureReasons", [])]
        record["explainability"] = explainability
        return record


# Timelines: HPO (V1 default), ensembling, time series.
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


# ---------------------------------------------------------------------------------------- scenarios
@dataclass
class Scenario:
    name: str
    clock: Clock
    jobs: list[Job] = field(default_factory=list)
    objects: dict = field(default_factory=dict)
    delivery: dict = field(default_factory=lambda: copy.deepcopy(DEFAULT_DELIVERY))
    expected: dict = field(default_factory=dict)  # job name -> explainability expectation
    history_floor: int | None = None  # overrides the computed history minimum (fault injection)

    def add(self, job: Job, objects: dict | None = None, explainability: dict | None = None) -> Job:
        self.jobs.append(job)
        self.objects.update(objects or {})
        if explainability is not None:
            self.expected[job.name] = explainability
        return job

    def document(self) -> dict:
        return {
            "region": REGION,
            "jobs": [job.scenario_entry(self.clock) for job in self.jobs],
            "objects": dict(sorted(self.objects.items())),
            "delivery": self.delivery,
        }

    def expectation(self) -> dict:
        records, notifications, history = {}, {}, {}
        for job in self.jobs:
            describe = job.describe(self.clock)
            records[job.name] = job.expected(self.clock, self.expected[job.name])
            terminal = describe[-1]["AutoMLJobStatus"] in TERMINAL
            notifications[job.name] = 1 if terminal else 0  # exactly once per terminal job, never for others
            history[job.name] = history_min(describe) if self.history_floor is None else self.history_floor
        return {
            "importance_places": IMPORTANCE_PLACES,
            "reason_match": "case-insensitive substring",
            "records": records,
            "notifications": notifications,
            "history_min": history,
        }


def clarify(
    job: Job, doc: object, reports: tuple[str, ...] = ("pdf", "html", "ipynb"), folder: str | None = None
) -> dict:
    """analysis.json and its reports under the job's Explainability prefix (optionally one folder deeper)."""
    where = f"{job.explainability_prefix}/{folder}" if folder else job.explainability_prefix
    return {f"{where}/analysis.json": doc} | report_objects(where, f"{job.name} explainability", reports)


def artifact_keys(reports: tuple[str, ...]) -> list[str]:
    return ["analysis"] + [f"report_{kind}" for kind in reports]


def simple_available(
    scenario: Scenario,
    job: Job,
    features: list[str],
    label: str = "label0",
    expected_value: float | list[float] = 0.5,
    reports=("pdf", "html", "ipynb"),
    folder: str | None = None,
    extra_sections: dict | None = None,
) -> None:
    """Add a job whose explainability is a one-label analysis.json with the given features."""
    doc = analysis_doc({label: shap_values(job.name, features)}, {label: expected_value})
    if extra_sections:
        doc["explanations"].update(extra_sections)
    scenario.add(job, clarify(job, doc, reports, folder), expected_available(doc, artifact_keys(reports)))


def not_applicable() -> dict:
    return {"state": "not_applicable"}


def missing(reason: str | None = None) -> dict:
    return {"state": "missing"} | ({"reason_contains": reason} if reason else {})


def error(reason: str | None = None) -> dict:
    return {"state": "error"} | ({"reason_contains": reason} if reason else {})


def pending() -> dict:
    return {"state": "pending"}


CHURN_FEATURES = [
    "tenure_months",
    "monthly_charges",
    "total_charges",
    "contract_type",
    "payment_method",
    "internet_service",
    "support_calls_90d",
    "num_products",
    "paperless_billing",
    "age_band",
    "region",
    "last_login_days",
]
RENEWAL_FEATURES = [
    "seats_purchased",
    "seats_active_30d",
    "plan_tier",
    "months_since_signup",
    "invoices_overdue",
    "nps_last_survey",
    "admin_logins_30d",
    "integrations_enabled",
    "support_tickets_open",
    "discount_pct",
    "industry",
    "company_size_band",
    "billing_cycle",
    "feature_adoption_score",
    "champion_left",
]
FRAUD_FEATURES = [
    "amount_usd",
    "merchant_category",
    "hour_of_day",
    "day_of_week",
    "card_present",
    "distance_from_home_km",
    "txn_count_1h",
    "txn_count_24h",
    "avg_amount_30d",
    "account_age_days",
    "device_change_7d",
    "ip_country_match",
    "billing_shipping_match",
    "failed_logins_24h",
    "chargebacks_1y",
    "email_domain_age_days",
    "is_new_merchant",
    "velocity_score",
    "currency",
    "channel",
]


def credit_job(name: str, offset: int, steps: list[str] | None = None, **changes) -> Job:
    """A V1 binary job that goes all the way (used where the job itself is not the point)."""
    return Job(
        name=name,
        kind="binary",
        steps=list(steps or HPO),
        target="defaulted",
        dataset="credit-apps",
        offset=offset,
        objective_value=0.8412,
        **changes,
    )


def demo() -> Scenario:
    s = Scenario("demo", Clock("2025-03-11T08:00:00+00:00"))
    # (a) completed binary classification, label0, 12 features; problem type only resolved.
    simple_available(
        s,
        Job(
            name="demo-churn-binary",
            kind="binary",
            steps=list(HPO),
            target="churned",
            dataset="telco-churn",
            offset=75,
            objective_value=0.8731,
        ),
        CHURN_FEATURES,
        expected_value=0.2634,
    )
    # (b) completed multiclass, three class-name label keys.
    job = Job(
        name="demo-ticket-priority",
        kind="multiclass",
        target="priority",
        dataset="support-tickets",
        declare_problem_type=True,
        offset=210,
        objective_value=0.7964,
        steps=[
            "InProgress/Starting",
            "InProgress/AnalyzingData",
            "InProgress/FeatureEngineering",
            "InProgress/ModelTuning+best",
            "InProgress/GeneratingExplainabilityReport",
            "Completed/Completed",
        ],
    )
    ticket = [
        "subject_length",
        "body_length",
        "customer_tier",
        "product_area",
        "num_attachments",
        "contains_error_code",
        "sentiment_score",
        "hours_since_last_ticket",
        "open_tickets",
        "channel",
    ]
    doc = analysis_doc(
        {c: shap_values(f"{job.name}/{c}", ticket) for c in ("low", "medium", "high")},
        {"low": 0.4122, "medium": 0.3561, "high": 0.2317},
    )
    s.add(job, clarify(job, doc), expected_available(doc, artifact_keys(("pdf", "html", "ipynb"))))
    # (c) completed regression (ensembling), analysis.json one auto-named folder below the prefix.
    job = Job(
        name="demo-house-value",
        kind="regression",
        mode="ENSEMBLING",
        target="sale_price_k",
        dataset="home-sales",
        declare_problem_type=True,
        offset=330,
        objective_value=41.27,
        steps=[
            "InProgress/Starting",
            "InProgress/AnalyzingData",
            "InProgress/TrainingModels+best",
            "InProgress/GeneratingExplainabilityReport",
            "Completed/Completed",
        ],
    )
    simple_available(
        s,
        job,
        [
            "living_area_sqft",
            "lot_size_sqft",
            "bedrooms",
            "bathrooms",
            "year_built",
            "garage_spaces",
            "zip_code",
            "school_rating",
            "distance_to_transit_km",
            "has_pool",
        ],
        expected_value=412.6,
        folder="demo-house-value-explainability-2503110912-7c1e",
    )
    # (d) failed during data analysis: no best candidate.
    s.add(
        Job(
            name="demo-fraud-failed",
            kind="binary",
            target="is_fraud",
            dataset="card-txns",
            declare_problem_type=True,
            offset=130,
            steps=["InProgress/Starting", "InProgress/AnalyzingData", "Failed/Failed"],
            failure_reason="ClientError: The target attribute 'is_fraud' has only one unique value in the "
            "training data. BinaryClassification needs at least two classes.",
        ),
        explainability=not_applicable(),
    )
    # (e) stopped by a user during tuning, after a best candidate existed; Clarify never ran.
    s.add(
        Job(
            name="demo-ltv-stopped",
            kind="regression",
            target="ltv_12m_usd",
            dataset="customer-ltv",
            offset=420,
            objective_value=57.93,
            steps=[
                "InProgress/Starting",
                "InProgress/AnalyzingData",
                "InProgress/FeatureEngineering",
                "InProgress/ModelTuning+best",
                "Stopping/Stopping",
                "Stopped/Stopped",
            ],
        ),
        explainability=missing("empty"),
    )
    # (f) completed, but the explainability report failed; two partial failures.
    job = credit_job(
        "demo-credit-risk",
        515,
        steps=HPO[:-1] + ["Completed/ExplainabilityError"],
        other_candidates=2,
        failed_candidates=1,
    )
    job.partial_failures = [
        f"Explainability report generation failed for the best candidate '{job.candidate_name(0)}': SageMaker "
        f"Clarify processing job '{job.name}-xai-{short_hash(job.name, 'xai', n=12)}' failed with ClientError: "
        "could not compute the SHAP baseline because column 'annual_income' holds non-numeric values ('n/a') "
        "in 412 rows.",
        f"Candidate '{job.candidate_name(2)}' failed: {CANDIDATE_FAILURES[0]}",
    ]
    s.add(job, explainability=error("explainabilityerror"))
    # (g) completed V2 tabular job (ensembling), Clarify output in a per-candidate folder.
    job = Job(
        name="demo-energy-use-v2",
        kind="regression",
        api="v2",
        mode="ENSEMBLING",
        target="kwh_next_day",
        dataset="building-energy",
        declare_problem_type=True,
        offset=610,
        objective_value=23.84,
        steps=list(ENSEMBLE),
    )
    job.explainability_subfolder = job.candidate_name(0)
    simple_available(
        s,
        job,
        [
            "outdoor_temp_c",
            "humidity_pct",
            "occupancy",
            "hour_of_day",
            "day_of_week",
            "floor_area_m2",
            "hvac_setpoint_c",
            "solar_irradiance",
            "is_holiday",
            "building_age",
        ],
        expected_value=182.4,
    )
    return s


def e2e_binary() -> Scenario:
    s = Scenario("binary", Clock("2025-04-01T09:00:00+00:00"))
    job = Job(
        name="bin-renewal",
        kind="binary",
        steps=list(HPO),
        target="renewed",
        dataset="saas-renewals",
        offset=95,
        objective_value=0.8815,
    )
    pdp = [
        {
            "feature_name": "seats_active_30d",
            "data_type": "numerical",
            "feature_values": [1, 5, 20, 80],
            "model_predictions": [[0.21, 0.48, 0.77, 0.91]],
        }
    ]
    simple_available(s, job, RENEWAL_FEATURES, expected_value=0.6123, extra_sections={"pdp": pdp})
    return s


def e2e_regression_nested() -> Scenario:
    s = Scenario("regression_nested", Clock("2025-04-02T10:00:00+00:00"))
    job = Job(
        name="reg-delivery-eta",
        kind="regression",
        target="delivery_minutes",
        dataset="deliveries",
        offset=140,
        objective_value=38.61,
        steps=HPO[:-1] + ["Completed/MaxCandidatesReached"],
    )
    folder = "reg-delivery-eta-explainability-2504021105-0b9d"
    features = [
        "distance_km",
        "prep_time_min",
        "courier_rating",
        "hour_of_day",
        "rain_mm",
        "traffic_index",
        "restaurant_load",
        "items_in_order",
        "is_weekend",
        "zone_id",
        "courier_vehicle",
    ]
    doc = analysis_doc({"delivery_minutes": shap_values(job.name, features, 0.05, 4.0)}, {"delivery_minutes": [31.72]})
    reports = ("pdf", "html")
    nested = f"{job.explainability_prefix}/{folder}"
    objects = clarify(job, doc, reports, folder) | {
        # Clarify's per-row SHAP output sits beside it; a bias run's analysis.json lies deeper but lists
        # first: the shallowest analysis.json is the one to read.
        f"{nested}/explanations_shap/out.csv": text("distance_km,prep_time_min,courier_rating\n1.92,0.44,-0.13\n"),
        f"{job.explainability_prefix}/clarify-bias-2504021058-77aa/pre_training/analysis.json": {
            "version": "1.0",
            "pre_training_bias_metrics": {
                "label": "delivery_minutes",
                "facets": {
                    "zone_id": [
                        {
                            "value_or_threshold": "7",
                            "metrics": [{"name": "CI", "description": "Class Imbalance (CI)", "value": 0.31}],
                        }
                    ]
                },
            },
        },
    }
    s.add(job, objects, expected_available(doc, artifact_keys(reports)))
    return s


# Multiclass: four class-name label keys, features missing from some labels (they count as 0), exact ties.
# Values are multiples of 1/1024 so sums and the division by four are exact in binary floating point:
# ties are true ties, and the feature name decides, including at the top-10 cut. (Totals that are 32 mod 64
# would put the mean exactly on a 6-decimal rounding edge, so none is.)
LANDCOVER_UNITS = {  # feature: (forest, grassland, urban, water); None = absent from that label
    "ndvi_mean": (300, 220, 40, 60),  # 620 -> 1st
    "nir_reflectance": (200, 200, None, 200),  # 600 -> tie, nir < swir1
    "swir1_reflectance": (600, None, None, None),  # 600: only one label has it
    "building_density": (None, None, 484, None),  # 484 -> tie with water_index_ndwi
    "water_index_ndwi": (40, 40, 44, 360),  # 484
    "distance_to_road_km": (60, 120, 200, 20),  # 400 -> three-way tie
    "elevation_m": (120, 100, 80, 100),  # 400
    "slope_deg": (160, 80, 40, 120),  # 400
    "soil_moisture": (80, 120, 20, 140),  # 360
    "rainfall_mm": (None, 200, 40, 100),  # 340 -> 10th: ties with red_reflectance, wins on name
    "red_reflectance": (100, 60, 120, 60),  # 340 -> 11th, cut
    "blue_reflectance": (40, 40, 100, 80),  # 260
    "texture_contrast": (None, 40, 160, None),  # 200
    "month": (20, 60, None, 20),  # 100
    "cloud_cover_pct": (10, 10, 10, 10),  # 40
    "aspect_deg": (30, None, None, None),  # 30
}
LANDCOVER_CLASSES = ("forest", "grassland", "urban", "water")


def e2e_multiclass() -> Scenario:
    s = Scenario("multiclass", Clock("2025-04-03T11:00:00+00:00"))
    job = Job(
        name="mc-landcover",
        kind="multiclass",
        steps=list(HPO),
        target="land_cover",
        dataset="landcover-tiles",
        offset=180,
        objective_value=0.8342,
    )
    labels = {}
    for i, cls in enumerate(LANDCOVER_CLASSES):
        present = [(f, units[i]) for f, units in LANDCOVER_UNITS.items() if units[i] is not None]
        random.Random(cls).shuffle(present)  # each label lists its features in its own order
        labels[cls] = {f: u / 1024 for f, u in present}
    doc = analysis_doc(labels, {"forest": 0.2875, "grassland": 0.2210, "urban": 0.3105, "water": 0.1810})
    s.add(job, clarify(job, doc), expected_available(doc, artifact_keys(("pdf", "html", "ipynb"))))
    return s


def e2e_v2_tabular() -> Scenario:
    s = Scenario("v2_tabular", Clock("2025-04-04T12:00:00+00:00"))
    job = Job(
        name="v2-tab-fraud",
        kind="binary",
        api="v2",
        mode="ENSEMBLING",
        target="is_fraud",
        dataset="card-txns",
        declare_problem_type=True,
        offset=160,
        objective_value=0.9123,
        steps=list(ENSEMBLE),
    )
    job.explainability_subfolder = job.candidate_name(0)
    simple_available(s, job, FRAUD_FEATURES, expected_value=0.0214)
    return s


def e2e_v2_timeseries() -> Scenario:
    s = Scenario("v2_timeseries", Clock("2025-04-05T13:00:00+00:00"))
    job = Job(
        name="v2-ts-demand",
        kind="timeseries",
        api="v2",
        mode="ENSEMBLING",
        target="units_sold",
        dataset="store-demand",
        offset=200,
        objective_value=0.1387,
        steps=[
            "InProgress/Starting",
            "InProgress/PreTraining",
            "InProgress/TrainingModels+best",
            "InProgress/GeneratingExplainabilityReport",
            "Completed/Completed",
        ],
        ts_config={
            "CompletionCriteria": {"MaxAutoMLJobRuntimeInSeconds": 21600},
            "ForecastFrequency": "W",
            "ForecastHorizon": 8,
            "ForecastQuantiles": ["p10", "p50", "p90"],
            "Transformations": {
                "Filling": {
                    "units_sold": {"middlefill": "zero", "backfill": "zero"},
                    "price": {"middlefill": "median", "futurefill": "median"},
                },
                "Aggregation": {"units_sold": "sum"},
            },
            "TimeSeriesConfig": {
                "TargetAttributeName": "units_sold",
                "TimestampAttributeName": "week_start",
                "ItemIdentifierAttributeName": "sku",
                "GroupingAttributeNames": ["store_id"],
            },
            "HolidayConfig": [{"CountryCode": "US"}],
        },
    )
    job.explainability_subfolder = job.candidate_name(0)
    # Time-series explainability reports impact scores, not kernel SHAP (stand-in schema): reported as missing.
    impact = {
        "version": "1.0",
        "explanations": {
            "impact_scores": {
                "units_sold": {
                    "global": {"price": -0.4213, "promo_flag": 0.3377, "holiday_US": 0.1182, "store_id": 0.0641}
                }
            }
        },
    }
    objects = {f"{job.explainability_prefix}/analysis.json": impact} | report_objects(
        job.explainability_prefix, "v2-ts-demand explainability", ("pdf",)
    )
    s.add(job, objects, missing("time"))
    return s


def e2e_failed() -> Scenario:
    s = Scenario("failed", Clock("2025-04-06T14:00:00+00:00"))
    s.add(
        Job(
            name="failed-early",
            kind="binary",
            target="converted",
            dataset="web-sessions",
            offset=110,
            steps=["InProgress/Starting", "InProgress/AnalyzingData", "Failed/Failed"],
            failure_reason="ClientError: Could not find the target attribute 'converted' in the header of "
            f"s3://{BUCKET}/datasets/web-sessions/train/part-0000.csv. Check TargetAttributeName.",
        ),
        explainability=not_applicable(),
    )
    # Failed after a best candidate existed: its Explainability prefix is empty, so missing, not not_applicable.
    s.add(
        Job(
            name="failed-late",
            kind="regression",
            target="basket_value",
            dataset="baskets",
            offset=340,
            objective_value=12.93,
            steps=[
                "InProgress/Starting",
                "InProgress/AnalyzingData",
                "InProgress/FeatureEngineering",
                "InProgress/ModelTuning+best",
                "Failed/Failed",
            ],
            failure_reason="InternalServerError: An internal error occurred while tuning candidates. "
            "Retry the job; if it fails again, contact AWS Support.",
        ),
        explainability=missing("empty"),
    )
    return s


def e2e_stopped() -> Scenario:
    s = Scenario("stopped", Clock("2025-04-07T15:00:00+00:00"))
    # Best candidate appears mid-tuning (same status, newer LastModifiedTime), Clarify has written its output
    # when the user stops the job: explainability follows the prefix.
    job = Job(
        name="stopped-after-best",
        kind="binary",
        target="clicked",
        dataset="ad-clicks",
        offset=120,
        objective_value=0.7719,
        steps=[
            "InProgress/Starting",
            "InProgress/AnalyzingData",
            "InProgress/FeatureEngineering",
            "InProgress/ModelTuning",
            "InProgress/ModelTuning+best",
            "InProgress/GeneratingExplainabilityReport",
            "Stopping/Stopping",
            "Stopped/Stopped",
        ],
    )
    simple_available(
        s,
        job,
        [
            "ad_position",
            "device_type",
            "hour_of_day",
            "site_category",
            "user_age_band",
            "banner_size",
            "campaign_id",
            "previous_clicks_7d",
        ],
        expected_value=0.0871,
    )
    s.add(
        Job(
            name="stopped-before-best",
            kind="multiclass",
            target="segment",
            dataset="customers",
            offset=300,
            steps=["InProgress/Starting", "InProgress/AnalyzingData", "Stopping/Stopping", "Stopped/Stopped"],
        ),
        explainability=not_applicable(),
    )
    # Still stopping when the scenario ends: not terminal, so pending and never notified, whatever S3 holds.
    job = Job(
        name="stopping-stuck",
        kind="regression",
        target="rent_eur",
        dataset="rentals",
        offset=480,
        objective_value=88.4,
        steps=[
            "InProgress/Starting",
            "InProgress/AnalyzingData",
            "InProgress/FeatureEngineering",
            "InProgress/ModelTuning+best",
            "Stopping/ModelTuning",
            HOLD,
            HOLD,
        ],
    )
    doc = analysis_doc(
        {"label0": shap_values(job.name, ["area_m2", "rooms", "district", "floor", "balcony"])}, {"label0": 1040.0}
    )
    s.add(job, clarify(job, doc), pending())
    return s


def long_failures(job: Job) -> list[str]:
    """Five partial failure messages of about 1,000 characters each (the API's maximum is 1,024).

    Each is a one-line head plus the tail of a log, as the service quotes it, cut at the length given.
    """
    cases = [
        (
            f"Explainability report generation failed for the best candidate '{job.candidate_name(0)}': SageMaker "
            f"Clarify processing job '{job.name}-xai-{short_hash(job.name, 1, n=12)}' failed with AlgorithmError: "
            "MemoryError while computing kernel SHAP for 4096 rows x 64 features.",
            ' File "/opt/ml/code/analyzer/explain.py", line {n}, in run shap_values = explainer.shap_values(batch)'
            ' File "/usr/local/lib/python3.10/site-packages/shap/explainers/_kernel.py", line 190, in shap_values',
            1000,
        ),
        (
            f"Candidate '{job.candidate_name(2)}' failed: AlgorithmError: ExecuteUserScriptError: Command "
            '"/usr/local/bin/python3 -m sagemaker_xgboost_container.training" exited with code 137 on '
            "ml.m5.4xlarge (out of memory).",
            " [2025-04-08 16:41:{n:02d}] INFO - [{n}]#011train-logloss:0.2{n:02d}#011validation-logloss:0.3{n:02d}",
            1011,
        ),
        (
            f"Candidate '{job.candidate_name(3)}' failed: ClientError: Data download failed: the object "
            f"s3://{BUCKET}/autopilot/{job.name}/preprocessed-data/tuning_data/train/chunk_23.csv could not be read.",
            " botocore.exceptions.ClientError: An error occurred (AccessDenied) when calling the GetObject operation:"
            " Access Denied (retry {n});",
            1024,
        ),
        (
            f"Model insights report for '{job.candidate_name(0)}' was not generated: the model quality monitoring "
            "job exited with ClientError: predicted labels column 'predicted_label' not found in the transform output.",
            " KeyError: 'predicted_label' (analyzer/model_quality.py:{n}, columns found: probability, labels,"
            " probabilities);",
            996,
        ),
        (
            f"Explainability baseline for '{job.candidate_name(0)}' could not be built: K-means clustering of the "
            "baseline sample did not converge after 300 iterations; retrying with a random baseline also failed.",
            " ConvergenceWarning: Number of distinct clusters ({n}) found smaller than n_clusters (10). Possibly due"
            " to duplicate points in X.",
            1023,
        ),
    ]
    messages = [fit(head + " Log tail:", filler, length) for head, filler, length in cases]
    messages[4] += "\u2026"  # truncated by the service: a non-ASCII ellipsis makes it 1,024 characters
    return messages


def e2e_explainability_error_partial() -> Scenario:
    s = Scenario("explainability_error_partial", Clock("2025-04-08T16:00:00+00:00"))
    # ExplainabilityError takes precedence even though a valid analysis.json is under the prefix.
    job = credit_job(
        "xai-error-five",
        150,
        steps=HPO[:-1] + ["Completed/ExplainabilityError"],
        other_candidates=3,
        failed_candidates=2,
    )
    job.partial_failures = long_failures(job)
    doc = analysis_doc({"label0": shap_values(job.name, CHURN_FEATURES)}, {"label0": 0.31})
    s.add(job, clarify(job, doc), error("explainabilityerror"))
    # Completed with two failed candidates: partial failures, explainability still available.
    job = credit_job("partial-ok-two", 420, other_candidates=3, failed_candidates=2)
    job.partial_failures = [f"Candidate '{job.candidate_name(i)}' failed: {CANDIDATE_FAILURES[i % 2]}" for i in (2, 3)]
    simple_available(s, job, RENEWAL_FEATURES[:11], expected_value=0.2211)
    return s


def e2e_corrupt() -> Scenario:
    s = Scenario("corrupt", Clock("2025-04-09T17:00:00+00:00"))
    offsets = iter(range(70, 700, 65))

    def job(name: str, **changes) -> Job:
        return credit_job(name, next(offsets), **changes)

    j = job("bad-not-json")
    s.add(
        j,
        {f"{j.explainability_prefix}/analysis.json": text('{"version": "1.0", "explanations": {"kernel_sh')}
        | report_objects(j.explainability_prefix, j.name),
        error("json"),
    )
    j = job("bad-not-utf8")  # Latin-1 bytes: valid JSON text, but not UTF-8
    latin1 = json.dumps(
        {
            "version": "1.0",
            "explanations": {
                "kernel_shap": {
                    "label0": {
                        "global_shap_values": {
                            "revenu_annuel": 0.041,
                            "ann\u00e9es_client": 0.027,
                            "d\u00e9couvert": 0.019,
                        },
                        "expected_value": 0.12,
                    }
                }
            },
        },
        ensure_ascii=False,
    ).encode("latin-1")
    s.add(
        j, {f"{j.explainability_prefix}/analysis.json": {"base64": base64.b64encode(latin1).decode()}}, error("utf-8")
    )
    j = job("bad-explanations-list")  # explanations is not an object
    s.add(
        j,
        {f"{j.explainability_prefix}/analysis.json": {"version": "1.0", "explanations": ["kernel_shap"]}},
        error("explanations"),
    )
    j = job("bad-label-not-object")  # a label entry is a list, not {global_shap_values, expected_value}
    s.add(
        j,
        {
            f"{j.explainability_prefix}/analysis.json": {
                "version": "1.0",
                "explanations": {"kernel_shap": {"label0": [0.041, 0.027, 0.019]}},
            }
        },
        error("global_shap_values"),
    )
    j = job("bad-bias-only")  # a bias-only analysis.json: no explanations at all
    s.add(
        j,
        {
            f"{j.explainability_prefix}/analysis.json": {
                "version": "1.0",
                "post_training_bias_metrics": {
                    "label": "defaulted",
                    "facets": {
                        "applicant_age_band": [
                            {
                                "value_or_threshold": "18-25",
                                "metrics": [
                                    {
                                        "name": "DPPL",
                                        "description": "Difference in Positive Proportions in Predicted Labels (DPPL)",
                                        "value": 0.084,
                                    }
                                ],
                            }
                        ]
                    },
                    "label_value_or_threshold": "1",
                },
            }
        },
        missing("explanations"),
    )
    j = job("bad-pdp-only")  # explanations without a kernel_shap section
    s.add(
        j,
        {
            f"{j.explainability_prefix}/analysis.json": {
                "version": "1.0",
                "explanations": {
                    "pdp": [
                        {
                            "feature_name": "income",
                            "data_type": "numerical",
                            "feature_values": [20000, 60000],
                            "model_predictions": [[0.31, 0.12]],
                        }
                    ]
                },
            }
        },
        missing("kernel_shap"),
    )
    j = job("bad-no-analysis")  # reports only
    s.add(j, report_objects(j.explainability_prefix, j.name, ("pdf",)), missing("analysis.json"))
    s.add(job("bad-empty-prefix"), explainability=missing("empty"))
    s.add(job("bad-no-location", explainability=False), explainability=missing("location"))
    return s


def e2e_many_features() -> Scenario:
    s = Scenario("many_features", Clock("2025-04-10T18:00:00+00:00"))
    job = Job(
        name="wide-3000-features",
        kind="binary",
        steps=list(HPO),
        target="failure_within_7d",
        dataset="sensor-wide",
        offset=100,
        objective_value=0.6912,
    )
    features = [f"sensor_{i:04d}" for i in range(3000)]
    random.Random("wide").shuffle(features)
    simple_available(s, job, features, expected_value=0.0432)
    return s


def e2e_duplicates_shuffled() -> Scenario:
    s = Scenario("duplicates_shuffled", Clock("2025-04-11T19:00:00+00:00"))
    s.delivery.update(duplicates=2, shuffle=True, seed=7)
    # Four jobs changing in the same ticks, so shuffling reorders real work.
    simple_available(
        s,
        Job(
            name="dup-binary",
            kind="binary",
            steps=list(HPO),
            target="churned",
            dataset="telco-churn",
            offset=90,
            objective_value=0.8544,
        ),
        CHURN_FEATURES,
    )
    job = Job(
        name="dup-multiclass",
        kind="multiclass",
        steps=list(HPO),
        target="priority",
        dataset="support-tickets",
        offset=240,
        objective_value=0.7733,
        declare_problem_type=True,
    )
    features = ["subject_length", "body_length", "customer_tier", "product_area", "sentiment_score", "channel"]
    doc = analysis_doc(
        {c: shap_values(f"{job.name}/{c}", features) for c in ("low", "medium", "high")},
        {"low": 0.41, "medium": 0.37, "high": 0.22},
    )
    s.add(job, clarify(job, doc), expected_available(doc, artifact_keys(("pdf", "html", "ipynb"))))
    job = Job(
        name="dup-v2-regression",
        kind="regression",
        api="v2",
        mode="ENSEMBLING",
        target="kwh_next_day",
        dataset="building-energy",
        declare_problem_type=True,
        offset=390,
        objective_value=27.15,
        steps=list(ENSEMBLE),
    )
    job.explainability_subfolder = job.candidate_name(0)
    simple_available(
        s, job, ["outdoor_temp_c", "humidity_pct", "occupancy", "hour_of_day", "is_holiday"], expected_value=175.0
    )
    s.add(
        Job(
            name="dup-failed",
            kind="binary",
            target="is_fraud",
            dataset="card-txns",
            declare_problem_type=True,
            offset=540,
            steps=["InProgress/Starting", "InProgress/AnalyzingData", "InProgress/FeatureEngineering", "Failed/Failed"],
            failure_reason="ClientError: Feature engineering failed: the training data has 412 rows after "
            "removing rows with a missing target; at least 500 rows are required.",
        ),
        explainability=not_applicable(),
    )
    return s


def e2e_faults() -> Scenario:
    s = Scenario("faults", Clock("2025-04-12T20:00:00+00:00"))
    s.delivery.update(seed=3, faults={"sagemaker": 0.2, "s3": 0.2, "dynamodb": 0.2, "sns": 0.2, "events": 0.2})
    # Transient faults may make the watcher skip an intermediate state, so only the terminal one is certain.
    s.history_floor = 1
    # Trailing HOLD ticks give retries room after the terminal state.
    simple_available(
        s,
        Job(
            name="faults-binary",
            kind="binary",
            steps=HPO + [HOLD, HOLD],
            target="renewed",
            dataset="saas-renewals",
            offset=80,
            objective_value=0.8611,
        ),
        RENEWAL_FEATURES,
    )
    job = Job(
        name="faults-v2-multiclass",
        kind="multiclass",
        api="v2",
        mode="ENSEMBLING",
        target="priority",
        dataset="support-tickets",
        declare_problem_type=True,
        offset=330,
        objective_value=0.7802,
        steps=ENSEMBLE + [HOLD, HOLD],
    )
    job.explainability_subfolder = job.candidate_name(0)
    features = ["subject_length", "body_length", "customer_tier", "product_area", "sentiment_score"]
    doc = analysis_doc(
        {c: shap_values(f"{job.name}/{c}", features) for c in ("low", "medium", "high")},
        {"low": 0.40, "medium": 0.38, "high": 0.22},
    )
    s.add(job, clarify(job, doc), expected_available(doc, artifact_keys(("pdf", "html", "ipynb"))))
    return s


E2E = [
    e2e_binary,
    e2e_regression_nested,
    e2e_multiclass,
    e2e_v2_tabular,
    e2e_v2_timeseries,
    e2e_failed,
    e2e_stopped,
    e2e_explainability_error_partial,
    e2e_corrupt,
    e2e_many_features,
    e2e_duplicates_shuffled,
    e2e_faults,
]
COMPACT = {"many_features"}


# ---------------------------------------------------------------------------------------------- output
def render(document: dict, compact: bool = False) -> str:
    if compact:
        return json.dumps(document, separators=(",", ":")) + "\n"
    return _pretty(document, 0, 0) + "\n"


def _pretty(value: object, depth: int, column: int, width: int = 118) -> str:
    """JSON indented one space per level, keeping any value that fits the line on one line."""
    flat = json.dumps(value, separators=(", ", ": "))
    if not isinstance(value, (dict, list)) or not value or column + len(flat) <= width:
        return flat
    pad = " " * (depth + 1)
    if isinstance(value, dict):
        items = []
        for key, item in value.items():
            head = f"{pad}{json.dumps(key)}: "
            items.append(head + _pretty(item, depth + 1, len(head), width))
    else:
        items = [pad + _pretty(item, depth + 1, len(pad), width) for item in value]
    return "{["[isinstance(value, list)] + "\n" + ",\n".join(items) + "\n" + " " * depth + "}]"[isinstance(value, list)]


def outputs() -> dict[Path, str]:
    files = {DEMO_PATH: render(demo().document())}
    for build in E2E:
        scenario = build()
        files[E2E_DIR / f"{scenario.name}.json"] = render(scenario.document(), scenario.name in COMPACT)
        files[E2E_DIR / f"{scenario.name}.expect.json"] = render(scenario.expectation())
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only report files that differ; write nothing")
    args = parser.parse_args(argv)
    stale = []
    for path, content in outputs().items():
        current = path.read_text() if path.exists() else None
        if current == content:
            continue
        stale.append(path)
        if not args.check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content)
    for path in stale:
        print(f"{'stale' if args.check else 'wrote'}: {path.relative_to(ROOT)}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
