"""The job family and its best (domain/family.py), through the reporter and the fake store."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from autopilot_reports.domain.family import FamilyStanding, family_of, judge
from autopilot_reports.domain.reporter import Reporter
from autopilot_reports.models.record import FamilyBest
from testsupport.fakes import FakeArtifacts, FakeJobs, FakeStore, job_ref

WATCH_START = datetime(2025, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("name", "family"),
    [
        ("churn-2025-06-01", "churn"),
        ("churn-2025-06-08", "churn"),
        ("automl-churn-03-17-50-14", "automl-churn"),
        ("churn-h1", "churn-h1"),
        ("churn", "churn"),
        ("42", "42"),
    ],
)
def test_the_default_family_drops_trailing_digit_groups(name: str, family: str) -> None:
    assert family_of(name) == family


def test_a_custom_pattern_takes_its_first_group_and_a_miss_keeps_the_name() -> None:
    assert family_of("team-a-churn-v7", r"^team-a-(\w+)-v\d+$") == "churn"
    assert family_of("other-job", r"^team-a-(\w+)-v\d+$") == "other-job"


def describe(name: str, value: float, metric: str = "F1", kind: str | None = "Maximize", status: str = "Completed"):
    objective = {"MetricName": metric, "Value": value}
    if kind:
        objective["Type"] = kind
    return {
        "AutoMLJobName": name,
        "AutoMLJobArn": f"arn:aws:sagemaker:us-east-1:123456789012:automl-job/{name}",
        "AutoMLJobStatus": status,
        "AutoMLJobSecondaryStatus": status,
        "CreationTime": "2025-03-01T08:00:00Z",
        "EndTime": "2025-03-01T10:00:00Z",
        "LastModifiedTime": "2025-03-01T10:00:00Z",
        "BestCandidate": {"CandidateName": f"{name}-c1", "FinalAutoMLJobObjectiveMetric": objective},
    }


def reporter_for(store: FakeStore, *responses: dict) -> Reporter:
    return Reporter(
        jobs=FakeJobs(responses={response["AutoMLJobName"]: ("v1", response) for response in responses}),
        artifacts=FakeArtifacts(),
        store=store,
        top_features=10,
        analysis_max_bytes=1 << 20,
        notify_statuses=("Completed", "Failed", "Stopped"),
        leaderboard_size=0,
    )


def test_a_family_of_three_rising_then_falling_marks_one_new_best_with_the_best_it_beat() -> None:
    store = FakeStore(watch_start=WATCH_START)
    runs = [describe("churn-2025-06-01", 0.81), describe("churn-2025-06-08", 0.86), describe("churn-2025-06-15", 0.84)]
    reporter = reporter_for(store, *runs)
    records = [
        reporter.report(job_ref(run["AutoMLJobName"]), "schedule").record for run in runs
    ]  # no hint: learnt by race
    verdicts = [(record.new_best_in_family, record.previous_best) for record in records]
    assert verdicts == [
        (False, None),
        (True, FamilyBest(job_name="churn-2025-06-01", value=0.81)),
        (False, FamilyBest(job_name="churn-2025-06-08", value=0.86)),
    ]
    standing, jobs = store.families["churn"]
    assert standing.best == FamilyBest(job_name="churn-2025-06-08", value=0.86) and jobs == 3


def test_a_regression_family_is_better_lower() -> None:
    store = FakeStore(watch_start=WATCH_START)
    runs = [describe(f"prices-{day}", value, "validation:mse", None) for day, value in ((1, 9.5), (2, 7.25), (3, 8.0))]
    reporter = reporter_for(store, *runs)
    records = [reporter.report(job_ref(run["AutoMLJobName"]), "schedule").record for run in runs]
    assert [record.new_best_in_family for record in records] == [False, True, False]
    assert records[1].previous_best == FamilyBest(job_name="prices-1", value=9.5)
    assert records[2].previous_best == FamilyBest(job_name="prices-2", value=7.25)


def test_the_watchers_hint_saves_the_second_write_and_a_stale_one_is_judged_again() -> None:
    store = FakeStore(watch_start=WATCH_START)
    store.families["churn"] = (FamilyStanding("churn", FamilyBest(job_name="churn-1", value=0.8), "F1", "Maximize"), 1)
    reporter = reporter_for(store, describe("churn-2", 0.9), describe("churn-3", 0.85))
    hint = FamilyStanding("churn", FamilyBest(job_name="churn-1", value=0.8), "F1", "Maximize")

    writes_before = store.writes
    first = reporter.report(job_ref("churn-2"), "schedule", standing=hint).record
    assert first.new_best_in_family and store.writes == writes_before + 1
    stale = reporter.report(job_ref("churn-3"), "schedule", standing=hint).record  # listed before churn-2 committed
    assert not stale.new_best_in_family and stale.previous_best == FamilyBest(job_name="churn-2", value=0.9)


def test_only_a_comparable_completed_job_with_a_value_can_become_the_best() -> None:
    standing = FamilyStanding("churn", FamilyBest(job_name="churn-1", value=0.8), "F1", "Maximize")
    store = FakeStore(watch_start=WATCH_START)
    store.families["churn"] = (standing, 1)
    failed = reporter_for(store, describe("churn-2", 0.99, status="Failed"))
    record = failed.report(job_ref("churn-2"), "schedule", standing=standing).record
    assert not record.new_best_in_family and record.previous_best == standing.best

    other_metric = reporter_for(FakeStore(watch_start=WATCH_START), describe("churn-3", 0.99, "AUC")).report(
        job_ref("churn-3"), "schedule"
    )
    judged, update = judge(other_metric.record, standing, count_job=True)
    assert not judged.new_best_in_family and update.becomes_best is None


def test_a_later_write_of_the_best_job_keeps_its_verdict() -> None:
    store = FakeStore(watch_start=WATCH_START)
    store.families["churn"] = (FamilyStanding("churn", FamilyBest(job_name="churn-1", value=0.8), "F1", "Maximize"), 1)
    reporter = reporter_for(store, describe("churn-2", 0.9))
    assert reporter.report(job_ref("churn-2"), "schedule").record.new_best_in_family
    later = describe("churn-2", 0.9)
    later["LastModifiedTime"] = "2025-03-01T11:00:00Z"
    reporter.jobs.responses["churn-2"] = ("v1", later)  # type: ignore[attr-defined]
    reporter.report(job_ref("churn-2"), "schedule", previous_status="Completed")
    stored = store.records["churn-2"]
    assert stored.new_best_in_family and stored.previous_best == FamilyBest(job_name="churn-1", value=0.8)
    assert store.families["churn"][1] == 2  # counted once, when it first ended
