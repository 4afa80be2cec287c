"""End to end: scenario files through `python -m sandbox run`'s engine, on moto and the simulator, with
resources provisioned from the synthesized template. Each scenario's `.expect.json` says what DESIGN.md
requires of its records and notifications; every scenario also runs with each event delivered three
times in shuffled order, and must give the same records and notifications."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sandbox.runner import run_scenario
from sandbox.scenario import load_scenario

SCENARIOS = Path(__file__).parent / "scenarios"
NAMES = sorted(path.name[: -len(".expect.json")] for path in SCENARIOS.glob("*.expect.json"))


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line]


def run(name: str, tmp_path: Path, template: dict, redeliver: bool) -> Path:
    scenario = load_scenario(SCENARIOS / f"{name}.json")
    if redeliver:
        delivery = scenario.delivery.model_copy(update={"duplicates": 2, "shuffle": True, "seed": 11})
        scenario = scenario.model_copy(update={"delivery": delivery})
    out = tmp_path / ("redelivered" if redeliver else "plain")
    summary = run_scenario(scenario, template, out)
    assert all(stats["failed"] == 0 for stats in summary["invocations"].values()), summary["invocations"]
    assert not [call for call in summary["aws_calls"] if call.endswith(".Scan")]
    return out


def check_record(record: dict, expected: dict, places: int) -> None:
    for field, value in expected.items():
        if field == "explainability":
            check_explainability(record["explainability"], value, places)
        else:
            assert record[field] == value, f"{record['job_name']}.{field}"


def check_explainability(actual: dict, expected: dict, places: int) -> None:
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


def check_outputs(out: Path, expect: dict) -> None:
    records = {record["job_name"]: record for record in read_jsonl(out / "records.jsonl")}
    places = expect.get("importance_places", 6)
    for job, expected in expect["records"].items():
        assert job in records, f"no record for {job}"
        check_record(records[job], expected, places)
    notifications = read_jsonl(out / "notifications.jsonl")
    per_job: dict[str, int] = {}
    for notification in notifications:
        attributes = notification["attributes"]
        assert {"job_name", "status", "has_partial_failures"} <= set(attributes)
        assert attributes["has_partial_failures"] in ("true", "false")
        assert "default" in notification["message"]
        per_job[attributes["job_name"]] = per_job.get(attributes["job_name"], 0) + 1
    assert per_job == {job: count for job, count in expect.get("notifications", {}).items() if count}
    history = read_jsonl(out / "history.jsonl")
    for job, minimum in expect.get("history_min", {}).items():
        assert sum(1 for entry in history if entry["job_name"] == job) >= minimum, job
    for record in records.values():
        if record["status"] in ("Completed", "Failed", "Stopped") and record["job_name"] in per_job:
            assert record["notified_at"], record["job_name"]


@pytest.mark.parametrize("name", NAMES)
def test_scenario_produces_what_design_specifies(name, tmp_path, template_json):
    expect = json.loads((SCENARIOS / f"{name}.expect.json").read_text())
    plain = run(name, tmp_path, template_json, redeliver=False)
    check_outputs(plain, expect)
    events = read_jsonl(plain / "events.jsonl")
    assert all(event["detail-type"] == "AutoML Job State Change" for event in events)

    redelivered = run(name, tmp_path, template_json, redeliver=True)
    check_outputs(redelivered, expect)
    assert comparable(read_jsonl(plain / "records.jsonl")) == comparable(read_jsonl(redelivered / "records.jsonl"))


def comparable(records: list[dict]) -> list[str]:
    """Records without the wall-clock `notified_at`, in a stable order."""
    return sorted(json.dumps({k: v for k, v in row.items() if k != "notified_at"}, sort_keys=True) for row in records)
