"""Lambda functions the way this project runs them all, and the one way EventBridge invokes them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import aws_cdk as cdk
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from autopilot_reports.settings import FunctionSettings
from infra import constants as c
from infra.checkov import acknowledge_checkov
from infra.constructs.queues import DeadLetterQueue, QueueDestination
from infra.constructs.sealing import SealKeyConstruct
from infra.ids import pin_logical_id
from infra.lambda_code import RUNTIME, lambda_code
from infra.nag import acknowledge, iam5_resource


def powertools_layer(scope: Construct, layer_arn: str | None = None) -> lambda_.ILayerVersion:
    """The Powertools layer: `layer_arn` when given, else the public layer resolved by CloudFormation.

    `value_for_string_parameter` becomes an `AWS::SSM::Parameter::Value<String>` template parameter:
    no lookup at synth, the deploying region's own ARN at deploy. Regions and partitions without that
    public parameter (e.g. aws-cn) name a layer themselves (context `powertoolsLayerArn`).
    """
    arn = layer_arn or ssm.StringParameter.value_for_string_parameter(scope, c.powertools_ssm_parameter())
    return lambda_.LayerVersion.from_layer_version_arn(scope, "PowertoolsLayer", arn)


@dataclass(frozen=True)
class FunctionBasics:
    """What every function of one stack shares."""

    layer: lambda_.ILayerVersion
    log_retention_days: int
    retain: bool
    log_key: kms.IKey  # encrypts every function's log group (the stack's one customer-managed key)
    seal_key: SealKeyConstruct  # every function seals what it writes, or checks the seals (domain/seal.py)


@dataclass(frozen=True)
class FunctionSpec:
    """What makes one function itself. `settings`: its settings model, written into its environment
    (the handler reads the same model back). `any_resource_actions`: action → why IAM cannot scope it."""

    name: str  # logical ids: <name>Function, <name>Role, <name>RolePolicy, <name>LogGroup
    handler: str
    description: str
    settings: FunctionSettings
    memory_mb: int
    timeout_seconds: int
    reserved_concurrency: int | None = None
    any_resource_actions: Mapping[str, str] = field(default_factory=dict)


class ServiceFunction(Construct):
    """A Python 3.13 function with its own role, log group (JSON logs, retention, the stack's CMK), X-Ray
    and Powertools.

    The role starts empty (no AWSLambdaBasicExecutionRole): it may write to its own log group, and
    each capability adds exact statements through `add_to_policy`.
    """

    def __init__(self, scope: Construct, construct_id: str, *, spec: FunctionSpec, basics: FunctionBasics) -> None:
        super().__init__(scope, construct_id)
        self.name = spec.name
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"autopilot-reports {spec.name}: exact permissions, nothing managed",
        )
        # CloudWatch Logs encrypts with the key as itself (the key policy admits it); the function's
        # role needs no KMS permission to write its logs.
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            encryption_key=basics.log_key,
            removal_policy=cdk.RemovalPolicy.RETAIN if basics.retain else cdk.RemovalPolicy.DESTROY,
        )
        # CloudWatch's allowed values are validated once (constants.VALID_LOG_RETENTION_DAYS); the
        # resource takes the number itself, so no second table maps days onto CDK's enum.
        log_group_resource = self.log_group.node.default_child
        assert isinstance(log_group_resource, logs.CfnLogGroup)
        log_group_resource.retention_in_days = basics.log_retention_days
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["logs:CreateLogStream", "logs:PutLogEvents"], resources=[self.log_group.log_group_arn]
            )
        )
        self.function = lambda_.Function(
            self,
            "Function",
            description=spec.description,
            runtime=RUNTIME,
            architecture=lambda_.Architecture.X86_64,
            handler=spec.handler,
            code=lambda_code(),
            layers=[basics.layer],
            role=self.role,
            memory_size=spec.memory_mb,
            timeout=cdk.Duration.seconds(spec.timeout_seconds),
            reserved_concurrent_executions=spec.reserved_concurrency,
            tracing=lambda_.Tracing.ACTIVE,
            log_group=self.log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            application_log_level_v2=lambda_.ApplicationLogLevel.INFO,
            system_log_level_v2=lambda_.SystemLogLevel.WARN,
            environment={
                "POWERTOOLS_SERVICE_NAME": c.SERVICE,
                "POWERTOOLS_METRICS_NAMESPACE": c.NAMESPACE,
                "POWERTOOLS_LOG_LEVEL": c.POWERTOOLS_LOG_LEVEL,
                # No pydantic plugin is used: without this, the first model built scans every installed
                # distribution's entry points for one, at each cold start (bench/cold_start.py).
                "PYDANTIC_DISABLE_PLUGINS": "__all__",
                **spec.settings.to_env(),
            },
        )
        basics.seal_key.allow(self.role)
        pin_logical_id(self.function, f"{spec.name}Function")
        pin_logical_id(self.role, f"{spec.name}Role")
        pin_logical_id(self.log_group, f"{spec.name}LogGroup")
        acknowledge(
            self.function,
            "AwsSolutions-L1",
            "Python 3.13 on purpose: make test runs the Lambda package's unit and integration suites on it a "
            "second time, with the runtime's boto3 and the layer's packages (constraints-lambda.txt), and the "
            "pinned Powertools layer is resolved for it (/aws/service/powertools/python/x86_64/python3.13/<version>); "
            "moving to a newer runtime changes the layer path, the tests and this line together.",
        )
        self._acknowledge_checkov(spec)
        self._allow_on_any_resource(
            {
                "xray:PutTraceSegments": "no resource-level permissions (added by Tracing.ACTIVE)",
                "xray:PutTelemetryRecords": "no resource-level permissions (added by Tracing.ACTIVE)",
                **spec.any_resource_actions,
            }
        )
        self._pin_policy_logical_id()

    @property
    def policy(self) -> iam.Policy:
        """The role's one inline policy (`<Name>Role` → `<Name>RolePolicy` in the template)."""
        default_policy = self.role.node.try_find_child("DefaultPolicy")
        if not isinstance(default_policy, iam.Policy):
            raise RuntimeError(f"{self.role.node.path} has no policy yet")
        return default_policy

    def add_to_policy(self, *statements: iam.PolicyStatement) -> None:
        for statement in statements:
            self.role.add_to_principal_policy(statement)

    def _acknowledge_checkov(self, spec: FunctionSpec) -> None:
        """What every function of this project deliberately does not do (infra/checkov.py)."""
        acknowledge_checkov(
            self.function,
            "CKV_AWS_117",
            "No VPC on purpose: the function calls only AWS APIs (SageMaker, S3, DynamoDB, EventBridge, SNS, "
            "SQS, X-Ray) over TLS with IAM-signed requests and reaches nothing private; a VPC would add NAT or "
            "interface endpoints (a fixed monthly cost above the whole stack's), ENI setup and subnets to "
            "manage, and protect nothing.",
        )
        acknowledge_checkov(
            self.function,
            "CKV_AWS_173",
            "The environment holds only resource names and settings (table, bus, topic, limits; "
            "tests/infra/test_data_protection.py keeps secrets out of it), which Lambda encrypts at rest with "
            "its AWS managed key; a customer-managed key there would protect no secret.",
        )
        if spec.reserved_concurrency is None:
            acknowledge_checkov(
                self.function,
                "CKV_AWS_115",
                "No reserved concurrency by default, on purpose: new accounts have a concurrency quota of 10 "
                "and Lambda keeps 10 unreserved, so any reservation fails their deploy (docs/deploy.md, "
                "section 6); overlapping invocations are safe (state and idempotence live in DynamoDB). The "
                "watcher's is opt-in (watcherReservedConcurrency), and with it set this is not acknowledged.",
            )

    def _allow_on_any_resource(self, reasons: Mapping[str, str]) -> None:
        """One statement on "*" and one acknowledgment naming every action in it and why."""
        custom = [action for action in reasons if not action.startswith("xray:")]
        if custom:
            self.add_to_policy(iam.PolicyStatement(actions=custom, resources=["*"]))
        acknowledge(
            self.policy,
            iam5_resource("*"),
            "Only actions IAM cannot scope to a resource are granted on '*': "
            + "; ".join(f"{action}: {why}" for action, why in reasons.items())
            + ".",
        )

    def _pin_policy_logical_id(self) -> None:
        """Name the role's policy `<Name>RolePolicy` and make the function depend on it alone.

        CDK also writes `DependsOn: <role>`, which the `Role: GetAtt` already implies (cfn-lint W3005).
        """
        policy_id = f"{self.name}RolePolicy"
        pin_logical_id(self.policy, policy_id)
        function = self.function.node.default_child
        assert isinstance(function, cdk.CfnResource)
        function.add_override("DependsOn", [policy_id])


@dataclass(frozen=True)
class QueueSpec:
    """A dead-letter queue to create: its pinned logical id and what it holds (for alarms and docs)."""

    logical_id: str
    purpose: str


@dataclass(frozen=True)
class AsyncInvoke:
    """Lambda's asynchronous invocation settings, and where an invocation lands once they are spent."""

    retry_attempts: int
    max_event_age: cdk.Duration
    failure_queue: QueueSpec | None = None


class EventDrivenFunction(ServiceFunction):
    """A function EventBridge (rules, Scheduler) invokes asynchronously, written once for every such one.

    - `delivery_queue`: the targets' dead-letter queue, for events EventBridge could not hand to Lambda
      after `TARGET_RETRY_ATTEMPTS` / `TARGET_MAX_EVENT_AGE_SECONDS` (the body is the event itself);
    - the asynchronous invoke config (Lambda's own retries and maximum event age);
    - optionally `failure_queue`, the on-failure destination for invocations that still failed (the
      body is an invocation record with `requestPayload`);
    - `add_rule`: a rule whose one target is this function with the delivery settings above.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        spec: FunctionSpec,
        basics: FunctionBasics,
        key: kms.IKey,
        delivery_queue: QueueSpec,
        invoke: AsyncInvoke,
    ) -> None:
        super().__init__(scope, construct_id, spec=spec, basics=basics)
        self.delivery_queue = self._queue("DeliveryDeadLetters", delivery_queue, key, basics.retain)
        self.failure_queue = (
            self._queue("Failures", invoke.failure_queue, key, basics.retain) if invoke.failure_queue else None
        )
        self.function.configure_async_invoke(
            retry_attempts=invoke.retry_attempts,
            max_event_age=invoke.max_event_age,
            on_failure=QueueDestination(self.failure_queue) if self.failure_queue else None,
        )
        if invoke.failure_queue is not None:
            acknowledge_checkov(
                self.function,
                "CKV_AWS_116",
                "The function has an on-failure destination instead of a DeadLetterConfig "
                f"({invoke.failure_queue.logical_id}, in its EventInvokeConfig): it receives the same failed "
                "asynchronous invocations with more context (requestPayload, the error, the condition), and "
                "a second queue beside it would only split the failures.",
            )

    def target(self) -> targets.LambdaFunction:
        """This function as an EventBridge target: retries, then the delivery dead-letter queue."""
        return targets.LambdaFunction(
            self.function,
            dead_letter_queue=self.delivery_queue.queue,
            retry_attempts=c.TARGET_RETRY_ATTEMPTS,
            max_event_age=cdk.Duration.seconds(c.TARGET_MAX_EVENT_AGE_SECONDS),
        )

    def add_rule(
        self,
        scope: Construct,
        logical_id: str,
        *,
        description: str,
        pattern: events.EventPattern,
        bus: events.IEventBus | None = None,
    ) -> events.Rule:
        """A rule (on `bus`, or the account's default bus) whose one target is this function."""
        rule = events.Rule(
            scope, logical_id, description=description, event_bus=bus, event_pattern=pattern, targets=[self.target()]
        )
        pin_logical_id(rule, logical_id)
        return rule

    def _queue(self, construct_id: str, spec: QueueSpec, key: kms.IKey, retain: bool) -> DeadLetterQueue:
        return DeadLetterQueue(
            self, construct_id, key=key, logical_id=spec.logical_id, purpose=spec.purpose, retain=retain
        )
