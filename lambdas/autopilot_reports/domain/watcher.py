"""Detects AutoML job state changes (SageMaker emits none) and publishes them as our own events.

State lives in the table, not in the function: the watermark is the greatest LastModifiedTime seen
(SageMaker's clock), and a job is news when its (status, secondary status, LastModifiedTime) differs
from its record. Running twice, crashing midway or backfilling any range are all safe.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from autopilot_reports.domain.ports import AutoMLJobs, EventPublisher, KnownState, ReportStore
from autopilot_reports.models.common import as_utc, epoch_ms
from autopilot_reports.models.events import AutoMLJobStateChange, DetectedBy


@dataclass(frozen=True)
class TickResult:
    listed: int
    published: int
    watermark: datetime | None


@dataclass
class Watcher:
    jobs: AutoMLJobs
    store: ReportStore
    publisher: EventPublisher
    overlap: timedelta
    job_name_prefix: str = ""

    def tick(self, detected_by: DetectedBy) -> TickResult:
        """Looks at every job modified since the watermark (minus an overlap for late listings)."""
        watermark = self.store.get_watermark()
        after = watermark - self.overlap if watermark else None
        summaries = self._list(after, None)
        published = self._publish_changes(summaries, detected_by, force=False)
        newest = max((as_utc(summary["LastModifiedTime"]) for summary in summaries), default=None)
        if newest and (watermark is None or newest > watermark):
            # Only after PutEvents accepted every change: a crash before this line re-lists them.
            self.store.advance_watermark(newest)
            watermark = newest
        return TickResult(listed=len(summaries), published=published, watermark=watermark)

    def backfill(self, start: datetime, end: datetime, force: bool = False) -> TickResult:
        """Re-examines jobs modified in [start, end); leaves the watermark alone."""
        summaries = self._list(start - timedelta(milliseconds=1), end)
        published = self._publish_changes(summaries, DetectedBy.BACKFILL, force=force)
        return TickResult(listed=len(summaries), published=published, watermark=None)

    def _list(self, after: datetime | None, before: datetime | None) -> list[dict[str, Any]]:
        prefix = self.job_name_prefix
        summaries = self.jobs.list_jobs(after, before, prefix or None)
        return [summary for summary in summaries if summary["AutoMLJobName"].startswith(prefix)]

    def _publish_changes(self, summaries: list[dict[str, Any]], detected_by: DetectedBy, force: bool) -> int:
        if not summaries:
            return 0
        known = self.store.known_states([summary["AutoMLJobName"] for summary in summaries])
        changes = [
            state_change(summary, known.get(summary["AutoMLJobName"]), detected_by)
            for summary in summaries
            if force or is_news(summary, known.get(summary["AutoMLJobName"]))
        ]
        return self.publisher.publish(changes) if changes else 0


def is_news(summary: Mapping[str, Any], known: KnownState | None) -> bool:
    """Newer than what the table knows (the reporter may already hold a later state than a listing)."""
    if known is None:
        return True
    modified = epoch_ms(summary["LastModifiedTime"])
    if modified != known.last_modified_ms:
        return modified > known.last_modified_ms
    return (summary["AutoMLJobStatus"], summary["AutoMLJobSecondaryStatus"]) != (
        known.status,
        known.secondary_status,
    )


def state_change(summary: Mapping[str, Any], known: KnownState | None, detected_by: DetectedBy) -> AutoMLJobStateChange:
    fields = {name: summary[name] for name in AutoMLJobStateChange.model_fields if name in summary}
    return AutoMLJobStateChange(
        **fields,
        PreviousStatus=known.status if known else None,
        PreviousSecondaryStatus=known.secondary_status if known else None,
        DetectedBy=detected_by,
    )
