"""The sandbox at account scale (docs/design.md §7: 1,000 jobs x 4 states within 1.5 GiB for the whole
process tree, and at most 6x the time of 200 jobs: linear), and at an organization's (§8: 10 spokes x 100
jobs x 4 states in the organization mode within 2 GiB, and at most 1.5x the time of the 1,000-job
standalone run of the same bench run).

`completed_jobs_scenario(N, 4)` (V1 jobs created after the deploy, Starting, AnalyzingData, explaining
with a best candidate, Completed; one state a tick) runs through `sandbox.runner.run_scenario` on the
default engine (DynamoDB Local where Java runs, else moto), for N = 200 and N = 1,000 in this one bench
run, each in a fresh interpreter of its own, so every figure belongs to one run:
- time: wall seconds of `run_scenario`; the JVM is started before it and timed apart (a constant);
- memory: the peak resident set of the run's whole process tree, as the sum of the Python process's
  peak (VmHWM of /proc/self/status, read after the run: moto server, the AutoML simulator and the
  handlers all run in it) and the JVM's (DynamoDBLocal.peak_rss_bytes(), VmHWM). The sum of the peaks
  bounds the tree's peak from above. Not ru_maxrss: Linux carries it across exec.
The runs' AWS calls are reported beside the times: a time ratio that follows the calls ratio is the
pipeline's own work growing, not the sandbox's cost per call. The organization's run is
`organization_jobs_scenario(10, 100, 4)` through `sandbox.organization.run_organization` (a hub and ten
spokes in one process, the same 1,000 jobs spread over them), measured the same way; its templates are
synthesized by the parent, not in the measured child.

    python -m bench.sandbox_scale           # 200 and 1,000 jobs, then 10 spokes x 100 jobs, on the default engine
    python -m bench.sandbox_scale --no-organization   # without the organization's run
    python -m bench.sandbox_scale --moto    # and 200 jobs on moto's DynamoDB (the decision log's comparison)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench import (
    MB,
    WATCHER_HANDLER,
    Figure,
    completed_jobs_scenario,
    finish,
    organization_jobs_scenario,
    organization_templates,
    print_table,
    stack,
    template,
)

SMALL, LARGE = 200, 1_000
STATES = 4
PEAK_BAR_MIB = 1536
TIME_RATIO_BAR = 6.0
ORG_SPOKES, ORG_JOBS_PER_SPOKE = 10, 100
ORG_PEAK_BAR_MIB = 2048
ORG_TIME_RATIO_BAR = 1.5  # against the LARGE standalone run
CHILD_TIMEOUT_SECONDS = 3 * 3600  # a run that never ends fails the bench rather than hanging it
ROOT = Path(__file__).resolve().parents[1]
# The calls that show where the work goes: the watcher's listing and lookups, the reporter's commits.
TRACKED_CALLS = ("sagemaker.ListAutoMLJobs", "dynamodb.BatchGetItem", "dynamodb.TransactWriteItems", "events.PutEvents")


@dataclass(frozen=True)
class ScaleRun:
    """One run, as its own interpreter measured it."""

    jobs: int
    engine: str
    seconds: float  # run_scenario only
    engine_start_seconds: float  # the JVM's start before it (0 on moto)
    python_peak_bytes: int
    engine_peak_bytes: int  # the JVM's; 0 on moto, whose DynamoDB lives in the Python process
    aws_calls: int
    calls: dict[str, int]  # TRACKED_CALLS
    watcher_invocations: int
    notifications: int
    ticks: int
    spokes: int = 0  # an organization's run: its spokes (and a hub); 0: one standalone stack

    @property
    def peak_mib(self) -> float:
        return (self.python_peak_bytes + self.engine_peak_bytes) / MB

    @property
    def seconds_per_job(self) -> float:
        return self.seconds / self.jobs


# --------------------------------------------------------------------------------------------------
# The child: one run in a fresh interpreter


def child_run(jobs: int, engine: str, template_path: Path) -> ScaleRun:
    """Runs the scenario here (the child) and measures it; refuses a run that did not report every job."""
    from sandbox.dynamodb_local import proc_status_bytes
    from sandbox.emulators import dynamodb_engine
    from sandbox.runner import run_scenario

    scenario = completed_jobs_scenario(jobs, STATES, prefix="scale")
    source = json.loads(template_path.read_text())
    started = time.perf_counter()
    local = dynamodb_engine(engine)
    engine_start = time.perf_counter() - started
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as out:
        started = time.perf_counter()
        summary = run_scenario(scenario, source, Path(out), engine=engine)
        seconds = time.perf_counter() - started
    _check(summary, jobs)
    watcher = stack(source).function_by_handler(WATCHER_HANDLER).logical_id
    calls: Mapping[str, int] = summary["aws_calls"]
    return ScaleRun(
        jobs=jobs,
        engine=summary["dynamodb_engine"],
        seconds=seconds,
        engine_start_seconds=engine_start if local else 0.0,
        python_peak_bytes=proc_status_bytes(os.getpid(), "VmHWM") or 0,
        engine_peak_bytes=(local.peak_rss_bytes() or 0) if local else 0,
        aws_calls=sum(calls.values()),
        calls={name: calls.get(name, 0) for name in TRACKED_CALLS},
        watcher_invocations=summary["invocations"][watcher]["succeeded"],
        notifications=summary["notifications"],
        ticks=summary["ticks"],
    )


def child_organization_run(spokes: int, jobs_per_spoke: int, engine: str, templates_path: Path) -> ScaleRun:
    """An organization's run here (the child), measured as `child_run` measures one account's."""
    from sandbox.dynamodb_local import proc_status_bytes
    from sandbox.emulators import dynamodb_engine
    from sandbox.organization import OrganizationTemplates, run_organization

    scenario = organization_jobs_scenario(spokes, jobs_per_spoke, STATES, prefix="scale")
    templates = OrganizationTemplates(**json.loads(templates_path.read_text()))
    started = time.perf_counter()
    local = dynamodb_engine(engine)
    engine_start = time.perf_counter() - started
    with tempfile.TemporaryDirectory(prefix="bench-scale-org-") as out:
        started = time.perf_counter()
        summary = run_organization(scenario, templates, Path(out), engine=engine)
        seconds = time.perf_counter() - started
        spoke_summaries = [json.loads(path.read_text()) for path in sorted(Path(out).glob("spokes/*/summary.json"))]
    jobs = spokes * jobs_per_spoke
    _check(summary, jobs)
    calls: Counter[str] = Counter(summary["aws_calls"])
    for spoke in spoke_summaries:
        calls.update(spoke["aws_calls"])
    watcher = stack(templates.spoke).function_by_handler(WATCHER_HANDLER).logical_id
    return ScaleRun(
        jobs=jobs,
        engine=summary["dynamodb_engine"],
        seconds=seconds,
        engine_start_seconds=engine_start if local else 0.0,
        python_peak_bytes=proc_status_bytes(os.getpid(), "VmHWM") or 0,
        engine_peak_bytes=(local.peak_rss_bytes() or 0) if local else 0,
        aws_calls=summary["organization"]["aws_calls"],
        calls={name: calls.get(name, 0) for name in TRACKED_CALLS},
        watcher_invocations=sum(spoke["invocations"][watcher]["succeeded"] for spoke in spoke_summaries),
        notifications=summary["notifications"],
        ticks=summary["ticks"],
        spokes=spokes,
    )


def _check(summary: Mapping[str, Any], jobs: int) -> None:
    failed = {name: stats for name, stats in summary["invocations"].items() if stats["failed"]}
    if failed or summary["records"] != jobs or summary["notifications"] != jobs:
        raise RuntimeError(
            f"{jobs}-job run: {summary['records']} records, {summary['notifications']} notifications, failed {failed}"
        )


# --------------------------------------------------------------------------------------------------
# The parent: one fresh interpreter a run


def measure_run(jobs: int, engine: str, template_path: Path) -> ScaleRun:
    """One run in a new interpreter (nothing of this process's memory, its own JVM when one is used)."""
    return _in_child(f"{jobs}-job run on {engine}", ["--child", str(jobs), engine, str(template_path)])


def measure_organization_run(spokes: int, jobs_per_spoke: int, engine: str = "auto") -> ScaleRun:
    """An organization's run in a new interpreter, on templates synthesized here (not in the measured child)."""
    with tempfile.NamedTemporaryFile("w", suffix=".organization.json") as source:
        source.write(json.dumps(asdict(organization_templates())))
        source.flush()
        print(
            f"{spokes} spokes x {jobs_per_spoke} jobs x {STATES} states with a hub on engine {engine} ...", flush=True
        )
        arguments = ["--child-organization", str(spokes), str(jobs_per_spoke), engine, source.name]
        return _in_child(f"{spokes}x{jobs_per_spoke} organization run on {engine}", arguments)


def _in_child(what: str, arguments: list[str]) -> ScaleRun:
    command = [sys.executable, "-m", "bench.sandbox_scale", *arguments]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False, timeout=CHILD_TIMEOUT_SECONDS)
    if done.returncode != 0:
        raise RuntimeError(f"{what} failed ({done.returncode}): {done.stderr.strip()[-3000:]}")
    return ScaleRun(**json.loads(done.stdout.strip().splitlines()[-1]))


def measure_runs(sizes: Sequence[tuple[int, str]]) -> list[ScaleRun]:
    with tempfile.NamedTemporaryFile("w", suffix=".template.json") as source:
        source.write(json.dumps(template()))
        source.flush()
        runs = []
        for jobs, engine in sizes:
            print(f"{jobs:,} jobs x {STATES} states on engine {engine} ...", flush=True)
            runs.append(measure_run(jobs, engine, Path(source.name)))
        return runs


# --------------------------------------------------------------------------------------------------
# Output


def print_runs(runs: Sequence[ScaleRun]) -> None:
    print_table(
        f"Sandbox runs, completed_jobs_scenario(N, {STATES}), each in its own interpreter "
        "(peak = Python VmHWM + JVM VmHWM)",
        (
            "jobs",
            "spokes",
            "engine",
            "seconds",
            "s/job",
            "JVM start s",
            "Python MiB",
            "JVM MiB",
            "peak MiB",
            "ticks",
            "AWS calls",
            "watcher runs",
            *(name.split(".", 1)[1] for name in TRACKED_CALLS),
        ),
        [
            (
                run.jobs,
                run.spokes or "-",
                run.engine,
                run.seconds,
                run.seconds_per_job,
                run.engine_start_seconds,
                run.python_peak_bytes / MB,
                run.engine_peak_bytes / MB,
                run.peak_mib,
                run.ticks,
                run.aws_calls,
                run.watcher_invocations,
                *(run.calls[name] for name in TRACKED_CALLS),
            )
            for run in runs
        ],
    )


def figures(small: ScaleRun, large: ScaleRun, moto: ScaleRun | None) -> list[Figure]:
    ratio = large.seconds / small.seconds
    calls_ratio = large.aws_calls / small.aws_calls
    found = [
        Figure(
            f"sandbox_peak_mib_{LARGE}_jobs",
            large.peak_mib,
            PEAK_BAR_MIB,
            f"{large.engine}: Python {large.python_peak_bytes / MB:.0f} + JVM {large.engine_peak_bytes / MB:.0f} MiB; "
            f"{SMALL} jobs {small.peak_mib:.0f} MiB",
        ),
        Figure(
            f"sandbox_time_ratio_{LARGE}_vs_{SMALL}_jobs",
            ratio,
            TIME_RATIO_BAR,
            f"{large.seconds:.0f} s / {small.seconds:.0f} s ({large.engine}, same bench run); AWS calls x{calls_ratio:.2f}",
        ),
        Figure(
            f"sandbox_seconds_per_job_{LARGE}",
            large.seconds_per_job,
            None,
            f"{SMALL} jobs: {small.seconds_per_job:.2f} s/job; JVM start {large.engine_start_seconds:.1f} s apart",
        ),
        Figure(
            f"sandbox_aws_calls_ratio_{LARGE}_vs_{SMALL}_jobs",
            calls_ratio,
            None,
            f"{large.aws_calls:,} / {small.aws_calls:,}; watcher runs {large.watcher_invocations:,} / "
            f"{small.watcher_invocations:,}",
        ),
    ]
    if moto is not None:
        found += [
            Figure(
                f"sandbox_seconds_{SMALL}_jobs_moto",
                moto.seconds,
                None,
                f"engine moto; {small.engine}: {small.seconds:.0f} s",
            ),
            Figure(
                f"sandbox_peak_mib_{SMALL}_jobs_moto",
                moto.peak_mib,
                None,
                f"engine moto (one process); {small.engine}: {small.peak_mib:.0f} MiB",
            ),
        ]
    return found


def organization_figures(organization: ScaleRun, large: ScaleRun) -> list[Figure]:
    ratio = organization.seconds / large.seconds
    return [
        Figure(
            f"org_sandbox_peak_mib_{organization.spokes}x{organization.jobs // organization.spokes}",
            organization.peak_mib,
            ORG_PEAK_BAR_MIB,
            f"{organization.engine}: Python {organization.python_peak_bytes / MB:.0f} + JVM "
            f"{organization.engine_peak_bytes / MB:.0f} MiB; a hub and {organization.spokes} spokes in one process",
        ),
        Figure(
            f"org_sandbox_time_ratio_vs_standalone_{large.jobs}",
            ratio,
            ORG_TIME_RATIO_BAR,
            f"{organization.seconds:.0f} s / {large.seconds:.0f} s ({large.jobs:,} jobs standalone, same bench run); "
            f"AWS calls x{organization.aws_calls / large.aws_calls:.2f} ({organization.aws_calls:,} / {large.aws_calls:,})",
        ),
    ]


def measure(compare_moto: bool = False, organization: bool = True) -> list[Figure]:
    sizes = [(SMALL, "auto"), (LARGE, "auto")] + ([(SMALL, "moto")] if compare_moto else [])
    runs = measure_runs(sizes)
    org_run = measure_organization_run(ORG_SPOKES, ORG_JOBS_PER_SPOKE) if organization else None
    print_runs([*runs, *([org_run] if org_run else [])])
    found = figures(runs[0], runs[1], runs[2] if compare_moto else None)
    return found + (organization_figures(org_run, runs[1]) if org_run else [])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sandbox_scale", description=__doc__.split("\n\n")[0])
    parser.add_argument("--moto", action="store_true", help=f"also run {SMALL} jobs on moto's DynamoDB")
    parser.add_argument(
        "--no-organization", action="store_true", help=f"skip the {ORG_SPOKES} x {ORG_JOBS_PER_SPOKE} organization run"
    )
    parser.add_argument("--child", nargs=3, metavar=("JOBS", "ENGINE", "TEMPLATE"), help=argparse.SUPPRESS)
    parser.add_argument("--child-organization", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        jobs, engine, template_path = args.child
        print(json.dumps(asdict(child_run(int(jobs), engine, Path(template_path)))))
        return 0
    if args.child_organization:
        spokes, per_spoke, engine, templates_path = args.child_organization
        print(json.dumps(asdict(child_organization_run(int(spokes), int(per_spoke), engine, Path(templates_path)))))
        return 0
    return finish("Sandbox scale", measure(compare_moto=args.moto, organization=not args.no_organization))


if __name__ == "__main__":
    sys.exit(main())
