"""End to end: scenario files through `python -m sandbox run`'s engine, on moto and the simulator, with
resources provisioned from the synthesized template. Each scenario's `.expect.json` (written by
`python -m tools.make_scenarios`) says what docs/design.md requires of its records, leaderboards, history and
notifications; every scenario also runs with each event delivered three times in shuffled order, and
must give the same records and notifications. Scenarios with a test module of their own (first contact,
crashes) are checked there with the helpers below."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from autopilot_reports.domain.links import s3_console_url
from autopilot_reports.domain.untrusted import chat_text, email_line
from autopilot_reports.models.common import hours_minutes
from sandbox.runner import run_scenario
from sandbox.scenario import Scenario, load_scenario

SCENARIOS = Path(__file__).parent / "scenarios"
OWN_TESTS = {
    "first_contact": "test_first_contact.py",
    "crashes": "test_crashes.py",
    "stuck_digest": "test_stuck_digest.py",
    "organization": "test_organization.py",
    "silent_spoke": "test_organization.py",
}
NAMES = sorted(
    name for path in SCENARIOS.glob("*.expect.json") if (name := path.name[: -len(".expect.json")]) not in OWN_TESTS
)
TERMINAL = ("Completed", "Failed", "Stopped")
CONSOLE = "console.aws.amazon.com/sagemaker"
SERVICE_NAMES = {"eventbridge": "events"}  # summary (botocore's service id) -> scenario faults


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line]


def load_expectation(name: str) -> dict[str, Any]:
    expect: dict[str, Any] = json.loads((SCENARIOS / f"{name}.expect.json").read_text())
    return expect


def run_checked(scenario: Scenario, template: dict[str, Any], out: Path) -> dict[str, Any]:
    """Runs a scenario; every invocation must end well, the failure queues stay empty, no query scans."""
    summary = run_scenario(scenario, template, out)
    assert all(stats["failed"] == 0 for stats in summary["invocations"].values()), summary["invocations"]
    assert not any(summary["queue_depths"].values()), summary["queue_depths"]
    assert not [call for call in summary["aws_calls"] if call.endswith(".Scan")]
    return summary


def run(name: str, tmp_path: Path, template: dict[str, Any], redeliver: bool) -> tuple[Path, dict[str, Any]]:
    scenario = load_scenario(SCENARIOS / f"{name}.json")
    if redeliver:
        delivery = scenario.delivery.model_copy(update={"duplicates": 2, "shuffle": True, "seed": 11})
        scenario = scenario.model_copy(update={"delivery": delivery})
    out = tmp_path / ("redelivered" if redeliver else "plain")
    summary = run_checked(scenario, template, out)
    check_injected(scenario, summary)
    return out, summary


def check_injected(scenario: Scenario, summary: dict[str, Any]) -> None:
    """What the scenario asks the sandbox to inject really happened, so a pass is not an accident."""
    if scenario.delivery.duplicates:
        assert summary["duplicates_delivered"] > 0, "no duplicate was delivered"
    asked = {service for service, rate in scenario.delivery.faults.model_dump().items() if rate > 0}
    if asked:
        injected = {SERVICE_NAMES.get(name, name) for name, count in summary["faults_injected"].items() if count}
        assert injected, f"faults asked for {sorted(asked)}, none injected"
        assert injected <= asked, f"faults injected in {sorted(injected - asked)} without being asked"
        rates = scenario.delivery.faults.model_dump()
        calls: dict[str, int] = {}
        for operation, count in summary["aws_calls"].items():
            service = operation.split(".", 1)[0]
            calls[service] = calls.get(service, 0) + count
        # a service called often enough that a run without one fault there would be a 2% accident
        expected = {service for service in asked if rates[service] * calls.get(service, 0) >= 4}
        assert expected <= injected, f"faults asked for {sorted(expected - injected)}, none injected there"
    if scenario.delivery.crashes:
        assert sum(summary["crashes_injected"].values()) > 0, "no crash was injected"


# --- records ----------------------------------------------------------------------------------------


def check_record(record: dict[str, Any], expected: dict[str, Any], places: int) -> None:
    for field, value in expected.items():
        if field == "explainability":
            check_explainability(record["explainability"], value, places)
        elif field == "compute":
            check_compute(record["compute"], value)
        elif field == "leaderboard":
            board = record["leaderboard"]
            names = None if board is None else [entry["candidate"] for entry in board]
            assert names == value, f"{record['job_name']}.leaderboard"
        else:
            assert record[field] == value, f"{record['job_name']}.{field}"


def check_explainability(actual: dict[str, Any], expected: dict[str, Any], places: int) -> None:
    for field, value in expected.items():
        if field == "artifact_keys":
            assert sorted(actual["artifacts"]) == sorted(value)
            assert all(uri.startswith("s3://") for uri in actual["artifacts"].values())
        elif field == "reason_contains":
            assert actual["reason"] and value.lower() in actual["reason"].lower(), actual["reason"]
        elif field == "top_features":
            got = [(item["feature"], round(item["importance"], places)) for item in actual["top_features"]]
            assert got == [(item["feature"], round(item["importance"], places)) for item in value]
        else:
            assert actual[field] == value, f"explainability.{field}"
    if actual["state"] != "available":
        assert actual["reason"], "a state other than available must say why"


def check_compute(actual: dict[str, Any] | None, expected: dict[str, Any]) -> None:
    """docs/design.md §4, `compute`, against the oracle's hand computation (seconds to the millisecond,
    the amount to the millionth of its currency); `incomplete` names each child job that was not described."""
    assert actual is not None, "the job was not costed"
    assert actual["child_jobs"] == expected["child_jobs"]
    assert actual["instance_seconds"] == pytest.approx(expected["instance_seconds"], abs=1e-3)
    for field in ("billable_seconds", "spot_savings_seconds"):
        assert actual[field] == pytest.approx(expected[field], abs=1e-3), field
    cost, wanted = actual["estimated_cost"], expected["estimated_cost"]
    assert cost["amount"] == pytest.approx(wanted["amount"], abs=1e-6) and cost["currency"] == wanted["currency"]
    assert cost["basis"].startswith("on-demand list price") and wanted["basis_contains"] in cost["basis"]
    names = expected["incomplete_names"]
    assert (actual["incomplete"] is None) == (not names), actual["incomplete"]
    for name in names:
        assert name in actual["incomplete"], name


def check_records(out: Path, expect: dict[str, Any]) -> dict[str, dict[str, Any]]:
    records = {record["job_name"]: record for record in read_jsonl(out / "records.jsonl")}
    places = expect.get("importance_places", 6)
    assert set(records) == set(expect["records"]), "one record per job, and only those"
    for job, expected in expect["records"].items():
        check_record(records[job], expected, places)
    return records


# --- notifications ----------------------------------------------------------------------------------


def notifications_per_job(out: Path, event_type: str = "ended") -> dict[str, int]:
    """How many messages of one event type went out per job (every message's shape is checked)."""
    per_job: dict[str, int] = {}
    for notification in read_jsonl(out / "notifications.jsonl"):
        check_message(notification)
        if notification["attributes"]["event_type"] != event_type:
            continue
        name = notification["attributes"].get("job_name", "")
        per_job[name] = per_job.get(name, 0) + 1
    return per_job


def check_message(notification: dict[str, Any]) -> None:
    """One SNS publish as docs/design.md §2, §4 and §5 describe it: an event_type to filter on, a one-line
    subject, an e-mail text and a chat (AWS Chatbot custom notification) body; a job's messages lead to it
    in the console."""
    attributes, message, subject = notification["attributes"], notification["message"], notification["subject"]
    assert attributes["event_type"] in ("ended", "stuck", "digest")
    assert "\n" not in subject and len(subject) < 100, subject
    assert {"default", "email", "https", "lambda", "sqs"} <= set(message)
    if attributes["event_type"] == "digest":
        chat = json.loads(message["https"])
        assert chat["source"] == "custom" and chat["content"]["textType"] == "client-markdown"
        assert {"period", "counts", "failed", "families", "stuck"} <= set(json.loads(message["sqs"]))
        return
    job, status = attributes["job_name"], attributes["status"]
    assert {"job_name", "status", "has_partial_failures"} <= set(attributes)
    assert attributes["has_partial_failures"] in ("true", "false")
    if attributes["event_type"] == "stuck":
        assert status == "InProgress" and job in subject and CONSOLE in message["email"]
        return
    assert status in TERMINAL
    assert {"default", "email", "https", "lambda", "sqs"} <= set(message)
    assert "\n" not in subject and len(subject) < 100 and job in subject, subject
    assert CONSOLE in message["email"] and job in message["email"], "the e-mail links to the job in the console"
    chat = json.loads(message["https"])
    assert chat["version"] and chat["source"] == "custom"
    content, metadata = chat["content"], chat["metadata"]
    assert content["textType"] == "client-markdown"
    assert content["title"] and status in content.get("keywords", []), content.get("keywords")
    assert CONSOLE in content["description"] and job in content["description"]
    assert job in metadata["threadId"]
    assert metadata["eventType"] and metadata["summary"]
    assert json.loads(message["sqs"])["job_name"] == job


def check_history(out: Path, expected: dict[str, int]) -> None:
    counts: dict[str, int] = {}
    for entry in read_jsonl(out / "history.jsonl"):
        counts[entry["job_name"]] = counts.get(entry["job_name"], 0) + 1
    assert {job: counts.get(job, 0) for job in expected} == expected


def check_outputs(out: Path, expect: dict[str, Any]) -> None:
    """Records, exactly one notification per notify-worthy job and none for the others, exact history."""
    records = check_records(out, expect)
    per_job = notifications_per_job(out)
    assert per_job == {job: count for job, count in expect["notifications"].items() if count}
    assert notifications_per_job(out, "stuck") == expect.get("stuck", {})
    check_history(out, expect["history"])
    for name in per_job:
        assert records[name]["notified_at"], name
    check_clock_agrees(records.values())
    for notification in read_jsonl(out / "notifications.jsonl"):
        if notification["attributes"]["event_type"] == "ended":
            check_what_practitioners_open(records[notification["attributes"]["job_name"]], notification)


def check_what_practitioners_open(record: dict[str, Any], notification: dict[str, Any]) -> None:
    """An ended job's record says why it ended and how long it took, and its e-mail and chat show both,
    link each notebook through the S3 console and name each of the best candidate's metrics."""
    assert record["why_ended"] and record["duration_seconds"] is not None, record["job_name"]
    email = notification["message"]["email"]
    chat = json.loads(notification["message"]["https"])["content"]["description"]
    region = record["job_arn"].split(":")[3]
    for text, gate in ((email, email_line), (chat, chat_text)):  # each medium shows data through its gate
        assert gate(record["why_ended"]) in text, record["job_name"]
        assert hours_minutes(record["duration_seconds"]) in text, record["job_name"]
        for uri in (record["job_artifacts"] or {}).values():
            assert uri is None or s3_console_url(uri, "aws", region) in text, uri
        for metric in record["best_candidate_metrics"] or []:
            assert gate(metric["metric"]) in text, metric


def check_clock_agrees(records: Any) -> None:
    """The scenario clock and the data agree (docs/design.md §6.3): nothing is notified before it ended."""
    for record in records:
        if record["notified_at"]:
            assert record["ended_at"] and record["notified_at"] >= record["ended_at"], record["job_name"]


@pytest.mark.parametrize("name", NAMES)
def test_scenario_produces_what_design_specifies(name: str, tmp_path: Path, template_json: dict[str, Any]) -> None:
    expect = load_expectation(name)
    plain, _ = run(name, tmp_path, template_json, redeliver=False)
    check_outputs(plain, expect)
    events = read_jsonl(plain / "events.jsonl")
    assert all(event["detail-type"] == "AutoML Job State Change" for event in events)

    redelivered, summary = run(name, tmp_path, template_json, redeliver=True)
    assert summary["duplicates_delivered"] > 0
    check_outputs(redelivered, expect)
    assert comparable(read_jsonl(plain / "records.jsonl")) == comparable(read_jsonl(redelivered / "records.jsonl"))


def comparable(records: list[dict[str, Any]]) -> list[str]:
    """Records without the wall-clock `notified_at`, in a stable order."""
    return sorted(json.dumps({k: v for k, v in row.items() if k != "notified_at"}, sort_keys=True) for row in records)
