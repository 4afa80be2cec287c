"""The stack's own names, defaults and limits, in one place.

Names the functions, the sandbox and the CLI also read (statuses, event names, handler ids, output
names, table keys, metric names, shared defaults and bounds) live in `autopilot_reports.constants`, the
import-free module of the Lambda code: they are imported here, never retyped. Environment variable names
have no constants: each is a settings field's name upper-cased (`autopilot_reports.settings`). Everything else in this
module matters to the infrastructure alone.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Final

from autopilot_reports.constants import (
    ANALYSIS_FILE,
    AUTOML_API_CALLS,
    CHILD_JOB_DETAIL_TYPES,
    CLAIMS_REFUSED,
    CLOUDTRAIL_DETAIL_TYPE,
    COMPUTE,
    COST_SK,
    COSTER_HANDLER,
    DEFAULT_ANALYSIS_MAX_BYTES,
    DEFAULT_COSTING,
    DEFAULT_DIGEST_PERIOD_HOURS,
    DEFAULT_DIGEST_SCHEDULE,
    DEFAULT_IMPORT_PAGES_PER_PIECE,
    DEFAULT_JOB_FAMILY_PATTERN,
    DEFAULT_LEADERBOARD_SIZE,
    DEFAULT_SPOKE_SILENT_AFTER_MINUTES,
    DEFAULT_STACK_NAME,
    DEFAULT_STUCK_AFTER_MINUTES,
    DEFAULT_TOP_FEATURES,
    DEFAULT_WATERMARK_OVERLAP_SECONDS,
    DIGEST_INPUT,
    DIGEST_SK,
    DIGESTS_CLAIMED,
    ENTRIES_FORWARDED,
    ENTRIES_REDUCED,
    EVENT_SOURCE,
    EVENT_TYPES,
    EXAMPLE_ACCOUNT_ID,
    EXPLAINABILITY_STATE_PREFIX,
    EXPLAINABILITY_STATES,
    FOREIGN_REPORTS_REFUSED,
    FORWARDED_COSTS_STORED,
    FORWARDED_DETAIL_TYPES,
    FORWARDED_REPORTS_STORED,
    FORWARDER_HANDLER,
    HEARTBEAT_AT,
    HEARTBEAT_MINUTES,
    HEARTBEATS_WRITTEN,
    HUB_RECORDER_HANDLER,
    IMPORT_DETAIL_TYPE,
    IMPORT_JOBS_SEEN,
    IMPORT_PIECES,
    INDEX_BY_ACCOUNT,
    INDEX_BY_NAME,
    INDEX_BY_PARTIAL_FAILURE,
    INDEX_BY_STATUS,
    INDEXES,
    INVALID_EVENTS,
    JOB_STATUSES,
    JOBS_LISTED,
    JOBS_NOT_FOUND,
    KEY_SCOPE_ORGANIZATION,
    LIST_PAGE_SIZE,
    MAX_ANALYSIS_MAX_BYTES,
    MAX_DIGEST_PERIOD_HOURS,
    MAX_IMPORT_PAGES_PER_PIECE,
    MAX_LEADERBOARD_SIZE,
    MAX_SPOKE_SILENT_AFTER_MINUTES,
    MAX_STUCK_AFTER_MINUTES,
    MAX_TOP_FEATURES,
    MAX_WATERMARK_OVERLAP_SECONDS,
    MESSAGE_ATTRIBUTES,
    MIN_ANALYSIS_MAX_BYTES,
    NAMESPACE,
    NOTIFICATIONS_CLAIMED,
    NOTIFICATIONS_SENT,
    NOTIFIED_AT,
    NOTIFIER_HANDLER,
    ORGANIZATION_INDEXES,
    OUTPUT_COSTER_FAILURE_QUEUE_URL,
    OUTPUT_DASHBOARD_NAME,
    OUTPUT_EVENT_BUS_NAME,
    OUTPUT_FORWARDER_FUNCTION_NAME,
    OUTPUT_HISTORY_IMPORT_COMMAND,
    OUTPUT_HUB_EVENT_BUS_ARN,
    OUTPUT_HUB_RECORDER_FUNCTION_NAME,
    OUTPUT_NOTIFIER_FAILURE_QUEUE_URL,
    OUTPUT_NOTIFIER_FUNCTION_NAME,
    OUTPUT_OPERATORS_TOPIC_ARN,
    OUTPUT_REPORTER_DELIVERY_DLQ_URL,
    OUTPUT_REPORTER_FAILURE_QUEUE_URL,
    OUTPUT_REPORTER_FUNCTION_NAME,
    OUTPUT_REPORTER_QUEUE_URL,
    OUTPUT_REPORTS_TOPIC_ARN,
    OUTPUT_SPOKE_MONITOR_FUNCTION_NAME,
    OUTPUT_TABLE_KEY_SCOPE,
    OUTPUT_TABLE_NAME,
    OUTPUT_WATCHER_FAILURE_QUEUE_URL,
    OUTPUT_WATCHER_FUNCTION_NAME,
    OUTPUT_WATCHER_TRIGGER_DLQ_URL,
    PARTITION_KEY,
    REPORT_SK,
    REPORTER_HANDLER,
    REPORTS_UNCHANGED,
    REPORTS_WRITTEN,
    SAGEMAKER_API_EVENT_SOURCE,
    SAGEMAKER_EVENT_SOURCE,
    SCHEDULE_INPUT,
    SEAL_MAC_ALGORITHM,
    SERVICE,
    SILENT_ALERTED_FOR,
    SILENT_SPOKES_CLAIMED,
    SORT_KEY,
    SPOKE_HEARTBEATS,
    SPOKE_MONITOR_HANDLER,
    SPOKE_SK,
    STATE_CHANGE_DETAIL_TYPE,
    STATE_CHANGES_PUBLISHED,
    STUCK_ALERTED_FOR,
    TERMINAL_STATUSES,
    WATCHER_HANDLER,
    WATCHER_TICKS_SUCCEEDED,
)

PROJECT_ROOT = Path(__file__).resolve().parents[1]
LAMBDA_ASSET_DIR = PROJECT_ROOT / "lambdas"
REQUIREMENTS_FILE = PROJECT_ROOT / "requirements.txt"
# The CLI runs on people's machines, never in Lambda: it stays out of the function asset.
LAMBDA_ASSET_EXCLUDE = (
    "*.egg-info",
    "**/__pycache__",
    "**/*.pyc",
    "**/.pytest_cache",
    "**/.mypy_cache",
    "**/.ruff_cache",
    "autopilot_reports/cli",
    "autopilot_reports/cli.py",
)

STACK_DESCRIPTION = "autopilot-reports: reports and notifications for SageMaker Autopilot (AutoML) jobs"

# --- functions -------------------------------------------------------------------------------------
WATCHER_MEMORY_MB = 256
WATCHER_TIMEOUT_SECONDS = 60
NOTIFIER_MEMORY_MB = 256
NOTIFIER_TIMEOUT_SECONDS = 60
# An organization's functions: each handles small JSON (a record, a heartbeat) with one or two calls.
FORWARDER_MEMORY_MB = 256
FORWARDER_TIMEOUT_SECONDS = 60
HUB_RECORDER_MEMORY_MB = 256
HUB_RECORDER_TIMEOUT_SECONDS = 60
HUB_RECORDER_RETRY_ATTEMPTS = 2  # as the reporter's: its writes are conditional, a retry changes nothing
HUB_RECORDER_MAX_EVENT_AGE_SECONDS = 3600
SPOKE_MONITOR_MEMORY_MB = 256
SPOKE_MONITOR_TIMEOUT_SECONDS = 60
SPOKE_MONITOR_RETRY_ATTEMPTS = 2
SPOKE_MONITOR_MAX_EVENT_AGE_SECONDS = 3600
# How often a hub looks for silent spokes: a silence is noticed at most this late.
SPOKE_MONITOR_RATE_MINUTES = 15
REPORTER_MIN_MEMORY_MB = 512
# Measured (bench/analysis_memory.py, VmHWM): the reporter process peaks at 154 MiB summarizing a 19.5 MiB
# analysis.json (67 MiB with the handler imported alone; the body's bytes are dropped before parsing).
# Memory follows the configured cap with 1.5x headroom over a conservative 96 + 8 MiB per MiB of cap,
# never below 512 MB: 512 MB at the default 20 MiB cap, 1,344 MB at the 100 MiB maximum.
REPORTER_BASE_MEMORY_MB = 96
REPORTER_MEMORY_PER_ANALYSIS_MIB = 8
REPORTER_MEMORY_HEADROOM = 1.5


def reporter_memory_mb(analysis_max_bytes: int) -> int:
    """Lambda memory for the reporter, sized from the analysis.json cap (rounded up to 64 MB)."""
    needed = REPORTER_BASE_MEMORY_MB + REPORTER_MEMORY_PER_ANALYSIS_MIB * analysis_max_bytes / 2**20
    sized = -(-int(needed * REPORTER_MEMORY_HEADROOM) // 64) * 64
    return max(REPORTER_MIN_MEMORY_MB, sized)


REPORTER_TIMEOUT_SECONDS = 60
# The reporter's queue (docs/design.md §2.3): the state-change rule's target, read by an event source mapping.
REPORTER_BATCH_SIZE = 10  # messages an invocation is handed; of one job, only the newest is reported
REPORTER_QUEUE_VISIBILITY_SECONDS = 6 * REPORTER_TIMEOUT_SECONDS  # AWS: at least six times the function's timeout
REPORTER_QUEUE_MAX_RECEIVES = 5  # then the message moves to ReporterFailureQueue (AWS advises at least 5)
REPORTER_QUEUE_RETENTION_DAYS = 4  # SQS's default; the failure queue keeps what moves there 14 days
# The mapping's MaximumConcurrency (context reporterMaxConcurrency): no reservation, so it deploys in a new
# account (concurrency 10, of which 10 stay unreserved); half of such an account, the rest left to the
# watcher, the notifier and the account's other functions. 2 is Lambda's minimum.
DEFAULT_REPORTER_MAX_CONCURRENCY = 5
MIN_REPORTER_MAX_CONCURRENCY = 2
MAX_REPORTER_MAX_CONCURRENCY = 1000
WATCHER_RETRY_ATTEMPTS = 2  # idempotent: a retried tick or import piece redoes nothing it should not
WATCHER_MAX_EVENT_AGE_SECONDS = 3600
POWERTOOLS_LOG_LEVEL = "INFO"
POWERTOOLS_SSM_PARAMETER = "/aws/service/powertools/python/x86_64/python3.13/{version}"
POWERTOOLS_PACKAGE = "aws-lambda-powertools"

# --- the notifier's stream (docs/design.md §5.2: the commit itself leads to the publish) ------------
STREAM_BATCH_SIZE = 10
STREAM_RETRY_ATTEMPTS = 10  # with bisection, a poisoned record is isolated long before this runs out
STREAM_MAX_RECORD_AGE_HOURS = 24  # the stream keeps records 24 h; older ones go to the failure queue
ITERATOR_AGE_ALARM_MINUTES = 10
# Only latest-state records that carry the notification claim wake the notifier.
# The commits that lead to a message (domain/notifier.py): a claimed terminal report, a claimed "may be
# stuck" alert, a digest's insert. Lambda passes a record that matches any of them.
NOTIFIER_FILTER_PATTERNS = (
    {
        "eventName": ["INSERT", "MODIFY"],
        "dynamodb": {
            "Keys": {SORT_KEY: {"S": [REPORT_SK]}},
            "NewImage": {NOTIFIED_AT: {"S": [{"exists": True}]}},
        },
    },
    {
        "eventName": ["MODIFY"],
        "dynamodb": {
            "Keys": {SORT_KEY: {"S": [REPORT_SK]}},
            "NewImage": {STUCK_ALERTED_FOR: {"N": [{"exists": True}]}},
        },
    },
    {"eventName": ["INSERT"], "dynamodb": {"Keys": {SORT_KEY: {"S": [DIGEST_SK]}}}},
)
# A hub's notifier: the same commits, where a forwarded stuck claim may insert its record, and a silent
# spoke's claim (docs/design.md §8).
HUB_NOTIFIER_FILTER_PATTERNS = (
    NOTIFIER_FILTER_PATTERNS[0],
    {
        "eventName": ["INSERT", "MODIFY"],
        "dynamodb": {
            "Keys": {SORT_KEY: {"S": [REPORT_SK]}},
            "NewImage": {STUCK_ALERTED_FOR: {"N": [{"exists": True}]}},
        },
    },
    NOTIFIER_FILTER_PATTERNS[2],
    {
        "eventName": ["MODIFY"],
        "dynamodb": {
            "Keys": {SORT_KEY: {"S": [SPOKE_SK]}},
            "NewImage": {SILENT_ALERTED_FOR: {"N": [{"exists": True}]}},
        },
    },
)
# A spoke's forwarder: every write of a latest record (a report, its claim, a stuck claim), and the
# watcher's item once it carries a heartbeat; domain/forwarder.py decides which tell the hub something.
FORWARDER_FILTER_PATTERNS = (
    {"eventName": ["INSERT", "MODIFY"], "dynamodb": {"Keys": {SORT_KEY: {"S": [REPORT_SK]}}}},
    {"eventName": ["INSERT", "MODIFY"], "dynamodb": {"NewImage": {HEARTBEAT_AT: {"S": [{"exists": True}]}}}},
)

# --- the coster's stream (docs/design.md §4, `compute`: after the report, off its hot path) ------------
COSTER_MEMORY_MB = 256
COSTER_TIMEOUT_SECONDS = 300  # a piece of at most COST_DESCRIBES_PER_PIECE Describe calls, and the prices
COSTER_BATCH_SIZE = 1  # one job (or one piece of one) an invocation: a piece may use the whole time budget
COSTER_PARALLELIZATION_FACTOR = 4  # jobs costed at once per shard (a job's own pieces stay in order)
COSTER_RETRY_ATTEMPTS = 5
# A terminal record committed without `compute` (the reporter never writes it: the coster's own last write
# does, so that write passes no filter), and a job's costing handed on to its next piece.
COSTER_FILTER_PATTERNS = (
    {
        "eventName": ["INSERT", "MODIFY"],
        "dynamodb": {
            "Keys": {SORT_KEY: {"S": [REPORT_SK]}},
            # exists:false only on a leaf (a number every compute has), as Lambda's filters match
            "NewImage": {
                "status": {"S": list(TERMINAL_STATUSES)},
                COMPUTE: {"M": {"billable_seconds": {"N": [{"exists": False}]}}},
            },
        },
    },
    {"eventName": ["INSERT", "MODIFY"], "dynamodb": {"Keys": {SORT_KEY: {"S": [COST_SK]}}}},
)

# --- EventBridge / Scheduler delivery --------------------------------------------------------------
TARGET_RETRY_ATTEMPTS = 4
TARGET_MAX_EVENT_AGE_SECONDS = 2 * 3600
SCHEDULE_RETRY_ATTEMPTS = 2

# --- queues ---------------------------------------------------------------------------------------
QUEUE_RETENTION_DAYS = 14

# --- monitoring ------------------------------------------------------------------------------------
ALARM_PERIOD_MINUTES = 5
STALENESS_PERIODS = 3
# The oldest event waiting for the reporter (its queue) or the watcher (Lambda's async queue): an alarm long
# before anything can be dropped (the watcher's events after 1 h, a queued change's redelivery after
# REDELIVERY_WINDOW_SECONDS), at the bar a burst must meet (docs/design.md §7: p99 within 15 minutes).
WAITING_AGE_ALARM_MINUTES = 15

# --- CDK context: keys and defaults ----------------------------------------------------------------
CTX_STACK_NAME = "stackName"
CTX_NOTIFICATION_EMAILS = "notificationEmails"
CTX_OPERATOR_EMAILS = "operatorEmails"
CTX_SLACK_WORKSPACE_ID = "slackWorkspaceId"
CTX_SLACK_CHANNEL_ID = "slackChannelId"
CTX_TEAMS_TEAM_ID = "teamsTeamId"
CTX_TEAMS_CHANNEL_ID = "teamsChannelId"
CTX_TEAMS_TENANT_ID = "teamsTenantId"
CTX_SCHEDULE_RATE_MINUTES = "scheduleRateMinutes"
CTX_NOTIFY_STATUSES = "notifyStatuses"
CTX_TOP_FEATURES = "topFeatures"
CTX_ANALYSIS_MAX_BYTES = "analysisMaxBytes"
CTX_LEADERBOARD_SIZE = "leaderboardSize"
CTX_JOB_NAME_PREFIX = "jobNamePrefix"
CTX_WATERMARK_OVERLAP_SECONDS = "watermarkOverlapSeconds"
CTX_IMPORT_PAGES_PER_PIECE = "importPagesPerPiece"
CTX_WATCHER_RESERVED_CONCURRENCY = "watcherReservedConcurrency"
CTX_REPORTER_MAX_CONCURRENCY = "reporterMaxConcurrency"
CTX_OUTPUT_LOCATIONS = "autopilotOutputLocations"
CTX_OUTPUT_KMS_KEYS = "autopilotOutputKmsKeys"
CTX_POWERTOOLS_LAYER_ARN = "powertoolsLayerArn"
CTX_LOG_RETENTION_DAYS = "logRetentionDays"
CTX_REMOVAL_POLICY = "removalPolicy"
CTX_CHILD_JOB_NUDGES = "childJobNudges"
CTX_JOB_FAMILY_PATTERN = "jobFamilyPattern"
CTX_STUCK_AFTER_MINUTES = "stuckAfterMinutes"
CTX_DIGEST_SCHEDULE = "digestSchedule"
CTX_DIGEST_PERIOD_HOURS = "digestPeriodHours"
CTX_COSTING = "costing"
# An organization (docs/deploy.md section 16): the hub bus a spoke sends to, the hub's own keys, and the
# StackSet roll-out.
CTX_HUB_EVENT_BUS_ARN = "hubEventBusArn"
CTX_SPOKE_NOTIFICATIONS = "spokeNotifications"
CTX_ORGANIZATION_ID = "organizationId"
CTX_ORGANIZATIONAL_UNIT_PATHS = "organizationalUnitPaths"
CTX_ACCOUNT_NAMES = "accountNames"
CTX_SPOKE_SILENT_AFTER_MINUTES = "spokeSilentAfterMinutes"
CTX_SPOKE_ORGANIZATIONAL_UNIT_IDS = "spokeOrganizationalUnitIds"
CTX_SPOKE_REGIONS = "spokeRegions"
CTX_STACK_SET_CALL_AS = "stackSetCallAs"
CTX_STACK_SET_ORGANIZATION_ID = "stackSetOrganizationId"

DEFAULT_SCHEDULE_RATE_MINUTES = 1
MAX_SCHEDULE_RATE_MINUTES = 360  # Lambda's maximum event age (6 h) and CloudWatch's 1-day alarm window
DEFAULT_NOTIFY_STATUSES = TERMINAL_STATUSES
DEFAULT_JOB_NAME_PREFIX = ""
DEFAULT_OUTPUT_LOCATIONS = ("sagemaker-${AWS::Region}-${AWS::AccountId}",)
DEFAULT_LOG_RETENTION_DAYS = 30
# The values CloudWatch Logs accepts for RetentionInDays (the one list: config validates against it and
# the log groups take the number as is).
VALID_LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
                            2922, 3288, 3653)  # fmt: skip
DEFAULT_REMOVAL_POLICY: Final = "retain"  # Final: its literal type fits config's Literal["retain", "destroy"]
DEFAULT_CHILD_JOB_NUDGES = False
# Chatbot configuration names allow 128 characters: "<stackName>-teams-<region>" must fit.
MAX_STACK_NAME_LENGTH = 100
DEFAULT_SPOKE_NOTIFICATIONS = False  # a spoke sends no notifications of its own unless asked to
HUB_STACK_SUFFIX = "Hub"  # the hub plan's stack (and bus) is `<stackName>Hub`
# Lambda's limit on a function's environment (all variables together): accountNames must fit in it.
LAMBDA_ENVIRONMENT_BYTES = 4 * 1024

# --- the organization roll-out (infra/stackset.py) --------------------------------------------------
# CloudFormation's CallAs: a delegated administrator of StackSets (the default: AWS recommends deploying
# from one rather than from the management account), or the management account itself.
STACK_SET_CALL_AS_VALUES: Final = ("DELEGATED_ADMIN", "SELF")
DEFAULT_STACK_SET_CALL_AS: Final = "DELEGATED_ADMIN"
# The stackset plan's stack is `<stackName>Spokes`; its asset buckets' stacks `<stackName>SpokeAssets-<region>`.
STACK_SET_STACK_SUFFIX = "Spokes"
ASSET_BUCKETS_STACK_SUFFIX = "SpokeAssets"
# An S3 bucket name is at most 63 characters; the asset buckets are `<prefix>-<region>` and the longest
# region names (ap-southeast-5, ap-northeast-3, ...) have 14.
MAX_BUCKET_NAME_LENGTH = 63
LONGEST_REGION_NAME = 14
# How the StackSet rolls out: regions in parallel; within a region, a quarter of the accounts at a time,
# and an operation stops once a tenth of its stack instances failed (a broken template stops early
# instead of failing in every account).
STACK_SET_MAX_CONCURRENT_PERCENTAGE = 25
STACK_SET_FAILURE_TOLERANCE_PERCENTAGE = 10

# An example window for the history-import command output (the CLI's dates are the user's choice).
HISTORY_IMPORT_EXAMPLE = {"start": "2025-01-01T00:00:00Z", "end": "2026-01-01T00:00:00Z"}

__all__ = [
    "DEFAULT_SPOKE_SILENT_AFTER_MINUTES",
    "DIGESTS_CLAIMED",
    "ENTRIES_FORWARDED",
    "ENTRIES_REDUCED",
    "FOREIGN_REPORTS_REFUSED",
    "FORWARDED_COSTS_STORED",
    "FORWARDED_REPORTS_STORED",
    "HEARTBEATS_WRITTEN",
    "KEY_SCOPE_ORGANIZATION",
    "SILENT_SPOKES_CLAIMED",
    "SPOKE_HEARTBEATS",
    "FORWARDED_DETAIL_TYPES",
    "FORWARDER_HANDLER",
    "HEARTBEAT_AT",
    "HEARTBEAT_MINUTES",
    "HUB_RECORDER_HANDLER",
    "INDEX_BY_ACCOUNT",
    "INDEX_BY_NAME",
    "MAX_SPOKE_SILENT_AFTER_MINUTES",
    "ORGANIZATION_INDEXES",
    "OUTPUT_FORWARDER_FUNCTION_NAME",
    "OUTPUT_HUB_EVENT_BUS_ARN",
    "OUTPUT_HUB_RECORDER_FUNCTION_NAME",
    "OUTPUT_SPOKE_MONITOR_FUNCTION_NAME",
    "OUTPUT_TABLE_KEY_SCOPE",
    "SILENT_ALERTED_FOR",
    "SPOKE_MONITOR_HANDLER",
    "SPOKE_SK",
    "EXAMPLE_ACCOUNT_ID",
    "OUTPUT_TABLE_NAME",
    "OUTPUT_EVENT_BUS_NAME",
    "OUTPUT_REPORTS_TOPIC_ARN",
    "OUTPUT_OPERATORS_TOPIC_ARN",
    "OUTPUT_WATCHER_FUNCTION_NAME",
    "OUTPUT_REPORTER_FUNCTION_NAME",
    "OUTPUT_NOTIFIER_FUNCTION_NAME",
    "OUTPUT_DASHBOARD_NAME",
    "OUTPUT_WATCHER_TRIGGER_DLQ_URL",
    "OUTPUT_WATCHER_FAILURE_QUEUE_URL",
    "OUTPUT_REPORTER_DELIVERY_DLQ_URL",
    "OUTPUT_REPORTER_FAILURE_QUEUE_URL",
    "OUTPUT_REPORTER_QUEUE_URL",
    "OUTPUT_NOTIFIER_FAILURE_QUEUE_URL",
    "OUTPUT_COSTER_FAILURE_QUEUE_URL",
    "OUTPUT_HISTORY_IMPORT_COMMAND",
    "INDEX_BY_PARTIAL_FAILURE",
    "INDEX_BY_STATUS",
    "DIGEST_INPUT",
    "STUCK_ALERTED_FOR",
    "DIGEST_SK",
    "MAX_STUCK_AFTER_MINUTES",
    "MAX_DIGEST_PERIOD_HOURS",
    "DEFAULT_STUCK_AFTER_MINUTES",
    "DEFAULT_JOB_FAMILY_PATTERN",
    "DEFAULT_DIGEST_SCHEDULE",
    "DEFAULT_DIGEST_PERIOD_HOURS",
    "ANALYSIS_FILE",
    "AUTOML_API_CALLS",
    "CHILD_JOB_DETAIL_TYPES",
    "CLOUDTRAIL_DETAIL_TYPE",
    "DEFAULT_ANALYSIS_MAX_BYTES",
    "DEFAULT_IMPORT_PAGES_PER_PIECE",
    "DEFAULT_LEADERBOARD_SIZE",
    "DEFAULT_STACK_NAME",
    "DEFAULT_TOP_FEATURES",
    "DEFAULT_WATERMARK_OVERLAP_SECONDS",
    "EVENT_SOURCE",
    "EXPLAINABILITY_STATES",
    "EVENT_TYPES",
    "EXPLAINABILITY_STATE_PREFIX",
    "IMPORT_DETAIL_TYPE",
    "IMPORT_JOBS_SEEN",
    "IMPORT_PIECES",
    "INDEXES",
    "INVALID_EVENTS",
    "JOB_STATUSES",
    "JOBS_LISTED",
    "JOBS_NOT_FOUND",
    "LIST_PAGE_SIZE",
    "MAX_ANALYSIS_MAX_BYTES",
    "MAX_IMPORT_PAGES_PER_PIECE",
    "MAX_LEADERBOARD_SIZE",
    "MAX_TOP_FEATURES",
    "MAX_WATERMARK_OVERLAP_SECONDS",
    "MESSAGE_ATTRIBUTES",
    "MIN_ANALYSIS_MAX_BYTES",
    "NAMESPACE",
    "NOTIFICATIONS_CLAIMED",
    "NOTIFICATIONS_SENT",
    "CLAIMS_REFUSED",
    "NOTIFIED_AT",
    "PARTITION_KEY",
    "REPORTS_UNCHANGED",
    "REPORTS_WRITTEN",
    "REPORT_SK",
    "SAGEMAKER_API_EVENT_SOURCE",
    "SAGEMAKER_EVENT_SOURCE",
    "SCHEDULE_INPUT",
    "SEAL_MAC_ALGORITHM",
    "SERVICE",
    "SORT_KEY",
    "STATE_CHANGES_PUBLISHED",
    "STATE_CHANGE_DETAIL_TYPE",
    "TERMINAL_STATUSES",
    "WATCHER_TICKS_SUCCEEDED",
    "WATCHER_HANDLER",
    "REPORTER_HANDLER",
    "NOTIFIER_HANDLER",
    "COSTER_HANDLER",
    "COMPUTE",
    "COST_SK",
    "DEFAULT_COSTING",
    "powertools_ssm_parameter",
    "powertools_version",
]

_PIN = re.compile(r"^\s*aws-lambda-powertools(?:\[[^\]]*\])?\s*==\s*([0-9][0-9A-Za-z.+-]*)\s*(?:#.*)?$")


@lru_cache(maxsize=1)
def powertools_version(requirements: Path = REQUIREMENTS_FILE) -> str:
    """The Powertools version pinned in requirements.txt: the one pin for the layer and the tests."""
    for line in requirements.read_text(encoding="utf-8").splitlines():
        match = _PIN.match(line)
        if match:
            return match.group(1)
    raise RuntimeError(f"{requirements} must pin {POWERTOOLS_PACKAGE}==<version> (the Lambda layer follows it)")


def powertools_ssm_parameter() -> str:
    """Public SSM parameter holding this region's Powertools layer ARN for the pinned version."""
    return POWERTOOLS_SSM_PARAMETER.format(version=powertools_version())
