"""Coster Lambda: the report table's stream in, each terminal record's cost figures (`compute`) out.

The event source mapping passes two kinds of commit: a terminal record without `compute` (a job to cost:
its first piece) and a job's costing handed on (the next piece). One record a batch: a piece may use the
invocation's whole time budget. Failures are reported item by item; what keeps failing lands in the
mapping's on-failure queue, with an alarm, and the job's record simply has no `compute`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from autopilot_reports import constants as c
from autopilot_reports.adapters.child_jobs import SageMakerChildJobs
from autopilot_reports.adapters.clients import ClientOrigin, client_origin
from autopilot_reports.adapters.dynamodb_costs import DynamoDBCostStore
from autopilot_reports.adapters.dynamodb_items import cost_progress_from_item, from_dynamodb, record_from_item
from autopilot_reports.adapters.kms import sealer_for
from autopilot_reports.adapters.pricing import PriceListProducts
from autopilot_reports.domain.coster import Coster, CostOutcome, CostResult
from autopilot_reports.models.place import InvalidJobArnError
from autopilot_reports.observability import count, logger, metrics, tracer
from autopilot_reports.settings import CosterSettings, get_settings


def default_coster() -> Coster:
    return coster_for(get_settings(CosterSettings), client_origin())


@cache  # keyed by what built it, as reporter.reporter_for
def coster_for(settings: CosterSettings, origin: ClientOrigin) -> Coster:
    return Coster(
        children=SageMakerChildJobs(),
        prices=PriceListProducts(),
        store=DynamoDBCostStore(settings.table_name, sealer=sealer_for(settings.seal_alias)),
    )


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext, coster: Coster | None = None) -> PartialItemFailureResponse:
    active = coster or default_coster()

    def time_left() -> float:
        return context.get_remaining_time_in_millis() / 1000

    return process_partial_response(
        event=event,
        record_handler=lambda record: _cost(record, active, time_left),
        processor=BatchProcessor(event_type=EventType.DynamoDBStreams),
        context=context,
    )


def _cost(stream_record: DynamoDBRecord, coster: Coster, time_left: Callable[[], float]) -> None:
    images = stream_record.dynamodb
    item = from_dynamodb(images.new_image) if images is not None else {}
    logger.append_keys(job_name=item.get("job_name"), event_id=stream_record.event_id)
    try:
        if item.get(c.SORT_KEY) == c.COST_SK:
            result = coster.resume(cost_progress_from_item(item), time_left)
        else:
            record = record_from_item(item)
            if not record.is_terminal or record.compute is not None:
                logger.debug("not a terminal record to cost")
                return
            result = coster.start(record.job, record.job_arn, record.family, time_left)
    except (ValidationError, InvalidJobArnError) as error:
        # Retrying cannot fix an image we cannot read: say so loudly, and do not block the shard.
        logger.error("item to cost is unreadable", error=str(error))
        count(c.INVALID_EVENTS)
        return
    _observe(result)


def _observe(result: CostResult) -> None:
    count(c.CHILD_JOBS_DESCRIBED, result.described)
    if result.price_lookups:
        count(c.PRICE_LOOKUPS, result.price_lookups)
    if result.outcome is CostOutcome.HANDED_ON:
        logger.info("costing handed on", described=result.described, pending=result.pending)
        count(c.COST_PIECES_HANDED_ON)
        return
    if result.outcome is CostOutcome.SUPERSEDED:
        logger.info("costed by another run already; nothing written", described=result.described)
        return
    compute = result.compute
    assert compute is not None
    estimate = compute.estimated_cost
    logger.info(
        "job costed",
        child_jobs=compute.child_jobs,
        billable_seconds=compute.billable_seconds,
        amount=estimate.amount if estimate else None,
        currency=estimate.currency if estimate else None,
        incomplete=compute.incomplete,
        price_lookups=result.price_lookups,
    )
    count(c.JOBS_COSTED)
    if compute.incomplete:
        count(c.COSTS_INCOMPLETE)
