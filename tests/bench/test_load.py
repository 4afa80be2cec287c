"""Load: 1,000 jobs x 4 states through the whole sandbox, every event delivered twice in shuffled order.
Each job must end with one record, one history item per state and exactly one notification, and no
invocation may fail. Slow (minutes): run by `make bench`, not `make test`."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from bench import completed_jobs_scenario
from sandbox.runner import run_scenario

JOBS, TICKS = 1_000, 4


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line]


@pytest.mark.slow
def test_every_job_is_reported_and_notified_once_under_duplicated_shuffled_delivery(template_json, tmp_path):
    scenario = completed_jobs_scenario(JOBS, TICKS, duplicates=1, shuffle=True, seed=5, prefix="load")

    summary = run_scenario(scenario, template_json, tmp_path)

    names = {job.name for job in scenario.jobs}
    assert all(stats["failed"] == 0 for stats in summary["invocations"].values()), summary["invocations"]
    assert summary["queue_depths"] == {queue: 0 for queue in summary["queue_depths"]}
    records = read_jsonl(tmp_path / "records.jsonl")
    assert sorted(record["job_name"] for record in records) == sorted(names)
    assert {record["status"] for record in records} == {"Completed"}
    assert {record["explainability"]["state"] for record in records} == {"available"}
    assert all(record["notified_at"] for record in records)
    history = Counter(entry["job_name"] for entry in read_jsonl(tmp_path / "history.jsonl"))
    assert history == {name: TICKS for name in names}
    notified = Counter(n["attributes"]["job_name"] for n in read_jsonl(tmp_path / "notifications.jsonl"))
    assert notified == {name: 1 for name in names}
    # Every delivery reached the reporter twice: the table, not the delivery, made each report happen once.
    assert summary["events_published"] >= JOBS * TICKS
    assert summary["aws_calls"]["sns.Publish"] == JOBS
