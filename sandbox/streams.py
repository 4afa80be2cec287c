"""A table's stream read through the real DynamoDB Streams API, as Lambda's event source mapping polls it.

The sandbox reads after every invocation that may have written, so a read that finds nothing must be
cheap: after the first, it costs one GetRecords per open shard (no DescribeStream). The stream is
described again only when a shard closes, to find its children; a shard first seen is read from
TRIM_HORIZON, then from the NextShardIterator of the last read. Records come back as Lambda hands them to
a function: JSON-able dicts, `ApproximateCreationDateTime` in epoch seconds, `eventSourceARN` set.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

if TYPE_CHECKING:  # stubs are a dev dependency
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodbstreams import DynamoDBStreamsClient
    from mypy_boto3_dynamodbstreams.type_defs import GetShardIteratorInputTypeDef, RecordTypeDef

GET_RECORDS_LIMIT = 1000  # the API's maximum
EXPIRED, TRIMMED = "ExpiredIteratorException", "TrimmedDataAccessException"  # an iterator to take again


class StreamError(RuntimeError):
    """The table has no stream."""


class StreamReader:
    """New records of one stream since the last `read()`, in order within each shard, a parent shard's
    before its children's (as Lambda processes them).

    `source_arn` and `region` replace the stream's own ARN and the records' `awsRegion` where the engine
    reports other ones than the stack's (DynamoDB Local says region `ddblocal`, account 000000000000)."""

    def __init__(
        self,
        streams: DynamoDBStreamsClient,
        stream_arn: str,
        source_arn: str | None = None,
        region: str | None = None,
    ) -> None:
        self.streams = streams
        self.stream_arn = stream_arn
        self.source_arn = source_arn or stream_arn
        self.region = region
        self.calls = 0  # DynamoDB Streams calls made, for benches and tests of the cost
        self._iterators: dict[str, str | None] = {}  # shard id -> where to read next (None: closed, read)
        self._parents: dict[str, str | None] = {}
        self._last_sequence: dict[str, str] = {}
        self._describe_needed = True

    @classmethod
    def for_table(
        cls,
        dynamodb: DynamoDBClient,
        streams: DynamoDBStreamsClient,
        table_name: str,
        source_arn: str | None = None,
        region: str | None = None,
    ) -> StreamReader:
        table = dynamodb.describe_table(TableName=table_name)["Table"]
        if "LatestStreamArn" not in table:
            raise StreamError(f"table {table_name} has no stream")
        return cls(streams, table["LatestStreamArn"], source_arn, region)

    def read(self) -> list[dict[str, Any]]:
        """Every record added since the last read, consumed."""
        records: list[dict[str, Any]] = []
        while True:
            if self._describe_needed:  # the first read, or a shard closed: its children may hold more
                self._describe_needed = False
                self._discover_shards()
            records.extend(self._read_open_shards())
            if not self._describe_needed:
                return records

    # --- shards -------------------------------------------------------------------------------------

    def _discover_shards(self) -> None:
        for shard in self._shards():
            shard_id = shard["ShardId"]
            if shard_id not in self._iterators:
                self._parents[shard_id] = shard.get("ParentShardId")
                self._iterators[shard_id] = self._iterator(shard_id)

    def _shards(self) -> Iterator[Any]:
        request: dict[str, Any] = {"StreamArn": self.stream_arn}
        while True:
            self.calls += 1
            description = self.streams.describe_stream(**request)["StreamDescription"]
            yield from description.get("Shards", [])
            last = description.get("LastEvaluatedShardId")
            if not last:
                return
            request["ExclusiveStartShardId"] = last

    def _read_open_shards(self) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = []
        for shard_id in self._in_lineage_order():
            if self._iterators[shard_id] is not None:
                records.extend(self._drain(shard_id))
        return records

    def _in_lineage_order(self) -> list[str]:
        """Parents before children; a parent this reader never saw (trimmed) does not hold a child back."""
        ordered: list[str] = []

        def visit(shard_id: str) -> None:
            parent = self._parents.get(shard_id)
            if parent in self._parents and parent not in ordered:
                visit(parent)
            if shard_id not in ordered:
                ordered.append(shard_id)

        for shard_id in self._parents:
            visit(shard_id)
        return ordered

    def _drain(self, shard_id: str) -> list[dict[str, Any]]:
        """GetRecords until a page comes back short (nothing more for now) or the shard ends. DynamoDB
        Local and moto return everything they have up to the limit, so a short page means caught up, and
        a read after a write costs one call. (AWS may return a short page with more behind it: that is
        read on the next poll, as Lambda's next poll would.)"""
        records: list[dict[str, Any]] = []
        while True:
            page = self._get_records(shard_id)
            records.extend(self._lambda_record(record) for record in page)
            if self._iterators[shard_id] is None:
                self._describe_needed = True
                return records
            if len(page) < GET_RECORDS_LIMIT:
                return records

    def _get_records(self, shard_id: str, retried: bool = False) -> list[RecordTypeDef]:
        iterator = self._iterators[shard_id]
        assert iterator is not None  # only open shards are read
        try:
            self.calls += 1
            response = self.streams.get_records(ShardIterator=iterator, Limit=GET_RECORDS_LIMIT)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code")
            if code not in (EXPIRED, TRIMMED) or retried:
                raise
            # Iterators expire (15 minutes on AWS), e.g. while `--serve` idles: resume after the last record.
            # DynamoDB Local numbers stream records across all its tables (-sharedDb), so a TRIM_HORIZON
            # iterator taken while a shard was empty names a number below the shard's first record once
            # other tables wrote: it answers TrimmedDataAccessException, as AWS does for records past their
            # 24 hours. Lambda then goes on from the trim horizon; so does this reader (after the last record
            # it read, when it read one).
            self._iterators[shard_id] = self._iterator(shard_id)
            return self._get_records(shard_id, retried=True)
        page = response.get("Records", [])
        if page:
            self._last_sequence[shard_id] = page[-1]["dynamodb"]["SequenceNumber"]
        self._iterators[shard_id] = response.get("NextShardIterator")
        return page

    def _iterator(self, shard_id: str) -> str:
        request: GetShardIteratorInputTypeDef = {
            "StreamArn": self.stream_arn,
            "ShardId": shard_id,
            "ShardIteratorType": "TRIM_HORIZON",
        }
        if shard_id in self._last_sequence:
            request["ShardIteratorType"] = "AFTER_SEQUENCE_NUMBER"
            request["SequenceNumber"] = self._last_sequence[shard_id]
        self.calls += 1
        return self.streams.get_shard_iterator(**request)["ShardIterator"]

    def _lambda_record(self, record: RecordTypeDef) -> dict[str, Any]:
        delivered = lambda_record(dict(record), self.source_arn)
        if self.region:
            delivered["awsRegion"] = self.region
        return delivered


def lambda_record(record: dict[str, Any], source_arn: str) -> dict[str, Any]:
    """A DynamoDB Streams record (as boto3 parses it) as Lambda hands it over: JSON types only (epoch
    seconds for the time, base64 text for binary values), with its source ARN."""
    delivered: dict[str, Any] = jsonable(record)
    delivered["eventSourceARN"] = source_arn
    return delivered


def jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: jsonable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [jsonable(item) for item in value]
    if isinstance(value, datetime):
        return int(value.timestamp())
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return value
