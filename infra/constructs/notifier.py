"""The notifier: the table's stream turns a committed notification claim into one SNS publish."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from constructs import Construct

from autopilot_reports.settings import NotifierSettings
from infra import constants as c
from infra.constructs.encryption import SENDER_KEY_ACTIONS
from infra.constructs.function import FunctionBasics, FunctionSpec, ServiceFunction
from infra.constructs.notifications import reserve_publishing
from infra.constructs.queues import DeadLetterQueue
from infra.constructs.stream import STREAM_READ_ACTIONS, stream_mapping


class NotifierConstruct(Construct):
    """The commit itself leads to the publish (docs/design.md §5.2).

    The reporter's transaction sets `notified_at` on a job's latest record; the stream delivers that
    committed change to the notifier, which publishes, and Lambda retries the batch until it succeeds
    (bisecting to isolate a bad record, reporting partial batch failures), so a reporter killed right
    after its commit cannot lose the notification. Only the commits that lead to a message pass the
    filter: latest-state records carrying a terminal or a "may be stuck" claim, and digests. Records that still fail after the retries, or wait past 24 h (the stream's own
    retention), land in `NotifierFailureQueue` as batch metadata (shard, sequence numbers).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stream_arn: str,
        topic: sns.ITopic,
        key: kms.IKey,
        basics: FunctionBasics,
        settings: NotifierSettings,
        filter_patterns: Sequence[Mapping[str, Any]] = c.NOTIFIER_FILTER_PATTERNS,
    ) -> None:
        """`filter_patterns`: the commits that lead to a message (a hub's add a silent spoke's claim)."""
        super().__init__(scope, construct_id)
        self.failure_queue = DeadLetterQueue(
            self,
            "Failures",
            key=key,
            logical_id="NotifierFailureQueue",
            purpose="stream batches the notifier could not publish after its retries (shard and sequence numbers)",
            retain=basics.retain,
        )
        self.notifier = ServiceFunction(
            self,
            "Notifier",
            spec=FunctionSpec(
                name="Notifier",
                handler=c.NOTIFIER_HANDLER,
                description="autopilot-reports notifier: publishes each claimed terminal notification from the "
                "table's stream",
                settings=settings,
                memory_mb=c.NOTIFIER_MEMORY_MB,
                timeout_seconds=c.NOTIFIER_TIMEOUT_SECONDS,
            ),
            basics=basics,
        )
        self.function = self.notifier.function
        reserve_publishing(topic, self.notifier.role)
        self.notifier.add_to_policy(
            iam.PolicyStatement(actions=["sns:Publish"], resources=[topic.topic_arn]),
            iam.PolicyStatement(actions=list(SENDER_KEY_ACTIONS), resources=[key.key_arn]),
            iam.PolicyStatement(actions=list(STREAM_READ_ACTIONS), resources=[stream_arn]),
        )
        self.mapping = stream_mapping(
            self,
            self.notifier,
            name="Notifier",
            stream_arn=stream_arn,
            failure_queue=self.failure_queue,
            filter_patterns=filter_patterns,
        )
