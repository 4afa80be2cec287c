"""Physical names: two stacks never collide in one account and region, and outputs name what people use.

Every top-level `...Name` property of every resource is read with its intrinsics resolved against a fake
region; a name that merely refers to another resource (`Ref`, `Fn::GetAtt`) is that resource's name, not
a new one.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.infra.conftest import VARIANT_STACK_NAME

FAKE_REGION = "xx-fake-1"
PSEUDO = {"AWS::Region": FAKE_REGION, "AWS::AccountId": "123456789012", "AWS::Partition": "aws"}
NOT_A_PHYSICAL_NAME = {
    "MetricName",  # a CloudWatch metric, not a resource
    "PolicyName",  # an inline policy's name is scoped to its role
    "DisplayName",  # an SNS topic's label in e-mails and SMS, not an identifier
}
# Names visible across regions (one namespace per account): they must carry the region.
ACCOUNT_WIDE = {
    "AWS::CloudWatch::Dashboard",
    "AWS::Chatbot::SlackChannelConfiguration",
    "AWS::Chatbot::MicrosoftTeamsChannelConfiguration",
    "AWS::IAM::Role",
    "AWS::IAM::ManagedPolicy",
}


class Reference(Exception):
    """The value refers to another resource or a parameter."""


def _resolve(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and len(value) == 1:
        ((function, argument),) = value.items()
        if function == "Ref" and argument in PSEUDO:
            return PSEUDO[argument]
        if function == "Fn::Join":
            separator, parts = argument
            return separator.join(_resolve(part) for part in parts)
        if function == "Fn::Sub" and isinstance(argument, str):
            text = argument
            for name, pseudo in PSEUDO.items():
                text = text.replace(f"${{{name}}}", pseudo)
            if "${" in text:
                raise Reference(argument)
            return text
        if function in ("Ref", "Fn::GetAtt", "Fn::ImportValue"):
            raise Reference(value)
    raise AssertionError(f"cannot resolve {value!r}")


def physical_names(template: dict[str, Any]) -> dict[tuple[str, str, str], str]:
    """(logical id, type, property) → the name the template types for that resource."""
    names: dict[tuple[str, str, str], str] = {}
    for logical_id, body in template["Resources"].items():
        for key, value in body.get("Properties", {}).items():
            if not key.endswith("Name") or key in NOT_A_PHYSICAL_NAME:
                continue
            try:
                names[(logical_id, body["Type"], key)] = _resolve(value)
            except Reference:
                continue
    return names


def test_only_the_names_people_type_are_set_and_they_derive_from_the_stack_name(template_json, full_template_json):
    assert physical_names(template_json) == {
        ("EventBus", "AWS::Events::EventBus", "Name"): "AutopilotReports",
        ("EncryptionKeyAlias1DF1C985", "AWS::KMS::Alias", "AliasName"): "alias/AutopilotReports",
        ("SealKeyAlias", "AWS::KMS::Alias", "AliasName"): "alias/AutopilotReports-seal",
        ("Dashboard", "AWS::CloudWatch::Dashboard", "DashboardName"): f"AutopilotReports-{FAKE_REGION}",
    }
    staging = {(kind, key, name) for (_, kind, key), name in physical_names(full_template_json).items()}
    assert staging == {
        ("AWS::Events::EventBus", "Name", VARIANT_STACK_NAME),
        ("AWS::KMS::Alias", "AliasName", f"alias/{VARIANT_STACK_NAME}"),
        ("AWS::KMS::Alias", "AliasName", f"alias/{VARIANT_STACK_NAME}-seal"),
        ("AWS::CloudWatch::Dashboard", "DashboardName", f"{VARIANT_STACK_NAME}-{FAKE_REGION}"),
        ("AWS::Chatbot::SlackChannelConfiguration", "ConfigurationName", f"{VARIANT_STACK_NAME}-{FAKE_REGION}"),
        (
            "AWS::Chatbot::MicrosoftTeamsChannelConfiguration",
            "ConfigurationName",
            f"{VARIANT_STACK_NAME}-teams-{FAKE_REGION}",
        ),
    }


def test_two_stacks_share_no_physical_name(template_json, full_template_json):
    default = set(physical_names(template_json).values())
    staging = set(physical_names(full_template_json).values())
    assert default and staging
    assert default.isdisjoint(staging), default & staging


@pytest.mark.parametrize("fixture", ["template_json", "full_template_json"])
def test_every_account_wide_name_contains_the_region(request, fixture):
    names = physical_names(request.getfixturevalue(fixture))
    account_wide = {key: name for key, name in names.items() if key[1] in ACCOUNT_WIDE}
    assert account_wide, "the dashboard at least is account-wide"
    assert all(FAKE_REGION in name for name in account_wide.values()), account_wide


@pytest.mark.parametrize("fixture", ["template_json", "full_template_json"])
def test_generated_names_everywhere_else(request, fixture):
    template = request.getfixturevalue(fixture)
    typed = {(kind, key) for (_, kind, key) in physical_names(template)}
    for kind in (
        "AWS::DynamoDB::Table",
        "AWS::SNS::Topic",
        "AWS::SQS::Queue",
        "AWS::Lambda::Function",
        "AWS::IAM::Role",
        "AWS::IAM::ManagedPolicy",
        "AWS::Logs::LogGroup",
        "AWS::Events::Rule",
        "AWS::Scheduler::Schedule",
    ):
        assert not [key for (k, key) in typed if k == kind], kind


def test_stack_name_comes_from_context(synth_app, full_app):
    assert [stack.stack_name for stack in synth_app.synth().stacks] == ["AutopilotReports"]
    assert [stack.stack_name for stack in full_app.synth().stacks] == [VARIANT_STACK_NAME]


OUTPUTS = {
    "ReportsTableName",
    "ReportsTopicArn",
    "OperatorsTopicArn",
    "EventBusName",
    "WatcherFunctionName",
    "ReporterFunctionName",
    "NotifierFunctionName",
    "DashboardName",
    "WatcherTriggerDeadLetterQueueUrl",
    "ReporterDeliveryDeadLetterQueueUrl",
    "ReporterFailureQueueUrl",
    "NotifierFailureQueueUrl",
    "HistoryImportCommand",
}


def test_outputs_name_what_operators_use(template_json):
    outputs = template_json["Outputs"]
    assert OUTPUTS <= set(outputs)
    assert outputs["NotifierFunctionName"]["Value"] == {"Ref": "NotifierFunction"}
    assert outputs["NotifierFailureQueueUrl"]["Value"] == {"Ref": "NotifierFailureQueue"}
    assert outputs["EventBusName"]["Value"] == {"Ref": "EventBus"}
    assert outputs["DashboardName"]["Value"] == {"Ref": "Dashboard"}


@pytest.mark.parametrize(
    ("fixture", "stack"), [("template_json", "AutopilotReports"), ("full_template_json", VARIANT_STACK_NAME)]
)
def test_history_import_command_output_gives_the_cli_and_the_aws_cli_forms(request, fixture, stack):
    parts = request.getfixturevalue(fixture)["Outputs"]["HistoryImportCommand"]["Value"]["Fn::Join"][1]
    assert {"Ref": "WatcherFunction"} in parts
    names = {json.dumps({"Ref": "WatcherFunction"}): "<watcher>", json.dumps({"Ref": "AWS::Region"}): "<region>"}
    text = "".join(part if isinstance(part, str) else names[json.dumps(part)] for part in parts)
    # The same range both ways (a bare --until date includes that day), in the stack's own region.
    assert (
        f"autopilot-reports --stack {stack} --region <region> import-history --since 2025-01-01 --until 2025-12-31"
    ) in text
    assert (
        "aws lambda invoke --region <region> --function-name <watcher> --invocation-type Event "
        "--cli-binary-format raw-in-base64-out "
        """--payload '{"backfill":{"start":"2025-01-01T00:00:00Z","end":"2026-01-01T00:00:00Z"}}' /dev/null"""
    ) in text
