"""The sandbox reads a stack at a place: every ARN and pseudo-parameter resolves to its account and region,
and a rule keeps each of its targets (functions of the stack, event buses), on a small hand-made template."""

from __future__ import annotations

from typing import Any

import pytest

from autopilot_reports.constants import DEFAULT_STACK_NAME
from sandbox.place import Place
from sandbox.template import BusTarget, QueueMappingSpec, QueueSpec, TemplateError, read_stack, standalone_stack

SPOKE = Place("111122223333", "eu-west-1")
HUB_BUS = "arn:aws:events:us-east-1:999988887777:event-bus/AutopilotReportsHub"


def template(*rule_targets: dict[str, Any]) -> dict[str, Any]:
    """A table, a bus, a function whose environment names them, and a rule on the bus."""
    return {
        "Parameters": {"HubEventBusArn": {"Type": "String", "Default": HUB_BUS}},
        "Resources": {
            "ReportsTable": {
                "Type": "AWS::DynamoDB::Table",
                "Properties": {
                    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                    "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                },
            },
            "EventBus": {"Type": "AWS::Events::EventBus", "Properties": {"Name": "Reports"}},
            "ForwardRole": {"Type": "AWS::IAM::Role", "Properties": {}},
            "ReporterFunction": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "Handler": "autopilot_reports.handlers.reporter.handler",
                    "Environment": {
                        "Variables": {
                            "TABLE_NAME": {"Ref": "ReportsTable"},
                            "TABLE_ARN": {"Fn::GetAtt": ["ReportsTable", "Arn"]},
                            "WHERE": {"Fn::Sub": "${AWS::AccountId}/${AWS::Region}/${AWS::StackName}"},
                            "BUS_ARN": {"Fn::GetAtt": ["EventBus", "Arn"]},
                        }
                    },
                },
            },
            "StateChangeRule": {
                "Type": "AWS::Events::Rule",
                "Properties": {
                    "EventBusName": {"Ref": "EventBus"},
                    "EventPattern": {"source": ["autopilot-reports"], "account": [{"Ref": "AWS::AccountId"}]},
                    "Targets": list(rule_targets),
                },
            },
        },
    }


FUNCTION_TARGET = {"Id": "Target0", "Arn": {"Fn::GetAtt": ["ReporterFunction", "Arn"]}}
BUS_TARGET = {"Id": "Hub", "Arn": {"Ref": "HubEventBusArn"}, "RoleArn": {"Fn::GetAtt": ["ForwardRole", "Arn"]}}


def test_every_arn_and_pseudo_parameter_resolves_to_the_place() -> None:
    stack = read_stack(template(FUNCTION_TARGET), SPOKE, stack_name="Spoke")
    environment = stack.functions["ReporterFunction"].environment

    assert stack.place == SPOKE and stack.stack_name == "Spoke"
    assert environment["TABLE_NAME"] == "ReportsTable"
    assert environment["TABLE_ARN"] == "arn:aws:dynamodb:eu-west-1:111122223333:table/ReportsTable"
    assert environment["WHERE"] == "111122223333/eu-west-1/Spoke"
    assert environment["BUS_ARN"] == "arn:aws:events:eu-west-1:111122223333:event-bus/EventBus"
    assert stack.rules[0].pattern["account"] == ["111122223333"]


def test_the_stack_name_defaults_to_the_one_home_of_it() -> None:
    stack = read_stack(template(FUNCTION_TARGET), SPOKE)

    assert stack.functions["ReporterFunction"].environment["WHERE"].endswith(f"/{DEFAULT_STACK_NAME}")


def test_a_table_suffix_names_the_table_everywhere_it_is_referenced() -> None:
    """DynamoDB Local keeps one database for every place: a second deployment's table needs its own name."""
    stack = read_stack(template(FUNCTION_TARGET), SPOKE, table_suffix="-111122223333-eu-west-1")
    environment = stack.functions["ReporterFunction"].environment

    assert stack.tables[0].logical_id == "ReportsTable"
    assert stack.tables[0].create_table_params()["TableName"] == "ReportsTable-111122223333-eu-west-1"
    assert environment["TABLE_NAME"] == "ReportsTable-111122223333-eu-west-1"
    assert environment["TABLE_ARN"].endswith(":111122223333:table/ReportsTable-111122223333-eu-west-1")


def test_a_rule_keeps_its_bus_targets_beside_its_function_targets() -> None:
    rule = read_stack(template(FUNCTION_TARGET, BUS_TARGET), SPOKE).rules[0]

    assert rule.function_ids == ["ReporterFunction"]
    assert rule.bus_targets == [BusTarget(arn=HUB_BUS, role_arn="arn:aws:iam::111122223333:role/ForwardRole")]


def test_a_bus_target_without_a_role_is_kept_too() -> None:
    """A bus of the same account takes events without a role."""
    same_account = {"Id": "Own", "Arn": {"Fn::GetAtt": ["EventBus", "Arn"]}}

    rule = read_stack(template(same_account), SPOKE).rules[0]

    assert rule.function_ids == []
    assert rule.bus_targets == [BusTarget("arn:aws:events:eu-west-1:111122223333:event-bus/EventBus", None)]


def test_a_target_the_sandbox_cannot_deliver_to_is_refused_by_name() -> None:
    queue = {"Id": "Queue", "Arn": "arn:aws:sqs:eu-west-1:111122223333:elsewhere"}

    with pytest.raises(TemplateError, match="rule StateChangeRule target Queue is 'arn:aws:sqs:.*elsewhere'"):
        read_stack(template(queue), SPOKE)


def with_reporters_queue(document: dict[str, Any]) -> dict[str, Any]:
    """The template with a queue (redriven to a dead-letter queue) an event source mapping reads."""
    document["Resources"] |= {
        "ReporterQueue": {
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "VisibilityTimeout": 360,
                "RedrivePolicy": {"deadLetterTargetArn": {"Fn::GetAtt": ["FailureQueue", "Arn"]}, "maxReceiveCount": 5},
            },
        },
        "FailureQueue": {"Type": "AWS::SQS::Queue", "Properties": {}},
        "QueueMapping": {
            "Type": "AWS::Lambda::EventSourceMapping",
            "Properties": {
                "EventSourceArn": {"Fn::GetAtt": ["ReporterQueue", "Arn"]},
                "FunctionName": {"Ref": "ReporterFunction"},
                "BatchSize": 10,
                "ScalingConfig": {"MaximumConcurrency": 5},
                "FunctionResponseTypes": ["ReportBatchItemFailures"],
            },
        },
    }
    document["Resources"]["ReporterFunction"]["Properties"]["Environment"]["Variables"]["QUEUE_URL"] = {
        "Ref": "ReporterQueue"
    }
    return document


def test_a_queue_of_the_stack_is_a_rule_target_and_its_mapping_and_redrive_are_read() -> None:
    target = {"Id": "Target0", "Arn": {"Fn::GetAtt": ["ReporterQueue", "Arn"]}}
    stack = read_stack(with_reporters_queue(template(target)), SPOKE)

    assert stack.rules[0].queue_ids == ["ReporterQueue"] and stack.rules[0].function_ids == []
    assert stack.queue_specs["ReporterQueue"] == QueueSpec("ReporterQueue", 360, "FailureQueue", 5)
    assert stack.queue_specs["FailureQueue"] == QueueSpec("FailureQueue")  # SQS's defaults: no redrive
    assert stack.queue_mappings == [QueueMappingSpec("QueueMapping", "ReporterQueue", "ReporterFunction", 10, 5, True)]
    # the URL AWS gives the queue: a function that asks SQS about it finds it by its name
    url = stack.functions["ReporterFunction"].environment["QUEUE_URL"]
    assert url == "https://sqs.eu-west-1.amazonaws.com/111122223333/ReporterQueue"


def test_the_standalone_stack_is_the_only_one_or_the_one_named() -> None:
    assert standalone_stack({"A": {"x": 1}}) == ("A", {"x": 1})
    assert standalone_stack({"A": {}, "B": {"y": 2}}, "B") == ("B", {"y": 2})
    with pytest.raises(TemplateError, match=r"more than one stack \(stacks: A, B\)"):
        standalone_stack({"A": {}, "B": {}})
    with pytest.raises(TemplateError, match="no stack 'C'"):
        standalone_stack({"A": {}}, "C")
    with pytest.raises(TemplateError, match="holds no stack"):
        standalone_stack({})
