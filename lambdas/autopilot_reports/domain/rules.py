"""Rules more than one part of the system must agree on, written once.

The "newer" rule is `models.record.progress` (one number); the rule below decides which terminal jobs
are notified. The DynamoDB store checks it inside the commit that claims the notification (a condition
on the watcher's item), the fake store calls this function, and one contract suite runs against both.
"""

from __future__ import annotations

from datetime import datetime

from autopilot_reports.models.record import ReportRecord


def ended(record: ReportRecord) -> datetime:
    """When the job ended, for the rule below: EndTime, else its last change."""
    return record.ended_at or record.last_modified_at


def notify_worthy(record: ReportRecord, watch_start: datetime | None) -> bool:
    """A terminal job is notified only if it ended at or after the stack began watching: history is
    imported quietly, and a job running at deploy time is notified when it ends, whoever sees it first."""
    return watch_start is not None and ended(record) >= watch_start
