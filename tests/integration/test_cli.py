"""The query CLI against the table on moto: every command answers from GetItem or Query."""

import json

import boto3
import pytest

from autopilot_reports import cli
from autopilot_reports.adapters.dynamodb import DynamoDBReportStore
from tests.integration.conftest import REGION, CallRecorder
from tests.integration.test_dynamodb_store import NOTIFIED, record, save


@pytest.fixture
def seeded(table_name):
    store = DynamoDBReportStore(table_name, dynamodb=boto3.client("dynamodb", region_name=REGION))
    save(store, record("churn", minutes=1))
    save(
        store,
        record("churn", "Completed", "Completed", minutes=9, partial=["1 candidate failed"], notified=NOTIFIED),
        claim=True,
    )
    save(store, record("fraud", "Failed", "Failed", minutes=5, notified=NOTIFIED), claim=True)
    return table_name


@pytest.fixture
def recorder(monkeypatch):
    recorder = CallRecorder()
    real = DynamoDBReportStore.client.fget

    def counted(self):
        client = real(self)
        client.meta.events.unregister("before-call", recorder._count)
        client.meta.events.register("before-call", recorder._count)
        return client

    monkeypatch.setattr(DynamoDBReportStore, "client", property(counted))
    return recorder


def run(capsys, *args):
    code = cli.main(list(args))
    return code, [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_every_query(seeded, capsys, recorder):
    since = ("--since", "2025-06-01T00:00:00Z", "--until", "2025-06-02T00:00:00Z")
    assert run(capsys, "--table", seeded, "report", "churn")[1][0]["status"] == "Completed"
    assert [h["secondary_status"] for h in run(capsys, "--table", seeded, "history", "churn")[1]] == [
        "Starting",
        "Completed",
    ]
    assert [r["job_name"] for r in run(capsys, "--table", seeded, "by-status", "Failed", *since)[1]] == ["fraud"]
    assert [r["job_name"] for r in run(capsys, "--table", seeded, "partial-failures", *since)[1]] == ["churn"]
    assert [r["job_name"] for r in run(capsys, "--table", seeded, "recent", "--limit", "1")[1]] == ["churn"]
    assert {name.split(".")[1] for name in recorder.calls} <= {"GetItem", "Query"}


def test_unknown_job_exits_non_zero(seeded, capsys):
    assert cli.main(["--table", seeded, "report", "ghost"]) == 1
    assert "no report for ghost" in capsys.readouterr().err
