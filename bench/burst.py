"""A burst under real quotas (docs/design.md §7, "Bursts"): 1,000 jobs that end within one minute, in an
account whose Lambda concurrency is a new account's (10, shared by every function), a report taking 2 s of
scenario time (testsupport/scenarios/burst.py: the watcher 5 s, the notifier 0.2 s a message).

The scenario runs through `sandbox.runner.run_scenario` with its `lambda` block (sandbox/concurrency.py),
on the default engine, and its summary gives the figures:
- `burst_1000_amplification`: the events the reporter was handed (every message of every batch, retries
  included) over the distinct state changes published (bar 1.1);
- `burst_1000_p99_notify_minutes`: the 99th percentile, in scenario time, of each job's EndTime to its
  notification (bar 15);
- `burst_1000_failed`: invocations and messages that ended in a failure queue, and jobs not notified exactly
  once (bar 0);
- beside them: the oldest event any invocation was handed, the most executions the reporter and the
  whole pipeline held at once, and how long the account had none left for its other functions.

    python -m bench.burst
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench import Figure, finish, print_table, template
from sandbox.runner import run_scenario
from sandbox.scenario import load_scenario
from testsupport.scenarios.burst import NEW_ACCOUNT_CONCURRENCY, burst_plan
from testsupport.scenarios.rendering import scenario_document

JOBS = 1_000
AMPLIFICATION_BAR = 1.1
P99_MINUTES_BAR = 15.0


def run_burst(jobs: int = JOBS) -> tuple[dict[str, Any], int, float]:
    """The burst's summary, the jobs not notified exactly once, and the run's wall seconds."""
    scenario = load_scenario(scenario_document(burst_plan(jobs)))
    with tempfile.TemporaryDirectory(prefix="bench-burst-") as out:
        started = time.perf_counter()
        summary = run_scenario(scenario, template(), Path(out))
        seconds = time.perf_counter() - started
        lines = (Path(out) / "notifications.jsonl").read_text().splitlines()
    notified = Counter(json.loads(line)["attributes"]["job_name"] for line in lines if line)
    names = {job.name for job in scenario.jobs}
    not_once = sum(1 for name in names if notified.get(name) != 1)
    return summary, not_once, seconds


def figures(summary: dict[str, Any], not_once: int, seconds: float) -> list[Figure]:
    failed = sum(stats["failed"] for stats in summary["invocations"].values())
    waiting = sum(summary["queue_depths"].values())
    delays = summary["notify_delay_minutes"]
    account = summary["lambda"]
    peaks = account["peak_concurrency"]
    return [
        Figure(
            f"burst_{JOBS}_amplification",
            summary["amplification"],
            AMPLIFICATION_BAR,
            f"{summary['invocations']['ReporterFunction']['events']:,} events handed to the reporter for "
            f"{summary['state_changes']:,} state changes; {summary['events_published']:,} published",
        ),
        Figure(
            f"burst_{JOBS}_p99_notify_minutes",
            delays["p99"],
            P99_MINUTES_BAR,
            f"scenario time, EndTime to notification; p50 {delays['p50']:.1f}, max {delays['max']:.1f}",
        ),
        Figure(
            f"burst_{JOBS}_failed",
            failed + waiting + not_once,
            0,
            f"failed invocations or messages {failed}; left in a queue {waiting}; not notified exactly once {not_once}",
        ),
        Figure(
            f"burst_{JOBS}_max_event_age_minutes",
            summary["max_event_age_seconds"] / 60,
            None,
            "the oldest event an invocation was handed (the reporter's queue)",
        ),
        Figure(
            f"burst_{JOBS}_reporter_peak_concurrency",
            peaks["ReporterFunction"],
            None,
            f"of the account's {NEW_ACCOUNT_CONCURRENCY}; the whole pipeline at most {peaks['account']}",
        ),
        Figure(
            f"burst_{JOBS}_account_saturated_seconds",
            account["saturated_seconds"],
            0,
            "scenario seconds with no execution left for the account's other functions",
        ),
        Figure(f"burst_{JOBS}_sandbox_seconds", seconds, None, f"wall time of the run ({summary['ticks']} ticks)"),
    ]


def print_summary(summary: dict[str, Any]) -> None:
    print_table(
        f"A burst of {JOBS:,} under account concurrency {NEW_ACCOUNT_CONCURRENCY} (scenario time)",
        ("function", "invocations", "events", "throttled", "oldest event s", "peak concurrency"),
        [
            (
                name,
                stats["succeeded"] + stats["retried"],
                stats["events"],
                stats["throttled"],
                stats["max_event_age_seconds"],
                summary["lambda"]["peak_concurrency"].get(name, 0),
            )
            for name, stats in sorted(summary["invocations"].items())
        ],
    )


def measure() -> list[Figure]:
    print(f"{JOBS:,} jobs ending within a minute, account concurrency {NEW_ACCOUNT_CONCURRENCY} ...", flush=True)
    summary, not_once, seconds = run_burst()
    print_summary(summary)
    return figures(summary, not_once, seconds)


def main() -> int:
    return finish("Burst", measure())


if __name__ == "__main__":
    sys.exit(main())
