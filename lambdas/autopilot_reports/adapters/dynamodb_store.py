"""The report table behind the domain's ReportStore port (domain/ports.py): the report's commit, the
watcher's state, stuck claims, digests and history imports.

Items and keys: `dynamodb_items.py`; the report's transaction: `dynamodb_transaction.py`; what people
ask the table: `dynamodb_queries.py` (the digest's inputs are read through it). Every read is a GetItem,
BatchGetItem or Query; every write is conditional or idempotent. The terminal notification is claimed by
the same transaction that commits the record, and the table's stream carries that commit to the
notifier (docs/design.md §5.2).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from autopilot_reports import constants as c
from autopilot_reports.adapters import dynamodb_items as items
from autopilot_reports.adapters.clients import AwsAdapter, error_code
from autopilot_reports.adapters.dynamodb_items import KeyScope
from autopilot_reports.adapters.dynamodb_queries import ReportQueries
from autopilot_reports.adapters.dynamodb_transaction import (
    ReportTransaction,
    error_message,
    failed_conditions,
    old_item,
    refused_content,
    update_params,
)
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
from autopilot_reports.models.place import JobRef
from autopilot_reports.models.record import HistoryEntry, ReportRecord

if TYPE_CHECKING:  # stubs are a dev dependency, not deployed
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import KeysAndAttributesUnionTypeDef, TransactWriteItemTypeDef, UpdateTypeDef

    from autopilot_reports.models.digest import Digest

BATCH_GET_LIMIT = 100
BATCH_GET_ATTEMPTS = 6


class DynamoDBReportStore(AwsAdapter["DynamoDBClient"]):
    """The ReportStore port on one table whose jobs are keyed in `scope` (the stack's: LOCAL)."""

    service = "dynamodb"
    # A claim is committed only for a job that ended after this table's watch began (domain.rules); a hub's
    # claims are its spokes', which checked that rule in their own commit (adapters/dynamodb_hub.py).
    checks_watch = True

    def __init__(
        self,
        table_name: str,
        dynamodb: DynamoDBClient | None = None,
        scope: KeyScope = KeyScope.LOCAL,
        sealer: Sealer | None = None,
    ) -> None:
        """`sealer`: seals each write that can lead to a message (domain/seal.py)."""
        super().__init__(dynamodb)
        self.table_name = table_name
        self.scope = scope
        self.sealer = sealer

    @cached_property
    def _queries(self) -> ReportQueries:
        return ReportQueries(self.table_name, self.client, self.scope)

    # --- the report ---------------------------------------------------------------------------------

    def save_report(
        self,
        record: ReportRecord,
        history: HistoryEntry,
        claim_notification: bool,
        family: FamilyUpdate | None = None,
    ) -> Saved:
        refused = items.refusal(items.record_attributes(record, self.scope)) or items.refusal(
            items.history_attributes(history, record.place, self.scope)
        )
        if refused:
            raise RecordRejectedError(refused)
        transaction = ReportTransaction(
            self.table_name,
            record,
            history,
            claim_notification,
            family,
            self.scope,
            self.sealer,
            check_watch=self.checks_watch,
        )
        try:
            self.client.transact_write_items(TransactItems=transaction.items)
            return Saved.CLAIMED if claim_notification else Saved.WRITTEN
        except ClientError as error:
            if refused_content(error):
                raise RecordRejectedError(f"{error_code(error)}: {error_message(error)}") from error
            failed = failed_conditions(error)
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
            old = old_item(cancelled, transaction.family)
            assert family is not None
            standing = items.standing_from_item(old) if old else FamilyStanding(family.family)
            raise FamilyChangedError(standing)
        # Only the watch check failed: the job ended before the stack began watching. No notification.
        return self.save_report(unclaimed, history, False, family)

    def _notified_but_older(self, record: ReportRecord, error: ClientError, position: int) -> bool:
        """From the item the cancelled transaction returned (ReturnValuesOnConditionCheckFailure: no read)."""
        old = old_item(error, position)
        return old is not None and c.NOTIFIED_AT in old and int(old[items.PROGRESS]) < record.progress

    def record_error(self, job: JobRef, reason: str) -> None:
        self._update_if(
            self._report_key(job), {items.LAST_ERROR: reason[:1024]}, f"attribute_exists({c.PARTITION_KEY})"
        )

    def _report_key(self, job: JobRef) -> dict[str, str]:
        return items.report_key(job.name, job.place, self.scope)

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
            published_through=_time(state.get("published_through")),
            heartbeat_at=_time(state.get(c.HEARTBEAT_AT)),
        )

    def write_heartbeat(self, at: datetime, due_since: datetime, watch: WatchState | None = None) -> bool:
        heartbeat_ms = f"{c.HEARTBEAT_AT}_ms"
        beat = items.heartbeat_attributes(at, watch)
        if self.sealer is not None:
            beat[c.HEARTBEAT_SEAL] = self.sealer.heartbeat_seal(beat[c.HEARTBEAT])
        try:
            self.client.update_item(
                **self._update(
                    items.WATCHER_KEY,
                    {**beat, heartbeat_ms: epoch_ms(at)},
                    condition=f"attribute_not_exists({heartbeat_ms}) OR {heartbeat_ms} <= :due_since_ms",
                    values={":due_since_ms": epoch_ms(due_since)},
                )
            )
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return False
            raise
        return True

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

    def record_pass(self, listed_at: datetime, watermark: datetime, published_through: datetime | None = None) -> None:
        published = {"published_through": iso_utc(published_through)} if published_through else {}
        self._update_if(
            items.WATCHER_KEY,
            {
                "watermark": iso_utc(watermark),
                "watermark_ms": epoch_ms(watermark),
                "listed_at": iso_utc(listed_at),
                "listed_at_ms": epoch_ms(listed_at),
                **published,
            },
            "(attribute_not_exists(watermark_ms) OR watermark_ms <= :watermark_ms)"
            " AND (attribute_not_exists(listed_at_ms) OR listed_at_ms <= :listed_at_ms)",
        )

    def known_states(self, jobs: Sequence[JobRef], families: Sequence[str] = ()) -> Known:
        known: dict[JobRef, KnownState] = {}
        standings: dict[str, FamilyStanding] = {}
        asked: dict[str, list[JobRef]] = {}  # which jobs an item answers (by its partition key)
        for job in dict.fromkeys(jobs):
            asked.setdefault(self._report_key(job)[c.PARTITION_KEY], []).append(job)
        keys: list[dict[str, str]] = [{c.PARTITION_KEY: pk, c.SORT_KEY: c.REPORT_SK} for pk in asked]
        keys += [items.family_key(family) for family in dict.fromkeys(families)]
        for start in range(0, len(keys), BATCH_GET_LIMIT):
            for raw in self._batch_get([items.serialize(key) for key in keys[start : start + BATCH_GET_LIMIT]]):
                item = items.deserialize(raw)
                if item[c.SORT_KEY] == items.FAMILY_SK:
                    standings[item["family"]] = items.standing_from_item(item)
                else:
                    state = KnownState(item["status"], item["secondary_status"], int(item[items.PROGRESS]))
                    known.update(dict.fromkeys(asked[item[c.PARTITION_KEY]], state))
        return Known(jobs=known, families=standings)

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
        found = self._queries.query(
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
            job = JobRef.of(item["job_arn"], item["job_name"])
            stalled.append(StalledJob(job, progress, alerted is not None and int(alerted) == progress))
        return stalled

    def claim_stuck(self, job: JobRef, progress: int, at: datetime) -> bool:
        claim: dict[str, Any] = {items.STUCK_ALERTED_FOR: progress, items.STUCK_NOTIFIED_AT: iso_utc(at)}
        if self.sealer is not None:
            claim[c.STUCK_SEAL] = self.sealer.stuck_seal(job.name, progress, iso_utc(at))
        try:
            self.client.update_item(
                **self._update(
                    self._report_key(job),
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
        queries = self._queries
        return DigestInputs(
            modified=[record for status in c.JOB_STATUSES for record in queries.by_status(status, start, end)],
            partial_failures=queries.with_partial_failures(start, end),
            stalled=queries.by_status(c.IN_PROGRESS, *stalled),
            families=queries.families(),
        )

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
            if failed_conditions(error):
                return False  # this period (or a later one) was summarized already
            raise
        return True

    # --- history imports ----------------------------------------------------------------------------

    def save_import_progress(self, progress: ImportProgress) -> None:
        attributes = items.import_attributes(progress)
        key = {name: attributes.pop(name) for name in (c.PARTITION_KEY, c.SORT_KEY)}
        self.client.update_item(**self._update(key, attributes))

    def get_import_progress(self, import_id: str) -> ImportProgress | None:
        return self._queries.get_import_progress(import_id)

    # --- helpers ------------------------------------------------------------------------------------

    def _update(
        self,
        key: Mapping[str, Any],
        attributes: Mapping[str, Any],
        removes: Sequence[str] = (),
        condition: str | None = None,
        values: Mapping[str, Any] | None = None,
    ) -> UpdateTypeDef:
        """UpdateItem arguments; `values`: more placeholders the condition uses (`:name` -> plain data)."""
        update = update_params(self.table_name, key, attributes, removes, condition)
        if values:
            update["ExpressionAttributeValues"] = {
                **update["ExpressionAttributeValues"],
                **items.serialize(values),
            }
        return update

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
STALLED_ATTRIBUTES = ("job_name", "job_arn", items.PROGRESS, items.STUCK_ALERTED_FOR)


def _projection(attributes: Sequence[str]) -> tuple[str, dict[str, str]]:
    names = {f"#p{index}": name for index, name in enumerate(attributes)}
    return ", ".join(names), names


def _time(value: Any) -> datetime | None:
    return parse_iso_utc(value) if isinstance(value, str) else None
