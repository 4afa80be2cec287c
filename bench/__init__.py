"""Benchmarks for the quality bars of docs/design.md §7. Each module prints its measurements beside a
baseline measured in the same run and ends with a table of figures (`met` per bar):

    python -m bench                     # all of them; writes bench/out/results.json, exit 1 if a bar is missed
    python -m bench.cost                # AWS calls per report, per watcher tick, per history-import piece
    python -m bench.costing             # AWS calls of a job's cost (250 candidates), price look-ups a week
    python -m bench.reporter_time       # a terminal report vs the same AWS calls made directly with boto3
    python -m bench.analysis_memory     # process peak RSS summarizing a ~19.5 MiB analysis.json
    python -m bench.cold_start          # handler import time vs boto3 + Powertools
    python -m bench.pages               # the report page's size and `autopilot-reports report`'s time
    python -m bench.burst               # 1,000 jobs ending in a minute under a new account's Lambda quota

Shared here: the synthesized template (and variants of a function's environment), an organization's hub
and spoke templates, generated scenarios (one account's, or an organization's spread over spokes), fresh
interpreters, figures and the results file. Speed and memory targets live here, never in timed unit
tests. Imports run one way: bench → testsupport → sandbox → lambdas; only the slow load test
(`tests/bench/`) imports bench.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from autopilot_reports.constants import NOTIFIER_HANDLER as NOTIFIER_HANDLER
from autopilot_reports.constants import REPORTER_HANDLER as REPORTER_HANDLER
from autopilot_reports.constants import WATCHER_HANDLER as WATCHER_HANDLER
from sandbox.organization import OrganizationTemplates, synthesized
from sandbox.place import DEFAULT_ACCOUNT, SANDBOX_ORGANIZATION_ID, Place
from sandbox.scenario import Scenario, load_scenario
from sandbox.template import StackModel, load_template, read_stack
from sandbox.timeline import DEFAULT_TICK_SECONDS
from testsupport.scenarios.clarify import CHURN_FEATURES, analysis_doc, clarify, shap_values
from testsupport.scenarios.clock import Clock
from testsupport.scenarios.jobs import credit_job
from testsupport.scenarios.plan import HubAt, ScenarioPlan
from testsupport.scenarios.rendering import scenario_document

REGION = "us-east-1"
HUB = Place("210987654321", REGION)  # an organization's hub, in an account no spoke is in
SPOKE_REGIONS = ("us-east-1", "eu-west-1")
# Calls a function makes once per process (a cold start), not per report: the seal key's derivation
# (domain/seal.py). Counted apart, and never in a per-report figure.
PER_PROCESS_CALLS = frozenset({"kms.GenerateMac"})
MB = 1024 * 1024
RESULTS_PATH = Path(__file__).resolve().parent / "out" / "results.json"
# The Lambda code asset's root (infra/constructs/function.py): what Lambda puts on the path.
LAMBDA_CODE_ROOT = Path(__file__).resolve().parents[1] / "lambdas"

# What a job goes through before it completes, one state per tick (the last two are always the same).
_IN_PROGRESS = (
    "InProgress/Starting",
    "InProgress/AnalyzingData",
    "InProgress/FeatureEngineering",
    "InProgress/ModelTuning",
)
_ENDING = ("InProgress/GeneratingExplainabilityReport+best", "Completed/Completed")


# --------------------------------------------------------------------------------------------------
# The stack


@lru_cache(maxsize=1)
def _loaded_template() -> str:
    return json.dumps(load_template())


def template() -> dict[str, Any]:
    """The synthesized template (cdk.out when present, else synthesized in process: about 10 s); a fresh
    copy each call, so variants never leak into one another."""
    loaded: dict[str, Any] = json.loads(_loaded_template())
    return loaded


def stack(source: Mapping[str, Any] | None = None) -> StackModel:
    return read_stack(dict(source or template()), Place(DEFAULT_ACCOUNT, REGION))


def with_environment(source: Mapping[str, Any], handler_suffix: str, updates: Mapping[str, str]) -> dict[str, Any]:
    """The template with one function's environment changed, as a CDK context setting would change it
    (the sandbox reads each function's environment from the template)."""
    variant = copy.deepcopy(dict(source))
    logical_id = stack(variant).function_by_handler(handler_suffix).logical_id
    properties = variant["Resources"][logical_id]["Properties"]
    variables = properties.setdefault("Environment", {}).setdefault("Variables", {})
    variables.update(updates)
    return variant


def organization_templates() -> OrganizationTemplates:
    """The hub's and the spoke's templates for a hub at HUB (synthesized in process once: about 15 s)."""
    return synthesized(HUB, SANDBOX_ORGANIZATION_ID)


# --------------------------------------------------------------------------------------------------
# Scenarios


def completed_jobs_scenario(
    jobs: int,
    ticks: int,
    *,
    duplicates: int = 0,
    shuffle: bool = False,
    seed: int = 1,
    prefix: str = "bench",
    start: str = "2025-06-02T08:00:00+00:00",
    own_family: bool = False,
    jobs_per_tick: int | None = None,
) -> Scenario:
    """`jobs` V1 binary jobs, each changing state at every one of `ticks` ticks and completing at the last
    with a best candidate, two more candidates and a Clarify analysis.json (12 features) beside its reports.
    By default every job is created in the first tick and all are of one family (`<prefix>`);
    `own_family`: each job is the first of a family of its own; `jobs_per_tick`: jobs are created that many
    a tick, one wave after another."""
    plan = completed_jobs_plan(
        jobs,
        ticks,
        prefix=prefix,
        start=start,
        seed=seed,
        duplicates=duplicates,
        shuffle=shuffle,
        own_family=own_family,
        jobs_per_tick=jobs_per_tick,
    )
    return load_scenario(scenario_document(plan))


def completed_jobs_plan(
    jobs: int,
    ticks: int,
    *,
    prefix: str,
    start: str = "2025-06-02T08:00:00+00:00",
    seed: int = 1,
    duplicates: int = 0,
    shuffle: bool = False,
    own_family: bool = False,
    jobs_per_tick: int | None = None,
    places: Sequence[Place] = (),
) -> ScenarioPlan:
    """`places`: where the jobs run, in turn (default: the scenario's place)."""
    if not len(_ENDING) <= ticks <= len(_ENDING) + len(_IN_PROGRESS):
        raise ValueError(f"ticks must be between {len(_ENDING)} and {len(_ENDING) + len(_IN_PROGRESS)}")
    steps = list(_IN_PROGRESS[: ticks - len(_ENDING)] + _ENDING)
    clock = Clock(start)
    plan = ScenarioPlan(prefix, clock)
    plan.delivery.update(duplicates=duplicates, shuffle=shuffle, seed=seed)
    for index in range(jobs):
        # The default jobFamilyPattern drops trailing -<digits>: `bench-0001` is of family `bench`, `bench-j0001`
        # of its own.
        name = f"{prefix}-j{index:04d}" if own_family else f"{prefix}-{index:04d}"
        # Changes spread over each tick (offsets 60-659 s), so listings interleave jobs as on a busy account.
        job = credit_job(
            name, offset=60 + (index * 37) % 600, steps=list(steps), clock=_wave_clock(clock, index, jobs_per_tick)
        )
        if places:
            place = places[index % len(places)]
            job.account, job.region = place.account, place.region
        plan.add(job, clarify(job, analysis_doc({"label0": shap_values(job.name, CHURN_FEATURES)}, {"label0": 0.5})))
    return plan


def spoke_places(spokes: int) -> list[Place]:
    """`spokes` places of an organization: an account each, in turn in SPOKE_REGIONS."""
    return [
        Place(f"{100_000_000_001 + index:012d}", SPOKE_REGIONS[index % len(SPOKE_REGIONS)]) for index in range(spokes)
    ]


def organization_jobs_scenario(
    spokes: int, jobs_per_spoke: int, ticks: int, *, prefix: str = "org", own_family: bool = False
) -> Scenario:
    """`completed_jobs_scenario` spread over `spokes` spokes (`jobs_per_spoke` each), with a hub at HUB."""
    plan = completed_jobs_plan(
        spokes * jobs_per_spoke, ticks, prefix=prefix, own_family=own_family, places=spoke_places(spokes)
    )
    plan.hub = HubAt(HUB.account, HUB.region)
    return load_scenario(scenario_document(plan))


def _wave_clock(clock: Clock, index: int, jobs_per_tick: int | None) -> Clock:
    """The clock of the job's wave: the scenario's, moved on one tick per `jobs_per_tick` jobs."""
    if jobs_per_tick is None or index < jobs_per_tick:
        return clock
    wave_start = clock.start + timedelta(seconds=(index // jobs_per_tick) * clock.tick_seconds)
    return Clock(wave_start.isoformat(), clock.tick_seconds)


def tick_seconds(source: Mapping[str, Any]) -> int:
    """The sandbox's tick: the rate of the template's watcher schedule (as sandbox.runner reads it)."""
    rates = [schedule.rate_seconds for schedule in stack(source).schedules if schedule.rate_seconds is not None]
    return rates[0] if rates else DEFAULT_TICK_SECONDS


# --------------------------------------------------------------------------------------------------
# Fresh interpreters


def fresh_python(
    code: str,
    env: Mapping[str, str] | None = None,
    options: Sequence[str] = (),
    *,
    python: Path | str = sys.executable,
    code_root: Path = LAMBDA_CODE_ROOT,
) -> subprocess.CompletedProcess[str]:
    """Runs `code` in a new interpreter (nothing imported yet, interpreter `options` such as
    `-X importtime`) with `code_root` (default lambdas/) on its path."""
    environment = {**os.environ, **(env or {}), "PYTHONPATH": str(code_root)}
    done = subprocess.run(
        [str(python), *options, "-c", code],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    if done.returncode != 0:
        raise RuntimeError(f"fresh interpreter failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    return done


# --------------------------------------------------------------------------------------------------
# Figures


@dataclass(frozen=True)
class Figure:
    """One number for bench/out/results.json (`key`), with its bar (`value <= limit`) when it has one."""

    key: str
    value: float
    limit: float | None = None
    detail: str = ""  # how it was measured, the baseline beside it

    @property
    def met(self) -> bool | None:
        return None if self.limit is None else self.value <= self.limit


def print_table(title: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """A plain-text table: text left-aligned, numbers right-aligned."""
    cells = [[_cell(value) for value in row] for row in rows]
    widths = [max(len(str(column)), *(len(row[i]) for row in cells)) for i, column in enumerate(header)]
    numeric = [all(_is_number(row[i]) for row in cells) and bool(cells) for i in range(len(header))]

    def line(values: Sequence[str]) -> str:
        return "  ".join(
            value.rjust(width) if right else value.ljust(width) for value, width, right in zip(values, widths, numeric)
        ).rstrip()

    print(f"\n{title}")
    print(line([str(column) for column in header]))
    print(line(["-" * width for width in widths]))
    for row in cells:
        print(line(row))
    sys.stdout.flush()


def print_figures(title: str, figures: Sequence[Figure]) -> bool:
    """The closing table. True if every bar is met."""
    verdict = {True: "yes", False: "NO", None: ""}
    print_table(
        title,
        ("figure", "measured", "bar", "met", "detail"),
        [
            (f.key, f"{f.value:,.2f}", "" if f.limit is None else f"<= {f.limit:g}", verdict[f.met], f.detail)
            for f in figures
        ],
    )
    return all(f.met is not False for f in figures)


def record_results(figures: Sequence[Figure]) -> Path:
    """Merges the figures into bench/out/results.json (numbers only, keyed by figure)."""
    RESULTS_PATH.parent.mkdir(parents=True, exist_ok=True)
    results: dict[str, float] = json.loads(RESULTS_PATH.read_text()) if RESULTS_PATH.exists() else {}
    results.update({figure.key: round(figure.value, 4) for figure in figures})
    RESULTS_PATH.write_text(json.dumps(dict(sorted(results.items())), indent=2) + "\n")
    return RESULTS_PATH


def finish(title: str, figures: Sequence[Figure]) -> int:
    """Prints the figures, records them, and returns the exit status (1 if a bar is missed)."""
    met = print_figures(title, figures)
    print(f"\nwritten: {record_results(figures)}")
    return 0 if met else 1


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def _is_number(text: str) -> bool:
    try:
        float(text.replace(",", ""))
    except ValueError:
        return False
    return True
