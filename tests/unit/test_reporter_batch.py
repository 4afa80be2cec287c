"""The reporter as its queue's event source mapping invokes it (docs/design.md §2.3): a batch of SQS messages,
each holding one of our events as EventBridge delivered it. Each job is reported once, at the newest
change the batch holds; a job whose report failed has its own message handed back; a message that holds
no event of ours is let go. One event as EventBridge hands it to a function is still taken."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from autopilot_reports.domain.ports import Api
from autopilot_reports.domain.reporter import Reporter, newest_changes
from autopilot_reports.handlers import reporter as reporter_handler
from autopilot_reports.models.place import JobRef
from testsupport.fakes import FakeArtifacts, FakeJobs, FakeStore

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
ENDED = NOW - timedelta(minutes=3)
QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:ReporterQueue"


@dataclass
class Context:
    function_name: str = "ReporterFunction"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:ReporterFunction"
    aws_request_id: str = "req-1"


@dataclass
class FlakyJobs(FakeJobs):
    """SageMaker that keeps failing for some jobs (throttled past the SDK's retries, say)."""

    failing: set[str] = field(default_factory=set)

    def describe(self, job_name: str) -> tuple[Api, dict[str, Any]]:
        if job_name in self.failing:
            raise ConnectionError(f"SageMaker did not answer for {job_name}")
        return super().describe(job_name)


def arn(name: str) -> str:
    return f"arn:aws:sagemaker:us-east-1:123456789012:automl-job/{name}"


def failed_job(name: str) -> dict[str, Any]:
    """A V1 job that failed before any candidate: a terminal report needs Describe and the commit only."""
    return {
        "AutoMLJobName": name,
        "AutoMLJobArn": arn(name),
        "AutoMLJobStatus": "Failed",
        "AutoMLJobSecondaryStatus": "Failed",
        "FailureReason": "ClientError: no rows",
        "CreationTime": (ENDED - timedelta(hours=1)).isoformat(),
        "EndTime": ENDED.isoformat(),
        "LastModifiedTime": ENDED.isoformat(),
    }


def change(name: str, status: str, secondary: str, minutes_before_end: int = 0) -> dict[str, Any]:
    """Our event, as EventBridge puts it in the queue."""
    modified = ENDED - timedelta(minutes=minutes_before_end)
    return {
        "version": "0",
        "id": f"{name}-{status}-{minutes_before_end}",
        "detail-type": "AutoML Job State Change",
        "source": "autopilot-reports",
        "account": "123456789012",
        "time": modified.isoformat(),
        "region": "us-east-1",
        "resources": [arn(name)],
        "detail": {
            "AutoMLJobName": name,
            "AutoMLJobArn": arn(name),
            "AutoMLJobStatus": status,
            "AutoMLJobSecondaryStatus": secondary,
            "CreationTime": (ENDED - timedelta(hours=1)).isoformat(),
            "LastModifiedTime": modified.isoformat(),
            "DetectedBy": "schedule",
            "SchemaVersion": "2",
        },
    }


def message(message_id: str, body: dict[str, Any] | str) -> dict[str, Any]:
    """One record of the SQS event Lambda builds."""
    return {
        "messageId": message_id,
        "receiptHandle": f"{message_id}-handle",
        "body": body if isinstance(body, str) else json.dumps(body),
        "attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": "1748779200000",
            "SenderId": "AIDAEVENTBRIDGE",
            "ApproximateFirstReceiveTimestamp": "1748779200000",
        },
        "messageAttributes": {},
        "md5OfBody": "0" * 32,
        "eventSource": "aws:sqs",
        "eventSourceARN": QUEUE_ARN,
        "awsRegion": "us-east-1",
    }


def make_reporter(jobs: FakeJobs) -> Reporter:
    store = FakeStore(watch_start=NOW - timedelta(days=1))
    return Reporter(
        jobs=jobs,
        artifacts=FakeArtifacts(),
        store=store,
        top_features=10,
        analysis_max_bytes=1 << 20,
        notify_statuses=("Completed", "Failed", "Stopped"),
        leaderboard_size=5,
        clock=lambda: NOW,
    )


def test_each_job_of_a_batch_is_reported_once_at_its_newest_change():
    jobs = FlakyJobs(responses={"a": ("v1", failed_job("a")), "b": ("v1", failed_job("b"))})
    reporter = make_reporter(jobs)
    batch = [
        message("m1", change("a", "InProgress", "Starting", minutes_before_end=30)),
        message("m2", change("b", "Failed", "Failed")),
        message("m3", change("a", "Failed", "Failed")),
        message("m4", change("b", "Failed", "Failed")),  # a duplicate (at-least-once delivery)
    ]

    response = reporter_handler.handler({"Records": batch}, Context(), reporter=reporter)

    assert response == {"batchItemFailures": []}  # every message done: the mapping deletes them
    assert jobs.describe_calls == 2  # one Describe per job, none for the superseded changes
    store = reporter.store
    assert isinstance(store, FakeStore)
    assert sorted(record.job_name for record in store.claims) == ["a", "b"]  # each notification claimed once


def test_a_job_whose_report_failed_hands_back_its_own_message_only():
    jobs = FlakyJobs(responses={"a": ("v1", failed_job("a")), "b": ("v1", failed_job("b"))}, failing={"b"})
    reporter = make_reporter(jobs)
    batch = [
        message("m1", change("b", "InProgress", "Starting", minutes_before_end=30)),
        message("m2", change("a", "Failed", "Failed")),
        message("m3", change("b", "Failed", "Failed")),
    ]

    response = reporter_handler.handler({"Records": batch}, Context(), reporter=reporter)

    # b's newest change comes back after the visibility timeout; it covers the older one, let go with it
    assert response == {"batchItemFailures": [{"itemIdentifier": "m3"}]}
    store = reporter.store
    assert isinstance(store, FakeStore)
    assert [record.job_name for record in store.claims] == ["a"]


def test_a_message_that_holds_no_event_of_ours_is_let_go(caplog):
    reporter = make_reporter(FlakyJobs(responses={"a": ("v1", failed_job("a"))}))
    foreign = change("a", "Failed", "Failed") | {"source": "someone-else"}
    batch = [message("m1", "not json"), message("m2", foreign), message("m3", change("a", "Failed", "Failed"))]

    response = reporter_handler.handler({"Records": batch}, Context(), reporter=reporter)

    assert response == {"batchItemFailures": []}  # retrying cannot fix them: not handed back
    assert [record.getMessage() for record in caplog.records].count("invalid state change event") == 2


def test_one_event_as_eventbridge_hands_it_to_a_function_is_still_taken():
    """What waited in Lambda's asynchronous queue when the stack moved to the queue, or a hand redrive."""
    reporter = make_reporter(FlakyJobs(responses={"a": ("v1", failed_job("a"))}))
    response = reporter_handler.handler(change("a", "Failed", "Failed"), Context(), reporter=reporter)
    assert response == {"outcome": "claimed", "job_name": "a"}


def test_newest_changes_keeps_the_newest_of_each_job_in_first_seen_order():
    a, b = JobRef.of(arn("a"), "a"), JobRef.of(arn("b"), "b")
    items = [("a1", a, 1), ("b1", b, 5), ("a3", a, 3), ("a2", a, 2), ("b0", b, 0)]
    kept, superseded = newest_changes(items, lambda item: item[1], lambda item: item[2])
    assert [item[0] for item in kept] == ["a3", "b1"]
    assert sorted(item[0] for item in superseded) == ["a1", "a2", "b0"]
