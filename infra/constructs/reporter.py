"""The reporter: turns our "AutoML Job State Change" event into a stored report (and a notification claim)."""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from autopilot_reports.settings import ReporterSettings
from infra import constants as c
from infra.config import OutputLocation
from infra.constructs.function import AsyncInvoke, EventDrivenFunction, FunctionBasics, FunctionSpec, QueueSpec
from infra.nag import acknowledge, iam5_resource


class ReporterConstruct(Construct):
    """The reporter function, the rule on our bus that feeds it, and where its failures land.

    Two dead-letter queues, because they hold different things: `ReporterDeliveryDeadLetterQueue`
    holds events EventBridge could not hand to Lambda (the event itself); `ReporterFailureQueue` holds
    invocations that failed after Lambda's retries (an invocation record with `requestPayload`).
    The reporter publishes nothing: its one transaction claims the notification (`notified_at`), and
    the table's stream hands the committed claim to the notifier.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        table: dynamodb.ITable,
        bus: events.IEventBus,
        key: kms.IKey,
        basics: FunctionBasics,
        settings: ReporterSettings,
        output_locations: Sequence[OutputLocation],
        output_kms_keys: Sequence[str],
    ) -> None:
        super().__init__(scope, construct_id)
        any_resource_actions = (
            {
                "sagemaker:ListCandidatesForAutoMLJob": "supports no resource-level permissions (the service "
                "authorization reference lists no resource type for it)"
            }
            if settings.leaderboard_size > 0
            else {}
        )
        self.reporter = EventDrivenFunction(
            self,
            "Reporter",
            spec=FunctionSpec(
                name="Reporter",
                handler=c.REPORTER_HANDLER,
                description="autopilot-reports reporter: describes the job, reads explainability and the "
                "leaderboard, stores the report and claims its notification",
                settings=settings,
                memory_mb=c.reporter_memory_mb(settings.analysis_max_bytes),
                timeout_seconds=c.REPORTER_TIMEOUT_SECONDS,
                any_resource_actions=any_resource_actions,
            ),
            basics=basics,
            key=key,
            delivery_queue=QueueSpec(
                logical_id="ReporterDeliveryDeadLetterQueue",
                purpose="state-change events EventBridge could not deliver to the reporter",
            ),
            invoke=AsyncInvoke(
                retry_attempts=c.REPORTER_RETRY_ATTEMPTS,
                max_event_age=cdk.Duration.seconds(c.REPORTER_MAX_EVENT_AGE_SECONDS),
                failure_queue=QueueSpec(
                    logical_id="ReporterFailureQueue",
                    purpose="reporter invocations that still failed after Lambda's asynchronous retries",
                ),
            ),
        )
        self.function = self.reporter.function
        self.delivery_dead_letter_queue = self.reporter.delivery_queue
        assert self.reporter.failure_queue is not None
        self.failure_queue = self.reporter.failure_queue
        self._grant(table, output_locations, output_kms_keys)
        self.rule = self.reporter.add_rule(
            self,
            "StateChangeRule",
            description="autopilot-reports: every AutoML job state change goes to the reporter",
            pattern=events.EventPattern(source=[c.EVENT_SOURCE], detail_type=[c.STATE_CHANGE_DETAIL_TYPE]),
            bus=bus,
        )

    # --- permissions ---------------------------------------------------------------------------------
    def _grant(self, table: dynamodb.ITable, locations: Sequence[OutputLocation], kms_keys: Sequence[str]) -> None:
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
        for location in locations:
            self._grant_read(location)
        if kms_keys:
            self._grant_decrypt(kms_keys)
        # One TransactWriteItems: update the latest record, put a history item, and condition-check
        # the watcher's item (the cancelled item comes back with the cancellation: no read needed).
        self.reporter.add_to_policy(
            iam.PolicyStatement(
                actions=[
                    "dynamodb:PutItem",
                    "dynamodb:UpdateItem",
                    "dynamodb:ConditionCheckItem",
                ],
                resources=[table.table_arn],
            ),
        )

    def _grant_read(self, location: OutputLocation) -> None:
        """ListBucket (limited to the prefix) and GetObject of the Clarify analysis.json files under one
        configured output location: the reporter lists an Explainability prefix and reads the one
        analysis.json in it; the report files beside it are only linked, never read."""
        bucket_arn = cdk.Fn.sub(f"arn:${{AWS::Partition}}:s3:::{location.bucket}")
        objects = f"{location.prefix}/*/{c.ANALYSIS_FILE}" if location.prefix else f"*/{c.ANALYSIS_FILE}"
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
            "Reads Clarify's analysis.json files (no other object) under a configured Autopilot output "
            "location; job and candidate folders are named by SageMaker at run time.",
        )

    def _grant_decrypt(self, kms_keys: Sequence[str]) -> None:
        """Objects encrypted with a customer key (SSE-KMS): Decrypt on exactly those keys, through S3 only."""
        self.reporter.add_to_policy(
            iam.PolicyStatement(
                actions=["kms:Decrypt"],
                resources=list(kms_keys),
                conditions={"StringEquals": {"kms:ViaService": f"s3.{cdk.Aws.REGION}.amazonaws.com"}},
            )
        )


def _nag_text(text: str) -> str:
    """How cdk-nag prints a Fn::Sub placeholder in a finding id."""
    return text.replace("${", "<").replace("}", ">")
