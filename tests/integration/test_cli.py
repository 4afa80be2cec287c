"""`autopilot-reports` against the table on moto, in process (a real process where a pipe matters):
every command in every output form, options before or after the command, exact filters, layouts that
fit 80 columns, one-line errors with their own exit codes whatever the input, and only GetItem/Query
on the table."""

from __future__ import annotations

import importlib
import io
import json
import os
import re
import shlex
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from importlib import metadata
from pathlib import Path
from types import SimpleNamespace

import boto3
import pytest
from moto.server import ThreadedMotoServer
from rich.cells import cell_len
from rich.console import Console

import autopilot_reports
from autopilot_reports.adapters import dynamodb_items as items
from autopilot_reports.adapters.dynamodb_queries import ReportQueries
from autopilot_reports.adapters.dynamodb_store import DynamoDBReportStore
from autopilot_reports.cli import commands, importing, main, options, render
from autopilot_reports.cli.aws import Aws
from autopilot_reports.cli.columns import FAMILY_COLUMNS, HISTORY_COLUMNS, IMPORT_COLUMNS, RECORD_COLUMNS, SPOKE_COLUMNS
from autopilot_reports.cli.errors import EXIT_CODES, ExitCode
from autopilot_reports.domain.family import FamilyUpdate, family_of
from autopilot_reports.domain.links import report_links
from autopilot_reports.models.events import ImportProgress, ImportRequest
from autopilot_reports.models.record import (
    CandidateMetric,
    Explainability,
    FamilyBest,
    FeatureImportance,
    HistoryEntry,
    JobArtifacts,
    LeaderboardEntry,
    Objective,
    ReportRecord,
)
from tests.integration.conftest import REGION, CallRecorder

main_module = importlib.import_module("autopilot_reports.cli.main")  # the package's `main` is the function
T0 = datetime(2025, 6, 1, 8, 0, tzinfo=UTC)
WINDOW = ("--since", "2025-06-01", "--until", "2025-06-01")  # the whole day
PDF = "s3://bucket/churn/explain/report.pdf"
HTML = "s3://bucket/churn/explain/report.html"
F1 = Objective(metric="F1", type="Maximize", value=0.875, standard_metric="F1", direction="Maximize")


def record(
    name: str,
    status: str = "Completed",
    minutes: int = 0,
    partial: tuple[str, ...] = (),
    at: datetime = T0,
    rich: bool = False,
    secondary: str | None = None,
) -> ReportRecord:
    terminal = status in ("Completed", "Failed", "Stopped")
    extra: dict[str, object] = {}
    if rich:
        extra = {
            "problem_type": "BinaryClassification",
            "objective": F1,
            "best_candidate": f"{name}-best",
            "explainability": Explainability(
                state="available",
                s3_prefix="s3://bucket/churn/explain/",
                top_features=[
                    FeatureImportance(feature="tenure", importance=0.5),
                    FeatureImportance(feature="monthly_charges", importance=0.25),
                ],
                feature_count=7,
                labels=["label0"],
                artifacts={"report_pdf": PDF, "report_html": HTML},
            ),
            "leaderboard": [
                LeaderboardEntry(candidate=f"{name}-best", objective=F1),
                LeaderboardEntry(candidate=f"{name}-second", objective=F1.model_copy(update={"value": 0.8})),
            ],
        }
    else:
        extra = {"explainability": Explainability(state="missing" if terminal else "pending", reason="no location")}
    if status == "Failed":
        extra["failure_reason"] = "ClientError: the target column has one value"
    return ReportRecord(
        job_name=name,
        job_arn=f"arn:aws:sagemaker:{REGION}:123456789012:automl-job/{name}",
        api="v1",
        status=status,
        secondary_status=secondary or status,
        partial_failures=list(partial),
        created_at=at - timedelta(hours=1),
        ended_at=at + timedelta(minutes=minutes) if terminal else None,
        last_modified_at=at + timedelta(minutes=minutes),
        duration_seconds=3600 + minutes * 60 if terminal else None,
        family=family_of(name),
        **extra,  # type: ignore[arg-type]
    )


def save(store: DynamoDBReportStore, rec: ReportRecord) -> None:
    """The record and its history item as the reporter stores them, put without a transaction (moto copies
    its whole table for each one; the CLI only reads what is there)."""
    latest = {**items.record_attributes(rec), **items.report_key(rec.job_name)}
    for item in (latest, items.history_attributes(HistoryEntry.of(rec, "schedule"))):
        store.client.put_item(TableName=store.table_name, Item=items.serialize(item))


def save_family(
    store: DynamoDBReportStore,
    family: str,
    jobs: int,
    best: tuple[str, float] | None = None,
    metric: str | None = "F1",
    direction: str | None = "Maximize",
) -> None:
    """A family's item as the report's transaction leaves it: its best (if any) and its number of jobs."""
    item = {**items.family_key(family), **items.family_index_attributes(family), "jobs": jobs}
    if best is not None:
        item |= {"best_job": best[0], "best_value": best[1], "best_metric": metric, "direction": direction}
    store.client.put_item(TableName=store.table_name, Item=items.serialize(item))


@pytest.fixture
def store(table_name):
    return DynamoDBReportStore(table_name, dynamodb=boto3.client("dynamodb", region_name=REGION))


def reads(store: DynamoDBReportStore) -> ReportQueries:
    """What the CLI reads of the store's table."""
    return ReportQueries(store.table_name, dynamodb=store.client)


@pytest.fixture
def seeded(store):
    save(store, record("churn", "InProgress", minutes=1, secondary="Starting"))
    save(store, record("churn", minutes=9, partial=("1 candidate failed: OOM",), rich=True))
    save(store, record("churn-v2", minutes=20))
    save(store, record("fraud", "Failed", minutes=5))
    save(store, record("fraud-old", "Failed", minutes=5, at=T0 - timedelta(days=3)))
    save(store, record("scoring", "Failed", minutes=30, partial=("2 candidates failed",)))
    save(store, record("pricing", "InProgress", minutes=40, secondary="ModelTuning"))
    save_family(store, "fraud", 1)  # a failed job only: no best yet
    save_family(store, "churn", 1, ("churn", 0.875))
    return store


@pytest.fixture
def recorder(monkeypatch):
    """Counts every AWS call the CLI's clients make."""
    recorder = CallRecorder()
    real_client = boto3.Session.client

    def counted(self, *args, **kwargs):
        client = real_client(self, *args, **kwargs)
        recorder.attach(client)
        return client

    monkeypatch.setattr(boto3.Session, "client", counted)
    return recorder


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def lines(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines()]


def names(out: str) -> list[str]:
    return [row["job_name"] for row in lines(out)]


# --- show ------------------------------------------------------------------------------------------------


def test_show_json_prints_the_record_contract(seeded, capsys):
    code, out, err = run(capsys, "--table", seeded.table_name, "show", "churn", "--json")

    assert (code, err) == (0, "")
    assert json.loads(out) == reads(seeded).get_report("churn").model_dump(mode="json")
    assert len(out.splitlines()) == 1


def test_json_may_also_come_before_the_command(seeded, capsys):
    code, out, _ = run(capsys, "--table", seeded.table_name, "--json", "show", "churn")
    assert code == 0
    assert json.loads(out)["job_name"] == "churn"


def test_show_readable_report(seeded, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    code, out, _ = run(capsys, "--table", seeded.table_name, "show", "churn", "--output", "table")

    assert code == 0
    for expected in (
        "churn",
        "Completed",
        "BinaryClassification",
        "F1 = 0.875 (Maximize)",
        "churn-best",
        "Top features (2 of 7; labels label0)",
        "tenure",
        "█" * 32,  # the top feature fills the bar
        "█" * 16 + " ",  # half as important, half the bar
        "Partial failures (1)",
        "1 candidate failed: OOM",
        "Leaderboard",
        "churn-second",
        f"https://{REGION}.console.aws.amazon.com/sagemaker/home?region={REGION}#/automl-jobs/churn",
        f"https://{REGION}.console.aws.amazon.com/s3/object/bucket?region={REGION}&prefix=churn/explain/report.pdf",
        f"https://{REGION}.console.aws.amazon.com/s3/object/bucket?region={REGION}&prefix=churn/explain/report.html",
    ):
        assert expected in out, expected
    assert "{" not in out  # not JSON


def test_show_readable_failed_job_names_its_failure(seeded, capsys):
    code, out, _ = run(capsys, "--table", seeded.table_name, "--output", "table", "show", "fraud")
    assert code == 0
    assert "Failure reason: ClientError: the target column has one value" in out
    assert "Top features" not in out


# --- history ---------------------------------------------------------------------------------------------


def test_history_json_lists_every_transition_oldest_first(seeded, capsys):
    code, out, _ = run(capsys, "--table", seeded.table_name, "history", "churn", "--json")

    assert code == 0
    assert [(row["status"], row["secondary_status"]) for row in lines(out)] == [
        ("InProgress", "Starting"),
        ("Completed", "Completed"),
    ]
    assert lines(out) == [entry.model_dump(mode="json") for entry in reads(seeded).history("churn")]


def test_history_readable(seeded, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    code, out, _ = run(capsys, "--table", seeded.table_name, "history", "churn", "--output", "table")
    assert code == 0
    assert "History of churn (2 transitions)" in out
    assert "InProgress / Starting" in out
    assert "2025-06-01T08:09:00.000Z" in out


# --- list ------------------------------------------------------------------------------------------------


def test_list_by_status_in_a_time_range(seeded, capsys):
    code, out, _ = run(capsys, "--table", seeded.table_name, "list", "--status", "Failed", *WINDOW, "--json")
    assert code == 0
    assert names(out) == ["scoring", "fraud"]  # newest first; fraud-old is three days earlier


def test_list_time_range_is_exact_to_the_millisecond(seeded, capsys):
    exact = ("--since", "2025-06-01T08:05:00Z", "--until", "2025-06-01T08:20:00.000Z")
    code, out, _ = run(capsys, "--table", seeded.table_name, "list", *exact, "--json")
    assert code == 0
    assert names(out) == ["churn-v2", "churn", "fraud"]  # modified at 08:20, 08:09, 08:05


def test_list_partial_failures(seeded, capsys):
    code, out, _ = run(capsys, "--table", seeded.table_name, "list", "--partial-failures", *WINDOW, "--json")
    assert code == 0
    assert names(out) == ["scoring", "churn"]

    code, out, _ = run(
        capsys, "--table", seeded.table_name, "list", "--partial-failures", "--status", "Completed", *WINDOW, "--json"
    )
    assert names(out) == ["churn"]


def test_list_prefix_and_limit(seeded, capsys):
    table = seeded.table_name
    assert names(run(capsys, "--table", table, "list", "--prefix", "churn", *WINDOW, "--json")[1]) == [
        "churn-v2",
        "churn",
    ]
    assert names(run(capsys, "--table", table, "list", "--limit", "2", *WINDOW, "--json")[1]) == ["pricing", "scoring"]
    every = names(run(capsys, "--table", table, "list", "--since", "2025-05-01", "--until", "2025-06-02", "--json")[1])
    assert every == ["pricing", "scoring", "churn-v2", "churn", "fraud", "fraud-old"]


def test_list_without_since_shows_the_newest_jobs_whatever_their_age(store, capsys, recorder):
    now = datetime.now(UTC)
    save(store, record("today", at=now - timedelta(hours=1)))
    save(store, record("last-week", "Failed", at=now - timedelta(days=6)))
    save(store, record("last-year", at=now - timedelta(days=400)))
    save(store, record("ancient", "Failed", at=datetime(2019, 12, 3, tzinfo=UTC)))

    code, out, _ = run(capsys, "--table", store.table_name, "list", "--json")
    assert code == 0
    assert names(out) == ["today", "last-week", "last-year", "ancient"]
    assert recorder.calls == {"dynamodb.Query": 1}  # one Query on the recent index, newest first

    assert names(run(capsys, "--table", store.table_name, "list", "--limit", "2", "--json")[1]) == [
        "today",
        "last-week",
    ]
    # --status without --since: that index over all time, newest first, bounded by --limit
    assert names(run(capsys, "--table", store.table_name, "list", "--status", "Failed", "--json")[1]) == [
        "last-week",
        "ancient",
    ]
    recorder.calls.clear()
    failed = run(capsys, "--table", store.table_name, "list", "--status", "Failed", "--limit", "1", "--json")[1]
    assert names(failed) == ["last-week"]
    assert recorder.calls == {"dynamodb.Query": 1}  # the first window (a week) had enough: no more read
    assert names(run(capsys, "--table", store.table_name, "list", "--prefix", "last", "--json")[1]) == [
        "last-week",
        "last-year",
    ]
    assert names(run(capsys, "--table", store.table_name, "list", "--until", "2020-01-01", "--json")[1]) == ["ancient"]


def test_list_readable(seeded, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    code, out, _ = run(capsys, "--table", seeded.table_name, "list", "--status", "Failed", *WINDOW, "--output", "table")
    assert code == 0
    assert "2 jobs (Failed) modified 2025-06-01T00:00:00.000Z .. 2025-06-01T23:59:59.999Z" in out
    assert "scoring" in out and "fraud" in out and "fraud-old" not in out


def test_list_readable_says_when_the_limit_cuts(seeded, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    code, out, _ = run(capsys, "--table", seeded.table_name, "list", "--limit", "1", *WINDOW, "--output", "table")
    assert code == 0
    assert "(showing 1 of 5; see --limit)" in out


def test_an_empty_answer_says_where_it_looked_and_how_to_widen(seeded, capsys, monkeypatch):
    table = ("--table", seeded.table_name)
    code, out, err = run(capsys, *table, "list", "--status", "Failed", "--since", "2030-01-01")
    assert (code, out) == (0, "")  # text and json stay exactly their rows: the note goes to stderr
    assert err == (
        "autopilot-reports: 0 jobs (Failed) modified since 2030-01-01T00:00:00.000Z (index by_status); "
        "try an earlier --since\n"
    )
    code, out, _ = run(capsys, *table, "list", "--partial-failures", "--prefix", "zzz", "--output", "table")
    out = " ".join(out.split())  # a title wraps at spaces
    assert "0 jobs (all statuses, with partial failures, named zzz*) of any age (index by_partial_failure); " in out
    assert "try without --partial-failures/--prefix" in out
    code, out, err = run(capsys, *table, "list", "--since", "2025-01-01", "--until", "2025-01-31", "--json")
    assert out == "" and "try an earlier --since or a later --until" in err


def test_an_empty_table_says_so(table_name, capsys):
    code, out, err = run(capsys, "--table", table_name, "list", "--output", "table")
    assert (code, err) == (0, "")
    assert "0 jobs (all statuses) of any age (index recent): the table has no reports yet" in out


def test_every_read_is_a_get_item_or_a_query(seeded, capsys, recorder, tmp_path):
    table = seeded.table_name
    for args in (
        ("show", "churn"),
        ("history", "churn"),
        ("history", "ghost"),
        ("list", *WINDOW),
        ("list", "--status", "Failed", *WINDOW),
        ("list", "--partial-failures", *WINDOW),
        ("list",),
        ("list", "--prefix", "fr", "--status", "Failed"),
        ("show", "churn", "--wait"),
        ("families",),
        ("list", "--family", "churn"),
        ("report", "churn", "-o", str(tmp_path / "churn.html")),
        ("dashboard", *WINDOW, "-o", str(tmp_path / "dashboard.html")),
    ):
        run(capsys, "--table", table, *args)
    assert recorder.calls
    assert {name for name in recorder.calls} <= {"dynamodb.GetItem", "dynamodb.Query"}


# --- the stack's outputs ---------------------------------------------------------------------------------


def create_stack(table: str, bus: str = "bus", name: str = "AutopilotReports") -> None:
    template = {
        "Resources": {"Queue": {"Type": "AWS::SQS::Queue"}},
        "Outputs": {"ReportsTableName": {"Value": table}, "EventBusName": {"Value": bus}},
    }
    boto3.client("cloudformation", region_name=REGION).create_stack(StackName=name, TemplateBody=json.dumps(template))


def test_the_table_comes_from_the_stack_outputs(seeded, capsys):
    create_stack(seeded.table_name, name="Reports-prod")
    code, out, _ = run(capsys, "--stack", "Reports-prod", "--region", REGION, "show", "churn", "--json")
    assert code == 0
    assert json.loads(out)["job_name"] == "churn"


def test_default_stack_name(seeded, capsys):
    create_stack(seeded.table_name)
    code, out, _ = run(capsys, "show", "churn", "--json")
    assert code == 0


# --- errors: one line each, their own exit code, never a traceback ----------------------------------------


def assert_error(result: tuple[int, str, str], code: ExitCode, text: str, out_empty: bool = True) -> None:
    exit_code, out, err = result
    assert exit_code == code, err
    assert out == "" or not out_empty
    assert text in err
    assert len(err.strip().splitlines()) == 1
    assert err.startswith("autopilot-reports: ")
    assert "Traceback" not in err


def test_no_such_job(seeded, capsys):
    table = seeded.table_name
    assert_error(run(capsys, "--table", table, "show", "ghost"), ExitCode.NO_JOB, "no report for job 'ghost'")
    assert_error(run(capsys, "--table", table, "history", "ghost", "--json"), ExitCode.NO_JOB, "'ghost'")


@pytest.mark.parametrize(
    "dates",
    [
        ("--since", "yesterday"),
        ("--until", "2025-13-01"),
        ("--since", "2025-06-02", "--until", "2025-06-01"),
    ],
)
def test_bad_dates(seeded, capsys, dates):
    result = run(capsys, "--table", seeded.table_name, "list", *dates)
    assert_error(result, ExitCode.BAD_DATE, "--")


def test_no_such_table(table_name, capsys):
    assert_error(run(capsys, "--table", "nope", "show", "churn"), ExitCode.NO_TABLE, "no table named 'nope'")
    assert_error(run(capsys, "--table", "nope", "list"), ExitCode.NO_TABLE, "no table named 'nope'")


def test_no_such_stack(table_name, capsys):
    assert_error(run(capsys, "--stack", "Missing", "show", "churn"), ExitCode.NO_STACK, "no stack named 'Missing'")


def test_stack_without_the_output(table_name, capsys):
    template = {"Resources": {"Queue": {"Type": "AWS::SQS::Queue"}}}
    boto3.client("cloudformation", region_name=REGION).create_stack(
        StackName="Other", TemplateBody=json.dumps(template)
    )
    assert_error(run(capsys, "--stack", "Other", "show", "x"), ExitCode.NO_STACK, "no output 'ReportsTableName'")


def test_any_other_aws_error(table_name, capsys):
    boto3.client("dynamodb", region_name=REGION).create_table(
        TableName="other-schema",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    result = run(capsys, "--table", "other-schema", "show", "churn")
    assert_error(result, ExitCode.AWS_ERROR, "AWS error in GetItem: ValidationException")


@pytest.fixture
def no_credentials(monkeypatch, tmp_path):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", raising=False)
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", raising=False)


def test_no_credentials(no_credentials, capsys):
    # No moto here: credentials are resolved (and found missing) before any connection is made.
    result = run(capsys, "--endpoint-url", "http://127.0.0.1:9", "--table", "t", "show", "churn")
    assert_error(result, ExitCode.NO_CREDENTIALS, "no AWS credentials found")


def test_unknown_profile(no_credentials, capsys):
    result = run(capsys, "--profile", "nobody", "--table", "t", "show", "churn")
    assert_error(result, ExitCode.NO_CREDENTIALS, "no AWS profile named 'nobody' (from --profile)")


def test_unknown_profile_from_the_environment(no_credentials, capsys, monkeypatch):
    monkeypatch.setenv("AWS_PROFILE", "nosuch")
    result = run(capsys, "--table", "t", "show", "churn")
    assert_error(result, ExitCode.NO_CREDENTIALS, "no AWS profile named 'nosuch' (from AWS_PROFILE)")


def test_no_region(table_name, capsys, monkeypatch, tmp_path):
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    result = run(capsys, "--table", table_name, "show", "churn")
    assert_error(result, ExitCode.USAGE, "no AWS region: pass --region or set AWS_REGION")


def test_aws_region_alone_is_enough(seeded, capsys, monkeypatch, tmp_path):
    """boto3 reads only AWS_DEFAULT_REGION; the SDKs and the AWS CLI v2 read AWS_REGION too."""
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    code, out, err = run(capsys, "--table", seeded.table_name, "show", "churn", "--json")
    assert (code, err) == (0, "")
    assert json.loads(out)["job_name"] == "churn"


# --- import-history --------------------------------------------------------------------------------------


START, END = datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 2, 1, tzinfo=UTC)
IMPORT_ID = ImportRequest(start=START, end=END).import_id


def progress(status: str, jobs_seen: int, pieces: int, cursor: datetime | None = None) -> ImportProgress:
    return ImportProgress(
        import_id=IMPORT_ID,
        start=START,
        end=END,
        status=status,  # type: ignore[arg-type]
        cursor=cursor,
        pieces=pieces,
        jobs_seen=jobs_seen,
        published=jobs_seen // 2,
        updated_at=T0,
    )


@pytest.fixture
def bus(table_name):
    """The stack's bus, with a rule that copies the import events to a queue we can read."""
    events = boto3.client("events", region_name=REGION)
    sqs = boto3.client("sqs", region_name=REGION)
    events.create_event_bus(Name="reports-bus")
    url = sqs.create_queue(QueueName="imports")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    pattern = {"source": ["autopilot-reports"], "detail-type": ["AutoML History Import"]}
    events.put_rule(Name="imports", EventBusName="reports-bus", EventPattern=json.dumps(pattern))
    events.put_targets(Rule="imports", EventBusName="reports-bus", Targets=[{"Id": "q", "Arn": arn}])
    create_stack(table_name, bus="reports-bus")

    def received() -> list[dict]:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        return [json.loads(message["Body"]) for message in messages]

    return received


@pytest.fixture
def import_progress(monkeypatch):
    """The watcher's progress item, as a script: get_import_progress answers these in turn (then the last)."""
    script: list[ImportProgress | None] = []

    def answer(self, import_id):
        assert import_id == IMPORT_ID
        return script.pop(0) if len(script) > 1 else script[0]

    monkeypatch.setattr(ReportQueries, "get_import_progress", answer, raising=False)
    return script


IMPORT = ("import-history", "--since", "2025-01-01", "--until", "2025-01-31", "--poll-interval", "0")


def test_import_history_puts_one_event_and_waits_until_done(bus, import_progress, capsys):
    import_progress[:] = [
        None,
        None,
        progress("running", 100, 1, cursor=datetime(2025, 1, 16, tzinfo=UTC)),
        progress("done", 150, 2),
    ]
    code, out, err = run(capsys, *IMPORT, "--output", "table")

    assert (code, err) == (0, "")
    [event] = bus()
    assert event["source"] == "autopilot-reports"
    assert event["detail-type"] == "AutoML History Import"
    assert event["detail"] == {"start": "2025-01-01T00:00:00.000Z", "end": "2025-02-01T00:00:00.000Z", "force": False}
    assert f"import {IMPORT_ID} done: 150 jobs seen, 75 published, 2 pieces" in out


def test_import_history_json_prints_the_final_progress(bus, import_progress, capsys):
    import_progress[:] = [None, progress("done", 3, 1)]
    code, out, _ = run(capsys, "--json", *IMPORT, "--force")

    assert code == 0
    assert json.loads(out) == progress("done", 3, 1).model_dump(mode="json")
    assert bus()[0]["detail"]["force"] is True


def test_import_history_no_wait(bus, import_progress, capsys):
    import_progress[:] = [None]
    code, out, _ = run(capsys, *IMPORT, "--no-wait", "--json")

    assert code == 0
    assert json.loads(out) == {
        "import_id": IMPORT_ID,
        "start": "2025-01-01T00:00:00.000Z",
        "end": "2025-02-01T00:00:00.000Z",
        "force": False,
    }
    assert len(bus()) == 1


def test_import_history_already_done_is_not_started_again_without_force(bus, import_progress, capsys):
    import_progress[:] = [progress("done", 3, 1)]
    code, out, _ = run(capsys, *IMPORT, "--output", "table")

    assert code == 0
    assert "imported already; --force imports it again" in out
    assert bus() == []


def test_import_history_forced_waits_for_the_new_run(bus, import_progress, capsys):
    old = progress("done", 3, 1)
    import_progress[:] = [old, old, progress("running", 1, 1), progress("done", 4, 2)]
    code, out, _ = run(capsys, "--json", *IMPORT, "--force")
    assert code == 0
    assert json.loads(out)["jobs_seen"] == 4


def test_import_history_timeout(bus, import_progress, capsys):
    import_progress[:] = [None, progress("running", 10, 1)]
    result = run(capsys, *IMPORT, "--timeout", "0", "--output", "table")
    assert_error(result, ExitCode.TIMEOUT, "10 jobs seen so far", out_empty=False)  # the bar so far


def test_import_history_bad_range(bus, import_progress, capsys):
    result = run(capsys, "import-history", "--since", "2025-02-01", "--until", "2025-01-01")
    assert_error(result, ExitCode.BAD_DATE, "must be before")


# --- the PartiQL statements in docs/querying.md, verbatim ---------------------------------------------------

DOCS = Path(__file__).resolve().parents[2] / "docs" / "querying.md"


def documented_statements() -> list[str]:
    return re.findall(r"```sql\n(.*?)\n```", DOCS.read_text(), flags=re.DOTALL)


def test_documented_partiql_statements(store):
    week = datetime(2025, 6, 2, tzinfo=UTC)
    save(store, record("churn", "InProgress", at=week + timedelta(days=1), secondary="Starting"))
    save(store, record("churn", at=week + timedelta(days=1), minutes=30, partial=("1 candidate failed",), rich=True))
    save(store, record("fraud", "Failed", at=week + timedelta(days=2)))
    save(store, record("scoring", "Failed", at=week + timedelta(days=3), partial=("2 candidates failed",)))
    save(store, record("fraud-old", "Failed", at=week - timedelta(days=10)))
    save(store, record("fraud-next-week", "Failed", at=week + timedelta(days=7)))
    save(store, record("partial-old", at=week - timedelta(minutes=1), partial=("old",)))
    client = boto3.client("dynamodb", region_name=REGION)

    def run_statement(statement: str) -> list[dict]:
        assert store.table_name in statement
        return client.execute_statement(Statement=statement)["Items"]

    one_job, job_partition, failed_this_week, partial_this_week = documented_statements()

    [item] = run_statement(one_job)
    assert item["job_name"] == {"S": "churn"}
    assert item["objective"]["M"]["value"] == {"N": "0.875"}
    assert [row["feature"]["S"] for row in (e["M"] for e in item["explainability"]["M"]["top_features"]["L"])] == [
        "tenure",
        "monthly_charges",
    ]
    assert sorted(row["sk"]["S"] for row in run_statement(job_partition)) == [
        "HISTORY#2025-06-03T00:00:00.000Z#InProgress#Starting",
        "HISTORY#2025-06-03T00:30:00.000Z#Completed#Completed",
        "REPORT",
    ]
    assert {row["job_name"]["S"] for row in run_statement(failed_this_week)} == {"fraud", "scoring"}
    assert {row["job_name"]["S"] for row in run_statement(partial_this_week)} == {"churn", "scoring"}


# --- global options anywhere, output formats, --query --------------------------------------------------------


def test_global_options_work_after_the_command(seeded, capsys, monkeypatch):
    monkeypatch.setenv("AWS_REGION", "eu-west-1")  # no table there: only the --region given last can succeed
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    code, out, err = run(capsys, "show", "churn", "--table", seeded.table_name, "--region", REGION, "--output", "json")
    assert (code, err) == (0, "")
    assert json.loads(out)["job_name"] == "churn"

    code, out, _ = run(
        capsys, "--region", REGION, "list", "--table", seeded.table_name, *WINDOW, "--query", "length(@)"
    )
    assert (code, out) == (0, "5\n")

    # before and after: the one after the command wins, as its own option would
    code, _, err = run(
        capsys, "--region", REGION, "show", "churn", "--table", seeded.table_name, "--region", "eu-west-1"
    )
    assert_error((code, "", err), ExitCode.NO_TABLE, "no table named")


def test_text_is_the_default_off_a_terminal_and_table_on_one(seeded, capsys, monkeypatch):
    code, out, _ = run(capsys, "--table", seeded.table_name, "list", "--status", "Failed", *WINDOW)
    assert code == 0
    assert [line.split("\t")[:3] for line in out.splitlines()] == [
        ["scoring", "Failed", "Failed"],
        ["fraud", "Failed", "Failed"],
    ]

    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    monkeypatch.setenv("COLUMNS", "200")
    code, out, _ = run(capsys, "--table", seeded.table_name, "list", "--status", "Failed", *WINDOW)
    assert "2 jobs (Failed) modified" in out and "\t" not in out


def test_text_output_has_stable_tab_separated_columns(seeded, capsys):
    code, out, _ = run(capsys, "--table", seeded.table_name, "show", "fraud", "--output", "text")
    assert code == 0
    [row] = [line.split("\t") for line in out.splitlines()]
    assert dict(zip(RECORD_COLUMNS, row, strict=True)) == {
        "job_name": "fraud",
        "status": "Failed",
        "secondary_status": "Failed",
        "last_modified_at": "2025-06-01T08:05:00.000Z",
        "ended_at": "2025-06-01T08:05:00.000Z",
        "objective_metric": "-",
        "objective_value": "-",
        "best_candidate": "-",
        "explainability_state": "missing",
        "partial_failures": "0",
        "failure_reason": "ClientError: the target column has one value",
        "family": "fraud",
        "new_best_in_family": "false",
        "duration_seconds": "3900",
        "why_ended": "-",
        "account_id": "123456789012",  # where the job ran (every table)
        "region": "us-east-1",
        "account_name": "-",  # a hub's, where its accountNames names the account
        "estimated_cost": "-",  # not costed (yet)
        "cost_currency": "-",
    }
    code, out, _ = run(capsys, "--table", seeded.table_name, "history", "churn", "--output", "text")
    rows = [dict(zip(HISTORY_COLUMNS, line.split("\t"), strict=True)) for line in out.splitlines()]
    assert [(row["status"], row["secondary_status"], row["detected_by"]) for row in rows] == [
        ("InProgress", "Starting", "schedule"),
        ("Completed", "Completed", "schedule"),
    ]


def test_text_output_pipes_into_grep_cut_and_awk(seeded, capsys):
    code, out, _ = run(capsys, "--table", seeded.table_name, "list", *WINDOW, "--output", "text")
    assert code == 0
    failed = subprocess.run("grep -w Failed | cut -f1", shell=True, input=out, capture_output=True, text=True)
    assert failed.stdout.split() == ["scoring", "fraud"]
    partial = subprocess.run("awk '$10 > 0 {print $1}'", shell=True, input=out, capture_output=True, text=True)
    assert partial.stdout.split() == ["scoring", "churn"]


def test_a_malformed_item_is_shown_as_such_and_never_sinks_a_list(store, capsys):
    """An item that is not a record (hand-edited, or written by another tool): listed as far as it can be
    read, with a note saying so; every other job is still listed, in every form."""
    save(store, record("churn", minutes=9))
    save(store, record("fraud", "Failed", minutes=5))
    broken = {**items.record_attributes(record("edited", "Failed", minutes=7)), **items.report_key("edited")}
    broken |= {"last_modified_at": "yesterday", "explainability": "fine"}  # not a time, not an object
    store.client.put_item(TableName=store.table_name, Item=items.serialize(broken))

    code, out, err = run(capsys, "--table", store.table_name, "list", "--output", "text")
    assert code == 0
    assert [line.split("\t")[:2] for line in out.splitlines()] == [
        ["churn", "Completed"],
        ["edited", "Failed"],
        ["fraud", "Failed"],
    ]
    assert "1 item is malformed, shown only as far as it could be read: edited" in err
    code, out, err = run(capsys, "--table", store.table_name, "list", "--status", "Failed", *WINDOW, "--json")
    assert code == 0 and {row["job_name"] for row in lines(out)} == {"edited", "fraud"}
    code, out, _ = run(capsys, "--table", store.table_name, "list", "--output", "table")
    assert code == 0 and "edited" in out and "malformed" in out
    code, out, _ = run(capsys, "--table", store.table_name, "show", "edited")
    assert code == 0
    shown = " ".join(out.split())
    assert "this item is malformed (explainability: Input should be a valid dictionary" in shown
    assert "last_modified_at: Input should be a valid datetime" in shown


def test_text_cells_never_hold_a_tab_or_a_newline(store, capsys):
    save(store, record("odd", "Failed", partial=("line one\nline two\twith a tab",)))
    code, out, _ = run(capsys, "--table", store.table_name, "list", "--output", "text")
    assert code == 0
    [line] = out.splitlines()
    assert len(line.split("\t")) == len(RECORD_COLUMNS)


def test_query_applies_jmespath_to_the_json_form(seeded, capsys):
    table = ("--table", seeded.table_name)
    code, out, _ = run(capsys, *table, "show", "churn", "--query", "explainability.top_features[0].feature")
    assert (code, out) == (0, '"tenure"\n')
    code, out, _ = run(capsys, *table, "list", *WINDOW, "--status", "Failed", "--query", "[].job_name")
    assert json.loads(out) == ["scoring", "fraud"]
    code, out, _ = run(
        capsys, *table, "list", *WINDOW, "--query", "[?status=='Failed'].[job_name, failure_reason]", "--output", "text"
    )
    assert out.splitlines() == [
        "scoring\tClientError: the target column has one value",
        "fraud\tClientError: the target column has one value",
    ]
    code, out, _ = run(capsys, *table, "history", "churn", "--query", "[-1].{status: status, by: detected_by}")
    assert json.loads(out) == {"status": "Completed", "by": "schedule"}
    code, out, _ = run(capsys, *table, "--output", "table", "show", "churn", "--query", "status")
    assert out == '"Completed"\n'  # a query's result has no table form: JSON


def test_invalid_query_is_a_usage_error(seeded, capsys):
    assert_error(run(capsys, "--table", seeded.table_name, "show", "churn", "--query", "[["), ExitCode.USAGE, "--query")
    result = run(capsys, "--table", seeded.table_name, "show", "churn", "--query", "abs(job_name)")
    assert_error(result, ExitCode.USAGE, "--query failed")


def test_json_and_a_different_output_conflict(capsys):
    assert_error(
        run(capsys, "--json", "show", "x", "--output", "text"), ExitCode.USAGE, "--json is short for --output json"
    )


def test_version_needs_no_command(capsys, monkeypatch):
    code, out, err = run(capsys, "--version")
    assert (code, err) == (0, "")
    assert out == f"autopilot-reports {metadata.version('autopilot-reports')}\n"

    def not_installed(name):
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "version", not_installed)
    assert options.version() == autopilot_reports.__version__


def test_debug_shows_each_aws_call_and_the_full_exception(seeded, capsys):
    code, out, err = run(capsys, "--debug", "--table", seeded.table_name, "show", "churn", "--json")
    assert code == 0
    assert "autopilot-reports: debug: call dynamodb.GetItem" in err
    assert "autopilot-reports: debug: answer dynamodb.GetItem: HTTP 200" in err

    code, _, err = run(capsys, "--table", "nope", "show", "churn", "--debug")
    assert code == ExitCode.NO_TABLE
    assert "ResourceNotFoundException" in err and "Traceback" in err  # --debug: the exception behind it
    assert err.rstrip().splitlines()[-1].startswith("autopilot-reports: no table named 'nope'")


# --- 80 columns: nothing a person reads or copies is cut ----------------------------------------------------------

LONG_JOB = "churn-propensity-eu-2025-06-01-a"  # 32 characters, AutoML's longest job name
LONG_CANDIDATE = f"{LONG_JOB}-XGBoost-003-7b2d1f0e-e3c2a1b4d5f6a7"  # ~60, as Autopilot names candidates
LONG_PREFIX = f"s3://sagemaker-eu-west-1-123456789012/autopilot/{LONG_JOB}/output/{LONG_CANDIDATE}/explainability/"
LONG_SECONDARY = "MaxAutoMLJobRuntimeReached"
LONG_ANALYSIS = f"{LONG_PREFIX}analysis.json"  # a URI inside free text: wrapped around, never through
BINARY_F1 = Objective(
    metric="validation:binary_f1", type="Maximize", value=0.912345, standard_metric="F1", direction="Maximize"
)


def long_record(name: str = LONG_JOB, status: str = "Stopped") -> ReportRecord:
    base = record(name, status, minutes=3, partial=("candidate failed: " + "out of memory " * 12,), rich=True)
    board = [
        LeaderboardEntry(
            candidate=LONG_CANDIDATE,
            objective=BINARY_F1,
            explainability_prefix=LONG_PREFIX,
            model_insights_prefix=LONG_PREFIX.replace("explainability", "model-insights"),
        )
    ]
    explainability = base.explainability.model_copy(update={"s3_prefix": LONG_PREFIX})
    return base.model_copy(
        update={
            "secondary_status": LONG_SECONDARY,
            "best_candidate": LONG_CANDIDATE,
            "objective": BINARY_F1,
            "leaderboard": board,
            "explainability": explainability,
            "failure_reason": f"The job ran out of time reading {LONG_ANALYSIS}: " + "more words of the reason " * 6,
        }
    )


def assert_readable_at(out: str, width: int, whole: list[str]) -> None:
    """Each whole value on one line, unbroken; nothing ellipsized; a line wider than the terminal only
    where one value longer than the terminal stands alone (the terminal folds it; a copy gets it whole)."""
    assert "…" not in out and "..." not in out
    lines = out.splitlines()
    for value in whole:
        assert any(value in line for line in lines), value
    for line in lines:
        assert cell_len(line) <= width or " " not in line.strip(), line


def rendered(draw, width: int = 80) -> str:
    console = Console(width=width, file=io.StringIO(), markup=False, highlight=False, emoji=False)
    draw(console)
    return console.file.getvalue()


def test_show_at_80_columns_cuts_nothing():
    rec = long_record()
    out = rendered(lambda console: render.show_report(console, rec))
    assert_readable_at(
        out,
        80,
        [
            LONG_JOB,
            LONG_CANDIDATE,
            f"Stopped / {LONG_SECONDARY}",
            "2025-06-01T08:03:00.000Z",
            LONG_PREFIX,
            LONG_ANALYSIS,
            rec.job_arn,
        ],
    )
    assert "validation:binary_f1 (F1) = 0.912345 (Maximize)" in out


def test_history_and_list_at_80_columns_cut_nothing():
    rec = long_record()
    entries = [
        HistoryEntry.of(rec, "backfill"),
        HistoryEntry.of(rec.model_copy(update={"status": "Failed"}), "schedule"),
    ]
    out = rendered(lambda console: render.show_history(console, LONG_JOB, entries))
    assert_readable_at(
        out, 80, [LONG_JOB, f"Stopped / {LONG_SECONDARY}", f"Failed / {LONG_SECONDARY}", "2025-06-01T08:03:00.000Z"]
    )
    assert "failure reason" in out and "detected by backfill" in out
    for width in (80, 120, 300):  # blocks, and (at 300) a table: the URI in the reason stays whole
        assert LONG_ANALYSIS in rendered(lambda console: render.show_history(console, LONG_JOB, entries), width)

    others = [rec, long_record("short", "Completed"), long_record("x" * 32, "InProgress")]
    out = rendered(lambda console: render.show_list(console, others, "3 jobs (all statuses) of any age"))
    assert_readable_at(out, 80, [LONG_JOB, "x" * 32, f"Stopped / {LONG_SECONDARY}", "2025-06-01T08:03:00.000Z"])
    wide = rendered(lambda console: render.show_list(console, others, "3 jobs"), width=200)
    assert "last modified" in wide  # a table where its cells fit


def test_list_at_80_columns_through_the_command(store, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    save(store, long_record())
    code, out, _ = run(capsys, "--table", store.table_name, "list", "--output", "table")
    assert code == 0
    assert_readable_at(out, 80, [LONG_JOB, f"Stopped / {LONG_SECONDARY}", "2025-06-01T08:03:00.000Z"])


# --- show: why it ended, duration, family, the best candidate's metrics, notes, every artifact's link ---------------

OUTPUT = f"s3://sagemaker-eu-west-1-123456789012/autopilot/{LONG_JOB}"
NOTEBOOKS = f"{OUTPUT}/sagemaker-automl-candidates/{LONG_JOB}-pr-1-0123/notebooks"
WHY = "The job reached its MaxAutoMLJobRuntimeInSeconds limit; raise it to let Autopilot search longer."
PREVIOUS = f"{LONG_JOB[:-1]}z"  # the family's best before this job, as long as a job name gets


def full_record(new_best: bool = True, objective: Objective = BINARY_F1) -> ReportRecord:
    """A terminal record with every field a report shows, each as long as AWS makes it."""
    metrics = [
        CandidateMetric(metric="validation:mse", standard_metric="MSE", set="Validation", value=0.25),
        CandidateMetric(metric="validation:mse", standard_metric="MSE", set="Train", value=0.125),
        CandidateMetric(metric="F1", standard_metric="F1", set="Test", value=0.9007),
        CandidateMetric(metric="InferenceLatency", set="Validation", value=None),  # not finite: null
    ]
    return long_record().model_copy(
        update={
            "objective": objective,
            "job_artifacts": JobArtifacts(
                candidate_definition_notebook=f"{NOTEBOOKS}/SageMakerAutopilotCandidateDefinitionNotebook.ipynb",
                data_exploration_notebook=f"{NOTEBOOKS}/SageMakerAutopilotDataExplorationNotebook.ipynb",
            ),
            "model_insights_prefix": f"{OUTPUT}/documentation/model_monitor/output/{LONG_CANDIDATE}/",
            "backtest_results_prefix": f"{OUTPUT}/documentation/backtest/output/{LONG_CANDIDATE}/",
            "best_candidate_metrics": metrics,
            "why_ended": WHY,
            "duration_seconds": 2 * 3600 + 5 * 60 + 59,
            "family": family_of(LONG_JOB),
            "new_best_in_family": new_best,
            "previous_best": FamilyBest(job_name=PREVIOUS, value=0.9011),
            "notes": ["partial_failures[0] held a lone surrogate, stored as U+FFFD"],
        }
    )


def show_at_80(store, capsys, monkeypatch, rec: ReportRecord) -> str:
    monkeypatch.setenv("COLUMNS", "80")
    save(store, rec)
    code, out, err = run(capsys, "--table", store.table_name, "show", rec.job_name, "--output", "table")
    assert (code, err) == (0, "")
    return out


def test_show_at_80_columns_shows_every_field_of_the_record(store, capsys, monkeypatch):
    rec = full_record()
    out = show_at_80(store, capsys, monkeypatch, rec)
    links = report_links(rec)
    urls = [link.url for link in (links.job, *links.artifacts)]
    assert_readable_at(out, 80, [LONG_JOB, LONG_CANDIDATE, PREVIOUS, *urls])
    assert len(links.artifacts) == 7  # report PDF and HTML, explainability folder, 2 notebooks, insights, backtest
    for link in links.artifacts:
        assert f"  {link.label}:" in out.splitlines(), link.label
    flat = " ".join(out.split())  # free text wraps at spaces
    assert f"why it ended {WHY}" in flat
    assert "duration 2h 05m" in flat
    assert f"family {LONG_JOB}: new best in the family (beats {PREVIOUS} at 0.9011)" in flat
    assert "objective validation:binary_f1 (F1) = 0.912345 (Maximize)" in flat
    assert "Notes • partial_failures[0] held a lone surrogate, stored as U+FFFD" in flat


def test_show_lays_the_best_candidates_metrics_out_by_data_set(store, capsys, monkeypatch):
    out = show_at_80(store, capsys, monkeypatch, full_record())
    lines = out.splitlines()
    start = lines.index("Best candidate's metrics")
    header, _rule, *rows = lines[start + 1 : start + 6]
    assert header.split() == ["metric", "Train", "Validation", "Test"]  # AWS's sets, in that order
    assert rows[0].split() == ["validation:mse", "(MSE)", "0.125", "0.25", "-"]  # standard name where it differs
    assert rows[1].split() == ["F1", "-", "-", "0.9007"]  # the same name: once
    assert rows[2].split() == ["InferenceLatency", "-", "-", "-"]  # no finite value: `-`


def test_show_metrics_as_blocks_where_the_table_does_not_fit(store, capsys, monkeypatch):
    long_name = "validation:" + "weighted_quantile_loss_" * 3 + "p90"
    metrics = [CandidateMetric(metric=long_name, set=name, value=0.5) for name in ("Train", "Validation", "Test")]
    out = show_at_80(store, capsys, monkeypatch, full_record().model_copy(update={"best_candidate_metrics": metrics}))
    assert_readable_at(out, 80, [long_name])
    assert "    Train 0.5 · Validation 0.5 · Test 0.5" in out.splitlines()


def test_show_says_which_best_stands_and_when_a_direction_is_unknown(store, capsys, monkeypatch):
    unknown = Objective(metric="validation:custom_score", value=0.5)  # no Type, a name nobody can place
    out = show_at_80(store, capsys, monkeypatch, full_record(new_best=False, objective=unknown))
    flat = " ".join(out.split())
    assert f"family {LONG_JOB}: the family's best is {PREVIOUS} at 0.9011" in flat
    assert "objective validation:custom_score = 0.5 (direction unknown)" in flat
    assert "new best" not in flat


def test_show_leaves_out_what_a_running_job_does_not_have_yet(seeded, capsys):
    code, out, _ = run(capsys, "--table", seeded.table_name, "--output", "table", "show", "pricing")
    assert code == 0
    for absent in ("why it ended", "duration", "Best candidate's metrics", "Notes", "Notebook", "notebook"):
        assert absent not in out, absent


# --- families: each family's best and its number of jobs --------------------------------------------------------


NOT_COSTED = {"cost_amount": None, "cost_currency": None, "costed_jobs": 0}
NOT_COSTED_TEXT = {"cost_amount": "-", "cost_currency": "-", "costed_jobs": "0"}


def family_rows(out: str) -> list[dict[str, str]]:
    return [dict(zip(FAMILY_COLUMNS, line.split("\t"), strict=True)) for line in out.splitlines()]


def test_families_json_lists_each_best_and_count_by_name_in_one_query(store, capsys, recorder):
    save_family(store, "pricing", 3, ("pricing-2025-06-08", 12.5), metric="RMSE", direction="Minimize")
    save_family(store, "churn", 12, ("churn-2025-06-01", 0.912345))
    save_family(store, "fraud", 2)  # no Completed job with an objective yet
    save(store, record("churn-2025-06-01"))  # a record is not a family
    recorder.calls.clear()
    code, out, err = run(capsys, "--table", store.table_name, "families", "--json")
    assert (code, err) == (0, "")
    assert recorder.calls == {"dynamodb.Query": 1}
    assert lines(out) == [
        {
            "family": "churn",
            "best_job": "churn-2025-06-01",
            "best_value": 0.912345,
            "best_metric": "F1",
            "direction": "Maximize",
            "jobs": 12,
            **NOT_COSTED,
        },
        {
            "family": "fraud",
            "best_job": None,
            "best_value": None,
            "best_metric": None,
            "direction": None,
            "jobs": 2,
            **NOT_COSTED,
        },
        {
            "family": "pricing",
            "best_job": "pricing-2025-06-08",
            "best_value": 12.5,
            "best_metric": "RMSE",
            "direction": "Minimize",
            "jobs": 3,
            **NOT_COSTED,
        },
    ]
    assert [list(row) for row in lines(out)] == [list(FAMILY_COLUMNS)] * 3  # the json keys are the text columns


def test_families_reads_what_the_reports_transaction_writes(store, capsys):
    first = record("churn-2025-06-01", rich=True)
    best = FamilyBest(job_name=first.job_name, value=0.875)
    update = FamilyUpdate("churn", None, best, "F1", "Maximize", count_job=True)
    store.save_report(first, HistoryEntry.of(first, "schedule"), False, update)
    failed = record("churn-2025-06-08", "Failed", minutes=1)
    store.save_report(
        failed, HistoryEntry.of(failed, "schedule"), False, FamilyUpdate("churn", best, None, None, None, True)
    )
    code, out, _ = run(capsys, "--table", store.table_name, "families", "--output", "text")
    assert code == 0
    assert out == "churn\tchurn-2025-06-01\t0.875\tF1\tMaximize\t2\t-\t-\t0\n"


def test_families_text_and_prefix(store, capsys):
    save_family(store, "churn-eu", 4, ("churn-eu-2025-06-01", 0.5))
    save_family(store, "churn", 1, ("churn-1", 0.25), direction=None)
    save_family(store, "fraud", 1)
    code, out, _ = run(capsys, "families", "--prefix", "churn", "--table", store.table_name, "--output", "text")
    assert code == 0
    assert family_rows(out) == [
        {
            "family": "churn",
            "best_job": "churn-1",
            "best_value": "0.25",
            "best_metric": "F1",
            "direction": "-",
            "jobs": "1",
            **NOT_COSTED_TEXT,
        },
        {
            "family": "churn-eu",
            "best_job": "churn-eu-2025-06-01",
            "best_value": "0.5",
            "best_metric": "F1",
            "direction": "Maximize",
            "jobs": "4",
            **NOT_COSTED_TEXT,
        },
    ]
    code, out, _ = run(capsys, "--table", store.table_name, "families", "--query", "[?best_job == null].family")
    assert json.loads(out) == ["fraud"]


def test_families_readable_at_80_columns(store, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    save_family(store, "churn", 12, ("churn-2025-06-01", 0.912345))
    save_family(store, "fraud", 2)
    code, out, _ = run(capsys, "--table", store.table_name, "families", "--output", "table")
    assert code == 0
    assert out.splitlines()[0] == "2 families, by name"
    assert out.splitlines()[1].split() == ["family", "best", "job", "best", "jobs", "est.", "cost"]  # a table
    assert re.search(r"churn\s+churn-2025-06-01\s+F1 = 0.912345 \(Maximize\)\s+12\s+-", out)
    assert re.search(r"fraud\s+-\s+no best yet\s+2\s+-", out)

    save_family(store, LONG_JOB, 3, (LONG_CANDIDATE[:32], 0.1), metric="AverageWeightedQuantileLoss", direction=None)
    code, out, _ = run(capsys, "--table", store.table_name, "families", "--output", "table")
    assert_readable_at(
        out, 80, [LONG_JOB, LONG_CANDIDATE[:32], "AverageWeightedQuantileLoss = 0.1 (direction unknown)"]
    )
    assert "  no best yet · 2 jobs" in out.splitlines()  # too wide for a table: each family a block


def test_families_empty_answers_say_so(store, capsys, monkeypatch):
    code, out, err = run(capsys, "--table", store.table_name, "families")
    assert (code, out) == (0, "")
    assert err == (
        "autopilot-reports: 0 families (index by_status, partition FAMILY): no job has been reported yet "
        "(a family appears with its first job's report)\n"
    )
    save_family(store, "churn", 1)
    monkeypatch.setenv("COLUMNS", "200")
    code, out, err = run(capsys, "--table", store.table_name, "families", "--prefix", "zzz", "--output", "table")
    assert (code, err) == (0, "")
    assert "0 families named zzz* (index by_status, partition FAMILY); try without --prefix" in out
    code, out, _ = run(capsys, "--table", store.table_name, "families", "--prefix", "zzz", "--json")
    assert out == ""


def test_families_errors_are_one_line_with_their_codes(table_name, capsys):
    assert_error(run(capsys, "--table", "nope", "families"), ExitCode.NO_TABLE, "no table named 'nope'")
    assert_error(run(capsys, "--table", table_name, "families", "--since", "x"), ExitCode.USAGE, "unrecognized")
    assert_error(run(capsys, "families", "--stack", "Missing"), ExitCode.NO_STACK, "no stack named 'Missing'")


def test_list_family_keeps_one_familys_jobs(store, capsys):
    for name in ("churn-2025-06-01", "churn-2025-06-08", "churn-eu-2025-06-01", "fraud-2025-06-01"):
        save(store, record(name))
    table = ("--table", store.table_name)
    assert set(names(run(capsys, *table, "list", "--family", "churn", "--json")[1])) == {
        "churn-2025-06-01",
        "churn-2025-06-08",
    }
    assert names(run(capsys, *table, "list", "--family", "churn", "--prefix", "churn-2025-06-08", "--json")[1]) == [
        "churn-2025-06-08"
    ]
    code, out, err = run(capsys, *table, "list", "--family", "churn-eu", *WINDOW, "--output", "text")
    assert [line.split("\t")[RECORD_COLUMNS.index("family")] for line in out.splitlines()] == ["churn-eu"]
    code, out, err = run(capsys, *table, "list", "--family", "nobody", "--json")
    assert (code, out) == (0, "")
    assert "0 jobs (all statuses, family nobody) of any age (index by_status); try without --family" in err


# --- data is shown, never obeyed: markup and hidden characters ----------------------------------------------------

HOSTILE = "[link=https://evil.example]click[/link] [bold red]x[/] \x1b[31mred\x1b]0;title\x07 \u202eabc\u200b :smile:"


def test_markup_and_controls_in_data_are_printed_literally(store, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    rec = full_record().model_copy(
        update={
            "failure_reason": HOSTILE,
            "partial_failures": [HOSTILE],
            "explainability": long_record().explainability.model_copy(
                update={"top_features": [FeatureImportance(feature=HOSTILE, importance=1.0)], "labels": [HOSTILE]}
            ),
            "best_candidate_metrics": [CandidateMetric(metric=HOSTILE, standard_metric=HOSTILE, set=HOSTILE, value=1)],
            "why_ended": HOSTILE,
            "notes": [HOSTILE],
            "family": HOSTILE,
            "previous_best": FamilyBest(job_name=HOSTILE, value=0.5),
            "objective": Objective(metric=HOSTILE, standard_metric=HOSTILE, value=0.5),
        }
    )
    save(store, rec)
    save_family(store, HOSTILE, 1, (HOSTILE, 0.5), metric=HOSTILE, direction=HOSTILE)
    for command in (("show", LONG_JOB), ("history", LONG_JOB), ("list",), ("families",)):
        code, out, err = run(capsys, "--table", store.table_name, *command, "--output", "table")
        assert (code, err) == (0, ""), command
        assert "\x1b" not in out and "\u202e" not in out and "\u200b" not in out and "\x07" not in out
        if command[0] in ("show", "families"):
            assert "[link=https://evil.example]click[/link] [bold red]x[/]" in out
            assert "\\x1b[31mred\\x1b]0;title\\x07" in out and ":smile:" in out
    for command in (("list",), ("families",)):
        code, out, _ = run(capsys, "--table", store.table_name, *command, "--output", "text")
        assert "\x1b" not in out and "\u202e" not in out


def test_markup_in_arguments_is_printed_literally(seeded, capsys):
    for prefix in ("[/x]", "[link=https://evil.example]x", "[bold"):
        code, out, err = run(
            capsys, "--table", seeded.table_name, "list", "--prefix", prefix, *WINDOW, "--output", "table"
        )
        assert (code, err) == (0, ""), prefix
        assert f"named {prefix}*" in out


# --- show --wait and watch -----------------------------------------------------------------------------------------


@pytest.fixture
def script_sleep(monkeypatch):
    """Each sleep of the polling commands runs the next step instead (a change landing in the table, or
    Ctrl-C); when the script runs out, Ctrl-C."""
    steps: list = []

    def sleep(_seconds):
        if not steps:
            raise KeyboardInterrupt
        steps.pop(0)()

    monkeypatch.setattr(commands, "time", SimpleNamespace(monotonic=time.monotonic, sleep=sleep))
    return steps


@pytest.mark.parametrize(
    ("status", "code"),
    [("Completed", ExitCode.OK), ("Failed", ExitCode.JOB_FAILED), ("Stopped", ExitCode.JOB_STOPPED)],
)
def test_show_wait_blocks_until_the_job_ends(store, capsys, script_sleep, status, code):
    save(store, record("late", "InProgress", secondary="Starting"))
    script_sleep[:] = [
        lambda: save(store, record("late", "InProgress", minutes=1, secondary="TrainingModels")),
        lambda: save(store, record("late", status, minutes=2)),
    ]
    exit_code, out, err = run(capsys, "--table", store.table_name, "show", "--wait", "late", "--json")
    assert (exit_code, err) == (code, "")
    assert json.loads(out)["status"] == status
    assert script_sleep == []


def test_show_wait_waits_for_a_job_with_no_record_yet(store, capsys, script_sleep):
    script_sleep[:] = [lambda: None, lambda: save(store, record("new", "Completed"))]
    code, out, _ = run(capsys, "--table", store.table_name, "show", "new", "--wait", "--output", "text")
    assert code == 0
    assert out.startswith("new\tCompleted\t")


def test_show_wait_timeout(store, capsys, script_sleep):
    save(store, record("slow", "InProgress", secondary="TrainingModels"))
    result = run(capsys, "--table", store.table_name, "show", "slow", "--wait", "--timeout", "0")
    assert_error(result, ExitCode.TIMEOUT, "job 'slow' has not ended after 0s (InProgress / TrainingModels)")


def test_watch_prints_each_job_once_when_it_ends_until_ctrl_c(store, capsys, script_sleep):
    save(store, record("ended-before", "Completed", minutes=1))
    save(store, record("running", "InProgress", minutes=2, secondary="TrainingModels"))
    script_sleep[:] = [
        lambda: save(store, record("running", "Completed", minutes=5)),
        lambda: (
            save(store, record("another", "Failed", minutes=6)),
            save(store, record("third", "InProgress", minutes=7)),
        ),
        lambda: save(store, record("running", "Completed", minutes=8, partial=("late change",))),  # not again
    ]
    code, out, err = run(capsys, "--table", store.table_name, "watch", "--output", "json")
    assert names(out) == ["running", "another"]
    assert (code, err) == (ExitCode.INTERRUPTED, "autopilot-reports: interrupted\n")


def test_watch_since_first_prints_the_jobs_that_ended_since(store, capsys, script_sleep):
    save(store, record("ended-long-ago", "Failed", at=T0 - timedelta(days=30)))
    save(store, record("ended-lately", "Stopped", minutes=1))
    save(store, record("ended-lately-too", "Completed", minutes=2))
    code, out, _ = run(capsys, "--table", store.table_name, "watch", "--since", "2025-06-01", "--status", "Stopped")
    assert code == ExitCode.INTERRUPTED
    assert [line.split("\t")[0] for line in out.splitlines()] == ["ended-lately"]


# --- never a traceback, whatever the input -------------------------------------------------------------------------


@pytest.fixture
def no_aws(monkeypatch):
    """For inputs refused before any AWS call: one would fail the test."""

    def refuse(self, service):
        raise AssertionError(f"no AWS call expected ({service})")

    monkeypatch.setattr(Aws, "client", refuse)


@pytest.mark.parametrize(
    ("args", "code", "text"),
    [
        (("--endpoint-url", "localhost:4599", "show", "x"), ExitCode.USAGE, "needs http:// or https://"),
        (("list", "--since", "0001-01-01T00:00:00+01:00"), ExitCode.BAD_DATE, "--since"),
        (("import-history", "--since", "2025-01-01", "--until", "9999-12-31"), ExitCode.BAD_DATE, "past year 9999"),
        (("list", "--limit", "-1"), ExitCode.USAGE, "--limit"),
        (("list", "--limit", "many"), ExitCode.USAGE, "--limit"),
        (("show", "x", "--wait", "--timeout", "nan"), ExitCode.USAGE, "--timeout"),
        (("watch", "--poll-interval", "inf"), ExitCode.USAGE, "--poll-interval"),
        (("--output", "yaml", "list"), ExitCode.USAGE, "--output"),
        (("list", "--status", "[bold]Done"), ExitCode.USAGE, "--status"),
        (("explode",), ExitCode.USAGE, "invalid choice"),
        ((), ExitCode.USAGE, "required: COMMAND"),
        (("show",), ExitCode.USAGE, "required: JOB"),
        (("show", "x", "--query", "[?"), ExitCode.USAGE, "not valid JMESPath"),
        (("show", "x", "--timeout", "5"), ExitCode.USAGE, "--timeout goes with --wait"),
        (("dashboard", "--stuck-after", "-5"), ExitCode.USAGE, "--stuck-after"),
        (("dashboard", "--since", "yesterday"), ExitCode.BAD_DATE, "--since"),
        (("dashboard", "--since", "2025-06-02", "--until", "2025-06-01"), ExitCode.BAD_DATE, "must be before"),
        (("report",), ExitCode.USAGE, "required: JOB"),
    ],
)
def test_no_traceback_whatever_the_input(no_aws, capsys, args, code, text):
    exit_code, out, err = run(capsys, "--table", "t", *args)
    assert exit_code == code, err
    assert text in err
    assert len(err.splitlines()) == 1 and "Traceback" not in err and "\x1b" not in err


def test_an_argument_is_shown_not_obeyed_in_an_error(table_name, capsys):
    result = run(capsys, "--table", table_name, "show", "x\n[link=https://evil.example]y\x1b[2J")
    assert_error(result, ExitCode.NO_JOB, "no report for job 'x\\n[link=https://evil.example]y\\x1b[2J'")
    assert "\x1b" not in result[2]


def test_far_dates_are_dates(seeded, capsys):
    code, out, err = run(
        capsys, "--table", seeded.table_name, "list", "--since", "1900-01-01", "--until", "9999-12-31", "--json"
    )
    assert (code, err) == (0, "")
    assert len(names(out)) == 6


def test_an_unexpected_exception_is_one_line_with_its_own_code(capsys, monkeypatch):
    def broken(args, aws, out):
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setitem(main_module.COMMANDS, "show", broken)
    result = run(capsys, "--table", "t", "show", "x")
    assert_error(
        result, ExitCode.INTERNAL, "internal error: RuntimeError: boom\\x0asecond line (run with --debug for details)"
    )
    code, _, err = run(capsys, "--table", "t", "show", "x", "--debug")
    assert code == ExitCode.INTERNAL and "Traceback" in err and "RuntimeError: boom" in err


def test_ctrl_c_is_one_line(capsys, monkeypatch):
    def interrupted(args, aws, out):
        raise KeyboardInterrupt

    monkeypatch.setitem(main_module.COMMANDS, "list", interrupted)
    assert run(capsys, "--table", "t", "list") == (ExitCode.INTERRUPTED, "", "autopilot-reports: interrupted\n")


@pytest.fixture
def moto_server(aws):
    """moto's server in this process (it shares the in-process mock's data), for a CLI in a real process."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def cli_process(*args: str, endpoint: str, stdout: int | None = subprocess.PIPE) -> subprocess.Popen[str]:
    script = Path(sys.executable).parent / "autopilot-reports"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "autopilot_reports.cli"]
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env |= {"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x", "AWS_REGION": REGION}
    return subprocess.Popen(
        [*command, "--endpoint-url", endpoint, *args], stdout=stdout, stderr=subprocess.PIPE, text=True, env=env
    )


def test_a_reader_that_leaves_early_ends_it_quietly(store, moto_server):
    """`list --json | head -c 10`: more than a pipe holds, so the CLI meets EPIPE mid-output."""
    for number in range(20):  # about 100 KB of JSON: more than a pipe buffers
        save(store, record(f"job-{number:02d}", "Failed", partial=tuple("x" * 1000 for _ in range(5))))
    writer = cli_process("--table", store.table_name, "list", "--status", "Failed", "--json", endpoint=moto_server)
    head = subprocess.run(["head", "-c", "10"], stdin=writer.stdout, capture_output=True, text=True)
    writer.stdout.close()
    err = writer.stderr.read()
    writer.wait(timeout=60)
    assert head.stdout == '{"job_name'
    assert (writer.returncode, err) == (ExitCode.BROKEN_PIPE, "")  # no traceback, no "Exception ignored"


def test_show_and_history_into_a_file_keep_the_whole_report(store, moto_server, tmp_path):
    """`autopilot-reports show JOB > f.txt` (and `| less`): the readable report, as plain text, every section;
    `--output text` stays the one tab-separated line for cut and grep."""
    metrics = [
        CandidateMetric(metric="F1", standard_metric="F1", set="Validation", value=0.875),
        CandidateMetric(metric="AUC", standard_metric="AUC", set="Validation", value=0.93),
    ]
    rec = record("churn", minutes=9, rich=True).model_copy(
        update={"best_candidate_metrics": metrics, "job_artifacts": JobArtifacts(data_exploration_notebook=PDF)}
    )
    save(store, record("churn", "InProgress", minutes=1, secondary="Starting"))
    save(store, rec)
    for command, expected in (
        (
            "show",
            [
                "Top features (2 of 7; labels label0)",
                "monthly_charges",
                "Leaderboard (2 completed candidates, best first)",
                "churn-second",
                "Best candidate's metrics",
                "AUC",
                "0.93",
                f"https://{REGION}.console.aws.amazon.com/sagemaker/home?region={REGION}#/automl-jobs/churn",
                f"https://{REGION}.console.aws.amazon.com/s3/object/bucket?region={REGION}&prefix=churn/explain/report.pdf",
                "Data exploration notebook:",
            ],
        ),
        ("history", ["History of churn (2 transitions)", "InProgress / Starting", "Completed"]),
    ):
        path = tmp_path / f"{command}.txt"
        with path.open("w") as file:
            process = cli_process("--table", store.table_name, command, "churn", endpoint=moto_server, stdout=file)
            assert process.wait(timeout=60) == 0, process.stderr.read()
        text = path.read_text()
        for line in expected:
            assert line in text, (command, line)
        assert "\x1b" not in text and "\t" not in text  # no colour, no hyperlink escapes; not the text form
        assert max(len(line) for line in text.splitlines()) <= 80 or command == "show"  # a URL stays whole

    text = tmp_path / "text.txt"
    with text.open("w") as file:
        process = cli_process(
            "--table", store.table_name, "show", "churn", "--output", "text", endpoint=moto_server, stdout=file
        )
        assert process.wait(timeout=60) == 0
    [line] = text.read_text().splitlines()
    assert line.split("\t")[:2] == ["churn", "Completed"]


# --- import-history: the range it says, the bus without a stack ---------------------------------------------------


def test_import_history_says_the_exact_range_and_id(bus, import_progress, capsys):
    import_progress[:] = [None]
    code, out, _ = run(capsys, *IMPORT, "--no-wait", "--output", "table")
    assert code == 0
    assert f"import {IMPORT_ID}: the jobs created in [2025-01-01T00:00:00.000Z, 2025-02-01T00:00:00.000Z)" in out
    code, out, _ = run(capsys, *IMPORT, "--no-wait", "--output", "text")
    assert out.split("\t")[:4] == [IMPORT_ID, "started", "2025-01-01T00:00:00.000Z", "2025-02-01T00:00:00.000Z"]


def test_the_documented_invoke_payload_is_the_same_import_as_the_documented_command():
    """docs/deploy.md offers the CLI and `aws lambda invoke`: the same range, so the same import id."""
    text = DEPLOY_DOCS.read_text()
    since, until = re.search(r"import-history --since (\S+) --until (\S+)", text).groups()
    payload = json.loads(re.search(r"--payload '(\{.*?\})'", text).group(1))
    invoked = ImportRequest.model_validate(payload["backfill"])
    assert importing.import_request(since, until, force=False).import_id == invoked.import_id


def test_import_history_finds_the_bus_without_a_stack(bus, import_progress, capsys, table_name, recorder):
    import_progress[:] = [None]
    boto3.client("cloudformation", region_name=REGION).delete_stack(StackName="AutopilotReports")
    events = boto3.client("events", region_name=REGION)
    events.create_event_bus(Name="unrelated")
    events.put_rule(Name="other", EventBusName="unrelated", EventPattern=json.dumps({"source": ["aws.s3"]}))
    code, out, err = run(capsys, "--table", table_name, *IMPORT, "--no-wait", "--json")
    assert (code, err) == (0, "")
    assert len(bus()) == 1  # reached the bus whose rule takes history imports
    assert "cloudformation.DescribeStacks" not in recorder.calls


def test_import_history_finds_the_bus_named_after_the_tables_stack(aws, import_progress, capsys, recorder):
    import_progress[:] = [None]
    events = boto3.client("events", region_name=REGION)
    pattern = json.dumps({"source": ["autopilot-reports"], "detail-type": ["AutoML History Import"]})
    for name in ("Prod", "Staging"):  # two stacks in the region: the table's name says which
        events.create_event_bus(Name=name)
        events.put_rule(Name=f"{name}-imports", EventBusName=name, EventPattern=pattern)
    code, _, err = run(capsys, "--table", "Prod-ReportsTable-1A2B3C4D", *IMPORT, "--no-wait", "--json")
    assert (code, err) == (0, "")
    assert recorder.calls["events.ListEventBuses"] == 0 and recorder.calls["events.PutEvents"] == 1


def test_import_history_asks_for_the_bus_when_it_cannot_find_one(aws, import_progress, capsys):
    import_progress[:] = [None]
    result = run(capsys, "--table", "Mine-ReportsTable-XYZ", *IMPORT, "--no-wait")
    assert_error(
        result, ExitCode.NO_BUS, "no bus named 'Mine', and no bus with a history-import rule); pass --bus NAME"
    )
    assert "no stack named" not in result[2]


# --- report and dashboard: self-contained HTML pages, read by GetItem and Query only ------------------------------


def test_report_writes_the_jobs_page_and_says_where(seeded, capsys, recorder, tmp_path):
    page = tmp_path / "churn.html"
    code, out, err = run(capsys, "--table", seeded.table_name, "report", "churn", "-o", str(page), "--json")

    assert (code, err) == (0, "")
    answer = json.loads(out)
    assert answer == {"job_name": "churn", "page": str(page), "bytes": page.stat().st_size}
    html = page.read_text()
    assert html.startswith("<!doctype html>") and "<title>churn: Completed</title>" in html
    assert 'id="features-mark-1"' in html and 'id="leaderboard-mark-1"' in html
    assert set(recorder.calls) <= {"dynamodb.GetItem", "dynamodb.Query"}  # never a Scan
    assert recorder.calls["dynamodb.GetItem"] == 1


def test_report_defaults_to_the_jobs_name_here_or_stdout(seeded, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, "--table", seeded.table_name, "report", "fraud", "--output", "text")
    assert code == 0
    assert out == f"{tmp_path / 'fraud.html'}\n"
    assert "ClientError: the target column has one value" in (tmp_path / "fraud.html").read_text()

    code, out, _ = run(capsys, "--table", seeded.table_name, "report", "fraud", "-o", "-")
    assert code == 0 and out.startswith("<!doctype html>") and out.rstrip().endswith("</html>")


def test_report_errors_are_one_line_with_their_codes(seeded, capsys, tmp_path):
    assert_error(run(capsys, "--table", seeded.table_name, "report", "nope"), ExitCode.NO_JOB, "no report for job")
    unwritable = tmp_path / "missing" / "page.html"
    result = run(capsys, "--table", seeded.table_name, "report", "churn", "-o", str(unwritable))
    assert_error(result, ExitCode.CANNOT_WRITE, f"cannot write {unwritable}")


def test_dashboard_reads_by_query_only_and_counts_the_period(seeded, capsys, recorder, tmp_path):
    page = tmp_path / "dashboard.html"
    code, out, err = run(
        capsys, "--table", seeded.table_name, "dashboard", *WINDOW, "-o", str(page), "--stuck-after", "0", "--json"
    )

    assert (code, err) == (0, "")
    assert json.loads(out)["jobs_ended"] == 4  # churn, churn-v2, fraud, scoring ended that day; fraud-old before
    assert set(recorder.calls) == {"dynamodb.Query"}
    html = page.read_text()
    for job in ("fraud", "scoring", "churn"):  # failed, or with partial failures
        assert f"#/automl-jobs/{job}" in html
    assert "fraud-old" not in html
    assert 'id="ended-mark-' in html


def test_dashboard_lists_the_jobs_stuck_now(store, capsys, tmp_path):
    now = datetime.now(UTC)
    save(store, record("quiet", "InProgress", at=now - timedelta(hours=6), secondary="ModelTuning"))
    save(store, record("busy", "InProgress", at=now - timedelta(minutes=10), secondary="ModelTuning"))
    page = tmp_path / "dashboard.html"
    code, _, err = run(capsys, "--table", store.table_name, "dashboard", "-o", str(page))
    assert (code, err) == (0, "")
    html = page.read_text()
    assert "1 job InProgress and quiet for 4h 00m or more" in html
    assert "#/automl-jobs/quiet" in html and "#/automl-jobs/busy" not in html


# --- the CLI's documentation: exit codes, text columns, examples that run ------------------------------------------

DEPLOY_DOCS = Path(__file__).resolve().parents[2] / "docs" / "deploy.md"


def test_documented_exit_codes_are_the_codes():
    documented = {int(code) for code in re.findall(r"^\| (\d+) \|", DOCS.read_text(), flags=re.MULTILINE)}
    assert documented == {int(code) for code in ExitCode}
    assert set(EXIT_CODES) == set(ExitCode)


def test_documented_text_columns_are_the_columns():
    text = DOCS.read_text()
    for command, columns in (
        ("show, list, watch", RECORD_COLUMNS),
        ("history", HISTORY_COLUMNS),
        ("families", FAMILY_COLUMNS),
        ("import-history", IMPORT_COLUMNS),
        ("spokes", SPOKE_COLUMNS),
    ):
        documented = re.search(rf"^ *- `{re.escape(command)}`: (.*)$", text, flags=re.MULTILINE).group(1)
        assert re.findall(r"`(\w+)`", documented) == list(columns), command


def documented_examples() -> list[str]:
    block = re.search(r"<!-- examples: tested -->\n```sh\n(.*?)\n```", DOCS.read_text(), flags=re.DOTALL).group(1)
    return [line.split("  # ")[0].strip() for line in block.splitlines() if line.strip()]


def test_documented_examples_run(seeded, capsys):
    examples = documented_examples()
    assert len(examples) >= 5
    for example in examples:
        command, _, rest = example.partition(" | ")
        words = shlex.split(command)
        assert words[0] == "autopilot-reports"
        code, out, err = run(capsys, "--table", seeded.table_name, *words[1:])
        assert (code, err) == (0, ""), example
        if rest:
            out = subprocess.run(rest, shell=True, input=out, capture_output=True, text=True, check=True).stdout
        assert out.strip(), example
