"""The reporter: turns our "AutoML Job State Change" event into a stored report and a notification."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from constructs import Construct

from infra import constants as c
from infra.config import OutputLocation, StackConfig
from infra.constructs.encryption import SENDER_KEY_ACTIONS
from infra.constructs.function import ServiceFunction
from infra.constructs.queues import DeadLetterQueue, QueueDestination
from infra.ids import pin_logical_id
from infra.nag import acknowledge, iam5_resource


class Reporter(Construct):
    """The reporter function, the rule on our bus that feeds it, and where its failures land.

    Two dead-letter queues, because they hold different things: `ReporterDeliveryDeadLetterQueue`
    holds events EventBridge could not hand to Lambda (the event itself); `ReporterFailureQueue` holds
    invocations that failed after Lambda's retries (an invocation record with `requestPayload`).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StackConfig,
        table: dynamodb.ITable,
        topic: sns.ITopic,
        bus: events.IEventBus,
        key: kms.IKey,
        layer: lambda_.ILayerVersion,
    ) -> None:
        super().__init__(scope, construct_id)
        self.delivery_dead_letter_queue = DeadLetterQueue(
            self,
            "DeliveryDeadLetters",
            key=key,
            logical_id="ReporterDeliveryDeadLetterQueue",
            purpose="state-change events EventBridge could not deliver to the reporter",
            retain=config.retain,
        )
        self.failure_queue = DeadLetterQueue(
            self,
            "Failures",
            key=key,
            logical_id="ReporterFailureQueue",
            purpose="reporter invocations that still failed after Lambda's asynchronous retries",
            retain=config.retain,
        )
        self.reporter = ServiceFunction(
            self,
            "Reporter",
            name="Reporter",
            handler=c.REPORTER_HANDLER,
            description="autopilot-reports reporter: describes the job, reads explainability, stores, notifies",
            environment={
                c.ENV_TABLE_NAME: table.table_name,
                c.ENV_TOPIC_ARN: topic.topic_arn,
                c.ENV_TOP_FEATURES: str(config.top_features),
                c.ENV_ANALYSIS_MAX_BYTES: str(config.analysis_max_bytes),
                c.ENV_NOTIFY_STATUSES: ",".join(config.notify_statuses),
            },
            memory_mb=c.reporter_memory_mb(config.analysis_max_bytes),
            timeout_seconds=c.REPORTER_TIMEOUT_SECONDS,
            layer=layer,
            log_retention_days=config.log_retention_days,
            retain_logs=config.retain,
            any_resource_actions={
                "sagemaker:ListCandidatesForAutoMLJob": "supports no resource-level permissions (the service "
                "authorization reference lists no resource type for it)"
            },
        )
        self._grant(config, table, topic, key)
        self.reporter.function.configure_async_invoke(
            retry_attempts=c.REPORTER_RETRY_ATTEMPTS,
            max_event_age=cdk.Duration.seconds(c.REPORTER_MAX_EVENT_AGE_SECONDS),
            on_failure=QueueDestination(self.failure_queue),
        )
        self.reporter.pin_policy_logical_id("Reporter")

        self.rule = events.Rule(
            self,
            "StateChangeRule",
            event_bus=bus,
            description="autopilot-reports: every AutoML job state change goes to the reporter",
            event_pattern=events.EventPattern(source=[c.EVENT_SOURCE], detail_type=[c.STATE_CHANGE_DETAIL_TYPE]),
            targets=[
                targets.LambdaFunction(
                    self.reporter.function,
                    dead_letter_queue=self.delivery_dead_letter_queue.queue,
                    retry_attempts=c.TARGET_RETRY_ATTEMPTS,
                    max_event_age=cdk.Duration.seconds(c.TARGET_MAX_EVENT_AGE_SECONDS),
                )
            ],
        )
        pin_logical_id(self.rule, "StateChangeRule")

    # --- permissions ---------------------------------------------------------------------------------
    def _grant(self, config: StackConfig, table: dynamodb.ITable, topic: sns.ITopic, key: kms.IKey) -> None:
        stack = cdk.Stack.of(self)
        automl_jobs = stack.format_arn(service="sagemaker", resource="automl-job", resource_name="*")
        self.reporter.add_to_policy(
            iam.PolicyStatement(
                actions=["sagemaker:DescribeAutoMLJob", "sagemaker:DescribeAutoMLJobV2"], resources=[automl_jobs]
            )
        )
        acknowledge(
            self.reporter.policy,
            iam5_resource("arn:<AWS::Partition>:sagemaker:<AWS::Region>:<AWS::AccountId>:automl-job/*"),
            "Describe calls are scoped to this account and region's AutoML jobs; jobs are created by other "
            "teams under any name, so the job part of the ARN cannot be narrowed further.",
        )
        for location in config.output_location_parts:
            self._grant_read(location)
        self.reporter.add_to_policy(
            iam.PolicyStatement(
                actions=[
                    "dynamodb:GetItem",
                    "dynamodb:PutItem",
                    "dynamodb:UpdateItem",
                    "dynamodb:ConditionCheckItem",
                ],
                resources=[table.table_arn],
            ),
            iam.PolicyStatement(actions=["sns:Publish"], resources=[topic.topic_arn]),
            iam.PolicyStatement(actions=list(SENDER_KEY_ACTIONS), resources=[key.key_arn]),
        )

    def _grant_read(self, location: OutputLocation) -> None:
        """ListBucket (limited to the prefix) and GetObject under one configured output location."""
        bucket_arn = cdk.Fn.sub(f"arn:${{AWS::Partition}}:s3:::{location.bucket}")
        objects = f"{location.prefix}/*" if location.prefix else "*"
        list_statement = iam.PolicyStatement(actions=["s3:ListBucket"], resources=[bucket_arn])
        if location.prefix:
            list_statement.add_condition("StringLike", {"s3:prefix": [location.prefix, f"{location.prefix}/*"]})
        self.reporter.add_to_policy(
            list_statement,
            iam.PolicyStatement(
                actions=["s3:GetObject"],
                resources=[cdk.Fn.sub(f"arn:${{AWS::Partition}}:s3:::{location.bucket}/{objects}")],
            ),
        )
        acknowledge(
            self.reporter.policy,
            iam5_resource(f"arn:<AWS::Partition>:s3:::{_nag_text(location.bucket)}/{objects}"),
            "Reads Clarify output (analysis.json and report files) under a configured Autopilot output "
            "location; job and candidate folders are named by SageMaker at run time.",
        )


def _nag_text(text: str) -> str:
    """How cdk-nag prints a Fn::Sub placeholder in a finding id."""
    return text.replace("${", "<").replace("}", ">")
