"""The report store: one DynamoDB table (latest state + history + watermark), queried, never scanned."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct

from infra import constants as c
from infra.checkov import acknowledge_checkov
from infra.ids import pin_logical_id

_S = dynamodb.AttributeType.STRING


class ReportTableConstruct(Construct):
    """Single table with three sparse-able GSIs (by status, by partial failure, recent) and a stream.

    On-demand capacity, point-in-time recovery, encryption at rest with the AWS managed key (no key
    policy to keep in step with the functions), deletion protection while retained. The stream carries
    new and old images: the notifier publishes from the committed record (docs/design.md §5.2), and may
    compare it with the one before.
    """

    def __init__(self, scope: Construct, construct_id: str, *, retain: bool, organization: bool = False) -> None:
        """`organization`: a hub's table, which keys jobs by account, region and name and has two more
        indexes (jobs by account, a name's places: c.ORGANIZATION_INDEXES)."""
        super().__init__(scope, construct_id)
        self.table = dynamodb.Table(
            self,
            "Table",
            partition_key=dynamodb.Attribute(name=c.PARTITION_KEY, type=_S),
            sort_key=dynamodb.Attribute(name=c.SORT_KEY, type=_S),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            stream=dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
            deletion_protection=retain,
            removal_policy=cdk.RemovalPolicy.RETAIN if retain else cdk.RemovalPolicy.DESTROY,
        )
        indexes = {**c.INDEXES, **(c.ORGANIZATION_INDEXES if organization else {})}
        for index_name, (partition_key, sort_key) in indexes.items():
            self.table.add_global_secondary_index(
                index_name=index_name,
                partition_key=dynamodb.Attribute(name=partition_key, type=_S),
                sort_key=dynamodb.Attribute(name=sort_key, type=_S),
                projection_type=dynamodb.ProjectionType.ALL,
            )
        pin_logical_id(self.table, "ReportsTable")
        acknowledge_checkov(
            self.table,
            "CKV_AWS_119",
            "Encrypted at rest with the AWS managed key on purpose (docs/decision_log.md): no key policy to "
            "keep in step with three functions' roles and the stream's event source mapping; the table holds "
            "job reports (names, statuses, metrics), no secrets, and PITR and deletion protection guard it.",
        )

    @property
    def stream_arn(self) -> str:
        arn = self.table.table_stream_arn
        if arn is None:
            raise RuntimeError("the reports table has no stream")
        return arn
