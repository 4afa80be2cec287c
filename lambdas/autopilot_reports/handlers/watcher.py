"""Watcher Lambda: turns ListAutoMLJobs changes into "AutoML Job State Change" events.

Invoked by EventBridge Scheduler (`{"trigger": "schedule"}`), by CloudTrail and child-job events (a
reason to look now), and directly for a backfill (`{"backfill": {"start": ..., "end": ...}}`).
"""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache
from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from autopilot_reports import metric_names
from autopilot_reports.adapters.dynamodb import DynamoDBReportStore
from autopilot_reports.adapters.eventbridge import EventBridgePublisher
from autopilot_reports.adapters.sagemaker import SageMakerAutoMLJobs
from autopilot_reports.domain.watcher import TickResult, Watcher
from autopilot_reports.models.events import parse_watcher_event
from autopilot_reports.observability import count, logger, metrics, tracer
from autopilot_reports.settings import get_settings


@lru_cache(maxsize=1)
def default_watcher() -> Watcher:
    settings = get_settings()
    return Watcher(
        jobs=SageMakerAutoMLJobs(),
        store=DynamoDBReportStore(settings.table_name),
        publisher=EventBridgePublisher(settings.event_bus_name),
        overlap=timedelta(seconds=settings.watermark_overlap_seconds),
        job_name_prefix=settings.job_name_prefix,
    )


@logger.inject_lambda_context(correlation_id_path=correlation_paths.EVENT_BRIDGE)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext, watcher: Watcher | None = None) -> dict[str, Any]:
    try:
        trigger = parse_watcher_event(event)
    except (ValidationError, ValueError) as error:
        logger.error(
            "invalid watcher invocation",
            event_id=event.get("id") if isinstance(event, dict) else None,
            error=str(error),
            event=event,
        )
        count(metric_names.INVALID_EVENTS)
        return {"outcome": "invalid"}

    logger.append_keys(detected_by=trigger.detected_by.value, trigger_event_id=trigger.event_id)
    watcher = watcher or default_watcher()
    if trigger.backfill:
        window = trigger.backfill
        result = watcher.backfill(window.start, window.end, force=window.force)
    else:
        result = watcher.tick(trigger.detected_by)
        count(metric_names.WATCHER_TICKS_SUCCEEDED)
    _observe(result, trigger.hint)
    return {
        "listed": result.listed,
        "published": result.published,
        "watermark": result.watermark.isoformat() if result.watermark else None,
    }


def _observe(result: TickResult, hint: str | None) -> None:
    logger.info(
        "watcher pass done",
        listed=result.listed,
        published=result.published,
        watermark=result.watermark.isoformat() if result.watermark else None,
        hint=hint,
    )
    count(metric_names.JOBS_LISTED, result.listed)
    count(metric_names.STATE_CHANGES_PUBLISHED, result.published)
