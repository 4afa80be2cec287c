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
from autopilot_reports.domain.family import FamilyChangedError, FamilyStanding, FamilyUpdate
from autopilot_reports.domain.ports import (
    DigestInputs,
    Known,
    KnownState,
    RecordRejectedError,
    Saved,
    StalledJob,
    WatchState,
)
from autopilot_reports.domain.seal import Sealer
from autopilot_reports.models.common import epoch_ms, iso_utc, parse_iso_utc
from autopilot_reports.models.events import ImportProgress
from autopilot_reports.models.record import HistoryEntry, ReportRecord

if TYPE_CHECKING:  # stubs are a dev dependency, not deployed
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import (
        ConditionCheckTypeDef,
        KeysAndAttributesUnionTypeDef,
        TransactWriteItemTypeDef,
        UpdateTypeDef,
    )

    from autopilot_reports.models.digest import Digest

BATCH_GET_LIMIT = 100
BATCH_GET_ATTEMPTS = 6
CONDITION_FAILED = "ConditionalCheckFailed"
CONTENT_REFUSALS = frozenset({"ValidationError", "ItemCollectionSizeLimitExceeded"})


class DynamoDBReportStore(AwsAdapter["DynamoDBClient"]):
    service = "dynamodb"

    def __init__(self, table_name: str, dynamodb: DynamoDBClient | None = None, sealer: Sealer | None = None) -> None:
        """`sealer`: seals each write that can lead to a message (domain/seal.py); the functions' stores have
        one, the CLI's reads need none."""
        super().__init__(dynamodb)
        self.table_name = table_name
        self.sealer = sealer

    # --- the report ---------------------------------------------------------------------------------

    def save_report(
        self,
        record: ReportRecord,
        history: HistoryEntry,
        claim_notification: bool,
        family: FamilyUpdate | None = None,
    ) -> Saved:
        refused = items.refusal(items.record_attributes(record)) or items.refusal(items.history_attributes(history))
        if refused:
            raise RecordRejectedError(refused)
        transaction = ReportTransaction(self.table_name, record, history, claim_notification, family, self.sealer)
        try:
            self.client.transact_write_items(TransactItems=transaction.items)
            return Saved.CLAIMED if claim_notification else Saved.WRITTEN
        except ClientError as error:
            if _refused_content(error):
                raise RecordRejectedError(f"{error_code(error)}: {_message(error)}") from error
            failed = _failed_conditions(error)
            if not failed:
                raise
            cancelled = error
        unclaimed = record.model_copy(update={c.NOTIFIED_AT: None})
        if transaction.latest in failed:
            if claim_notification and self._notified_but_older(record, cancelled, transaction.latest):
                # A terminal job changed again after its notification: keep the record current, once.
                return self.save_report(unclaimed, history, False, family)
            return Saved.UNCHANGED
        if transaction.family in failed:
            # The family's best moved since the watcher looked: judge again against what stands now.
            old = _old_item(cancelled, transaction.family)
            assert family is not None
            standing = items.standing_from_item(old) if old else FamilyStanding(family.family)
            raise FamilyChangedError(standing)
        # Only the watch check failed: the job ended before the stack began watching. No notification.
        return self.save_report(unclaimed, history, False, family)

    def _notified_but_older(self, record: ReportRecord, error: ClientError, position: int) -> bool:
        """From the item the cancelled transaction returned (ReturnValuesOnConditionCheckFailure: no read)."""
        old = _old_item(error, position)
        return old is not None and c.NOTIFIED_AT in old and int(old[items.PROGRESS]) < record.progress

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
        return WatchState(
            watch_start=_time(state.get("watch_start")),
            watermark=_time(state.get("watermark")),
            listed_at=_time(state.get("listed_at")),
        )

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

    def record_pass(self, listed_at: datetime, watermark: datetime) -> None:
        self._update_if(
            items.WATCHER_KEY,
            {
                "watermark": iso_utc(watermark),
                "watermark_ms": epoch_ms(watermark),
                "listed_at": iso_utc(listed_at),
                "listed_at_ms": epoch_ms(listed_at),
            },
            "(attribute_not_exists(watermark_ms) OR watermark_ms <= :watermark_ms)"
            " AND (attribute_not_exists(listed_at_ms) OR listed_at_ms <= :listed_at_ms)",
        )

    def known_states(self, job_names: Sequence[str], families: Sequence[str] = ()) -> Known:
        jobs: dict[str, KnownState] = {}
        standings: dict[str, FamilyStanding] = {}
        keys = [items.report_key(name) for name in dict.fromkeys(job_names)]
        keys += [items.family_key(family) for family in dict.fromkeys(families)]
        for start in range(0, len(keys), BATCH_GET_LIMIT):
            for raw in self._batch_get([items.serialize(key) for key in keys[start : start + BATCH_GET_LIMIT]]):
                item = items.deserialize(raw)
                if item[c.SORT_KEY] == items.FAMILY_SK:
                    standings[item["family"]] = items.standing_from_item(item)
                else:
                    jobs[item["job_name"]] = KnownState(
                        status=item["status"], secondary_status=item["secondary_status"], progress=int(item["progress"])
                    )
        return Known(jobs=jobs, families=standings)

    def _batch_get(self, keys: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        projection, names = _projection(KNOWN_ATTRIBUTES)
        request: Mapping[str, KeysAndAttributesUnionTypeDef] = {
            self.table_name: {
                "Keys": keys,
                "ProjectionExpression": projection,
                "ExpressionAttributeNames": names,
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

    # --- stuck jobs and digests ----------------------------------------------------------------------

    def stalled(self, quiet_since: datetime, not_before: datetime) -> list[StalledJob]:
        if not_before > quiet_since:  # DynamoDB refuses a BETWEEN whose bounds are reversed
            return []
        partition_key, sort_key = c.INDEXES[c.INDEX_BY_STATUS]
        projection, names = _projection(STALLED_ATTRIBUTES)
        found = self._query(
            IndexName=c.INDEX_BY_STATUS,
            KeyConditionExpression=f"{partition_key} = :pk AND {sort_key} BETWEEN :since AND :quiet",
            ExpressionAttributeValues=items.serialize(
                {
                    ":pk": f"{items.STATUS_PK_PREFIX}{c.IN_PROGRESS}",
                    ":since": iso_utc(not_before),
                    ":quiet": iso_utc(quiet_since) + "#\uffff",
                }
            ),
            ProjectionExpression=projection,
            ExpressionAttributeNames=names,
        )
        stalled = []
        for raw in found:
            item = items.deserialize(raw)
            progress = int(item["progress"])
            alerted = item.get(items.STUCK_ALERTED_FOR)
            stalled.append(StalledJob(item["job_name"], progress, alerted is not None and int(alerted) == progress))
        return stalled

    def claim_stuck(self, job_name: str, progress: int, at: datetime) -> bool:
        claim: dict[str, Any] = {items.STUCK_ALERTED_FOR: progress, items.STUCK_NOTIFIED_AT: iso_utc(at)}
        if self.sealer is not None:
            claim[c.STUCK_SEAL] = self.sealer.stuck_seal(job_name, progress, iso_utc(at))
        try:
            self.client.update_item(
                **self._update(
                    items.report_key(job_name),
                    claim,
                    condition=f"{items.PROGRESS} = :{items.STUCK_ALERTED_FOR} AND "
                    f"(attribute_not_exists({items.STUCK_ALERTED_FOR}) OR "
                    f"{items.STUCK_ALERTED_FOR} <> :{items.STUCK_ALERTED_FOR})",
                )
            )
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def digest_inputs(self, start: datetime, end: datetime, stalled: tuple[datetime, datetime]) -> DigestInputs:
        modified = [record for status in c.JOB_STATUSES for record in self.by_status(status, start, end)]
        partial = self.with_partial_failures(start, end)
        stalled_records = self._query_index(c.INDEX_BY_STATUS, f"{items.STATUS_PK_PREFIX}{c.IN_PROGRESS}", *stalled)
        return DigestInputs(
            modified=modified, partial_failures=partial, stalled=stalled_records, families=self.families()
        )

    def families(self) -> list[tuple[FamilyStanding, int]]:
        """Every family's standing best and its number of jobs (one Query on the by_status index)."""
        partition_key, _ = c.INDEXES[c.INDEX_BY_STATUS]
        found = self._query(
            IndexName=c.INDEX_BY_STATUS,
            KeyConditionExpression=f"{partition_key} = :pk",
            ExpressionAttributeValues=items.serialize({":pk": items.FAMILIES_PK}),
        )
        return [
            (items.standing_from_item(item), int(item.get("jobs", 0)))
            for item in (items.deserialize(raw) for raw in found)
        ]

    def last_digest_end(self) -> datetime | None:
        item = self.client.get_item(
            TableName=self.table_name, Key=items.serialize(items.WATCHER_KEY), ConsistentRead=True
        ).get("Item")
        return _time(items.deserialize(item).get("last_digest_end")) if item else None

    def save_digest(self, digest: Digest) -> bool:
        end = digest.period.end
        item = items.digest_attributes(digest)
        if self.sealer is not None:
            item[c.SEAL] = self.sealer.digest_seal(item["digest"])
        put: TransactWriteItemTypeDef = {
            "Put": {
                "TableName": self.table_name,
                "Item": items.serialize(item),
                "ConditionExpression": f"attribute_not_exists({c.PARTITION_KEY})",
            }
        }
        moved: TransactWriteItemTypeDef = {
            "Update": self._update(
                items.WATCHER_KEY,
                {"last_digest_end": iso_utc(end), "last_digest_end_ms": epoch_ms(end)},
                condition="attribute_not_exists(last_digest_end_ms) OR last_digest_end_ms < :last_digest_end_ms",
            )
        }
        try:
            self.client.transact_write_items(TransactItems=[put, moved])
        except ClientError as error:
            if _failed_conditions(error):
                return False  # this period (or a later one) was summarized already
            raise
        return True

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
        return items.shown_record(items.deserialize(item)) if item else None

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
        return [items.shown_record(items.deserialize(item)) for item in found]

    def _query_index(self, index: str, pk: str, start: datetime, end: datetime) -> list[ReportRecord]:
        if start > end:  # DynamoDB refuses a BETWEEN whose bounds are reversed
            return []
        partition_key, sort_key = c.INDEXES[index]
        found = self._query(
            IndexName=index,
            KeyConditionExpression=f"{partition_key} = :pk AND {sort_key} BETWEEN :start AND :end",
            ExpressionAttributeValues=items.serialize(
                {":pk": pk, ":start": iso_utc(start), ":end": iso_utc(end) + "#\uffff"}
            ),
        )
        return [items.shown_record(items.deserialize(item)) for item in found]

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
        return update_params(self.table_name, key, attributes, removes, condition)

    def _update_if(self, key: Mapping[str, Any], attributes: Mapping[str, Any], condition: str) -> None:
        """A conditional UpdateItem; a condition that does not hold is not an error."""
        try:
            self.client.update_item(**self._update(key, attributes, condition=condition))
        except ClientError as error:
            if error_code(error) != "ConditionalCheckFailedException":
                raise


# What a listing's lookup and the stuck Query read (many names are reserved words: always placeholders).
JOB_ATTRIBUTES = (c.PARTITION_KEY, c.SORT_KEY, "job_name", "status", "secondary_status", items.PROGRESS)
KNOWN_ATTRIBUTES = (*JOB_ATTRIBUTES, "family", "best_job", "best_value", "best_metric", "direction")
STALLED_ATTRIBUTES = ("job_name", items.PROGRESS, items.STUCK_ALERTED_FOR)


def _projection(attributes: Sequence[str]) -> tuple[str, dict[str, str]]:
    names = {f"#p{index}": name for index, name in enumerate(attributes)}
    return ", ".join(names), names


def update_params(
    table_name: str,
    key: Mapping[str, Any],
    attributes: Mapping[str, Any],
    removes: Sequence[str] = (),
    condition: str | None = None,
    adds: Mapping[str, int] | None = None,
) -> UpdateTypeDef:
    """UpdateItem arguments that set every attribute (placeholders for names and values), add `adds` to
    numbers, remove `removes`, under `condition` (which may use `:<attribute>` for a new value)."""
    adds = adds or {}
    names = {f"#a{index}": name for index, name in enumerate([*attributes, *adds, *removes])}
    placeholders = {name: placeholder for placeholder, name in names.items()}
    values = {f":{name}": value for name, value in {**attributes, **adds}.items()}
    expression = "SET " + ", ".join(f"{placeholders[name]} = :{name}" for name in attributes)
    if adds:
        expression += " ADD " + ", ".join(f"{placeholders[name]} :{name}" for name in adds)
    if removes:
        expression += " REMOVE " + ", ".join(placeholders[name] for name in removes)
    update: UpdateTypeDef = {
        "TableName": table_name,
        "Key": items.serialize(key),
        "UpdateExpression": expression,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": items.serialize(values),
    }
    if condition:
        update["ConditionExpression"] = condition
    return update


class ReportTransaction:
    """The report's one TransactWriteItems: the latest record (only if newer; with the claim, only if not
    claimed yet), its history item, the watch-start check of a claim (domain.rules.notify_worthy), and the
    family's best (only if it still is what the report was judged against). Positions are kept, so a
    cancellation says which condition failed."""

    def __init__(
        self,
        table: str,
        record: ReportRecord,
        history: HistoryEntry,
        claim: bool,
        family: FamilyUpdate | None,
        sealer: Sealer | None = None,
    ) -> None:
        self.items: list[TransactWriteItemTypeDef] = []
        self.latest = self._add({"Update": self._latest(table, record, claim, family, sealer)})
        self.history = self._add(
            {"Put": {"TableName": table, "Item": items.serialize(items.history_attributes(history))}}
        )
        self.watch_check = self._add({"ConditionCheck": self._watch_check(table, record)}) if claim else None
        self.family = self._add({"Update": self._family(table, family)}) if family else None

    def _add(self, item: TransactWriteItemTypeDef) -> int:
        self.items.append(item)
        return len(self.items) - 1

    @staticmethod
    def _latest(
        table: str, record: ReportRecord, claim: bool, family: FamilyUpdate | None, sealer: Sealer | None
    ) -> UpdateTypeDef:
        keep_verdict = family is not None and family.keep_verdict
        attributes = (
            items.record_attributes_keeping_verdict(record) if keep_verdict else items.record_attributes(record)
        )
        condition = items.NEWER
        if claim:
            assert record.notified_at is not None
            attributes[c.NOTIFIED_AT] = iso_utc(record.notified_at)
            # The same state, not yet claimed, may claim too (e.g. an earlier write that could not).
            condition = f"attribute_not_exists({c.NOTIFIED_AT}) AND ({items.NEWER} OR {items.PROGRESS} = :progress)"
        if sealer is not None:  # over exactly what this write sets, the claim included
            attributes[c.SEAL] = sealer.record_seal(attributes)
        latest = update_params(
            table, items.report_key(record.job_name), attributes, items.record_removals(record), condition
        )
        latest["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        return latest

    @staticmethod
    def _watch_check(table: str, record: ReportRecord) -> ConditionCheckTypeDef:
        return {
            "TableName": table,
            "Key": items.serialize(items.WATCHER_KEY),
            # domain.rules.notify_worthy, checked where the claim is committed
            "ConditionExpression": "watch_start_ms <= :ended",
            "ExpressionAttributeValues": {":ended": {"N": str(epoch_ms(rules.ended(record)))}},
        }

    @staticmethod
    def _family(table: str, family: FamilyUpdate) -> UpdateTypeDef:
        attributes: dict[str, Any] = items.family_index_attributes(family.family)
        best = family.becomes_best
        if best is not None:
            attributes.update(
                best_job=best.job_name, best_value=best.value, best_metric=family.metric, direction=family.direction
            )
        expected = family.expected
        if expected is None:
            condition = "attribute_not_exists(best_job)"
        else:
            condition = "best_job = :expected_job AND best_value = :expected_value"
        update = update_params(
            table, items.family_key(family.family), attributes, (), condition, {"jobs": 1} if family.count_job else None
        )
        if expected is not None:
            update["ExpressionAttributeValues"] = {
                **update["ExpressionAttributeValues"],
                **items.serialize({":expected_job": expected.job_name, ":expected_value": expected.value}),
            }
        update["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        return update


def _old_item(error: ClientError, position: int | None) -> dict[str, Any] | None:
    """The item a cancelled transaction returned for one of its positions (ALL_OLD), as plain data."""
    reasons = error.response.get("CancellationReasons") or []
    if position is None or position >= len(reasons):
        return None
    item = reasons[position].get("Item")
    return items.deserialize(item) if item else None


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
