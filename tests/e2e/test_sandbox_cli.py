"""`python -m sandbox run SCENARIO --out DIR`, exactly as acceptance and `make demo` run it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "sandbox" / "scenarios" / "demo.json"
OUTPUTS = ["records.jsonl", "history.jsonl", "events.jsonl", "notifications.jsonl", "summary.json"]


@pytest.fixture(scope="module")
def template_file(template_json, tmp_path_factory):
    path = tmp_path_factory.mktemp("template") / "AutopilotReports.template.json"
    path.write_text(json.dumps(template_json))
    return path


def sandbox(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sandbox", "run", *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


def test_demo_runs_and_prints_every_report(template_file, tmp_path):
    result = sandbox(str(DEMO), "--out", str(tmp_path), "--template", str(template_file))

    assert result.returncode == 0, result.stderr
    for name in OUTPUTS:
        assert (tmp_path / name).exists(), name
    demo_jobs = [job["describe"][0]["AutoMLJobName"] for job in json.loads(DEMO.read_text())["jobs"]]
    for job in demo_jobs:
        assert f"== {job}" in result.stdout
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["records"] == summary["jobs"] == len(demo_jobs)
    assert summary["notifications"] == len(demo_jobs)  # every demo job ends terminal, notified once
    assert sum(summary["queue_depths"].values()) == 0
    records = [json.loads(line) for line in (tmp_path / "records.jsonl").read_text().splitlines() if line]
    assert all(record["notified_at"] >= record["ended_at"] for record in records)  # the clock agrees
    # words, not Python reprs; where the outputs are; one message as a person received it
    assert "['" not in result.stdout and "{'" not in result.stdout
    assert (
        f"Outputs in {tmp_path}/" in result.stdout
        and "One message as its e-mail subscribers received it" in result.stdout
    )
    assert ".venv/bin/autopilot-reports --endpoint-url" in result.stdout


def test_bad_scenario_exits_non_zero_naming_job_tick_and_field(template_file, tmp_path):
    scenario = json.loads(DEMO.read_text())
    scenario["jobs"][0]["describe"][1]["AutoMLJobStatus"] = 7  # a number where AWS returns a string
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(scenario))

    result = sandbox(str(bad), "--out", str(tmp_path / "out"), "--template", str(template_file))

    assert result.returncode == 2
    job = scenario["jobs"][0]["describe"][0]["AutoMLJobName"]
    assert f"job '{job}' describe[1]: AutoMLJobStatus" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_missing_scenario_file_is_a_clear_error(template_file, tmp_path):
    result = sandbox(str(tmp_path / "nope.json"), "--out", str(tmp_path / "out"), "--template", str(template_file))
    assert result.returncode == 2
    assert "scenario file not found" in result.stderr
