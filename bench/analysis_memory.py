"""Memory of turning Clarify's analysis.json into feature importances (docs/design.md §7: a large
analysis.json is parsed within the function's memory; oversized input is refused with a recorded reason).

Generated kernel SHAP bodies of about 1, 5 and 19.5 MiB (1-3 labels, tens of thousands of features per
label) are written to disk. For each, fresh interpreters with the reporter handler imported (as in a
Lambda process) report their peak RSS (VmHWM) and time for:
- the reporter's path: `collect_explainability` for a completed job whose Explainability prefix holds the
  body, through an ArtifactReader that returns the object's bytes as the S3 adapter does (read from
  disk inside `read_object`, so the bytes exist only while the reporter holds them);
- baselines: the handler imported and nothing else; and the bytes read and `json.loads`-ed (what any
  parser of the whole file pays).
Then a body of cap + 1 bytes goes through `collect_explainability` with a reader that counts reads: it
must be refused from its listed size, before any read.

    python -m bench.analysis_memory
"""

from __future__ import annotations

import json
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from autopilot_reports.domain.description import JobDescription, describe_job
from autopilot_reports.domain.explainability import ANALYSIS_FILE, collect_explainability, split_s3_uri
from autopilot_reports.models.record import Explainability
from autopilot_reports.settings import ReporterSettings
from bench import MB, REPORTER_HANDLER, Figure, completed_jobs_scenario, finish, fresh_python, print_table, stack
from testsupport.fakes import FakeArtifacts
from testsupport.scenarios.clarify import analysis_doc, shap_values

SIZES = ((1 * MB, 1), (5 * MB, 2), (int(19.5 * MB), 3))  # (target body bytes, labels): the cap is 20 MiB
CALIBRATION_FEATURES = 1_000
PEAK_BAR_MB = 256

# Run in a fresh interpreter: argv = body path, describe JSON path, top N, max bytes, mode.
_PROBE = """
import json, sys, time
from pathlib import Path
import autopilot_reports.handlers.reporter  # the Lambda process: handler module loaded
from autopilot_reports.domain.description import describe_job
from autopilot_reports.domain.explainability import collect_explainability, split_s3_uri
from autopilot_reports.domain.ports import StoredObject

body_path, describe_path, top_n, max_bytes, mode = sys.argv[1:]
describe = json.loads(Path(describe_path).read_text())
job = describe_job("v1", describe)
del describe

class DiskReader:
    def list_objects(self, bucket, prefix, owner):
        return [StoredObject(key=prefix + "analysis.json", size=Path(body_path).stat().st_size)]

    def read_object(self, bucket, key, max_bytes, owner=None):
        with open(body_path, "rb") as handle:
            return handle.read(max_bytes + 1)

started = time.perf_counter()
if mode == "collect":
    result = collect_explainability(job, DiskReader(), int(top_n), int(max_bytes))
    assert result.state.value == "available", result.reason
elif mode == "json.loads":
    bucket, prefix = split_s3_uri(job.explainability_prefix)
    document = json.loads(DiskReader().read_object(bucket, prefix + "/analysis.json", int(max_bytes)))
seconds = time.perf_counter() - started
# VmHWM, not ru_maxrss: Linux carries ru_maxrss across exec, so it would include the parent's RSS at fork.
hwm = next(line for line in Path("/proc/self/status").read_text().splitlines() if line.startswith("VmHWM:"))
print(int(hwm.split()[1]) * 1024, seconds)
"""
MODES = ("imported", "json.loads", "collect")


@dataclass(frozen=True)
class Peaks:
    body_bytes: int
    labels: int
    features: int
    peak: dict[str, int]  # mode -> max RSS bytes
    seconds: dict[str, float]


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


def completed_describe() -> dict[str, object]:
    """A completed V1 job whose best candidate has an Explainability location."""
    return dict(completed_jobs_scenario(1, 2, prefix="cap").jobs[0].describe[-1])


def process_peaks(target: int, labels: int, settings: ReporterSettings, describe_path: Path) -> Peaks:
    body, features = analysis_body(target, labels)
    peak, seconds = {}, {}
    with tempfile.NamedTemporaryFile(suffix=".json") as file:
        file.write(body)
        file.flush()
        size = len(body)
        del body
        for mode in MODES:
            args = [file.name, str(describe_path), str(settings.top_features), str(settings.analysis_max_bytes), mode]
            code = f"import sys\nsys.argv[1:] = {args!r}\n{_PROBE}"
            rss, elapsed = fresh_python(code).stdout.split()
            peak[mode], seconds[mode] = int(rss), float(elapsed)
    return Peaks(size, labels, features, peak, seconds)


def collect_at(job: JobDescription, body: bytes, settings: ReporterSettings) -> tuple[Explainability, FakeArtifacts]:
    """collect_explainability with `body` as the analysis.json under the job's Explainability prefix."""
    assert job.explainability_prefix
    bucket, prefix = split_s3_uri(job.explainability_prefix)
    reader = FakeArtifacts(objects={f"{bucket}/{prefix}/{ANALYSIS_FILE}": body})
    return collect_explainability(job, reader, settings.top_features, settings.analysis_max_bytes), reader


# --------------------------------------------------------------------------------------------------
# Output


def _mib(size: int) -> float:
    return size / MB


def measure() -> list[Figure]:
    reporter = stack().function_by_handler(REPORTER_HANDLER)
    settings = ReporterSettings.from_env(reporter.environment)
    describe = completed_describe()
    with tempfile.NamedTemporaryFile("w", suffix=".json") as describe_file:
        describe_file.write(json.dumps(describe))
        describe_file.flush()
        peaks = [process_peaks(target, labels, settings, Path(describe_file.name)) for target, labels in SIZES]
    print_table(
        f"Process peak RSS, fresh interpreter with the reporter handler imported (reporter MemorySize "
        f"{reporter.memory} MB; top {settings.top_features})",
        (
            "body MiB",
            "labels",
            "features/label",
            "imported MiB",
            "json.loads MiB",
            "collect MiB",
            "collect / json.loads",
            "json.loads ms",
            "collect ms",
        ),
        [
            (
                _mib(p.body_bytes),
                p.labels,
                p.features,
                _mib(p.peak["imported"]),
                _mib(p.peak["json.loads"]),
                _mib(p.peak["collect"]),
                p.peak["collect"] / p.peak["json.loads"],
                p.seconds["json.loads"] * 1000,
                p.seconds["collect"] * 1000,
            )
            for p in peaks
        ],
    )
    job = describe_job("v1", describe)
    cap = settings.analysis_max_bytes
    refused, reader = collect_at(job, b" " * (cap + 1), settings)
    print_table(
        f"collect_explainability against the {cap:,}-byte cap (ANALYSIS_MAX_BYTES), reads counted by the reader",
        ("analysis.json", "bytes", "state", "reads", "reason"),
        [("cap + 1 byte", cap + 1, refused.state.value, reader.reads, refused.reason or "")],
    )
    if refused.state.value != "error" or not refused.reason:
        raise RuntimeError(f"an analysis.json over the cap was not refused with a reason: {refused}")

    largest = peaks[-1]
    return [
        Figure(
            "reporter_peak_rss_mb_20mb_analysis",
            _mib(largest.peak["collect"]),
            PEAK_BAR_MB,
            f"{_mib(largest.body_bytes):.1f} MiB body; json.loads baseline {_mib(largest.peak['json.loads']):.0f} MiB, "
            f"import alone {_mib(largest.peak['imported']):.0f} MiB",
        ),
        Figure(
            "reporter_peak_rss_vs_json_loads_ratio_20mb_analysis",
            largest.peak["collect"] / largest.peak["json.loads"],
            None,
            "same body, bytes read + json.loads",
        ),
        Figure("analysis_over_cap_reads", reader.reads, 0, "cap + 1 byte: refused from its listed size"),
    ]


def main() -> int:
    return finish("Memory figures", measure())


if __name__ == "__main__":
    sys.exit(main())
