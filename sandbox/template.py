"""Reads the synthesized CloudFormation template: the single source of what the sandbox creates.

moto's own CloudFormation cannot deploy this stack (docs/design.md §6.1), so we read the resources we need
and resolve `Ref`, `Fn::GetAtt`, `Fn::Sub` and `Fn::Join` ourselves, against names the sandbox chooses.
A stack is read at a place (an account and a region): every ARN and pseudo-parameter resolves to it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from autopilot_reports.constants import DEFAULT_STACK_NAME, KEY_SCOPE_LOCAL, OUTPUT_TABLE_KEY_SCOPE
from infra.assembly import DEFAULT_OUTDIR, AssemblyError, stack_templates
from sandbox.place import Place

DEFAULT_BUS = "default"
EVENT_BUS_ARN = re.compile(r"^arn:[\w-]+:events:[\w-]+:\d{12}:event-bus/.+$")


class TemplateError(ValueError):
    """The template lacks something the sandbox needs, or uses an intrinsic it cannot resolve."""


@dataclass(frozen=True)
class TableSpec:
    logical_id: str
    key_schema: list[dict[str, str]]
    attribute_definitions: list[dict[str, str]]
    global_secondary_indexes: list[dict[str, Any]]
    stream_view_type: str | None = None
    name: str = ""  # the physical name (Names.table_name); "" reads as the logical id

    @property
    def table_name(self) -> str:
        return self.name or self.logical_id

    def create_table_params(self) -> dict[str, Any]:
        """CreateTable arguments for this table, under its physical name, keys and indexes as deployed."""
        params: dict[str, Any] = {
            "TableName": self.table_name,
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
    max_event_age: int = 21_600  # MaximumEventAgeInSeconds of its asynchronous events (Lambda's default: 6 h)


@dataclass(frozen=True)
class QueueSpec:
    """An SQS queue of the stack: how long a received message stays hidden, and where it goes once it
    was received `max_receive_count` times (its redrive policy; None: it never moves)."""

    logical_id: str
    visibility_timeout: int = 30
    dead_letter_queue: str | None = None
    max_receive_count: int | None = None


@dataclass(frozen=True)
class BusTarget:
    """A rule's target that is an event bus (a spoke's route to its hub's bus, in another account)."""

    arn: str
    role_arn: str | None  # the role EventBridge assumes to put onto a bus of another account
    dead_letter_queue: str | None = None  # logical id of the queue for what EventBridge cannot deliver


@dataclass(frozen=True)
class BusPolicySpec:
    """A bus's resource policy (AWS::Events::EventBusPolicy): who else may put events on it. Its
    statements as IAM writes them, resolved at the stack's place (sandbox/bus_policy.py evaluates them)."""

    logical_id: str
    bus: str  # the bus's name as the sandbox created it
    statements: list[dict[str, Any]]


@dataclass(frozen=True)
class RuleSpec:
    logical_id: str
    bus: str  # bus name as resolved; "default" for the account's default bus
    pattern: dict[str, Any]
    function_ids: list[str]
    bus_targets: list[BusTarget] = field(default_factory=list)
    queue_ids: list[str] = field(default_factory=list)  # SQS queues of the stack the rule sends to


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
class QueueMappingSpec:
    """A Lambda event source mapping from an SQS queue of the stack, as Lambda polls it: batches of up to
    `batch_size` messages, at most `max_concurrency` invocations at once (None: as many as the account
    allows)."""

    logical_id: str
    queue_id: str
    function_id: str
    batch_size: int
    max_concurrency: int | None
    report_item_failures: bool


@dataclass(frozen=True)
class MacKeySpec:
    """A KMS HMAC key the functions name by its alias (the stack's seal key)."""

    alias: str
    key_spec: str  # HMAC_256, ...


@dataclass
class StackModel:
    place: Place
    stack_name: str = DEFAULT_STACK_NAME
    tables: list[TableSpec] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    queues: list[str] = field(default_factory=list)
    queue_specs: dict[str, QueueSpec] = field(default_factory=dict)  # by logical id, every queue of `queues`
    buses: dict[str, str] = field(default_factory=dict)  # logical id -> name
    bus_names: dict[str, str] = field(default_factory=dict)  # the name the template gives a bus -> logical id
    bus_policies: list[BusPolicySpec] = field(default_factory=list)
    functions: dict[str, FunctionSpec] = field(default_factory=dict)
    rules: list[RuleSpec] = field(default_factory=list)
    schedules: list[ScheduleSpec] = field(default_factory=list)
    stream_mappings: list[StreamMappingSpec] = field(default_factory=list)
    queue_mappings: list[QueueMappingSpec] = field(default_factory=list)
    mac_keys: list[MacKeySpec] = field(default_factory=list)
    key_scope: str = KEY_SCOPE_LOCAL  # how its table keys a job (the stack's output says an organization's)

    def table(self, logical_id: str) -> TableSpec:
        match = next((table for table in self.tables if table.logical_id == logical_id), None)
        if match is None:
            raise TemplateError(f"the stack has no table {logical_id!r}")
        return match

    def function_by_handler(self, suffix: str) -> FunctionSpec:
        matches = [spec for spec in self.functions.values() if spec.handler.endswith(suffix)]
        if len(matches) != 1:
            raise TemplateError(f"expected one function with a handler ending in {suffix!r}, found {len(matches)}")
        return matches[0]


def load_template(path: Path | None = None) -> dict[str, Any]:
    """A synthesized template file; without one, the standalone stack's of cdk.out (`load_templates`)."""
    if path is None:
        return standalone_stack(load_templates())[1]
    template: dict[str, Any] = json.loads(path.read_text())
    return template


def load_templates(folder: Path | None = None) -> dict[str, dict[str, Any]]:
    """Every stack's template in a cloud assembly folder, by stack name, as its manifest lists them. Without
    a folder: cdk.out's, or, where cdk.out holds no assembly, synthesized in process (about 10 s)."""
    if folder is None and not (DEFAULT_OUTDIR / "manifest.json").is_file():
        from app import build_app  # deferred: importing the CDK starts Node

        return {stack.stack_name: stack.template for stack in build_app().synth().stacks}
    try:
        paths = stack_templates(folder or DEFAULT_OUTDIR)
    except AssemblyError as error:
        raise TemplateError(str(error)) from None
    return {name: json.loads(path.read_text()) for name, path in paths.items()}


def standalone_stack(templates: Mapping[str, dict[str, Any]], name: str | None = None) -> tuple[str, dict[str, Any]]:
    """The stack the sandbox deploys, with its name: the one named, or the assembly's only stack."""
    if name is None and len(templates) == 1:
        (name,) = templates
    if name is None or name not in templates:
        listed = ", ".join(sorted(templates))
        if not templates:
            raise TemplateError("the assembly holds no stack; run `make synth` (npx cdk synth)")
        asked = f"no stack {name!r}" if name else "more than one stack"
        raise TemplateError(f"the assembly holds {asked} (stacks: {listed}); name the standalone stack to run")
    return name, templates[name]


class Names:
    """Physical names the sandbox gives each resource at a place, and what Ref / Fn::GetAtt return for them.

    A resource is named by its logical id; a table also carries `table_suffix`, because DynamoDB Local
    keeps one database for every account and region (-sharedDb): two deployments' tables there need two
    names. Every other service keeps each account and region apart, as AWS does."""

    def __init__(self, resources: Mapping[str, Any], place: Place, table_suffix: str = "") -> None:
        self.resources = resources
        self.place = place
        self.table_suffix = table_suffix

    def table_name(self, logical_id: str) -> str:
        return logical_id + self.table_suffix

    def ref(self, logical_id: str) -> str:
        kind = self._kind(logical_id)
        if kind == "AWS::SNS::Topic":
            return f"arn:aws:sns:{self.place.region}:{self.place.account}:{logical_id}"
        if kind == "AWS::SQS::Queue":  # the URL AWS gives it: moto finds a queue by the name it ends with
            return f"https://sqs.{self.place.region}.amazonaws.com/{self.place.account}/{logical_id}"
        if kind == "AWS::DynamoDB::Table":
            return self.table_name(logical_id)
        if kind == "AWS::KMS::Alias":
            return str(self.resources[logical_id]["Properties"]["AliasName"])  # the sandbox creates it so
        return logical_id  # buses, functions, keys, roles: the logical id is the name

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
            region = "" if name == "iam" else self.place.region
            return f"arn:aws:{name}:{region}:{self.place.account}:{resource}{self.ref_name(logical_id)}"
        if attribute == "QueueUrl":
            return self.ref(logical_id)
        raise TemplateError(f"cannot resolve Fn::GetAtt {logical_id}.{attribute} ({kind})")

    def ref_name(self, logical_id: str) -> str:
        """The name inside the resource's ARN."""
        return self.table_name(logical_id) if self._kind(logical_id) == "AWS::DynamoDB::Table" else logical_id

    def _kind(self, logical_id: str) -> str:
        if logical_id not in self.resources:
            raise TemplateError(f"reference to unknown resource {logical_id!r}")
        return str(self.resources[logical_id]["Type"])


class Resolver:
    def __init__(
        self,
        template: Mapping[str, Any],
        place: Place,
        stack_name: str = DEFAULT_STACK_NAME,
        table_suffix: str = "",
    ) -> None:
        self.names = Names(template.get("Resources", {}), place, table_suffix)
        self.pseudo = {
            "AWS::Region": place.region,
            "AWS::AccountId": place.account,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": stack_name,
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


def read_stack(
    template: Mapping[str, Any],
    place: Place,
    stack_name: str = DEFAULT_STACK_NAME,
    table_suffix: str = "",
) -> StackModel:
    """The stack `template` as deployed at `place` under `stack_name`: every ARN, `AWS::AccountId` and
    `AWS::Region` resolves to the place. `table_suffix`: see Names."""
    resolve = Resolver(template, place, stack_name, table_suffix)
    resources: Mapping[str, Any] = template.get("Resources", {})
    stack = StackModel(place=place, stack_name=stack_name)
    invoke_configs = {}
    for logical_id, resource in resources.items():
        kind, props = resource["Type"], resource.get("Properties", {})
        if kind == "AWS::DynamoDB::Table":
            stack.tables.append(_table(logical_id, props, resolve.names.table_name(logical_id)))
        elif kind == "AWS::SNS::Topic":
            stack.topics.append(logical_id)
        elif kind == "AWS::SQS::Queue":
            stack.queues.append(logical_id)
            stack.queue_specs[logical_id] = _queue(logical_id, props)
        elif kind == "AWS::Events::EventBus":
            stack.buses[logical_id] = resolve({"Ref": logical_id})
            stack.bus_names[str(resolve(props.get("Name", logical_id)))] = logical_id
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
            stack.rules.append(_rule(logical_id, props, resolve, stack.functions, stack.queue_specs))
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
        elif resource["Type"] == "AWS::Lambda::EventSourceMapping" and _source_id(props) in stack.queue_specs:
            stack.queue_mappings.append(_queue_mapping(logical_id, props))
        elif resource["Type"] == "AWS::Events::EventBusPolicy":
            stack.bus_policies.append(_bus_policy(logical_id, props, resolve))
    scope = template.get("Outputs", {}).get(OUTPUT_TABLE_KEY_SCOPE, {}).get("Value")
    stack.key_scope = str(scope) if isinstance(scope, str) else KEY_SCOPE_LOCAL
    return stack


def _bus_policy(logical_id: str, props: Mapping[str, Any], resolve: Resolver) -> BusPolicySpec:
    """A bus policy's statements: `Statement` (one or a list), or the older single-grant properties
    (`Principal`, `Action`, `Condition`)."""
    statement = props.get("Statement")
    if statement is None:
        statement = {"Effect": "Allow", "Principal": {"AWS": props.get("Principal", "*")}, "Action": props["Action"]}
        legacy = props.get("Condition")  # {Type, Key, Value}: one condition
        if legacy is not None:
            statement["Condition"] = {legacy["Type"]: {legacy["Key"]: legacy["Value"]}}
    statements = statement if isinstance(statement, list) else [statement]
    return BusPolicySpec(logical_id, str(resolve(props.get("EventBusName", DEFAULT_BUS))), resolve(statements))


def _rule(
    logical_id: str,
    props: Mapping[str, Any],
    resolve: Resolver,
    functions: Mapping[str, Any],
    queues: Mapping[str, Any],
) -> RuleSpec:
    """A rule and its targets: functions and queues of the stack, and event buses (with the role EventBridge
    puts with). Any other target is refused by name: dropping it would hide where the rule's events go."""
    function_ids: list[str] = []
    queue_ids: list[str] = []
    bus_targets: list[BusTarget] = []
    for target in props.get("Targets", []):
        reference = target["Arn"]
        referenced = _referenced_id(reference) if isinstance(reference, dict) else None
        if referenced in functions or referenced in queues:
            (function_ids if referenced in functions else queue_ids).append(_logical_id_of(reference))
            continue
        arn = str(resolve(reference))
        if not EVENT_BUS_ARN.match(arn):
            raise TemplateError(
                f"rule {logical_id} target {target.get('Id', '?')} is {arn!r}: the sandbox delivers to the "
                "stack's functions and queues, and to event buses only"
            )
        role = target.get("RoleArn")
        dead_letter = target.get("DeadLetterConfig", {}).get("Arn")
        bus_targets.append(
            BusTarget(
                arn=arn,
                role_arn=str(resolve(role)) if role is not None else None,
                dead_letter_queue=_logical_id_of(dead_letter) if dead_letter is not None else None,
            )
        )
    return RuleSpec(
        logical_id=logical_id,
        bus=str(resolve(props.get("EventBusName", DEFAULT_BUS))),
        pattern=resolve(props["EventPattern"]),
        function_ids=function_ids,
        bus_targets=bus_targets,
        queue_ids=queue_ids,
    )


def _referenced_id(reference: Mapping[str, Any]) -> str | None:
    """The logical id a `Ref` / `Fn::GetAtt` names, or None for any other value."""
    try:
        return _logical_id_of(reference)
    except TemplateError:
        return None


def _is_stream(source: Any) -> bool:
    return isinstance(source, dict) and "Fn::GetAtt" in source and _attribute(source) == "StreamArn"


def _attribute(reference: dict[str, Any]) -> str:
    attribute = reference["Fn::GetAtt"]
    return str(attribute[1] if isinstance(attribute, list) else attribute.split(".", 1)[1])


def _source_id(props: Mapping[str, Any]) -> str | None:
    """The logical id an event source mapping's EventSourceArn names, or None."""
    source = props.get("EventSourceArn")
    return _referenced_id(source) if isinstance(source, dict) else None


def _queue(logical_id: str, props: Mapping[str, Any]) -> QueueSpec:
    redrive = props.get("RedrivePolicy") or {}
    target = redrive.get("deadLetterTargetArn")
    return QueueSpec(
        logical_id=logical_id,
        visibility_timeout=int(props.get("VisibilityTimeout", 30)),
        dead_letter_queue=_logical_id_of(target) if target else None,
        max_receive_count=int(redrive["maxReceiveCount"]) if target else None,
    )


def _queue_mapping(logical_id: str, props: Mapping[str, Any]) -> QueueMappingSpec:
    maximum = props.get("ScalingConfig", {}).get("MaximumConcurrency")
    return QueueMappingSpec(
        logical_id=logical_id,
        queue_id=_logical_id_of(props["EventSourceArn"]),
        function_id=_logical_id_of(props["FunctionName"]),
        batch_size=int(props.get("BatchSize", 10)),
        max_concurrency=int(maximum) if maximum is not None else None,
        report_item_failures="ReportBatchItemFailures" in props.get("FunctionResponseTypes", []),
    )


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


def _table(logical_id: str, props: Mapping[str, Any], name: str) -> TableSpec:
    return TableSpec(
        logical_id=logical_id,
        name=name,
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
        max_event_age=int(invoke.get("MaximumEventAgeInSeconds", 21_600)),
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
