"""Scenarios built from code (testsupport/scenarios/): the plan records inputs, the oracle derives what the
pipeline must make of them, and the files in the repository are what the catalog writes."""

from __future__ import annotations

import pytest

from testsupport.scenarios.clarify import analysis_doc
from testsupport.scenarios.clock import Clock
from testsupport.scenarios.expectation import expectation, missing
from testsupport.scenarios.jobs import HPO, Job, credit_job, timeline
from testsupport.scenarios.plan import ScenarioPlan, ValidAnalysis
from testsupport.scenarios.rendering import render, scenario_document
from tools.make_scenarios import outputs

START = "2025-05-05T09:00:00+00:00"


def plan_with(*jobs: Job) -> ScenarioPlan:
    plan = ScenarioPlan("unit", Clock(START))
    for job in jobs:
        plan.add(job, explainability=missing("empty"))
    return plan


def test_the_repository_holds_what_the_catalog_writes():
    """`python -m tools.make_scenarios --check`: every scenario file and expectation is current."""
    stale = [path.name for path, content in outputs().items() if not path.exists() or path.read_text() != content]
    assert stale == [], "run `python -m tools.make_scenarios`"


def test_the_plan_records_the_analysis_and_the_oracle_derives_available_from_it():
    plan = ScenarioPlan("unit", Clock(START))
    job = credit_job("unit-churn", 90)
    # x: (0.5 + 0.25) / 2; y is missing from label b, so it counts as 0 there: (0.25 + 0) / 2.
    doc = analysis_doc({"a": {"y": 0.25, "x": 0.5}, "b": {"x": 0.25}}, {"a": 0.3, "b": 0.7})
    plan.add_available(job, doc, reports=("pdf",))

    assert plan.explainability == {job.key: ValidAnalysis(doc, ("pdf",))}
    assert set(plan.objects) == {
        f"{job.explainability_prefix}/analysis.json",
        f"{job.explainability_prefix}/report.pdf",
    }
    assert expectation(plan)["records"]["unit-churn"]["explainability"] == {
        "state": "available",
        "feature_count": 2,
        "labels": ["a", "b"],
        "top_features": [{"feature": "x", "importance": 0.375}, {"feature": "y", "importance": 0.125}],
        "artifact_keys": ["analysis", "report_pdf"],
    }


def test_a_stated_outcome_is_expected_as_stated():
    plan = plan_with(credit_job("unit-stopped", 90, timeline("Starting ModelTuning+best Stopping/Stopping")))
    record = expectation(plan)["records"]["unit-stopped"]
    assert record["explainability"] == {"state": "missing", "reason_contains": "empty"}
    assert record["leaderboard"] is None  # not ended
    assert record["notified_at"] is None


def test_the_oracle_follows_the_timeline_not_the_builder():
    """Completed within the run: one notification, one history item per observed state, the best candidate
    leading a leaderboard of the Completed candidates, best first."""
    job = credit_job("unit-done", 90, list(HPO), objective_value=0.9, other_candidates=3, failed_candidates=1)
    result = expectation(plan_with(job))
    record = result["records"]["unit-done"]
    assert result["notifications"] == {"unit-done": 1}
    assert result["history"] == {"unit-done": len(HPO)}
    assert record["leaderboard"] == [job.candidate_name(i) for i in range(3)]  # the fourth failed
    assert record["best_candidate"] == job.candidate_name(0)
    assert "notified_at" not in record  # set by the pipeline when it notifies


def test_the_oracle_needs_every_job_to_say_what_its_explainability_prefix_holds():
    plan = ScenarioPlan("unit", Clock(START))
    plan.add(credit_job("unit-silent", 90))
    with pytest.raises(ValueError, match="unit-silent"):
        expectation(plan)


def test_dropping_a_job_drops_its_inputs():
    plan = plan_with(credit_job("unit-kept", 90))
    plan.add_available(credit_job("unit-dropped", 150), analysis_doc({"label0": {"x": 0.5}}, {"label0": 0.1}))
    plan.drop({"unit-dropped"})
    assert [job.name for job in plan.jobs] == ["unit-kept"]
    assert [name for _, _, name in plan.explainability] == ["unit-kept"]
    assert plan.objects == {}


def test_the_file_holds_the_inputs_and_no_expectation():
    plan = plan_with(credit_job("unit-file", 90))
    plan.digests = [plan.last_tick + 1]
    document = scenario_document(plan)
    assert set(document) == {"region", "jobs", "objects", "delivery", "digests"}
    assert set(document["jobs"][0]) == {"api", "describe", "candidates"}
    assert render(document, compact=True).count("\n") == 1
