"""The customer-managed KMS key that encrypts the project's topics, queues and log groups."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from infra.ids import pin_logical_id

# What SNS and SQS ask KMS for on behalf of a sender (publisher, EventBridge, CloudWatch).
SENDER_KEY_ACTIONS = ("kms:GenerateDataKey", "kms:Decrypt")
# What CloudWatch Logs needs to encrypt and read back a log group's data: the statement AWS documents
# in "Encrypt log data in CloudWatch Logs using AWS KMS" (Step 2), word for word.
LOGS_KEY_ACTIONS = ("kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*")
# CloudWatch Logs names the log group in every KMS request's encryption context under this key.
LOGS_ENCRYPTION_CONTEXT = "kms:EncryptionContext:aws:logs:arn"
# SQS names the queue (its ARN) in the encryption context of every KMS request it makes for a sender.
SQS_ENCRYPTION_CONTEXT = "kms:EncryptionContext:aws:sqs:arn"


class MessagingKeyConstruct(Construct):
    """One rotating CMK for SNS, SQS and the functions' log groups; the key policy admits the services
    that use it as themselves.

    The account root statement CDK writes delegates to IAM, so the functions and the scheduler's role
    get key access through their own (exact) identity policies. Services that act as themselves need
    the key policy, each bound to this account and region by the condition AWS documents for it:
    EventBridge writing to a dead-letter queue (the queue in the encryption context), CloudWatch alarms
    publishing to the operators' topic (aws:SourceAccount, aws:SourceArn), CloudWatch Logs encrypting the
    functions' log groups (the log group in the encryption context).
    """

    def __init__(self, scope: Construct, construct_id: str, *, alias_name: str, retain: bool) -> None:
        """`alias_name`: the key's alias, unique per account and region (`alias/<stack name>`)."""
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self,
            "Key",
            description="autopilot-reports: SNS topics, SQS queues and CloudWatch log groups",
            enable_key_rotation=True,
            removal_policy=cdk.RemovalPolicy.RETAIN if retain else cdk.RemovalPolicy.DESTROY,
            pending_window=cdk.Duration.days(30) if retain else cdk.Duration.days(7),
        )
        self.key.add_alias(alias_name)
        pin_logical_id(self.key, "MessagingKey")
        self._admit_eventbridge()
        self._admit_cloudwatch_alarms()
        self._admit_cloudwatch_logs()

    def _admit_eventbridge(self) -> None:
        """EventBridge writing to a queue: a rule target's dead-letter queue (an undeliverable event), or the
        reporter's queue (the state-change rule's target); only for queues of this account and region, by the encryption context SQS puts in every KMS request for a queue
        (`aws:sqs:arn`, the queue's ARN). Not aws:SourceArn / aws:SourceAccount: AWS documents that
        EventBridge's deliveries do not carry them to KMS, so a condition on them would drop every event.
        The queue policies name the rules themselves (aws:SourceArn)."""
        stack = cdk.Stack.of(self)
        queues = stack.format_arn(service="sqs", resource="*", arn_format=cdk.ArnFormat.NO_RESOURCE_NAME)
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="EventBridgeDeadLetterQueues",
                principals=[iam.ServicePrincipal("events.amazonaws.com")],
                actions=list(SENDER_KEY_ACTIONS),
                resources=["*"],
                conditions={"ArnLike": {SQS_ENCRYPTION_CONTEXT: queues}},
            )
        )

    def _admit_cloudwatch_alarms(self) -> None:
        """CloudWatch alarms publishing to the operators' topic: only this account's alarms of this region,
        the aws:SourceAccount / aws:SourceArn conditions the SNS guide documents for AWS services that
        publish to an encrypted topic (as on the topic's own policy)."""
        stack = cdk.Stack.of(self)
        alarms = stack.format_arn(
            service="cloudwatch", resource="alarm", resource_name="*", arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME
        )
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsToOperatorsTopic",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=list(SENDER_KEY_ACTIONS),
                resources=["*"],
                conditions={
                    "StringEquals": {"aws:SourceAccount": stack.account},
                    "ArnLike": {"aws:SourceArn": alarms},
                },
            )
        )

    def _admit_cloudwatch_logs(self) -> None:
        """CloudWatch Logs of this region, for log groups of this account only.

        The principal is regional (`logs.<region>.<URL suffix>`: `amazonaws.com.cn` in China). The
        condition cannot name our three log groups: they reference the key, and CloudFormation names
        them, so their ARNs would make a cycle; the account and region bound it instead, as AWS's
        own account-wide example does.
        """
        stack = cdk.Stack.of(self)
        log_groups = stack.format_arn(
            service="logs",
            resource="log-group",
            resource_name="*",
            arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
        )
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchLogsOfThisAccount",
                principals=[iam.ServicePrincipal(f"logs.{stack.region}.{stack.url_suffix}")],
                actions=list(LOGS_KEY_ACTIONS),
                resources=["*"],
                conditions={"ArnLike": {LOGS_ENCRYPTION_CONTEXT: log_groups}},
            )
        )
