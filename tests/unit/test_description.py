from autopilot_reports.domain.description import cap_partial_failures, describe_job
from tests.shared_fixtures import shared_json


def test_real_v2_tabular_response():
    response = shared_json("describe_auto_ml_job_v2_tabular_completed.boto3.json")
    job = describe_job("v2", response)
    assert job.name == "Canvas-c7n-test"
    assert job.status == "Completed"
    assert job.problem_type == "Regression"
    assert job.best_candidate == "Canvas-c7n-test-trial-t1-1"
    assert job.objective.metric == "MSE" and job.objective.type == "Minimize"
    assert job.explainability_prefix.startswith("s3://")
    assert job.created_at.tzinfo is not None and job.ended_at > job.created_at


def test_real_v2_time_series_response_has_no_candidate():
    response = shared_json("describe_auto_ml_job_v2_timeseries_stopping.boto3.json")
    job = describe_job("v2", response)
    assert job.status == "Stopping"
    assert job.is_time_series
    assert job.best_candidate is None and job.objective is None


def test_v1_problem_type_prefers_resolved_attributes():
    base = {
        "AutoMLJobName": "j",
        "AutoMLJobArn": "a",
        "AutoMLJobStatus": "InProgress",
        "AutoMLJobSecondaryStatus": "Starting",
        "CreationTime": "2025-01-01T00:00:00Z",
        "LastModifiedTime": "2025-01-01T00:00:00Z",
    }
    assert describe_job("v1", {**base, "ProblemType": "Regression"}).problem_type == "Regression"
    resolved = {**base, "ProblemType": "Regression", "ResolvedAttributes": {"ProblemType": "MulticlassClassification"}}
    assert describe_job("v1", resolved).problem_type == "MulticlassClassification"
    assert describe_job("v1", base).problem_type is None


def test_partial_failures_keep_every_message_within_the_api_limit():
    reasons = [{"PartialFailureMessage": f"{index}" + "x" * 5000} for index in range(5)]
    messages = cap_partial_failures(reasons)
    assert len(messages) == 5
    assert all(len(message) <= 1024 for message in messages)
    assert messages[0].startswith("0x") and "characters truncated" in messages[0]


def test_more_partial_failures_than_the_api_returns_are_counted():
    messages = cap_partial_failures([{"PartialFailureMessage": "m"}] * 25)
    assert len(messages) == 21
    assert messages[-1] == "... and 5 more partial failure messages"
