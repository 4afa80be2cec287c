"""Reporter Lambda: "AutoML Job State Change" events in, each job's report stored and its notification
claimed.

Invoked by the event source mapping of its queue (the state-change rule's target) with a batch of SQS
messages, each holding one event as EventBridge delivered it: every job of the batch is reported once, at
the newest state the batch holds, and a job whose report failed is handed back (ReportBatchItemFailures)
for SQS to deliver again. A single event as EventBridge delivers it to a function is still taken (what
was queued for asynchronous invocation when the stack moved to the queue, or redriven by hand).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.parser import ValidationError, parse
from aws_lambda_powertools.utilities.typing import LambdaContext

from autopilot_reports import constants as c
from autopilot_reports.adapters.clients import ClientOrigin, client_origin
from autopilot_reports.adapters.dynamodb_store import DynamoDBReportStore
from autopilot_reports.adapters.kms import sealer_for
from autopilot_reports.adapters.s3 import S3ArtifactReader
from autopilot_reports.adapters.sagemaker import SageMakerAutoMLJobs
from autopilot_reports.domain.family import FamilyStanding
from autopilot_reports.domain.reporter import Outcome, Reporter, ReportResult, newest_changes
from autopilot_reports.models.events import FamilyStandingDetail, QueuedMessage, StateChangeEvent
from autopilot_reports.models.place import InvalidJobArnError, JobRef
from autopilot_reports.models.record import FamilyBest, progress
from autopilot_reports.observability import count, count_now, logger, metrics, tracer
from autopilot_reports.settings import ReporterSettings, get_settings


def default_reporter() -> Reporter:
    """Real adapters, built on the first invocation and reused while the function stays warm."""
    return reporter_for(get_settings(ReporterSettings), client_origin())


@cache  # one entry on Lambda; one per deployment where a process serves several (the sandbox)
def reporter_for(settings: ReporterSettings, origin: ClientOrigin) -> Reporter:
    """The reporter of the deployment these settings and this origin describe (warm state is keyed by
    what built it: another deployment in the same process gets its own)."""
    return Reporter(
        jobs=SageMakerAutoMLJobs(),
        artifacts=S3ArtifactReader(),
        store=DynamoDBReportStore(settings.table_name, sealer=sealer_for(settings.seal_alias)),
        top_features=settings.top_features,
        analysis_max_bytes=settings.analysis_max_bytes,
        notify_statuses=settings.notify_statuses,
        leaderboard_size=settings.leaderboard_size,
        family_pattern=settings.job_family_pattern,
    )


@dataclass(frozen=True)
class QueuedChange:
    """One message of a batch: its id (to hand it back) and the event it holds."""

    message_id: str
    change: StateChangeEvent
    job: JobRef

    @property
    def progress(self) -> int:
        detail = self.change.detail
        return progress(detail.LastModifiedTime, detail.AutoMLJobStatus, detail.AutoMLJobSecondaryStatus)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.EVENT_BRIDGE)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext, reporter: Reporter | None = None) -> dict[str, Any]:
    if is_queue_batch(event):
        return _report_batch(event["Records"], reporter)
    try:
        change = parse(event=event, model=StateChangeEvent)
        job = JobRef.of(change.detail.AutoMLJobArn, change.detail.AutoMLJobName)
    except ValidationError as error:
        return _invalid(event, error.errors(include_url=False, include_context=False))
    except InvalidJobArnError as error:
        return _invalid(event, [str(error)])
    result = _report(change, job, reporter)
    return {"outcome": result.outcome.value, "job_name": change.detail.AutoMLJobName}


def is_queue_batch(event: Any) -> bool:
    """An SQS event source mapping's batch (`Records` of `aws:sqs`), not one EventBridge event."""
    records = event.get("Records") if isinstance(event, dict) else None
    return isinstance(records, list) and all(
        isinstance(record, dict) and record.get("eventSource") == "aws:sqs" for record in records
    )


def _report_batch(records: list[dict[str, Any]], reporter: Reporter | None) -> dict[str, Any]:
    """Each job of the batch once, at its newest change (domain.reporter.newest_changes). A message that
    holds no event of ours is logged and let go (retrying cannot fix it); a job whose report failed has
    its message handed back, and SQS delivers it again after the queue's visibility timeout (then, past
    maxReceiveCount, to the dead-letter queue)."""
    queued = [change for record in records if (change := _queued(record)) is not None]
    kept, superseded = newest_changes(queued, lambda item: item.job, lambda item: item.progress)
    if superseded:
        logger.info("older changes covered by a newer one of the same job", superseded=len(superseded))
        count(c.CHANGES_SUPERSEDED, len(superseded))
    failures = []
    for item in kept:
        try:
            _report(item.change, item.job, reporter)
        except Exception:  # noqa: BLE001 - one job's failure must not fail the batch; it is retried alone
            logger.exception("report failed; its message goes back to the queue", message_id=item.message_id)
            failures.append({"itemIdentifier": item.message_id})
    return {"batchItemFailures": failures}


def _queued(record: dict[str, Any]) -> QueuedChange | None:
    try:
        message = QueuedMessage.model_validate(record)
        change = parse(event=json.loads(message.body), model=StateChangeEvent)
        return QueuedChange(
            message.messageId, change, JobRef.of(change.detail.AutoMLJobArn, change.detail.AutoMLJobName)
        )
    except ValidationError as error:
        _invalid(record, error.errors(include_url=False, include_context=False))
    except (InvalidJobArnError, ValueError) as error:  # ValueError: a body that is not JSON
        _invalid(record, [str(error)])
    return None


def _report(change: StateChangeEvent, job: JobRef, reporter: Reporter | None) -> ReportResult:
    detail = change.detail
    logger.append_keys(job_name=detail.AutoMLJobName, event_id=change.id)
    result = (reporter or default_reporter()).report(
        job,
        detected_by=detail.DetectedBy.value,
        standing=family_standing(detail.FamilyStanding),
        previous_status=detail.PreviousStatus,
    )
    _observe(result)
    return result


def _invalid(event: Any, errors: Sequence[Any]) -> dict[str, Any]:
    """Retrying cannot fix a malformed event: log it whole (it is small) and write nothing."""
    logger.error(
        "invalid state change event",
        event_id=event.get("id") if isinstance(event, dict) else None,
        job_name=_raw_job_name(event),
        errors=errors,
        event=event,
    )
    count(c.INVALID_EVENTS)
    return {"outcome": "invalid"}


def _observe(result: ReportResult) -> None:
    record = result.record
    if result.outcome is Outcome.NOT_FOUND or record is None:
        logger.warning("job not found, skipped", reason=result.reason)
        count(c.JOBS_NOT_FOUND)
        return
    if result.outcome is Outcome.UNCHANGED:
        logger.info("report unchanged (replay or stale event)", status=record.status)
        count(c.REPORTS_UNCHANGED)
        return
    if result.outcome is Outcome.CLAIMED:
        count_now(c.NOTIFICATIONS_CLAIMED, job_name=record.job_name)  # at once: the claim is committed
    if result.rejected:
        logger.error("full record refused; a reduced record was stored and notified", reason=result.rejected)
        count(c.RECORDS_REDUCED)
    if result.leaderboard_error:
        logger.warning("leaderboard unavailable; the report goes out without it", reason=result.leaderboard_error)
        count(c.LEADERBOARD_ERRORS)
    explainability = record.explainability
    logger.info(
        "report stored",
        status=record.status,
        secondary_status=record.secondary_status,
        explainability_state=explainability.state.value,
        explainability_reason=explainability.reason,
        partial_failures=len(record.partial_failures),
        leaderboard=len(record.leaderboard) if record.leaderboard is not None else None,
        notification_claimed=result.outcome is Outcome.CLAIMED,
    )
    count(c.REPORTS_WRITTEN)
    count(c.EXPLAINABILITY_STATE_PREFIX + explainability.state.value)


def family_standing(detail: FamilyStandingDetail | None) -> FamilyStanding | None:
    """The event's view of the family's best, as the domain judges it (None: the watcher did not look)."""
    if detail is None:
        return None
    best = (
        FamilyBest(job_name=detail.BestJobName, value=detail.BestValue)
        if detail.BestJobName and detail.BestValue is not None
        else None
    )
    return FamilyStanding(detail.Family, best, detail.Metric, detail.Direction)


def _raw_job_name(event: Any) -> str | None:
    detail = event.get("detail") if isinstance(event, dict) else None
    name = detail.get("AutoMLJobName") if isinstance(detail, dict) else None
    return name if isinstance(name, str) else None
