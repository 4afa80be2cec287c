"""A function the table's stream feeds (the notifier, the coster, a spoke's forwarder): what it may read of
the stream, and its event source mapping."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra import constants as c
from infra.checkov import acknowledge_checkov
from infra.constructs.function import ServiceFunction
from infra.constructs.queues import DeadLetterQueue, StreamFailureDestination
from infra.ids import pin_logical_id

STREAM_READ_ACTIONS = (
    "dynamodb:DescribeStream",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
    "dynamodb:ListStreams",
)


def stream_mapping(
    scope: Construct,
    consumer: ServiceFunction,
    *,
    name: str,
    stream_arn: str,
    failure_queue: DeadLetterQueue,
    filter_patterns: Sequence[Mapping[str, Any]],
    batch_size: int = c.STREAM_BATCH_SIZE,
    retry_attempts: int = c.STREAM_RETRY_ATTEMPTS,
    report_batch_item_failures: bool = True,
    parallelization_factor: int | None = None,
) -> lambda_.EventSourceMapping:
    """`consumer`'s mapping of the stream (pinned `<name>StreamMapping`): from the oldest record, a failing
    batch halved until the bad record is alone, records older than the stream's retention and batches still
    failing after the retries sent to `failure_queue` (`<name>FailureQueue`). Created after the consumer's
    policy: the mapping validates its role's stream access when it is created."""
    mapping = lambda_.EventSourceMapping(
        scope,
        "StreamMapping",
        target=consumer.function,
        event_source_arn=stream_arn,
        starting_position=lambda_.StartingPosition.TRIM_HORIZON,
        batch_size=batch_size,
        parallelization_factor=parallelization_factor,
        bisect_batch_on_error=True,
        report_batch_item_failures=report_batch_item_failures,
        retry_attempts=retry_attempts,
        max_record_age=cdk.Duration.hours(c.STREAM_MAX_RECORD_AGE_HOURS),
        on_failure=StreamFailureDestination(failure_queue),
        filters=[{"pattern": json.dumps(pattern, separators=(",", ":"))} for pattern in filter_patterns],
    )
    pin_logical_id(mapping, f"{name}StreamMapping")
    acknowledge_checkov(
        consumer.function,
        "CKV_AWS_116",
        f"The {name.lower()} is invoked synchronously by its stream's event source mapping, and a function's "
        "DeadLetterConfig applies to asynchronous invocations only; batches that still fail after the "
        f"mapping's retries go to the mapping's on-failure destination, {name}FailureQueue.",
    )
    mapping.node.add_dependency(consumer.policy)
    return mapping
