"""`python -m sandbox run ... --serve`: the emulators stay up after the run, `endpoint.json` says where,
and the installed `autopilot-reports` (a separate process, as a person would run it) reads the result;
SIGTERM ends it cleanly."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "tests" / "e2e" / "scenarios"
STARTUP_TIMEOUT = 300
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "sandbox", "AWS_SECRET_ACCESS_KEY": "sandbox", "AWS_SESSION_TOKEN": "sandbox"}


class Served:
    def __init__(self, process: subprocess.Popen[str], out: Path) -> None:
        self.process = process
        self.out = out
        self.endpoint: dict[str, str] = json.loads((out / "endpoint.json").read_text())
        self.records = [json.loads(line) for line in (out / "records.jsonl").read_text().splitlines() if line]

    def cli(self, *args: str, region_option: bool = True, columns: int = 200) -> subprocess.CompletedProcess[str]:
        where = ["--endpoint-url", self.endpoint["endpoint_url"], "--table", self.endpoint["table"]]
        if region_option:
            where += ["--region", self.endpoint["region"]]
        env = cli_env(columns)
        if not region_option:  # as docs/deploy.md has people export it
            env["AWS_REGION"] = self.endpoint["region"]
        return subprocess.run(
            [*cli_command(), *where, *args], capture_output=True, text=True, timeout=90, env=env, cwd=ROOT
        )

    def names(self, predicate: Any) -> set[str]:
        return {record["job_name"] for record in self.records if predicate(record)}


def cli_command() -> list[str]:
    """The console script `make setup` installs; `python -m autopilot_reports.cli` where it is not."""
    script = Path(sys.executable).parent / "autopilot-reports"
    return [str(script)] if script.exists() else [sys.executable, "-m", "autopilot_reports.cli"]


def cli_env(columns: int = 200) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env.update(CREDENTIALS)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "lambdas"), os.environ.get("PYTHONPATH")]))
    env["COLUMNS"] = str(columns)
    return env


@pytest.fixture(scope="module")
def template_file(template_json, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "AutopilotReports.template.json"
    path.write_text(json.dumps(template_json))
    return path


@pytest.fixture(scope="module", params=["hostile_text", "explainability_error_partial"])
def served(request, template_file, tmp_path_factory) -> Iterator[Served]:
    out = tmp_path_factory.mktemp("served")
    scenario = SCENARIOS / f"{request.param}.json"
    process = subprocess.Popen(
        [sys.executable, "-m", "sandbox", "run", str(scenario), "--out", str(out), "--serve", "--port", "0"]
        + ["--template", str(template_file)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for(out / "endpoint.json", process)
        yield Served(process, out)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=30)


def wait_for(path: Path, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while not path.exists():
        if process.poll() is not None:
            out, err = process.communicate()
            pytest.fail(f"sandbox exited {process.returncode} before serving:\n{out}\n{err}")
        if time.monotonic() > deadline:
            pytest.fail(f"no {path.name} after {STARTUP_TIMEOUT}s")
        time.sleep(0.2)


EVERYTHING = ("--since", "2000-01-01", "--until", "2100-01-01")


def test_endpoint_file_says_where(served):
    assert {"endpoint_url", "region", "table", "dynamodb_engine"} <= set(served.endpoint)
    assert served.endpoint["endpoint_url"].startswith("http://127.0.0.1:")
    if served.endpoint["dynamodb_engine"] == "dynamodb-local":  # one front endpoint; DynamoDB Local's own port too
        assert served.endpoint["dynamodb_endpoint_url"].startswith("http://127.0.0.1:")
    assert served.records


def test_show_json_prints_the_record(served):
    for record in served.records:
        result = served.cli("show", record["job_name"], "--json")
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout) == record


def test_show_table_is_a_readable_report(served):
    record = served.records[0]
    result = served.cli("show", record["job_name"], "--output", "table")

    assert result.returncode == 0, result.stderr
    assert record["job_name"] in result.stdout
    assert record["status"] in result.stdout
    assert f"#/automl-jobs/{record['job_name']}" in result.stdout
    if record["failure_reason"]:
        assert "Failure reason:" in result.stdout
    if record["partial_failures"]:
        assert f"Partial failures ({len(record['partial_failures'])})" in result.stdout
    with pytest.raises(json.JSONDecodeError):
        json.loads(result.stdout)


def listed(served: Served, *args: str) -> list[dict[str, Any]]:
    result = served.cli("list", *EVERYTHING, *args, "--json")
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_list_failed_returns_exactly_the_failed_jobs(served):
    rows = listed(served, "--status", "Failed")
    assert {row["job_name"] for row in rows} == served.names(lambda r: r["status"] == "Failed")
    assert len(rows) == len({row["job_name"] for row in rows})
    by_name = {record["job_name"]: record for record in served.records}
    assert all(row == by_name[row["job_name"]] for row in rows)


def test_list_partial_failures_returns_exactly_those_jobs(served):
    rows = listed(served, "--partial-failures")
    assert {row["job_name"] for row in rows} == served.names(lambda r: bool(r["partial_failures"]))


def test_history_lists_each_jobs_transitions(served):
    history = [json.loads(line) for line in (served.out / "history.jsonl").read_text().splitlines() if line]
    for record in served.records:
        result = served.cli("history", record["job_name"], "--json")
        assert result.returncode == 0, result.stderr
        rows = [json.loads(line) for line in result.stdout.splitlines()]
        assert rows == [entry for entry in history if entry["job_name"] == record["job_name"]]


def test_text_is_the_default_through_a_pipe(served):
    """Not a terminal: one tab-separated line per job, the columns docs/querying.md lists."""
    result = served.cli("list", *EVERYTHING, "--status", "Failed")
    assert result.returncode == 0, result.stderr
    rows = [line.split("\t") for line in result.stdout.splitlines()]
    assert {row[0] for row in rows} == served.names(lambda r: r["status"] == "Failed")
    assert {row[1] for row in rows} <= {"Failed"}


def test_import_history_finds_the_bus_beside_the_table(served):
    """No stack in the sandbox: the bus is the one whose rules take history imports."""
    result = served.cli(
        "import-history", "--since", "2000-01-01", "--until", "2000-01-01", "--no-wait", "--output", "text"
    )
    assert result.returncode == 0, result.stderr
    import_id, status, start, end = result.stdout.split("\t")[:4]
    assert (status, start, end) == ("started", "2000-01-01T00:00:00.000Z", "2000-01-02T00:00:00.000Z")
    assert import_id == "import-20000101T000000Z-20000102T000000Z"


def test_unknown_job_is_a_one_line_error(served):
    result = served.cli("show", "no-such-job")
    assert result.returncode == 7
    assert result.stderr.strip() == (
        f"autopilot-reports: no report for job 'no-such-job' in table {served.endpoint['table']!r}"
    )


def test_the_latest_item_is_native_dynamodb_data(served):
    """Any DynamoDB tool reads the record as data: maps, lists and numbers, not a JSON string."""
    dynamodb = boto3.resource(
        "dynamodb",
        endpoint_url=served.endpoint["endpoint_url"],
        region_name=served.endpoint["region"],
        aws_access_key_id="sandbox",
        aws_secret_access_key="sandbox",
    )
    table = dynamodb.Table(served.endpoint["table"])
    for record in served.records:
        item = table.get_item(Key={"pk": f"JOB#{record['job_name']}", "sk": "REPORT"})["Item"]
        assert item["job_name"] == record["job_name"]
        assert item["status"] == record["status"]
        if record["objective"] is not None:
            assert isinstance(item["objective"], dict)
            assert isinstance(item["objective"]["value"], Decimal)
            assert float(item["objective"]["value"]) == pytest.approx(record["objective"]["value"])
        else:
            assert item["objective"] is None
        assert isinstance(item["explainability"], dict)
        assert isinstance(item["explainability"]["top_features"], list)
        assert isinstance(item["partial_failures"], list)
        assert item["partial_failures"] == record["partial_failures"]


HIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")


def test_data_is_shown_never_obeyed_at_80_columns(served):
    """docs/design.md §4.2 on the terminal: no control, bidi or zero-width character from the data reaches it, and
    Rich markup in the data is printed as written."""
    outputs = [served.cli("list", "--output", "table", columns=80).stdout]
    for record in served.records:
        outputs.append(served.cli("show", record["job_name"], "--output", "table", columns=80).stdout)
        outputs.append(served.cli("history", record["job_name"], "--output", "table", columns=80).stdout)
    text = "\n".join(outputs)
    assert not HIDDEN.search(text.replace("\n", "")), "a hidden character reached the terminal"
    if "hostile-features" in text:
        assert "[bold]rich[/bold]" in text and "\\x1b[31mred" in text and "\\u202e" in text


def test_the_first_hour_against_a_served_sandbox(served):
    """In a new shell with only AWS_REGION set: the newest jobs with no --since, whole names through grep
    at 80 columns, an option after the command, show --wait by status, and a history import that completes
    (the served sandbox keeps running the stack's functions)."""
    newest = served.cli("list", region_option=False, columns=80)
    assert newest.returncode == 0, newest.stderr
    completed = [line.split("\t")[0] for line in newest.stdout.splitlines() if "\tCompleted\t" in line]
    assert set(completed) == served.names(lambda r: r["status"] == "Completed")
    record = served.records[0]
    after = served.cli("show", record["job_name"], "--output", "json", region_option=False)
    assert after.returncode == 0 and json.loads(after.stdout)["job_name"] == record["job_name"], after.stderr
    for record in served.records:
        waited = served.cli("show", "--wait", record["job_name"], "--output", "text", region_option=False)
        assert waited.returncode == {"Completed": 0, "Failed": 10, "Stopped": 11}[record["status"]], waited.stderr
    imported = served.cli(
        "import-history", "--since", "2001-01-01", "--until", "2001-01-31", "--output", "text", "--timeout", "60"
    )
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.split("\t")[1] == "done"


# --- local tools only, one endpoint for every service --------------------------------------------------------


def raw_request(url: str, headers: dict[str, str], path: str = "/", method: str = "POST") -> tuple[int, dict[str, str]]:
    """One request with exactly these headers (a browser's, or a DNS-rebound page's): status and headers."""
    where = urlsplit(url)
    connection = http.client.HTTPConnection(where.hostname, where.port, timeout=30)
    body = b"{}" if method == "POST" else None
    try:
        connection.request(method, path, body=body, headers={"Content-Type": "application/x-amz-json-1.0", **headers})
        response = connection.getresponse()
        response.read()
        return response.status, {name.lower(): value for name, value in response.getheaders()}
    finally:
        connection.close()


def test_every_served_port_answers_local_tools_only(served):
    """DNS rebinding (a foreign Host), a web page (an Origin, a CORS preflight) and moto's /moto-api are
    refused on the front and on every emulator's own port endpoint.json names; no answer grants CORS."""
    list_tables = {"X-Amz-Target": "DynamoDB_20120810.ListTables"}
    ports = [
        served.endpoint[name]
        for name in ("endpoint_url", "sagemaker_endpoint_url", "dynamodb_endpoint_url")
        if name in served.endpoint
    ]
    assert len(ports) >= 2
    for url in ports:
        netloc = urlsplit(url).netloc
        port = urlsplit(url).port
        for headers in (
            {"Host": f"rebound.example:{port}", **list_tables},
            {"Host": netloc, "Origin": "https://evil.example", **list_tables},
        ):
            status, answer = raw_request(url, headers)
            assert status == 403, (url, headers)
            assert not [name for name in answer if name.startswith("access-control-")], (url, answer)
        status, answer = raw_request(
            url,
            {"Host": netloc, "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
            method="OPTIONS",
        )
        assert status == 403 and "access-control-allow-origin" not in answer, url
    front = served.endpoint["endpoint_url"]
    for path in ("/moto-api/", "/moto-api/reset", "/moto-api/data.json"):
        assert raw_request(front, {"Host": urlsplit(front).netloc}, path, method="GET")[0] == 403, path
    # a local tool's request reaches the emulator (which then asks for a signature)
    assert raw_request(front, {"Host": urlsplit(front).netloc, **list_tables})[0] != 403


def test_the_endpoint_answers_the_automl_calls_from_the_simulator(served):
    """`aws sagemaker list-auto-ml-jobs --endpoint-url ...` (or cloud-custodian) sees the jobs the stack saw,
    not moto's empty list; endpoint.json names the simulator's own port too."""
    assert served.endpoint["sagemaker_endpoint_url"].startswith("http://127.0.0.1:")
    sagemaker = boto3.client(
        "sagemaker",
        endpoint_url=served.endpoint["endpoint_url"],
        region_name=served.endpoint["region"],
        aws_access_key_id="sandbox",
        aws_secret_access_key="sandbox",
    )
    listed = {summary["AutoMLJobName"] for summary in sagemaker.list_auto_ml_jobs(MaxResults=100)["AutoMLJobSummaries"]}
    assert listed == {record["job_name"] for record in served.records}
    for record in served.records:
        if record["api"] == "v1":
            described = sagemaker.describe_auto_ml_job(AutoMLJobName=record["job_name"])
        else:
            described = sagemaker.describe_auto_ml_job_v2(AutoMLJobName=record["job_name"])
        assert described["AutoMLJobStatus"] == record["status"]
        candidates = sagemaker.list_candidates_for_auto_ml_job(AutoMLJobName=record["job_name"])["Candidates"]
        assert {candidate["CandidateName"] for candidate in candidates} >= {
            entry["candidate"] for entry in record["leaderboard"] or []
        }
    assert sagemaker.list_training_jobs()["TrainingJobSummaries"] == []  # the rest of SageMaker is moto's


def test_sigterm_ends_serving_cleanly(served):
    served.process.send_signal(signal.SIGTERM)
    out, err = served.process.communicate(timeout=60)

    assert served.process.returncode == 0, err
    assert "Traceback" not in err
    assert "query it with:" in out
    assert f"show {served.records[0]['job_name']}" in out
    assert not (served.out / "endpoint.json").exists()
