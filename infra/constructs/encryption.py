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


class MessagingKeyConstruct(Construct):
    """One rotating CMK for SNS, SQS and the functions' log groups; the key policy admits the services
    that use it as themselves.

    The account root statement CDK writes delegates to IAM, so the functions and the scheduler's role
    get key access through their own (exact) identity policies. Services that act as themselves need
    the key policy: EventBridge writing to a dead-letter queue, CloudWatch alarms publishing to the
    operators' topic, CloudWatch Logs encrypting the functions' log groups.
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
        self._admit_service("events.amazonaws.com", "EventBridgeDeadLetterQueues")
        self._admit_service("cloudwatch.amazonaws.com", "CloudWatchAlarmsToOperatorsTopic")
        self._admit_cloudwatch_logs()

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
