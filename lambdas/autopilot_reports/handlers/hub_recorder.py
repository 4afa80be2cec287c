"""Hub recorder Lambda (an organization's hub): one forwarded event from a spoke in, recorded by
(account, region, job) in the hub's table; a report naming another account than its sender is refused.

The account is the envelope's, which EventBridge sets (docs/design.md §8). The hub's notifier sends what
this commits, from the table's stream, as in a standalone stack. A job's cost figures that arrive before
any report of the job fail the invocation (ReportNotYetError), so Lambda delivers them again later.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.parser import ValidationError, parse
from aws_lambda_powertools.utilities.typing import LambdaContext

from autopilot_reports import constants as c
from autopilot_reports.adapters.clients import ClientOrigin, client_origin
from autopilot_reports.adapters.dynamodb_hub import DynamoDBHubStore
from autopilot_reports.adapters.kms import sealer_for
from autopilot_reports.domain.hub import HubRecorder, Receipt, Received, ReportNotYetError
from autopilot_reports.models.forwarded import ForwardedEvent, HubEvent
from autopilot_reports.observability import count, count_now, logger, metrics, tracer
from autopilot_reports.settings import HubRecorderSettings, get_settings


def default_recorder() -> HubRecorder:
    return recorder_for(get_settings(HubRecorderSettings), client_origin())


@cache  # keyed by what built it, as reporter.reporter_for
def recorder_for(settings: HubRecorderSettings, origin: ClientOrigin) -> HubRecorder:
    return HubRecorder(
        store=DynamoDBHubStore(settings.table_name, sealer=sealer_for(settings.seal_alias)),
        account_names=dict(settings.account_names),
        notify_statuses=settings.notify_statuses,
    )


@logger.inject_lambda_context(correlation_id_path=correlation_paths.EVENT_BRIDGE)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext, recorder: HubRecorder | None = None) -> dict[str, Any]:
    try:
        forwarded = ForwardedEvent.of(parse(event=event, model=HubEvent))
    except ValidationError as error:
        return _invalid(event, error.errors(include_url=False, include_context=False))
    logger.append_keys(
        sender_account=forwarded.sender.account, sender_region=forwarded.sender.region, event_id=forwarded.event_id
    )
    try:
        receipt = (recorder or default_recorder()).receive(forwarded)
    except ReportNotYetError as error:
        # Retried by Lambda (then the failure queue): the report travels apart and is usually there by then.
        logger.warning("cost figures before their job's report: delivered again later", reason=str(error))
        raise
    _observe(receipt, forwarded)
    return {"outcome": receipt.outcome.value, "job_name": receipt.job_name}


def _invalid(event: Any, errors: Sequence[Any]) -> dict[str, Any]:
    """Retrying cannot fix a malformed event: log it (its account and type, not its detail) and write nothing."""
    envelope = event if isinstance(event, dict) else {}
    logger.error(
        "invalid forwarded event",
        event_id=envelope.get("id"),
        sender_account=envelope.get("account"),
        detail_type=envelope.get("detail-type"),
        errors=errors,
    )
    count(c.INVALID_EVENTS)
    return {"outcome": "invalid"}


def _observe(receipt: Receipt, forwarded: ForwardedEvent) -> None:
    outcome = receipt.outcome
    if outcome is Received.REFUSED:
        # Never stored: a spoke may only speak for its own account (an alarm can watch this metric).
        logger.warning(
            "forwarded report refused: it names another account",
            reason=receipt.reason,
            job_name=receipt.job_name,
            detail_type=forwarded.detail_type,
        )
        count_now(c.FOREIGN_REPORTS_REFUSED, sender_account=forwarded.sender.account)
        return
    if outcome is Received.CLAIMED:
        count_now(c.NOTIFICATIONS_CLAIMED, job_name=str(receipt.job_name))  # at once: the claim is committed
    if outcome in (Received.STORED, Received.CLAIMED):
        count(c.FORWARDED_REPORTS_STORED)
    elif outcome is Received.COSTED:
        count(c.FORWARDED_COSTS_STORED)
    elif outcome is Received.STUCK_CLAIMED:
        count(c.STUCK_ALERTS_CLAIMED)
    elif outcome is Received.HEARTBEAT:
        count(c.SPOKE_HEARTBEATS)
    else:
        count(c.REPORTS_UNCHANGED)
    logger.info("forwarded event recorded", outcome=outcome.value, job_name=receipt.job_name)
