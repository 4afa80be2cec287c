"""Dead-letter queues: KMS-encrypted, TLS-only, 14 days to look at what failed and redrive it."""

from __future__ import annotations

import aws_cdk as cdk
import jsii
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
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
