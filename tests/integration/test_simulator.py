"""The AutoML simulator against a real boto3 client over loopback HTTP."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import botocore.retries.standard
import pytest
from botocore.client import BaseClient
from botocore.config import Config
from botocore.exceptions import ClientError

from sandbox.aws_hooks import ACCOUNT_HEADER
from sandbox.scenario import Scenario, parse_timestamp, sagemaker_model, validate_shape
from sandbox.simulator import AutoMLSimulator, SimulatorBugError, v1_to_v2_describe
from testsupport.stepping import stepping_scenario, stepping_simulator

REGION = "us-east-1"
ACCOUNT = "123456789012"
FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures"
T0 = datetime(2021, 3, 1, 10, 0, tzinfo=UTC)


def iso(moment: datetime) -> str:
    return moment.isoformat()


def v1_describe(
    name: str,
    *,
    status: str = "InProgress",
    secondary: str = "Starting",
    created: datetime = T0,
    modified: datetime | None = None,
    **extra: Any,
) -> dict[str, Any]:
    response: dict[str, Any] = {
        "AutoMLJobName": name,
        "AutoMLJobArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:automl-job/{name}",
        "InputDataConfig": [
            {
                "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://data/in/"}},
                "CompressionType": "None",
                "TargetAttributeName": "churn",
                "ContentType": "text/csv;header=present",
                "ChannelType": "training",
            }
        ],
        "OutputDataConfig": {"S3OutputPath": "s3://data/out/"},
        "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/automl",
        "AutoMLJobObjective": {"MetricName": "F1"},
        "ProblemType": "BinaryClassification",
        "AutoMLJobConfig": {
            "CompletionCriteria": {"MaxCandidates": 300},
            "SecurityConfig": {"EnableInterContainerTrafficEncryption": True},
            "CandidateGenerationConfig": {"FeatureSpecificationS3Uri": "s3://data/features.json"},
            "DataSplitConfig": {"ValidationFraction": 0.2},
            "Mode": "HYPERPARAMETER_TUNING",
        },
        "GenerateCandidateDefinitionsOnly": False,
        "CreationTime": iso(created),
        "LastModifiedTime": iso(modified or created),
        "AutoMLJobStatus": status,
        "AutoMLJobSecondaryStatus": secondary,
    }
    response.update(extra)
    return response


def v2_describe(name: str, *, status: str = "Completed", secondary: str = "Completed") -> dict[str, Any]:
    return {
        "AutoMLJobName": name,
        "AutoMLJobArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:automl-job/{name}",
        "AutoMLJobInputDataConfig": [
            {"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://data/ts/"}}}
        ],
        "OutputDataConfig": {"S3OutputPath": "s3://data/out/"},
        "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/automl",
        "AutoMLProblemTypeConfig": {"TabularJobConfig": {"TargetAttributeName": "price", "ProblemType": "Regression"}},
        "AutoMLProblemTypeConfigName": "Tabular",
        "CreationTime": iso(T0),
        "EndTime": iso(T0 + timedelta(hours=1)),
        "LastModifiedTime": iso(T0 + timedelta(hours=1)),
        "AutoMLJobStatus": status,
        "AutoMLJobSecondaryStatus": secondary,
    }


def candidate(job: str, number: int, created: datetime, *, status: str = "Completed", value: float | None = 0.5):
    name = f"{job}-c{number:03d}"
    result: dict[str, Any] = {
        "CandidateName": name,
        "ObjectiveStatus": "Succeeded" if value is not None else "Failed",
        "CandidateSteps": [
            {
                "CandidateStepType": "AWS::SageMaker::TrainingJob",
                "CandidateStepArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:training-job/{name}",
                "CandidateStepName": name,
            }
        ],
        "CandidateStatus": status,
        "CreationTime": iso(created),
        "LastModifiedTime": iso(created + timedelta(minutes=1)),
    }
    if value is not None:
        result["FinalAutoMLJobObjectiveMetric"] = {"MetricName": "F1", "Value": value}
    return result


# --------------------------------------------------------------------------------------------------
# Fixtures


@pytest.fixture(autouse=True)
def offline_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Dummy credentials, no user config, and no proxy between boto3 and loopback."""
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SAGEMAKER", "AWS_RETRY_MODE", "AWS_MAX_ATTEMPTS"):
        monkeypatch.delenv(name, raising=False)
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))


@pytest.fixture
def serve() -> Iterator[Callable[[dict[str, Any]], AutoMLSimulator]]:
    """Start simulators for scenario dicts; stop them (surfacing simulator bugs) afterwards."""
    started: list[AutoMLSimulator] = []

    def start(data: dict[str, Any]) -> AutoMLSimulator:
        simulator = stepping_simulator(data)
        simulator.start()
        started.append(simulator)
        return simulator

    yield start
    for simulator in started:
        simulator.stop()


def client_for(simulator: AutoMLSimulator, **config: Any) -> BaseClient:
    retries = config.pop("retries", {"mode": "standard", "max_attempts": 1})
    return boto3.client(
        "sagemaker",
        endpoint_url=simulator.endpoint_url,
        region_name=REGION,
        config=Config(retries=retries, **config),
    )


def error_of(call: Callable[..., Any], **params: Any) -> ClientError:
    with pytest.raises(ClientError) as caught:
        call(**params)
    return caught.value


def timeline_scenario() -> dict[str, Any]:
    name = "churn-v1"
    return {
        "jobs": [
            {
                "describe": [
                    v1_describe(name, secondary="AnalyzingData", modified=T0 + timedelta(minutes=5)),
                    v1_describe(name, secondary="TrainingModels", modified=T0 + timedelta(minutes=30)),
                    v1_describe(
                        name,
                        status="Completed",
                        secondary="Completed",
                        modified=T0 + timedelta(hours=2),
                        EndTime=iso(T0 + timedelta(hours=2)),
                    ),
                ]
            },
            {"api": "v2", "describe": [v2_describe("prices-v2")]},
        ]
    }


# --------------------------------------------------------------------------------------------------
# Describe


def test_describe_v1_follows_the_tick(serve) -> None:
    simulator = serve(timeline_scenario())
    client = client_for(simulator)

    seen = []
    for tick in (0, 1, 2, 7):
        simulator.tick = tick
        response = client.describe_auto_ml_job(AutoMLJobName="churn-v1")
        seen.append((response["AutoMLJobStatus"], response["AutoMLJobSecondaryStatus"], response["LastModifiedTime"]))

    assert seen == [
        ("InProgress", "AnalyzingData", T0 + timedelta(minutes=5)),
        ("InProgress", "TrainingModels", T0 + timedelta(minutes=30)),
        ("Completed", "Completed", T0 + timedelta(hours=2)),
        ("Completed", "Completed", T0 + timedelta(hours=2)),
    ]
    assert simulator.calls["DescribeAutoMLJob"] == 4


def test_describe_v2_job_through_v2(serve) -> None:
    client = client_for(serve(timeline_scenario()))

    response = client.describe_auto_ml_job_v2(AutoMLJobName="prices-v2")

    assert response["AutoMLProblemTypeConfig"]["TabularJobConfig"]["TargetAttributeName"] == "price"
    assert response["EndTime"] == T0 + timedelta(hours=1)


def test_v1_api_on_v2_job_is_a_validation_error(serve) -> None:
    client = client_for(serve(timeline_scenario()))

    error = error_of(client.describe_auto_ml_job, AutoMLJobName="prices-v2")

    assert error.response["Error"]["Code"] == "ValidationException"
    assert error.response["Error"]["Message"] == (
        "AutoML job prices-v2 was created with CreateAutoMLJobV2 and cannot be described by DescribeAutoMLJob. "
        "Use DescribeAutoMLJobV2."
    )
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_v1_job_through_v2_is_converted(serve) -> None:
    simulator = serve(timeline_scenario())
    simulator.tick = 2
    client = client_for(simulator)

    response = client.describe_auto_ml_job_v2(AutoMLJobName="churn-v1")

    assert response["AutoMLProblemTypeConfigName"] == "Tabular"
    assert response["AutoMLProblemTypeConfig"] == {
        "TabularJobConfig": {
            "TargetAttributeName": "churn",
            "FeatureSpecificationS3Uri": "s3://data/features.json",
            "CompletionCriteria": {"MaxCandidates": 300},
            "Mode": "HYPERPARAMETER_TUNING",
            "ProblemType": "BinaryClassification",
            "GenerateCandidateDefinitionsOnly": False,
        }
    }
    assert response["AutoMLJobInputDataConfig"] == [
        {
            "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://data/in/"}},
            "CompressionType": "None",
            "ContentType": "text/csv;header=present",
            "ChannelType": "training",
        }
    ]
    assert response["SecurityConfig"] == {"EnableInterContainerTrafficEncryption": True}
    assert response["DataSplitConfig"] == {"ValidationFraction": 0.2}
    assert (response["AutoMLJobStatus"], response["EndTime"]) == ("Completed", T0 + timedelta(hours=2))


def test_v1_to_v2_converts_resolved_attributes() -> None:
    describe = v1_describe(
        "churn-v1",
        ResolvedAttributes={
            "AutoMLJobObjective": {"MetricName": "F1"},
            "ProblemType": "BinaryClassification",
            "CompletionCriteria": {"MaxCandidates": 250},
        },
    )

    view = v1_to_v2_describe(describe)

    validate_shape(view, sagemaker_model().shape_for("DescribeAutoMLJobV2Response"))
    assert view["ResolvedAttributes"] == {
        "AutoMLJobObjective": {"MetricName": "F1"},
        "CompletionCriteria": {"MaxCandidates": 250},
        "AutoMLProblemTypeResolvedAttributes": {"TabularResolvedAttributes": {"ProblemType": "BinaryClassification"}},
    }


@pytest.mark.parametrize(
    "operation",
    ["describe_auto_ml_job", "describe_auto_ml_job_v2", "list_candidates_for_auto_ml_job", "stop_auto_ml_job"],
)
def test_unknown_job_is_resource_not_found(serve, operation: str) -> None:
    client = client_for(serve(timeline_scenario()))

    error = error_of(getattr(client, operation), AutoMLJobName="nope")

    assert error.response["Error"] == {
        "Code": "ResourceNotFound",
        "Message": "Could not find AutoML job with name nope.",
    }


@pytest.mark.skipif(not FIXTURES.is_dir(), reason=f"shared fixtures not found at {FIXTURES}")
def test_real_v2_response_round_trips(serve) -> None:
    fixture = json.loads((FIXTURES / "describe_auto_ml_job_v2_tabular_completed.boto3.json").read_text())
    client = client_for(serve({"jobs": [{"api": "v2", "describe": [fixture]}]}))

    response = client.describe_auto_ml_job_v2(AutoMLJobName=fixture["AutoMLJobName"])
    response.pop("ResponseMetadata")

    assert response == _with_datetimes(fixture)


TIME_KEYS = ("CreationTime", "EndTime", "LastModifiedTime")


def _with_datetimes(value: Any) -> Any:
    """The fixture as boto3 returns it: its ISO times parsed into datetimes."""
    if isinstance(value, dict):
        return {key: parse_timestamp(v) if key in TIME_KEYS else _with_datetimes(v) for key, v in value.items()}
    if isinstance(value, list):
        return [_with_datetimes(item) for item in value]
    return value


def test_times_far_from_now_round_trip(serve) -> None:
    early, late = datetime(1931, 5, 1, tzinfo=UTC), datetime(2150, 1, 1, 0, 0, 0, 123000, tzinfo=UTC)
    client = client_for(serve({"jobs": [{"describe": [v1_describe("old", created=early, modified=late)]}]}))

    response = client.describe_auto_ml_job(AutoMLJobName="old")

    assert (response["CreationTime"], response["LastModifiedTime"]) == (early, late)


# --------------------------------------------------------------------------------------------------
# ListAutoMLJobs


def many_jobs(count: int = 250) -> dict[str, Any]:
    """Jobs created a minute apart; every third is Completed, modified ten minutes after creation."""
    jobs = []
    for index in range(count):
        created = T0 + timedelta(minutes=index)
        status = ("Completed", "Completed") if index % 3 == 0 else ("InProgress", "TrainingModels")
        name = f"Job-{index:03d}"
        describe = v1_describe(
            name, status=status[0], secondary=status[1], created=created, modified=created + timedelta(minutes=10)
        )
        jobs.append({"describe": [describe]})
    return {"jobs": jobs}


def all_pages(client: BaseClient, operation: str, page_size: int, **params: Any) -> list[dict[str, Any]]:
    paginator = client.get_paginator(operation)
    return list(paginator.paginate(PaginationConfig={"PageSize": page_size}, **params))


def test_list_paginates_250_jobs_in_pages_of_100(serve) -> None:
    simulator = serve(many_jobs())
    client = client_for(simulator)

    pages = all_pages(client, "list_auto_ml_jobs", 100, SortBy="CreationTime", SortOrder="Ascending")

    names = [s["AutoMLJobName"] for page in pages for s in page["AutoMLJobSummaries"]]
    assert [len(page["AutoMLJobSummaries"]) for page in pages] == [100, 100, 50]
    assert names == [f"Job-{index:03d}" for index in range(250)]
    assert "NextToken" not in pages[-1]
    assert simulator.calls["ListAutoMLJobs"] == 3


def test_list_summary_has_the_summary_fields(serve) -> None:
    data = {
        "jobs": [
            {
                "describe": [
                    v1_describe(
                        "failed-job",
                        status="Failed",
                        secondary="Failed",
                        EndTime=iso(T0 + timedelta(hours=1)),
                        FailureReason="ClientError: bad data",
                        PartialFailureReasons=[{"PartialFailureMessage": "one candidate failed"}],
                    )
                ]
            }
        ]
    }
    client = client_for(serve(data))

    (summary,) = client.list_auto_ml_jobs()["AutoMLJobSummaries"]

    assert summary == {
        "AutoMLJobName": "failed-job",
        "AutoMLJobArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:automl-job/failed-job",
        "AutoMLJobStatus": "Failed",
        "AutoMLJobSecondaryStatus": "Failed",
        "CreationTime": T0,
        "EndTime": T0 + timedelta(hours=1),
        "LastModifiedTime": T0,
        "FailureReason": "ClientError: bad data",
        "PartialFailureReasons": [{"PartialFailureMessage": "one candidate failed"}],
    }


def test_list_defaults_are_ten_by_name_descending(serve) -> None:
    client = client_for(serve(many_jobs(25)))

    response = client.list_auto_ml_jobs()

    names = [s["AutoMLJobName"] for s in response["AutoMLJobSummaries"]]
    assert names == [f"Job-{index:03d}" for index in range(24, 14, -1)]
    assert response["NextToken"]


def test_list_filters(serve) -> None:
    client = client_for(serve(many_jobs()))

    def names(**params: Any) -> list[str]:
        pages = all_pages(client, "list_auto_ml_jobs", 100, SortBy="Name", SortOrder="Ascending", **params)
        return [s["AutoMLJobName"] for page in pages for s in page["AutoMLJobSummaries"]]

    assert names(NameContains="job-24") == ["Job-240", "Job-241", "Job-242", "Job-243", "Job-244", "Job-245",
                                            "Job-246", "Job-247", "Job-248", "Job-249"]  # fmt: skip
    assert names(StatusEquals="Completed") == [f"Job-{index:03d}" for index in range(0, 250, 3)]
    # Strictly after / strictly before: the job created exactly at the bound is excluded.
    assert names(CreationTimeAfter=T0 + timedelta(minutes=247)) == ["Job-248", "Job-249"]
    assert names(CreationTimeBefore=T0 + timedelta(minutes=2)) == ["Job-000", "Job-001"]
    assert names(
        CreationTimeAfter=T0 + timedelta(minutes=100), CreationTimeBefore=T0 + timedelta(minutes=104), NameContains="10"
    ) == ["Job-101", "Job-102", "Job-103"]


def test_list_last_modified_time_after_follows_the_tick(serve) -> None:
    quiet = v1_describe("quiet", status="Completed", secondary="Completed", modified=T0 + timedelta(hours=1))
    changing = [
        v1_describe("busy", secondary="AnalyzingData", modified=T0 + timedelta(minutes=30)),
        v1_describe("busy", status="Completed", secondary="Completed", modified=T0 + timedelta(hours=3)),
    ]
    simulator = serve({"jobs": [{"describe": [quiet]}, {"describe": changing}]})
    client = client_for(simulator)
    watermark = T0 + timedelta(hours=1)

    def changed() -> list[str]:
        response = client.list_auto_ml_jobs(LastModifiedTimeAfter=watermark)
        return [s["AutoMLJobName"] for s in response["AutoMLJobSummaries"]]

    assert changed() == []  # "quiet" was modified exactly at the watermark: not strictly after it
    simulator.tick = 1
    assert changed() == ["busy"]
    response = client.list_auto_ml_jobs(LastModifiedTimeBefore=watermark + timedelta(seconds=1))
    assert [s["AutoMLJobName"] for s in response["AutoMLJobSummaries"]] == ["quiet"]


def test_list_sorts_by_status(serve) -> None:
    client = client_for(serve(many_jobs(6)))

    response = client.list_auto_ml_jobs(SortBy="Status", SortOrder="Ascending")

    assert [(s["AutoMLJobStatus"], s["AutoMLJobName"]) for s in response["AutoMLJobSummaries"]] == [
        ("Completed", "Job-000"),
        ("Completed", "Job-003"),
        ("InProgress", "Job-001"),
        ("InProgress", "Job-002"),
        ("InProgress", "Job-004"),
        ("InProgress", "Job-005"),
    ]


def test_list_rejects_bad_max_results_and_tokens(serve) -> None:
    simulator = serve(many_jobs(30))
    # Client-side validation would stop MaxResults=0 before it is sent; turn it off to reach the server.
    client = client_for(simulator, parameter_validation=False)

    for max_results in (0, 101):
        error = error_of(client.list_auto_ml_jobs, MaxResults=max_results)
        assert error.response["Error"]["Code"] == "ValidationException"
        assert "MaxResults" in error.response["Error"]["Message"]

    error = error_of(client.list_auto_ml_jobs, NextToken="not-a-token")
    assert error.response["Error"]["Code"] == "ValidationException"

    token = client.list_auto_ml_jobs(NameContains="job")["NextToken"]
    error = error_of(client.list_auto_ml_jobs, NextToken=token, NameContains="other")
    assert error.response["Error"]["Code"] == "ValidationException"
    # MaxResults may change between pages, as on AWS.
    assert len(client.list_auto_ml_jobs(NextToken=token, NameContains="job", MaxResults=15)["AutoMLJobSummaries"]) == 15


def test_list_accepts_iso_timestamps_in_hand_written_requests(serve) -> None:
    simulator = serve(many_jobs(5))

    status, body = raw_request(
        simulator, "SageMaker.ListAutoMLJobs", {"CreationTimeAfter": iso(T0 + timedelta(minutes=2)), "SortBy": "Name"}
    )

    assert status == 200
    assert [s["AutoMLJobName"] for s in body["AutoMLJobSummaries"]] == ["Job-004", "Job-003"]
    assert isinstance(body["AutoMLJobSummaries"][0]["CreationTime"], float)  # epoch seconds on the wire


# --------------------------------------------------------------------------------------------------
# ListCandidatesForAutoMLJob


def candidates_scenario() -> dict[str, Any]:
    name = "tuning"
    candidates = [
        candidate(
            name,
            number,
            T0 + timedelta(minutes=number),
            status="Failed" if number % 10 == 9 else "Completed",
            value=None if number % 10 == 9 else (number * 37 % 300) / 300,
        )
        for number in range(300)
    ]
    describes = [
        v1_describe(name, secondary="TrainingModels", modified=T0 + timedelta(minutes=49, seconds=30)),
        v1_describe(name, status="Completed", secondary="Completed", modified=T0 + timedelta(hours=6)),
    ]
    return {"jobs": [{"describe": describes, "candidates": candidates}]}


def test_candidates_visible_at_tick_and_paginated(serve) -> None:
    simulator = serve(candidates_scenario())
    client = client_for(simulator)

    pages = all_pages(client, "list_candidates_for_auto_ml_job", 20, AutoMLJobName="tuning")
    assert [len(page["Candidates"]) for page in pages] == [20, 20, 10]  # created up to minute 49

    simulator.tick = 1
    pages = all_pages(client, "list_candidates_for_auto_ml_job", 100, AutoMLJobName="tuning")
    names = [c["CandidateName"] for page in pages for c in page["Candidates"]]
    assert [len(page["Candidates"]) for page in pages] == [100, 100, 100]
    assert names == [f"tuning-c{number:03d}" for number in range(300)]  # default: CreationTime, Ascending
    assert pages[0]["Candidates"][0]["CreationTime"] == T0


def test_candidates_sort_by_metric_and_filter(serve) -> None:
    simulator = serve(candidates_scenario())
    simulator.tick = 1
    client = client_for(simulator)

    response = client.list_candidates_for_auto_ml_job(
        AutoMLJobName="tuning", SortBy="FinalObjectiveMetricValue", SortOrder="Descending", MaxResults=300
    )
    candidates = response["Candidates"]
    values = [c["FinalAutoMLJobObjectiveMetric"]["Value"] for c in candidates if "FinalAutoMLJobObjectiveMetric" in c]
    assert len(candidates) == 300
    assert "NextToken" not in response
    assert values == sorted(values, reverse=True)
    assert all("FinalAutoMLJobObjectiveMetric" not in c for c in candidates[270:])  # unscored last

    failed = client.list_candidates_for_auto_ml_job(AutoMLJobName="tuning", StatusEquals="Failed", MaxResults=100)
    assert {c["CandidateStatus"] for c in failed["Candidates"]} == {"Failed"}
    assert len(failed["Candidates"]) == 30

    named = client.list_candidates_for_auto_ml_job(AutoMLJobName="tuning", CandidateNameEquals="tuning-c042")
    assert [c["CandidateName"] for c in named["Candidates"]] == ["tuning-c042"]

    by_status = client.list_candidates_for_auto_ml_job(AutoMLJobName="tuning", SortBy="Status", MaxResults=31)
    assert [c["CandidateStatus"] for c in by_status["Candidates"]] == ["Completed"] * 31


# --------------------------------------------------------------------------------------------------
# Create, Stop, unknown operations


def test_create_and_stop(serve) -> None:
    client = client_for(serve(timeline_scenario()), parameter_validation=False)
    request = {
        "InputDataConfig": [
            {
                "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://data/in/"}},
                "TargetAttributeName": "churn",
            }
        ],
        "OutputDataConfig": {"S3OutputPath": "s3://data/out/"},
        "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/automl",
    }

    created = client.create_auto_ml_job(AutoMLJobName="churn-v1", **request)
    assert created["AutoMLJobArn"] == f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:automl-job/churn-v1"

    error = error_of(client.create_auto_ml_job, AutoMLJobName="elsewhere", **request)
    assert error.response["Error"] == {"Code": "ValidationException", "Message": "job not in scenario: elsewhere"}

    v2 = client.create_auto_ml_job_v2(
        AutoMLJobName="prices-v2",
        AutoMLJobInputDataConfig=[{"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://d/"}}}],
        OutputDataConfig={"S3OutputPath": "s3://data/out/"},
        AutoMLProblemTypeConfig={"TabularJobConfig": {"TargetAttributeName": "price"}},
        RoleArn=f"arn:aws:iam::{ACCOUNT}:role/automl",
    )
    assert v2["AutoMLJobArn"].endswith(":automl-job/prices-v2")

    stopped = client.stop_auto_ml_job(AutoMLJobName="churn-v1")
    assert stopped["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_other_operations_are_unknown(serve) -> None:
    simulator = serve(timeline_scenario())
    client = client_for(simulator)

    error = error_of(client.describe_endpoint, EndpointName="x")

    assert error.response["Error"]["Code"] == "UnknownOperationException"
    assert raw_request(simulator, "Other.Thing", {})[0] == 400
    assert raw_request(simulator, "ListAutoMLJobs", {})[1]["__type"] == "UnknownOperationException"
    assert simulator.calls["SageMaker.DescribeEndpoint"] == 1


def test_request_validation_uses_the_model(serve) -> None:
    simulator = serve(timeline_scenario())

    status, body = raw_request(simulator, "SageMaker.ListAutoMLJobs", {"SortBy": "Size"})

    assert status == 400
    assert body["__type"] == "ValidationException"
    assert "SortBy" in body["message"]


def raw_request(simulator: AutoMLSimulator, target: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(
        simulator.endpoint_url,
        data=json.dumps(body).encode(),
        headers={"X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.1"},
        method="POST",
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


# --------------------------------------------------------------------------------------------------
# Faults, counting, lifecycle


def test_faults_are_retried_by_botocore(serve, monkeypatch: pytest.MonkeyPatch) -> None:
    # Throttling backoff is up to 1 s, 2 s, ... per attempt: real waits add nothing to this test.
    monkeypatch.setattr(botocore.retries.standard.ExponentialBackoff, "delay_amount", lambda self, context: 0)
    data = timeline_scenario() | {"delivery": {"seed": 3, "faults": {"sagemaker": 0.5}}}
    simulator = serve(data)
    client = client_for(simulator, retries={"mode": "standard", "max_attempts": 10})

    for _ in range(30):
        assert client.describe_auto_ml_job(AutoMLJobName="churn-v1")["AutoMLJobName"] == "churn-v1"

    assert simulator.calls == {"DescribeAutoMLJob": 30}  # served calls; throttled attempts counted apart
    assert simulator.faults_injected >= 10

    simulator.reset_calls()
    assert (simulator.calls, simulator.faults_injected) == ({}, 0)


def test_faults_surface_without_retries(serve) -> None:
    data = timeline_scenario() | {"delivery": {"faults": {"sagemaker": 1.0}}}
    client = client_for(serve(data))

    error = error_of(client.list_auto_ml_jobs)

    assert error.response["Error"] == {"Code": "ThrottlingException", "Message": "Rate exceeded"}


def test_same_seed_same_faults() -> None:
    def fault_pattern() -> list[int]:
        data = timeline_scenario() | {"delivery": {"seed": 11, "faults": {"sagemaker": 0.3}}}
        simulator = stepping_simulator(data)
        return [simulator.handle("SageMaker.StopAutoMLJob", b'{"AutoMLJobName": "churn-v1"}')[0] for _ in range(40)]

    first = fault_pattern()
    assert first == fault_pattern()
    assert 400 in first
    assert 200 in first


def test_a_simulator_bug_fails_loudly(serve) -> None:
    scenario: Scenario = stepping_scenario(timeline_scenario())
    scenario.jobs[0].describe[0]["AutoMLJobStatus"] = 7  # corrupt after validation, as a bug would
    simulator = stepping_simulator(scenario)
    simulator.start()
    try:
        error = error_of(client_for(simulator).describe_auto_ml_job, AutoMLJobName="churn-v1")
        assert error.response["Error"]["Code"] == "InternalFailure"
        assert "AutoMLJobStatus" in error.response["Error"]["Message"]
    finally:
        with pytest.raises(SimulatorBugError, match="AutoMLJobStatus"):
            simulator.stop()


def test_lifecycle(serve) -> None:
    simulator = stepping_simulator(timeline_scenario())
    with simulator as running:
        url = running.endpoint_url
        assert url.startswith("http://127.0.0.1:")
        assert running.start() == url  # idempotent
        with pytest.raises(ValueError, match="non-negative"):
            running.tick = -1
    with pytest.raises(RuntimeError):
        _ = simulator.endpoint_url


# --------------------------------------------------------------------------------------------------
# The organization mode: each caller sees its own place's jobs


def job_at(name: str, account: str, region: str) -> dict[str, Any]:
    describe = v1_describe(name, AutoMLJobArn=f"arn:aws:sagemaker:{region}:{account}:automl-job/{name}")
    return {"describe": [describe], "account": account, "region": region}


def caller(simulator: AutoMLSimulator, account: str, region: str) -> BaseClient:
    """A client as a spoke's session makes it: marked with its account (the sandbox's header) and signed for
    its region."""
    client = boto3.client(
        "sagemaker", endpoint_url=simulator.endpoint_url, region_name=region, config=Config(retries={"max_attempts": 1})
    )

    def mark(request: Any, **_: Any) -> None:
        request.headers[ACCOUNT_HEADER] = account

    client.meta.events.register("before-sign", mark)
    return client


def test_with_a_hub_each_caller_sees_only_the_jobs_of_its_own_place(serve) -> None:
    """One name in two accounts is two jobs; a spoke lists and describes its own (the account from the header
    the sandbox's sessions add, the region from the request's SigV4 credential scope)."""
    other = "111122223333"
    simulator = serve(
        {
            "hub": {"account": "210987654321", "region": REGION},
            "jobs": [
                job_at("churn", ACCOUNT, REGION),
                {
                    **job_at("churn", other, REGION),
                    "describe": [
                        v1_describe(
                            "churn",
                            status="Failed",
                            secondary="Failed",
                            AutoMLJobArn=f"arn:aws:sagemaker:{REGION}:{other}:automl-job/churn",
                        )
                    ],
                },
                job_at("prices", other, "eu-west-1"),
            ],
        }
    )

    def listed(client: BaseClient) -> list[tuple[str, str]]:
        summaries = client.list_auto_ml_jobs()["AutoMLJobSummaries"]
        return [(summary["AutoMLJobName"], summary["AutoMLJobStatus"]) for summary in summaries]

    assert listed(caller(simulator, ACCOUNT, REGION)) == [("churn", "InProgress")]
    assert listed(caller(simulator, other, REGION)) == [("churn", "Failed")]
    assert listed(caller(simulator, other, "eu-west-1")) == [("prices", "InProgress")]
    assert listed(caller(simulator, "444455556666", REGION)) == []
    spoke = caller(simulator, other, REGION)
    assert spoke.describe_auto_ml_job(AutoMLJobName="churn")["AutoMLJobStatus"] == "Failed"
    assert error_of(spoke.describe_auto_ml_job, AutoMLJobName="prices").response["Error"]["Code"] == "ResourceNotFound"
    assert listed(client_for(simulator)) == [("churn", "InProgress")]  # unmarked: the scenario's own place


def test_without_a_hub_every_caller_sees_every_job(serve) -> None:
    simulator = serve({"jobs": [{"describe": [v1_describe("churn")]}]})

    assert [
        s["AutoMLJobName"]
        for s in caller(simulator, "111122223333", "eu-west-1").list_auto_ml_jobs()["AutoMLJobSummaries"]
    ] == ["churn"]
