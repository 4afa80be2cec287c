"""A corpus of bad input, each case with its exact expected outcome.

Every case ends in one of: an `{"outcome": ...}` from a handler (logged and counted when invalid), a
complete record whose reason says what went wrong, or a named exception (Lambda retries it, then the
dead-letter queue keeps the event). Never a crash loop on input that retrying cannot fix, never a
half-written record, never a silent drop. Wherever a record is written, the item the store would write
is measured (DynamoDB JSON of `record_attributes`, as a proxy for its size) and must stay far below
DynamoDB's 400 KB, and the item must read back as the same record (what the notifier will read).
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.response import StreamingBody
from botocore.stub import Stubber

from autopilot_reports.adapters.dynamodb_items import (
    deserialize,
    history_attributes,
    record_attributes,
    record_from_item,
    report_key,
    serialize,
)
from autopilot_reports.adapters.s3 import S3ArtifactReader
from autopilot_reports.domain.description import NO_MESSAGE
from autopilot_reports.domain.notification import SNS_MESSAGE_LIMIT, render_notification, sns_message_bytes
from autopilot_reports.domain.notifier import NotificationSender
from autopilot_reports.domain.reporter import Reporter
from autopilot_reports.domain.seal import Sealer
from autopilot_reports.domain.watcher import Watcher
from autopilot_reports.handlers import notifier as notifier_handler
from autopilot_reports.handlers import reporter as reporter_handler
from autopilot_reports.handlers import watcher as watcher_handler
from autopilot_reports.models.common import STORABLE_MAX, iso_utc
from autopilot_reports.models.record import (
    Explainability,
    FeatureImportance,
    HistoryEntry,
    LeaderboardEntry,
    Objective,
    ReportRecord,
)
from testsupport.fakes import FakeArtifacts, FakeJobs, FakeNotifier, FakePublisher, FakeSealKey, FakeStore, job_ref
from testsupport.process import reset_process

JOB = "job"
ARN = f"arn:aws:sagemaker:us-east-1:123456789012:automl-job/{JOB}"
BUCKET = "bucket"
KEY_PREFIX = "job/documentation/explainability/output"
PREFIX = f"s3://{BUCKET}/{KEY_PREFIX}"
WATCH_START = datetime(2025, 1, 1, tzinfo=UTC)
NOW = datetime(2025, 6, 1, tzinfo=UTC)
MAX_BYTES = 1 << 20
DYNAMODB_ITEM_LIMIT = 400 * 1024
FAR_BELOW = DYNAMODB_ITEM_LIMIT // 4  # "far below": a quarter of the limit
DROP = object()  # removes a field from a Describe response


@dataclass
class Context:
    function_name: str = "test"
    memory_limit_in_mb: int = 1024
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:test"
    aws_request_id: str = "req-1"


# --- inputs -------------------------------------------------------------------------------------------


def describe(**changes: Any) -> dict[str, Any]:
    """A Completed V1 DescribeAutoMLJob response with a best candidate; `changes` override (DROP removes)."""
    response: dict[str, Any] = {
        "AutoMLJobName": JOB,
        "AutoMLJobArn": ARN,
        "AutoMLJobStatus": "Completed",
        "AutoMLJobSecondaryStatus": "Completed",
        "CreationTime": "2025-03-01T00:00:00Z",
        "EndTime": "2025-03-01T02:00:00Z",
        "LastModifiedTime": "2025-03-01T02:00:00Z",
        "ResolvedAttributes": {"ProblemType": "BinaryClassification", "AutoMLJobObjective": {"MetricName": "F1"}},
        "BestCandidate": best_candidate(),
    }
    for name, value in changes.items():
        if value is DROP:
            response.pop(name, None)
        else:
            response[name] = value
    return response


def best_candidate(metric: Any = DROP, prefix: str | None = PREFIX) -> dict[str, Any]:
    candidate: dict[str, Any] = {
        "CandidateName": "job-best",
        "CandidateStatus": "Completed",
        "FinalAutoMLJobObjectiveMetric": {"MetricName": "F1", "Type": "Maximize", "Value": 0.9},
        "CandidateProperties": {"CandidateArtifactLocations": {"Explainability": prefix} if prefix else {}},
    }
    if metric is not DROP:
        candidate["FinalAutoMLJobObjectiveMetric"] = metric
    if metric is None:
        del candidate["FinalAutoMLJobObjectiveMetric"]
    return candidate


def analysis(shap: dict[str, dict[str, Any]]) -> bytes:
    return json.dumps(
        {
            "version": "1.0",
            "explanations": {"kernel_shap": {label: {"global_shap_values": v} for label, v in shap.items()}},
        }
    ).encode()


GOOD_ANALYSIS = analysis({"label0": {"tenure": 0.3, "plan": 0.1}})


def objects_under(files: dict[str, bytes]) -> dict[str, bytes]:
    """FakeArtifacts objects at paths relative to the Explainability prefix."""
    return {f"{BUCKET}/{KEY_PREFIX}/{path}": body for path, body in files.items()}


def make_reporter(
    response: dict[str, Any] | None,
    objects: dict[str, bytes] | None = None,
    artifacts: Any = None,
    api: str = "v1",
    top_features: int = 10,
) -> Reporter:
    jobs = FakeJobs(responses={JOB: (api, response)} if response is not None else {})
    return Reporter(
        jobs=jobs,
        artifacts=artifacts
        if artifacts is not None
        else FakeArtifacts(objects=objects_under({"analysis.json": GOOD_ANALYSIS}) if objects is None else objects),
        store=FakeStore(watch_start=WATCH_START),
        top_features=top_features,
        analysis_max_bytes=MAX_BYTES,
        notify_statuses=("Completed", "Failed", "Stopped"),
        leaderboard_size=5,
        clock=lambda: NOW,
    )


# --- what every written record must satisfy ------------------------------------------------------------


def item_size(item: dict[str, Any]) -> int:
    return len(json.dumps(serialize(item)))


def assert_sound(store: FakeStore, job_name: str = JOB) -> ReportRecord:
    """Exactly one complete record and one history item; a reason whenever explainability is not
    available; the item far below DynamoDB's limit and readable back as the same record."""
    record = store.records[job_name]
    assert record.job_name and record.job_arn and record.status and record.secondary_status
    assert record.created_at is not None and record.last_modified_at is not None
    if record.explainability.state != "available":
        assert record.explainability.reason, "a record without explainability must say why"
    if record.is_terminal:
        assert record.leaderboard is not None
    assert [key[0] for key in store.history] == [job_name]
    attributes = {**report_key(job_name), **record_attributes(record)}
    assert item_size(attributes) < FAR_BELOW
    assert item_size(history_attributes(HistoryEntry.of(record, "schedule"))) < FAR_BELOW
    assert record_from_item(deserialize(serialize(attributes))) == record.model_copy(update={"notified_at": None})
    return record


def logged(caplog: pytest.LogCaptureFixture, message: str) -> bool:
    return any(record.getMessage() == message for record in caplog.records)


def assert_nothing_written(store: FakeStore) -> None:
    assert (store.records, store.history, store.claims, store.writes) == ({}, {}, [], 0)


# --- 1. malformed reporter events ------------------------------------------------------------------------


def state_change(**detail_changes: Any) -> dict[str, Any]:
    detail: dict[str, Any] = {
        "AutoMLJobName": JOB,
        "AutoMLJobArn": ARN,
        "AutoMLJobStatus": "Completed",
        "AutoMLJobSecondaryStatus": "Completed",
        "CreationTime": "2025-03-01T00:00:00Z",
        "LastModifiedTime": "2025-03-01T02:00:00Z",
        "DetectedBy": "schedule",
        "SchemaVersion": "1",
    }
    for name, value in detail_changes.items():
        if value is DROP:
            detail.pop(name, None)
        else:
            detail[name] = value
    return {
        "version": "0",
        "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": "AutoML Job State Change",
        "source": "autopilot-reports",
        "account": "123456789012",
        "time": "2025-03-01T02:01:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": detail,
    }


def without(event: dict[str, Any], name: str) -> dict[str, Any]:
    return {key: value for key, value in event.items() if key != name}


def replaced(event: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**event, **{name.replace("_", "-"): value for name, value in changes.items()}}


REPORTER_EVENTS = [
    ("missing detail", without(state_change(), "detail"), "invalid"),
    ("detail is null", {**state_change(), "detail": None}, "invalid"),
    ("wrong source", {**state_change(), "source": "aws.sagemaker"}, "invalid"),
    ("wrong detail-type", replaced(state_change(), detail_type="SageMaker Training Job State Change"), "invalid"),
    ("job name with forbidden characters", state_change(AutoMLJobName="bad_name!"), "invalid"),
    ("job name over 32 characters", state_change(AutoMLJobName="a" * 33), "invalid"),
    ("job name missing", state_change(AutoMLJobName=DROP), "invalid"),
    ("status of the wrong type", state_change(AutoMLJobStatus=5), "invalid"),
    ("time that is not a time", state_change(LastModifiedTime="yesterday"), "invalid"),
    ("partial failures not a list", state_change(PartialFailureReasons="disk full"), "invalid"),
    ("unknown DetectedBy", state_change(DetectedBy="carrier-pigeon"), "invalid"),
    ("unknown SchemaVersion", state_change(SchemaVersion="3"), "invalid"),
    ("schema 1 (before FamilyStanding) is still read", state_change(SchemaVersion="1"), "claimed"),
    ("extra field in the detail (contract is closed)", state_change(Surprise=1), "invalid"),
    ("extra field on the envelope (EventBridge may add some)", {**state_change(), "replay-name": "r1"}, "claimed"),
    ("event is null", None, "invalid"),
    ("event is a list", [state_change()], "invalid"),
    ("event is a number", 42, "invalid"),
    ("event is garbage text", "}{ not json", "invalid"),
    ("event is an empty object", {}, "invalid"),
    ("valid event for a job SageMaker does not know", state_change(AutoMLJobName="ghost"), "not_found"),
    (
        "job ARN that is not an AutoML job's",
        state_change(AutoMLJobArn=ARN.replace("automl-job", "training-job")),
        "invalid",
    ),
    ("job ARN without an account", state_change(AutoMLJobArn="arn:aws:sagemaker:us-east-1::automl-job/job"), "invalid"),
    (
        "job ARN naming the job in another case (the name is AutoMLJobName)",
        state_change(AutoMLJobArn=ARN.removesuffix(JOB) + JOB.upper()),
        "claimed",
    ),
]


@pytest.mark.parametrize(
    ("event", "outcome"), [case[1:] for case in REPORTER_EVENTS], ids=[c[0] for c in REPORTER_EVENTS]
)
def test_reporter_event(
    event: Any, outcome: str, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    reporter = make_reporter(describe())
    result = reporter_handler.handler(event, Context(), reporter=reporter)
    out = capsys.readouterr().out

    assert result["outcome"] == outcome
    store: FakeStore = reporter.store  # type: ignore[assignment]
    if outcome == "invalid":
        assert reporter.jobs.describe_calls == 0  # type: ignore[attr-defined]
        assert_nothing_written(store)
        assert logged(caplog, "invalid state change event") and '"InvalidEvents"' in out  # logged and counted
    elif outcome == "not_found":
        assert_nothing_written(store)
        assert '"JobsNotFound"' in out
    else:
        assert_sound(store)
        assert len(store.claims) == 1


# --- 2. malformed watcher invocations ---------------------------------------------------------------------

WATCHER_EVENTS = [
    ("unknown detail-type", {**state_change(), "detail-type": "Something Else"}),
    ("backfill end before start", {"backfill": {"start": "2025-02-01T00:00:00Z", "end": "2025-01-01T00:00:00Z"}}),
    ("backfill empty range", {"backfill": {"start": "2025-01-01T00:00:00Z", "end": "2025-01-01T00:00:00Z"}}),
    ("backfill dates that are not dates", {"backfill": {"start": "last week", "end": "now"}}),
    ("backfill missing end", {"backfill": {"start": "2025-01-01T00:00:00Z"}}),
    (
        "backfill with an unknown option",
        {"backfill": {"start": "2025-01-01T00:00:00Z", "end": "2025-02-01T00:00:00Z", "dry": True}},
    ),
    ("backfill is a string", {"backfill": "2025"}),
    (
        "history import from a foreign source",
        {**state_change(), "detail-type": "AutoML History Import", "source": "someone.else"},
    ),
    ("envelope without its required fields", {"detail-type": "AWS API Call via CloudTrail"}),
    ("schedule tick with an unknown trigger", {"trigger": "manual"}),
    ("schedule tick with an extra field", {"trigger": "schedule", "force": True}),
    ("garbage object", {"hello": "world"}),
    ("null", None),
    ("a list", [{"trigger": "schedule"}]),
    ("text", "schedule"),
]


@pytest.mark.parametrize("event", [case[1] for case in WATCHER_EVENTS], ids=[case[0] for case in WATCHER_EVENTS])
def test_watcher_event(event: Any, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> None:
    jobs, store, publisher = FakeJobs(), FakeStore(), FakePublisher()
    watcher = Watcher(jobs=jobs, store=store, publisher=publisher, overlap=NOW - NOW, clock=lambda: NOW)

    assert watcher_handler.handler(event, Context(), watcher=watcher) == {"outcome": "invalid"}

    out = capsys.readouterr().out
    assert logged(caplog, "invalid watcher invocation") and '"InvalidEvents"' in out
    assert (jobs.list_calls, publisher.published, publisher.continuations) == ([], [], [])
    assert (store.watch_start, store.watermark, store.imports) == (None, None, {})


# --- 3. odd stream records for the notifier --------------------------------------------------------------


def claimed_record(**changes: Any) -> ReportRecord:
    reporter = make_reporter(describe())
    reporter.report(job_ref(JOB), "schedule")
    record = reporter.store.records[JOB]  # type: ignore[attr-defined]
    return record.model_copy(update=changes)


SEALER = Sealer(FakeSealKey())


def image(record: ReportRecord, sealed: bool = True, **overrides: Any) -> dict[str, Any]:
    """A latest-record item in DynamoDB JSON, as the stream carries it: sealed as the store seals the write
    that set it (the claim included), unless `sealed` is False; `overrides` change it after the seal."""
    written = record_attributes(record)
    if record.notified_at is not None:
        written["notified_at"] = iso_utc(record.notified_at)
    item = {**report_key(record.job_name), **written}
    if sealed:
        item["seal"] = SEALER.record_seal(written)
    for name, value in overrides.items():
        if value is DROP:
            item.pop(name, None)
        else:
            item[name] = value
    return serialize(item)


def stream_record(sequence: str, dynamodb: dict[str, Any] | None) -> dict[str, Any]:
    record: dict[str, Any] = {
        "eventID": f"event-{sequence}",
        "eventName": "MODIFY",
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/reports/stream/2025-01-01T00:00:00.000",
    }
    if dynamodb is not None:
        record["dynamodb"] = {"SequenceNumber": sequence, "StreamViewType": "NEW_AND_OLD_IMAGES", **dynamodb}
    return record


CLAIMED = claimed_record()
UNCLAIMED = CLAIMED.model_copy(update={"notified_at": None})


@dataclass(frozen=True)
class StreamCase:
    name: str
    records: list[dict[str, Any]]
    sent: int  # notifications published
    failures: list[str] = field(default_factory=list)  # sequence numbers reported back for retry
    refused: bool = False  # a claim the stack did not seal (or unreadable): logged, counted, never sent or retried
    publish_failures: int = 0


STREAM_CASES = [
    StreamCase("record without a dynamodb section", [stream_record("1", None)], sent=0),
    StreamCase(
        "record with keys only (KEYS_ONLY view or a REMOVE)",
        [stream_record("1", {"Keys": serialize(report_key(JOB))})],
        sent=0,
    ),
    StreamCase("record with an empty dynamodb section", [stream_record("1", {})], sent=0),
    StreamCase(
        "claim with an unreadable image (required fields missing)",
        [stream_record("1", {"NewImage": serialize({"notified_at": iso_utc(NOW), "job_name": JOB}), "OldImage": {}})],
        sent=0,
        refused=True,
    ),
    StreamCase(
        "claim with an unreadable image (a time that is not a time)",
        [stream_record("1", {"NewImage": image(CLAIMED, last_modified_at="not a time"), "OldImage": image(UNCLAIMED)})],
        sent=0,
        refused=True,
    ),
    StreamCase(
        "a hand-made claim: a record the stack never sealed, with a link of its own",
        [
            stream_record(
                "1",
                {"NewImage": image(claimed_record(failure_reason="see https://evil.example/x"), sealed=False)},
            )
        ],
        sent=0,
        refused=True,
    ),
    StreamCase(
        "a genuine claim altered: its job's ARN points the console link elsewhere",
        [
            stream_record(
                "1",
                {"NewImage": image(CLAIMED, job_arn="arn:aws:sagemaker:evil.example/x?:123456789012:automl-job/job")},
            )
        ],
        sent=0,
        refused=True,
    ),
    StreamCase(
        "a genuine record with a claim added that its seal does not cover",
        [stream_record("1", {"NewImage": image(UNCLAIMED, notified_at=iso_utc(NOW)), "OldImage": image(UNCLAIMED)})],
        sent=0,
        refused=True,
    ),
    StreamCase(
        "claim already in the old image (a later write, or a replay)",
        [stream_record("1", {"NewImage": image(CLAIMED), "OldImage": image(CLAIMED)})],
        sent=0,
    ),
    StreamCase(
        "new claim, publish fails once: only that record is retried",
        [
            stream_record("1", {"NewImage": image(UNCLAIMED)}),
            stream_record("2", {"NewImage": image(CLAIMED), "OldImage": image(UNCLAIMED)}),
        ],
        sent=0,
        failures=["2"],
        publish_failures=1,
    ),
    StreamCase(
        "new claim beside unreadable and image-less records",
        [
            stream_record("1", None),
            stream_record("2", {"NewImage": serialize({"notified_at": iso_utc(NOW)})}),
            stream_record("3", {"NewImage": image(CLAIMED)}),
        ],
        sent=1,
        refused=True,
    ),
]


@pytest.mark.parametrize("case", STREAM_CASES, ids=[case.name for case in STREAM_CASES])
def test_notifier_stream_record(
    case: StreamCase, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    notifier = FakeNotifier(failures_left=case.publish_failures)
    sender = NotificationSender(notifier, SEALER)

    result = notifier_handler.handler({"Records": case.records}, Context(), sender=sender)

    out = capsys.readouterr().out
    assert result == {"batchItemFailures": [{"itemIdentifier": sequence} for sequence in case.failures]}
    assert len(notifier.sent) == case.sent
    assert logged(caplog, "claim refused: not sealed by the stack") == case.refused
    assert ('"ClaimsRefused"' in out) == case.refused
    for notification in notifier.sent:
        assert notification.attributes["job_name"] == JOB
        assert "evil.example" not in json.dumps(notification.message)


def test_a_forged_claim_is_logged_with_its_job_and_event_counted_and_never_sent(capsys: pytest.CaptureFixture[str]):
    """A stream record anyone could hand the notifier (no seal), carrying a link of its own."""
    forged = claimed_record(failure_reason="Re-run it here: https://evil.example/x")
    notifier = FakeNotifier()
    reset_process()  # the logger writes to this test's (captured) stdout
    records = {"Records": [stream_record("7", {"NewImage": image(forged, sealed=False)})]}

    result = notifier_handler.handler(records, Context(), sender=NotificationSender(notifier, SEALER))

    assert (result, notifier.sent) == ({"batchItemFailures": []}, [])  # refused, not retried
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    [refusal] = [line for line in lines if line.get("message") == "claim refused: not sealed by the stack"]
    assert (refusal["level"], refusal["job_name"], refusal["event_id"]) == ("ERROR", JOB, "event-7")
    [metric] = [line for line in lines if "ClaimsRefused" in line]
    assert (metric["job_name"], metric["stream_event_id"], metric["event_type"]) == (JOB, "event-7", "ended")


# --- 4. odd Describe responses ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DescribeCase:
    name: str
    response: dict[str, Any]
    api: str = "v1"
    raises: type[Exception] | None = None
    match: str = ""
    state: str | None = None  # explainability state
    reason: str = ""  # substring of the explainability reason
    outcome: str = "claimed"
    check: Callable[[ReportRecord], Any] = lambda record: True


def v2_time_series() -> dict[str, Any]:
    response = describe(
        AutoMLProblemTypeConfigName="TimeSeriesForecasting",
        AutoMLProblemTypeConfig={"TimeSeriesForecastingJobConfig": {"ForecastFrequency": "D", "ForecastHorizon": 7}},
        ResolvedAttributes=DROP,
    )
    return response


LONG_REASONS = [{"PartialFailureMessage": f"{index}:" + "x" * 5000} for index in range(25)]

DESCRIBE_CASES = [
    DescribeCase(
        "Completed without a BestCandidate",
        describe(BestCandidate=DROP),
        state="missing",
        reason="the job has no BestCandidate",
        check=lambda r: (r.best_candidate, r.objective) == (None, None),
    ),
    DescribeCase(
        "BestCandidate that is not an object",
        describe(BestCandidate="job-best"),
        state="missing",
        reason="the job has no BestCandidate",
        check=lambda r: r.best_candidate is None,
    ),
    DescribeCase(
        "BestCandidate without a final metric",
        describe(BestCandidate=best_candidate(metric=None)),
        state="available",
        check=lambda r: (r.best_candidate, r.objective) == ("job-best", None),
    ),
    DescribeCase(
        "NaN objective value",
        describe(BestCandidate=best_candidate(metric={"MetricName": "F1", "Type": "Maximize", "Value": float("nan")})),
        state="available",
        check=lambda r: r.objective
        == Objective(metric="F1", type="Maximize", value=None, standard_metric="F1", direction="Maximize"),
    ),
    DescribeCase(
        "objective value beyond DynamoDB's number range",
        describe(BestCandidate=best_candidate(metric={"MetricName": "MSE", "Type": "Minimize", "Value": 1.0e300})),
        state="available",
        check=lambda r: r.objective
        == Objective(metric="MSE", type="Minimize", value=STORABLE_MAX, standard_metric="MSE", direction="Minimize"),
    ),
    DescribeCase(
        "infinite objective value",
        describe(
            BestCandidate=best_candidate(metric={"MetricName": "MSE", "Type": "Minimize", "Value": float("-inf")})
        ),
        state="available",
        check=lambda r: r.objective
        == Objective(metric="MSE", type="Minimize", value=None, standard_metric="MSE", direction="Minimize"),
    ),
    DescribeCase(
        "unknown status (not terminal: written, no claim, no S3 reads)",
        describe(AutoMLJobStatus="Pausing", AutoMLJobSecondaryStatus="Whatever", EndTime=DROP),
        state="pending",
        reason="job is Pausing",
        outcome="written",
        check=lambda r: (r.leaderboard, r.notified_at) == (None, None),
    ),
    DescribeCase(
        "V2 time-series job",
        v2_time_series(),
        api="v2",
        state="missing",
        reason="time-series",
        check=lambda r: (r.api, r.problem_type) == ("v2", "TimeSeriesForecasting"),
    ),
    DescribeCase(
        "Failed with no candidate",
        describe(
            AutoMLJobStatus="Failed",
            AutoMLJobSecondaryStatus="Failed",
            BestCandidate=DROP,
            FailureReason="ClientError: the target column has one value",
        ),
        state="not_applicable",
        reason="Failed before a best candidate existed",
        check=lambda r: (r.failure_reason, r.leaderboard) == ("ClientError: the target column has one value", []),
    ),
    DescribeCase(
        "Stopped with no candidate",
        describe(AutoMLJobStatus="Stopped", AutoMLJobSecondaryStatus="Stopped", BestCandidate=DROP),
        state="not_applicable",
        reason="Stopped before a best candidate existed",
    ),
    DescribeCase(
        "ExplainabilityError secondary status beats a good file",
        describe(AutoMLJobSecondaryStatus="ExplainabilityError"),
        state="error",
        reason="ExplainabilityError",
    ),
    DescribeCase("missing CreationTime", describe(CreationTime=DROP), raises=ValueError, match="no CreationTime"),
    DescribeCase(
        "missing LastModifiedTime", describe(LastModifiedTime=DROP), raises=ValueError, match="LastModifiedTime"
    ),
    DescribeCase("missing AutoMLJobStatus", describe(AutoMLJobStatus=DROP), raises=KeyError, match="AutoMLJobStatus"),
    DescribeCase(
        "25 partial failures of 5,000 characters",
        describe(PartialFailureReasons=LONG_REASONS),
        state="available",
        check=lambda r: (
            len(r.partial_failures) == 21
            and all(len(message) <= 1024 and "characters truncated" in message for message in r.partial_failures[:20])
            and r.partial_failures[0].startswith("0:")
            and r.partial_failures[-1] == "... and 5 more partial failure messages"
        ),
    ),
    DescribeCase(
        "partial failure entries that are not objects",
        describe(PartialFailureReasons=["disk full", None, 7, {"PartialFailureMessage": "ok"}, {"Other": "x"}]),
        state="available",
        check=lambda r: r.partial_failures == ["disk full", "7", "ok", NO_MESSAGE],
    ),
    DescribeCase(
        "partial failures with an empty or missing message",
        describe(PartialFailureReasons=[{"PartialFailureMessage": ""}, {}, {"PartialFailureMessage": "  "}, ""]),
        state="available",
        check=lambda r: r.partial_failures == [NO_MESSAGE] * 4,
    ),
    DescribeCase(
        "PartialFailureReasons is one object, not a list",
        describe(PartialFailureReasons={"PartialFailureMessage": "one"}),
        state="available",
        check=lambda r: r.partial_failures == ["one"],
    ),
    DescribeCase(
        "FailureReason of a million characters",
        describe(
            AutoMLJobStatus="Failed",
            AutoMLJobSecondaryStatus="Failed",
            BestCandidate=DROP,
            FailureReason="e" * 1_000_000,
        ),
        state="not_applicable",
        reason="before a best candidate",
        check=lambda r: len(r.failure_reason or "") == 1024 and "characters truncated" in (r.failure_reason or ""),
    ),
    DescribeCase(
        "Explainability location that is not an s3:// URI",
        describe(BestCandidate=best_candidate(prefix="https://example.com/x")),
        state="error",
        reason="is not an s3:// URI",
    ),
]


@pytest.mark.parametrize("case", DESCRIBE_CASES, ids=[case.name for case in DESCRIBE_CASES])
def test_describe_response(case: DescribeCase) -> None:
    reporter = make_reporter(case.response, api=case.api)
    store: FakeStore = reporter.store  # type: ignore[assignment]
    if case.raises is not None:
        with pytest.raises(case.raises, match=case.match):
            reporter.report(job_ref(JOB), "schedule")
        assert_nothing_written(store)
        return

    result = reporter.report(job_ref(JOB), "schedule")

    assert result.outcome == case.outcome
    record = assert_sound(store)
    assert record.explainability.state == case.state
    assert case.reason in (record.explainability.reason or "")
    assert case.check(record)
    if case.state in ("pending", "error") and "ExplainabilityError" in case.reason:
        assert reporter.artifacts.lists == 0  # type: ignore[attr-defined]


# --- 5. hostile analysis.json ---------------------------------------------------------------------------


def shap_file(text: str) -> bytes:
    return text.encode()


def labels_file(count: int, name_chars: int = 0) -> bytes:
    return analysis({f"label{index}" + "L" * name_chars: {"x": 1.0, "y": 0.5} for index in range(count)})


@dataclass(frozen=True)
class AnalysisCase:
    name: str
    body: bytes
    state: str
    reason: str = ""
    check: Callable[[Explainability], Any] = lambda explainability: True


def wrapped(values: str) -> bytes:
    return ('{"explanations": {"kernel_shap": {"label0": {"global_shap_values": ' + values + "}}}}").encode()


ANALYSIS_CASES = [
    AnalysisCase("nested 100,000 levels deep", b"[" * 100_000 + b"]" * 100_000, "error", "nested too deeply"),
    AnalysisCase("number 1e400 (overflows to infinity)", wrapped('{"x": 1e400}'), "error", "x is not a finite number"),
    AnalysisCase("5,000-digit integer", wrapped('{"x": ' + "9" * 5000 + "}"), "error", "not readable JSON"),
    AnalysisCase("NaN literal", wrapped('{"x": NaN}'), "error", "x is not a finite number"),
    AnalysisCase("Infinity literal", wrapped('{"x": -Infinity}'), "error", "x is not a finite number"),
    AnalysisCase(
        "values at the float limit over two labels (the sum overflows): kept at DynamoDB's largest number",
        analysis({"a": {"x": 1.5e308, "y": -1e200}, "b": {"x": 1.5e308}}),
        "available",
        check=lambda e: [(f.feature, f.importance) for f in e.top_features]
        == [("x", STORABLE_MAX), ("y", -STORABLE_MAX)],
    ),
    AnalysisCase(
        "values too small for DynamoDB: stored as 0",
        analysis({"label0": {"x": 1e-200, "y": 5e-324, "z": 0.25}}),
        "available",
        check=lambda e: [(f.feature, f.importance) for f in e.top_features] == [("z", 0.25), ("x", 0.0), ("y", 0.0)],
    ),
    AnalysisCase(
        "duplicate keys (the last one wins, as in every JSON reader we use)",
        wrapped('{"x": 1.0, "x": 2.0}'),
        "available",
        check=lambda e: [(f.feature, f.importance) for f in e.top_features] == [("x", 2.0)],
    ),
    AnalysisCase(
        "UTF-8 byte-order mark", b"\xef\xbb\xbf" + GOOD_ANALYSIS, "available", check=lambda e: e.feature_count == 2
    ),
    AnalysisCase("invalid UTF-8", b'{"explanations": "\xff\xfe"}', "error", "not UTF-8"),
    AnalysisCase(
        "3,000 labels",
        labels_file(3000),
        "available",
        check=lambda e: len(e.labels) == 101 and e.labels[-1] == "... and 2900 more labels" and e.feature_count == 2,
    ),
    AnalysisCase(
        "3,000 features",
        analysis({"label0": {f"f{index:04d}": index / 3000 for index in range(3000)}}),
        "available",
        check=lambda e: e.feature_count == 3000 and len(e.top_features) == 10 and e.top_features[0].feature == "f2999",
    ),
    AnalysisCase(
        "label names of 10,000 characters",
        labels_file(3, name_chars=10_000),
        "available",
        check=lambda e: all(len(label) <= 256 and "characters cut]" in label for label in e.labels),
    ),
    AnalysisCase(
        "feature names of 10,000 characters",
        analysis({"label0": {f"{index}" + "F" * 10_000: float(index) for index in range(50)}}),
        "available",
        check=lambda e: e.feature_count == 50
        and all(len(f.feature) <= 256 and "characters cut]" in f.feature for f in e.top_features),
    ),
    AnalysisCase(
        "empty kernel_shap", b'{"explanations": {"kernel_shap": {}}}', "error", "kernel_shap is not a non-empty object"
    ),
    AnalysisCase(
        "kernel_shap is a list",
        b'{"explanations": {"kernel_shap": [1, 2]}}',
        "error",
        "kernel_shap is not a non-empty object",
    ),
    AnalysisCase("explanations is a list", b'{"explanations": []}', "error", "explanations is not an object"),
    AnalysisCase("global_shap_values with strings", wrapped('{"x": "0.3"}'), "error", "x is not a finite number"),
    AnalysisCase("global_shap_values with booleans", wrapped('{"x": true}'), "error", "x is not a finite number"),
    AnalysisCase("global_shap_values with null", wrapped('{"x": null}'), "error", "x is not a finite number"),
    AnalysisCase(
        "label without global_shap_values",
        b'{"explanations": {"kernel_shap": {"label0": {"expected_value": 0.1}}}}',
        "error",
        "kernel_shap.label0 has no global_shap_values object",
    ),
    AnalysisCase(
        "bias metrics only",
        b'{"version": "1.0", "post_training_bias_metrics": {"facets": {}}}',
        "missing",
        "bias metrics only",
    ),
    AnalysisCase("explanations without kernel_shap", b'{"explanations": {"pdp": []}}', "missing", "no kernel_shap"),
    AnalysisCase("not an object", b"[1, 2, 3]", "error", "is not a JSON object"),
    AnalysisCase("empty body", b"", "error", "is not valid JSON"),
    AnalysisCase("truncated JSON", GOOD_ANALYSIS[:-7], "error", "is not valid JSON"),
]


@pytest.mark.parametrize("case", ANALYSIS_CASES, ids=[case.name for case in ANALYSIS_CASES])
def test_hostile_analysis_json(case: AnalysisCase) -> None:
    reporter = make_reporter(describe(), objects=objects_under({"analysis.json": case.body, "report.pdf": b"%PDF"}))

    assert reporter.report(job_ref(JOB), "schedule").outcome == "claimed"

    record = assert_sound(reporter.store)  # type: ignore[arg-type]
    explainability = record.explainability
    assert (explainability.state, explainability.s3_prefix) == (case.state, PREFIX)
    assert case.reason in (explainability.reason or "")
    assert case.check(explainability)
    if case.state == "available":
        assert explainability.artifacts == {
            "analysis": f"{PREFIX}/analysis.json",
            "report_pdf": f"{PREFIX}/report.pdf",
        }


# --- 6. odd S3 listings and S3 errors --------------------------------------------------------------------


@dataclass(frozen=True)
class ListingCase:
    name: str
    files: dict[str, bytes]  # relative to the Explainability prefix; "../" reaches a sibling folder
    state: str
    reason: str = ""
    artifacts: dict[str, str] = field(default_factory=dict)  # relative paths
    reads: int = 1
    max_bytes: int = MAX_BYTES


LISTING_CASES = [
    ListingCase("empty prefix", {}, "missing", "the prefix is empty under " + PREFIX, reads=0),
    ListingCase(
        "no analysis.json among other files",
        {"report.pdf": b"%PDF", "notes.txt": b"x"},
        "missing",
        "no analysis.json among 2 objects",
        reads=0,
    ),
    ListingCase(
        "analysis.json only one auto-named folder deeper",
        {"ab12cd/analysis.json": GOOD_ANALYSIS, "ab12cd/report.html": b"<html>", "ab12cd/report.ipynb": b"{}"},
        "available",
        artifacts={
            "analysis": "ab12cd/analysis.json",
            "report_html": "ab12cd/report.html",
            "report_ipynb": "ab12cd/report.ipynb",
        },
    ),
    ListingCase(
        "several analysis.json at different depths: the shallowest wins",
        {
            "a/b/analysis.json": b"not json",
            "z/analysis.json": GOOD_ANALYSIS,
            "z/report.pdf": b"%PDF",
            "a/b/report.pdf": b"%PDF",
        },
        "available",
        artifacts={"analysis": "z/analysis.json", "report_pdf": "z/report.pdf"},
    ),
    ListingCase(
        "report files beside another folder's analysis are not linked",
        {"report.pdf": b"%PDF", "report.html": b"<html>", "run1/analysis.json": GOOD_ANALYSIS},
        "available",
        artifacts={"analysis": "run1/analysis.json"},
    ),
    ListingCase(
        "a sibling prefix that merely starts the same is not listed",
        {"../output-old/analysis.json": GOOD_ANALYSIS},
        "missing",
        "the prefix is empty",
        reads=0,
    ),
    ListingCase(
        "object over the size cap is refused without reading it",
        {"analysis.json": GOOD_ANALYSIS + b" " * 2048},
        "error",
        "over the 1024-byte cap",
        reads=0,
        max_bytes=1024,
    ),
    ListingCase(
        "explanations_shap/out.csv beside it is not an artifact",
        {"analysis.json": GOOD_ANALYSIS, "explanations_shap/out.csv": b"a,b"},
        "available",
        artifacts={"analysis": "analysis.json"},
    ),
]


def fake_objects(files: dict[str, bytes]) -> dict[str, bytes]:
    resolved = {}
    for path, body in files.items():
        if path.startswith("../"):
            parent = KEY_PREFIX.rsplit("/", 1)[0]
            resolved[f"{BUCKET}/{parent}/{path[3:]}"] = body
        else:
            resolved[f"{BUCKET}/{KEY_PREFIX}/{path}"] = body
    return resolved


@pytest.mark.parametrize("case", LISTING_CASES, ids=[case.name for case in LISTING_CASES])
def test_odd_listing(case: ListingCase) -> None:
    reporter = make_reporter(describe(), objects=fake_objects(case.files))
    reporter.analysis_max_bytes = case.max_bytes

    assert reporter.report(job_ref(JOB), "schedule").outcome == "claimed"

    record = assert_sound(reporter.store)  # type: ignore[arg-type]
    explainability = record.explainability
    assert explainability.state == case.state
    assert case.reason in (explainability.reason or "")
    assert explainability.artifacts == {name: f"{PREFIX}/{path}" for name, path in case.artifacts.items()}
    assert reporter.artifacts.reads == case.reads  # type: ignore[attr-defined]


def stubbed_s3() -> tuple[Any, Stubber]:
    """A real S3 client, fake credentials, no retries; every call answered by the Stubber (no network)."""
    client = boto3.client(
        "s3",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"total_max_attempts": 1}),
    )
    return client, Stubber(client)


OWNER = "123456789012"  # the job's account (its ARN): S3 reads only a bucket that account owns
LIST_PARAMS = {"Bucket": BUCKET, "Prefix": f"{KEY_PREFIX}/", "ExpectedBucketOwner": OWNER}
GET_PARAMS = {
    "Bucket": BUCKET,
    "Key": f"{KEY_PREFIX}/analysis.json",
    "Range": f"bytes=0-{MAX_BYTES}",
    "ExpectedBucketOwner": OWNER,
}
LISTED = {"Contents": [{"Key": f"{KEY_PREFIX}/analysis.json", "Size": len(GOOD_ANALYSIS)}], "IsTruncated": False}
KMS_MESSAGE = (
    "User: arn:aws:sts::123456789012:assumed-role/reporter/fn is not authorized to perform: kms:Decrypt on the "
    "resource associated with this ciphertext because the resource does not exist in this Region"
)


@dataclass(frozen=True)
class S3Case:
    name: str
    stub: Callable[[Stubber], None]
    state: str | None = None
    reason: tuple[str, ...] = ()
    raises: type[Exception] | None = None


def _list_error(code: str, message: str, status: int) -> Callable[[Stubber], None]:
    return lambda stub: stub.add_client_error("list_objects_v2", code, message, status, expected_params=LIST_PARAMS)


def _get_error(code: str, message: str, status: int) -> Callable[[Stubber], None]:
    def stub(stubber: Stubber) -> None:
        stubber.add_response("list_objects_v2", LISTED, LIST_PARAMS)
        stubber.add_client_error("get_object", code, message, status, expected_params=GET_PARAMS)

    return stub


def _good(stubber: Stubber) -> None:
    stubber.add_response("list_objects_v2", LISTED, LIST_PARAMS)
    body = StreamingBody(io.BytesIO(GOOD_ANALYSIS), len(GOOD_ANALYSIS))
    stubber.add_response("get_object", {"Body": body, "ContentLength": len(GOOD_ANALYSIS)}, GET_PARAMS)


S3_CASES = [
    S3Case(
        "AccessDenied mentioning KMS names the CDK context to fix",
        _get_error("AccessDenied", KMS_MESSAGE, 403),
        "error",
        (
            "AccessDenied for s3://bucket/job/documentation/explainability/output/analysis.json",
            "autopilotOutputKmsKeys",
        ),
    ),
    S3Case(
        "plain AccessDenied names the output locations",
        _list_error("AccessDenied", "Access Denied", 403),
        "error",
        ("AccessDenied for s3://bucket/job/documentation/explainability/output/", "autopilotOutputLocations"),
    ),
    S3Case(
        "NoSuchBucket",
        _list_error("NoSuchBucket", "The specified bucket does not exist", 404),
        "error",
        ("NoSuchBucket for s3://bucket/",),
    ),
    S3Case(
        "object gone between list and get",
        _get_error("NoSuchKey", "The specified key does not exist.", 404),
        "error",
        ("NoSuchKey",),
    ),
    S3Case(
        "throttled (transient): raised for Lambda to retry, nothing written",
        _list_error("SlowDown", "Reduce your request rate", 503),
        raises=ClientError,
    ),
    S3Case("control: a readable report through the real adapter", _good, "available"),
]


@pytest.mark.parametrize("case", S3_CASES, ids=[case.name for case in S3_CASES])
def test_s3_adapter_error(case: S3Case) -> None:
    client, stubber = stubbed_s3()
    case.stub(stubber)
    reporter = make_reporter(describe(), artifacts=S3ArtifactReader(aws_client=client))
    store: FakeStore = reporter.store  # type: ignore[assignment]

    with stubber:
        if case.raises is not None:
            with pytest.raises(case.raises):
                reporter.report(job_ref(JOB), "schedule")
            assert_nothing_written(store)
        else:
            assert reporter.report(job_ref(JOB), "schedule").outcome == "claimed"
            record = assert_sound(store)
            assert record.explainability.state == case.state
            for part in case.reason:
                assert part in (record.explainability.reason or "")
        stubber.assert_no_pending_responses()


# --- 7. oversize messages ---------------------------------------------------------------------------------


def big_record(**changes: Any) -> ReportRecord:
    base = CLAIMED.model_copy(update={"status": "Failed", "secondary_status": "Failed"})
    return base.model_copy(update=changes)


def many_features(count: int, name_chars: int) -> Explainability:
    return Explainability(
        state="available",
        s3_prefix=PREFIX,
        top_features=[
            FeatureImportance(feature=f"{index}-" + "n" * name_chars, importance=1 / (index + 1))
            for index in range(count)
        ],
        feature_count=count,
        labels=[f"label{index}-" + "l" * 250 for index in range(100)],
        artifacts={"analysis": f"{PREFIX}/analysis.json", "report_pdf": f"{PREFIX}/report.pdf"},
    )


def pipeline_maximum() -> ReportRecord:
    """The largest record the pipeline itself builds: every cap reached at once."""
    files = objects_under(
        {
            "analysis.json": analysis(
                {f"L{i}" + "l" * 10_000: {f"{j}" + "f" * 10_000: 1.0 + j for j in range(150)} for i in range(150)}
            )
        }
    )
    reporter = make_reporter(describe(PartialFailureReasons=LONG_REASONS), objects=files, top_features=100)
    reporter.report(job_ref(JOB), "schedule")
    return reporter.store.records[JOB]  # type: ignore[attr-defined]


@dataclass(frozen=True)
class MessageCase:
    name: str
    record: Callable[[], ReportRecord]
    markers: tuple[str, ...]  # visible in the rendered message
    oversize: bool = True  # the record's two JSON copies (lambda, sqs) alone exceed SNS's limit


MESSAGE_CASES = [
    MessageCase(
        "failure reason of 300,000 characters", lambda: big_record(failure_reason="r" * 300_000), ("more characters",)
    ),
    MessageCase(
        "1,000 top features with 2,000-character names",
        lambda: big_record(explainability=many_features(1000, 2000)),
        ("more top features", "top_features shortened"),
    ),
    MessageCase(
        "20 partial failures of 50,000 characters",
        lambda: big_record(partial_failures=["p" * 50_000] * 20),
        ("more characters",),
    ),
    MessageCase(
        "everything large at once",
        lambda: big_record(
            failure_reason="r" * 300_000,
            partial_failures=["p" * 50_000] * 20,
            explainability=many_features(1000, 2000),
            leaderboard=[
                LeaderboardEntry(
                    candidate=f"cand-{index}",
                    objective=Objective(metric="F1", type="Maximize", value=0.5),
                    explainability_prefix=PREFIX,
                )
                for index in range(20)
            ],
        ),
        ("more characters", "more top features"),
    ),
    MessageCase("the largest record the pipeline builds", pipeline_maximum, (), oversize=False),
]


@pytest.mark.parametrize("case", MESSAGE_CASES, ids=[case.name for case in MESSAGE_CASES])
def test_oversize_message_stays_below_the_sns_limit(case: MessageCase) -> None:
    record = case.record()
    if case.oversize:
        assert 2 * len(record.model_dump_json().encode()) > SNS_MESSAGE_LIMIT

    notification = render_notification(record)

    assert sns_message_bytes(notification) <= SNS_MESSAGE_LIMIT
    assert notification.subject.isascii() and len(notification.subject) < 100
    text = json.dumps(notification.message)
    for marker in case.markers:
        assert marker in text, marker
    for protocol in ("lambda", "sqs"):
        json.loads(notification.message[protocol])  # still a JSON record for programs
    if not case.oversize:
        assert item_size({**report_key(JOB), **record_attributes(record)}) < FAR_BELOW


def test_corpus_size() -> None:
    cases = (
        REPORTER_EVENTS,
        WATCHER_EVENTS,
        STREAM_CASES,
        DESCRIBE_CASES,
        ANALYSIS_CASES,
        LISTING_CASES,
        S3_CASES,
        MESSAGE_CASES,
    )
    assert sum(len(table) for table in cases) >= 30
