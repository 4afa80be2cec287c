"""The sandbox's DynamoDB engine (docs/design.md §6.6): AWS's DynamoDB Local where Java runs, moto where it does not,
or either by choice; the records are the same on both."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from sandbox.emulators import EngineError, dynamodb_engine
from sandbox.runner import run_scenario
from sandbox.scenario import load_scenario
from tests.e2e.test_scenarios import SCENARIOS, check_outputs, comparable, load_expectation, read_jsonl

NAME = "failed"


def without_java(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A PATH on which `java` is not found (python and npm stay reachable)."""
    folders = [folder for folder in os.environ["PATH"].split(os.pathsep) if not (Path(folder) / "java").exists()]
    monkeypatch.setenv("PATH", os.pathsep.join(folders))
    assert shutil.which("java") is None


def test_without_java_the_sandbox_runs_on_moto_and_says_so(
    tmp_path: Path, template_json: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    without_java(monkeypatch, tmp_path)
    assert dynamodb_engine("auto") is None
    with pytest.raises(EngineError, match="java is not on PATH"):
        dynamodb_engine("dynamodb-local")
    summary = run_scenario(load_scenario(SCENARIOS / f"{NAME}.json"), template_json, tmp_path)
    assert summary["dynamodb_engine"] == "moto"
    check_outputs(tmp_path, load_expectation(NAME))


def test_both_engines_give_the_same_records(tmp_path: Path, template_json: dict[str, Any]) -> None:
    if dynamodb_engine("auto") is None:
        pytest.skip("DynamoDB Local cannot run here (no java, or `make setup` not run)")
    scenario = load_scenario(SCENARIOS / f"{NAME}.json")
    records = {}
    for engine in ("dynamodb-local", "moto"):
        summary = run_scenario(scenario, template_json, tmp_path / engine, engine=engine)
        assert summary["dynamodb_engine"] == engine
        check_outputs(tmp_path / engine, load_expectation(NAME))
        records[engine] = comparable(read_jsonl(tmp_path / engine / "records.jsonl"))
    assert records["dynamodb-local"] == records["moto"]
