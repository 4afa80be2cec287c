"""First contact (docs/design.md §2.2): the stack is deployed into an account with history.

`first_contact.json`: 24 jobs that ended weeks before the deploy, 2 running at the deploy (last modified
long before the first tick's window), 11 created after it; at tick 3 a history import of the two months
before the deploy. No tick may list, report or notify the history; the import writes its records quietly;
every job that ends after the deploy is notified exactly once, whoever sees its end first. The same
scenario runs in three regions, its ARNs and image hosts moved to each.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sandbox.scenario import load_scenario, parse_timestamp
from tests.e2e.test_scenarios import SCENARIOS, check_outputs, read_jsonl, run_checked

NAME = "first_contact"
WRITTEN_FOR = "us-east-1"
REGIONS = (
    "eu-west-1",
    "ap-southeast-2",
    pytest.param("us-east-1", marks=pytest.mark.slow),
)  # us-east-1: every other scenario
DYNAMODB_READS = {"dynamodb.Query", "dynamodb.GetItem", "dynamodb.BatchGetItem"}
DYNAMODB_WRITES = {"dynamodb.PutItem", "dynamodb.UpdateItem", "dynamodb.TransactWriteItems", "dynamodb.DeleteItem"}


def in_region(path: Path, region: str) -> Any:
    """A scenario file (or its expectation) moved to `region`: ARNs (`:us-east-1:`) and image hosts."""
    return json.loads(path.read_text().replace(WRITTEN_FOR, region))


@pytest.mark.parametrize("region", REGIONS)
def test_history_is_imported_quietly_and_new_endings_notified_once(
    region: str, tmp_path: Path, template_json: dict[str, Any]
) -> None:
    scenario = load_scenario(in_region(SCENARIOS / f"{NAME}.json", region))
    expect = in_region(SCENARIOS / f"{NAME}.expect.json", region)
    assert scenario.region == region and scenario.deployed_at and len(scenario.backfills) == 1
    summary = run_checked(scenario, template_json, tmp_path)
    check_outputs(tmp_path, expect)

    deployed = scenario.start_time
    created = {job.name: job.describe[0]["CreationTime"] for job in scenario.jobs}
    before = {name for name, when in created.items() if parse_timestamp(when) < deployed}
    old = {name for name in before if expect["notifications"][name] == 0}
    assert len(old) == 24 and len(before - old) == 2 and len(created) - len(before) == 11

    # The history reached the table only through the import: never through a tick or a CloudTrail nudge.
    history = read_jsonl(tmp_path / "history.jsonl")
    assert {entry["detected_by"] for entry in history if entry["job_name"] in old} == {"backfill"}
    events = [event["detail"] for event in read_jsonl(tmp_path / "events.jsonl")]
    assert {event["DetectedBy"] for event in events if event["AutoMLJobName"] in old} == {"backfill"}
    nudged = {event["AutoMLJobName"] for event in events if event["DetectedBy"] == "cloudtrail"}
    assert not nudged & before, "CloudTrail never saw jobs created before the deploy"

    # Every read of the table is a Query or a GetItem.
    table_calls = {call for call in summary["aws_calls"] if call.startswith("dynamodb.")}
    assert table_calls <= DYNAMODB_READS | DYNAMODB_WRITES, table_calls - DYNAMODB_READS - DYNAMODB_WRITES
