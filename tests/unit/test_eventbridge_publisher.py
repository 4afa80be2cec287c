import json
from datetime import UTC, datetime

import pytest

from autopilot_reports.adapters import eventbridge
from autopilot_reports.adapters.eventbridge import EventBridgePublisher
from autopilot_reports.domain.ports import EventPublishError
from autopilot_reports.models.events import AutoMLJobStateChange


class FakeEvents:
    """PutEvents that rejects the entries named in `reject` (per call, in order), accepting the rest."""

    def __init__(self, reject=()):
        self.reject = list(reject)
        self.calls = []

    def put_events(self, Entries):
        self.calls.append(Entries)
        rejected = self.reject.pop(0) if self.reject else set()
        results = [
            {"ErrorCode": "ThrottlingException", "ErrorMessage": "slow down"}
            if json.loads(entry["Detail"])["AutoMLJobName"] in rejected
            else {"EventId": "id"}
            for entry in Entries
        ]
        return {"FailedEntryCount": sum("ErrorCode" in r for r in results), "Entries": results}


def change(index):
    return AutoMLJobStateChange(
        AutoMLJobName=f"job-{index}",
        AutoMLJobArn=f"arn:aws:sagemaker:us-east-1:1:automl-job/job-{index}",
        AutoMLJobStatus="InProgress",
        AutoMLJobSecondaryStatus="Starting",
        CreationTime=datetime(2025, 1, 1, tzinfo=UTC),
        LastModifiedTime=datetime(2025, 1, 1, tzinfo=UTC),
        DetectedBy="schedule",
    )


@pytest.fixture(autouse=True)
def _no_sleep(monkeypatch):
    monkeypatch.setattr(eventbridge.time, "sleep", lambda seconds: None)


def test_batches_of_ten_onto_the_bus_with_our_source_and_detail_type():
    events = FakeEvents()
    assert EventBridgePublisher("bus", events=events).publish([change(i) for i in range(25)]) == 25
    assert [len(batch) for batch in events.calls] == [10, 10, 5]
    entry = events.calls[0][0]
    assert (entry["Source"], entry["DetailType"], entry["EventBusName"]) == (
        "autopilot-reports",
        "AutoML Job State Change",
        "bus",
    )
    assert entry["Resources"] == ["arn:aws:sagemaker:us-east-1:1:automl-job/job-0"]


def test_only_failed_entries_are_retried():
    events = FakeEvents(reject=[{"job-3", "job-7"}])
    EventBridgePublisher("bus", events=events).publish([change(i) for i in range(10)])
    assert [json.loads(e["Detail"])["AutoMLJobName"] for e in events.calls[1]] == ["job-3", "job-7"]


def test_entries_failing_every_attempt_raise_a_typed_error():
    events = FakeEvents(reject=[{"job-1"}] * 3)
    with pytest.raises(EventPublishError, match="1 events not accepted.*ThrottlingException"):
        EventBridgePublisher("bus", events=events).publish([change(i) for i in range(3)])


def test_trace_header_is_forwarded(monkeypatch):
    monkeypatch.setenv("_X_AMZN_TRACE_ID", "Root=1-abc")
    events = FakeEvents()
    EventBridgePublisher("bus", events=events).publish([change(0)])
    assert events.calls[0][0]["TraceHeader"] == "Root=1-abc"
