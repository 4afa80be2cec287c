"""Queues: dead-letter queues (KMS-encrypted, TLS-only, 14 days to look at what failed and redrive it), the
reporter's work queue, and the one way a rule sends to a queue."""

from __future__ import annotations

import aws_cdk as cdk
import jsii
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from aws_cdk.interfaces import aws_events as events_interfaces
from constructs import Construct

from infra import constants as c
from infra.constructs.encryption import SENDER_KEY_ACTIONS
from infra.ids import pin_logical_id
from infra.nag import acknowledge


class DeadLetterQueue(Construct):
    """A queue that only ever holds failed deliveries, waiting for an operator's redrive."""

    def __init__(
        self, scope: Construct, construct_id: str, *, key: kms.IKey, logical_id: str, purpose: str, retain: bool
    ) -> None:
        super().__init__(scope, construct_id)
        self.purpose = purpose
        self.queue = sqs.Queue(
            self,
            "Queue",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=key,
            data_key_reuse=cdk.Duration.hours(1),  # fewer KMS calls for a queue read by people, not code
            enforce_ssl=True,
            retention_period=cdk.Duration.days(c.QUEUE_RETENTION_DAYS),
            removal_policy=cdk.RemovalPolicy.RETAIN if retain else cdk.RemovalPolicy.DESTROY,
        )
        pin_logical_id(self.queue, logical_id)
        acknowledge(
            self.queue,
            "AwsSolutions-SQS3",
            f"This queue is itself a dead-letter queue ({purpose}); a DLQ of a DLQ would only hide failures.",
        )

    def grant_send(self, grantee: iam.IGrantable) -> None:
        """Exactly what a sender needs: SendMessage on this queue, data keys from its CMK."""
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(actions=["sqs:SendMessage"], resources=[self.queue.queue_arn])
        )
        self.grant_key_use(grantee)

    def grant_key_use(self, grantee: iam.IGrantable) -> None:
        """Data keys from the queue's CMK (for senders whose SendMessage is granted elsewhere)."""
        key = self.queue.encryption_master_key
        if key is not None:
            grantee.grant_principal.add_to_principal_policy(
                iam.PolicyStatement(actions=list(SENDER_KEY_ACTIONS), resources=[key.key_arn])
            )


@jsii.implements(lambda_.IDestination)
class QueueDestination:
    """Lambda async on-failure destination that leaves the grant to `DeadLetterQueue.grant_send`.

    CDK's SqsDestination grants `sqs:Send*` plus `kms:Encrypt/ReEncrypt*/GenerateDataKey*`; this one
    lets the function's policy stay exact.
    """

    def __init__(self, dead_letter_queue: DeadLetterQueue) -> None:
        self._dlq = dead_letter_queue

    def bind(
        self,
        _scope: Construct,
        fn: lambda_.IFunction,
        *,
        type: lambda_.DestinationType | None = None,  # noqa: A002
    ) -> lambda_.DestinationConfig:
        self._dlq.grant_send(fn)
        return lambda_.DestinationConfig(destination=self._dlq.queue.queue_arn)


@jsii.implements(lambda_.IEventSourceDlq)
class StreamFailureDestination:
    """Event source mapping on-failure destination that leaves the grant to `DeadLetterQueue.grant_send`.

    CDK's SqsDlq grants `sqs:SendMessage`, `sqs:GetQueueAttributes`, `sqs:GetQueueUrl` and
    `kms:Encrypt/ReEncrypt*/GenerateDataKey*/Decrypt`; Lambda sends the batch's metadata as the function's
    role and needs only SendMessage and a data key.
    """

    def __init__(self, dead_letter_queue: DeadLetterQueue) -> None:
        self._dlq = dead_letter_queue

    def bind(
        self, _target: lambda_.IEventSourceMapping, target_handler: lambda_.IFunction
    ) -> lambda_.DlqDestinationConfig:
        self._dlq.grant_send(target_handler)
        return lambda_.DlqDestinationConfig(destination=self._dlq.queue.queue_arn)


class WorkQueue(Construct):
    """A queue that holds work for a function's event source mapping: KMS-encrypted, TLS-only, and a
    message received `max_receive_count` times moves to `dead_letter_queue`, as itself (the body is what
    was sent: a message move task redrives it back)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        key: kms.IKey,
        logical_id: str,
        visibility_timeout: cdk.Duration,
        retention: cdk.Duration,
        dead_letter_queue: DeadLetterQueue,
        max_receive_count: int,
        retain: bool,
    ) -> None:
        super().__init__(scope, construct_id)
        self.dead_letter_queue = dead_letter_queue
        self.queue = sqs.Queue(
            self,
            "Queue",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=key,
            data_key_reuse=cdk.Duration.hours(1),  # fewer KMS calls for the sender and the mapping's reads
            enforce_ssl=True,
            visibility_timeout=visibility_timeout,
            retention_period=retention,
            dead_letter_queue=sqs.DeadLetterQueue(queue=dead_letter_queue.queue, max_receive_count=max_receive_count),
            removal_policy=cdk.RemovalPolicy.RETAIN if retain else cdk.RemovalPolicy.DESTROY,
        )
        pin_logical_id(self.queue, logical_id)


def admit_rule(queue: sqs.IQueue, rule: events_interfaces.IRuleRef) -> None:
    """EventBridge may send to `queue` for `rule` only (aws:SourceArn: the confused-deputy guard)."""
    queue.add_to_resource_policy(
        iam.PolicyStatement(
            sid=f"AllowEventRule{cdk.Names.node_unique_id(rule.node)}",
            principals=[iam.ServicePrincipal("events.amazonaws.com")],
            actions=["sqs:SendMessage"],
            resources=[queue.queue_arn],
            conditions={"ArnEquals": {"aws:SourceArn": rule.rule_ref.rule_arn}},
        )
    )


@jsii.implements(events.IRuleTarget)
class QueueTarget:
    """A rule's target that is an SQS queue, with EventBridge's retries and a dead-letter queue for what it
    could not deliver (`delivery_queue`).

    CDK's SqsQueue target admits EventBridge to a KMS-encrypted queue without the rule's aws:SourceArn
    condition (it would make a cycle through the key policy) and grants EventBridge on the key itself; here
    the condition sits in the queue policy (no cycle), and the stack's key admits EventBridge already
    (constructs/encryption.py), so nothing else widens."""

    def __init__(
        self, queue: WorkQueue, delivery_queue: DeadLetterQueue, *, retry_attempts: int, max_event_age: cdk.Duration
    ) -> None:
        self._queue = queue
        self._delivery_queue = delivery_queue
        self._retry_attempts = retry_attempts
        self._max_event_age = max_event_age

    def bind(self, rule: events_interfaces.IRuleRef, id: str | None = None) -> events.RuleTargetConfig:  # noqa: A002
        admit_rule(self._queue.queue, rule)
        admit_rule(self._delivery_queue.queue, rule)
        return events.RuleTargetConfig(
            arn=self._queue.queue.queue_arn,
            dead_letter_config=events.CfnRule.DeadLetterConfigProperty(arn=self._delivery_queue.queue.queue_arn),
            retry_policy=events.CfnRule.RetryPolicyProperty(
                maximum_retry_attempts=self._retry_attempts,
                maximum_event_age_in_seconds=int(self._max_event_age.to_seconds()),
            ),
        )
