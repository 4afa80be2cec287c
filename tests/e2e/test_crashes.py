"""Crashes (DESIGN section 5): functions hard-stopped right after any AWS call, transient faults on every
service, every event delivered twice in shuffled order.

`crashes.json` (seed fixed, chosen so that the reporter and the notifier both crash): every record must
still be right, every job that ended after the deploy notified at least once, and a second message only
where a function died right after a Publish that succeeded (counted by the sandbox). Nothing may end
in a failure queue: the retries of each trigger absorb every crash.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sandbox.scenario import load_scenario
from tests.e2e.test_scenarios import (
    SCENARIOS,
    check_injected,
    check_records,
    load_expectation,
    notifications_per_job,
    read_jsonl,
    run_checked,
)

NAME = "crashes"


def test_every_record_right_and_every_ending_notified_despite_crashes(
    tmp_path: Path, template_json: dict[str, Any]
) -> None:
    scenario = load_scenario(SCENARIOS / f"{NAME}.json")
    expect = load_expectation(NAME)
    summary = run_checked(scenario, template_json, tmp_path)

    # What was asked for really happened.
    check_injected(scenario, summary)
    crashes = summary["crashes_injected"]
    assert crashes.get("ReporterFunction", 0) > 0 and crashes.get("NotifierFunction", 0) > 0, crashes
    assert summary["duplicates_delivered"] > 0
    assert sum(summary["faults_injected"].values()) > 0

    check_records(tmp_path, expect)
    worthy = {job for job, count in expect["notifications"].items() if count}
    per_job = notifications_per_job(tmp_path)
    assert set(per_job) == worthy, "every job that ended is notified, and no other"
    extra = sum(per_job.values()) - len(worthy)
    assert extra <= summary["crashes_after_publish"], (per_job, summary["crashes_after_publish"])

    # History: crashes may hide an intermediate state from the watcher, never the last one; no duplicates.
    counts: dict[str, int] = {}
    for entry in read_jsonl(tmp_path / "history.jsonl"):
        counts[entry["job_name"]] = counts.get(entry["job_name"], 0) + 1
    for job, most in expect["history"].items():
        assert 1 <= counts.get(job, 0) <= most, job
