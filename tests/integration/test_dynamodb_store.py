"""The report table on moto, with the production key schema: conditional writes, claims and queries."""

import json
from datetime import timedelta

import boto3
import pytest

from autopilot_reports.adapters import dynamodb_items as items
from autopilot_reports.adapters.dynamodb_items import KeyScope
from autopilot_reports.adapters.dynamodb_queries import ReportQueries
from autopilot_reports.adapters.dynamodb_store import DynamoDBReportStore
from autopilot_reports.domain.ports import Saved
from autopilot_reports.models.record import (
    Explainability,
    FeatureImportance,
    LeaderboardEntry,
    Objective,
)
from tests.integration.conftest import REGION, CallRecorder
from tests.integration.test_store_contract import ELSEWHERE, NOTIFIED, T0, record, save
from testsupport.fakes import PLACE, job_ref


@pytest.fixture
def store(table_name):
    client = boto3.client("dynamodb", region_name=REGION)
    recorder = CallRecorder()
    recorder.attach(client)
    store = DynamoDBReportStore(table_name, dynamodb=client)
    store.recorder = recorder
    return store


@pytest.fixture
def queries(store):
    """The CLI's reads of the same table, through the same client (and call recorder)."""
    return ReportQueries(store.table_name, dynamodb=store.client)


def test_history_grows_once_per_transition(store, queries):
    assert save(store, record()) is Saved.WRITTEN
    assert save(store, record(secondary="ModelTuning", minutes=5)) is Saved.WRITTEN
    assert save(store, record(secondary="ModelTuning", minutes=5)) is Saved.UNCHANGED  # replay
    assert [entry.secondary_status for entry in queries.history("churn")] == ["Starting", "ModelTuning"]


def test_the_record_is_stored_as_native_attributes(store, queries, table_name):
    store.begin_watch(T0)
    rich = record("rich", "Completed", "Completed", minutes=30, partial=["disk full"], notified=NOTIFIED)
    rich = rich.model_copy(
        update={
            "objective": Objective(metric="F1", type="Maximize", value=0.91),
            "explainability": Explainability(
                state="available",
                s3_prefix="s3://b/p",
                top_features=[FeatureImportance(feature="age", importance=0.25)],
                feature_count=1,
                labels=["label0"],
                artifacts={"analysis": "s3://b/p/analysis.json"},
            ),
            "leaderboard": [LeaderboardEntry(candidate="c1", objective=Objective(metric="F1", value=0.91))],
        }
    )
    assert save(store, rich, claim=True) is Saved.CLAIMED
    item = boto3.client("dynamodb", region_name=REGION).get_item(
        TableName=table_name, Key={"pk": {"S": "JOB#rich"}, "sk": {"S": "REPORT"}}
    )["Item"]
    assert item["objective"]["M"]["value"] == {"N": "0.91"}
    assert item["explainability"]["M"]["top_features"]["L"][0]["M"]["feature"] == {"S": "age"}
    assert item["explainability"]["M"]["state"] == {"S": "available"}
    assert item["partial_failures"] == {"L": [{"S": "disk full"}]}
    assert item["leaderboard"]["L"][0]["M"]["candidate"] == {"S": "c1"}
    assert item["failure_reason"] == {"NULL": True}
    assert item["notified_at"] == {"S": "2030-01-01T00:00:00.000Z"}
    assert (item["account_id"], item["region"]) == ({"S": "123456789012"}, {"S": "us-east-1"})  # from the ARN
    assert "report_json" not in item
    assert queries.get_report("rich") == rich
    history = queries.history("rich")[0]
    assert history.status == "Completed" and history.partial_failure_count == 1


def test_errors_are_recorded_only_on_existing_records(store, queries, table_name):
    store.record_error(job_ref("ghost"), "not found")
    save(store, record())
    store.record_error(job_ref("churn"), "SageMaker does not know this job")
    item = boto3.client("dynamodb", region_name=REGION).get_item(
        TableName=table_name, Key={"pk": {"S": "JOB#churn"}, "sk": {"S": "REPORT"}}
    )["Item"]
    assert item["last_error"]["S"] == "SageMaker does not know this job"
    assert queries.get_report("ghost") is None


def test_known_states_batches_beyond_one_hundred_keys(store):
    # The records as the reporter stores them, written in batches (130 transactions cost minutes on moto).
    latest = [
        {**items.record_attributes(rec), **items.report_key(rec.job_name)}
        for rec in (record(name=f"job-{index:03d}", minutes=index) for index in range(130))
    ]
    for start in range(0, len(latest), 25):
        store.client.batch_write_item(
            RequestItems={
                store.table_name: [{"PutRequest": {"Item": items.serialize(i)}} for i in latest[start : start + 25]]
            }
        )
    states = store.known_states([job_ref(f"job-{index:03d}") for index in range(130)] + [job_ref("unknown")]).jobs
    assert len(states) == 130
    assert states[job_ref("job-129")].secondary_status == "Starting"
    assert store.recorder.calls["dynamodb.BatchGetItem"] == 2


def test_queries_use_indexes_never_scan(store, queries):
    store.begin_watch(T0)
    save(store, record("a", "Completed", "Completed", minutes=10, notified=NOTIFIED), claim=True)
    save(store, record("b", "Failed", "Failed", minutes=20, partial=["disk full"], notified=NOTIFIED), claim=True)
    save(store, record("c", "Completed", "Completed", minutes=200, partial=["x"], notified=NOTIFIED), claim=True)
    save(store, record("d", "InProgress", "Starting", minutes=30))

    window = (T0, T0 + timedelta(hours=1))
    assert [r.job_name for r in queries.by_status("Completed", *window)] == ["a"]
    assert [r.job_name for r in queries.by_status("Completed", T0, T0 + timedelta(days=1))] == ["a", "c"]
    assert [r.job_name for r in queries.with_partial_failures(*window)] == ["b"]
    assert [r.job_name for r in queries.recent(limit=3)] == ["c", "d", "b"]
    assert len(queries.history("b")) == 1
    assert queries.get_report("a").status == "Completed"

    # partial failures cleared by a newer state leave the sparse index
    save(store, record("b", "Failed", "Failed", minutes=25, notified=NOTIFIED), claim=True)
    assert queries.with_partial_failures(*window) == []

    used = {name.split(".")[1] for name in store.recorder.calls}
    assert "Scan" not in used
    assert used <= {"Query", "GetItem", "BatchGetItem", "TransactWriteItems", "UpdateItem"}


def test_a_claim_for_a_job_that_ended_before_the_watch_costs_a_second_write_only_off_the_hot_path(store):
    store.begin_watch(T0)
    before = store.recorder.calls["dynamodb.TransactWriteItems"]
    save(store, record("new", "Completed", "Completed", minutes=30, notified=NOTIFIED), claim=True)
    assert store.recorder.calls["dynamodb.TransactWriteItems"] - before == 1  # the hot path: one write
    save(store, record("old", "Completed", "Completed", minutes=-30, notified=NOTIFIED), claim=True)
    assert store.recorder.calls["dynamodb.TransactWriteItems"] - before == 3  # history import: two


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
    store.begin_watch(T0)
    assert save(store, worst, claim=True) is Saved.CLAIMED
    item = boto3.client("dynamodb", region_name=REGION).get_item(
        TableName=table_name, Key={"pk": {"S": "JOB#" + "w" * 32}, "sk": {"S": "REPORT"}}
    )["Item"]
    assert len(json.dumps(item)) < 40 * 1024  # an upper bound of the item's size: a tenth of DynamoDB's 400 KB


def test_an_organizations_table_answers_for_each_job_of_one_name_by_its_place(store, table_name):
    """The CLI's reads in an organization's table (a hub's, later): a job is its name and its place."""
    hub = DynamoDBReportStore(table_name, dynamodb=store.client, scope=KeyScope.ORGANIZATION)
    reads = ReportQueries(table_name, dynamodb=store.client, scope=KeyScope.ORGANIZATION)
    ours, theirs = record(minutes=5), record(secondary="ModelTuning", minutes=1, place=ELSEWHERE)
    assert save(hub, ours) is Saved.WRITTEN
    assert save(hub, theirs) is Saved.WRITTEN
    assert reads.get_report("churn", PLACE) == ours
    assert reads.get_report("churn", ELSEWHERE) == theirs
    assert [entry.secondary_status for entry in reads.history("churn", ELSEWHERE)] == ["ModelTuning"]
    assert {(r.account_id, r.region) for r in reads.recent()} == {
        (PLACE.account, PLACE.region),
        ("210987654321", "eu-west-1"),
    }
    with pytest.raises(ValueError, match="account and region"):
        reads.get_report("churn")
