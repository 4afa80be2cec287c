"""Names shared by the code that emits metrics and the stack that alarms and graphs them.

Kept free of imports so `infra/` can use it without loading Powertools.
"""

NAMESPACE = "AutopilotReports"
SERVICE = "autopilot-reports"

# watcher
WATCHER_TICKS_SUCCEEDED = "WatcherTicksSucceeded"  # staleness alarm: none in three intervals
JOBS_LISTED = "JobsListed"
STATE_CHANGES_PUBLISHED = "StateChangesPublished"

# reporter
REPORTS_WRITTEN = "ReportsWritten"
REPORTS_UNCHANGED = "ReportsUnchanged"  # replays and stale events, skipped by the conditional write
NOTIFICATIONS_SENT = "NotificationsSent"
JOBS_NOT_FOUND = "JobsNotFound"
INVALID_EVENTS = "InvalidEvents"
EXPLAINABILITY_STATE_PREFIX = "Explainability_"  # + available | missing | error | pending | not_applicable

EXPLAINABILITY_STATES = ("available", "missing", "error", "pending", "not_applicable")
