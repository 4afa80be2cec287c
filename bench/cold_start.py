"""Cold import time of each handler module (docs/design.md §7: handler import adds little over importing
boto3 and Powertools themselves), as Lambda runs it: the function's code asset as synthesized (cdk.out,
with the bytecode infra/lambda_code.py compiles into it for the runtime) on what deploys, the Makefile's
Lambda venv (Python 3.13, the runtime's boto3, the Powertools layer's pydantic). A last row imports the
reporter from a copy of the asset without its bytecode, as every cold start did before the asset shipped
it (Lambda's /var/task is read-only: nothing compiled there is kept).

Each variant runs in 15 fresh interpreters, the variants interleaved round by round so that load on the
machine hits them alike, and a ratio is the median of the rounds' ratios (pair by pair); the clock runs
around the import statements only (interpreter start-up excluded). The baseline imports boto3 and
Powertools' Logger, Metrics, Tracer and parser, as the brief for the functions says; a second row also
creates the Logger, Metrics and Tracer the package creates (observability.py), which is Powertools' own
start-up work. Every interpreter gets the function's environment from the template and
LAMBDA_TASK_ROOT, so Powertools and pydantic behave as in Lambda (tracing is Active in the template: the
Tracer patches botocore when created). One more `-X importtime` run per handler attributes the added
milliseconds to the modules the baseline does not import.

    make synth test-lambda && python -m bench.cold_start     # (make bench does both first)
"""

from __future__ import annotations

import atexit
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from autopilot_reports import constants as c
from bench import (
    REGION,
    REPORTER_HANDLER,
    WATCHER_HANDLER,
    Figure,
    finish,
    fresh_python,
    print_table,
    stack,
    template,
)
from infra.assembly import DEFAULT_OUTDIR, code_asset
from infra.lambda_code import LAMBDA_VENV_PYTHON

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
    from_source: bool = False  # lambdas/, nothing compiled; else the synthesized asset


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
SOURCE_LABEL = "reporter, from source (no bytecode)"
VARIANTS = (
    Variant(BASELINE_LABEL, BASELINE, REPORTER_HANDLER),
    Variant(OBJECTS_LABEL, BASELINE_WITH_OBJECTS, REPORTER_HANDLER),
    Variant(WATCHER_LABEL, "import autopilot_reports.handlers.watcher\n", WATCHER_HANDLER),
    Variant(REPORTER_LABEL, "import autopilot_reports.handlers.reporter\n", REPORTER_HANDLER),
    Variant(SOURCE_LABEL, "import autopilot_reports.handlers.reporter\n", REPORTER_HANDLER, from_source=True),
)


def deployed_python() -> Path | str:
    """What deploys (the Lambda venv); without it, this interpreter, and the figures say so."""
    return LAMBDA_VENV_PYTHON if LAMBDA_VENV_PYTHON.is_file() else sys.executable


@cache
def runtime_description() -> str:
    python = deployed_python()
    versions = fresh_python(
        "import sys, boto3, pydantic, aws_lambda_powertools as p\n"
        "print('Python %d.%d.%d' % sys.version_info[:3], 'boto3', boto3.__version__, 'pydantic', "
        "pydantic.VERSION, 'Powertools', p.__version__)",
        python=python,
    ).stdout.strip()
    where = "the Lambda venv" if python == LAMBDA_VENV_PYTHON else "no .venv-lambda (make test-lambda): this venv"
    return f"{versions}, {where}"


@cache
def asset_root() -> Path:
    """The functions' code asset `cdk deploy` would upload: cdk.out's folder of the reporter's S3Key."""
    function = stack().function_by_handler(REPORTER_HANDLER)
    key = template()["Resources"][function.logical_id]["Properties"]["Code"]["S3Key"]
    root = code_asset(DEFAULT_OUTDIR, key)
    if not root.is_dir():
        raise SystemExit(f"no {root}: run `make synth` first (the asset as cdk deploy ships it)")
    return root.resolve()


@cache
def source_only_root() -> Path:
    """The asset without its bytecode, as the functions shipped before infra/lambda_code.py compiled it."""
    root = Path(tempfile.mkdtemp(prefix="autopilot-reports-source-")) / "asset"
    shutil.copytree(asset_root(), root, ignore=shutil.ignore_patterns("__pycache__"))
    atexit.register(shutil.rmtree, root.parent, ignore_errors=True)
    return root


def code_root(variant: Variant) -> Path:
    return source_only_root() if variant.from_source else asset_root()


def lambda_environment(variant: Variant) -> dict[str, str]:
    function = stack().function_by_handler(variant.handler)
    return {
        **function.environment,
        "LAMBDA_TASK_ROOT": str(code_root(variant)),
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "POWERTOOLS_TRACE_DISABLED": "false",
        "PYTHONDONTWRITEBYTECODE": "1",  # nothing compiled is kept, as on Lambda's read-only /var/task
    }


def run(variant: Variant, code: str, options: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    return fresh_python(
        code, lambda_environment(variant), options, python=deployed_python(), code_root=code_root(variant)
    )


def timed_import(variant: Variant) -> tuple[float, float]:
    """Wall and CPU milliseconds the variant's statement takes in a fresh interpreter."""
    code = (
        "import time\nwall, cpu = time.perf_counter(), time.process_time()\n"
        f"{variant.statement}"
        "print((time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000)\n"
    )
    wall, cpu = run(variant, code).stdout.split()
    return float(wall), float(cpu)


def measure_imports(variants: tuple[Variant, ...], rounds: int = ROUNDS) -> list[ImportTime]:
    """Round by round, every variant once, so that load on the machine hits them alike."""
    runs: dict[str, list[tuple[float, float]]] = {variant.label: [] for variant in variants}
    for _ in range(rounds):
        for variant in variants:
            runs[variant.label].append(timed_import(variant))
    return [ImportTime(label, [w for w, _ in times], [c for _, c in times]) for label, times in runs.items()]


def self_times(variant: Variant, statement: str) -> dict[str, float]:
    """Per module: milliseconds spent importing it, its own body only (`python -X importtime`)."""
    times: dict[str, float] = {}
    for line in run(variant, statement, ("-X", "importtime")).stderr.splitlines():
        match = _IMPORTTIME.match(line)
        if match:
            times[match.group(4)] = int(match.group(1)) / 1000
    return times


def added_modules(variant: Variant) -> dict[str, float]:
    """Modules the handler imports and the baseline + objects does not, with their own import ms."""
    baseline = self_times(variant, BASELINE_WITH_OBJECTS)
    added = {module: ms for module, ms in self_times(variant, variant.statement).items() if module not in baseline}
    return dict(sorted(added.items(), key=lambda item: -item[1]))


def has_bytecode(root: Path) -> bool:
    return any(root.glob("autopilot_reports/__pycache__/*.pyc"))


def measure() -> list[Figure]:
    results = measure_imports(VARIANTS)
    by_label = {r.label: r for r in results}
    baseline, with_objects = by_label[BASELINE_LABEL], by_label[OBJECTS_LABEL]
    print_table(
        f"Cold import on {runtime_description()}, from the synthesized asset "
        f"({'with' if has_bytecode(asset_root()) else 'WITHOUT'} bytecode), median of {ROUNDS} fresh "
        "interpreters (CPU ms is the figure; wall ms moves with load)",
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
        if not variant.statement.startswith("import autopilot_reports") or variant.from_source:
            continue
        added = added_modules(variant)
        rows = [*list(added.items())[:TOP_MODULES], (f"all {len(added)} added modules", sum(added.values()))]
        print_table(
            f"{variant.label}: modules beyond the baseline + objects (one -X importtime run, own ms)",
            ("module", "own ms"),
            rows,
        )

    reporter, watcher, source = by_label[REPORTER_LABEL], by_label[WATCHER_LABEL], by_label[SOURCE_LABEL]
    return [
        Figure(
            "handler_import_overhead_ratio",
            reporter.cpu_ratio(with_objects),
            RATIO_BAR,
            f"median of {ROUNDS} paired rounds; medians: reporter {reporter.cpu_median:.0f} ms CPU / boto3 + "
            f"Powertools + objects {with_objects.cpu_median:.0f} ms; {runtime_description()}",
        ),
        Figure(
            "handler_import_overhead_ratio_from_source",
            source.cpu_ratio(with_objects),
            None,
            f"the reporter compiled at import, as without the asset's bytecode: {source.cpu_median:.0f} ms CPU",
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
