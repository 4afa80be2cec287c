"""A deployment's table streams delivered to their functions as Lambda's event source mappings do: new
records read after every asynchronous invocation, filtered by the mapping's patterns, in batches, each
batch invoked synchronously until it is checkpointed (item failures retried from the first failed record,
a failed invocation retried whole), the rest sent to the on-failure destination past the retry limit.
With a scenario's `lambda` block, each mapping is a poller of the account (sandbox/concurrency.py): one
batch at a time, of the records due when it starts."""

from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from moto.dynamodb.models import dynamodb_backends
from moto.events.models import EventPattern

from sandbox.concurrency import Work
from sandbox.lambda_runtime import LambdaRuntime
from sandbox.place import ClientsAt
from sandbox.streams import StreamReader
from sandbox.template import StackModel, StreamMappingSpec, TemplateError

MAX_ROUNDS = 10_000  # rounds of reading the stream after one invocation (each round delivers what the last wrote)


class StreamDelivery:
    """Reads through the real DynamoDB Streams API on DynamoDB Local (`open_readers`); from moto's
    backend otherwise (it runs in this process)."""

    def __init__(self, stack: StackModel, runtime: LambdaRuntime) -> None:
        self.stack = stack
        self.runtime = runtime
        self.readers: dict[str, StreamReader] = {}  # mapping logical id -> its reader, on DynamoDB Local
        self.pollers: dict[str, StreamPoller] = {}
        if runtime.account is not None:
            for mapping in stack.stream_mappings:
                self.pollers[mapping.logical_id] = poller = StreamPoller(self, mapping)
                runtime.account.add(poller)

    def open_readers(self, clients: ClientsAt) -> None:
        """One reader per mapping, on DynamoDB Local; the records carry the stack's place (the engine
        reports region `ddblocal`, account 000000000000)."""
        place = self.stack.place
        for mapping in self.stack.stream_mappings:
            table = self.stack.table(mapping.table_id).table_name
            arn = f"arn:aws:dynamodb:{place.region}:{place.account}:table/{table}/stream/sandbox"
            self.readers[mapping.logical_id] = StreamReader.for_table(
                clients("dynamodb"), clients("dynamodbstreams"), table, arn, place.region
            )

    def deliver(self) -> None:
        """What the table's stream holds since the last call, to each mapping's function. At once: until the
        stream is quiet, as what a stream consumer commits (the coster handing a job's costing on to its next
        piece) reaches the consumers too, as Lambda would poll it. With an account: due when the invocation
        that committed it ends (a poller's batch reads the stream again when it ends)."""
        for _ in range(MAX_ROUNDS):
            delivered = False
            read_from_moto: dict[str, list[dict[str, Any]]] = {}  # by table: every mapping of it sees them
            for mapping in self.stack.stream_mappings:
                records = [record for record in self._read(mapping, read_from_moto) if passes_filters(record, mapping)]
                poller = self.pollers.get(mapping.logical_id)
                if poller is not None:
                    poller.add(records)
                    continue
                for start in range(0, len(records), mapping.batch_size):
                    self._deliver_batch(mapping, records[start : start + mapping.batch_size])
                    delivered = True
            if not delivered:
                return
        raise RuntimeError(f"the table's stream was not quiet after {MAX_ROUNDS} rounds of deliveries")

    def _read(self, mapping: StreamMappingSpec, from_moto: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
        """New records of the table's stream for this mapping: its own reader's on DynamoDB Local; from
        moto, read once a round for all the table's mappings."""
        reader = self.readers.get(mapping.logical_id)
        if reader is not None:
            return reader.read()
        if mapping.table_id not in from_moto:
            from_moto[mapping.table_id] = self._read_moto(mapping)
        return from_moto[mapping.table_id]

    def _read_moto(self, mapping: StreamMappingSpec) -> list[dict[str, Any]]:
        """New records of the table's stream, consumed. Read from moto's backend (it runs in this
        process) rather than through GetShardIterator/GetRecords: moto keeps every shard iterator it
        ever issued, each pinning the stream as it was (a cancelled transaction makes moto rebuild the
        table, stream included), and copies the whole stream on every transaction; polling after every
        invocation made memory grow with the square of the run. Consumed records are dropped, their
        sequence numbers kept moving (moto numbers a record len(items) + starting number)."""
        place = self.stack.place
        name = self.stack.table(mapping.table_id).table_name
        table = dynamodb_backends[place.account][place.region].get_table(name)
        shard = table.stream_shard
        if shard is None:
            raise TemplateError(f"{mapping.table_id} has no stream for {mapping.logical_id}")
        arn = f"{table.table_arn}/stream/{table.latest_stream_label}"
        records = [lambda_stream_record(item.to_json(), arn) for item in shard.items]
        shard.starting_sequence_number += len(shard.items)
        shard.items.clear()
        return records

    def _deliver_batch(self, mapping: StreamMappingSpec, batch: list[dict[str, Any]]) -> None:
        """Invokes synchronously until the batch is checkpointed (StreamBatch.attempt)."""
        pending: StreamBatch | None = StreamBatch(mapping, batch)
        while pending is not None:
            pending = pending.attempt(self)


@dataclass
class StreamBatch:
    """A batch on its way to the mapping's function, and how many of its attempts failed so far."""

    mapping: StreamMappingSpec
    records: list[dict[str, Any]]
    failures: int = 0

    def attempt(self, delivery: StreamDelivery) -> StreamBatch | None:
        """One synchronous invocation with the batch; what is left to deliver (None: checkpointed, or
        sent to the on-failure destination). Reported item failures are retried from the first failed
        record on, a failed invocation retries the whole batch; past the retry limit the rest goes to the
        on-failure destination, as Lambda does."""
        mapping, runtime = self.mapping, delivery.runtime
        function = delivery.stack.functions[mapping.function_id]
        stats = runtime.stats(function)
        batch = self.records
        response = runtime.call(function, {"Records": batch})
        if response is not None:
            stats.succeeded += 1
            failed = {item["itemIdentifier"] for item in (response or {}).get("batchItemFailures", [])}
            if not failed or not mapping.report_item_failures:
                return None
            batch = batch[min(i for i, r in enumerate(batch) if r["dynamodb"]["SequenceNumber"] in failed) :]
        if 0 <= mapping.max_retry_attempts < self.failures + 1:
            stats.failed += 1
            runtime.send_to_failure_queue(mapping.on_failure_queue, function, {"Records": batch})
            return None
        stats.retried += 1
        return StreamBatch(mapping, batch, self.failures + 1)


class StreamPoller:
    """A stream mapping as the account runs it in scenario time: records due when the invocation that
    committed them ends, one batch in flight at a time (one shard), a failed one retried first."""

    def __init__(self, delivery: StreamDelivery, mapping: StreamMappingSpec) -> None:
        self.delivery = delivery
        self.mapping = mapping
        self.function = delivery.stack.functions[mapping.function_id]
        # (due, order, record): due when the invocation that committed it ended, in commit order then
        self._records: list[tuple[float, int, dict[str, Any]]] = []
        self._order = itertools.count()
        self._retry: tuple[float, float, StreamBatch] | None = None  # due, oldest record's due, the batch
        self._busy_until = 0.0

    def add(self, records: list[dict[str, Any]]) -> None:
        account = self.delivery.runtime.account
        assert account is not None
        due = account.clock.due()
        for record in records:
            heapq.heappush(self._records, (due, next(self._order), record))

    def next_start(self) -> float | None:
        if self._retry is not None:
            return max(self._retry[0], self._busy_until)
        return max(self._records[0][0], self._busy_until) if self._records else None

    def waiting(self) -> int:
        return len(self._records) + (len(self._retry[2].records) if self._retry else 0)

    def take(self, at: float) -> Work | None:
        if self._retry is not None:
            _, oldest, batch = self._retry
            self._retry = None
        else:
            oldest = self._records[0][0]
            records: list[dict[str, Any]] = []
            while self._records and self._records[0][0] <= at and len(records) < self.mapping.batch_size:
                records.append(heapq.heappop(self._records)[2])
            batch = StreamBatch(self.mapping, records)
        runtime = self.delivery.runtime
        return Work(runtime, self.function, len(batch.records), oldest, lambda end: self._run(batch, oldest, end))

    def _run(self, batch: StreamBatch, oldest: float, end: float) -> None:
        self._busy_until = end
        left = batch.attempt(self.delivery)
        self.delivery.runtime.after_invoke()  # what the batch committed (the coster's next piece) is read now
        if left is not None:
            self._retry = (end, oldest, left)
        self.delivery.runtime.after_invoke()  # what it published is due too (a spoke's forwarder: to its hub)


def lambda_stream_record(record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    """A moto stream record as Lambda hands it over: JSON, epoch seconds, with its source ARN."""
    record = dict(record)
    images = dict(record["dynamodb"])
    created = images.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        images["ApproximateCreationDateTime"] = int(created.timestamp())
    record["dynamodb"] = images
    record["eventSourceARN"] = stream_arn
    return record


def passes_filters(record: dict[str, Any], mapping: StreamMappingSpec) -> bool:
    """Lambda's event filtering: delivered when any filter pattern matches (moto's pattern matcher)."""
    return not mapping.filter_patterns or any(
        # moto types its matcher for EventBridge events; Lambda's filters match stream records the same way.
        EventPattern.load(pattern).matches_event(record)  # type: ignore[arg-type]
        for pattern in mapping.filter_patterns
    )
