"""Notifier Lambda: the report table's stream in, each newly claimed terminal notification published.

The event source mapping filters the stream to latest-record writes that carry a claim; batch failures
are reported item by item (Powertools batch processing), so one failing publish is retried alone and a
record that keeps failing lands in the on-failure queue, with an alarm. A record the stack did not seal
(handed to the function by anyone else) is refused: logged, counted, never sent, never retried.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from autopilot_reports import constants as c
from autopilot_reports.adapters.clients import ClientOrigin, client_origin
from autopilot_reports.adapters.dynamodb_items import from_dynamodb
from autopilot_reports.adapters.kms import sealer_for
from autopilot_reports.adapters.sns import SNSNotifier
from autopilot_reports.domain.notifier import NotificationSender, claim_in
from autopilot_reports.domain.seal import ForgedClaimError
from autopilot_reports.observability import count, count_now, logger, metrics, tracer
from autopilot_reports.settings import NotifierSettings, get_settings


def default_sender() -> NotificationSender:
    return sender_for(get_settings(NotifierSettings), client_origin())


@cache  # keyed by what built it, as reporter.reporter_for
def sender_for(settings: NotifierSettings, origin: ClientOrigin) -> NotificationSender:
    return NotificationSender(
        notifier=SNSNotifier(settings.topic_arn),
        sealer=sealer_for(settings.seal_alias),
        organization=settings.organization,
    )


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(
    event: dict[str, Any], context: LambdaContext, sender: NotificationSender | None = None
) -> PartialItemFailureResponse:
    active = sender or default_sender()
    count(c.STREAM_RECORDS_RECEIVED, len(event.get("Records", [])))
    return process_partial_response(
        event=event,
        record_handler=lambda record: _send(record, active),
        processor=BatchProcessor(event_type=EventType.DynamoDBStreams),
        context=context,
    )


def _send(stream_record: DynamoDBRecord, sender: NotificationSender) -> None:
    images = stream_record.dynamodb
    new_image = from_dynamodb(images.new_image) if images is not None else {}
    old_image = from_dynamodb(images.old_image) if images is not None else {}
    job_name = new_image.get("job_name")
    logger.append_keys(job_name=job_name, event_id=stream_record.event_id)
    claim = claim_in(new_image, old_image)
    if claim is None:
        logger.debug("no new claim in this write")
        return
    try:
        sender.send_claim(claim, new_image)
    except ForgedClaimError as error:
        # Not what the stack committed (a hand-made or altered record, or one no seal can be checked for):
        # say so loudly, count it at once, send nothing; retrying cannot make it genuine.
        logger.error("claim refused: not sealed by the stack", reason=str(error), event_type=claim.value)
        count_now(
            c.CLAIMS_REFUSED,
            event_type=claim.value,
            job_name=str(job_name or ""),
            stream_event_id=str(stream_record.event_id),
        )
        return
    count_now(
        c.NOTIFICATIONS_SENT,
        event_type=claim.value,
        job_name=str(job_name or ""),
        stream_event_id=str(stream_record.event_id),
    )
    logger.info("notification sent", event_type=claim.value, status=new_image.get("status"))
