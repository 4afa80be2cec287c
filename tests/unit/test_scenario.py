"""Scenario loading and validation against botocore's SageMaker service model."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from autopilot_reports.models.place import JobRef, Place
from sandbox.scenario import (
    Scenario,
    ScenarioError,
    ShapeError,
    load_scenario,
    parse_timestamp,
    sagemaker_model,
    validate_shape,
)

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures"
ACCOUNT = "123456789012"


def v1_describe(name: str = "churn-v1", **overrides: Any) -> dict[str, Any]:
    """A minimal valid DescribeAutoMLJob response."""
    response: dict[str, Any] = {
        "AutoMLJobName": name,
        "AutoMLJobArn": f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:automl-job/{name}",
        "InputDataConfig": [
            {
                "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://data/in/"}},
                "TargetAttributeName": "churn",
            }
        ],
        "OutputDataConfig": {"S3OutputPath": "s3://data/out/"},
        "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/automl",
        "CreationTime": "2021-03-01T10:00:00+00:00",
        "LastModifiedTime": "2021-03-01T10:05:00+00:00",
        "AutoMLJobStatus": "InProgress",
        "AutoMLJobSecondaryStatus": "Starting",
    }
    response.update(overrides)
    return response


def best_candidate(value: Any = 0.91) -> dict[str, Any]:
    return {
        "CandidateName": "churn-v1-c1",
        "FinalAutoMLJobObjectiveMetric": {"MetricName": "F1", "Value": value},
        "ObjectiveStatus": "Succeeded",
        "CandidateSteps": [
            {
                "CandidateStepType": "AWS::SageMaker::TrainingJob",
                "CandidateStepArn": f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:training-job/churn-v1-c1",
                "CandidateStepName": "churn-v1-c1",
            }
        ],
        "CandidateStatus": "Completed",
        "CreationTime": "2021-03-01T10:01:00+00:00",
        "LastModifiedTime": "2021-03-01T10:04:00+00:00",
    }


def scenario_with(*describes: dict[str, Any], api: str = "v1", **top: Any) -> dict[str, Any]:
    return {"jobs": [{"api": api, "describe": list(describes)}], **top}


def error_of(data: Any) -> str:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(data)
    return str(caught.value)


# --------------------------------------------------------------------------------------------------
# Accepted scenarios


def test_minimal_scenario_gets_documented_defaults() -> None:
    scenario = load_scenario(scenario_with(v1_describe()))

    assert scenario.region == "us-east-1"
    assert scenario.jobs[0].api == "v1"
    assert scenario.jobs[0].candidates == []
    assert scenario.objects == {}
    assert scenario.delivery.model_dump() == {
        "duplicates": 0,
        "shuffle": False,
        "seed": 1,
        "crashes": 0.0,
        "faults": {"sagemaker": 0.0, "s3": 0.0, "dynamodb": 0.0, "sns": 0.0, "events": 0.0},
    }
    assert scenario.deployed_at is None and scenario.backfills == []
    assert scenario.start_time == parse_timestamp(v1_describe()["CreationTime"])  # tick 0: earliest creation


def test_deployed_at_and_backfills() -> None:
    data = scenario_with(v1_describe())
    data["deployed_at"] = "2026-11-02T07:59:00Z"
    data["backfills"] = [{"tick": 3, "start": "2026-09-01T00:00:00Z", "end": "2026-11-02T07:59:00Z"}]
    scenario = load_scenario(data)
    assert scenario.start_time == parse_timestamp("2026-11-02T07:59:00Z")
    assert scenario.last_tick() >= 3


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"deployed_at": "yesterday"}, "deployed_at"),
        ({"backfills": [{"tick": 0, "start": "2026-09-02T00:00:00Z", "end": "2026-09-01T00:00:00Z"}]}, "backfills"),
        ({"region": "mars-central"}, "region"),
        ({"delivery": {"crashes": 1.5}}, "crashes"),
    ],
)
def test_bad_time_and_delivery_settings_are_refused(change: dict[str, Any], expected: str) -> None:
    assert expected in error_of({**scenario_with(v1_describe()), **change})


def test_a_timeline_advances_one_entry_a_tick_once_the_clock_reaches_it() -> None:
    """docs/design.md §6.3: the clock and the data agree. Entries written at the schedule's pace show one a tick; an
    entry modified later waits for the clock; a job whose first state lies ahead does not exist yet."""
    data = {
        "jobs": [
            {"describe": [v1_describe("a")]},
            {"describe": [v1_describe("b"), v1_describe("b"), v1_describe("b")]},
            {
                "describe": [
                    v1_describe("c", LastModifiedTime="2025-03-01T10:02:30Z"),
                    v1_describe("c", LastModifiedTime="2025-03-01T10:20:00Z"),
                ]
            },
        ]
    }
    scenario = load_scenario({**data, "deployed_at": "2025-03-01T10:00:00Z"})
    timeline = scenario.timeline(60)

    a, b, c = (JobRef(Place(ACCOUNT, "us-east-1"), name) for name in "abc")
    assert timeline.ticks == {a: [0], b: [0, 1, 2], c: [3, 20]}
    assert [timeline.shown(c, tick) for tick in (0, 2, 3, 19, 20, 99)] == [None, None, 0, 0, 1, 1]
    assert timeline.appears(c) == 3
    assert scenario.last_tick(60) == 20
    assert scenario.job("b") is scenario.jobs[1]


def test_loads_from_file_with_objects_candidates_and_delivery(tmp_path: Path) -> None:
    candidate = best_candidate()
    data = {
        "region": "eu-west-1",
        "jobs": [{"describe": [v1_describe(BestCandidate=candidate)], "candidates": [candidate]}],
        "objects": {"s3://data/out/analysis.json": {"version": "1.0"}, "s3://data/raw.txt": {"text": "x"}},
        "delivery": {"duplicates": 2, "shuffle": True, "seed": 7, "faults": {"sagemaker": 0.25, "s3": 1}},
    }
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps(data))

    scenario = load_scenario(path)

    assert scenario.region == "eu-west-1"
    assert scenario.delivery.faults.sagemaker == 0.25
    assert scenario.delivery.faults.s3 == 1.0
    assert scenario.jobs[0].candidates[0]["CandidateName"] == "churn-v1-c1"


def test_times_on_any_date_and_naive_times_are_accepted() -> None:
    load_scenario(
        scenario_with(v1_describe(CreationTime="1901-01-01T00:00:00Z", LastModifiedTime="2150-06-01T12:00:00"))
    )

    assert parse_timestamp("2150-06-01T12:00:00") == datetime(2150, 6, 1, 12, tzinfo=UTC)
    assert parse_timestamp("2024-04-12T13:39:34.760+02:00") == datetime(2024, 4, 12, 11, 39, 34, 760000, tzinfo=UTC)


def test_integers_are_accepted_where_floats_are_modelled() -> None:
    load_scenario(scenario_with(v1_describe(BestCandidate=best_candidate(value=1))))


@pytest.mark.skipif(not FIXTURES.is_dir(), reason=f"shared fixtures not found at {FIXTURES}")
@pytest.mark.parametrize(
    "name",
    ["describe_auto_ml_job_v2_tabular_completed.boto3.json", "describe_auto_ml_job_v2_timeseries_stopping.boto3.json"],
)
def test_real_describe_v2_responses_are_accepted(name: str) -> None:
    fixture = json.loads((FIXTURES / name).read_text())

    scenario = load_scenario(scenario_with(fixture, api="v2"))

    assert scenario.jobs[0].name == "Canvas-c7n-test"


# --------------------------------------------------------------------------------------------------
# Rejected scenarios: the message names job, tick and field


def test_wrong_type_names_job_tick_and_field() -> None:
    describes = [v1_describe(), v1_describe(), v1_describe(BestCandidate=best_candidate(value="abc"))]

    assert error_of(scenario_with(*describes)) == (
        "job 'churn-v1' describe[2]: BestCandidate.FinalAutoMLJobObjectiveMetric.Value: expected a number, got 'abc'"
    )


def test_bool_is_not_a_number() -> None:
    message = error_of(scenario_with(v1_describe(BestCandidate=best_candidate(value=True))))

    assert message.endswith("BestCandidate.FinalAutoMLJobObjectiveMetric.Value: expected a number, got True")


def test_unknown_member_is_rejected() -> None:
    message = error_of(scenario_with(v1_describe(), v1_describe(Stauts="Completed")))

    assert message == "job 'churn-v1' describe[1]: Stauts: unknown member of DescribeAutoMLJobResponse"


def test_v2_member_in_v1_job_hints_at_api() -> None:
    message = error_of(scenario_with(v1_describe(AutoMLProblemTypeConfigName="Tabular")))

    assert message.startswith("job 'churn-v1' describe[0]: AutoMLProblemTypeConfigName: unknown member")
    assert '"api" meant to be "v2"' in message


def test_a_response_without_a_required_member_is_accepted_and_counted_by_shape_path() -> None:
    """botocore's `required` is as advisory for responses as its enums: AWS leaves such members out."""
    describe = v1_describe()
    del describe["RoleArn"]
    candidate = best_candidate()
    candidate["CandidateProperties"] = {"CandidateArtifactLocations": {"ModelInsights": "s3://b/insights"}}

    scenario = load_scenario(scenario_with(describe, v1_describe(BestCandidate=candidate)))

    assert scenario.missing_required_members == {
        "DescribeAutoMLJobResponse.RoleArn": 1,
        "DescribeAutoMLJobResponse.BestCandidate.CandidateProperties.CandidateArtifactLocations.Explainability": 1,
    }


def test_a_member_the_simulator_needs_is_still_required() -> None:
    describe = v1_describe()
    del describe["LastModifiedTime"]

    assert error_of(scenario_with(describe)) == (
        "job 'churn-v1' describe[0]: LastModifiedTime: missing: the simulator needs it to serve the timeline"
    )


def test_a_request_without_a_required_member_is_refused() -> None:
    with pytest.raises(ShapeError, match="AutoMLJobName: missing required member"):
        validate_shape({}, sagemaker_model().operation_model("DescribeAutoMLJob").input_shape)


def test_enum_values_botocore_does_not_list_are_accepted_and_counted() -> None:
    """Enums are open, as in every AWS SDK: real responses hold values botocore's model lacks."""
    candidate = best_candidate()
    candidate["FinalAutoMLJobObjectiveMetric"] = {"MetricName": "validation:f1_binary", "Value": 0.9}
    scenario = load_scenario(
        scenario_with(
            v1_describe(AutoMLJobSecondaryStatus="MergingAutoMLTaskReports"),
            v1_describe(BestCandidate=candidate),
        )
    )

    assert scenario.unlisted_enum_values == {
        "AutoMLJobSecondaryStatus=MergingAutoMLTaskReports": 1,
        "AutoMLMetricEnum=validation:f1_binary": 1,
    }


def test_patterns_are_checked() -> None:
    message = error_of(scenario_with(v1_describe(RoleArn="arn:aws:iam::12:role/too-short-account")))

    assert message.startswith(
        "job 'churn-v1' describe[0]: RoleArn: 'arn:aws:iam::12:role/too-short-account' does not match"
    )


def test_bad_timestamp_is_rejected() -> None:
    message = error_of(scenario_with(v1_describe(), v1_describe(LastModifiedTime="yesterday")))

    assert message == (
        "job 'churn-v1' describe[1]: LastModifiedTime: expected an ISO 8601 timestamp string, got 'yesterday'"
    )


def test_epoch_number_is_not_a_scenario_timestamp() -> None:
    message = error_of(scenario_with(v1_describe(CreationTime=1614592800)))

    assert message == "job 'churn-v1' describe[0]: CreationTime: expected an ISO 8601 timestamp string, got 1614592800"


def test_list_and_string_lengths_follow_the_model() -> None:
    assert error_of(scenario_with(v1_describe(InputDataConfig=[]))) == (
        "job 'churn-v1' describe[0]: InputDataConfig: has 0 items, fewer than the minimum 1"
    )
    long_name = "a" * 33
    assert error_of(scenario_with(v1_describe(long_name))) == (
        f"job '{long_name}' describe[0]: AutoMLJobName: has 33 characters, more than the maximum 32"
    )


def test_nested_list_paths_are_named() -> None:
    candidate = best_candidate()
    candidate["CandidateSteps"][0]["CandidateStepName"] = 7

    message = error_of(scenario_with(v1_describe(BestCandidate=candidate)))

    assert message.startswith("job 'churn-v1' describe[0]: BestCandidate.CandidateSteps[0].CandidateStepName: ")


def test_union_must_set_exactly_one_member() -> None:
    shape = sagemaker_model().shape_for("AutoMLProblemTypeConfig")

    with pytest.raises(ShapeError, match="union"):
        validate_shape({}, shape, "AutoMLProblemTypeConfig")


def test_mismatched_job_names_are_rejected() -> None:
    message = error_of(scenario_with(v1_describe("churn-v1"), v1_describe("churn-v2")))

    assert message.startswith("job 'churn-v1' describe[1]: AutoMLJobName: 'churn-v2' differs from describe[0]")


def test_duplicate_job_names_are_rejected() -> None:
    data = {"jobs": [{"describe": [v1_describe()]}, {"describe": [v1_describe()]}]}

    assert "jobs[1] repeats the name of jobs[0]" in error_of(data)


def test_a_scenario_names_its_account_and_each_job_its_place() -> None:
    """`account` (default 123456789012) and `jobs[].account` / `jobs[].region`, each defaulting to the
    scenario's: a job that names the scenario's own place is accepted."""
    assert load_scenario(scenario_with(v1_describe())).place.account == ACCOUNT
    data = {
        "account": "111122223333",
        "region": "eu-west-1",
        "jobs": [
            {"describe": [v1_describe("a")], "account": "111122223333", "region": "eu-west-1"},
            {"describe": [v1_describe("b")], "region": "eu-west-1"},
            {"describe": [v1_describe("c")]},
        ],
    }
    scenario = load_scenario(data)

    assert (scenario.place.account, scenario.place.region) == ("111122223333", "eu-west-1")
    assert {scenario.place_of(job) for job in scenario.jobs} == {scenario.place}


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"account": "12345"}, "account: String should match pattern"),
        ({"account": 123456789012}, "account: Input should be a valid string"),
        ({"jobs": [{"describe": [v1_describe()], "account": "1234567890123"}]}, "(jobs[0].account): String should"),
        ({"jobs": [{"describe": [v1_describe()], "region": "mars-central"}]}, "(jobs[0].region): String should"),
    ],
)
def test_accounts_and_regions_must_look_like_aws_ones(change: dict[str, Any], expected: str) -> None:
    assert expected in error_of({**scenario_with(v1_describe()), **change})


@pytest.mark.parametrize(
    ("job", "place"),
    [
        ({"account": "111122223333"}, "111122223333/us-east-1"),
        ({"region": "eu-west-1"}, "123456789012/eu-west-1"),
    ],
)
def test_a_job_at_another_place_needs_the_organization_mode(job: dict[str, Any], place: str) -> None:
    data = {"jobs": [{"describe": [v1_describe("x")]}, {"describe": [v1_describe("y")], **job}]}

    assert error_of(data) == (
        f"job 'y' runs in {place}, not the scenario's 123456789012/us-east-1: jobs at other places need the "
        'organization mode (a top-level "hub": a spoke deploys where each job runs)'
    )


# --- the organization mode: a hub, and a spoke where each job runs ------------------------------------------

SPOKE_ACCOUNT, HUB = "111122223333", {"account": "210987654321", "region": "us-east-1"}


def job_at(name: str, account: str = ACCOUNT, region: str = "us-east-1") -> dict[str, Any]:
    arn = f"arn:aws:sagemaker:{region}:{account}:automl-job/{name}"
    return {"describe": [v1_describe(name, AutoMLJobArn=arn)], "account": account, "region": region}


def test_with_a_hub_the_jobs_run_in_many_places_and_one_name_in_several() -> None:
    data = {"hub": HUB, "jobs": [job_at("x"), job_at("x", SPOKE_ACCOUNT), job_at("y", SPOKE_ACCOUNT, "eu-west-1")]}
    scenario = load_scenario(data)

    assert scenario.job_places == [
        Place(ACCOUNT, "us-east-1"),
        Place(SPOKE_ACCOUNT, "us-east-1"),
        Place(SPOKE_ACCOUNT, "eu-west-1"),
    ]
    assert scenario.hub is not None and scenario.hub.place == Place(HUB["account"], HUB["region"])
    assert scenario.job("x", Place(SPOKE_ACCOUNT, "us-east-1")) is scenario.jobs[1]
    assert len(scenario.timeline().ticks) == 3  # one timeline per job: the two x's are two jobs


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"hub": {**HUB, "account": ACCOUNT}}, "hub: 123456789012/us-east-1 is also where jobs run; in the sandbox"),
        (
            {"jobs": [{**job_at("x", SPOKE_ACCOUNT), "account": ACCOUNT}]},
            "job 'x' describe[0]: AutoMLJobArn names 111122223333/us-east-1, but the job runs in "
            "123456789012/us-east-1",
        ),
        (
            {"hub": {**HUB, "silent": [{"account": SPOKE_ACCOUNT, "region": "eu-west-1", "from_tick": 3}]}},
            "hub.silent: no job runs in 111122223333/eu-west-1, so no spoke deploys there",
        ),
        ({"hub": {**HUB, "organization_id": "org-1"}}, "hub.organization_id: String should match pattern"),
        ({"hub": {**HUB, "silent": [{"account": ACCOUNT, "region": "us-east-1", "from_tick": -1}]}}, "from_tick"),
    ],
)
def test_an_organization_is_checked_before_it_runs(change: dict[str, Any], expected: str) -> None:
    assert expected in error_of({"hub": HUB, "jobs": [job_at("x")], **change})


def test_job_names_are_unique_per_account_and_region() -> None:
    """The same name at two places is two jobs (the organization mode refuses the second place for now);
    at one place, even spelled out, it is a repeat."""
    elsewhere = {"jobs": [{"describe": [v1_describe()]}, {"describe": [v1_describe()], "region": "eu-west-1"}]}
    spelled_out = {"jobs": [{"describe": [v1_describe()]}, {"describe": [v1_describe()], "account": ACCOUNT}]}

    assert "organization mode" in error_of(elsewhere)
    assert "jobs[1] repeats the name of jobs[0] in 123456789012/us-east-1" in error_of(spelled_out)


def test_invalid_candidate_names_job_and_index() -> None:
    broken = best_candidate()
    broken["CandidateStatus"] = 7
    data = {"jobs": [{"describe": [v1_describe()], "candidates": [best_candidate(), broken]}]}

    assert error_of(data).startswith("job 'churn-v1' candidates[1]: CandidateStatus: expected a string")


def test_duplicate_candidate_names_are_rejected() -> None:
    data = {"jobs": [{"describe": [v1_describe()], "candidates": [best_candidate(), best_candidate()]}]}

    assert "candidates[1]: CandidateName: duplicate name 'churn-v1-c1'" in error_of(data)


def test_v2_job_validates_against_v2_shape() -> None:
    message = error_of(scenario_with(v1_describe(), api="v2"))

    assert message.startswith(
        "job 'churn-v1' describe[0]: InputDataConfig: unknown member of DescribeAutoMLJobV2Response"
    )


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"jobs": [], "regoin": "us-east-1"}, "regoin: Extra inputs are not permitted"),
        ({"jobs": [{"describe": []}]}, "jobs[0].describe: List should have at least 1 item"),
        ({"jobs": [], "delivery": {"faults": {"sagemaker": 1.5}}}, "delivery.faults.sagemaker: Input should be less"),
        ({"jobs": [], "delivery": {"faults": {"lambda": 0.1}}}, "delivery.faults.lambda: Extra inputs"),
        ({"jobs": [], "delivery": {"duplicates": -1}}, "delivery.duplicates: Input should be greater than or equal"),
        ({"jobs": [], "objects": {"s3:/bucket": 1}}, "objects: key 's3:/bucket' is not an s3://bucket/key URI"),
        ({"jobs": [], "objects": {"s3://bucket/": 1}}, "objects: key 's3://bucket/' is not an s3://bucket/key URI"),
        ({}, "jobs: Field required"),
    ],
)
def test_model_errors_name_the_field(data: dict[str, Any], expected: str) -> None:
    assert error_of(data).startswith(expected)


def test_job_level_model_errors_name_the_job() -> None:
    data = {"jobs": [{"api": "v3", "describe": [v1_describe()]}]}

    assert error_of(data) == "job 'churn-v1' (jobs[0].api): Input should be 'v1' or 'v2'"


def test_missing_file_and_bad_json_are_clear(tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    assert error_of(missing) == f"scenario file not found: {missing}"

    broken = tmp_path / "broken.json"
    broken.write_text('{"jobs": [}')
    assert error_of(str(broken)).startswith(f"scenario file {broken} is not valid JSON: Expecting value at line 1")


def test_scenario_error_is_a_value_error() -> None:
    assert issubclass(ScenarioError, ValueError)


def test_constructing_the_model_directly_also_validates() -> None:
    describe = v1_describe(AutoMLJobStatus=7)

    with pytest.raises(ValueError, match="AutoMLJobStatus"):
        Scenario.model_validate(scenario_with(describe))


def test_epoch_timestamps_are_accepted_only_when_asked() -> None:
    shape = sagemaker_model().operation_model("ListAutoMLJobs").input_shape

    validate_shape({"CreationTimeAfter": 1614592800.5}, shape, epoch_timestamps=True)
    with pytest.raises(ShapeError, match="CreationTimeAfter"):
        validate_shape({"CreationTimeAfter": 1614592800.5}, shape)


def test_validation_does_not_mutate_input() -> None:
    data = scenario_with(v1_describe(BestCandidate=best_candidate()))
    before = copy.deepcopy(data)

    load_scenario(data)

    assert data == before
