"""One AutoML job as SageMaker answers for it: its request, its DescribeAutoMLJob(V2) response at each tick of
its timeline, and its candidates (AutoMLCandidate), deterministically.

A job's timeline lists its state at each tick (`"Status/SecondaryStatus"`, `+best` once the best candidate
exists); `HOLD` repeats the previous response unchanged. Times come from the job's `Clock`
(testsupport/scenarios/clock.py). Every job name, value and S3 path is invented; the shapes and member order
follow what SageMaker really returns (botocore's output shapes).
"""

from __future__ import annotations

import copy
import hashlib
import random
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from autopilot_reports.constants import EXAMPLE_ACCOUNT_ID, TERMINAL_STATUSES
from testsupport.scenarios.clock import Clock, iso

Doc = dict[str, Any]
JobKey = tuple[str, str, str]  # (account, region, name): one name may run in several accounts

REGION = "us-east-1"
ACCOUNT = EXAMPLE_ACCOUNT_ID


def bucket_of(account: str) -> str:
    """An account's Autopilot bucket (S3 bucket names are global: each account's has its own)."""
    return f"acme-automl-artifacts-{account}"


def role_arn_of(account: str) -> str:
    return f"arn:aws:iam::{account}:role/service-role/AcmeAutopilotExecutionRole"


BUCKET = bucket_of(ACCOUNT)
TERMINAL = TERMINAL_STATUSES
HOLD = "="  # timeline step: same response as the tick before

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


# --------------------------------------------------------------------------------------------- helpers
def short_hash(*parts: object, n: int = 8) -> str:
    """A stable, invented identifier (hex) for names and suffixes that AWS would generate."""
    return hashlib.sha1("/".join(str(p) for p in parts).encode()).hexdigest()[:n]


def timeline(steps: str) -> list[str]:
    """`"Starting AnalyzingData ModelTuning+best Stopping/Stopping Stopped/Stopped ="` as a step list: a
    bare secondary status is InProgress, `=` is HOLD."""
    return [step if "/" in step or step == HOLD else f"InProgress/{step}" for step in steps.split()]


def metric_values(kind: str, seed: str, objective_value: float) -> dict[str, float]:
    """A candidate's metrics (CandidateMetrics), seeded, within the ranges of its problem type."""
    rng = random.Random(seed)
    values = {name: round(rng.uniform(lo, hi), 4) for name, (lo, hi) in KINDS[kind].metrics.items()}
    values[KINDS[kind].objective[0]] = objective_value
    return values


def fit(message: str, filler: str, length: int) -> str:
    """A PartialFailureMessage of a set length: extend a message with log lines (`filler`, `{n}` counting up) and cut it to exactly `length` characters."""
    if length > 1024:
        raise ValueError("PartialFailureMessage is at most 1024 characters")
    n = 1
    while len(message) < length:
        message += filler.format(n=n)
        n += 1
    return message[:length]


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
    children: Doc = field(default_factory=dict)  # its child jobs' Describe responses by ARN (children.py)
    account: str = ACCOUNT  # where the job runs (an organization's scenario spreads its jobs)
    region: str = REGION

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
            raise ValueError(f"{self.name} has no clock: add it to a ScenarioPlan first")
        return self.clock

    # identity and locations
    def sagemaker_arn(self, resource_type: str, name: str) -> str:
        """The ARN of this job's own resource or one of its child jobs: where the job runs, said once."""
        return f"arn:aws:sagemaker:{self.region}:{self.account}:{resource_type}/{name}"

    @property
    def arn(self) -> str:
        return self.sagemaker_arn("automl-job", self.name)

    @property
    def place(self) -> tuple[str, str]:
        """(account, region): where the job runs."""
        return self.account, self.region

    @property
    def key(self) -> JobKey:
        return self.account, self.region, self.name

    @property
    def bucket(self) -> str:
        return bucket_of(self.account)

    @property
    def output_path(self) -> str:
        return f"s3://{self.bucket}/autopilot/" if self.api == "v1" else f"s3://{self.bucket}/autopilot-v2/"

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
                "CandidateStepArn": self.sagemaker_arn(arn_type, name.lower()),
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
        source = {
            "S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{self.bucket}/datasets/{self.dataset}/train/"}
        }
        common = {
            "AutoMLJobName": self.name,
            "AutoMLJobArn": self.arn,
            "OutputDataConfig": {"S3OutputPath": self.output_path},
            "RoleArn": role_arn_of(self.account),
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
