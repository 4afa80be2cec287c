"""The report table on moto, with the production key schema: conditional writes, claims and queries."""

from datetime import UTC, datetime, timedelta

import boto3
import pytest

from autopilot_reports.adapters.dynamodb import DynamoDBReportStore
from autopilot_reports.domain.ports import Saved
from autopilot_reports.models.record import Explainability, HistoryEntry, ReportRecord
from tests.integration.conftest import REGION, CallRecorder

T0 = datetime(2025, 6, 1, 8, 0, tzinfo=UTC)
NOTIFIED = datetime(2030, 1, 1, tzinfo=UTC)


def record(name="churn", status="InProgress", secondary="Starting", minutes=0, partial=(), notified=None):
    return ReportRecord(
        job_name=name,
        job_arn=f"arn:aws:sagemaker:us-east-1:123456789012:automl-job/{name}",
        api="v1",
        status=status,
        secondary_status=secondary,
        explainability=Explainability(state="pending" if status == "InProgress" else "missing", reason="r"),
        partial_failures=list(partial),
        created_at=T0,
        last_modified_at=T0 + timedelta(minutes=minutes),
        notified_at=notified,
    )


def save(store, rec, claim=False):
    return store.save_report(rec, HistoryEntry.of(rec, "schedule"), claim_notification=claim)


@pytest.fixture
def store(table_name):
    client = boto3.client("dynamodb", region_name=REGION)
    recorder = CallRecorder()
    recorder.attach(client)
    store = DynamoDBReportStore(table_name, dynamodb=client)
    store.recorder = recorder
    return store


def test_newer_states_replace_older_ones_and_history_grows_once_per_transition(store):
    assert save(store, record()) is Saved.WRITTEN
    assert save(store, record(secondary="ModelTuning", minutes=5)) is Saved.WRITTEN
    assert save(store, record(minutes=0)) is Saved.UNCHANGED  # late, older event
    assert save(store, record(secondary="ModelTuning", minutes=5)) is Saved.UNCHANGED  # replay

    assert store.get_report("churn").secondary_status == "ModelTuning"
    assert [entry.secondary_status for entry in store.history("churn")] == ["Starting", "ModelTuning"]


def test_terminal_notification_is_claimed_once(store):
    done = record(status="Completed", secondary="Completed", minutes=30, notified=NOTIFIED)
    assert save(store, done, claim=True) is Saved.CLAIMED
    assert save(store, done, claim=True) is Saved.UNCHANGED
    assert store.get_report("churn").notified_at == NOTIFIED


def test_released_claim_can_be_claimed_again(store):
    done = record(status="Completed", secondary="Completed", minutes=30, notified=NOTIFIED)
    save(store, done, claim=True)
    store.release_notification("churn", NOTIFIED)
    assert store.get_report("churn").notified_at is None
    assert save(store, done, claim=True) is Saved.CLAIMED


def test_terminal_state_changing_after_notification_is_written_without_a_new_claim(store):
    save(store, record(status="Completed", secondary="Completed", minutes=30, notified=NOTIFIED), claim=True)
    later = record(status="Completed", secondary="ExplainabilityError", minutes=40, notified=datetime.now(UTC))
    assert save(store, later, claim=True) is Saved.WRITTEN
    stored = store.get_report("churn")
    assert stored.secondary_status == "ExplainabilityError"
    assert stored.notified_at == NOTIFIED


def test_status_breaks_ties_at_equal_modification_times(store):
    save(store, record(status="Stopping", secondary="Stopping", minutes=10))
    assert save(store, record(status="InProgress", secondary="ModelTuning", minutes=10)) is Saved.UNCHANGED
    assert save(store, record(status="Stopped", secondary="Stopped", minutes=10)) is Saved.WRITTEN


def test_errors_are_recorded_only_on_existing_records(store, table_name):
    store.record_error("ghost", "not found")
    save(store, record())
    store.record_error("churn", "SageMaker does not know this job")
    item = boto3.client("dynamodb", region_name=REGION).get_item(
        TableName=table_name, Key={"pk": {"S": "JOB#churn"}, "sk": {"S": "REPORT"}}
    )["Item"]
    assert item["last_error"]["S"] == "SageMaker does not know this job"
    assert store.get_report("ghost") is None


def test_watermark_only_moves_forward(store):
    assert store.get_watermark() is None
    store.advance_watermark(T0 + timedelta(hours=1))
    store.advance_watermark(T0)
    assert store.get_watermark() == T0 + timedelta(hours=1)


def test_known_states_batches_beyond_one_hundred_keys(store):
    for index in range(130):
        save(store, record(name=f"job-{index:03d}", minutes=index))
    states = store.known_states([f"job-{index:03d}" for index in range(130)] + ["unknown"])
    assert len(states) == 130
    assert states["job-129"].secondary_status == "Starting"
    assert store.recorder.calls["dynamodb.BatchGetItem"] == 2


def test_queries_use_indexes_never_scan(store):
    save(store, record("a", "Completed", "Completed", minutes=10, notified=NOTIFIED), claim=True)
    save(store, record("b", "Failed", "Failed", minutes=20, partial=["disk full"], notified=NOTIFIED), claim=True)
    save(store, record("c", "Completed", "Completed", minutes=200, partial=["x"], notified=NOTIFIED), claim=True)
    save(store, record("d", "InProgress", "Starting", minutes=30))

    window = (T0, T0 + timedelta(hours=1))
    assert [r.job_name for r in store.by_status("Completed", *window)] == ["a"]
    assert [r.job_name for r in store.by_status("Completed", T0, T0 + timedelta(days=1))] == ["a", "c"]
    assert [r.job_name for r in store.with_partial_failures(*window)] == ["b"]
    assert [r.job_name for r in store.recent(limit=3)] == ["c", "d", "b"]
    assert len(store.history("b")) == 1
    assert store.get_report("a").status == "Completed"

    # partial failures cleared by a newer state leave the sparse index
    save(store, record("b", "Failed", "Failed", minutes=25, notified=NOTIFIED), claim=True)
    assert store.with_partial_failures(*window) == []

    used = {name.split(".")[1] for name in store.recorder.calls}
    assert "Scan" not in used
    assert used <= {"Query", "GetItem", "BatchGetItem", "TransactWriteItems", "UpdateItem"}


def test_worst_case_record_fits_far_below_the_item_limit(store, table_name):
    from autopilot_reports.models.record import FeatureImportance

    worst = record("w" * 32, "Completed", "Completed", minutes=5, partial=["p" * 1024] * 5, notified=NOTIFIED)
    worst = worst.model_copy(
        update={
            "failure_reason": "f" * 1024,
            "explainability": Explainability(
                state="available",
                s3_prefix="s3://b/" + "k" * 1000,
                feature_count=100_000,
                labels=["l"] * 50,
                top_features=[FeatureImportance(feature="n" * 500, importance=0.1)] * 10,
                artifacts={name: "s3://b/" + "k" * 1000 for name in ("analysis", "report_pdf", "report_html")},
            ),
        }
    )
    assert save(store, worst, claim=True) is Saved.CLAIMED
    item = boto3.client("dynamodb", region_name=REGION).get_item(
        TableName=table_name, Key={"pk": {"S": "JOB#" + "w" * 32}, "sk": {"S": "REPORT"}}
    )["Item"]
    size = sum(len(name) + len(next(iter(value.values()))) for name, value in item.items())
    assert size < 40 * 1024  # a tenth of DynamoDB's 400 KB


def test_progress_decides_between_states_with_the_same_modification_time(store):
    save(store, record(secondary="Starting", minutes=3))
    assert save(store, record(secondary="ModelTuning", minutes=3)) is Saved.WRITTEN
    assert save(store, record(secondary="AnalyzingData", minutes=3)) is Saved.UNCHANGED
    assert store.get_report("churn").secondary_status == "ModelTuning"
