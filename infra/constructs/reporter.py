"""The reporter: turns our "AutoML Job State Change" event into a stored report (and a notification claim)."""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from autopilot_reports.settings import ReporterSettings
from infra import constants as c
from infra.checkov import acknowledge_checkov
from infra.config import OutputLocation
from infra.constructs.function import FunctionBasics, FunctionSpec, ServiceFunction
from infra.constructs.queues import DeadLetterQueue, QueueTarget, WorkQueue
from infra.ids import pin_logical_id
from infra.nag import acknowledge, iam5_resource

# What Lambda's polling of an SQS queue needs of the function's role (and kms:Decrypt on the queue's key).
QUEUE_POLL_ACTIONS = ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes")


class ReporterConstruct(Construct):
    """The reporter function, the queue in front of it and the rule on our bus that fills it, and where
    failures land (docs/design.md §2.3).

    - `ReporterQueue`: the state-change rule's target. An event source mapping hands the reporter batches of
      `REPORTER_BATCH_SIZE`, at most `max_concurrency` invocations at once (ScalingConfig: no reserved
      concurrency, so the stack deploys in a new account, and a burst never takes more of the account's
      executions than that); the reporter reports failed jobs back (ReportBatchItemFailures);
    - `ReporterFailureQueue`: the queue's dead-letter queue: events the reporter failed on
      `REPORTER_QUEUE_MAX_RECEIVES` times, as they were queued (redrive them with a message move task);
    - `ReporterDeliveryDeadLetterQueue`: events EventBridge could not put in the queue.
    The reporter publishes nothing: its one transaction claims the notification (`notified_at`), and the
    table's stream hands the committed claim to the notifier.
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
        max_concurrency: int,
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
        self.reporter = ServiceFunction(
            self,
            "Reporter",
            spec=FunctionSpec(
                name="Reporter",
                handler=c.REPORTER_HANDLER,
                description="autopilot-reports reporter: describes each job, reads explainability and the "
                "leaderboard, stores the report and claims its notification",
                settings=settings,
                memory_mb=c.reporter_memory_mb(settings.analysis_max_bytes),
                timeout_seconds=c.REPORTER_TIMEOUT_SECONDS,
                any_resource_actions=any_resource_actions,
            ),
            basics=basics,
        )
        self.function = self.reporter.function
        self.delivery_dead_letter_queue = DeadLetterQueue(
            self,
            "DeliveryDeadLetters",
            key=key,
            logical_id="ReporterDeliveryDeadLetterQueue",
            purpose="state-change events EventBridge could not put in the reporter's queue",
            retain=basics.retain,
        )
        self.failure_queue = DeadLetterQueue(
            self,
            "Failures",
            key=key,
            logical_id="ReporterFailureQueue",
            purpose=f"state-change events the reporter failed on {c.REPORTER_QUEUE_MAX_RECEIVES} times (the events "
            "as queued; redrive them to ReporterQueue)",
            retain=basics.retain,
        )
        self.queue = WorkQueue(
            self,
            "Queue",
            key=key,
            logical_id="ReporterQueue",
            visibility_timeout=cdk.Duration.seconds(c.REPORTER_QUEUE_VISIBILITY_SECONDS),
            retention=cdk.Duration.days(c.REPORTER_QUEUE_RETENTION_DAYS),
            dead_letter_queue=self.failure_queue,
            max_receive_count=c.REPORTER_QUEUE_MAX_RECEIVES,
            retain=basics.retain,
        )
        self._grant(table, output_locations, output_kms_keys)
        self.mapping = self._mapping(key, max_concurrency)
        self.rule = events.Rule(
            self,
            "StateChangeRule",
            description="autopilot-reports: every AutoML job state change goes to the reporter's queue",
            event_bus=bus,
            event_pattern=events.EventPattern(source=[c.EVENT_SOURCE], detail_type=[c.STATE_CHANGE_DETAIL_TYPE]),
            targets=[
                QueueTarget(
                    self.queue,
                    self.delivery_dead_letter_queue,
                    retry_attempts=c.TARGET_RETRY_ATTEMPTS,
                    max_event_age=cdk.Duration.seconds(c.TARGET_MAX_EVENT_AGE_SECONDS),
                )
            ],
        )
        pin_logical_id(self.rule, "StateChangeRule")

    def _mapping(self, key: kms.IKey, max_concurrency: int) -> lambda_.EventSourceMapping:
        """Lambda polls the queue as the reporter's role: exactly what the polling needs."""
        queue = self.queue.queue
        self.reporter.add_to_policy(
            iam.PolicyStatement(actions=list(QUEUE_POLL_ACTIONS), resources=[queue.queue_arn]),
            iam.PolicyStatement(actions=["kms:Decrypt"], resources=[key.key_arn]),
        )
        mapping = lambda_.EventSourceMapping(
            self,
            "QueueMapping",
            target=self.function,
            event_source_arn=queue.queue_arn,
            batch_size=c.REPORTER_BATCH_SIZE,
            max_concurrency=max_concurrency,
            report_batch_item_failures=True,
        )
        pin_logical_id(mapping, "ReporterQueueMapping")
        mapping.node.add_dependency(self.reporter.policy)  # Lambda checks the role's queue access on creation
        acknowledge_checkov(
            self.function,
            "CKV_AWS_116",
            "The reporter is invoked synchronously by its queue's event source mapping, and a function's "
            "DeadLetterConfig applies to asynchronous invocations only; a message the reporter fails on "
            f"{c.REPORTER_QUEUE_MAX_RECEIVES} times moves to the queue's own dead-letter queue, ReporterFailureQueue.",
        )
        return mapping

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
