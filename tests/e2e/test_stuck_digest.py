"""Stuck jobs and the digest, end to end (docs/design.md §2.5, issue "what a practitioner opens next").

`stuck_digest.json`: a job sits in ModelTuning for over four hours (past the default stuckAfterMinutes
of 240) before it completes, beside a quick job and a failed one; the digest runs at the last tick, as
its schedule would. Exactly one "may be stuck" message, for the quiet job; one digest whose counts match
the records; every job's terminal report once. It runs once (about 265 scenario minutes of ticks).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sandbox.scenario import load_scenario
from tests.e2e.test_scenarios import SCENARIOS, check_outputs, load_expectation, read_jsonl, run_checked

NAME = "stuck_digest"


def test_one_stuck_message_per_stall_and_a_digest_that_matches_the_records(
    tmp_path: Path, template_json: dict[str, Any]
) -> None:
    scenario = load_scenario(SCENARIOS / f"{NAME}.json")
    expect = load_expectation(NAME)
    summary = run_checked(scenario, template_json, tmp_path)

    check_outputs(tmp_path, expect)  # records, ended notifications, the one stuck message, history
    notifications = read_jsonl(tmp_path / "notifications.jsonl")
    [stuck] = [n for n in notifications if n["attributes"]["event_type"] == "stuck"]
    assert stuck["attributes"]["job_name"] == "tune-stall-2026-08-03"
    assert stuck["attributes"]["secondary_status"] == "ModelTuning"
    assert "may be stuck" in stuck["subject"]

    [digest_message] = [n for n in notifications if n["attributes"]["event_type"] == "digest"]
    digest = json.loads(digest_message["message"]["sqs"])
    records = read_jsonl(tmp_path / "records.jsonl")
    counts = {status: sum(1 for r in records if r["status"] == status) for status in digest["counts"]}
    assert digest["counts"] == counts == {"Completed": 2, "Failed": 1, "Stopped": 0, "InProgress": 0}
    assert digest["failed"] == ["fails-2026-08-03"] and digest["stuck"] == []
    assert {family["family"] for family in digest["families"]} == {"tune-stall", "quick", "fails"}
    assert summary["aws_calls"].get("dynamodb.Scan", 0) == 0
