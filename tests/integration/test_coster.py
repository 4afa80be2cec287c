"""The coster's handler with its real adapters: the job's candidates and child jobs and the Price List API
from the simulator (the e2e `cost` scenario's jobs, children and prices), the table on moto, the stream
read as its event source mapping (filter included) delivers it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest

from autopilot_reports import constants as c
from autopilot_reports.adapters.child_jobs import SageMakerChildJobs
from autopilot_reports.adapters.dynamodb_costs import DynamoDBCostStore
from autopilot_reports.adapters.dynamodb_items import price_key, serialize
from autopilot_reports.adapters.pricing import PriceListProducts
from autopilot_reports.domain.coster import Coster
from autopilot_reports.handlers import coster as coster_handler
from autopilot_reports.handlers import reporter as reporter_handler
from autopilot_reports.models.cost import PriceKey
from sandbox.sealing import create_mac_keys
from tests.e2e.test_scenarios import check_compute
from tests.integration.conftest import REGION, CallRecorder, stream_event
from tests.integration.test_handlers import Context
from testsupport.process import reset_process
from testsupport.stepping import stepping_simulator

SCENARIOS = Path(__file__).parents[1] / "e2e" / "scenarios"
SCENARIO = json.loads((SCENARIOS / "cost.json").read_text())
EXPECTED = json.loads((SCENARIOS / "cost.expect.json").read_text())["records"]
(JOB,) = SCENARIO["jobs"]
NAME = JOB["describe"][-1]["AutoMLJobName"]
COSTER = "handlers.coster.handler"


@dataclass
class LambdaContext(Context):
    remaining_ms: int = 300_000

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


class Costing:
    def __init__(self, simulator, stack_model, monkeypatch, table_name):
        self.simulator, self.stack, self.monkeypatch, self.table_name = simulator, stack_model, monkeypatch, table_name
        self.recorder = CallRecorder()
        self.position = 0

    def use(self, handler_suffix: str) -> None:
        for name, value in self.stack.function_by_handler(handler_suffix).environment.items():
            self.monkeypatch.setenv(name, value)
        reset_process()
        session = boto3.DEFAULT_SESSION or boto3.setup_default_session() or boto3.DEFAULT_SESSION
        session.events.unregister("before-call", self.recorder._count)
        session.events.register("before-call", self.recorder._count)
        self.recorder.calls.clear()

    def report(self) -> None:
        """The job's terminal report, as the reporter commits it."""
        from tests.integration.test_handlers import state_change

        self.use("handlers.reporter.handler")
        change = state_change(NAME)
        change["detail"]["AutoMLJobArn"] = JOB["describe"][-1]["AutoMLJobArn"]
        assert reporter_handler.handler(change, Context())["outcome"] == "claimed"

    def stream(self) -> dict:
        event, self.position = stream_event(self.stack, self.position, COSTER)
        return event

    def record(self) -> dict:
        item = boto3.client("dynamodb", region_name=REGION).get_item(
            TableName=self.table_name, Key=serialize({"pk": f"JOB#{NAME}", "sk": "REPORT"})
        )["Item"]
        from autopilot_reports.adapters.dynamodb_items import deserialize

        return deserialize(item)


@pytest.fixture
def costing(aws, table_name, stack_model, monkeypatch):
    with stepping_simulator(SCENARIO) as simulator:
        monkeypatch.setenv("AWS_ENDPOINT_URL_SAGEMAKER", simulator.endpoint_url)
        monkeypatch.setenv("AWS_ENDPOINT_URL_PRICING", simulator.endpoint_url)
        create_mac_keys(boto3.client("kms", region_name=REGION), stack_model)  # the stack's seal key
        boto3.client("events", region_name=REGION).create_event_bus(Name=next(iter(stack_model.buses.values())))
        from autopilot_reports.adapters.dynamodb_store import DynamoDBReportStore
        from tests.integration.test_handlers import WATCH_START

        DynamoDBReportStore(table_name, boto3.client("dynamodb", region_name=REGION)).begin_watch(WATCH_START)
        simulator.tick = len(JOB["describe"]) - 1
        yield Costing(simulator, stack_model, monkeypatch, table_name)
    reset_process()


def test_the_terminal_commit_leads_to_the_figures_in_distinct_describes_plus_four_calls(costing):
    costing.report()
    event = costing.stream()
    assert len(event["Records"]) == 1  # the terminal record, without compute
    costing.use(COSTER)

    assert coster_handler.handler(event, LambdaContext()) == {"batchItemFailures": []}

    calls = dict(costing.recorder.calls)
    check_compute(costing.record()["compute"], EXPECTED[NAME]["compute"])
    describes = sum(count for call, count in calls.items() if call.startswith("sagemaker.Describe"))
    assert describes == sum(EXPECTED[NAME]["compute"]["child_jobs"].values())  # one per distinct child job
    assert calls.pop("kms.GenerateMac") == 1  # the seal key, once per process (not a call per job)
    assert calls.pop("pricing.GetProducts") == 2  # cold cache: one per instance type, every usage in it
    assert calls.pop("dynamodb.BatchWriteItem") == 1  # ... cached for the week
    others = {call: count for call, count in calls.items() if not call.startswith("sagemaker.Describe")}
    assert others == {
        "sagemaker.ListCandidatesForAutoMLJob": 1,
        "dynamodb.BatchGetItem": 1,  # cached prices
        "dynamodb.TransactWriteItems": 1,  # compute on the record, the family's totals
    }
    assert costing.record()[c.COMPUTE_SEAL]  # sealed: a spoke's forwarder sends it on (domain/seal.py)
    assert costing.stream() == {"Records": []}  # its own write passes no filter: nothing is costed twice

    costing.use(COSTER)
    assert coster_handler.handler(event, LambdaContext()) == {"batchItemFailures": []}  # a replay
    assert costing.recorder.calls["pricing.GetProducts"] == 0  # the week's prices come from the table
    family = boto3.client("dynamodb", region_name=REGION).get_item(
        TableName=costing.table_name, Key=serialize({"pk": "FAMILY#cost-churn", "sk": "BEST"})
    )["Item"]
    assert family["costed_jobs"] == {"N": "1"}  # the replay added nothing


def test_a_job_costed_in_pieces_hands_on_through_the_stream_to_the_same_figures(costing):
    costing.report()
    event = costing.stream()
    costing.use(COSTER)
    small = Coster(
        SageMakerChildJobs(), PriceListProducts(), DynamoDBCostStore(costing.table_name), describes_per_piece=2
    )
    invocations = 0
    while event["Records"]:
        assert coster_handler.handler(event, LambdaContext(), coster=small) == {"batchItemFailures": []}
        invocations += 1
        event = costing.stream()
    assert invocations == 3  # six child jobs, two a piece
    check_compute(costing.record()["compute"], EXPECTED[NAME]["compute"])
    cost_item = boto3.client("dynamodb", region_name=REGION).get_item(
        TableName=costing.table_name, Key=serialize({"pk": f"JOB#{NAME}", "sk": "COST"})
    )
    assert "Item" not in cost_item  # the last piece removed the progress


def test_prices_are_cached_in_the_table_per_region_usage_and_type(costing):
    costing.report()
    event = costing.stream()
    costing.use(COSTER)
    coster_handler.handler(event, LambdaContext())
    item = boto3.client("dynamodb", region_name=REGION).get_item(
        TableName=costing.table_name, Key=serialize(price_key(PriceKey(REGION, "transform", "ml.m5.4xlarge")))
    )["Item"]
    assert (item["hourly"], item["currency"]) == ({"N": "0.922"}, {"S": "USD"})
