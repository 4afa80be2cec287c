"""An organization's hub table behind the HubStore port (domain/ports.py): the report store keyed by
account, region and job (KeyScope.ORGANIZATION), plus the spokes' items.

A forwarded report is committed by the report store's own transaction (newer only, one claim per job),
without the watch-start check: the spoke checked that rule in its own commit, and its claim travels with
the report. A job's cost figures are the coster's own write (`dynamodb_costs.compute_update`: once, onto a
record that exists), in the organization's keys and sealed with the hub's key. Every write here is
conditional, so duplicates and events that arrive out of order change nothing (docs/design.md §8). Items
and keys: `dynamodb_items.py`.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from autopilot_reports import constants as c
from autopilot_reports.adapters import dynamodb_items as items
from autopilot_reports.adapters.clients import error_code
from autopilot_reports.adapters.dynamodb_costs import compute_update
from autopilot_reports.adapters.dynamodb_items import KeyScope
from autopilot_reports.adapters.dynamodb_store import DynamoDBReportStore
from autopilot_reports.domain.ports import ComputeSaved, SpokeStatus
from autopilot_reports.domain.seal import Sealer
from autopilot_reports.models.common import epoch_ms, iso_utc
from autopilot_reports.models.place import JobRef
from autopilot_reports.models.record import Compute, ReportRecord

if TYPE_CHECKING:  # stubs are a dev dependency, not deployed
    from mypy_boto3_dynamodb import DynamoDBClient


class DynamoDBHubStore(DynamoDBReportStore):
    checks_watch = False  # a forwarded claim is the spoke's, checked against the spoke's watch start

    def __init__(self, table_name: str, dynamodb: DynamoDBClient | None = None, sealer: Sealer | None = None) -> None:
        """`sealer`: seals each write that can lead to a message, as the report store does (domain/seal.py)."""
        super().__init__(table_name, dynamodb, KeyScope.ORGANIZATION, sealer)

    def claim_forwarded_stuck(self, record: ReportRecord, at: datetime) -> bool:
        attributes = items.record_attributes(record, self.scope)
        if self.sealer is not None:  # the record as this write sets it, and the stall's claim beside it
            attributes[c.SEAL] = self.sealer.record_seal(attributes)
            attributes[c.STUCK_SEAL] = self.sealer.stuck_seal(record.job_name, record.progress, iso_utc(at))
        attributes.update({items.STUCK_ALERTED_FOR: record.progress, items.STUCK_NOTIFIED_AT: iso_utc(at)})
        condition = (
            f"(attribute_not_exists({c.PARTITION_KEY}) OR {items.PROGRESS} <= :{items.PROGRESS}) AND "
            f"(attribute_not_exists({items.STUCK_ALERTED_FOR}) OR "
            f"{items.STUCK_ALERTED_FOR} <> :{items.STUCK_ALERTED_FOR})"
        )
        key = items.report_key(record.job_name, record.place, self.scope)
        return self._update_unless_taken(
            self._update(key, attributes, items.record_removals(record), condition=condition)
        )

    def save_compute(self, job: JobRef, compute: Compute) -> ComputeSaved:
        update = compute_update(self.table_name, job, compute, self.scope, self.sealer)
        update["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"  # why it failed, with no read
        try:
            self.client.update_item(**update)
        except ClientError as error:
            if error_code(error) != "ConditionalCheckFailedException":
                raise
            found = error.response.get("Item")
            return ComputeSaved.COSTED_ALREADY if found else ComputeSaved.NO_RECORD
        return ComputeSaved.WRITTEN

    def record_heartbeat(self, status: SpokeStatus) -> bool:
        heard = items.LAST_HEARTBEAT_MS
        condition = f"attribute_not_exists({heard}) OR {heard} < :{heard}"
        attributes = items.spoke_attributes(status)
        if self.sealer is not None:
            attributes[c.SEAL] = self.sealer.spoke_seal(attributes)
        update = self._update(items.spoke_key(status.place), attributes, condition=condition)
        return self._update_unless_taken(update)

    def silent_spokes(self, heard_before: datetime) -> list[SpokeStatus]:
        partition_key, sort_key = c.INDEXES[c.INDEX_BY_STATUS]
        found = self._queries.query(
            IndexName=c.INDEX_BY_STATUS,
            KeyConditionExpression=f"{partition_key} = :pk AND {sort_key} < :before",
            ExpressionAttributeValues=items.serialize({":pk": items.SPOKES_PK, ":before": iso_utc(heard_before)}),
        )
        return [items.spoke_from_item(items.deserialize(raw)) for raw in found]

    def claim_silence(self, spoke: SpokeStatus, at: datetime) -> bool:
        heard = epoch_ms(spoke.last_heartbeat)
        condition = (
            f"{items.LAST_HEARTBEAT_MS} = :{c.SILENT_ALERTED_FOR} AND "
            f"(attribute_not_exists({c.SILENT_ALERTED_FOR}) OR {c.SILENT_ALERTED_FOR} <> :{c.SILENT_ALERTED_FOR})"
        )
        claim: dict[str, Any] = {c.SILENT_ALERTED_FOR: heard, c.SILENT_NOTIFIED_AT: iso_utc(at)}
        if self.sealer is not None:
            place = spoke.place
            claim[c.SILENT_SEAL] = self.sealer.silence_seal(place.account, place.region, heard, iso_utc(at))
        return self._update_unless_taken(self._update(items.spoke_key(spoke.place), claim, condition=condition))

    def _update_unless_taken(self, update: Any) -> bool:
        """One conditional UpdateItem; False when its condition does not hold (claimed, or overtaken)."""
        try:
            self.client.update_item(**update)
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return False
            raise
        return True
