"""The rules of a job's cost (domain/costing.py) and the coster's pieces (domain/coster.py), on fakes.

Figures are worked out by hand in the comments; the real child-job responses of
tests/e2e/recordings/children/ (with their provenance) are read unadapted."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from autopilot_reports.domain import costing
from autopilot_reports.domain.coster import Coster, CostOutcome
from autopilot_reports.domain.digest import summarize
from autopilot_reports.domain.ports import DigestInputs
from autopilot_reports.models.cost import CachedPrice, ChildJob, ChildKind, PriceKey, Tally
from autopilot_reports.models.digest import Period
from autopilot_reports.models.place import JobRef
from autopilot_reports.models.record import Compute, EstimatedCost, Explainability, ReportRecord
from testsupport.cost_fakes import NOT_FOUND, FakeChildJobs, FakeCostStore, FakePriceList, step
from testsupport.fakes import PLACE, FakeStore
from testsupport.scenarios.prices import Rate, price_entry

CHILDREN = Path(__file__).parents[1] / "e2e" / "recordings" / "children"
REGION = PLACE.region
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
ARN = f"arn:aws:sagemaker:{REGION}:{PLACE.account}:"


def recorded(name: str) -> dict[str, Any]:
    response: dict[str, Any] = json.loads((CHILDREN / name).read_text())["response"]
    return response


SPOT_TRAINING = recorded("bioimage-search-2021-02_spot_training.json")
TRANSFORM = recorded("sagemaker-examples-2022-04_transform.json")


def training(name: str, instance: str, count: int, seconds: int, billable: int | None = None, spot=False):
    response = {
        "TrainingJobName": name,
        "ResourceConfig": {"InstanceType": instance, "InstanceCount": count, "VolumeSizeInGB": 30},
        "TrainingTimeInSeconds": seconds,
        "BillableTimeInSeconds": seconds if billable is None else billable,
        "EnableManagedSpotTraining": spot,
    }
    return response


def processing(name: str, instance: str, count: int, seconds: float):
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    return {
        "ProcessingJobName": name,
        "ProcessingResources": {
            "ClusterConfig": {"InstanceType": instance, "InstanceCount": count, "VolumeSizeInGB": 30}
        },
        "ProcessingStartTime": start,  # as boto3 gives them: datetimes
        "ProcessingEndTime": start + timedelta(seconds=seconds),
    }


def transform(name: str, instance: str, count: int, seconds: float):
    start = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    return {
        "TransformJobName": name,
        "TransformResources": {"InstanceType": instance, "InstanceCount": count},
        "TransformStartTime": start.isoformat(),  # as a scenario keeps them: text
        "TransformEndTime": (start + timedelta(seconds=seconds)).isoformat(),
    }


def prices(*rates: tuple[str, str, str]) -> list[dict[str, Any]]:
    return [json.loads(price_entry(Rate(REGION, instance, usage, usd))) for instance, usage, usd in rates]


# --- what one child job used ----------------------------------------------------------------------------


def test_a_real_managed_spot_training_job():
    usage = costing.usage_of(ChildKind.TRAINING, SPOT_TRAINING)
    assert usage == costing.Usage((("ml.m5.4xlarge", 1),), 37026.0, 14683.0, spot=True)
    tally = costing.add_usage(Tally(), ChildJob(kind=ChildKind.TRAINING, name="bioims"), usage)
    # held 37,026 s, billed 14,683 s (AWS's BillableTimeInSeconds × InstanceCount), saved 37,026 - 14,683
    assert tally.instance_seconds == {"ml.m5.4xlarge": 37026.0}
    assert (tally.billable_seconds, tally.spot_savings_seconds) == (14683.0, 22343.0)


def test_a_real_transform_job_on_two_instances():
    usage = costing.usage_of(ChildKind.TRANSFORM, TRANSFORM)
    # 00:29:50.865 to 00:31:42.720 = 111.855 s, on 2 × ml.c4.xlarge
    assert usage.instances == (("ml.c4.xlarge", 2),)
    assert usage.held_seconds == pytest.approx(111.855) and usage.billable_seconds == pytest.approx(111.855)
    tally = costing.add_usage(Tally(), ChildJob(kind=ChildKind.TRANSFORM, name="t"), usage)
    assert tally.billable_by_usage == {"transform": {"ml.c4.xlarge": pytest.approx(223.71)}}


def test_the_billed_instance_type_is_the_selected_one_and_clusters_count_each_group():
    chosen = {"InstanceType": "ml.m5.xlarge", "SelectedInstanceType": "ml.c5.2xlarge", "SelectedInstanceCount": 3}
    usage = costing.usage_of(ChildKind.TRAINING, {"ResourceConfig": chosen, "TrainingTimeInSeconds": 10})
    assert usage.instances == (("ml.c5.2xlarge", 3),)
    groups = {"InstanceGroups": [{"InstanceType": "ml.m5.xlarge", "InstanceCount": 2, "InstanceGroupName": "a"},
                                 {"InstanceType": "ml.g5.xlarge", "InstanceCount": 1, "InstanceGroupName": "b"}]}  # fmt: skip
    usage = costing.usage_of(ChildKind.TRAINING, {"ResourceConfig": groups, "TrainingTimeInSeconds": 100})
    tally = costing.add_usage(Tally(), ChildJob(kind=ChildKind.TRAINING, name="h"), usage)
    assert tally.instance_seconds == {"ml.m5.xlarge": 200.0, "ml.g5.xlarge": 100.0}


def test_missing_figures_are_named_not_guessed():
    unstarted = costing.usage_of(ChildKind.PROCESSING, {"ProcessingResources": {"ClusterConfig": {}}})
    assert unstarted.held_seconds == 0 and unstarted.problem
    old = costing.usage_of(
        ChildKind.TRAINING, {"ResourceConfig": {"InstanceType": "ml.m4.xlarge"}, "TrainingTimeInSeconds": 60}
    )
    assert old.billable_seconds == 60 and "BillableTimeInSeconds" in (old.problem or "")


# --- the child jobs -----------------------------------------------------------------------------------


def test_shared_steps_count_once_by_arn():
    shared = [
        step(ChildKind.PROCESSING, ARN + "processing-job/db-1", "db-1"),
        step(ChildKind.TRAINING, ARN + "training-job/dpp0-1", "dpp0-1"),
        step(ChildKind.TRANSFORM, ARN + "transform-job/dpp0-csv-1", "dpp0-csv-1"),
    ]
    candidates = [
        {"CandidateSteps": [*shared, step(ChildKind.TRAINING, ARN + f"training-job/trial-{i}", f"trial-{i}")]}
        for i in range(3)
    ]
    candidates.append({"CandidateSteps": [{**shared[0], "CandidateStepType": "AWS::Sagemaker::ProcessingJob"}]})
    children = costing.child_jobs_of(candidates)
    assert costing.counted(children) == {"training": 4, "processing": 1, "transform": 1}
    assert [child.name for child in children][:2] == ["db-1", "dpp0-1"]


# --- prices ------------------------------------------------------------------------------------------


def test_the_price_of_each_usage_is_read_from_its_own_product():
    entries = prices(
        ("ml.m5.xlarge", "Training", "0.2300000000"),
        ("ml.m5.xlarge", "Hosting", "0.2690000000"),
        ("ml.m5.xlarge", "BatchTransform", "0.2300000000"),
    )
    free = json.loads(price_entry(Rate(REGION, "ml.m5.xlarge", "Processing", "0.0000000000")))
    assert costing.hourly_prices([*entries, free], "ml.m5.xlarge") == {
        ChildKind.TRAINING: (0.23, "USD"),
        ChildKind.TRANSFORM: (0.23, "USD"),
    }


def test_the_estimate_is_billed_seconds_times_the_hourly_price():
    tally = Tally(billable_by_usage={"training": {"ml.m5.xlarge": 7200.0}, "transform": {"ml.m5.xlarge": 1800.0}})
    priced = {
        PriceKey(REGION, "training", "ml.m5.xlarge"): CachedPrice(
            region=REGION, usage="training", instance_type="ml.m5.xlarge", hourly=0.23, currency="USD", fetched_at=NOW
        )
    }
    cost, unpriced = costing.estimate(tally, priced, REGION)
    assert cost is not None and cost.amount == pytest.approx(0.46)  # 7,200 s × 0.23 / 3,600
    assert cost.basis == f"on-demand list price, {REGION}, fetched 2026-03-02"
    assert unpriced == ["ml.m5.xlarge (transform)"]


# --- the coster ------------------------------------------------------------------------------------------


def record(name: str = "churn-2026-03", status: str = "Completed") -> ReportRecord:
    return ReportRecord(
        job_name=name,
        job_arn=f"{ARN}automl-job/{name}",
        api="v1",
        status=status,
        secondary_status=status,
        explainability=Explainability(state="missing", reason="r"),
        created_at=NOW - timedelta(hours=3),
        last_modified_at=NOW,
        family="churn",
    )


def world(candidates, responses, entries, describes_per_piece=200):
    reports = FakeStore()
    reports.records[reports.job_id(record().job)] = record()
    store = FakeCostStore(reports=reports)
    children = FakeChildJobs(candidates={"churn-2026-03": candidates}, responses=responses)
    pricing = FakePriceList(entries=entries)
    coster = Coster(children, pricing, store, describes_per_piece=describes_per_piece, clock=lambda: NOW)
    return coster, children, pricing, store


def job_of_three_candidates():
    """Three candidates sharing the data builder and preprocessing (one transform on 2 instances), one trial
    on managed spot, one trial not describable."""
    shared = [
        step(ChildKind.PROCESSING, ARN + "processing-job/db-1", "db-1"),
        step(ChildKind.TRAINING, ARN + "training-job/dpp0-1", "dpp0-1"),
        step(ChildKind.TRANSFORM, ARN + "transform-job/dpp0-csv-1", "dpp0-csv-1"),
    ]
    candidates = [
        {"CandidateSteps": [*shared, step(ChildKind.TRAINING, ARN + f"training-job/trial-{i}", f"trial-{i}")]}
        for i in range(3)
    ]
    responses = [
        processing("db-1", "ml.m5.2xlarge", 1, 480),
        training("dpp0-1", "ml.m5.2xlarge", 1, 900),
        transform("dpp0-csv-1", "ml.m5.4xlarge", 2, 300),
        training("trial-0", "ml.m5.4xlarge", 1, 1800),
        training("TRIAL-1", "ml.m5.4xlarge", 1, 2400, billable=840, spot=True),
    ]
    entries = prices(
        ("ml.m5.2xlarge", "Processing", "0.4610000000"),
        ("ml.m5.2xlarge", "Training", "0.4610000000"),
        ("ml.m5.4xlarge", "Training", "0.9220000000"),
        ("ml.m5.4xlarge", "BatchTransform", "0.9220000000"),
    )
    return candidates, responses, entries


def expected_amount() -> float:
    m5_2x, m5_4x = 0.461 / 3600, 0.922 / 3600
    return (480 + 900) * m5_2x + (2 * 300 + 1800 + 840) * m5_4x  # = 0.176717 + 0.829800


def test_a_job_is_costed_from_its_distinct_child_jobs_and_the_served_prices():
    coster, children, pricing, store = world(*job_of_three_candidates())
    job = record().job
    result = coster.start(job, record().job_arn, "churn", lambda: 300.0)
    assert result.outcome is CostOutcome.COSTED
    compute = store.reports.records[store.reports.job_id(job)].compute
    assert compute is not None
    assert compute.child_jobs == {"training": 4, "processing": 1, "transform": 1}
    assert compute.instance_seconds == {"ml.m5.2xlarge": 1380.0, "ml.m5.4xlarge": 4800.0}
    assert (compute.billable_seconds, compute.spot_savings_seconds) == (4620.0, 1560.0)
    assert compute.estimated_cost is not None
    assert compute.estimated_cost.amount == pytest.approx(expected_amount(), abs=1e-6)
    assert compute.incomplete == f"1 of 6 child jobs could not be described: training job trial-2 ({NOT_FOUND})"
    assert len(children.described) == 6 and children.list_calls == 1
    assert pricing.calls == [(REGION, "ml.m5.2xlarge"), (REGION, "ml.m5.4xlarge")]  # one per type, every usage
    assert store.family_costs["churn"].jobs == 1


def test_a_big_job_goes_on_in_pieces_to_the_same_figures():
    candidates, responses, entries = job_of_three_candidates()
    whole, *_ = world(candidates, responses, entries)
    one_piece = whole.start(record().job, record().job_arn, "churn", lambda: 300.0).compute
    coster, children, _, store = world(candidates, responses, entries, describes_per_piece=2)
    result = coster.start(record().job, record().job_arn, "churn", lambda: 300.0)
    pieces = 1
    while result.outcome is CostOutcome.HANDED_ON:
        (progress,) = store.progress.values()
        result = coster.resume(progress, lambda: 300.0)
        pieces += 1
    assert pieces == 3 and result.outcome is CostOutcome.COSTED
    assert store.progress == {} and len(children.described) == 6
    assert store.reports.records[store.reports.job_id(record().job)].compute == one_piece


def test_a_piece_stops_when_its_invocation_runs_short_of_time():
    coster, children, _, store = world(*job_of_three_candidates())
    result = coster.start(record().job, record().job_arn, "churn", lambda: 10.0)
    assert result.outcome is CostOutcome.HANDED_ON and result.described == 1  # one at least: the chain moves on
    assert store.hand_offs == 1


def test_a_piece_run_twice_hands_on_once():
    coster, _, _, store = world(*job_of_three_candidates(), describes_per_piece=2)
    coster.start(record().job, record().job_arn, "churn", lambda: 300.0)
    (progress,) = store.progress.values()
    assert coster.resume(progress, lambda: 300.0).outcome is CostOutcome.HANDED_ON
    assert coster.resume(progress, lambda: 300.0).outcome is CostOutcome.SUPERSEDED  # a retry of that piece
    assert coster.start(record().job, record().job_arn, "churn", lambda: 300.0).outcome is CostOutcome.SUPERSEDED


def test_a_job_is_costed_once():
    coster, _, _, store = world(*job_of_three_candidates())
    assert coster.start(record().job, record().job_arn, "churn", lambda: 300.0).outcome is CostOutcome.COSTED
    assert coster.start(record().job, record().job_arn, "churn", lambda: 300.0).outcome is CostOutcome.SUPERSEDED
    assert store.family_costs["churn"].jobs == 1


def test_prices_are_looked_up_once_a_week_per_instance_type():
    coster, _, pricing, store = world(*job_of_three_candidates())
    coster.start(record().job, record().job_arn, "churn", lambda: 300.0)
    for index, days in enumerate((1, 6)):
        name = f"churn-2026-03-0{index + 2}"
        store.reports.records[store.reports.job_id(record(name).job)] = record(name)
        coster.children.candidates[name] = coster.children.candidates["churn-2026-03"]  # type: ignore[attr-defined]
        coster.clock = lambda days=days: NOW + timedelta(days=days)
        coster.start(record(name).job, record(name).job_arn, "churn", lambda: 300.0)
    assert len(pricing.calls) == 2  # the first job's, for its two types
    coster.clock = lambda: NOW + timedelta(days=7, seconds=1)
    name = "churn-2026-03-09"
    store.reports.records[store.reports.job_id(record(name).job)] = record(name)
    coster.children.candidates[name] = coster.children.candidates["churn-2026-03"]  # type: ignore[attr-defined]
    coster.start(record(name).job, record(name).job_arn, "churn", lambda: 300.0)
    assert len(pricing.calls) == 4  # a week later, each type once more


def test_failing_to_price_or_to_list_leaves_a_reason_and_never_raises():
    coster, _, pricing, store = world(*job_of_three_candidates())
    pricing.error = "GetProducts throttled 4 times"
    coster.start(record().job, record().job_arn, "churn", lambda: 300.0)
    compute = store.reports.records[store.reports.job_id(record().job)].compute
    assert compute is not None and compute.estimated_cost is None
    assert "no on-demand price in us-east-1 for ml.m5.2xlarge (processing: GetProducts throttled" in (
        compute.incomplete or ""
    )
    assert store.prices == {}  # a failed look-up is not cached: the next job asks again

    coster, children, _, store = world(*job_of_three_candidates())
    children.candidates_error = "ListCandidatesForAutoMLJob: Could not find job"
    assert coster.start(record().job, record().job_arn, "churn", lambda: 300.0).outcome is CostOutcome.COSTED
    compute = store.reports.records[store.reports.job_id(record().job)].compute
    assert compute == Compute(
        child_jobs={},
        instance_seconds={},
        billable_seconds=0,
        spot_savings_seconds=0,
        incomplete="the candidates could not be listed: ListCandidatesForAutoMLJob: Could not find job",
    )


def test_a_record_that_is_gone_is_not_created():
    coster, _, _, store = world(*job_of_three_candidates())
    store.reports.records.clear()
    other = JobRef(PLACE, "churn-2026-03")
    assert coster.start(other, record().job_arn, "churn", lambda: 300.0).outcome is CostOutcome.SUPERSEDED
    assert store.reports.records == {}


# --- the digest ---------------------------------------------------------------------------------------------


def costed(name: str, account: str, amount: float | None, incomplete: str | None = None) -> ReportRecord:
    base = record(name).model_copy(
        update={"job_arn": f"arn:aws:sagemaker:{REGION}:{account}:automl-job/{name}", "family": name.split("-")[0]}
    )
    if amount is None:
        return base
    estimate = EstimatedCost(amount=amount, currency="USD", basis="on-demand list price, us-east-1, fetched 2026-03-02")
    compute = Compute(
        child_jobs={"training": 1},
        instance_seconds={},
        billable_seconds=1.0,
        spot_savings_seconds=0.0,
        estimated_cost=estimate,
        incomplete=incomplete,
    )
    return base.model_copy(update={"compute": compute})


def test_the_digest_totals_match_the_records_by_family_and_by_account():
    records = [
        costed("churn-1", "111122223333", 1.25),
        costed("churn-2", "444455556666", 0.5, incomplete="1 of 6 child jobs could not be described"),
        costed("fraud-1", "111122223333", 2.0),
        costed("fraud-2", "111122223333", None),  # ended, not costed yet
        record("prices-1", status="InProgress"),  # running: no cost to count
    ]
    end = NOW + timedelta(hours=1)
    digest = summarize(Period(start=NOW - timedelta(days=1), end=end), DigestInputs(records, [], [], []))
    cost = digest.cost
    assert cost is not None
    terminal = [r for r in records if r.compute and r.compute.estimated_cost]
    assert cost.total == pytest.approx(sum(r.compute.estimated_cost.amount for r in terminal))  # type: ignore[union-attr]
    assert cost.by_family == {"fraud": 2.0, "churn": 1.75}
    assert cost.by_account == {"111122223333": 3.25, "444455556666": 0.5}
    assert (cost.costed_jobs, cost.not_costed_jobs, cost.incomplete_jobs) == (3, 1, 1)
    assert summarize(digest.period, DigestInputs([costed("fraud-2", "111122223333", None)], [], [], [])).cost is None
