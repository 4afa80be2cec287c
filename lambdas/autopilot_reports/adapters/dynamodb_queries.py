"""What people ask the report table: one job's report and history, jobs by status or with partial
failures in a time range, the most recent jobs, the families, a history import's progress; in an
organization's hub also jobs by account, the places a job name ran in, and the spokes. Each is one
GetItem or Query (never a Scan; docs/design.md §4.3). The CLI and the sandbox's output files read through
it, and so does the digest (through the store's `digest_inputs`), so a question has one answer.

Items and keys: `dynamodb_items.py`.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import TYPE_CHECKING, Any

from autopilot_reports import constants as c
from autopilot_reports.adapters import dynamodb_items as items
from autopilot_reports.adapters.clients import AwsAdapter
from autopilot_reports.adapters.dynamodb_items import KeyScope
from autopilot_reports.domain.family import FamilyStanding
from autopilot_reports.domain.ports import SpokeStatus
from autopilot_reports.models.common import iso_utc
from autopilot_reports.models.events import ImportProgress
from autopilot_reports.models.place import Place
from autopilot_reports.models.record import HistoryEntry, ReportRecord

if TYPE_CHECKING:  # stubs are a dev dependency, not deployed; the cost models are the CLI's and coster's
    from mypy_boto3_dynamodb import DynamoDBClient

    from autopilot_reports.models.cost import FamilyCost


class ReportQueries(AwsAdapter["DynamoDBClient"]):
    """Reads of the report table keyed in `scope`. A job is named by its name, and in an organization's
    table (KeyScope.ORGANIZATION) by its place too."""

    service = "dynamodb"

    def __init__(
        self, table_name: str, dynamodb: DynamoDBClient | None = None, scope: KeyScope = KeyScope.LOCAL
    ) -> None:
        super().__init__(dynamodb)
        self.table_name = table_name
        self.scope = scope

    def get_report(self, job_name: str, place: Place | None = None) -> ReportRecord | None:
        key = items.report_key(job_name, place, self.scope)
        item = self.client.get_item(TableName=self.table_name, Key=items.serialize(key)).get("Item")
        return items.shown_record(items.deserialize(item)) if item else None

    def history(self, job_name: str, place: Place | None = None) -> list[HistoryEntry]:
        found = self.query(
            KeyConditionExpression="pk = :pk AND begins_with(sk, :history)",
            ExpressionAttributeValues=items.serialize(
                {":pk": items.job_pk(job_name, place, self.scope), ":history": items.HISTORY_SK_PREFIX}
            ),
        )
        return [items.history_from_item(items.deserialize(item)) for item in found]

    def by_status(self, status: str, start: datetime, end: datetime) -> list[ReportRecord]:
        return self._in_range(c.INDEX_BY_STATUS, f"{items.STATUS_PK_PREFIX}{status}", start, end)

    def with_partial_failures(self, start: datetime, end: datetime) -> list[ReportRecord]:
        return self._in_range(c.INDEX_BY_PARTIAL_FAILURE, items.PARTIAL_FAILURE_PK, start, end)

    def recent(self, limit: int = 20) -> list[ReportRecord]:
        partition_key, _ = c.INDEXES[c.INDEX_RECENT]
        found = self.query(
            IndexName=c.INDEX_RECENT,
            KeyConditionExpression=f"{partition_key} = :pk",
            ExpressionAttributeValues=items.serialize({":pk": items.RECENT_PK}),
            ScanIndexForward=False,
            Limit=limit,
            max_items=limit,
        )
        return [items.shown_record(items.deserialize(item)) for item in found]

    def families(self) -> list[tuple[FamilyStanding, int]]:
        """Every family's standing best and its number of jobs (one Query on the by_status index)."""
        return [(standing, jobs) for standing, jobs, _ in self.family_rows()]

    def family_rows(self) -> list[tuple[FamilyStanding, int, FamilyCost | None]]:
        """Every family's standing best, its number of jobs and its costed jobs' estimated cost (the same
        one Query)."""
        partition_key, _ = c.INDEXES[c.INDEX_BY_STATUS]
        found = self.query(
            IndexName=c.INDEX_BY_STATUS,
            KeyConditionExpression=f"{partition_key} = :pk",
            ExpressionAttributeValues=items.serialize({":pk": items.FAMILIES_PK}),
        )
        return [
            (items.standing_from_item(item), int(item.get("jobs", 0)), items.family_cost_from_item(item))
            for item in (items.deserialize(raw) for raw in found)
        ]

    # --- an organization's hub (KeyScope.ORGANIZATION) -------------------------------------------------

    def by_account(self, account: str, start: datetime, end: datetime, region: str | None = None) -> list[ReportRecord]:
        """One account's jobs last modified in [start, end] (one Query of by_account; a region narrows it
        by a filter on the same Query)."""
        if start > end:
            return []
        partition_key, sort_key = c.ORGANIZATION_INDEXES[c.INDEX_BY_ACCOUNT]
        params: dict[str, Any] = {
            "IndexName": c.INDEX_BY_ACCOUNT,
            "KeyConditionExpression": f"{partition_key} = :pk AND {sort_key} BETWEEN :start AND :end",
            "ExpressionAttributeValues": {
                ":pk": f"{items.ACCOUNT_PK_PREFIX}{account}",
                ":start": iso_utc(start),
                ":end": iso_utc(end) + "#\uffff",
            },
        }
        if region:
            params["FilterExpression"] = "#region = :region"
            params["ExpressionAttributeNames"] = {"#region": "region"}
            params["ExpressionAttributeValues"][":region"] = region
        params["ExpressionAttributeValues"] = items.serialize(params["ExpressionAttributeValues"])
        return [items.record_from_item(items.deserialize(item)) for item in self.query(**params)]

    def places_of(self, job_name: str, account: str | None = None, region: str | None = None) -> list[ReportRecord]:
        """Every job of this name, one per account and region it ran in (one Query of by_name; an account,
        and a region with it, narrow the key condition)."""
        partition_key, sort_key = c.ORGANIZATION_INDEXES[c.INDEX_BY_NAME]
        condition = f"{partition_key} = :pk"
        values: dict[str, str] = {":pk": f"{items.NAME_PK_PREFIX}{job_name}"}
        if account and region:
            condition += f" AND {sort_key} = :place"
            values[":place"] = f"{account}#{region}"
        elif account:
            condition += f" AND begins_with({sort_key}, :account)"
            values[":account"] = f"{account}#"
        found = self.query(
            IndexName=c.INDEX_BY_NAME,
            KeyConditionExpression=condition,
            ExpressionAttributeValues=items.serialize(values),
        )
        records = [items.record_from_item(items.deserialize(item)) for item in found]
        return [record for record in records if region is None or record.region == region]

    def spokes(self) -> list[SpokeStatus]:
        """Every spoke the hub has heard from, by last heartbeat (one Query of by_status's SPOKES partition)."""
        partition_key, _ = c.INDEXES[c.INDEX_BY_STATUS]
        found = self.query(
            IndexName=c.INDEX_BY_STATUS,
            KeyConditionExpression=f"{partition_key} = :pk",
            ExpressionAttributeValues=items.serialize({":pk": items.SPOKES_PK}),
        )
        return [items.spoke_from_item(items.deserialize(item)) for item in found]

    def job_counts(self, account: str) -> Counter[tuple[str, str]]:
        """One account's jobs counted by (region, status): one Query of by_account reading two attributes."""
        partition_key, _ = c.ORGANIZATION_INDEXES[c.INDEX_BY_ACCOUNT]
        found = self.query(
            IndexName=c.INDEX_BY_ACCOUNT,
            KeyConditionExpression=f"{partition_key} = :pk",
            ExpressionAttributeValues=items.serialize({":pk": f"{items.ACCOUNT_PK_PREFIX}{account}"}),
            ProjectionExpression="#region, #status",
            ExpressionAttributeNames={"#region": "region", "#status": "status"},
        )
        counts: Counter[tuple[str, str]] = Counter()
        for raw in found:
            item = items.deserialize(raw)
            counts[(str(item.get("region")), str(item.get("status")))] += 1
        return counts

    def get_import_progress(self, import_id: str) -> ImportProgress | None:
        item = self.client.get_item(
            TableName=self.table_name, Key=items.serialize(items.import_key(import_id)), ConsistentRead=True
        ).get("Item")
        return items.import_from_item(items.deserialize(item)) if item else None

    def query(self, max_items: int | None = None, **params: Any) -> list[dict[str, Any]]:
        """Every page of one Query of the table (DynamoDB JSON items), up to `max_items`."""
        found: list[dict[str, Any]] = []
        for page in self.client.get_paginator("query").paginate(TableName=self.table_name, **params):
            found.extend(page.get("Items", []))
            if max_items is not None and len(found) >= max_items:
                return found[:max_items]
        return found

    def _in_range(self, index: str, pk: str, start: datetime, end: datetime) -> list[ReportRecord]:
        if start > end:  # DynamoDB refuses a BETWEEN whose bounds are reversed
            return []
        partition_key, sort_key = c.INDEXES[index]
        found = self.query(
            IndexName=index,
            KeyConditionExpression=f"{partition_key} = :pk AND {sort_key} BETWEEN :start AND :end",
            ExpressionAttributeValues=items.serialize(
                {":pk": pk, ":start": iso_utc(start), ":end": iso_utc(end) + "#\uffff"}
            ),
        )
        return [items.shown_record(items.deserialize(item)) for item in found]
