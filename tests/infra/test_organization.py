"""An organization's stacks (issue 20): the plans one context yields, the hub's bus policy (one organization
statement, our source and detail types only), the spoke's way to it (ToHubRule, its role, its dead-letter
queue), and what each holds and may do: the hub no role into any spoke and no SageMaker rights."""

from __future__ import annotations

import json
from typing import Any

import pytest

from autopilot_reports import constants as shared
from infra import checks
from infra.config import ConfigError, StackConfig
from infra.plans import deployment_plans
from tests.conftest import HUB_ACCOUNT, HUB_BUS_ARN, ORGANIZATION_CONTEXT, ORGANIZATION_ID, UNIT_PATH
from tests.infra.helpers import as_list, get_att, grants, policy_statements_for_role, props, ref, resources

FORWARDED = ["AutoML Job Report", "AutoML Job Stuck", "AutoML Spoke Heartbeat"]


def config(**context: Any) -> StackConfig:
    return StackConfig.from_context(context.get, keys=context)


# --- plans: one app, three kinds ----------------------------------------------------------------------------


def test_one_context_yields_the_plans_it_asks_for():
    assert [(p.kind, p.stack_name) for p in deployment_plans(config())] == [("standalone", "AutopilotReports")]
    assert [(p.kind, p.stack_name) for p in deployment_plans(config(organizationId=ORGANIZATION_ID))] == [
        ("hub", "AutopilotReportsHub")
    ]
    assert [(p.kind, p.stack_name) for p in deployment_plans(config(hubEventBusArn=HUB_BUS_ARN))] == [
        ("spoke", "AutopilotReports")
    ]
    both = deployment_plans(config(**ORGANIZATION_CONTEXT, stackName="Reports"))
    assert [(p.kind, p.stack_name) for p in both] == [("hub", "ReportsHub"), ("spoke", "Reports")]
    hub, spoke = both
    assert (hub.records_forwarded, hub.notifies, hub.watches, hub.key_scope) == (True, True, False, "organization")
    assert (spoke.forwards, spoke.notifies, spoke.watches, spoke.heartbeat_minutes) == (True, False, True, 60)
    assert deployment_plans(config(hubEventBusArn=HUB_BUS_ARN, spokeNotifications="true"))[0].notifies


@pytest.mark.parametrize(
    ("context", "problem"),
    [
        ({"accountNames": {HUB_ACCOUNT: "x"}}, "accountNames configure an organization's hub: set organizationId"),
        ({"spokeSilentAfterMinutes": 60}, "spokeSilentAfterMinutes configure an organization's hub"),
        ({"spokeNotifications": "true"}, "spokeNotifications keeps a spoke's own notifications: set hubEventBusArn"),
        ({"organizationId": "o-short"}, "is not an organization id"),
        ({"hubEventBusArn": "arn:aws:events:us-east-1:1:event-bus/x"}, "is not an event bus ARN"),
        (
            {"organizationId": ORGANIZATION_ID, "organizationalUnitPaths": "o-zzzzzzzzzz/r-ab12/ou-ab12-11111111/"},
            "are not in organization",
        ),
        (
            {"organizationId": ORGANIZATION_ID, "organizationalUnitPaths": "ou-ab12-11111111"},
            "is not an organizational unit path",
        ),
        ({"organizationId": ORGANIZATION_ID, "accountNames": '{"12345": "short id"}'}, "is not an AWS account id"),
        (
            {"organizationId": ORGANIZATION_ID, "accountNames": {f"{n:012d}": "a-team-name" * 5 for n in range(60)}},
            "environment holds at most",
        ),
    ],
)
def test_an_organizations_context_is_checked_at_synth(context, problem):
    with pytest.raises(ConfigError, match=problem):
        config(**context)


def test_unit_paths_take_the_form_the_condition_key_has():
    paths = config(organizationId=ORGANIZATION_ID, organizationalUnitPaths=f"{UNIT_PATH.rstrip('/')}*")
    assert paths.organizational_unit_paths == (UNIT_PATH,)


# --- the hub's bus: one organization statement, our events only ---------------------------------------------


def test_the_hub_bus_admits_the_organization_only_and_only_our_events(hub_template_json):
    [(logical_id, policy)] = resources(hub_template_json, "AWS::Events::EventBusPolicy").items()
    assert logical_id == "HubEventBusPolicy" and policy["Properties"]["EventBusName"] == ref("EventBus")
    statement = policy["Properties"]["Statement"]  # ONE statement (10,240 characters at most for them all)
    assert isinstance(statement, dict)
    assert statement["Effect"] == "Allow" and statement["Action"] == "events:PutEvents"
    assert statement["Principal"] == {"AWS": "*"} and statement["Resource"] == get_att("EventBus")
    assert statement["Condition"] == {
        "StringEquals": {
            "aws:PrincipalOrgID": ORGANIZATION_ID,
            "events:source": "autopilot-reports",
            "events:detail-type": FORWARDED,
        },
        "ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": [f"{UNIT_PATH}*"]},
    }
    assert props(hub_template_json, "EventBus")["Name"] == "AutopilotReportsHub"
    assert len(json.dumps(statement)) < 10_240


def test_the_hub_recorder_listens_on_the_hub_bus_for_the_three_forwarded_types(hub_template_json):
    rule = props(hub_template_json, "FromSpokesRule")
    assert rule["EventBusName"] == ref("EventBus")
    assert rule["EventPattern"] == {"source": ["autopilot-reports"], "detail-type": FORWARDED}
    [target] = rule["Targets"]
    assert target["Arn"] == get_att("HubRecorderFunction")
    assert target["DeadLetterConfig"] == {"Arn": get_att("HubRecorderDeliveryDeadLetterQueue")}
    invoke = [
        body["Properties"]
        for body in resources(hub_template_json, "AWS::Lambda::EventInvokeConfig").values()
        if body["Properties"]["FunctionName"] == ref("HubRecorderFunction")
    ]
    assert invoke[0]["DestinationConfig"]["OnFailure"]["Destination"] == get_att("HubRecorderFailureQueue")


def test_the_hub_holds_no_role_into_any_spoke_and_no_sagemaker_rights(hub_template_json):
    for logical_id, role in resources(hub_template_json, "AWS::IAM::Role").items():
        for statement in role["Properties"]["AssumeRolePolicyDocument"]["Statement"]:
            assert set(statement["Principal"]) == {"Service"}, f"{logical_id} is assumable by {statement['Principal']}"
    actions = {
        action
        for policy in resources(hub_template_json, "AWS::IAM::Policy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        for action in as_list(statement["Action"])
    }
    assert not {action for action in actions if action.startswith(("sts:", "sagemaker:", "s3:"))}, actions
    handlers = {
        body["Properties"]["Handler"] for body in resources(hub_template_json, "AWS::Lambda::Function").values()
    }
    assert handlers == {shared.HUB_RECORDER_HANDLER, shared.NOTIFIER_HANDLER, shared.SPOKE_MONITOR_HANDLER}


def test_the_hub_recorder_may_only_write_the_hubs_table(hub_template_json):
    granted = grants(policy_statements_for_role(hub_template_json, "HubRecorderRole"))
    assert granted["dynamodb:PutItem"] == granted["dynamodb:UpdateItem"] == [get_att("ReportsTable")]
    assert not {action for action in granted if action.startswith("dynamodb:") and "Item" not in action}
    assert "dynamodb:GetItem" not in granted and "dynamodb:ConditionCheckItem" not in granted  # no read, no watch check


def test_the_hubs_table_answers_by_account_and_by_name_with_queries(
    hub_template_json, spoke_template_json, template_json
):
    def indexes(template):
        return {
            index["IndexName"]: index["KeySchema"]
            for index in props(template, "ReportsTable")["GlobalSecondaryIndexes"]
        }

    hub = indexes(hub_template_json)
    assert hub["by_account"] == [
        {"AttributeName": "gsi4pk", "KeyType": "HASH"},
        {"AttributeName": "gsi4sk", "KeyType": "RANGE"},
    ]
    assert hub["by_name"][0] == {"AttributeName": "gsi5pk", "KeyType": "HASH"}
    assert (
        set(indexes(spoke_template_json))
        == set(indexes(template_json))
        == {"by_status", "by_partial_failure", "recent"}
    )


def test_the_hubs_functions_know_their_part(hub_template_json):
    def environment(function_id):
        return props(hub_template_json, function_id)["Environment"]["Variables"]

    assert json.loads(environment("HubRecorderFunction")["ACCOUNT_NAMES"]) == ORGANIZATION_CONTEXT["accountNames"]
    assert environment("NotifierFunction")["ORGANIZATION"] == "true"
    assert environment("SpokeMonitorFunction")["SPOKE_SILENT_AFTER_MINUTES"] == "180"
    mapping = props(hub_template_json, "NotifierStreamMapping")
    patterns = [json.loads(each["Pattern"]) for each in mapping["FilterCriteria"]["Filters"]]
    assert {
        "eventName": ["MODIFY"],
        "dynamodb": {"Keys": {"sk": {"S": ["SPOKE"]}}, "NewImage": {"silent_alerted_for": {"N": [{"exists": True}]}}},
    } in patterns
    schedules = {
        logical_id: json.loads(body["Properties"]["Target"]["Input"])
        for logical_id, body in resources(hub_template_json, "AWS::Scheduler::Schedule").items()
    }
    assert schedules["SpokeMonitorSchedule"] == {"trigger": "schedule"}
    assert schedules["DigestSchedule"]["trigger"] == "digest"
    outputs = hub_template_json["Outputs"]
    assert outputs["ReportsTableKeyScope"]["Value"] == "organization"
    assert outputs["HubEventBusArn"]["Value"] == get_att("EventBus")


# --- the spoke: forwarder, ToHubRule and its role ------------------------------------------------------------


def test_the_to_hub_rule_sends_exactly_our_three_types_to_the_hub_bus_with_its_role(spoke_template_json):
    rule = props(spoke_template_json, "ToHubRule")
    assert rule["EventBusName"] == ref("EventBus")
    assert rule["EventPattern"] == {"source": ["autopilot-reports"], "detail-type": FORWARDED}
    [target] = rule["Targets"]
    assert target["Arn"] == HUB_BUS_ARN
    assert target["RoleArn"] == get_att("ToHubRole")  # a cross-account bus target needs one
    assert target["DeadLetterConfig"] == {"Arn": get_att("ToHubDeadLetterQueue")}


def test_the_to_hub_role_may_only_put_events_on_the_hub_bus(spoke_template_json):
    role = props(spoke_template_json, "ToHubRole")
    [trust] = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "events.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": ref("AWS::AccountId")}}
    assert grants(policy_statements_for_role(spoke_template_json, "ToHubRole")) == {"events:PutEvents": [HUB_BUS_ARN]}


def test_the_forwarder_reads_its_stream_and_puts_on_its_own_bus_only(spoke_template_json):
    granted = grants(policy_statements_for_role(spoke_template_json, "ForwarderRole"))
    assert granted["events:PutEvents"] == [get_att("EventBus")]
    assert not {action for action in granted if action.startswith(("dynamodb:PutItem", "dynamodb:UpdateItem", "sns:"))}
    mapping = props(spoke_template_json, "ForwarderStreamMapping")
    assert mapping["FunctionName"] == ref("ForwarderFunction") and mapping["BisectBatchOnFunctionError"] is True
    assert mapping["DestinationConfig"]["OnFailure"]["Destination"] == get_att("ForwarderFailureQueue")
    patterns = [json.loads(each["Pattern"]) for each in mapping["FilterCriteria"]["Filters"]]
    assert {"eventName": ["INSERT", "MODIFY"], "dynamodb": {"Keys": {"sk": {"S": ["REPORT"]}}}} in patterns


def test_a_spoke_watches_as_a_standalone_stack_and_sends_no_notification_of_its_own(spoke_template_json, template_json):
    def handlers(template):
        return {body["Properties"]["Handler"] for body in resources(template, "AWS::Lambda::Function").values()}

    assert handlers(spoke_template_json) == {
        shared.WATCHER_HANDLER,
        shared.REPORTER_HANDLER,
        shared.FORWARDER_HANDLER,
        shared.COSTER_HANDLER,  # jobs are costed where they run (tests/infra/test_costing.py)
    }
    assert (
        "ReportsTopic" not in spoke_template_json["Resources"] and "OperatorsTopic" in spoke_template_json["Resources"]
    )
    watcher = props(spoke_template_json, "WatcherFunction")["Environment"]["Variables"]
    assert watcher["HEARTBEAT_MINUTES"] == "60"
    assert "HEARTBEAT_MINUTES" not in props(template_json, "WatcherFunction")["Environment"]["Variables"]
    assert "DigestSchedule" not in spoke_template_json["Resources"]  # the hub's digest covers the spoke
    # The watcher and reporter are the standalone stack's, policies and all.
    for role in ("WatcherRole", "ReporterRole"):
        assert policy_statements_for_role(spoke_template_json, role) == policy_statements_for_role(template_json, role)


def test_a_standalone_stack_has_nothing_of_an_organization(template_json):
    assert not {
        logical_id
        for logical_id in template_json["Resources"]
        if logical_id.startswith(("Forwarder", "ToHub", "HubRecorder", "SpokeMonitor", "HubEventBus"))
    }
    assert "ReportsTableKeyScope" not in template_json["Outputs"]


# --- the checks, on both -------------------------------------------------------------------------------------


@pytest.mark.parametrize("fixture", ["hub_template_json", "spoke_template_json"])
def test_cfn_lint_finds_nothing_in_the_organizations_stacks(request, tmp_path, fixture):
    path = tmp_path / "Organization.template.json"
    path.write_text(json.dumps(request.getfixturevalue(fixture)), encoding="utf-8")
    assert [str(match) for match in checks.lint(path)] == []


def test_cdk_nag_has_no_unacknowledged_findings_in_the_organizations_stacks(organization_app):
    from cdk_nag import AwsSolutionsChecks

    report = AwsSolutionsChecks().validate_scope(organization_app)
    assert report.success and [v.rule_name for v in report.violations] == []
