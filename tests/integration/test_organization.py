"""An organization on moto (issue 20): a spoke's reporter, its forwarder, the hub's recorder and notifier,
each the real handler with its environment from the synthesized hub and spoke templates, chained as
EventBridge would chain them; what a terminal report costs across them; a job's cost figures from the
spoke's coster to the hub's record and digest; the hub's table read by the CLI across accounts (Queries
only); heartbeats, silent spokes and a forged report."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import boto3
import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends

from autopilot_reports import constants as c
from autopilot_reports.adapters.dynamodb_hub import DynamoDBHubStore
from autopilot_reports.adapters.dynamodb_items import KeyScope
from autopilot_reports.adapters.dynamodb_queries import ReportQueries
from autopilot_reports.adapters.dynamodb_store import DynamoDBReportStore
from autopilot_reports.cli import main
from autopilot_reports.cli.columns import RECORD_COLUMNS
from autopilot_reports.clock import set_clock
from autopilot_reports.domain.hub import HubRecorder, ReportNotYetError
from autopilot_reports.domain.ports import SpokeStatus
from autopilot_reports.handlers import coster as coster_handler
from autopilot_reports.handlers import forwarder as forwarder_handler
from autopilot_reports.handlers import hub_recorder as hub_recorder_handler
from autopilot_reports.handlers import notifier as notifier_handler
from autopilot_reports.handlers import reporter as reporter_handler
from autopilot_reports.handlers import spoke_monitor as spoke_monitor_handler
from autopilot_reports.handlers import watcher as watcher_handler
from autopilot_reports.models.common import parse_iso_utc
from autopilot_reports.models.forwarded import ForwardedEvent, HubEvent, ReportDetail
from autopilot_reports.models.place import JobRef, Place
from autopilot_reports.models.record import Compute, EstimatedCost
from sandbox.sealing import create_mac_keys
from sandbox.stream_delivery import lambda_stream_record, passes_filters
from sandbox.template import read_stack
from tests.conftest import HUB_STACK_NAME, STACK_NAME
from tests.integration.conftest import REGION, CallRecorder
from tests.integration.test_handlers import PREFIX, SCENARIO, WATCH_START, Context, state_change
from tests.unit.test_organization import envelope, record
from testsupport.process import reset_process
from testsupport.stepping import stepping_simulator

SPOKE = Place(DEFAULT_ACCOUNT_ID, REGION)  # the scenario's jobs run here (moto's account)
OTHER = "444455556666"  # named "team-churn" by the organization's context (tests/conftest.py)


class Deployment:
    """One stack of the organization on moto: its model, its stream position, its functions' environments."""

    def __init__(self, template: dict[str, Any], stack_name: str, suffix: str, monkeypatch, recorder: CallRecorder):
        self.stack = read_stack(template, SPOKE, stack_name, suffix)
        self.table = self.stack.tables[0]
        self.monkeypatch, self.recorder = monkeypatch, recorder
        self.position = 0

    def create(self, buses: bool = True) -> None:
        """Its table, and its buses where it puts events (the sandbox names both stacks' bus `EventBus`)."""
        boto3.client("dynamodb", region_name=REGION).create_table(**self.table.create_table_params())
        create_mac_keys(boto3.client("kms", region_name=REGION), self.stack)  # its seal key
        for bus in self.stack.buses.values() if buses else ():
            boto3.client("events", region_name=REGION).create_event_bus(Name=bus)

    def stream(self, handler: str | None = None) -> dict[str, list[dict[str, Any]]]:
        """What the table's event source mapping of `handler`'s function (default: the one that sends, a
        spoke's forwarder or a hub's notifier) delivers next (its filter applied), read from moto's backend
        as tests/integration/conftest.stream_event does, by the table's physical name (two tables here)."""
        senders = (c.FORWARDER_HANDLER, c.NOTIFIER_HANDLER) if handler is None else (handler,)
        functions = {logical_id for logical_id, spec in self.stack.functions.items() if spec.handler in senders}
        [mapping] = [mapping for mapping in self.stack.stream_mappings if mapping.function_id in functions]
        table = dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION].get_table(self.table.create_table_params()["TableName"])
        records = [item.to_json() for item in table.stream_shard.items][self.position :]
        self.position += len(records)
        delivered = [lambda_stream_record(record, table.latest_stream_label) for record in records]
        return {"Records": [record for record in delivered if passes_filters(record, mapping)]}

    def use(self, handler: str) -> None:
        spec = self.stack.function_by_handler(handler.removeprefix("autopilot_reports."))
        for name, value in spec.environment.items():
            self.monkeypatch.setenv(name, value)
        reset_process()
        session = boto3.DEFAULT_SESSION or boto3.setup_default_session() or boto3.DEFAULT_SESSION
        session.events.unregister("before-call", self.recorder._count)
        session.events.register("before-call", self.recorder._count)
        session.events.unregister("before-parameter-build.events.PutEvents", _capture)
        session.events.register("before-parameter-build.events.PutEvents", _capture)


SENT: list[dict[str, Any]] = []  # the entries the forwarder put on its bus


def _capture(params: dict[str, Any], **_: Any) -> None:
    SENT.extend(params.get("Entries", []))


def delivered(entry: dict[str, Any], account: str = SPOKE.account, region: str = REGION) -> dict[str, Any]:
    """The entry as the hub's bus delivers it after the spoke's ToHubRule forwarded it: the envelope's
    account is the sender's (EventBridge sets it), the region the origin's."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": entry["DetailType"],
        "source": entry["Source"],
        "account": account,
        "time": "2025-05-01T10:31:00Z",
        "region": region,
        "resources": entry.get("Resources", []),
        "detail": json.loads(entry["Detail"]),
    }


def per_report(recorder: CallRecorder, functions: int = 1) -> int:
    """The calls a report costs: every call but the seal key's derivation, once per cold process
    (domain/seal.py), which each of the `functions` counted here makes once, since each starts cold."""
    assert recorder.calls["kms.GenerateMac"] <= functions, dict(recorder.calls)
    return sum(count for call, count in recorder.calls.items() if call != "kms.GenerateMac")


class Organization:
    def __init__(self, spoke: Deployment, hub: Deployment, simulator, recorder: CallRecorder, topic_arn: str):
        self.spoke, self.hub, self.simulator, self.recorder, self.topic_arn = spoke, hub, simulator, recorder, topic_arn

    def hub_reads(self) -> ReportQueries:
        return ReportQueries(
            self.hub.table.logical_id + "Hub", boto3.client("dynamodb", region_name=REGION), KeyScope.ORGANIZATION
        )

    def forward(self) -> list[dict[str, Any]]:
        """The spoke's forwarder on its stream; the entries it sent, as the hub's bus delivers them."""
        SENT.clear()
        self.spoke.use(c.FORWARDER_HANDLER)
        forwarder_handler.handler(self.spoke.stream(), Context())
        return [delivered(entry) for entry in SENT]

    def notify(self) -> list[dict[str, Any]]:
        """The hub's notifier on the hub table's stream; what it published."""
        self.hub.use(c.NOTIFIER_HANDLER)
        sent: list[dict[str, Any]] = []
        boto3.DEFAULT_SESSION.events.register(
            "before-parameter-build.sns.Publish", lambda params, **_: sent.append(dict(params))
        )
        assert notifier_handler.handler(self.hub.stream(), Context()) == {"batchItemFailures": []}
        return sent


@pytest.fixture
def organization(aws, hub_template_json, spoke_template_json, monkeypatch) -> Iterator[Organization]:
    recorder = CallRecorder()
    spoke = Deployment(spoke_template_json, STACK_NAME, "", monkeypatch, recorder)
    hub = Deployment(hub_template_json, HUB_STACK_NAME, "Hub", monkeypatch, recorder)
    with stepping_simulator(SCENARIO) as simulator:
        monkeypatch.setenv("AWS_ENDPOINT_URL_SAGEMAKER", simulator.endpoint_url)
        spoke.create()
        hub.create(buses=False)  # the hub puts no event: its bus is where spokes' rules deliver
        topic_arn = boto3.client("sns", region_name=REGION).create_topic(Name=hub.stack.topics[0])["TopicArn"]
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket="outputs")
        analysis = {
            "version": "1.0",
            "explanations": {"kernel_shap": {"label0": {"global_shap_values": {"tenure": 0.3}}}},
        }
        s3.put_object(
            Bucket="outputs", Key=PREFIX[len("s3://outputs/") :] + "/analysis.json", Body=json.dumps(analysis)
        )
        DynamoDBReportStore(spoke.table.logical_id, boto3.client("dynamodb", region_name=REGION)).begin_watch(
            WATCH_START
        )
        yield Organization(spoke, hub, simulator, recorder, topic_arn)
    reset_process()


# --- a report's way from a spoke to the hub's message, and its cost ---------------------------------------------


def test_a_terminal_report_reaches_the_hub_and_its_one_message_in_at_most_eight_calls(organization):
    org = organization
    org.simulator.tick = 1
    org.spoke.use(c.REPORTER_HANDLER)
    assert reporter_handler.handler(state_change("churn"), Context())["outcome"] == "claimed"
    spoke_calls = per_report(org.recorder)

    org.recorder.calls.clear()
    [event] = org.forward()
    assert per_report(org.recorder) == 1 and org.recorder.calls["events.PutEvents"] == 1
    assert event["detail-type"] == c.REPORT_DETAIL_TYPE and event["detail"]["Claimed"] is True

    org.recorder.calls.clear()
    org.hub.use(c.HUB_RECORDER_HANDLER)
    assert hub_recorder_handler.handler(event, Context()) == {"outcome": "claimed", "job_name": "churn"}
    assert per_report(org.recorder) == 1 and org.recorder.calls["dynamodb.TransactWriteItems"] == 1

    org.recorder.calls.clear()
    [message] = org.notify()
    assert per_report(org.recorder) == 1 and org.recorder.calls["sns.Publish"] == 1
    total = spoke_calls + 3
    assert total <= 8, f"{total} calls across the organization for one terminal report"

    attributes = {name: value["StringValue"] for name, value in message["MessageAttributes"].items()}
    assert attributes["account_id"] == SPOKE.account and attributes["region"] == REGION
    email = json.loads(message["Message"])["email"]
    assert f"Account:        {SPOKE.account}" in email
    assert message["TopicArn"] == org.topic_arn
    record = org.hub_reads().get_report("churn", SPOKE)
    assert (record.account_id, record.region, record.status) == (SPOKE.account, REGION, "Completed")
    # A duplicate from the spoke (a replayed stream batch) changes nothing and sends nothing.
    org.hub.use(c.HUB_RECORDER_HANDLER)
    assert hub_recorder_handler.handler(event, Context())["outcome"] == "unchanged"
    assert org.hub.stream() == {"Records": []}


def test_a_non_terminal_transition_reaches_the_hub_in_at_most_four_calls(organization):
    org = organization
    org.spoke.use(c.REPORTER_HANDLER)
    reporter_handler.handler(state_change("churn", "InProgress", "Starting"), Context())
    [event] = org.forward()
    org.hub.use(c.HUB_RECORDER_HANDLER)
    assert hub_recorder_handler.handler(event, Context())["outcome"] == "stored"
    assert per_report(org.recorder, functions=3) == 4  # Describe, the spoke's write, PutEvents, the hub's write
    assert org.hub.stream() == {"Records": []}  # nothing to send


def test_a_report_forged_for_another_account_is_refused_counted_and_stored_nowhere(organization, capsys):
    org = organization
    org.simulator.tick = 1
    org.spoke.use(c.REPORTER_HANDLER)
    reporter_handler.handler(state_change("churn"), Context())
    [event] = org.forward()
    forged = json.loads(json.dumps(event))
    forged["detail"]["Record"]["account_id"] = OTHER  # speaks for another account in its detail
    capsys.readouterr()
    org.recorder.calls.clear()
    org.hub.use(c.HUB_RECORDER_HANDLER)
    assert hub_recorder_handler.handler(forged, Context())["outcome"] == "refused"
    assert dict(org.recorder.calls) == {}  # not even a read (nor the seal key: nothing to seal)
    assert org.hub_reads().places_of("churn") == []
    logged = capsys.readouterr().out
    assert "ForeignReportsRefused" in logged and "forwarded report refused" in logged


COMPUTE = Compute(
    child_jobs={"training": 3, "processing": 1, "transform": 1},
    instance_seconds={"ml.m5.2xlarge": 1386.5, "ml.m5.4xlarge": 4824.5},
    billable_seconds=4200.0,
    spot_savings_seconds=1560.0,
    estimated_cost=EstimatedCost(amount=1.2345, currency="USD", basis="on-demand list price, us-east-1, fetched x"),
)


def test_a_jobs_cost_reaches_the_hubs_record_and_digest_after_its_report_in_two_calls(organization):
    """The spoke's coster writes the figures after the report (its own write, sealed); the forwarder sends
    them in one PutEvents, the hub recorder writes them in one UpdateItem, sealed with the hub's key; the
    hub's notifier sends nothing for them; the organization's digest totals them by account."""
    org = organization
    org.simulator.tick = 1
    org.spoke.use(c.REPORTER_HANDLER)
    reporter_handler.handler(state_change("churn"), Context())
    [report] = org.forward()
    org.hub.use(c.HUB_RECORDER_HANDLER)
    assert hub_recorder_handler.handler(report, Context())["outcome"] == "claimed"
    assert len(org.notify()) == 1  # the report's one message

    org.spoke.use(c.COSTER_HANDLER)  # the coster's last write, with the spoke's seal (handlers/coster.py)
    job = JobRef.of(report["detail"]["Record"]["job_arn"], "churn")
    assert coster_handler.default_coster().store.finish(job, "churn", COMPUTE, progress_stored=False)
    org.recorder.calls.clear()
    [figures] = org.forward()
    assert per_report(org.recorder) == 1 and org.recorder.calls["events.PutEvents"] == 1
    assert figures["detail-type"] == c.REPORT_DETAIL_TYPE and figures["detail"]["Claimed"] is False
    assert Compute.model_validate(figures["detail"]["Compute"]) == COMPUTE

    org.recorder.calls.clear()
    org.hub.use(c.HUB_RECORDER_HANDLER)
    assert hub_recorder_handler.handler(figures, Context()) == {"outcome": "costed", "job_name": "churn"}
    assert per_report(org.recorder) == 1 and org.recorder.calls["dynamodb.UpdateItem"] == 1
    assert hub_recorder_handler.handler(figures, Context())["outcome"] == "unchanged"  # a duplicate
    record = org.hub_reads().get_report("churn", SPOKE)
    assert record.compute == COMPUTE and record.notified_at is not None
    org.recorder.calls.clear()
    assert org.notify() == [] and "sns.Publish" not in org.recorder.calls  # figures lead to no message

    org.hub.use(c.SPOKE_MONITOR_HANDLER)
    tick = {"trigger": "digest", "scheduled_time": "2025-05-02T00:00:00Z"}
    assert spoke_monitor_handler.handler(tick, Context())["committed"] is True
    [digest] = org.notify()
    cost = json.loads(json.loads(digest["Message"])["sqs"])["cost"]
    assert cost["by_account"] == {SPOKE.account: COMPUTE.estimated_cost.amount} and cost["costed_jobs"] == 1


def test_cost_figures_before_their_jobs_report_fail_the_invocation_and_create_nothing(organization):
    """Events are not delivered in order: figures the hub cannot place are delivered again by Lambda."""
    org = organization
    org.simulator.tick = 1
    org.spoke.use(c.REPORTER_HANDLER)
    reporter_handler.handler(state_change("churn"), Context())
    [report] = org.forward()
    org.spoke.use(c.COSTER_HANDLER)
    job = JobRef.of(report["detail"]["Record"]["job_arn"], "churn")
    coster_handler.default_coster().store.finish(job, "churn", COMPUTE, progress_stored=False)
    [figures] = org.forward()
    org.hub.use(c.HUB_RECORDER_HANDLER)
    with pytest.raises(ReportNotYetError):
        hub_recorder_handler.handler(figures, Context())
    assert org.hub_reads().places_of("churn") == []
    assert hub_recorder_handler.handler(report, Context())["outcome"] == "claimed"
    assert hub_recorder_handler.handler(figures, Context())["outcome"] == "costed"  # Lambda's retry


# --- heartbeats and a silent spoke --------------------------------------------------------------------------------


def test_a_heartbeat_reaches_the_hub_and_a_silent_spoke_gets_one_message(organization):
    org = organization
    org.spoke.use(c.WATCHER_HANDLER)
    set_clock(lambda: WATCH_START + timedelta(minutes=1))
    assert watcher_handler.handler({"trigger": "schedule"}, Context())["listed"] >= 0
    events = [event for event in org.forward() if event["detail-type"] == c.HEARTBEAT_DETAIL_TYPE]
    assert len(events) == 1 and events[0]["detail"]["Version"]
    org.hub.use(c.HUB_RECORDER_HANDLER)
    assert hub_recorder_handler.handler(events[0], Context())["outcome"] == "heartbeat"
    [spoke] = org.hub_reads().spokes()
    assert (spoke.place, spoke.account_name) == (SPOKE, None) and spoke.watch_start == WATCH_START

    org.hub.use(c.SPOKE_MONITOR_HANDLER)
    set_clock(lambda: WATCH_START + timedelta(hours=2))
    assert spoke_monitor_handler.handler({"trigger": "schedule"}, Context()) == {"silent": 0, "claimed": 0}
    set_clock(lambda: WATCH_START + timedelta(hours=3, minutes=15))
    assert spoke_monitor_handler.handler({"trigger": "schedule"}, Context()) == {"silent": 1, "claimed": 1}
    assert spoke_monitor_handler.handler({"trigger": "schedule"}, Context()) == {"silent": 1, "claimed": 0}
    [message] = org.notify()
    assert message["MessageAttributes"]["event_type"]["StringValue"] == "spoke_silent"
    assert "silent" in message["Subject"] and SPOKE.account in message["Subject"]


def test_the_hub_keeps_the_newest_heartbeat_and_answers_by_query(organization):
    store = DynamoDBHubStore(organization.hub.table.logical_id + "Hub", boto3.client("dynamodb", region_name=REGION))
    later = SpokeStatus(SPOKE, WATCH_START + timedelta(hours=2), version="2")
    assert store.record_heartbeat(later)
    assert not store.record_heartbeat(SpokeStatus(SPOKE, WATCH_START, version="1"))  # older: refused
    assert [spoke.version for spoke in store.silent_spokes(WATCH_START + timedelta(hours=3))] == ["2"]
    assert store.silent_spokes(WATCH_START + timedelta(hours=1)) == []
    [silent] = store.silent_spokes(WATCH_START + timedelta(days=1))
    assert store.claim_silence(silent, WATCH_START + timedelta(days=1))
    assert not store.claim_silence(silent, WATCH_START + timedelta(days=1, minutes=15))  # claimed already


# --- the CLI on the hub's table: across accounts, Queries only -----------------------------------------------------


@pytest.fixture
def cli_calls(monkeypatch) -> CallRecorder:
    """Every AWS call the CLI's clients make."""
    calls = CallRecorder()
    real_client = boto3.Session.client

    def counted(self, *args, **kwargs):
        client = real_client(self, *args, **kwargs)
        calls.attach(client)
        return client

    monkeypatch.setattr(boto3.Session, "client", counted)
    return calls


def seed_hub(organization) -> DynamoDBHubStore:
    """The same job name in two accounts, and a second job in another region, as the hub recorder stores them."""
    store = DynamoDBHubStore(organization.hub.table.logical_id + "Hub", boto3.client("dynamodb", region_name=REGION))
    hub = HubRecorder(store, {OTHER: "team-churn"})
    for rec, account in [
        (record(account=SPOKE.account, region=REGION), SPOKE.account),
        (record(account=OTHER, region="eu-west-1"), OTHER),
        (record(name="fraud-1", account=OTHER, region="us-west-2", status="Failed"), OTHER),
    ]:
        detail = ReportDetail(Record=rec, Claimed=True).model_dump(mode="json")
        hub.receive(ForwardedEvent.of(HubEvent.model_validate(envelope(c.REPORT_DETAIL_TYPE, detail, account))))
    store.record_heartbeat(
        SpokeStatus(
            Place(OTHER, "eu-west-1"), parse_iso_utc("2026-11-01T08:00:00Z"), version="0.1.0", account_name="team-churn"
        )
    )
    return store


def cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_show_a_name_that_ran_in_two_accounts_says_so_and_account_picks_one(organization, capsys, cli_calls):
    store = seed_hub(organization)
    cli_calls.calls.clear()
    table = ["--table", store.table_name]
    code, _, err = cli(capsys, *table, "--hub", "show", "churn-2026-11-01", "--json")
    assert code == 2
    assert "ran in 2 places" in err and f"--account {OTHER} --region eu-west-1 ({OTHER} (team-churn))" in err
    code, out, _ = cli(capsys, *table, "show", "churn-2026-11-01", "--account", OTHER, "--json")
    assert code == 0 and json.loads(out)["account_name"] == "team-churn"
    code, _, err = cli(capsys, *table, "show", "churn-2026-11-01", "--account", OTHER, "--region", "us-west-2")
    assert code == 7 and "(account 444455556666, region us-west-2)" in err
    code, out, _ = cli(capsys, *table, "history", "churn-2026-11-01", "--account", SPOKE.account, "--json")
    assert code == 0 and [json.loads(line)["status"] for line in out.splitlines()] == ["Completed"]
    assert set(cli_calls.calls) <= {"dynamodb.Query", "dynamodb.GetItem"}


def test_list_by_account_and_region_is_one_query(organization, capsys, cli_calls):
    store = seed_hub(organization)
    cli_calls.calls.clear()
    code, out, _ = cli(
        capsys,
        "--table",
        store.table_name,
        "list",
        "--account",
        OTHER,
        "--region",
        "us-west-2",
        "--since",
        "2026-10-01",
        "--json",
    )
    assert code == 0 and [json.loads(line)["job_name"] for line in out.splitlines()] == ["fraud-1"]
    assert dict(cli_calls.calls) == {"dynamodb.Query": 1}
    code, out, _ = cli(capsys, "--table", store.table_name, "--hub", "list", "--output", "text")
    rows = [dict(zip(RECORD_COLUMNS, line.split("\t"), strict=True)) for line in out.splitlines()]
    assert {(row["job_name"], row["account_id"], row["account_name"]) for row in rows} == {
        ("churn-2026-11-01", SPOKE.account, "-"),
        ("churn-2026-11-01", OTHER, "team-churn"),
        ("fraud-1", OTHER, "team-churn"),
    }


def test_spokes_lists_each_place_with_its_heartbeat_version_and_jobs(organization, capsys, cli_calls):
    store = seed_hub(organization)
    cli_calls.calls.clear()
    code, out, _ = cli(capsys, "--table", store.table_name, "spokes", "--json")
    assert code == 0
    [spoke] = [json.loads(line) for line in out.splitlines()]
    assert spoke["account_id"] == OTHER and spoke["account_name"] == "team-churn" and spoke["region"] == "eu-west-1"
    assert (spoke["jobs"], spoke["completed"], spoke["version"]) == (1, 1, "0.1.0")
    assert set(cli_calls.calls) == {"dynamodb.Query"}
    code, out, _ = cli(capsys, "--table", store.table_name, "spokes", "--output", "table")
    assert "444455556666 (team-churn)" in out
