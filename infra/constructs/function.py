"""One Lambda function the way this project runs them all."""

from __future__ import annotations

from collections.abc import Mapping

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from infra import constants as c
from infra.ids import pin_logical_id
from infra.nag import acknowledge, iam5_resource


def powertools_layer(scope: Construct) -> lambda_.ILayerVersion:
    """The public Powertools layer for the version in requirements.txt, resolved by CloudFormation.

    `value_for_string_parameter` becomes an `AWS::SSM::Parameter::Value<String>` template parameter:
    no lookup at synth, the deploying region's own ARN at deploy.
    """
    arn = ssm.StringParameter.value_for_string_parameter(scope, c.powertools_ssm_parameter())
    return lambda_.LayerVersion.from_layer_version_arn(scope, "PowertoolsLayer", arn)


class ServiceFunction(Construct):
    """A Python 3.13 function with its own role, log group (JSON logs, retention), X-Ray and Powertools.

    The role starts empty (no AWSLambdaBasicExecutionRole): it may write to its own log group, and
    each capability adds exact statements through `add_to_policy`.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name: str,
        handler: str,
        description: str,
        environment: Mapping[str, str],
        memory_mb: int,
        timeout_seconds: int,
        layer: lambda_.ILayerVersion,
        log_retention_days: int,
        retain_logs: bool,
        reserved_concurrency: int | None = None,
        any_resource_actions: Mapping[str, str] | None = None,
    ) -> None:
        """`any_resource_actions`: action → why IAM cannot scope it (granted on "*", acknowledged)."""
        super().__init__(scope, construct_id)
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"autopilot-reports {name}: exact permissions, nothing managed",
        )
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            retention=_retention(log_retention_days),
            removal_policy=cdk.RemovalPolicy.RETAIN if retain_logs else cdk.RemovalPolicy.DESTROY,
        )
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["logs:CreateLogStream", "logs:PutLogEvents"], resources=[self.log_group.log_group_arn]
            )
        )
        self.function = lambda_.Function(
            self,
            "Function",
            description=description,
            runtime=lambda_.Runtime.PYTHON_3_13,
            architecture=lambda_.Architecture.X86_64,
            handler=handler,
            code=lambda_.Code.from_asset(str(c.LAMBDA_ASSET_DIR), exclude=list(c.LAMBDA_ASSET_EXCLUDE)),
            layers=[layer],
            role=self.role,
            memory_size=memory_mb,
            timeout=cdk.Duration.seconds(timeout_seconds),
            reserved_concurrent_executions=reserved_concurrency,
            tracing=lambda_.Tracing.ACTIVE,
            log_group=self.log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            application_log_level_v2=lambda_.ApplicationLogLevel.INFO,
            system_log_level_v2=lambda_.SystemLogLevel.WARN,
            environment={
                "POWERTOOLS_SERVICE_NAME": c.metric_names.SERVICE,
                "POWERTOOLS_METRICS_NAMESPACE": c.metric_names.NAMESPACE,
                "POWERTOOLS_LOG_LEVEL": c.POWERTOOLS_LOG_LEVEL,
                **environment,
            },
        )
        pin_logical_id(self.function, f"{name}Function")
        pin_logical_id(self.role, f"{name}Role")
        pin_logical_id(self.log_group, f"{name}LogGroup")
        acknowledge(
            self.function,
            "AwsSolutions-L1",
            "Python 3.13 on purpose: it is the runtime the handlers are tested on and the one the pinned "
            "Powertools layer is resolved for (/aws/service/powertools/python/x86_64/python3.13/<version>); "
            "moving to a newer runtime changes the layer path, the tests and this line together.",
        )
        self._allow_on_any_resource(
            {
                "xray:PutTraceSegments": "no resource-level permissions (added by Tracing.ACTIVE)",
                "xray:PutTelemetryRecords": "no resource-level permissions (added by Tracing.ACTIVE)",
                **(any_resource_actions or {}),
            }
        )

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

    def pin_policy_logical_id(self, name: str) -> None:
        """Name the role's policy `<Name>RolePolicy` and make the function depend on it alone.

        CDK also writes `DependsOn: <role>`, which the `Role: GetAtt` already implies (cfn-lint W3005).
        """
        policy_id = f"{name}RolePolicy"
        pin_logical_id(self.policy, policy_id)
        function = self.function.node.default_child
        assert isinstance(function, cdk.CfnResource)
        function.add_override("DependsOn", [policy_id])


_RETENTION = {
    1: logs.RetentionDays.ONE_DAY,
    3: logs.RetentionDays.THREE_DAYS,
    5: logs.RetentionDays.FIVE_DAYS,
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    60: logs.RetentionDays.TWO_MONTHS,
    90: logs.RetentionDays.THREE_MONTHS,
    120: logs.RetentionDays.FOUR_MONTHS,
    150: logs.RetentionDays.FIVE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
    400: logs.RetentionDays.THIRTEEN_MONTHS,
    545: logs.RetentionDays.EIGHTEEN_MONTHS,
    731: logs.RetentionDays.TWO_YEARS,
    1096: logs.RetentionDays.THREE_YEARS,
    1827: logs.RetentionDays.FIVE_YEARS,
    2192: logs.RetentionDays.SIX_YEARS,
    2557: logs.RetentionDays.SEVEN_YEARS,
    2922: logs.RetentionDays.EIGHT_YEARS,
    3288: logs.RetentionDays.NINE_YEARS,
    3653: logs.RetentionDays.TEN_YEARS,
}


def _retention(days: int) -> logs.RetentionDays:
    return _RETENTION[days]
