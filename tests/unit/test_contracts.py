"""Contract tests: our published event (docs/design.md §3) and the report record (§4) are public shapes."""

import json
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from autopilot_reports import constants as c
from autopilot_reports.models.events import AutoMLJobStateChange, StateChangeEvent
from autopilot_reports.models.record import (
    CandidateMetric,
    Compute,
    EstimatedCost,
    Explainability,
    ExplainabilityState,
    FamilyBest,
    JobArtifacts,
    LeaderboardEntry,
    Objective,
    ReportRecord,
)

EVENT_FIELDS = [
    "AutoMLJobName",
    "AutoMLJobArn",
    "AutoMLJobStatus",
    "AutoMLJobSecondaryStatus",
    "CreationTime",
    "EndTime",
    "LastModifiedTime",
    "FailureReason",
    "PartialFailureReasons",
    "PreviousStatus",
    "PreviousSecondaryStatus",
    "DetectedBy",
    "FamilyStanding",
    "SchemaVersion",
]
RECORD_FIELDS = [
    "job_name",
    "job_arn",
    "api",
    "status",
    "secondary_status",
    "problem_type",
    "objective",
    "best_candidate",
    "explainability",
    "partial_failures",
    "failure_reason",
    "created_at",
    "ended_at",
    "last_modified_at",
    "leaderboard",
    "endpoint",
    "notified_at",
    "job_artifacts",
    "model_insights_prefix",
    "backtest_results_prefix",
    "best_candidate_metrics",
    "why_ended",
    "duration_seconds",
    "family",
    "new_best_in_family",
    "previous_best",
    "notes",
    "account_name",  # an organization's hub: the account's name from its accountNames (null elsewhere)
    "compute",
]
OBJECTIVE_FIELDS = ["metric", "type", "value", "standard_metric", "direction"]
EXPLAINABILITY_FIELDS = ["state", "s3_prefix", "reason", "top_features", "feature_count", "labels", "artifacts"]


def test_state_change_event_fields_are_pinned():
    assert list(AutoMLJobStateChange.model_fields) == EVENT_FIELDS


def test_state_change_event_serializes_times_as_iso_utc():
    change = AutoMLJobStateChange(
        AutoMLJobName="churn",
        AutoMLJobArn="arn:aws:sagemaker:us-east-1:123456789012:automl-job/churn",
        AutoMLJobStatus="Completed",
        AutoMLJobSecondaryStatus="Completed",
        CreationTime=datetime(2025, 1, 1, tzinfo=UTC),
        EndTime="2025-01-01T02:00:00.5+02:00",
        LastModifiedTime=datetime(2025, 1, 1, 0, 30),
        PartialFailureReasons=[{"PartialFailureMessage": "m"}],
        PreviousStatus="InProgress",
        PreviousSecondaryStatus="ModelTuning",
        DetectedBy="schedule",
    )
    body = json.loads(change.model_dump_json())
    assert body["CreationTime"] == "2025-01-01T00:00:00.000Z"
    assert body["EndTime"] == "2025-01-01T00:00:00.500Z"
    assert body["LastModifiedTime"] == "2025-01-01T00:30:00.000Z"
    assert body["SchemaVersion"] == "2"
    assert body["FamilyStanding"] is None
    assert body["DetectedBy"] == "schedule"
    assert body["PartialFailureReasons"] == [{"PartialFailureMessage": "m"}]
    assert AutoMLJobStateChange.model_validate(body) == change


@pytest.mark.parametrize(
    "change",
    [
        {"DetectedBy": "guess"},
        {"SchemaVersion": "3"},
        {"FamilyStanding": {"Family": "churn", "Surprise": 1}},
        {"AutoMLJobName": ""},
        {"AutoMLJobName": "has_underscore"},
        {"AutoMLJobName": "x" * 33},
        {"Surprise": 1},
        {"LastModifiedTime": "yesterday"},
    ],
)
def test_state_change_event_rejects_what_the_contract_does_not_allow(change):
    valid = {
        "AutoMLJobName": "j",
        "AutoMLJobArn": "a",
        "AutoMLJobStatus": "InProgress",
        "AutoMLJobSecondaryStatus": "Starting",
        "CreationTime": "2025-01-01T00:00:00Z",
        "LastModifiedTime": "2025-01-01T00:00:00Z",
        "DetectedBy": "schedule",
    }
    with pytest.raises(ValidationError):
        AutoMLJobStateChange.model_validate({**valid, **change})


def test_delivered_event_envelope_requires_our_source_and_detail_type():
    envelope = {
        "version": "0",
        "id": "e1",
        "source": "someone-else",
        "account": "123456789012",
        "time": "2025-01-01T00:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail-type": "AutoML Job State Change",
        "detail": {},
    }
    with pytest.raises(ValidationError):
        StateChangeEvent.model_validate(envelope)


def test_record_fields_are_pinned():
    assert list(ReportRecord.model_fields) == RECORD_FIELDS
    assert list(Explainability.model_fields) == EXPLAINABILITY_FIELDS
    assert list(Objective.model_fields) == OBJECTIVE_FIELDS
    assert list(CandidateMetric.model_fields) == ["metric", "standard_metric", "set", "value"]
    assert list(JobArtifacts.model_fields) == ["candidate_definition_notebook", "data_exploration_notebook"]
    assert list(FamilyBest.model_fields) == ["job_name", "value"]


def test_record_json_shape():
    record = ReportRecord(
        job_name="j",
        job_arn="a",
        api="v1",
        status="Failed",
        secondary_status="Failed",
        explainability=Explainability(state="not_applicable", reason="job Failed before a best candidate existed"),
        failure_reason="ClientError: bad data",
        created_at=datetime(2025, 1, 1, tzinfo=UTC),
        last_modified_at=datetime(2025, 1, 1, 1, tzinfo=UTC),
    )
    body = json.loads(record.model_dump_json())
    assert body == {
        "job_name": "j",
        "job_arn": "a",
        "api": "v1",
        "status": "Failed",
        "secondary_status": "Failed",
        "problem_type": None,
        "objective": None,
        "best_candidate": None,
        "explainability": {
            "state": "not_applicable",
            "s3_prefix": None,
            "reason": "job Failed before a best candidate existed",
            "top_features": [],
            "feature_count": 0,
            "labels": [],
            "artifacts": {},
        },
        "partial_failures": [],
        "failure_reason": "ClientError: bad data",
        "created_at": "2025-01-01T00:00:00.000Z",
        "ended_at": None,
        "last_modified_at": "2025-01-01T01:00:00.000Z",
        "leaderboard": None,
        "endpoint": None,
        "notified_at": None,
        "job_artifacts": {"candidate_definition_notebook": None, "data_exploration_notebook": None},
        "model_insights_prefix": None,
        "backtest_results_prefix": None,
        "best_candidate_metrics": [],
        "why_ended": None,
        "duration_seconds": None,
        "family": "",
        "new_best_in_family": False,
        "previous_best": None,
        "notes": [],
        "account_name": None,
        "compute": None,  # filled by the coster after the report
        "account_id": None,  # where the job ran, from its ARN: this one is not an AutoML job's
        "region": None,
    }


def test_compute_fields_are_pinned():
    """docs/design.md §4: `compute` exactly as issue 21 names it."""
    assert list(Compute.model_fields) == [
        "child_jobs",
        "instance_seconds",
        "billable_seconds",
        "spot_savings_seconds",
        "estimated_cost",
        "incomplete",
    ]
    assert list(EstimatedCost.model_fields) == ["amount", "currency", "basis"]


def test_leaderboard_entry_fields_are_pinned():
    assert list(LeaderboardEntry.model_fields) == [
        "candidate",
        "objective",
        "explainability_prefix",
        "model_insights_prefix",
    ]


def test_explainability_states_have_one_home():
    assert {state.value for state in ExplainabilityState} == set(c.EXPLAINABILITY_STATES)
