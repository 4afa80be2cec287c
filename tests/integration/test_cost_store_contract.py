"""One contract for the CostStore port (domain/ports.py), run against the in-memory fake and the DynamoDB
store on moto and on AWS's DynamoDB Local (the production key schema): one chain of pieces per job, the
result written once and only onto a record that exists, and kept by the report's later writes, the family's
totals, cached prices; and a hub's write of the figures its spoke sent (HubStore.save_compute), the same
write in the organization's keys."""

from __future__ import annotations

from datetime import UTC, datetime

import boto3
import pytest

from autopilot_reports.adapters.dynamodb_costs import DynamoDBCostStore
from autopilot_reports.adapters.dynamodb_hub import DynamoDBHubStore
from autopilot_reports.adapters.dynamodb_items import KeyScope
from autopilot_reports.adapters.dynamodb_queries import ReportQueries
from autopilot_reports.adapters.dynamodb_store import DynamoDBReportStore
from autopilot_reports.domain.ports import ComputeSaved
from autopilot_reports.models.cost import CachedPrice, ChildJob, ChildKind, CostProgress, PriceKey, Tally
from autopilot_reports.models.record import Compute, EstimatedCost, HistoryEntry
from tests.integration.conftest import REGION
from tests.integration.test_store_contract import ELSEWHERE, done
from testsupport.cost_fakes import FakeCostStore
from testsupport.fakes import FakeHubStore, FakeStore, job_ref

ENGINES = ("fake", "moto", "dynamodb-local")
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
JOB = job_ref("churn")
COMPUTE = Compute(
    child_jobs={"training": 2, "processing": 0, "transform": 0},
    instance_seconds={"ml.m5.xlarge": 3600.0},
    billable_seconds=3600.0,
    spot_savings_seconds=0.0,
    estimated_cost=EstimatedCost(
        amount=0.23, currency="USD", basis="on-demand list price, us-east-1, fetched 2026-03-02"
    ),
)


class Engine:
    """The cost store of one engine, with the report store on the same table (to write the records)."""

    def __init__(self, costs, reports, queries=None):
        self.costs, self.reports, self.queries = costs, reports, queries

    def compute(self):
        if self.queries is None:
            record = self.reports.records.get(self.reports.job_id(JOB))
        else:
            record = self.queries.get_report(JOB.name, JOB.place)
        return record.compute if record else None

    def family_cost(self, family):
        if self.queries is None:
            return self.costs.family_costs.get(family)
        return next((cost for standing, _, cost in self.queries.family_rows() if standing.family == family), None)


@pytest.fixture(params=ENGINES)
def engine(request):
    if request.param == "fake":
        reports = FakeStore()
        return Engine(FakeCostStore(reports=reports), reports)
    if request.param == "dynamodb-local":
        client = request.getfixturevalue("dynamodb_local").dynamodb_client(REGION)
        table = request.getfixturevalue("local_table")
    else:
        table = request.getfixturevalue("table_name")  # moto on, first
        client = boto3.client("dynamodb", region_name=REGION)
    return Engine(
        DynamoDBCostStore(table, dynamodb=client),
        DynamoDBReportStore(table, dynamodb=client),
        ReportQueries(table, dynamodb=client),
    )


def progress(pieces: int) -> CostProgress:
    record = done()
    return CostProgress(
        job_name=record.job_name,
        job_arn=record.job_arn,
        family="churn",
        pending=[ChildJob(kind=ChildKind.TRAINING, name=f"trial-{pieces}")],
        tally=Tally(child_jobs={"training": 2}, billable_seconds=60.0),
        pieces=pieces,
        started_at=NOW,
    )


def test_one_chain_of_pieces_per_job(engine):
    costs = engine.costs
    assert costs.hand_on(progress(1), None) is True
    assert costs.hand_on(progress(1), None) is False  # a second start of the same job
    assert costs.hand_on(progress(2), 1) is True
    assert costs.hand_on(progress(2), 1) is False  # a retry of the piece that stored it


def test_the_result_is_written_once_onto_the_record(engine):
    engine.reports.save_report(done(), HistoryEntry.of(done(), "schedule"), claim_notification=False)
    engine.costs.hand_on(progress(1), None)
    assert engine.costs.finish(JOB, "churn", COMPUTE, progress_stored=True) is True
    assert engine.compute() == COMPUTE
    assert engine.costs.finish(JOB, "churn", COMPUTE, progress_stored=False) is False  # costed already
    assert engine.costs.hand_on(progress(1), None) is True  # the progress is gone with the first result
    assert engine.costs.finish(JOB, "churn", COMPUTE, progress_stored=True) is False  # ... and a late piece's
    cost = engine.family_cost("churn")
    assert cost is not None and (cost.amount, cost.currency, cost.jobs) == (0.23, "USD", 1)


def test_no_record_is_made_for_a_job_that_has_none(engine):
    assert engine.costs.finish(JOB, "churn", COMPUTE, progress_stored=False) is False
    assert engine.compute() is None


def test_the_family_totals_add_each_costed_job(engine):
    for name, amount in (("churn-1", 0.25), ("churn-2", 0.5)):
        record = done(name=name)
        engine.reports.save_report(record, HistoryEntry.of(record, "schedule"), claim_notification=False)
        estimate = COMPUTE.estimated_cost.model_copy(update={"amount": amount})
        engine.costs.finish(job_ref(name), "churn", COMPUTE.model_copy(update={"estimated_cost": estimate}), False)
    cost = engine.family_cost("churn")
    assert cost is not None and (cost.amount, cost.jobs) == (0.75, 2)


def test_a_later_write_of_the_report_keeps_the_figures(engine):
    engine.reports.save_report(done(), HistoryEntry.of(done(), "schedule"), claim_notification=False)
    engine.costs.finish(JOB, "churn", COMPUTE, progress_stored=False)
    later = done(minutes=40, secondary="MaxAutoMLJobRuntimeReached")
    engine.reports.save_report(later, HistoryEntry.of(later, "schedule"), claim_notification=False)
    assert engine.compute() == COMPUTE


@pytest.fixture(params=ENGINES)
def hub_store(request):
    if request.param == "fake":
        return FakeHubStore()
    if request.param == "dynamodb-local":
        client = request.getfixturevalue("dynamodb_local").dynamodb_client(REGION)
        return DynamoDBHubStore(request.getfixturevalue("local_table"), dynamodb=client)
    return DynamoDBHubStore(
        request.getfixturevalue("table_name"), dynamodb=boto3.client("dynamodb", region_name=REGION)
    )


def test_a_hub_writes_a_jobs_figures_once_onto_its_record_of_the_job_and_creates_none(hub_store):
    there = job_ref("churn", ELSEWHERE)
    assert hub_store.save_compute(there, COMPUTE) is ComputeSaved.NO_RECORD
    assert hub_store.known_states([there]).jobs == {}
    hub_store.save_report(done(), HistoryEntry.of(done(), "spoke"), claim_notification=True)  # here, not there
    assert hub_store.save_compute(there, COMPUTE) is ComputeSaved.NO_RECORD  # the same name in another account
    assert hub_store.save_compute(JOB, COMPUTE) is ComputeSaved.WRITTEN
    assert hub_store.save_compute(JOB, COMPUTE) is ComputeSaved.COSTED_ALREADY
    later = done(minutes=40, secondary="MaxAutoMLJobRuntimeReached")
    hub_store.save_report(later, HistoryEntry.of(later, "spoke"), claim_notification=False)
    kept = held_record(hub_store, JOB)
    assert kept is not None and kept.compute == COMPUTE and kept.secondary_status == "MaxAutoMLJobRuntimeReached"


def held_record(store, job):
    if isinstance(store, FakeHubStore):
        return store.records.get(store.job_id(job))
    return ReportQueries(store.table_name, store.client, KeyScope.ORGANIZATION).get_report(job.name, job.place)


def test_cached_prices_come_back_as_saved(engine):
    price = CachedPrice(
        region=REGION, usage="training", instance_type="ml.m5.xlarge", hourly=0.23, currency="USD", fetched_at=NOW
    )
    unlisted = CachedPrice(
        region=REGION,
        usage="transform",
        instance_type="ml.m5.xlarge",
        fetched_at=NOW,
        reason="no on-demand price listed",
    )
    engine.costs.save_prices([price, unlisted])
    keys = [price.key, unlisted.key, PriceKey(REGION, "processing", "ml.m5.xlarge")]
    assert engine.costs.cached_prices(keys) == {price.key: price, unlisted.key: unlisted}
