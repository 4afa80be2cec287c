"""Reads the synthesized CloudFormation template: the single source of what the sandbox creates.

moto's own CloudFormation cannot deploy this stack (DESIGN section 6), so we read the resources we need
and resolve `Ref`, `Fn::GetAtt`, `Fn::Sub` and `Fn::Join` ourselves, against names the sandbox chooses.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

ACCOUNT_ID = "123456789012"
DEFAULT_BUS = "default"
STACK_NAME = "AutopilotReports"
TEMPLATE_PATH = Path("cdk.out") / f"{STACK_NAME}.template.json"


class TemplateError(ValueError):
    """The template lacks something the sandbox needs, or uses an intrinsic it cannot resolve."""


@dataclass(frozen=True)
class TableSpec:
    logical_id: str
    key_schema: list[dict[str, str]]
    attribute_definitions: list[dict[str, str]]
    global_secondary_indexes: list[dict[str, Any]]
    stream_view_type: str | None = None

    def create_table_params(self) -> dict[str, Any]:
        """CreateTable arguments for this table, named by its logical id, keys and indexes as deployed."""
        params: dict[str, Any] = {
            "TableName": self.logical_id,
            "KeySchema": self.key_schema,
            "AttributeDefinitions": self.attribute_definitions,
            "BillingMode": "PAY_PER_REQUEST",
        }
        if self.global_secondary_indexes:
            params["GlobalSecondaryIndexes"] = self.global_secondary_indexes
        if self.stream_view_type:
            params["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": self.stream_view_type}
        return params


@dataclass(frozen=True)
class FunctionSpec:
    logical_id: str
    handler: str
    environment: dict[str, str]
    timeout: int
    memory: int
    max_retry_attempts: int = 2
    on_failure_queue: str | None = None  # logical id of the on-failure destination queue


@dataclass(frozen=True)
class RuleSpec:
    logical_id: str
    bus: str  # bus name as resolved; "default" for the account's default bus
    pattern: dict[str, Any]
    function_ids: list[str]


@dataclass(frozen=True)
class ScheduleSpec:
    logical_id: str
    function_id: str
    input: dict[str, Any]
    rate_seconds: int | None = 60  # None: a cron() schedule (the digest), run at a scenario's `digests` ticks

    def input_at(self, moment: datetime) -> dict[str, Any]:
        """The target input as Scheduler sends it: context attributes replaced by their values."""
        scheduled = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        return {key: scheduled if value == SCHEDULED_TIME else value for key, value in self.input.items()}


@dataclass(frozen=True)
class StreamMappingSpec:
    """A Lambda event source mapping from a table's stream, as Lambda polls it."""

    logical_id: str
    table_id: str
    function_id: str
    filter_patterns: list[str]  # JSON texts; a record is delivered when any matches (none: every record)
    batch_size: int
    max_retry_attempts: int  # -1: until the record expires
    bisect_on_error: bool
    report_item_failures: bool
    on_failure_queue: str | None


@dataclass(frozen=True)
class MacKeySpec:
    """A KMS HMAC key the functions name by its alias (the stack's seal key)."""

    alias: str
    key_spec: str  # HMAC_256, ...


@dataclass
class StackModel:
    region: str
    tables: list[TableSpec] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    queues: list[str] = field(default_factory=list)
    buses: dict[str, str] = field(default_factory=dict)  # logical id -> name
    functions: dict[str, FunctionSpec] = field(default_factory=dict)
    rules: list[RuleSpec] = field(default_factory=list)
    schedules: list[ScheduleSpec] = field(default_factory=list)
    stream_mappings: list[StreamMappingSpec] = field(default_factory=list)
    mac_keys: list[MacKeySpec] = field(default_factory=list)

    def function_by_handler(self, suffix: str) -> FunctionSpec:
        matches = [spec for spec in self.functions.values() if spec.handler.endswith(suffix)]
        if len(matches) != 1:
            raise TemplateError(f"expected one function with a handler ending in {suffix!r}, found {len(matches)}")
        return matches[0]


def load_template(path: Path | None = None) -> dict[str, Any]:
    """The synthesized template; synthesizes in-process (about 10 s) when cdk.out has none."""
    path = path or TEMPLATE_PATH
    if path.exists():
        template: dict[str, Any] = json.loads(path.read_text())
        return template
    from app import build_app  # deferred: importing the CDK starts Node

    assembly = build_app().synth()
    synthesized: dict[str, Any] = assembly.get_stack_by_name(STACK_NAME).template
    return synthesized


class Names:
    """Physical names the sandbox gives each resource, and what Ref / Fn::GetAtt return for them."""

    def __init__(self, resources: Mapping[str, Any], region: str) -> None:
        self.resources = resources
        self.region = region

    def ref(self, logical_id: str) -> str:
        kind = self._kind(logical_id)
        if kind == "AWS::SNS::Topic":
            return f"arn:aws:sns:{self.region}:{ACCOUNT_ID}:{logical_id}"
        if kind == "AWS::SQS::Queue":
            return f"queue:{logical_id}"  # replaced by the real URL once the queue exists
        if kind == "AWS::KMS::Alias":
            return str(self.resources[logical_id]["Properties"]["AliasName"])  # the sandbox creates it so
        return logical_id  # tables, buses, functions, keys, roles: the logical id is the name

    def get_att(self, logical_id: str, attribute: str) -> str:
        kind = self._kind(logical_id)
        service = {
            "AWS::DynamoDB::Table": ("dynamodb", "table/"),
            "AWS::SQS::Queue": ("sqs", ""),
            "AWS::Lambda::Function": ("lambda", "function:"),
            "AWS::Events::EventBus": ("events", "event-bus/"),
            "AWS::KMS::Key": ("kms", "key/"),
            "AWS::IAM::Role": ("iam", "role/"),
            "AWS::SNS::Topic": ("sns", ""),
            "AWS::Logs::LogGroup": ("logs", "log-group:"),
        }.get(kind)
        if attribute in ("QueueName", "Name", "TopicName") or service is None and attribute.endswith("Name"):
            return logical_id
        if attribute in ("Arn", "TopicArn", "StreamArn", "KeyArn") and service:
            name, resource = service
            region = "" if name == "iam" else self.region
            return f"arn:aws:{name}:{region}:{ACCOUNT_ID}:{resource}{logical_id}"
        if attribute == "QueueUrl":
            return self.ref(logical_id)
        raise TemplateError(f"cannot resolve Fn::GetAtt {logical_id}.{attribute} ({kind})")

    def _kind(self, logical_id: str) -> str:
        if logical_id not in self.resources:
            raise TemplateError(f"reference to unknown resource {logical_id!r}")
        return str(self.resources[logical_id]["Type"])


class Resolver:
    def __init__(self, template: Mapping[str, Any], region: str) -> None:
        self.names = Names(template.get("Resources", {}), region)
        self.pseudo = {
            "AWS::Region": region,
            "AWS::AccountId": ACCOUNT_ID,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": STACK_NAME,
        }
        self.parameters = template.get("Parameters", {})

    def __call__(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self(item) for item in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, argument),) = value.items()
            intrinsic = self._intrinsics().get(key)
            if intrinsic:
                return intrinsic(argument)
        return {key: self(item) for key, item in value.items()}

    def _intrinsics(self) -> dict[str, Callable[[Any], Any]]:
        return {
            "Ref": self._ref,
            "Fn::GetAtt": self._get_att,
            "Fn::Sub": self._sub,
            "Fn::Join": lambda arg: self(arg[0]).join(str(self(item)) for item in self(arg[1])),
            "Fn::Select": lambda arg: self(arg[1])[int(self(arg[0]))],
            "Fn::Split": lambda arg: str(self(arg[1])).split(self(arg[0])),
        }

    def _ref(self, name: str) -> str:
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.parameters:
            default = self.parameters[name].get("Default")
            return str(default) if default is not None else f"parameter:{name}"
        return self.names.ref(name)

    def _get_att(self, argument: Any) -> str:
        logical_id, attribute = argument if isinstance(argument, list) else str(argument).split(".", 1)
        return self.names.get_att(logical_id, attribute)

    def _sub(self, argument: Any) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else (argument[0], self(argument[1]))

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in variables:
                return str(variables[name])
            if "." in name:
                return self._get_att(name)
            return self._ref(name)

        return re.sub(r"\$\{([^}!][^}]*)\}", replace, text)


def read_stack(template: Mapping[str, Any], region: str) -> StackModel:
    resolve = Resolver(template, region)
    resources: Mapping[str, Any] = template.get("Resources", {})
    stack = StackModel(region=region)
    invoke_configs = {}
    for logical_id, resource in resources.items():
        kind, props = resource["Type"], resource.get("Properties", {})
        if kind == "AWS::DynamoDB::Table":
            stack.tables.append(_table(logical_id, props))
        elif kind == "AWS::SNS::Topic":
            stack.topics.append(logical_id)
        elif kind == "AWS::SQS::Queue":
            stack.queues.append(logical_id)
        elif kind == "AWS::Events::EventBus":
            stack.buses[logical_id] = resolve({"Ref": logical_id})
        elif kind == "AWS::Lambda::EventInvokeConfig":
            invoke_configs[_logical_id_of(props["FunctionName"])] = props
        elif kind == "AWS::KMS::Alias":
            target = resources.get(_logical_id_of(props["TargetKeyId"]), {}).get("Properties", {})
            if str(target.get("KeySpec", "")).startswith("HMAC"):
                stack.mac_keys.append(MacKeySpec(alias=str(props["AliasName"]), key_spec=str(target["KeySpec"])))
    for logical_id, resource in resources.items():
        if resource["Type"] == "AWS::Lambda::Function" and "Handler" in resource.get("Properties", {}):
            stack.functions[logical_id] = _function(logical_id, resource["Properties"], resolve, invoke_configs)
    for logical_id, resource in resources.items():
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::Events::Rule" and "EventPattern" in props:
            targets = [_logical_id_of(target["Arn"]) for target in props.get("Targets", [])]
            stack.rules.append(
                RuleSpec(
                    logical_id=logical_id,
                    bus=str(resolve(props.get("EventBusName", DEFAULT_BUS))),
                    pattern=resolve(props["EventPattern"]),
                    function_ids=[target for target in targets if target in stack.functions],
                )
            )
        elif resource["Type"] == "AWS::Scheduler::Schedule":
            target = props["Target"]
            stack.schedules.append(
                ScheduleSpec(
                    logical_id=logical_id,
                    function_id=_logical_id_of(target["Arn"]),
                    input=json.loads(resolve(target.get("Input", "{}"))),
                    rate_seconds=_rate_seconds(str(resolve(props["ScheduleExpression"]))),
                )
            )
        elif resource["Type"] == "AWS::Lambda::EventSourceMapping" and _is_stream(props.get("EventSourceArn")):
            stack.stream_mappings.append(_stream_mapping(logical_id, props))
    return stack


def _is_stream(source: Any) -> bool:
    return isinstance(source, dict) and "Fn::GetAtt" in source and _attribute(source) == "StreamArn"


def _attribute(reference: dict[str, Any]) -> str:
    attribute = reference["Fn::GetAtt"]
    return str(attribute[1] if isinstance(attribute, list) else attribute.split(".", 1)[1])


def _stream_mapping(logical_id: str, props: Mapping[str, Any]) -> StreamMappingSpec:
    on_failure = props.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
    return StreamMappingSpec(
        logical_id=logical_id,
        table_id=_logical_id_of(props["EventSourceArn"]),
        function_id=_logical_id_of(props["FunctionName"]),
        filter_patterns=[item["Pattern"] for item in props.get("FilterCriteria", {}).get("Filters", [])],
        batch_size=int(props.get("BatchSize", 100)),
        max_retry_attempts=int(props.get("MaximumRetryAttempts", -1)),
        bisect_on_error=bool(props.get("BisectBatchOnFunctionError", False)),
        report_item_failures="ReportBatchItemFailures" in props.get("FunctionResponseTypes", []),
        on_failure_queue=_logical_id_of(on_failure) if on_failure else None,
    )


_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
SCHEDULED_TIME = "<aws.scheduler.scheduled-time>"


def _rate_seconds(expression: str) -> int | None:
    """A rate() schedule's period; None for a cron() one (the sandbox runs those at scenario ticks)."""
    if expression.startswith("cron("):
        return None
    match = _RATE.match(expression)
    if not match:
        raise TemplateError(f"the sandbox runs rate() and cron() schedules only, got {expression!r}")
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2).rstrip("s")]


def _table(logical_id: str, props: Mapping[str, Any]) -> TableSpec:
    return TableSpec(
        logical_id=logical_id,
        key_schema=props["KeySchema"],
        attribute_definitions=props["AttributeDefinitions"],
        global_secondary_indexes=[
            {key: index[key] for key in ("IndexName", "KeySchema", "Projection")}
            for index in props.get("GlobalSecondaryIndexes", [])
        ],
        stream_view_type=props.get("StreamSpecification", {}).get("StreamViewType"),
    )


def _function(
    logical_id: str, props: Mapping[str, Any], resolve: Resolver, invoke_configs: Mapping[str, Any]
) -> FunctionSpec:
    variables = resolve(props.get("Environment", {}).get("Variables", {}))
    invoke = invoke_configs.get(logical_id, {})
    on_failure = invoke.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
    return FunctionSpec(
        logical_id=logical_id,
        handler=props["Handler"],
        environment={name: str(value) for name, value in variables.items()},
        timeout=int(props.get("Timeout", 3)),
        memory=int(props.get("MemorySize", 128)),
        max_retry_attempts=int(invoke.get("MaximumRetryAttempts", 2)),
        on_failure_queue=_logical_id_of(on_failure) if on_failure else None,
    )


def _logical_id_of(reference: Any) -> str:
    """The logical id behind a `Ref` or `Fn::GetAtt` (targets and destinations name resources this way)."""
    if isinstance(reference, dict):
        if "Ref" in reference:
            return str(reference["Ref"])
        if "Fn::GetAtt" in reference:
            attribute = reference["Fn::GetAtt"]
            return str(attribute[0] if isinstance(attribute, list) else attribute.split(".")[0])
    raise TemplateError(f"expected a Ref or Fn::GetAtt to a resource of the stack, got {reference!r}")
