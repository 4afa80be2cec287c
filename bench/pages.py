"""The report page of a job with 10 features and 5 candidates (issue 22): its size, and how long
`autopilot-reports report JOB` takes, as a person runs it.

A sandbox holds five weekly runs of one family (`bench-report-...`), each Completed with 10 features in its
analysis.json and 5 candidates, so the page has every chart (features, leaderboard, the family's trend).
While the emulators are up, `autopilot-reports --endpoint-url ... report <the last run> -o FILE` runs in a
fresh process, ROUNDS times: the figure is the median wall time of the whole command (interpreter start,
imports with matplotlib, one GetItem and the Queries, the charts, the file), with its CPU time beside it
(the wall time moves with the load of a shared machine; the CPU time much less). The dashboard of the
same table is timed the same way, for information.

    python -m bench.pages
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from bench import LAMBDA_CODE_ROOT, Figure, finish, print_table, template
from sandbox.runner import run_scenario
from sandbox.scenario import load_scenario
from testsupport.scenarios.clarify import CHURN_FEATURES
from testsupport.scenarios.clock import Clock
from testsupport.scenarios.jobs import credit_job
from testsupport.scenarios.plan import ScenarioPlan
from testsupport.scenarios.rendering import scenario_document

ROUNDS = 7
PAGE_BYTES_BAR = 1.5 * 1024 * 1024
SECONDS_BAR = 2.0
FAMILY = "bench-report"
WEEKS = 5
LAST_RUN = f"{FAMILY}-{WEEKS:02d}"


def scenario() -> ScenarioPlan:
    """Five runs of one family, one a tick apart, each with 10 features and 5 candidates."""
    builder = ScenarioPlan("bench-pages", Clock("2025-06-02T08:00:00+00:00"))
    builder.deployed_at = builder.clock.start
    for week, value in enumerate((0.81, 0.83, 0.852, 0.846, 0.838), start=1):
        job = credit_job(f"{FAMILY}-{week:02d}", 60 + 100 * week, objective_value=value, other_candidates=4)
        builder.add_features(job, CHURN_FEATURES[:10], expected_value=0.3)
    return builder


def timed(command: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds (user + system) of one command in a fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, timeout=120, env=cli_environment())
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def cli_environment() -> dict[str, str]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("AWS_ENDPOINT_URL")}
    environment["PYTHONPATH"] = str(LAMBDA_CODE_ROOT)
    return environment


def cli(endpoint: dict[str, str], *args: str) -> list[str]:
    where = ["--endpoint-url", endpoint["endpoint_url"], "--region", endpoint["region"], "--table", endpoint["table"]]
    return [sys.executable, "-m", "autopilot_reports.cli", *where, "--output", "text", *args]


def measure() -> list[Figure]:
    results: dict[str, list[tuple[float, float]]] = {"report": [], "dashboard": []}
    sizes: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="bench-pages-") as folder:
        out = Path(folder)
        built = scenario()

        def while_up(endpoint: dict[str, str], pump: Callable[[], None]) -> None:
            report, board = out / "report.html", out / "dashboard.html"
            since = (built.clock.start - timedelta(days=6)).date().isoformat()  # a week, as by default
            until = built.clock.start.date().isoformat()
            for round_ in range(ROUNDS + 1):  # round 0 warms the caches (matplotlib's fonts, the JVM)
                for name, command in (
                    ("report", cli(endpoint, "report", LAST_RUN, "-o", str(report))),
                    ("dashboard", cli(endpoint, "dashboard", "--since", since, "--until", until, "-o", str(board))),
                ):
                    took = timed(command)
                    if round_:
                        results[name].append(took)
            sizes.update(report=report.stat().st_size, dashboard=board.stat().st_size)

        run_scenario(load_scenario(scenario_document(built)), template(), out / "sandbox", serve=while_up)
    rows = []
    for name, runs in results.items():
        walls, cpus = [wall for wall, _ in runs], [cpu for _, cpu in runs]
        rows.append((name, sizes[name], statistics.median(walls), min(walls), max(walls), statistics.median(cpus)))
    print_table(
        f"autopilot-reports report/dashboard in a fresh process, {ROUNDS} rounds (10 features, 5 candidates, 5 runs)",
        ("page", "bytes", "median s", "min s", "max s", "median CPU s"),
        rows,
    )
    report, board = rows
    load = os.getloadavg()[0]
    detail = f"median wall of {ROUNDS} fresh processes, min-max {report[3]:.2f}-{report[4]:.2f} s, load {load:.1f}"
    return [
        Figure("report_page_bytes", float(sizes["report"]), PAGE_BYTES_BAR, "10 features, 5 candidates, 5 runs"),
        Figure("report_seconds", report[2], SECONDS_BAR, detail),
        Figure("report_cpu_seconds", report[5], None, "the same runs' CPU (user + system): what load cannot stretch"),
        Figure("dashboard_seconds", board[2], None, f"median wall of {ROUNDS}; CPU {board[5]:.2f} s"),
    ]


if __name__ == "__main__":
    sys.exit(finish("Report pages (issue 22)", measure()))
