"""Our events onto the project's bus: "AutoML Job State Change" behind the EventPublisher port, and a
spoke's entries for its hub behind the HubSender port."""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

from autopilot_reports import constants as c
from autopilot_reports.adapters.clients import AwsAdapter
from autopilot_reports.domain.forwarder import entry_bytes
from autopilot_reports.domain.ports import EventPublishError, Outgoing
from autopilot_reports.models.events import AutoMLJobStateChange, ImportRequest

if TYPE_CHECKING:  # stubs are a dev dependency, not deployed
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_events.type_defs import PutEventsRequestEntryTypeDef

PUT_EVENTS_BATCH = 10  # PutEvents' limit per call
FAILED_ENTRY_ATTEMPTS = 3


class EventBridgePublisher(AwsAdapter["EventBridgeClient"]):
    service = "events"

    def __init__(self, event_bus_name: str, events: EventBridgeClient | None = None) -> None:
        super().__init__(events)
        self.event_bus_name = event_bus_name

    def publish(self, changes: Iterable[AutoMLJobStateChange]) -> int:
        entries = [self._entry(change) for change in changes]
        for start in range(0, len(entries), PUT_EVENTS_BATCH):
            self._put(entries[start : start + PUT_EVENTS_BATCH])
        return len(entries)

    def continue_import(self, request: ImportRequest) -> None:
        self._put([self._entry_of(c.IMPORT_DETAIL_TYPE, request.model_dump_json(), [])])

    def _entry(self, change: AutoMLJobStateChange) -> PutEventsRequestEntryTypeDef:
        return self._entry_of(c.STATE_CHANGE_DETAIL_TYPE, change.model_dump_json(), [change.AutoMLJobArn])

    def _entry_of(self, detail_type: str, detail: str, resources: list[str]) -> PutEventsRequestEntryTypeDef:
        entry: PutEventsRequestEntryTypeDef = {
            "Source": c.EVENT_SOURCE,
            "DetailType": detail_type,
            "Detail": detail,
            "EventBusName": self.event_bus_name,
            "Resources": resources,
        }
        trace_header = os.environ.get("_X_AMZN_TRACE_ID")  # set by Lambda when tracing is active
        if trace_header:
            entry["TraceHeader"] = trace_header
        return entry

    def _put(self, batch: list[PutEventsRequestEntryTypeDef]) -> None:
        """PutEvents can accept part of a batch: entries that failed are retried, then reported."""
        failed: list[tuple[PutEventsRequestEntryTypeDef, str]] = []
        for attempt in range(FAILED_ENTRY_ATTEMPTS):
            response = self.client.put_events(Entries=batch)
            if not response.get("FailedEntryCount"):
                return
            failed = [
                (entry, f"{result.get('ErrorCode')}: {result.get('ErrorMessage')}")
                for entry, result in zip(batch, response["Entries"], strict=True)
                if result.get("ErrorCode")
            ]
            batch = [entry for entry, _ in failed]
            time.sleep(0.1 * 2**attempt)
        raise EventPublishError(f"{len(failed)} events not accepted by EventBridge, first: {failed[0][1]}")


class EventBridgeForwarder(EventBridgePublisher):
    """A spoke's entries for its hub, onto the spoke's own bus (its ToHubRule forwards them): as few
    PutEvents as EventBridge's limits allow (10 entries, 256 KB a request)."""

    def send(self, entries: Sequence[Outgoing]) -> int:
        built = [
            self._entry_of(entry.detail_type, entry.detail.model_dump_json(), list(entry.resources))
            for entry in entries
        ]
        for batch in _packed(built):
            self._put(batch)
        return len(built)


def _packed(entries: list[PutEventsRequestEntryTypeDef]) -> Iterator[list[PutEventsRequestEntryTypeDef]]:
    """Batches of at most PUT_EVENTS_BATCH entries whose sizes add up to EventBridge's request limit."""
    batch: list[PutEventsRequestEntryTypeDef] = []
    size = 0
    for entry in entries:
        bytes_ = entry_bytes(entry["DetailType"], entry["Detail"], entry.get("Resources", []))
        if batch and (len(batch) == PUT_EVENTS_BATCH or size + bytes_ > c.MAX_ENTRY_BYTES):
            yield batch
            batch, size = [], 0
        batch.append(entry)
        size += bytes_
    if batch:
        yield batch
