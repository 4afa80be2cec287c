"""Names, defaults and limits of the stack, in one place.

The environment variable names and metric names are owned by the Lambda code (`lambdas/`), so the
functions and the stack cannot disagree: they are imported here, never retyped.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from autopilot_reports import metric_names, table_schema
from autopilot_reports.settings import (
    ENV_ANALYSIS_MAX_BYTES,
    ENV_EVENT_BUS_NAME,
    ENV_JOB_NAME_PREFIX,
    ENV_NOTIFY_STATUSES,
    ENV_TABLE_NAME,
    ENV_TOP_FEATURES,
    ENV_TOPIC_ARN,
    ENV_WATERMARK_OVERLAP_SECONDS,
    TERMINAL_STATUSES,
)

PROJECT_ROOT = Path(__file__).resolve().parents[1]
LAMBDA_ASSET_DIR = PROJECT_ROOT / "lambdas"
REQUIREMENTS_FILE = PROJECT_ROOT / "requirements.txt"
LAMBDA_ASSET_EXCLUDE = ("**/__pycache__", "**/*.pyc", "**/.pytest_cache", "**/.mypy_cache", "**/.ruff_cache")

STACK_NAME = "AutopilotReports"
STACK_DESCRIPTION = "autopilot-reports: reports and notifications for SageMaker Autopilot (AutoML) jobs"

# --- our event (DESIGN section 3) -----------------------------------------------------------------
EVENT_BUS_NAME = "autopilot-reports"
EVENT_SOURCE = "autopilot-reports"
STATE_CHANGE_DETAIL_TYPE = "AutoML Job State Change"

# --- what wakes the watcher ------------------------------------------------------------------------
CLOUDTRAIL_DETAIL_TYPE = "AWS API Call via CloudTrail"
SAGEMAKER_EVENT_SOURCE = "aws.sagemaker"
SAGEMAKER_API_EVENT_SOURCE = "sagemaker.amazonaws.com"
AUTOML_API_CALLS = ("CreateAutoMLJob", "CreateAutoMLJobV2", "StopAutoMLJob")
CHILD_JOB_DETAIL_TYPES = (
    "SageMaker Training Job State Change",
    "SageMaker Processing Job State Change",
    "SageMaker Transform Job State Change",
)
SCHEDULE_INPUT = {"trigger": "schedule"}

# --- functions -------------------------------------------------------------------------------------
WATCHER_HANDLER = "autopilot_reports.handlers.watcher.handler"
REPORTER_HANDLER = "autopilot_reports.handlers.reporter.handler"
WATCHER_MEMORY_MB = 256
WATCHER_TIMEOUT_SECONDS = 60
WATCHER_RESERVED_CONCURRENCY = 1  # two ticks never race on the watermark
REPORTER_MIN_MEMORY_MB = 512
# Measured (bench/analysis_memory.py): the reporter process peaks at ~240 MiB summarizing a 19.5 MiB
# analysis.json (~90 MiB of runtime and libraries, ~7.5x the body for the parsed document). Memory follows
# the configured cap with 1.5x headroom, never below 512 MB: 512 MB at the default 20 MiB cap.
REPORTER_BASE_MEMORY_MB = 96
REPORTER_MEMORY_PER_ANALYSIS_MIB = 8
REPORTER_MEMORY_HEADROOM = 1.5


def reporter_memory_mb(analysis_max_bytes: int) -> int:
    """Lambda memory for the reporter, sized from the analysis.json cap (rounded up to 64 MB)."""
    needed = REPORTER_BASE_MEMORY_MB + REPORTER_MEMORY_PER_ANALYSIS_MIB * analysis_max_bytes / 2**20
    sized = -(-int(needed * REPORTER_MEMORY_HEADROOM) // 64) * 64
    return max(REPORTER_MIN_MEMORY_MB, sized)


REPORTER_TIMEOUT_SECONDS = 60
REPORTER_RETRY_ATTEMPTS = 2  # Lambda asynchronous invocation retries (0..2)
REPORTER_MAX_EVENT_AGE_SECONDS = 3600
WATCHER_RETRY_ATTEMPTS = 0  # the next tick redoes a failed one; state lives in DynamoDB
POWERTOOLS_LOG_LEVEL = "INFO"
POWERTOOLS_SSM_PARAMETER = "/aws/service/powertools/python/x86_64/python3.13/{version}"
POWERTOOLS_PACKAGE = "aws-lambda-powertools"

# --- EventBridge / Scheduler delivery --------------------------------------------------------------
TARGET_RETRY_ATTEMPTS = 4
TARGET_MAX_EVENT_AGE_SECONDS = 2 * 3600
SCHEDULE_RETRY_ATTEMPTS = 2

# --- queues ---------------------------------------------------------------------------------------
QUEUE_RETENTION_DAYS = 14

# --- store (the key design lives with the Lambda code, which owns these names) ---------------------
TABLE_PARTITION_KEY = table_schema.PARTITION_KEY
TABLE_SORT_KEY = table_schema.SORT_KEY
TABLE_INDEXES = table_schema.INDEXES

# --- notifications ---------------------------------------------------------------------------------
FILTERABLE_ATTRIBUTES = ("job_name", "status", "has_partial_failures", "explainability_state")
CHATBOT_CONFIGURATION_NAME = "autopilot-reports"

# --- monitoring ------------------------------------------------------------------------------------
ALARM_PERIOD_MINUTES = 5
STALENESS_PERIODS = 3
DASHBOARD_NAME = "autopilot-reports"

# --- CDK context: keys and defaults ----------------------------------------------------------------
CTX_NOTIFICATION_EMAILS = "notificationEmails"
CTX_OPERATOR_EMAILS = "operatorEmails"
CTX_SLACK_WORKSPACE_ID = "slackWorkspaceId"
CTX_SLACK_CHANNEL_ID = "slackChannelId"
CTX_SCHEDULE_RATE_MINUTES = "scheduleRateMinutes"
CTX_NOTIFY_STATUSES = "notifyStatuses"
CTX_TOP_FEATURES = "topFeatures"
CTX_ANALYSIS_MAX_BYTES = "analysisMaxBytes"
CTX_JOB_NAME_PREFIX = "jobNamePrefix"
CTX_WATERMARK_OVERLAP_SECONDS = "watermarkOverlapSeconds"
CTX_OUTPUT_LOCATIONS = "autopilotOutputLocations"
CTX_LOG_RETENTION_DAYS = "logRetentionDays"
CTX_REMOVAL_POLICY = "removalPolicy"
CTX_CHILD_JOB_NUDGES = "childJobNudges"

DEFAULT_SCHEDULE_RATE_MINUTES = 1
MAX_SCHEDULE_RATE_MINUTES = 360  # Lambda's maximum event age (6 h) and CloudWatch's 1-day alarm window
DEFAULT_NOTIFY_STATUSES = TERMINAL_STATUSES
DEFAULT_TOP_FEATURES = 10
DEFAULT_ANALYSIS_MAX_BYTES = 20 * 1024 * 1024
MIN_ANALYSIS_MAX_BYTES = 1024
MAX_ANALYSIS_MAX_BYTES = 100 * 1024 * 1024  # beyond this the reporter's memory must grow first
DEFAULT_JOB_NAME_PREFIX = ""
DEFAULT_WATERMARK_OVERLAP_SECONDS = 300
DEFAULT_OUTPUT_LOCATIONS = ("sagemaker-${AWS::Region}-${AWS::AccountId}",)
DEFAULT_LOG_RETENTION_DAYS = 30
VALID_LOG_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)
DEFAULT_REMOVAL_POLICY = "retain"
DEFAULT_CHILD_JOB_NUDGES = False

__all__ = [
    "ENV_ANALYSIS_MAX_BYTES",
    "ENV_EVENT_BUS_NAME",
    "ENV_JOB_NAME_PREFIX",
    "ENV_NOTIFY_STATUSES",
    "ENV_TABLE_NAME",
    "ENV_TOPIC_ARN",
    "ENV_TOP_FEATURES",
    "ENV_WATERMARK_OVERLAP_SECONDS",
    "TERMINAL_STATUSES",
    "metric_names",
    "powertools_version",
    "powertools_ssm_parameter",
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
