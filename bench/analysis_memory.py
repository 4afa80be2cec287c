"""Memory and time of turning Clarify's analysis.json into feature importances (DESIGN section 7: a large
analysis.json is parsed within the function's memory; oversized input is refused with a recorded reason).

Generated kernel SHAP bodies of about 1, 5 and 19.5 MiB (1-3 labels, tens of thousands of features per
label) go through `summarize_analysis`; the baseline is `json.loads` of the same bytes, which any parser
of the file must pay. Peak Python heap comes from tracemalloc; the process peak (reporter handler
imported, body in memory, summarized) from a fresh interpreter's max RSS, against the reporter's
MemorySize in the template. Then a body one byte over the cap goes through `collect_explainability`
with a reader that counts reads: it must be refused from its listed size, before any read.

    python -m bench.analysis_memory
"""

from __future__ import annotations

import gc
import json
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass

from autopilot_reports.domain.description import JobDescription, describe_job
from autopilot_reports.domain.explainability import (
    ANALYSIS_FILE,
    collect_explainability,
    split_s3_uri,
    summarize_analysis,
)
from autopilot_reports.models.record import Explainability
from autopilot_reports.settings import Settings
from bench import MB, REPORTER_HANDLER, completed_jobs_scenario, fresh_python, print_figures, print_table, stack
from testsupport.fakes import FakeArtifacts
from tools.make_scenarios import analysis_doc, shap_values

SIZES = ((1 * MB, 1), (5 * MB, 2), (int(19.5 * MB), 3))  # (target body bytes, labels): the cap is 20 MiB
TIMING_RUNS = 3
CALIBRATION_FEATURES = 1_000


@dataclass(frozen=True)
class ParseCost:
    body_bytes: int
    labels: int
    features: int
    peak_bytes: int
    seconds: float
    baseline_peak_bytes: int
    baseline_seconds: float
    process_peak_bytes: int

    @property
    def peak_ratio(self) -> float:
        return self.peak_bytes / self.baseline_peak_bytes

    @property
    def time_ratio(self) -> float:
        return self.seconds / self.baseline_seconds


# --------------------------------------------------------------------------------------------------
# Bodies


def analysis_body(target_bytes: int, labels: int) -> tuple[bytes, int]:
    """A Clarify kernel SHAP analysis.json of about `target_bytes`, and its feature count per label."""
    empty = len(_document(labels, 0))
    per_feature = (len(_document(labels, CALIBRATION_FEATURES)) - empty) / CALIBRATION_FEATURES
    features = int((target_bytes - empty) / per_feature)
    return _document(labels, features), features


def _document(labels: int, features: int) -> bytes:
    names = [f"sensor_{index:06d}_mean" for index in range(features)]
    label_names = [f"label{index}" for index in range(labels)]
    values = {label: shap_values(f"bench/{label}", names) for label in label_names}
    return json.dumps(analysis_doc(values, {label: 0.5 for label in label_names})).encode()


# --------------------------------------------------------------------------------------------------
# Measurements


def traced_peak(work: Callable[[], object]) -> int:
    """Peak bytes Python allocated while `work` ran (what existed before, such as the body, not counted)."""
    gc.collect()
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def best_time(work: Callable[[], object]) -> float:
    times = []
    for _ in range(TIMING_RUNS):
        gc.collect()
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def process_peak(body: bytes, top_n: int) -> int:
    """Max RSS of a fresh interpreter that imports the reporter handler, reads the body and summarizes it."""
    with tempfile.NamedTemporaryFile(suffix=".json") as file:
        file.write(body)
        file.flush()
        code = (
            "import resource, pathlib\n"
            "import autopilot_reports.handlers.reporter\n"
            "from autopilot_reports.domain.explainability import summarize_analysis\n"
            f"body = pathlib.Path({file.name!r}).read_bytes()\n"
            f"summarize_analysis(body, {top_n})\n"
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
        )
        return int(fresh_python(code).stdout) * 1024  # Linux reports KiB


def parse_cost(target_bytes: int, labels: int, top_n: int) -> ParseCost:
    body, features = analysis_body(target_bytes, labels)
    return ParseCost(
        body_bytes=len(body),
        labels=labels,
        features=features,
        peak_bytes=traced_peak(lambda: summarize_analysis(body, top_n)),
        seconds=best_time(lambda: summarize_analysis(body, top_n)),
        baseline_peak_bytes=traced_peak(lambda: json.loads(body)),
        baseline_seconds=best_time(lambda: json.loads(body)),
        process_peak_bytes=process_peak(body, top_n),
    )


def completed_job() -> JobDescription:
    """A completed V1 job whose best candidate has an Explainability location."""
    job = completed_jobs_scenario(1, 2, prefix="cap").jobs[0]
    return describe_job(job.api, job.describe[-1])


def collect_at(job: JobDescription, body: bytes, settings: Settings) -> tuple[Explainability, FakeArtifacts]:
    """collect_explainability with `body` as the analysis.json under the job's Explainability prefix."""
    assert job.explainability_prefix
    bucket, prefix = split_s3_uri(job.explainability_prefix)
    reader = FakeArtifacts(objects={f"{bucket}/{prefix}/{ANALYSIS_FILE}": body})
    return collect_explainability(job, reader, settings.top_features, settings.analysis_max_bytes), reader


# --------------------------------------------------------------------------------------------------
# Output


def _mib(size: int) -> float:
    return size / MB


def main() -> int:
    reporter = stack().function_by_handler(REPORTER_HANDLER)
    settings = Settings.from_env(reporter.environment)
    memory = reporter.memory * MB
    costs = [parse_cost(target, labels, settings.top_features) for target, labels in SIZES]
    largest_body = analysis_body(*SIZES[-1])[0]
    print_table(
        f"summarize_analysis vs json.loads of the same body (top {settings.top_features}; "
        f"time: best of {TIMING_RUNS}; peak: tracemalloc)",
        (
            "body MiB",
            "labels",
            "features/label",
            "peak MiB",
            "json.loads MiB",
            "peak ratio",
            "ms",
            "json.loads ms",
            "time ratio",
        ),
        [
            (
                _mib(c.body_bytes),
                c.labels,
                c.features,
                _mib(c.peak_bytes),
                _mib(c.baseline_peak_bytes),
                c.peak_ratio,
                c.seconds * 1000,
                c.baseline_seconds * 1000,
                c.time_ratio,
            )
            for c in costs
        ],
    )
    print_table(
        f"Process peak (fresh interpreter: reporter imported, body read, summarized) vs the reporter's "
        f"MemorySize {reporter.memory} MiB",
        ("body MiB", "process peak MiB", "share of MemorySize", "fits"),
        [
            (
                _mib(c.body_bytes),
                _mib(c.process_peak_bytes),
                f"{c.process_peak_bytes / memory:.0%}",
                "yes" if c.process_peak_bytes < memory else "NO",
            )
            for c in costs
        ],
    )
    job = completed_job()
    cap = settings.analysis_max_bytes
    collected = [
        (label, len(body), *collect_at(job, body, settings))
        for label, body in (("largest body above", largest_body), ("cap + 1 byte", b" " * (cap + 1)))
    ]
    print_table(
        f"collect_explainability against the {cap:,}-byte cap (ANALYSIS_MAX_BYTES), reads counted by the reader",
        ("analysis.json", "bytes", "state", "reads", "reason"),
        [
            (label, size, result.state.value, reader.reads, result.reason or "")
            for label, size, result, reader in collected
        ],
    )

    largest = costs[-1]
    refused, refused_reader = collected[-1][2], collected[-1][3]
    figures = [
        (f"peak heap / json.loads peak, {_mib(largest.body_bytes):.1f} MiB", f"{largest.peak_ratio:.2f}", "", None),
        (f"time / json.loads time, {_mib(largest.body_bytes):.1f} MiB", f"{largest.time_ratio:.2f}", "", None),
        (
            f"process peak, {_mib(largest.body_bytes):.1f} MiB body",
            f"{_mib(largest.process_peak_bytes):.0f} MiB",
            f"< {reporter.memory} MiB",
            largest.process_peak_bytes < memory,
        ),
        (
            "cap + 1 byte: reads before refusal",
            str(refused_reader.reads),
            "0",
            refused_reader.reads == 0 and refused.state.value == "error" and bool(refused.reason),
        ),
    ]
    return 0 if print_figures("Memory figures", figures) else 1


if __name__ == "__main__":
    sys.exit(main())
