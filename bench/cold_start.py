"""Cold import time of each handler module (docs/design.md §7: handler import adds little over importing
boto3 and Powertools themselves).

Each variant runs in 15 fresh interpreters, the variants interleaved round by round so that load on the
machine hits them alike, and a ratio is the median of the rounds' ratios (pair by pair); the clock runs around the import statements only (interpreter start-up
excluded). The baseline imports boto3 and Powertools' Logger, Metrics, Tracer and parser, as the brief
for the functions says; a second row also creates the Logger, Metrics and Tracer the package creates
(observability.py), which is Powertools' own start-up work. Every interpreter gets the function's
environment from the template and LAMBDA_TASK_ROOT, so Powertools behaves as in Lambda (tracing is
Active in the template: the Tracer patches botocore when created). One more `-X importtime` run per
handler attributes the added milliseconds to the modules the baseline does not import.

    python -m bench.cold_start
"""

from __future__ import annotations

import re
import statistics
import sys
from dataclasses import dataclass

from autopilot_reports import constants as c
from bench import (
    LAMBDA_CODE_ROOT,
    REGION,
    REPORTER_HANDLER,
    WATCHER_HANDLER,
    Figure,
    finish,
    fresh_python,
    print_table,
    stack,
)

ROUNDS = 15
TOP_MODULES = 5
BASELINE = (
    "import boto3\n"
    "from aws_lambda_powertools import Logger, Metrics, Tracer\n"
    "from aws_lambda_powertools.utilities import parser\n"
)
BASELINE_WITH_OBJECTS = BASELINE + (
    f"Logger(service={c.SERVICE!r})\n"
    f"Tracer(service={c.SERVICE!r})\n"
    f"Metrics(namespace={c.NAMESPACE!r}, service={c.SERVICE!r})\n"
)
RATIO_BAR = 1.25  # reporter import / (baseline + objects): what "adds little" is held to here
_IMPORTTIME = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)")


@dataclass(frozen=True)
class Variant:
    label: str
    statement: str
    handler: str  # whose environment the interpreter gets


@dataclass(frozen=True)
class ImportTime:
    label: str
    wall: list[float]  # ms per run
    cpu: list[float]  # ms per run: CPU time of the interpreter, less sensitive to other load on the machine

    @property
    def wall_median(self) -> float:
        return statistics.median(self.wall)

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu)

    def cpu_ratio(self, other: ImportTime) -> float:
        """Median of the round-by-round ratios: each pair ran back to back, so a machine whose speed drifts
        (these are shared) moves both alike; a ratio of medians would mix rounds."""
        return statistics.median(mine / theirs for mine, theirs in zip(self.cpu, other.cpu, strict=True))

    def wall_ratio(self, other: ImportTime) -> float:
        return statistics.median(mine / theirs for mine, theirs in zip(self.wall, other.wall, strict=True))


BASELINE_LABEL = "baseline: boto3 + Powertools imports"
OBJECTS_LABEL = "baseline + Logger, Metrics, Tracer created"
REPORTER_LABEL = "reporter handler module"
WATCHER_LABEL = "watcher handler module"
VARIANTS = (
    Variant(BASELINE_LABEL, BASELINE, REPORTER_HANDLER),
    Variant(OBJECTS_LABEL, BASELINE_WITH_OBJECTS, REPORTER_HANDLER),
    Variant(WATCHER_LABEL, "import autopilot_reports.handlers.watcher\n", WATCHER_HANDLER),
    Variant(REPORTER_LABEL, "import autopilot_reports.handlers.reporter\n", REPORTER_HANDLER),
)


def lambda_environment(handler_suffix: str) -> dict[str, str]:
    function = stack().function_by_handler(handler_suffix)
    return {
        **function.environment,
        "LAMBDA_TASK_ROOT": str(LAMBDA_CODE_ROOT),
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "POWERTOOLS_TRACE_DISABLED": "false",
    }


def timed_import(statement: str, env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU milliseconds `statement` takes in a fresh interpreter."""
    code = (
        "import time\nwall, cpu = time.perf_counter(), time.process_time()\n"
        f"{statement}"
        "print((time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000)\n"
    )
    wall, cpu = fresh_python(code, env).stdout.split()
    return float(wall), float(cpu)


def measure_imports(variants: tuple[Variant, ...], rounds: int = ROUNDS) -> list[ImportTime]:
    """Round by round, every variant once, so that load on the machine hits them alike."""
    runs: dict[str, list[tuple[float, float]]] = {variant.label: [] for variant in variants}
    environments = {variant.handler: lambda_environment(variant.handler) for variant in variants}
    for _ in range(rounds):
        for variant in variants:
            runs[variant.label].append(timed_import(variant.statement, environments[variant.handler]))
    return [ImportTime(label, [w for w, _ in times], [c for _, c in times]) for label, times in runs.items()]


def self_times(statement: str, env: dict[str, str]) -> dict[str, float]:
    """Per module: milliseconds spent importing it, its own body only (`python -X importtime`)."""
    times: dict[str, float] = {}
    for line in fresh_python(statement, env, options=("-X", "importtime")).stderr.splitlines():
        match = _IMPORTTIME.match(line)
        if match:
            times[match.group(4)] = int(match.group(1)) / 1000
    return times


def added_modules(handler_statement: str, env: dict[str, str]) -> dict[str, float]:
    """Modules the handler imports and the baseline + objects does not, with their own import ms."""
    baseline = self_times(BASELINE_WITH_OBJECTS, env)
    added = {module: ms for module, ms in self_times(handler_statement, env).items() if module not in baseline}
    return dict(sorted(added.items(), key=lambda item: -item[1]))


def measure() -> list[Figure]:
    results = measure_imports(VARIANTS)
    by_label = {r.label: r for r in results}
    baseline, with_objects = by_label[BASELINE_LABEL], by_label[OBJECTS_LABEL]
    print_table(
        f"Cold import, median of {ROUNDS} fresh interpreters (CPU ms is the figure; wall ms moves with load)",
        (
            "import",
            "CPU ms",
            "wall ms",
            "wall min-max",
            "x baseline + objects (CPU, paired)",
            "+ms",
            "x (wall, paired)",
        ),
        [
            (
                r.label,
                r.cpu_median,
                r.wall_median,
                f"{min(r.wall):.0f}-{max(r.wall):.0f}",
                r.cpu_ratio(with_objects),
                r.cpu_median - with_objects.cpu_median,
                r.wall_ratio(with_objects),
            )
            for r in results
        ],
    )
    for variant in VARIANTS:
        if not variant.statement.startswith("import autopilot_reports"):
            continue
        added = added_modules(variant.statement, lambda_environment(variant.handler))
        rows = [*list(added.items())[:TOP_MODULES], (f"all {len(added)} added modules", sum(added.values()))]
        print_table(
            f"{variant.label}: modules beyond the baseline + objects (one -X importtime run, own ms)",
            ("module", "own ms"),
            rows,
        )

    reporter, watcher = by_label[REPORTER_LABEL], by_label[WATCHER_LABEL]
    return [
        Figure(
            "handler_import_overhead_ratio",
            reporter.cpu_ratio(with_objects),
            RATIO_BAR,
            f"median of {ROUNDS} paired rounds; medians: reporter {reporter.cpu_median:.0f} ms CPU / boto3 + "
            f"Powertools + objects {with_objects.cpu_median:.0f} ms",
        ),
        Figure(
            "handler_import_overhead_ratio_wall",
            reporter.wall_ratio(with_objects),
            None,
            f"reporter {reporter.wall_median:.0f} ms wall / {with_objects.wall_median:.0f} ms",
        ),
        Figure(
            "watcher_import_overhead_ratio",
            watcher.cpu_ratio(with_objects),
            None,
            f"watcher {watcher.cpu_median:.0f} ms CPU",
        ),
        Figure("baseline_import_cpu_ms", baseline.cpu_median, None, "boto3 + Powertools imports, nothing created"),
    ]


def main() -> int:
    return finish("Cold start figures", measure())


if __name__ == "__main__":
    sys.exit(main())
