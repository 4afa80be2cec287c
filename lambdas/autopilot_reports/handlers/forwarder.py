"""Forwarder Lambda (a spoke): the table's stream in, each committed report, stuck claim and heartbeat sent
for the hub as one entry onto the spoke's own bus (its ToHubRule forwards them, one hop).

The event source mapping filters the stream to the commits that may matter (latest records, the watcher's
item); the domain decides which do, and sends only what the stack sealed (domain/forwarder.py). A batch is
sent together; if any entry is not accepted the batch fails and the mapping retries it (bisecting), so
nothing committed is lost on its way. A record the stack did not seal is refused: logged, counted
(ClaimsRefused), never sent, never retried.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord, DynamoDBStreamEvent
from aws_lambda_powertools.utilities.typing import LambdaContext

from autopilot_reports import constants as c
from autopilot_reports.adapters.clients import ClientOrigin, client_origin
from autopilot_reports.adapters.dynamodb_items import from_dynamodb
from autopilot_reports.adapters.eventbridge import EventBridgeForwarder
from autopilot_reports.adapters.kms import sealer_for
from autopilot_reports.domain.forwarder import Forwarder
from autopilot_reports.domain.ports import Outgoing
from autopilot_reports.domain.seal import ForgedClaimError
from autopilot_reports.observability import count, count_now, logger, metrics, tracer
from autopilot_reports.settings import ForwarderSettings, get_settings


def default_forwarder() -> Forwarder:
    return forwarder_for(get_settings(ForwarderSettings), client_origin())


@cache  # keyed by what built it, as reporter.reporter_for
def forwarder_for(settings: ForwarderSettings, origin: ClientOrigin) -> Forwarder:
    return Forwarder(sender=EventBridgeForwarder(settings.event_bus_name), sealer=sealer_for(settings.seal_alias))


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext, forwarder: Forwarder | None = None) -> dict[str, Any]:
    active = forwarder or default_forwarder()
    records = list(DynamoDBStreamEvent(event).records)
    entries = [entry for record in records if (entry := _entry(record, active)) is not None]
    result = active.forward(entries)
    if result.reduced:
        logger.warning("reports over EventBridge's entry limit were sent reduced", reduced=result.reduced)
        count(c.ENTRIES_REDUCED, result.reduced)
    count(c.ENTRIES_FORWARDED, result.sent)
    logger.info("forwarded to the hub", entries=result.sent, records=len(records))
    return {"forwarded": result.sent, "reduced": result.reduced}


def _entry(stream_record: DynamoDBRecord, forwarder: Forwarder) -> Outgoing | None:
    images = stream_record.dynamodb
    new_image = from_dynamodb(images.new_image) if images is not None else {}
    old_image = from_dynamodb(images.old_image) if images is not None else {}
    try:
        return forwarder.entry(new_image, old_image)
    except ForgedClaimError as error:
        # Not what the stack committed: say so loudly, count it at once, send nothing; retrying cannot help.
        logger.error(
            "report refused: not sealed by the stack",
            reason=str(error),
            job_name=new_image.get("job_name"),
            event_id=stream_record.event_id,
        )
        count_now(
            c.CLAIMS_REFUSED, job_name=str(new_image.get("job_name") or ""), stream_event_id=str(stream_record.event_id)
        )
        return None
