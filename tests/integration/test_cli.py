"""`autopilot-reports` against the table on moto, in process: every command with and without --json,
exact filters, one-line errors with their own exit codes, and only GetItem/Query on the table."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest

from autopilot_reports.adapters.dynamodb import DynamoDBReportStore
from autopilot_reports.cli import main
from autopilot_reports.cli.errors import ExitCode
from autopilot_reports.models.events import ImportProgress, ImportRequest
from autopilot_reports.models.record import (
    Explainability,
    FeatureImportance,
    HistoryEntry,
    LeaderboardEntry,
    Objective,
    ReportRecord,
)
from tests.integration.conftest import REGION, CallRecorder

T0 = datetime(2025, 6, 1, 8, 0, tzinfo=UTC)
WINDOW = ("--since", "2025-06-01", "--until", "2025-06-01")  # the whole day
PDF = "s3://bucket/churn/explain/report.pdf"
HTML = "s3://bucket/churn/explain/report.html"


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
            "objective": Objective(metric="F1", type="Maximize", value=0.875),
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
                LeaderboardEntry(
                    candidate=f"{name}-best", objective=Objective(metric="F1", type="Maximize", value=0.875)
                ),
                LeaderboardEntry(
                    candidate=f"{name}-second", objective=Objective(metric="F1", type="Maximize", value=0.8)
                ),
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
        **extra,  # type: ignore[arg-type]
    )


def save(store: DynamoDBReportStore, rec: ReportRecord) -> None:
    store.save_report(rec, HistoryEntry.of(rec, "schedule"), claim_notification=False)


@pytest.fixture
def store(table_name):
    return DynamoDBReportStore(table_name, dynamodb=boto3.client("dynamodb", region_name=REGION))


@pytest.fixture
def seeded(store):
    save(store, record("churn", "InProgress", minutes=1, secondary="Starting"))
    save(store, record("churn", minutes=9, partial=("1 candidate failed: OOM",), rich=True))
    save(store, record("churn-v2", minutes=20))
    save(store, record("fraud", "Failed", minutes=5))
    save(store, record("fraud-old", "Failed", minutes=5, at=T0 - timedelta(days=3)))
    save(store, record("scoring", "Failed", minutes=30, partial=("2 candidates failed",)))
    save(store, record("pricing", "InProgress", minutes=40, secondary="ModelTuning"))
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
    assert json.loads(out) == seeded.get_report("churn").model_dump(mode="json")
    assert len(out.splitlines()) == 1


def test_json_may_also_come_before_the_command(seeded, capsys):
    code, out, _ = run(capsys, "--table", seeded.table_name, "--json", "show", "churn")
    assert code == 0
    assert json.loads(out)["job_name"] == "churn"


def test_show_readable_report(seeded, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    code, out, _ = run(capsys, "--table", seeded.table_name, "show", "churn")

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
    code, out, _ = run(capsys, "--table", seeded.table_name, "show", "fraud")
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
    assert lines(out) == [entry.model_dump(mode="json") for entry in seeded.history("churn")]


def test_history_readable(seeded, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    code, out, _ = run(capsys, "--table", seeded.table_name, "history", "churn")
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


def test_list_defaults_to_the_last_seven_days(store, capsys):
    now = datetime.now(UTC)
    save(store, record("today", at=now - timedelta(hours=1)))
    save(store, record("last-week", "Failed", at=now - timedelta(days=6)))
    save(store, record("too-old", at=now - timedelta(days=8)))

    code, out, _ = run(capsys, "--table", store.table_name, "list", "--json")

    assert code == 0
    assert names(out) == ["today", "last-week"]


def test_list_readable(seeded, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    code, out, _ = run(capsys, "--table", seeded.table_name, "list", "--status", "Failed", *WINDOW)
    assert code == 0
    assert "2 jobs (Failed) modified 2025-06-01T00:00:00.000Z .. 2025-06-01T23:59:59.999Z" in out
    assert "scoring" in out and "fraud" in out and "fraud-old" not in out


def test_list_readable_says_when_the_limit_cuts(seeded, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    code, out, _ = run(capsys, "--table", seeded.table_name, "list", "--limit", "1", *WINDOW)
    assert code == 0
    assert "(showing 1 of 5; see --limit)" in out


def test_every_read_is_a_get_item_or_a_query(seeded, capsys, recorder):
    table = seeded.table_name
    for args in (
        ("show", "churn"),
        ("history", "churn"),
        ("history", "ghost"),
        ("list", *WINDOW),
        ("list", "--status", "Failed", *WINDOW),
        ("list", "--partial-failures", *WINDOW),
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
    assert_error(result, ExitCode.NO_CREDENTIALS, "no AWS profile named 'nobody'")


def test_no_region(table_name, capsys, monkeypatch, tmp_path):
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    assert_error(run(capsys, "--table", table_name, "show", "churn"), ExitCode.USAGE, "no AWS region")


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

    monkeypatch.setattr(DynamoDBReportStore, "get_import_progress", answer, raising=False)
    return script


IMPORT = ("import-history", "--since", "2025-01-01", "--until", "2025-01-31", "--poll-interval", "0")


def test_import_history_puts_one_event_and_waits_until_done(bus, import_progress, capsys):
    import_progress[:] = [
        None,
        None,
        progress("running", 100, 1, cursor=datetime(2025, 1, 16, tzinfo=UTC)),
        progress("done", 150, 2),
    ]
    code, out, err = run(capsys, *IMPORT)

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
    code, out, _ = run(capsys, *IMPORT)

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
    result = run(capsys, *IMPORT, "--timeout", "0")
    assert_error(result, ExitCode.IMPORT_TIMEOUT, "10 jobs seen so far", out_empty=False)  # the bar so far


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
