"""An organization's functions under the policies their roles get in the synthesized hub and spoke templates,
with moto enforcing IAM (tests/integration/iam.py says what moto checks and what PolicyCheck adds): the hub
recorder refuses a report forged for another account and stores a genuine one and its job's cost figures,
and may not read its own table; the spoke monitor, the hub's notifier and a spoke's forwarder do their work and nothing else; and
every action each is granted is one it was seen to use (or the Lambda platform uses for it)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.core import set_initial_no_auth_action_count

from autopilot_reports import constants as c
from autopilot_reports.adapters import dynamodb_items as items
from autopilot_reports.clock import set_clock
from autopilot_reports.domain.seal import Sealer
from autopilot_reports.handlers import forwarder as forwarder_handler
from autopilot_reports.handlers import hub_recorder as hub_recorder_handler
from autopilot_reports.handlers import notifier as notifier_handler
from autopilot_reports.handlers import spoke_monitor as spoke_monitor_handler
from autopilot_reports.models.forwarded import HeartbeatDetail, ReportDetail
from sandbox.place import DEFAULT_ACCOUNT as ACCOUNT_ID
from sandbox.place import Place
from sandbox.sealing import create_mac_keys
from sandbox.template import read_stack
from tests.conftest import HUB_STACK_NAME, STACK_NAME
from tests.integration.conftest import stream_event
from tests.integration.iam import REGION, PolicyCheck, function_policies, granted_actions, key_aliases
from tests.integration.test_handlers import Context
from tests.integration.test_least_privilege import (
    ADMIN_SETUP_CALLS,
    PLATFORM_ACTIONS,
    Credentials,
    admin_credentials,
    role_credentials,
    topic_keys,
)
from tests.unit.test_organization import COMPUTE, T0, record
from testsupport.process import reset_process

OTHER = "444455556666"
HUB_FUNCTIONS = (c.HUB_RECORDER_HANDLER, c.SPOKE_MONITOR_HANDLER, c.NOTIFIER_HANDLER)


def hub_event(detail_type: str, detail: dict[str, Any], account: str = ACCOUNT_ID) -> dict[str, Any]:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": c.EVENT_SOURCE,
        "account": account,  # EventBridge's: the sender's
        "time": "2026-11-01T08:00:00Z",
        "region": REGION,
        "resources": [],
        "detail": detail,
    }


@dataclass
class AdminSealKey:
    """The spoke's seal key as its reporter derives it (GenerateMac of the fixed message), asked as the admin."""

    kms: Any
    alias: str

    def seal_key(self) -> bytes:
        response = self.kms.generate_mac(
            KeyId=self.alias, MacAlgorithm=c.SEAL_MAC_ALGORITHM, Message=c.SEAL_KEY_MESSAGE
        )
        return bytes(response["Mac"])


def report_stream_records(rec, sealer: Sealer) -> list[dict[str, Any]]:
    """A spoke's committed, claimed report as its table's stream hands it to the forwarder, sealed as the
    spoke's reporter seals it; then the coster's write of its cost figures, sealed as the coster seals it."""
    written = {**items.record_attributes(rec), c.NOTIFIED_AT: "2026-11-01T08:00:05.000Z"}
    item = {**items.report_key(rec.job_name), **written, c.SEAL: sealer.record_seal(written)}
    costed = {
        **item,
        c.COMPUTE: COMPUTE.model_dump(mode="json"),
        c.COMPUTE_SEAL: sealer.compute_seal(rec.job, COMPUTE),
    }
    return [
        stream_record("1", "INSERT", items.report_key(rec.job_name), item, None),
        stream_record("2", "MODIFY", items.report_key(rec.job_name), costed, item),
    ]


def stream_record(
    number: str, name: str, key: dict[str, Any], new: dict[str, Any], old: dict[str, Any] | None
) -> dict[str, Any]:
    images = {"NewImage": items.serialize(new)} | ({"OldImage": items.serialize(old)} if old else {})
    return {
        "eventID": number,
        "eventName": name,
        "eventSource": "aws:dynamodb",
        "awsRegion": REGION,
        "dynamodb": {
            "Keys": items.serialize(key),
            **images,
            "SequenceNumber": f"{100 + int(number)}",
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        },
    }


class Acting:
    """Run a function of a stack as its own role: its environment, its credentials, a check of its calls."""

    def __init__(self, monkeypatch, template: dict[str, Any], stack_name: str) -> None:
        self.monkeypatch, self.template = monkeypatch, template
        self.stack = read_stack(template, Place(ACCOUNT_ID, REGION), stack_name)

    def documents(self, handler: str) -> list[dict[str, Any]]:
        return function_policies(self.template, self.stack.function_by_handler(handler).logical_id)

    def act_as(self, handler: str, credentials: Credentials) -> PolicyCheck:
        spec = self.stack.function_by_handler(handler)
        for name, value in {**spec.environment, **credentials.env}.items():
            self.monkeypatch.setenv(name, value)
        reset_process()
        check = PolicyCheck(self.documents(handler), topic_keys(self.template, self.stack), key_aliases(self.template))
        boto3.setup_default_session(region_name=REGION)
        check.attach(boto3.DEFAULT_SESSION)
        return check


@pytest.fixture
def organization_iam(aws, hub_template_json, spoke_template_json, monkeypatch):
    """IAM on in moto; the hub's table and topic, the spoke's bus; a role per function from its template."""
    hub = Acting(monkeypatch, hub_template_json, HUB_STACK_NAME)
    spoke = Acting(monkeypatch, spoke_template_json, STACK_NAME)
    results: dict[str, Any] = {"checks": {}}

    @set_initial_no_auth_action_count(ADMIN_SETUP_CALLS)
    def run() -> dict[str, Any]:
        admin = admin_credentials()
        admin.client("dynamodb").create_table(**hub.stack.tables[0].create_table_params())
        create_mac_keys(admin.client("kms"), hub.stack)
        create_mac_keys(admin.client("kms"), spoke.stack)
        # What the spoke's reporter committed, sealed with the spoke's key (before any function's check
        # watches the default session).
        spoke_seal = next(spec.alias for spec in spoke.stack.mac_keys)
        sealed = report_stream_records(record(), Sealer(AdminSealKey(admin.client("kms"), spoke_seal)))
        admin.client("sns").create_topic(Name=hub.stack.topics[0])
        admin.client("events").create_event_bus(Name=next(iter(spoke.stack.buses.values())))
        roles = {
            handler: role_credentials(admin, handler.split(".")[-2], hub.documents(handler))
            for handler in HUB_FUNCTIONS
        }
        forwarder_role = role_credentials(admin, "forwarder", spoke.documents(c.FORWARDER_HANDLER))

        # The recorder's role may not read the table it writes (no check attached yet: moto judges).
        recorder_client = roles[c.HUB_RECORDER_HANDLER].client("dynamodb")
        table = hub.stack.tables[0].logical_id
        results["reads"] = {}
        for name, attempt in {
            "scan": lambda: recorder_client.scan(TableName=table),
            "get": lambda: recorder_client.get_item(TableName=table, Key={"pk": {"S": "x"}, "sk": {"S": "y"}}),
        }.items():
            try:
                attempt()
                results["reads"][name] = "allowed"
            except ClientError as error:
                results["reads"][name] = str(error)

        # The hub recorder: a forged report (its record names another account) is refused before any call;
        # a genuine one is stored; the recorder may not read the table it writes.
        check = hub.act_as(c.HUB_RECORDER_HANDLER, roles[c.HUB_RECORDER_HANDLER])
        forged = ReportDetail(Record=record(account=ACCOUNT_ID), Claimed=True).model_dump(mode="json")
        forged["Record"]["account_id"] = OTHER
        results["forged"] = hub_recorder_handler.handler(hub_event(c.REPORT_DETAIL_TYPE, forged), Context())
        results["calls_for_forged"] = list(check.allowed + check.denied)
        genuine = ReportDetail(Record=record(account=ACCOUNT_ID), Claimed=True).model_dump(mode="json")
        results["genuine"] = hub_recorder_handler.handler(hub_event(c.REPORT_DETAIL_TYPE, genuine), Context())
        figures = ReportDetail(Record=record(account=ACCOUNT_ID), Compute=COMPUTE).model_dump(mode="json")
        results["figures"] = hub_recorder_handler.handler(hub_event(c.REPORT_DETAIL_TYPE, figures), Context())
        heartbeat = HeartbeatDetail(Version="0.1.0", SentAt=T0).model_dump(mode="json")
        results["heartbeat"] = hub_recorder_handler.handler(hub_event(c.HEARTBEAT_DETAIL_TYPE, heartbeat), Context())
        results["checks"][c.HUB_RECORDER_HANDLER] = check
        # The spoke monitor: a silent spoke's claim, and the organization's digest.
        check = hub.act_as(c.SPOKE_MONITOR_HANDLER, roles[c.SPOKE_MONITOR_HANDLER])
        set_clock(lambda: T0 + timedelta(hours=4))
        results["monitor"] = spoke_monitor_handler.handler({"trigger": "schedule"}, Context())
        results["digest"] = spoke_monitor_handler.handler(
            {"trigger": "digest", "scheduled_time": "2026-11-02T08:00:00Z"}, Context()
        )
        results["checks"][c.SPOKE_MONITOR_HANDLER] = check

        # The hub's notifier: the claimed report, the silence and the digest, from the table's stream.
        check = hub.act_as(c.NOTIFIER_HANDLER, roles[c.NOTIFIER_HANDLER])
        stream, _ = stream_event(hub.stack, 0)
        results["notified"] = len(stream["Records"])
        results["notifier"] = notifier_handler.handler(stream, Context())
        results["checks"][c.NOTIFIER_HANDLER] = check

        # A spoke's forwarder: its committed report and its job's figures onto its own bus, nothing else.
        check = spoke.act_as(c.FORWARDER_HANDLER, forwarder_role)
        results["forwarder"] = forwarder_handler.handler({"Records": sealed}, Context())
        results["checks"][c.FORWARDER_HANDLER] = check
        results["documents"] = {
            **{handler: hub.documents(handler) for handler in HUB_FUNCTIONS},
            c.FORWARDER_HANDLER: spoke.documents(c.FORWARDER_HANDLER),
        }
        return results

    yield run()
    reset_process()


def test_the_hub_recorder_under_its_own_policy_refuses_a_forged_report_and_stores_a_genuine_one(organization_iam):
    results = organization_iam
    assert results["forged"] == {"outcome": "refused", "job_name": "churn-2026-11-01"}
    assert results["calls_for_forged"] == []  # refused before any call: nothing stored anywhere
    assert results["genuine"] == {"outcome": "claimed", "job_name": "churn-2026-11-01"}
    assert results["figures"] == {"outcome": "costed", "job_name": "churn-2026-11-01"}
    assert results["heartbeat"]["outcome"] == "heartbeat"
    check = results["checks"][c.HUB_RECORDER_HANDLER]
    assert check.denied == [] and any(verdict.startswith("dynamodb:UpdateItem") for verdict in check.allowed)
    assert all("AccessDenied" in outcome for outcome in results["reads"].values()), results["reads"]


def test_the_hubs_other_functions_and_the_forwarder_work_under_their_own_policies(organization_iam):
    results = organization_iam
    assert results["monitor"] == {"silent": 1, "claimed": 1}
    assert results["digest"]["committed"] is True
    # The claimed report, its figures (their write keeps the claim in its image), the silence, the digest:
    # three messages, none for the figures.
    assert results["notified"] == 4
    assert results["notifier"] == {"batchItemFailures": []}
    published = [verdict for verdict in results["checks"][c.NOTIFIER_HANDLER].allowed if verdict.startswith("sns:")]
    assert len(published) == 3, published
    assert results["forwarder"] == {"forwarded": 2, "reduced": 0}  # the report, then its job's figures
    for handler, check in results["checks"].items():
        assert check.denied == [], f"{handler}: calls outside the synthesized policy: {check.denied}"
    forwarder = results["checks"][c.FORWARDER_HANDLER]
    assert [verdict.split(" on ")[0] for verdict in forwarder.allowed] == ["kms:GenerateMac", "events:PutEvents"]


def test_every_action_an_organizations_function_is_granted_is_needed(organization_iam):
    results = organization_iam
    for handler, documents in results["documents"].items():
        unexplained = granted_actions(documents) - results["checks"][handler].used_actions() - set(PLATFORM_ACTIONS)
        assert not unexplained, f"{handler} holds actions nothing uses: {sorted(unexplained)}"
