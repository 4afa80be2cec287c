"""The coster: the table's stream hands it each terminal record to cost, and each piece of a costing handed on."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from autopilot_reports.settings import CosterSettings
from infra import constants as c
from infra.constructs.function import FunctionBasics, FunctionSpec, ServiceFunction
from infra.constructs.queues import DeadLetterQueue
from infra.constructs.stream import STREAM_READ_ACTIONS, stream_mapping
from infra.nag import acknowledge, iam5_resource

# The child jobs Autopilot launches, by the Describe call that reads each: scoped to this account and region.
CHILD_JOB_RESOURCES = {
    "sagemaker:DescribeTrainingJob": "training-job",
    "sagemaker:DescribeProcessingJob": "processing-job",
    "sagemaker:DescribeTransformJob": "transform-job",
}


class CostingConstruct(Construct):
    """A job's cost after its report, off its hot path (docs/design.md §4, `compute`).

    The reporter's commit of a terminal record reaches the coster through the table's stream, filtered
    to terminal records without `compute`; the coster lists the candidates, describes each distinct child
    job, prices the instance types (the Price List API, cached in the table a week) and writes `compute`
    onto the record. A job with more child jobs than one piece describes hands the rest on by writing its
    progress item, which the same stream mapping delivers as the next piece. Records that still fail
    after the mapping's retries land in `CosterFailureQueue`; the report and its message never wait for
    any of it.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        table: dynamodb.ITable,
        stream_arn: str,
        key: kms.IKey,
        basics: FunctionBasics,
        settings: CosterSettings,
    ) -> None:
        super().__init__(scope, construct_id)
        self.failure_queue = DeadLetterQueue(
            self,
            "Failures",
            key=key,
            logical_id="CosterFailureQueue",
            purpose="stream batches the coster could not cost after its retries (shard and sequence numbers)",
            retain=basics.retain,
        )
        self.coster = ServiceFunction(
            self,
            "Coster",
            spec=FunctionSpec(
                name="Coster",
                handler=c.COSTER_HANDLER,
                description="autopilot-reports coster: after the report, each terminal job's compute time and "
                "estimated cost from its child jobs and the Price List API",
                settings=settings,
                memory_mb=c.COSTER_MEMORY_MB,
                timeout_seconds=c.COSTER_TIMEOUT_SECONDS,
                any_resource_actions={
                    "sagemaker:ListCandidatesForAutoMLJob": "supports no resource-level permissions (the service "
                    "authorization reference lists no resource type for it)",
                    "pricing:GetProducts": "the Price List API supports no resource-level permissions (its "
                    "service authorization reference lists no resource type)",
                },
            ),
            basics=basics,
        )
        self.function = self.coster.function
        self._grant(table, stream_arn)
        self.mapping = stream_mapping(
            self,
            self.coster,
            name="Coster",
            stream_arn=stream_arn,
            failure_queue=self.failure_queue,
            filter_patterns=c.COSTER_FILTER_PATTERNS,
            batch_size=c.COSTER_BATCH_SIZE,
            retry_attempts=c.COSTER_RETRY_ATTEMPTS,
            parallelization_factor=c.COSTER_PARALLELIZATION_FACTOR,
        )

    def _grant(self, table: dynamodb.ITable, stream_arn: str) -> None:
        stack = cdk.Stack.of(self)
        for action, resource_type in CHILD_JOB_RESOURCES.items():
            arn = stack.format_arn(service="sagemaker", resource=resource_type, resource_name="*")
            self.coster.add_to_policy(iam.PolicyStatement(actions=[action], resources=[arn]))
            acknowledge(
                self.coster.policy,
                iam5_resource(f"arn:<AWS::Partition>:sagemaker:<AWS::Region>:<AWS::AccountId>:{resource_type}/*"),
                "Describe calls are scoped to this account and region's jobs of that kind; Autopilot names its "
                "child jobs at run time, so the job part of the ARN cannot be narrowed further.",
            )
        # Cached prices (BatchGetItem, BatchWriteItem), the progress item of a job's costing (PutItem,
        # DeleteItem) and the result (UpdateItem of the record and the family, in one transaction).
        self.coster.add_to_policy(
            iam.PolicyStatement(
                actions=[
                    "dynamodb:BatchGetItem",
                    "dynamodb:BatchWriteItem",
                    "dynamodb:PutItem",
                    "dynamodb:UpdateItem",
                    "dynamodb:DeleteItem",
                ],
                resources=[table.table_arn],
            ),
            iam.PolicyStatement(actions=list(STREAM_READ_ACTIONS), resources=[stream_arn]),
        )
