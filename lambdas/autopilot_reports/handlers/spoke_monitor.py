"""Spoke monitor Lambda (an organization's hub): on its schedule, the spokes silent for
spokeSilentAfterMinutes, one `spoke_silent` claim per silence; on the digest schedule, the organization's
digest. Both are committed to the hub's table and sent by its notifier. It reads and writes the hub's table
only: no SageMaker, no role into any spoke.

Input: `{"trigger": "schedule"}` (silent spokes) or `{"trigger": "digest", "scheduled_time": ...}`.
"""

from __future__ import annotations

import os
from datetime import timedelta
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from autopilot_reports import constants as c
from autopilot_reports.adapters.clients import ClientOrigin, client_origin
from autopilot_reports.adapters.dynamodb_hub import DynamoDBHubStore
from autopilot_reports.adapters.kms import sealer_for
from autopilot_reports.domain.digest import Digester
from autopilot_reports.domain.hub import SpokeMonitor
from autopilot_reports.models.events import DigestTick, ScheduleTick
from autopilot_reports.observability import count, logger, metrics, tracer
from autopilot_reports.settings import SpokeMonitorSettings, get_settings


def default_monitor() -> SpokeMonitor:
    return monitor_for(get_settings(SpokeMonitorSettings), client_origin())


@cache  # keyed by what built it, as reporter.reporter_for
def monitor_for(settings: SpokeMonitorSettings, origin: ClientOrigin) -> SpokeMonitor:
    return SpokeMonitor(
        store=DynamoDBHubStore(settings.table_name, sealer=sealer_for(settings.seal_alias)),
        silent_after=settings.silent_after,
    )


def default_digester() -> Digester:
    return digester_for(get_settings(SpokeMonitorSettings), client_origin())


@cache
def digester_for(settings: SpokeMonitorSettings, origin: ClientOrigin) -> Digester:
    return Digester(
        store=DynamoDBHubStore(settings.table_name, sealer=sealer_for(settings.seal_alias)),
        period=timedelta(hours=settings.digest_period_hours),
        stuck_after=settings.stuck_after,
        region=os.environ.get("AWS_REGION", ""),
        organization=True,
    )


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(
    event: dict[str, Any],
    context: LambdaContext,
    monitor: SpokeMonitor | None = None,
    digester: Digester | None = None,
) -> dict[str, Any]:
    try:
        if isinstance(event, dict) and event.get("trigger") == "digest":
            tick = DigestTick.model_validate(event)
            sent = (digester or default_digester()).send(tick.scheduled_time)
            logger.info("organization digest", committed=sent.committed, counts=sent.digest.counts)
            if sent.committed:
                count(c.DIGESTS_CLAIMED)
            return {"digest": sent.digest.period.model_dump(mode="json"), "committed": sent.committed}
        ScheduleTick.model_validate(event)
    except ValidationError as error:
        logger.error("invalid spoke monitor invocation", error=str(error), event=event)
        count(c.INVALID_EVENTS)
        return {"outcome": "invalid"}
    result = (monitor or default_monitor()).check()
    logger.info("spokes checked", silent=result.silent, claimed=result.claimed)
    if result.claimed:
        count(c.SILENT_SPOKES_CLAIMED, result.claimed)
    return {"silent": result.silent, "claimed": result.claimed}
