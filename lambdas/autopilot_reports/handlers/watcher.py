"""Watcher Lambda: turns ListAutoMLJobs changes into "AutoML Job State Change" events.

Invoked by EventBridge Scheduler (`{"trigger": "schedule"}`), by CloudTrail and child-job events (a
reason to look now), and for a history import: directly (`{"backfill": {"start": ..., "end": ...}}`) or
by an "AutoML History Import" event on the project's bus (how each piece hands the rest on).
"""

from __future__ import annotations

import os
from datetime import timedelta
from functools import cache
from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from autopilot_reports import constants as c
from autopilot_reports.adapters.clients import ClientOrigin, client_origin
from autopilot_reports.adapters.dynamodb_store import DynamoDBReportStore
from autopilot_reports.adapters.eventbridge import EventBridgePublisher
from autopilot_reports.adapters.kms import sealer_for
from autopilot_reports.adapters.sagemaker import SageMakerAutoMLJobs
from autopilot_reports.adapters.sqs import SqsReportBacklog
from autopilot_reports.domain.digest import Digester, DigestResult
from autopilot_reports.domain.watcher import ImportResult, TickResult, Watcher
from autopilot_reports.models.events import parse_watcher_event
from autopilot_reports.observability import count, logger, metrics, tracer
from autopilot_reports.settings import WatcherSettings, get_settings


def default_watcher() -> Watcher:
    return watcher_for(get_settings(WatcherSettings), client_origin())


@cache  # keyed by what built it, as reporter.reporter_for
def watcher_for(settings: WatcherSettings, origin: ClientOrigin) -> Watcher:
    return Watcher(
        jobs=SageMakerAutoMLJobs(),
        store=DynamoDBReportStore(settings.table_name, sealer=sealer_for(settings.seal_alias)),
        publisher=EventBridgePublisher(settings.event_bus_name),
        overlap=timedelta(seconds=settings.watermark_overlap_seconds),
        job_name_prefix=settings.job_name_prefix,
        import_pages_per_piece=settings.import_pages_per_piece,
        family_pattern=settings.job_family_pattern,
        stuck_after=settings.stuck_after,
        heartbeat_every=settings.heartbeat_every,
        backlog=SqsReportBacklog(settings.report_queue_url) if settings.report_queue_url else None,
    )


def default_digester() -> Digester:
    return digester_for(get_settings(WatcherSettings), client_origin())


@cache
def digester_for(settings: WatcherSettings, origin: ClientOrigin) -> Digester:
    return Digester(
        store=DynamoDBReportStore(settings.table_name, sealer=sealer_for(settings.seal_alias)),
        period=timedelta(hours=settings.digest_period_hours),
        stuck_after=settings.stuck_after,
        region=os.environ.get("AWS_REGION", ""),
    )


@logger.inject_lambda_context(correlation_id_path=correlation_paths.EVENT_BRIDGE)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(
    event: dict[str, Any], context: LambdaContext, watcher: Watcher | None = None, digester: Digester | None = None
) -> dict[str, Any]:
    try:
        trigger = parse_watcher_event(event)
    except (ValidationError, ValueError) as error:
        logger.error(
            "invalid watcher invocation",
            event_id=event.get("id") if isinstance(event, dict) else None,
            error=str(error),
            event=event,
        )
        count(c.INVALID_EVENTS)
        return {"outcome": "invalid"}

    logger.append_keys(detected_by=trigger.detected_by.value, trigger_event_id=trigger.event_id)
    if trigger.digest is not None:
        sent = (digester or default_digester()).send(trigger.digest.scheduled_time)
        _observe_digest(sent)
        return {"digest": sent.digest.period.model_dump(mode="json"), "committed": sent.committed}
    watcher = watcher or default_watcher()
    if trigger.history_import:
        imported = watcher.import_history(trigger.history_import)
        _observe_import(imported)
        return {"listed": imported.listed, "published": imported.published, **imported.progress.model_dump(mode="json")}
    result = watcher.tick(trigger.detected_by, trigger.nudged_at)
    count(c.WATCHER_TICKS_SUCCEEDED)
    _observe(result, trigger.hint)
    return {
        "listed": result.listed,
        "published": result.published,
        "watermark": result.watermark.isoformat() if result.watermark else None,
    }


def _observe(result: TickResult, hint: str | None) -> None:
    if result.covered:
        logger.info("nudge covered by an earlier pass", hint=hint)
        count(c.NUDGES_COVERED)
        return
    logger.info(
        "watcher pass done",
        listed=result.listed,
        published=result.published,
        held_back=result.held_back,
        stuck_alerts=result.stuck_alerts,
        watermark=result.watermark.isoformat() if result.watermark else None,
        hint=hint,
    )
    count(c.JOBS_LISTED, result.listed)
    count(c.STATE_CHANGES_PUBLISHED, result.published)
    if result.held_back:
        count(c.CHANGES_HELD_BACK, result.held_back)
    if result.stuck_alerts:
        count(c.STUCK_ALERTS_CLAIMED, result.stuck_alerts)
    if result.heartbeat:
        count(c.HEARTBEATS_WRITTEN)


def _observe_digest(result: DigestResult) -> None:
    digest = result.digest
    logger.info(
        "digest committed" if result.committed else "digest of this period committed already",
        period_start=digest.period.start.isoformat(),
        period_end=digest.period.end.isoformat(),
        counts=digest.counts,
    )
    if result.committed:
        count(c.DIGESTS_CLAIMED)


def _observe_import(result: ImportResult) -> None:
    progress = result.progress
    logger.info(
        "history import piece done",
        import_id=progress.import_id,
        status=progress.status,
        listed=result.listed,
        published=result.published,
        pieces=progress.pieces,
        jobs_seen=progress.jobs_seen,
        cursor=progress.cursor.isoformat() if progress.cursor else None,
        continued=result.continued,
    )
    count(c.IMPORT_PIECES)
    count(c.IMPORT_JOBS_SEEN, result.listed)
    count(c.STATE_CHANGES_PUBLISHED, result.published)
