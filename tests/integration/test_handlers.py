"""The real handlers with their real adapters: SageMaker from the simulator, the rest on moto."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

import boto3
import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from autopilot_reports.adapters.dynamodb_queries import ReportQueries
from autopilot_reports.adapters.dynamodb_store import DynamoDBReportStore
from autopilot_reports.handlers import notifier as notifier_handler
from autopilot_reports.handlers import reporter as reporter_handler
from autopilot_reports.handlers import watcher as watcher_handler
from autopilot_reports.models.common import parse_iso_utc
from autopilot_reports.settings import get_settings
from sandbox.event_delivery import complete_envelope
from sandbox.sealing import create_mac_keys
from tests.integration.conftest import REGION, CallRecorder, stream_event
from testsupport.process import reset_process
from testsupport.stepping import stepping_simulator

WATCH_START = parse_iso_utc("2025-05-01T10:00:00Z")

PREFIX = "s3://outputs/churn/documentation/explainability/output"
ARN = "arn:aws:sagemaker:us-east-1:123456789012:automl-job/{}"


@dataclass
class Context:
    function_name: str = "test"
    memory_limit_in_mb: int = 1024
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:test"
    aws_request_id: str = "req-1"


def describe(name, status, secondary, minutes, best=False, partial=()):
    response = {
        "AutoMLJobName": name,
        "AutoMLJobArn": ARN.format(name),
        "InputDataConfig": [
            {
                "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://in/x"}},
                "TargetAttributeName": "churned",
            }
        ],
        "OutputDataConfig": {"S3OutputPath": "s3://outputs/"},
        "RoleArn": "arn:aws:iam::123456789012:role/sm",
        "CreationTime": "2025-05-01T10:00:00Z",
        "LastModifiedTime": f"2025-05-01T10:{minutes:02d}:00Z",
        "AutoMLJobStatus": status,
        "AutoMLJobSecondaryStatus": secondary,
        "ResolvedAttributes": {
            "AutoMLJobObjective": {"MetricName": "F1"},
            "ProblemType": "BinaryClassification",
            "CompletionCriteria": {"MaxCandidates": 10},
        },
    }
    if best:
        response["EndTime"] = f"2025-05-01T10:{minutes:02d}:00Z"
        response["BestCandidate"] = {
            "CandidateName": f"{name}-best",
            "ObjectiveStatus": "Succeeded",
            "CandidateStatus": "Completed",
            "CandidateSteps": [],
            "CreationTime": "2025-05-01T10:05:00Z",
            "LastModifiedTime": "2025-05-01T10:20:00Z",
            "FinalAutoMLJobObjectiveMetric": {"Type": "Maximize", "MetricName": "F1", "Value": 0.87},
            "CandidateProperties": {"CandidateArtifactLocations": {"Explainability": PREFIX}},
        }
    if partial:
        response["PartialFailureReasons"] = [{"PartialFailureMessage": message} for message in partial]
    return response


def candidate(name, value, status="Completed"):
    return {
        "CandidateName": name,
        "CandidateStatus": status,
        "CandidateSteps": [],
        "CreationTime": "2025-05-01T10:05:00Z",
        "LastModifiedTime": "2025-05-01T10:20:00Z",
        "ObjectiveStatus": "Succeeded" if status == "Completed" else "Failed",
        "FinalAutoMLJobObjectiveMetric": {"Type": "Maximize", "MetricName": "F1", "Value": value},
        "CandidateProperties": {"CandidateArtifactLocations": {"Explainability": f"s3://outputs/{name}/x"}},
    }


SCENARIO = {
    "jobs": [
        {
            "describe": [
                describe("churn", "InProgress", "Starting", 0),
                describe("churn", "Completed", "Completed", 30, best=True, partial=["1 candidate failed"]),
            ],
            "candidates": [
                candidate("churn-c1", 0.81),
                candidate("churn-c2", 0.87),
                candidate("churn-c3", 0.9, "Failed"),
            ],
        },
        {
            "api": "v2",
            "describe": [
                {
                    "AutoMLJobName": "forecast",
                    "AutoMLJobArn": ARN.format("forecast"),
                    "AutoMLJobInputDataConfig": [
                        {
                            "ChannelType": "training",
                            "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://in/y"}},
                        }
                    ],
                    "OutputDataConfig": {"S3OutputPath": "s3://outputs/"},
                    "RoleArn": "arn:aws:iam::123456789012:role/sm",
                    "CreationTime": "2025-05-01T10:00:00Z",
                    "LastModifiedTime": "2025-05-01T10:01:00Z",
                    "AutoMLJobStatus": "InProgress",
                    "AutoMLJobSecondaryStatus": "Starting",
                    "AutoMLProblemTypeConfigName": "TimeSeriesForecasting",
                }
            ],
        },
    ],
}


@pytest.fixture
def pipeline(aws, table_name, stack_model, monkeypatch):
    """Environment of each function from the template; moto resources; the simulator for SageMaker."""
    with stepping_simulator(SCENARIO) as simulator:
        monkeypatch.setenv("AWS_ENDPOINT_URL_SAGEMAKER", simulator.endpoint_url)
        topic_arn = boto3.client("sns", region_name=REGION).create_topic(Name=stack_model.topics[0])["TopicArn"]
        create_mac_keys(boto3.client("kms", region_name=REGION), stack_model)
        bus = next(iter(stack_model.buses.values()))
        boto3.client("events", region_name=REGION).create_event_bus(Name=bus)
        for queue in stack_model.queues:  # the reporter's queue, which the watcher asks before publishing again
            boto3.client("sqs", region_name=REGION).create_queue(QueueName=queue)
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket="outputs")
        key = PREFIX[len("s3://outputs/") :]
        s3.put_object(
            Bucket="outputs",
            Key=f"{key}/analysis.json",
            Body=json.dumps(
                {
                    "version": "1.0",
                    "explanations": {
                        "kernel_shap": {
                            "label0": {"global_shap_values": {"tenure": 0.3, "plan": 0.1}, "expected_value": 0.2}
                        }
                    },
                }
            ).encode(),
        )
        s3.put_object(Bucket="outputs", Key=f"{key}/report.pdf", Body=b"%PDF-1.4")
        DynamoDBReportStore(table_name, boto3.client("dynamodb", region_name=REGION)).begin_watch(WATCH_START)
        yield Pipeline(simulator, stack_model, topic_arn, table_name, monkeypatch)
    reset_process()


def stored_report(name):
    """The job's record as the CLI reads it, through the reporter's own client."""
    store = reporter_handler.default_reporter().store
    return ReportQueries(store.table_name, dynamodb=store.client).get_report(name)


def state_change(name, status="Completed", secondary="Completed"):
    """Our event as EventBridge delivers it to the reporter."""
    return complete_envelope(
        {
            "id": str(uuid.uuid4()),
            "time": "2025-05-01T10:30:00Z",
            "region": REGION,
            "source": "autopilot-reports",
            "detail-type": "AutoML Job State Change",
            "detail": {
                "AutoMLJobName": name,
                "AutoMLJobArn": ARN.format(name),
                "AutoMLJobStatus": status,
                "AutoMLJobSecondaryStatus": secondary,
                "CreationTime": "2025-05-01T10:00:00Z",
                "LastModifiedTime": "2025-05-01T10:30:00Z",
                "DetectedBy": "schedule",
                "SchemaVersion": "1",
            },
        }
    )


class Pipeline:
    def __init__(self, simulator, stack_model, topic_arn, table_name, monkeypatch):
        self.simulator, self.stack, self.topic_arn, self.monkeypatch = simulator, stack_model, topic_arn, monkeypatch
        self.table_name = table_name
        self.recorder = CallRecorder()
        self.stream_position = 0

    def stream_event(self):
        """What the notifier's event source mapping delivers next."""
        event, self.stream_position = stream_event(self.stack, self.stream_position)
        return event

    def use(self, handler_suffix):
        spec = self.stack.function_by_handler(handler_suffix)
        for name, value in spec.environment.items():
            self.monkeypatch.setenv(name, value)
        reset_process()  # also points the logger at this test's (captured) stdout
        session = boto3.DEFAULT_SESSION or boto3.setup_default_session() or boto3.DEFAULT_SESSION
        session.events.unregister("before-call", self.recorder._count)
        session.events.register("before-call", self.recorder._count)


def test_terminal_report_costs_the_physical_minimum_and_the_commit_leads_to_one_publish(pipeline):
    pipeline.simulator.tick = 1
    pipeline.use("handlers.reporter.handler")

    result = reporter_handler.handler(state_change("churn"), Context())

    assert result == {"outcome": "claimed", "job_name": "churn"}
    assert dict(pipeline.recorder.calls) == {
        "sagemaker.DescribeAutoMLJob": 1,
        "sagemaker.ListCandidatesForAutoMLJob": 1,
        "s3.ListObjectsV2": 1,
        "s3.GetObject": 1,
        "dynamodb.TransactWriteItems": 1,
        "kms.GenerateMac": 1,  # a cold process derives the seal key once (domain/seal.py), not once a report
    }
    record = stored_report("churn")
    assert [entry.candidate for entry in record.leaderboard] == ["churn-c2", "churn-c1"]

    pipeline.use("handlers.notifier.handler")
    pipeline.recorder.calls.clear()
    stream = pipeline.stream_event()
    assert len(stream["Records"]) == 1  # the filter passes the claiming write only
    assert notifier_handler.handler(stream, Context()) == {"batchItemFailures": []}
    assert dict(pipeline.recorder.calls) == {"sns.Publish": 1, "kms.GenerateMac": 1}  # cold, as above

    pipeline.use("handlers.reporter.handler")
    pipeline.recorder.calls.clear()
    replay = reporter_handler.handler(state_change("churn"), Context())
    assert replay["outcome"] == "unchanged"
    assert pipeline.stream_event() == {"Records": []}  # a replay commits nothing: nothing to publish


def test_an_altered_stream_record_is_refused_and_nothing_is_published(pipeline, capsys):
    """The notifier handed a record that is not what the table committed (the genuine claim, its failure
    reason rewritten to carry a link): refused, logged and counted; the genuine record still goes out."""
    pipeline.simulator.tick = 1
    pipeline.use("handlers.reporter.handler")
    reporter_handler.handler(state_change("churn"), Context())
    pipeline.use("handlers.notifier.handler")
    genuine = pipeline.stream_event()
    altered = json.loads(json.dumps(genuine))
    altered["Records"][0]["dynamodb"]["NewImage"]["failure_reason"] = {"S": "Sign in again: https://evil.example/"}
    pipeline.recorder.calls.clear()

    assert notifier_handler.handler(altered, Context()) == {"batchItemFailures": []}  # not retried either

    assert "sns.Publish" not in pipeline.recorder.calls
    out = capsys.readouterr().out
    assert "claim refused: not sealed by the stack" in out and '"ClaimsRefused"' in out
    assert notifier_handler.handler(genuine, Context()) == {"batchItemFailures": []}
    assert pipeline.recorder.calls["sns.Publish"] == 1


def test_a_failed_publish_is_reported_item_by_item_for_the_stream_to_retry(pipeline):
    pipeline.simulator.tick = 1
    pipeline.use("handlers.reporter.handler")
    reporter_handler.handler(state_change("churn"), Context())
    pipeline.use("handlers.notifier.handler")
    pipeline.monkeypatch.setenv("TOPIC_ARN", pipeline.topic_arn + "-gone")
    get_settings.cache_clear()
    stream = pipeline.stream_event()
    second = json.loads(json.dumps(stream["Records"][0]))
    second["dynamodb"]["SequenceNumber"] = "999"
    second["dynamodb"]["OldImage"] = second["dynamodb"]["NewImage"]  # a later write of a claimed record

    response = notifier_handler.handler({"Records": [second, *stream["Records"]]}, Context())

    # the failed record is reported alone, for the mapping to retry from it; the other passed
    assert response == {"batchItemFailures": [{"itemIdentifier": stream["Records"][0]["dynamodb"]["SequenceNumber"]}]}
    with pytest.raises(BatchProcessingError):  # a batch whose every record failed fails whole: retried whole
        notifier_handler.handler(stream, Context())


def test_non_terminal_transition_costs_two_calls(pipeline):
    pipeline.use("handlers.reporter.handler")
    reporter_handler.handler(state_change("forecast", "InProgress", "Starting"), Context())
    assert pipeline.recorder.calls["kms.GenerateMac"] == 1  # the cold process derives the seal key, once
    pipeline.recorder.calls.clear()
    result = reporter_handler.handler(state_change("churn", "InProgress", "Starting"), Context())
    assert result["outcome"] == "written"
    assert dict(pipeline.recorder.calls) == {"sagemaker.DescribeAutoMLJob": 1, "dynamodb.TransactWriteItems": 1}


def test_v2_job_is_described_by_the_v2_api_and_remembered(pipeline):
    pipeline.use("handlers.reporter.handler")
    reporter_handler.handler(state_change("forecast", "InProgress", "Starting"), Context())
    assert pipeline.recorder.calls["sagemaker.DescribeAutoMLJob"] == 1
    assert pipeline.recorder.calls["sagemaker.DescribeAutoMLJobV2"] == 1
    pipeline.recorder.calls.clear()
    reporter_handler.handler(state_change("forecast", "InProgress", "Starting"), Context())
    assert dict(pipeline.recorder.calls)["sagemaker.DescribeAutoMLJobV2"] == 1
    assert "sagemaker.DescribeAutoMLJob" not in pipeline.recorder.calls
    assert stored_report("forecast").api == "v2"


def test_malformed_event_is_logged_with_its_id_and_writes_nothing(pipeline, capsys):
    pipeline.use("handlers.reporter.handler")
    event = state_change("churn")
    event["detail"]["AutoMLJobStatus"] = None
    result = reporter_handler.handler(event, Context())
    assert result == {"outcome": "invalid"}
    logged = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    error = next(line for line in logged if line.get("message") == "invalid state change event")
    assert error["event_id"] == event["id"] and error["job_name"] == "churn"
    assert pipeline.recorder.calls == {}


def test_unknown_job_is_logged_and_skipped(pipeline, capsys):
    pipeline.use("handlers.reporter.handler")
    result = reporter_handler.handler(state_change("ghost"), Context())
    assert result["outcome"] == "not_found"
    logged = capsys.readouterr().out
    assert "job not found, skipped" in logged and "ghost" in logged


def test_watcher_publishes_each_change_once_and_advances_the_watermark(pipeline):
    pipeline.use("handlers.watcher.handler")
    first = watcher_handler.handler({"trigger": "schedule"}, Context())
    again = watcher_handler.handler({"trigger": "schedule"}, Context())

    assert first["listed"] == 2 and first["published"] == 2
    # The reporter has not recorded them yet: still news, and the reporter's queue is empty, so they can
    # no longer be waiting there (lost on the way): published again, after one look at the queue.
    assert again["published"] == 2
    assert pipeline.recorder.calls["sqs.GetQueueAttributes"] == 1
    assert pipeline.recorder.calls["sagemaker.ListAutoMLJobs"] == 2
    assert first["watermark"] == "2025-05-01T10:00:00+00:00"  # held at the oldest change not yet stored
    assert pipeline.recorder.calls["events.PutEvents"] == 2

    boto3.client("sqs", region_name=REGION).send_message(
        QueueUrl=pipeline.stack.function_by_handler("handlers.watcher.handler").environment["REPORT_QUEUE_URL"],
        MessageBody="{}",
    )  # one message waits: one of the two may still be there, the older one goes out again
    assert watcher_handler.handler({"trigger": "schedule"}, Context())["published"] == 1


def test_watcher_rejects_an_unknown_invocation(pipeline, capsys):
    pipeline.use("handlers.watcher.handler")
    assert watcher_handler.handler({"hello": "world"}, Context()) == {"outcome": "invalid"}
    assert "invalid watcher invocation" in capsys.readouterr().out


def test_watcher_takes_a_cloudtrail_nudge_and_a_backfill(pipeline):
    pipeline.use("handlers.watcher.handler")
    nudge = complete_envelope(
        {
            "id": "ct-1",
            "time": "2025-05-01T10:00:00Z",
            "region": REGION,
            "source": "aws.sagemaker",
            "detail-type": "AWS API Call via CloudTrail",
            "detail": {"eventName": "CreateAutoMLJob", "requestParameters": {"autoMLJobName": "churn"}},
        }
    )
    assert watcher_handler.handler(nudge, Context())["published"] == 2
    backfill = {"backfill": {"start": "2025-05-01T00:00:00Z", "end": "2025-05-02T00:00:00Z", "force": True}}
    imported = watcher_handler.handler(backfill, Context())
    assert (imported["published"], imported["status"], imported["pieces"]) == (2, "done", 1)
    progress = DynamoDBReportStore(pipeline.table_name).get_import_progress(imported["import_id"])
    assert progress.jobs_seen == 2


def emitted_metrics(stdout: str) -> dict[str, float]:
    metrics: dict[str, float] = {}
    for line in stdout.splitlines():
        if '"_aws"' not in line:
            continue
        body = json.loads(line)
        for definition in body["_aws"]["CloudWatchMetrics"][0]["Metrics"]:
            metrics[definition["Name"]] = sum(body[definition["Name"]])
    return metrics


def test_metrics_count_reports_notifications_and_explainability_states(pipeline, capsys):
    pipeline.simulator.tick = 1
    pipeline.use("handlers.reporter.handler")
    reporter_handler.handler(state_change("churn"), Context())
    metrics = emitted_metrics(capsys.readouterr().out)
    assert metrics == {"ReportsWritten": 1, "NotificationsClaimed": 1, "Explainability_available": 1}
    pipeline.use("handlers.notifier.handler")
    notifier_handler.handler(pipeline.stream_event(), Context())
    assert emitted_metrics(capsys.readouterr().out) == {"StreamRecordsReceived": 1, "NotificationsSent": 1}


def test_oversized_analysis_is_recorded_as_an_error_and_still_reported(pipeline):
    pipeline.simulator.tick = 1
    pipeline.use("handlers.reporter.handler")
    pipeline.monkeypatch.setenv("ANALYSIS_MAX_BYTES", "1024")
    get_settings.cache_clear()
    s3 = boto3.client("s3", region_name=REGION)
    key = PREFIX[len("s3://outputs/") :] + "/analysis.json"
    s3.put_object(Bucket="outputs", Key=key, Body=b'{"version": "1.0", "pad": "' + b"x" * 4096 + b'"}')

    assert reporter_handler.handler(state_change("churn"), Context())["outcome"] == "claimed"

    record = stored_report("churn")
    assert record.explainability.state == "error"
    assert "over the 1024-byte cap" in record.explainability.reason
    assert "s3.GetObject" not in pipeline.recorder.calls  # refused from the listing, never read
