"""Benchmarks for DESIGN section 7's quality bars. Each module prints its figures, measured against a
baseline in the same run, and ends with a short table:

    python -m bench.cost              # AWS calls per report, watcher calls per tick vs history
    python -m bench.analysis_memory   # analysis.json parse memory and time vs json.loads
    python -m bench.cold_start        # handler import time vs boto3 + Powertools

Shared here: the synthesized stack, a generated scenario of reported jobs, fresh interpreters and tables.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

from sandbox import LAMBDA_CODE_ROOT  # importing the sandbox puts lambdas/ on sys.path, as Lambda does
from sandbox.scenario import Scenario, load_scenario
from sandbox.template import StackModel, load_template, read_stack
from tools.make_scenarios import CHURN_FEATURES, Clock, analysis_doc, clarify, credit_job, shap_values
from tools.make_scenarios import Scenario as ScenarioBuilder

REGION = "us-east-1"
WATCHER_HANDLER = "handlers.watcher.handler"
REPORTER_HANDLER = "handlers.reporter.handler"
MB = 1024 * 1024

# What a job goes through before it completes, one state per tick (the last two are always the same).
_IN_PROGRESS = (
    "InProgress/Starting",
    "InProgress/AnalyzingData",
    "InProgress/FeatureEngineering",
    "InProgress/ModelTuning",
)
_ENDING = ("InProgress/GeneratingExplainabilityReport+best", "Completed/Completed")


@lru_cache(maxsize=1)
def template() -> dict[str, Any]:
    """The synthesized template (cdk.out when present, else synthesized in process: about 10 s)."""
    return load_template()


def stack() -> StackModel:
    return read_stack(template(), REGION)


def completed_jobs_scenario(
    jobs: int, ticks: int, *, duplicates: int = 0, shuffle: bool = False, seed: int = 1, prefix: str = "bench"
) -> Scenario:
    """`jobs` V1 binary jobs, each changing state at every one of `ticks` ticks and completing at the last
    with a best candidate and a Clarify analysis.json (12 features) beside its reports."""
    if not len(_ENDING) <= ticks <= len(_ENDING) + len(_IN_PROGRESS):
        raise ValueError(f"ticks must be between {len(_ENDING)} and {len(_ENDING) + len(_IN_PROGRESS)}")
    steps = list(_IN_PROGRESS[: ticks - len(_ENDING)] + _ENDING)
    builder = ScenarioBuilder(prefix, Clock("2025-06-02T08:00:00+00:00"))
    builder.delivery.update(duplicates=duplicates, shuffle=shuffle, seed=seed)
    for index in range(jobs):
        # Changes spread over each tick (offsets 60-659 s), so listings interleave jobs as on a busy account.
        job = credit_job(f"{prefix}-{index:04d}", offset=60 + (index * 37) % 600, steps=list(steps))
        builder.add(job, clarify(job, analysis_doc({"label0": shap_values(job.name, CHURN_FEATURES)}, {"label0": 0.5})))
    return load_scenario(builder.document())


def fresh_python(
    code: str, env: Mapping[str, str] | None = None, options: Sequence[str] = ()
) -> subprocess.CompletedProcess[str]:
    """Runs `code` in a new interpreter (nothing imported yet, interpreter `options` such as
    `-X importtime`) with lambdas/ on its path."""
    environment = {**os.environ, **(env or {}), "PYTHONPATH": str(LAMBDA_CODE_ROOT)}
    done = subprocess.run(
        [sys.executable, *options, "-c", code],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    if done.returncode != 0:
        raise RuntimeError(f"fresh interpreter failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    return done


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


def print_figures(title: str, figures: Sequence[tuple[str, object, str, bool | None]]) -> bool:
    """The closing table: (figure, measured, bar, met; None when only informative). True if every bar is met."""
    verdict = {True: "yes", False: "NO", None: ""}
    print_table(title, ("figure", "measured", "bar", "met"), [(*row[:3], verdict[row[3]]) for row in figures])
    return all(row[3] is not False for row in figures)


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
