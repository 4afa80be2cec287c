"""The customer-managed KMS key that encrypts the project's topics and queues."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from infra.ids import pin_logical_id

# What SNS and SQS ask KMS for on behalf of a sender (publisher, EventBridge, CloudWatch).
SENDER_KEY_ACTIONS = ("kms:GenerateDataKey", "kms:Decrypt")


class MessagingKeyConstruct(Construct):
    """One rotating CMK for SNS and SQS; the key policy admits the services that send into them.

    The account root statement CDK writes delegates to IAM, so the functions and the scheduler's role
    get key access through their own (exact) identity policies. Services that act as themselves need
    the key policy: EventBridge writing to a dead-letter queue, CloudWatch alarms publishing to the
    operators' topic.
    """

    def __init__(self, scope: Construct, construct_id: str, *, alias_name: str, retain: bool) -> None:
        """`alias_name`: the key's alias, unique per account and region (`alias/<stack name>`)."""
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self,
            "Key",
            description="autopilot-reports: SNS topics and SQS queues",
            enable_key_rotation=True,
            removal_policy=cdk.RemovalPolicy.RETAIN if retain else cdk.RemovalPolicy.DESTROY,
            pending_window=cdk.Duration.days(30) if retain else cdk.Duration.days(7),
        )
        self.key.add_alias(alias_name)
        pin_logical_id(self.key, "MessagingKey")
        self._admit_service("events.amazonaws.com", "EventBridgeDeadLetterQueues")
        self._admit_service("cloudwatch.amazonaws.com", "CloudWatchAlarmsToOperatorsTopic")

    def _admit_service(self, service: str, sid: str) -> None:
        # No source conditions here: SQS and SNS call KMS for the sender without documenting which
        # source context keys they forward, and a silently failing alarm is worse. The confused-deputy
        # guard sits on the queue and topic policies (aws:SourceArn / aws:SourceAccount).
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid=sid,
                principals=[iam.ServicePrincipal(service)],
                actions=list(SENDER_KEY_ACTIONS),
                resources=["*"],
            )
        )
