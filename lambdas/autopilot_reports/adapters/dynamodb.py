"""The report table behind the ReportStore port, and the queries the CLI runs.

Key design (one table):
- latest record:  pk = JOB#<name>, sk = REPORT
- history item:   pk = JOB#<name>, sk = HISTORY#<last modified ISO>#<status>#<secondary status>
- watermark:      pk = WATCHER,    sk = WATERMARK
GSIs (on latest records only): by_status (STATUS#<status>, <last modified>#<name>), by_partial_failure
(sparse: PARTIAL, <last modified>#<name>), recent (JOBS, <last modified>#<name>). Every read is a
GetItem, BatchGetItem or Query; every write is conditional or idempotent.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from autopilot_reports.adapters.clients import AwsAdapter, error_code
from autopilot_reports.domain.ports import KnownState, Saved
from autopilot_reports.models.common import epoch_ms, iso_utc, parse_iso_utc
from autopilot_reports.models.record import HistoryEntry, ReportRecord, state_rank
from autopilot_reports.table_schema import INDEX_BY_PARTIAL_FAILURE, INDEX_BY_STATUS, INDEX_RECENT, INDEXES

REPORT_SK = "REPORT"
HISTORY_SK_PREFIX = "HISTORY#"
WATERMARK_KEY = {"pk": {"S": "WATCHER"}, "sk": {"S": "WATERMARK"}}
PARTIAL_FAILURE_PK = "PARTIAL"
RECENT_PK = "JOBS"
BATCH_GET_LIMIT = 100
BATCH_GET_ATTEMPTS = 6


def job_pk(job_name: str) -> str:
    return f"JOB#{job_name}"


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def _n(value: int) -> dict[str, str]:
    return {"N": str(value)}


class DynamoDBReportStore(AwsAdapter):
    service = "dynamodb"

    def __init__(self, table_name: str, dynamodb: Any | None = None) -> None:
        super().__init__(dynamodb)
        self.table_name = table_name

    # --- writes -------------------------------------------------------------------------------------

    def save_report(self, record: ReportRecord, history: HistoryEntry, claim_notification: bool) -> Saved:
        try:
            self._transact(record, history, claim_notification)
            return Saved.CLAIMED if claim_notification else Saved.WRITTEN
        except ClientError as error:
            if error_code(error) != "TransactionCanceledException":
                raise
            if not _latest_condition_failed(error):
                raise
            if claim_notification and self._already_notified_but_older(record, error):
                # A terminal job changed again after its notification: keep the record current, once.
                return self.save_report(record.model_copy(update={"notified_at": None}), history, False)
            return Saved.UNCHANGED

    def _transact(self, record: ReportRecord, history: HistoryEntry, claim_notification: bool) -> None:
        update = _latest_update(record, claim_notification)
        update.update(TableName=self.table_name, ReturnValuesOnConditionCheckFailure="ALL_OLD")
        history_item = {
            "pk": _s(job_pk(record.job_name)),
            "sk": _s(history_sk(history)),
            "entry": _s(history.model_dump_json()),
        }
        self.client.transact_write_items(
            TransactItems=[{"Update": update}, {"Put": {"TableName": self.table_name, "Item": history_item}}]
        )

    def _already_notified_but_older(self, record: ReportRecord, error: ClientError) -> bool:
        old = _cancelled_item(error)
        if old is None:  # not every implementation returns the old item; read it (off the hot path)
            old = self.client.get_item(
                TableName=self.table_name, Key=_report_key(record.job_name), ConsistentRead=True
            ).get("Item")
        if not old or "notified_at" not in old:
            return False
        return (int(old["lmt_ms"]["N"]), int(old["state_rank"]["N"])) < (
            epoch_ms(record.last_modified_at),
            state_rank(record.status, record.secondary_status),
        )

    def release_notification(self, job_name: str, notified_at: datetime) -> None:
        self._update_if(
            _report_key(job_name),
            "REMOVE notified_at",
            "notified_at = :ours",
            {":ours": _s(iso_utc(notified_at))},
        )

    def record_error(self, job_name: str, reason: str) -> None:
        self._update_if(
            _report_key(job_name), "SET last_error = :reason", "attribute_exists(pk)", {":reason": _s(reason[:1024])}
        )

    def advance_watermark(self, watermark: datetime) -> None:
        self._update_if(
            WATERMARK_KEY,
            "SET watermark = :iso, watermark_ms = :ms",
            "attribute_not_exists(watermark_ms) OR watermark_ms < :ms",
            {":iso": _s(iso_utc(watermark)), ":ms": _n(epoch_ms(watermark))},
        )

    def _update_if(self, key: dict[str, Any], update: str, condition: str, values: dict[str, Any]) -> None:
        """A conditional UpdateItem; a condition that does not hold is not an error."""
        try:
            self.client.update_item(
                TableName=self.table_name,
                Key=key,
                UpdateExpression=update,
                ConditionExpression=condition,
                ExpressionAttributeValues=values,
            )
        except ClientError as error:
            if error_code(error) != "ConditionalCheckFailedException":
                raise

    # --- reads --------------------------------------------------------------------------------------

    def get_watermark(self) -> datetime | None:
        item = self.client.get_item(TableName=self.table_name, Key=WATERMARK_KEY, ConsistentRead=True).get("Item")
        return parse_iso_utc(item["watermark"]["S"]) if item else None

    def known_states(self, job_names: Sequence[str]) -> dict[str, KnownState]:
        states: dict[str, KnownState] = {}
        unique = list(dict.fromkeys(job_names))
        for start in range(0, len(unique), BATCH_GET_LIMIT):
            for item in self._batch_get([_report_key(name) for name in unique[start : start + BATCH_GET_LIMIT]]):
                states[item["job_name"]["S"]] = KnownState(
                    status=item["status"]["S"],
                    secondary_status=item["secondary_status"]["S"],
                    last_modified_ms=int(item["lmt_ms"]["N"]),
                )
        return states

    def _batch_get(self, keys: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        request = {
            self.table_name: {
                "Keys": keys,
                "ProjectionExpression": "job_name, #status, secondary_status, lmt_ms",
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

    def get_report(self, job_name: str) -> ReportRecord | None:
        item = self.client.get_item(TableName=self.table_name, Key=_report_key(job_name)).get("Item")
        return record_from_item(item) if item else None

    def history(self, job_name: str) -> list[HistoryEntry]:
        items = self._query(
            KeyConditionExpression="pk = :pk AND begins_with(sk, :history)",
            ExpressionAttributeValues={":pk": _s(job_pk(job_name)), ":history": _s(HISTORY_SK_PREFIX)},
        )
        return [HistoryEntry.model_validate_json(item["entry"]["S"]) for item in items]

    def by_status(self, status: str, start: datetime, end: datetime) -> list[ReportRecord]:
        return self._query_index(INDEX_BY_STATUS, f"STATUS#{status}", start, end)

    def with_partial_failures(self, start: datetime, end: datetime) -> list[ReportRecord]:
        return self._query_index(INDEX_BY_PARTIAL_FAILURE, PARTIAL_FAILURE_PK, start, end)

    def recent(self, limit: int = 20) -> list[ReportRecord]:
        items = self._query(
            IndexName=INDEX_RECENT,
            KeyConditionExpression="gsi3pk = :pk",
            ExpressionAttributeValues={":pk": _s(RECENT_PK)},
            ScanIndexForward=False,
            Limit=limit,
            max_items=limit,
        )
        return [record_from_item(item) for item in items]

    def _query_index(self, index: str, pk: str, start: datetime, end: datetime) -> list[ReportRecord]:
        partition_key, sort_key = INDEXES[index]
        items = self._query(
            IndexName=index,
            KeyConditionExpression=f"{partition_key} = :pk AND {sort_key} BETWEEN :start AND :end",
            ExpressionAttributeValues={
                ":pk": _s(pk),
                ":start": _s(iso_utc(start)),
                ":end": _s(iso_utc(end) + "#\uffff"),
            },
        )
        return [record_from_item(item) for item in items]

    def _query(self, max_items: int | None = None, **params: Any) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        for page in self.client.get_paginator("query").paginate(TableName=self.table_name, **params):
            items.extend(page.get("Items", []))
            if max_items is not None and len(items) >= max_items:
                return items[:max_items]
        return items


def history_sk(history: HistoryEntry) -> str:
    return f"{HISTORY_SK_PREFIX}{iso_utc(history.last_modified_at)}#{history.status}#{history.secondary_status}"


def _report_key(job_name: str) -> dict[str, Any]:
    return {"pk": _s(job_pk(job_name)), "sk": _s(REPORT_SK)}


def _latest_update(record: ReportRecord, claim_notification: bool) -> dict[str, Any]:
    """An UpdateItem that replaces the record only when it is newer (LastModifiedTime, then status), and
    claims the notification atomically with it."""
    order_key = f"{iso_utc(record.last_modified_at)}#{record.job_name}"
    values: dict[str, Any] = {
        ":job_name": _s(record.job_name),
        ":status": _s(record.status),
        ":secondary": _s(record.secondary_status),
        ":lmt": _n(epoch_ms(record.last_modified_at)),
        ":rank": _n(state_rank(record.status, record.secondary_status)),
        ":record": _s(record.model_dump_json(exclude={"notified_at"})),
        ":gsi1pk": _s(f"STATUS#{record.status}"),
        ":order": _s(order_key),
        ":gsi3pk": _s(RECENT_PK),
    }
    sets = [
        "job_name = :job_name",
        "#status = :status",
        "secondary_status = :secondary",
        "lmt_ms = :lmt",
        "state_rank = :rank",
        "report_json = :record",
        "gsi1pk = :gsi1pk",
        "gsi1sk = :order",
        "gsi3pk = :gsi3pk",
        "gsi3sk = :order",
    ]
    removes = ["last_error"]
    if record.partial_failures:
        values[":gsi2pk"] = _s(PARTIAL_FAILURE_PK)
        sets += ["gsi2pk = :gsi2pk", "gsi2sk = :order"]
    else:
        removes += ["gsi2pk", "gsi2sk"]
    newer = "attribute_not_exists(pk) OR lmt_ms < :lmt OR (lmt_ms = :lmt AND state_rank < :rank)"
    condition = newer
    if claim_notification:
        assert record.notified_at is not None
        values[":notified_at"] = _s(iso_utc(record.notified_at))
        sets.append("notified_at = :notified_at")
        # Same state but not yet notified: a retry after a failed publish gave the claim back.
        condition = f"attribute_not_exists(notified_at) AND ({newer} OR (lmt_ms = :lmt AND state_rank = :rank))"
    return {
        "Key": _report_key(record.job_name),
        "UpdateExpression": f"SET {', '.join(sets)} REMOVE {', '.join(removes)}",
        "ConditionExpression": condition,
        "ExpressionAttributeNames": {"#status": "status"},
        "ExpressionAttributeValues": values,
    }


def _latest_condition_failed(error: ClientError) -> bool:
    reasons = error.response.get("CancellationReasons") or []
    if reasons:
        return reasons[0].get("Code") == "ConditionalCheckFailed"
    return "ConditionalCheckFailed" in str(error)


def _cancelled_item(error: ClientError) -> dict[str, Any] | None:
    reasons = error.response.get("CancellationReasons") or []
    return reasons[0].get("Item") if reasons else None


def record_from_item(item: dict[str, Any]) -> ReportRecord:
    data = json.loads(item["report_json"]["S"])
    data["notified_at"] = item.get("notified_at", {}).get("S")
    return ReportRecord.model_validate(data)
