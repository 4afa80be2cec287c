"""A deployment's SQS queues that a Lambda event source mapping reads, delivered as Lambda polls them.

The sandbox keeps these queues' messages itself, not in moto: moto scans and copies a whole queue on every
ReceiveMessage of at most 10 (sandbox/event_delivery.py says what that cost its taps), and the mapping's
ReceiveMessage and DeleteMessage are Lambda's own polling, never the function's calls (so they are not
counted as the function's either). What a rule sends to such a queue lands here; the mapping hands the
function batches of up to its BatchSize, as the SQS event Lambda builds
(`{"Records": [{"messageId", "receiptHandle", "body", "attributes", ...}]}`); a message the function
reports failed (ReportBatchItemFailures), or every message of a failed invocation, becomes visible again
after the queue's visibility timeout, and once received maxReceiveCount times it moves to the queue's
dead-letter queue (its RedrivePolicy), as SQS moves it. A function that asks the queue how many messages
it holds (GetQueueAttributes) is answered from here.

Without a scenario's `lambda` block every message is delivered at once (a visibility timeout elapses at
once); with it, each mapping is a poller of the account (sandbox/concurrency.py): batches of the messages
visible when an invocation starts, at most MaximumConcurrency invocations at a time.
"""

from __future__ import annotations

import hashlib
import heapq
import itertools
import json
import math
import uuid
from dataclasses import dataclass, field
from typing import Any

from botocore.awsrequest import AWSResponse

from sandbox.concurrency import Work
from sandbox.lambda_runtime import LambdaRuntime
from sandbox.template import QueueMappingSpec, QueueSpec, StackModel

# GetQueueAttributes names the model answers (the rest moto answers: the queue exists there too)
COUNTS = ("ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed")
SENDER = "AIDAIEVENTBRIDGESANDBOX"
REQUEST_KEY = "sandbox_queue_request"
# A queue without a redrive policy keeps a failing message until its retention period ends; the sandbox
# gives up on it after this many receives (counted failed), so a run always ends.
RECEIVES_WITHOUT_REDRIVE = 100


@dataclass(order=True)
class Message:
    visible_at: float
    order: int
    body: str = field(compare=False)
    sent_at: float = field(compare=False)
    message_id: str = field(compare=False, default_factory=lambda: str(uuid.uuid4()))
    receive_count: int = field(compare=False, default=0)
    first_received_at: float | None = field(compare=False, default=None)


@dataclass
class ModelledQueue:
    spec: QueueSpec
    arn: str
    url: str
    messages: list[Message] = field(default_factory=list)  # a heap, by when each is visible
    in_flight: int = 0

    def next_visible(self) -> float | None:
        return self.messages[0].visible_at if self.messages else None


class QueueDelivery:
    """The deployment's queues read by event source mappings, and those mappings."""

    def __init__(self, stack: StackModel, runtime: LambdaRuntime) -> None:
        self.stack = stack
        self.runtime = runtime
        self.mappings = {mapping.queue_id: mapping for mapping in stack.queue_mappings}
        place = stack.place
        self.queues = {
            queue_id: ModelledQueue(
                stack.queue_specs[queue_id],
                arn=f"arn:aws:sqs:{place.region}:{place.account}:{queue_id}",
                url=f"https://sqs.{place.region}.amazonaws.com/{place.account}/{queue_id}",
            )
            for queue_id in self.mappings
        }
        self._order = itertools.count()
        self.pollers: dict[str, QueuePoller] = {}
        if runtime.account is not None:
            for mapping in stack.queue_mappings:
                self.pollers[mapping.queue_id] = poller = QueuePoller(self, mapping)
                runtime.account.add(poller)

    def now(self) -> float:
        return self.runtime.clock.due()

    # --- what a rule sends ---------------------------------------------------------------------------------

    def send(self, queue_id: str, event: dict[str, Any]) -> None:
        """EventBridge's delivery to an SQS target: the event, as JSON, is the message body."""
        queue = self.queues.get(queue_id)
        if queue is None:  # a queue no mapping reads: moto keeps it (nothing in the stack does this today)
            raise ValueError(f"rule target {queue_id} is a queue no event source mapping of the stack reads")
        sent = self.now()
        heapq.heappush(queue.messages, Message(sent, next(self._order), json.dumps(event), sent))

    def deliver(self) -> None:
        """Without an account: every message to its mapping's function now, batch after batch, a failed
        message again at once until it moves to the dead-letter queue."""
        if self.runtime.account is not None:
            return
        for mapping in self.mappings.values():
            while (batch := self.receive(mapping, math.inf)) is not None:
                self.invoke(mapping, batch, received_at=self.now())

    # --- the mapping's polling ---------------------------------------------------------------------------------

    def receive(self, mapping: QueueMappingSpec, at: float) -> list[Message] | None:
        """Up to BatchSize messages visible at `at`, received (a message received maxReceiveCount times
        already moves to the dead-letter queue instead); None when none is left to hand over."""
        queue = self.queues[mapping.queue_id]
        batch: list[Message] = []
        while queue.messages and queue.messages[0].visible_at <= at and len(batch) < mapping.batch_size:
            message = heapq.heappop(queue.messages)
            limit = queue.spec.max_receive_count or RECEIVES_WITHOUT_REDRIVE
            if message.receive_count >= limit:
                self._dead_letter(queue, message)
                continue
            message.receive_count += 1
            if message.first_received_at is None:
                message.first_received_at = at if math.isfinite(at) else self.now()
            batch.append(message)
        if not batch:
            return None
        queue.in_flight += len(batch)
        return batch

    def invoke(self, mapping: QueueMappingSpec, batch: list[Message], received_at: float) -> None:
        """One synchronous invocation with the batch: what succeeded is deleted; a message reported failed,
        or every message of a failed invocation, is visible again after the visibility timeout."""
        queue = self.queues[mapping.queue_id]
        function = self.stack.functions[mapping.function_id]
        stats = self.runtime.stats(function)
        event = {"Records": [self._record(queue, message) for message in batch]}
        try:
            response = self.runtime.call(function, event)
        finally:
            queue.in_flight -= len(batch)
        if response is None:
            stats.retried += 1
            failed = {message.message_id for message in batch}
        else:
            stats.succeeded += 1
            reported = response.get("batchItemFailures", []) if mapping.report_item_failures else []
            failed = {item.get("itemIdentifier") for item in reported}
        for message in batch:
            if message.message_id in failed:
                message.visible_at = received_at + queue.spec.visibility_timeout
                heapq.heappush(queue.messages, message)
        self.runtime.after_invoke()

    def _record(self, queue: ModelledQueue, message: Message) -> dict[str, Any]:
        """The message as Lambda's SQS event holds it."""
        epoch = self.runtime.clock.start.timestamp()
        sent_ms = str(int((epoch + message.sent_at) * 1000))
        first_ms = str(int((epoch + (message.first_received_at or message.sent_at)) * 1000))
        return {
            "messageId": message.message_id,
            "receiptHandle": f"{message.message_id}#{message.receive_count}",
            "body": message.body,
            "attributes": {
                "ApproximateReceiveCount": str(message.receive_count),
                "SentTimestamp": sent_ms,
                "SenderId": SENDER,
                "ApproximateFirstReceiveTimestamp": first_ms,
            },
            "messageAttributes": {},
            "md5OfBody": hashlib.md5(message.body.encode(), usedforsecurity=False).hexdigest(),
            "eventSource": "aws:sqs",
            "eventSourceARN": queue.arn,
            "awsRegion": self.stack.place.region,
        }

    def _dead_letter(self, queue: ModelledQueue, message: Message) -> None:
        target = queue.spec.dead_letter_queue
        function = self.stack.functions[self.mappings[queue.spec.logical_id].function_id]
        self.runtime.stats(function).failed += 1
        if target is not None:
            self.runtime.clients("sqs").send_message(QueueUrl=self.runtime.queue_urls[target], MessageBody=message.body)

    # --- what the functions and the outputs read ---------------------------------------------------------------

    def depth(self, queue_id: str) -> int:
        queue = self.queues[queue_id]
        return len(queue.messages) + queue.in_flight

    def note_request(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        """botocore's before-parameter-build hook for GetQueueAttributes: the request's parameters, for
        `answer_attributes` (a before-call hook sees the serialized request only)."""
        context[REQUEST_KEY] = dict(params)

    def answer_attributes(self, context: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        """botocore's before-call hook for GetQueueAttributes: a modelled queue's message counts from here
        (visible now, in flight, delayed: the sandbox delays none), as SQS would give them."""
        params = context.get(REQUEST_KEY, {})
        url = str(params.get("QueueUrl", ""))
        queue = next(
            (queue for queue in self.queues.values() if url.rstrip("/").endswith(f"/{queue.spec.logical_id}")), None
        )
        names = params.get("AttributeNames") or []
        if queue is None or not set(names) <= {*COUNTS, "All"}:
            return None
        now = self.now() if self.runtime.account is not None else math.inf  # at once: everything is visible
        visible = sum(1 for message in queue.messages if message.visible_at <= now)
        counts = {
            COUNTS[0]: visible,
            COUNTS[1]: queue.in_flight + len(queue.messages) - visible,
            COUNTS[2]: 0,
        }
        wanted = COUNTS if "All" in names else names
        parsed = {
            "Attributes": {name: str(counts[name]) for name in wanted},
            "ResponseMetadata": {"HTTPStatusCode": 200},
        }
        return AWSResponse(queue.url, 200, {}, None), parsed  # type: ignore[arg-type]


class QueuePoller:
    """An SQS mapping as the account runs it in scenario time: a batch of the messages visible when an
    invocation starts, at most MaximumConcurrency invocations at a time."""

    def __init__(self, delivery: QueueDelivery, mapping: QueueMappingSpec) -> None:
        self.delivery = delivery
        self.mapping = mapping
        self.queue = delivery.queues[mapping.queue_id]
        self.function = delivery.stack.functions[mapping.function_id]
        self._ends: list[float] = []  # when each invocation of the mapping ends (running or past)

    def next_start(self) -> float | None:
        visible = self.queue.next_visible()
        if visible is None:
            return None
        limit = self.mapping.max_concurrency
        if limit is None or len(self._ends) < limit:
            return visible
        return max(visible, self._ends[len(self._ends) - limit])  # once fewer than `limit` still run

    def waiting(self) -> int:
        return len(self.queue.messages)

    def take(self, at: float) -> Work | None:
        self._ends = sorted(end for end in self._ends if end > at)
        batch = self.delivery.receive(self.mapping, at)
        if batch is None:
            return None
        oldest = min(message.sent_at for message in batch)
        return Work(self.delivery.runtime, self.function, len(batch), oldest, lambda end: self._run(batch, at, end))

    def _run(self, batch: list[Message], at: float, end: float) -> None:
        self._ends.append(end)
        self._ends.sort()
        self.delivery.invoke(self.mapping, batch, received_at=at)
