"""Forwarder Lambda (a spoke): the table's stream in, each committed report, stuck claim and heartbeat sent
for the hub as one entry onto the spoke's own bus (its ToHubRule forwards them, one hop).

The event source mapping filters the stream to the commits that may matter (latest records, the watcher's
item); the domain decides which do (domain/forwarder.py). A batch is sent together; if any entry is not
accepted the batch fails and the mapping retries it (bisecting), so nothing committed is lost on its way.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord, DynamoDBStreamEvent
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from autopilot_reports import constants as c
from autopilot_reports.adapters.clients import ClientOrigin, client_origin
from autopilot_reports.adapters.dynamodb_items import from_dynamodb, record_from_item
from autopilot_reports.adapters.eventbridge import EventBridgeForwarder
from autopilot_reports.domain.forwarder import (
    Forwarder,
    claimed,
    forwarded_type,
    heartbeat_entry,
    report_entry,
    stuck_entry,
)
from autopilot_reports.domain.ports import Outgoing
from autopilot_reports.models.common import parse_iso_utc
from autopilot_reports.models.record import ReportRecord
from autopilot_reports.observability import count, logger, metrics, tracer
from autopilot_reports.settings import ForwarderSettings, get_settings


def default_forwarder() -> Forwarder:
    return forwarder_for(get_settings(ForwarderSettings), client_origin())


@cache  # keyed by what built it, as reporter.reporter_for
def forwarder_for(settings: ForwarderSettings, origin: ClientOrigin) -> Forwarder:
    return Forwarder(sender=EventBridgeForwarder(settings.event_bus_name))


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext, forwarder: Forwarder | None = None) -> dict[str, Any]:
    records = list(DynamoDBStreamEvent(event).records)
    entries = [entry for record in records if (entry := _entry(record)) is not None]
    result = (forwarder or default_forwarder()).forward(entries)
    if result.reduced:
        logger.warning("reports over EventBridge's entry limit were sent reduced", reduced=result.reduced)
        count(c.ENTRIES_REDUCED, result.reduced)
    count(c.ENTRIES_FORWARDED, result.sent)
    logger.info("forwarded to the hub", entries=result.sent, records=len(records))
    return {"forwarded": result.sent, "reduced": result.reduced}


def _entry(stream_record: DynamoDBRecord) -> Outgoing | None:
    images = stream_record.dynamodb
    new_image = from_dynamodb(images.new_image) if images is not None else {}
    old_image = from_dynamodb(images.old_image) if images is not None else {}
    kind = forwarded_type(new_image, old_image)
    if kind is None:
        return None
    try:
        if kind == c.HEARTBEAT_DETAIL_TYPE:
            return heartbeat_entry(
                parse_iso_utc(str(new_image[c.HEARTBEAT_AT])),
                _time(new_image.get("watch_start")),
                _time(new_image.get("watermark")),
            )
        record = _record(new_image)
        if kind == c.STUCK_DETAIL_TYPE:
            alerted = _time(new_image.get(c.STUCK_NOTIFIED_AT)) or record.last_modified_at
            return stuck_entry(record, alerted)
        return report_entry(record, claimed(new_image, old_image))
    except (ValidationError, KeyError, ValueError) as error:
        # Retrying cannot fix an image we cannot read: say so loudly, and do not block the shard.
        logger.error("committed item is unreadable", error=str(error), event_id=stream_record.event_id)
        count(c.INVALID_EVENTS)
        return None


def _record(new_image: Mapping[str, Any]) -> ReportRecord:
    """The committed record. (Where the stack seals its writes, this is where the seal is checked before
    anything leaves for the hub, as the notifier checks it before it sends.)"""
    return record_from_item(new_image)


def _time(value: Any) -> Any:
    return parse_iso_utc(value) if isinstance(value, str) else None
