import pytest
from pydantic import ValidationError

from autopilot_reports.models.events import DetectedBy, parse_watcher_event


def envelope(detail_type, detail, source="aws.sagemaker"):
    return {
        "version": "0",
        "id": "evt-1",
        "source": source,
        "account": "123456789012",
        "time": "2025-01-01T00:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail-type": detail_type,
        "detail": detail,
    }


def test_schedule_input():
    assert parse_watcher_event({"trigger": "schedule"}).detected_by is DetectedBy.SCHEDULE


@pytest.mark.parametrize(
    ("request_parameters", "hint"),
    [({"autoMLJobName": "churn"}, "churn"), (None, None), ({"autoMLJobName": 7}, None), ({}, None)],
)
def test_cloudtrail_events_are_read_defensively(request_parameters, hint):
    trigger = parse_watcher_event(
        envelope(
            "AWS API Call via CloudTrail", {"eventName": "CreateAutoMLJobV2", "requestParameters": request_parameters}
        )
    )
    assert trigger.detected_by is DetectedBy.CLOUDTRAIL
    assert trigger.event_id == "evt-1"
    assert trigger.hint == hint


def test_child_job_state_change_names_its_parent_only_as_a_hint():
    arn = "arn:aws:sagemaker:us-east-1:123456789012:automl-job/churn"
    trigger = parse_watcher_event(
        envelope("SageMaker Training Job State Change", {"TrainingJobName": "churn-dpp1-1-abc", "AutoMLJobArn": arn})
    )
    assert trigger.detected_by is DetectedBy.CHILD_JOB and trigger.hint == arn


def test_backfill_window():
    trigger = parse_watcher_event({"backfill": {"start": "2025-01-01T00:00:00Z", "end": "2025-02-01T00:00:00Z"}})
    assert trigger.detected_by is DetectedBy.BACKFILL
    assert trigger.history_import.force is False
    assert trigger.history_import.import_id == "import-20250101T000000Z-20250201T000000Z"


def test_history_import_continuation_event():
    detail = {
        "import_id": "i1",
        "start": "2025-01-01T00:00:00Z",
        "end": "2025-02-01T00:00:00Z",
        "pieces": 2,
        "cursor": "2025-01-10T00:00:00Z",
        "jobs_seen": 2000,
        "published": 5,
    }
    event = {**envelope("AutoML History Import", detail), "source": "autopilot-reports"}
    trigger = parse_watcher_event(event)
    assert trigger.detected_by is DetectedBy.BACKFILL
    assert (trigger.history_import.import_id, trigger.history_import.pieces) == ("i1", 2)


def test_history_import_event_from_another_source_is_rejected():
    event = envelope("AutoML History Import", {"start": "2025-01-01T00:00:00Z", "end": "2025-02-01T00:00:00Z"})
    with pytest.raises(ValueError):
        parse_watcher_event({**event, "source": "someone-else"})


@pytest.mark.parametrize(
    "event",
    [
        {},
        {"trigger": "cron"},
        {"backfill": {"start": "2025-02-01T00:00:00Z", "end": "2025-01-01T00:00:00Z"}},
        {"backfill": {"start": "whenever", "end": "2025-01-01T00:00:00Z"}},
        envelope("EC2 Instance State-change Notification", {}),
        {"detail-type": "AWS API Call via CloudTrail", "detail": {}},  # no envelope fields
        ["not", "an", "object"],
    ],
)
def test_anything_else_is_rejected(event):
    with pytest.raises((ValidationError, ValueError)):
        parse_watcher_event(event)
