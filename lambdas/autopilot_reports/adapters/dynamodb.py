"""The report table behind the ReportStore port, and the queries the CLI runs.

Items and keys: `dynamodb_items.py`. Every read is a GetItem, BatchGetItem or Query; every write is
conditional or idempotent. The terminal notification is claimed by the same transaction that commits the
record, and the table's stream carries that commit to the notifier (DESIGN section 5).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from autopilot_reports import constants as c
from autopilot_reports.adapters import dynamodb_items as items
from autopilot_reports.adapters.clients import AwsAdapter, error_code
from autopilot_reports.domain import rules
from autopilot_reports.domain.ports import KnownState, RecordRejectedError, Saved, WatchState
from autopilot_reports.models.common import epoch_ms, iso_utc, parse_iso_utc
from autopilot_reports.models.events import ImportProgress
from autopilot_reports.models.record import HistoryEntry, ReportRecord

if TYPE_CHECKING:  # stubs are a dev dependency, not deployed
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import KeysAndAttributesUnionTypeDef, TransactWriteItemTypeDef, UpdateTypeDef

BATCH_GET_LIMIT = 100
BATCH_GET_ATTEMPTS = 6
LATEST, HISTORY, WATCH_CHECK = 0, 1, 2  # positions in the report transaction
CONDITION_FAILED = "ConditionalCheckFailed"
CONTENT_REFUSALS = frozenset({"ValidationError", "ItemCollectionSizeLimitExceeded"})


class DynamoDBReportStore(AwsAdapter["DynamoDBClient"]):
    service = "dynamodb"

    def __init__(self, table_name: str, dynamodb: DynamoDBClient | None = None) -> None:
        super().__init__(dynamodb)
        self.table_name = table_name

    # --- the report ---------------------------------------------------------------------------------

    def save_report(self, record: ReportRecord, history: HistoryEntry, claim_notification: bool) -> Saved:
        refused = items.refusal(items.record_attributes(record)) or items.refusal(items.history_attributes(history))
        if refused:
            raise RecordRejectedError(refused)
        try:
            self.client.transact_write_items(TransactItems=self._report_transaction(record, history, claim_notification))
            return Saved.CLAIMED if claim_notification else Saved.WRITTEN
        except ClientError as error:
            if _refused_content(error):
                raise RecordRejectedError(f"{error_code(error)}: {_message(error)}") from error
            failed = _failed_conditions(error)
            if not failed:
                raise
            cancelled = error
        unclaimed = record.model_copy(update={c.NOTIFIED_AT: None})
        if LATEST not in failed:
            # Only the watch check failed: the job ended before the stack began watching. No notification.
            return self.save_report(unclaimed, history, claim_notification=False)
        if claim_notification and self._notified_but_older(record, cancelled):
            # A terminal job changed again after its notification: keep the record current, once.
            return self.save_report(unclaimed, history, claim_notification=False)
        return Saved.UNCHANGED

    def _report_transaction(
        self, record: ReportRecord, history: HistoryEntry, claim: bool
    ) -> list[TransactWriteItemTypeDef]:
        attributes = items.record_attributes(record)
        removes = items.record_removals(record)
        condition = items.NEWER
        if claim:
            assert record.notified_at is not None
            attributes[c.NOTIFIED_AT] = iso_utc(record.notified_at)
            # The same state, not yet claimed, may claim too (e.g. an earlier write that could not).
            condition = f"attribute_not_exists({c.NOTIFIED_AT}) AND ({items.NEWER} OR {items.PROGRESS} = :progress)"
        latest = self._update(items.report_key(record.job_name), attributes, removes, condition)
        latest["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        transaction: list[TransactWriteItemTypeDef] = [
            {"Update": latest},
            {"Put": {"TableName": self.table_name, "Item": items.serialize(items.history_attributes(history))}},
        ]
        if claim:
            transaction.append(
                {
                    "ConditionCheck": {
                        "TableName": self.table_name,
                        "Key": items.serialize(items.WATCHER_KEY),
                        # domain.rules.notify_worthy, checked where the claim is committed
                        "ConditionExpression": "watch_start_ms <= :ended",
                        "ExpressionAttributeValues": {":ended": {"N": str(epoch_ms(rules.ended(record)))}},
                    }
                }
            )
        return transaction

    def _notified_but_older(self, record: ReportRecord, error: ClientError) -> bool:
        """From the item the cancelled transaction returned (ReturnValuesOnConditionCheckFailure: no read)."""
        reasons = error.response.get("CancellationReasons") or []
        old = reasons[LATEST].get("Item") if reasons else None
        if not old:
            return False
        stored = items.deserialize(old)
        return c.NOTIFIED_AT in stored and int(stored[items.PROGRESS]) < record.progress

    def record_error(self, job_name: str, reason: str) -> None:
        self._update_if(
            items.report_key(job_name), {items.LAST_ERROR: reason[:1024]}, f"attribute_exists({c.PARTITION_KEY})"
        )

    # --- the watcher's state -----------------------------------------------------------------------

    def get_watch_state(self) -> WatchState:
        item = self.client.get_item(
            TableName=self.table_name, Key=items.serialize(items.WATCHER_KEY), ConsistentRead=True
        ).get("Item")
        state = items.deserialize(item) if item else {}
        return WatchState(watch_start=_time(state.get("watch_start")), watermark=_time(state.get("watermark")))

    def begin_watch(self, now: datetime) -> datetime:
        response = self.client.update_item(
            TableName=self.table_name,
            Key=items.serialize(items.WATCHER_KEY),
            UpdateExpression="SET watch_start = if_not_exists(watch_start, :iso), "
            "watch_start_ms = if_not_exists(watch_start_ms, :ms)",
            ExpressionAttributeValues=items.serialize({":iso": iso_utc(now), ":ms": epoch_ms(now)}),
            ReturnValues="ALL_NEW",
        )
        return parse_iso_utc(response["Attributes"]["watch_start"]["S"])

    def advance_watermark(self, watermark: datetime) -> None:
        self._update_if(
            items.WATCHER_KEY,
            {"watermark": iso_utc(watermark), "watermark_ms": epoch_ms(watermark)},
            "attribute_not_exists(watermark_ms) OR watermark_ms < :watermark_ms",
        )

    def known_states(self, job_names: Sequence[str]) -> dict[str, KnownState]:
        states: dict[str, KnownState] = {}
        unique = list(dict.fromkeys(job_names))
        for start in range(0, len(unique), BATCH_GET_LIMIT):
            keys = [items.serialize(items.report_key(name)) for name in unique[start : start + BATCH_GET_LIMIT]]
            for raw in self._batch_get(keys):
                item = items.deserialize(raw)
                states[item["job_name"]] = KnownState(
                    status=item["status"], secondary_status=item["secondary_status"], progress=int(item["progress"])
                )
        return states

    def _batch_get(self, keys: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        request: Mapping[str, KeysAndAttributesUnionTypeDef] = {
            self.table_name: {
                "Keys": keys,
                "ProjectionExpression": "job_name, #status, secondary_status, progress",
                "ExpressionAttributeNames": {"#status": "status"},
                "ConsistentRead": True,
            }
        }
        for attempt in range(BATCH_GET_ATTEMPTS):
            response = self.client.batch_get_item(RequestItems=request)
            yield from response.get("Responses", {}).get(self.table_name, [])
            request = response.get("UnprocessedKeys") or {}
            if not request:
                return
            time.sleep(min(0.05 * 2**attempt, 1.0))
        raise RuntimeError(f"BatchGetItem left keys unprocessed after {BATCH_GET_ATTEMPTS} attempts")

    # --- history imports ----------------------------------------------------------------------------

    def save_import_progress(self, progress: ImportProgress) -> None:
        attributes = items.import_attributes(progress)
        key = {name: attributes.pop(name) for name in (c.PARTITION_KEY, c.SORT_KEY)}
        self.client.update_item(**self._update(key, attributes))

    def get_import_progress(self, import_id: str) -> ImportProgress | None:
        item = self.client.get_item(
            TableName=self.table_name, Key=items.serialize(items.import_key(import_id)), ConsistentRead=True
        ).get("Item")
        return items.import_from_item(items.deserialize(item)) if item else None

    # --- queries ------------------------------------------------------------------------------------

    def get_report(self, job_name: str) -> ReportRecord | None:
        item = self.client.get_item(TableName=self.table_name, Key=items.serialize(items.report_key(job_name))).get(
            "Item"
        )
        return items.record_from_item(items.deserialize(item)) if item else None

    def history(self, job_name: str) -> list[HistoryEntry]:
        found = self._query(
            KeyConditionExpression="pk = :pk AND begins_with(sk, :history)",
            ExpressionAttributeValues=items.serialize(
                {":pk": items.job_pk(job_name), ":history": items.HISTORY_SK_PREFIX}
            ),
        )
        return [items.history_from_item(items.deserialize(item)) for item in found]

    def by_status(self, status: str, start: datetime, end: datetime) -> list[ReportRecord]:
        return self._query_index(c.INDEX_BY_STATUS, f"{items.STATUS_PK_PREFIX}{status}", start, end)

    def with_partial_failures(self, start: datetime, end: datetime) -> list[ReportRecord]:
        return self._query_index(c.INDEX_BY_PARTIAL_FAILURE, items.PARTIAL_FAILURE_PK, start, end)

    def recent(self, limit: int = 20) -> list[ReportRecord]:
        partition_key, _ = c.INDEXES[c.INDEX_RECENT]
        found = self._query(
            IndexName=c.INDEX_RECENT,
            KeyConditionExpression=f"{partition_key} = :pk",
            ExpressionAttributeValues=items.serialize({":pk": items.RECENT_PK}),
            ScanIndexForward=False,
            Limit=limit,
            max_items=limit,
        )
        return [items.record_from_item(items.deserialize(item)) for item in found]

    def _query_index(self, index: str, pk: str, start: datetime, end: datetime) -> list[ReportRecord]:
        partition_key, sort_key = c.INDEXES[index]
        found = self._query(
            IndexName=index,
            KeyConditionExpression=f"{partition_key} = :pk AND {sort_key} BETWEEN :start AND :end",
            ExpressionAttributeValues=items.serialize(
                {":pk": pk, ":start": iso_utc(start), ":end": iso_utc(end) + "#\uffff"}
            ),
        )
        return [items.record_from_item(items.deserialize(item)) for item in found]

    def _query(self, max_items: int | None = None, **params: Any) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for page in self.client.get_paginator("query").paginate(TableName=self.table_name, **params):
            found.extend(page.get("Items", []))
            if max_items is not None and len(found) >= max_items:
                return found[:max_items]
        return found

    # --- helpers ------------------------------------------------------------------------------------

    def _update(
        self,
        key: Mapping[str, Any],
        attributes: Mapping[str, Any],
        removes: Sequence[str] = (),
        condition: str | None = None,
    ) -> UpdateTypeDef:
        """UpdateItem arguments that set every attribute (placeholders for names and values), remove
        `removes`, under `condition` (which may use `:<attribute>` for a new value)."""
        names = {f"#a{index}": name for index, name in enumerate([*attributes, *removes])}
        placeholders = {name: placeholder for placeholder, name in names.items()}
        values = {f":{name}": value for name, value in attributes.items()}
        expression = "SET " + ", ".join(f"{placeholders[name]} = :{name}" for name in attributes)
        if removes:
            expression += " REMOVE " + ", ".join(placeholders[name] for name in removes)
        update: UpdateTypeDef = {
            "TableName": self.table_name,
            "Key": items.serialize(key),
            "UpdateExpression": expression,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": items.serialize(values),
        }
        if condition:
            update["ConditionExpression"] = condition
        return update

    def _update_if(self, key: Mapping[str, Any], attributes: Mapping[str, Any], condition: str) -> None:
        """A conditional UpdateItem; a condition that does not hold is not an error."""
        try:
            self.client.update_item(**self._update(key, attributes, condition=condition))
        except ClientError as error:
            if error_code(error) != "ConditionalCheckFailedException":
                raise


def _refused_content(error: ClientError) -> bool:
    """DynamoDB refused the items themselves (not their conditions): retrying the same write cannot help."""
    code = error_code(error)
    if code == "ValidationException":
        return True
    if code != "TransactionCanceledException":
        return False
    reasons = error.response.get("CancellationReasons") or []
    return any(reason.get("Code") in CONTENT_REFUSALS for reason in reasons)


def _message(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Message", ""))[:512]


def _failed_conditions(error: ClientError) -> set[int]:
    """Positions of the transaction items whose condition failed; empty for any other error."""
    if error_code(error) != "TransactionCanceledException":
        return set()
    reasons = error.response.get("CancellationReasons") or []
    failed = {position for position, reason in enumerate(reasons) if reason.get("Code") == CONDITION_FAILED}
    other = [reason for reason in reasons if reason.get("Code") not in (None, "None", CONDITION_FAILED)]
    return set() if other else failed


def _time(value: Any) -> datetime | None:
    return parse_iso_utc(value) if isinstance(value, str) else None
