"""Shared names, statuses, states, defaults and bounds: the one home the handlers, the stack (`infra/`),
the sandbox, the CLI and the benches all read. Kept free of imports so anything may import it cheaply.
"""

# --- AutoML job statuses ---------------------------------------------------------------------------
IN_PROGRESS = "InProgress"
STOPPING = "Stopping"
COMPLETED = "Completed"
FAILED = "Failed"
STOPPED = "Stopped"
TERMINAL_STATUSES = (COMPLETED, FAILED, STOPPED)
JOB_STATUSES = (IN_PROGRESS, STOPPING, *TERMINAL_STATUSES)
EXPLAINABILITY_ERROR_STATUS = "ExplainabilityError"  # a secondary status

# --- explainability states (docs/design.md §4.1) ----------------------------------------------------
EXPLAINABILITY_STATES = ("available", "missing", "error", "pending", "not_applicable")
ANALYSIS_FILE = "analysis.json"  # Clarify's output: the one object the reporter reads (and may read)

# --- our events (docs/design.md §3) -------------------------------------------------------------------
EVENT_SOURCE = "autopilot-reports"
STATE_CHANGE_DETAIL_TYPE = "AutoML Job State Change"
IMPORT_DETAIL_TYPE = "AutoML History Import"  # one bounded piece of a history import, handed on
SCHEMA_VERSION = "2"  # 2: FamilyStanding added (1 is still accepted)

# --- an organization: what a spoke sends its hub (docs/design.md §8), one entry each, source EVENT_SOURCE ---
REPORT_DETAIL_TYPE = "AutoML Job Report"  # a committed report (and whether the spoke claimed its notification)
STUCK_DETAIL_TYPE = "AutoML Job Stuck"  # a committed "may be stuck" claim
HEARTBEAT_DETAIL_TYPE = "AutoML Spoke Heartbeat"  # at most one an hour per spoke
FORWARDED_DETAIL_TYPES = (REPORT_DETAIL_TYPE, STUCK_DETAIL_TYPE, HEARTBEAT_DETAIL_TYPE)
FORWARDED_SCHEMA_VERSION = "1"
MAX_ENTRY_BYTES = 256 * 1024  # EventBridge's limit per entry, and per PutEvents request
HEARTBEAT_MINUTES = 60  # a spoke's watcher writes its heartbeat at most this often

# --- what wakes the watcher ---------------------------------------------------------------------------
CLOUDTRAIL_DETAIL_TYPE = "AWS API Call via CloudTrail"
SAGEMAKER_EVENT_SOURCE = "aws.sagemaker"
SAGEMAKER_API_EVENT_SOURCE = "sagemaker.amazonaws.com"  # CloudTrail's eventSource of SageMaker's calls
CREATE_AUTOML_JOB = "CreateAutoMLJob"
CREATE_AUTOML_JOB_V2 = "CreateAutoMLJobV2"
STOP_AUTOML_JOB = "StopAutoMLJob"
AUTOML_API_CALLS = (CREATE_AUTOML_JOB, CREATE_AUTOML_JOB_V2, STOP_AUTOML_JOB)  # CloudTrail's eventName
CHILD_JOB_DETAIL_TYPES = (
    "SageMaker Training Job State Change",
    "SageMaker Processing Job State Change",
    "SageMaker Transform Job State Change",
)
SCHEDULE_INPUT = {"trigger": "schedule"}
DIGEST_INPUT = {"trigger": "digest"}  # plus "scheduled_time": <aws.scheduler.scheduled-time>

# --- defaults and bounds ------------------------------------------------------------------------------
DEFAULT_TOP_FEATURES = 10
MAX_TOP_FEATURES = 100
DEFAULT_ANALYSIS_MAX_BYTES = 20 * 1024 * 1024
MIN_ANALYSIS_MAX_BYTES = 1024
MAX_ANALYSIS_MAX_BYTES = 100 * 1024 * 1024  # beyond this the reporter's memory must grow first
DEFAULT_WATERMARK_OVERLAP_SECONDS = 300
MAX_WATERMARK_OVERLAP_SECONDS = 86_400
# A nudge (CloudTrail, child job) is covered by a pass that began listing this long after the nudge's event:
# that listing showed the change already. Nudges only cut latency; the schedule is what never misses one.
NUDGE_SETTLE_SECONDS = 5
REDELIVERY_WINDOW_SECONDS = 3600  # how long a tick re-lists (and re-publishes) changes not yet stored
DEFAULT_LEADERBOARD_SIZE = 5
MAX_LEADERBOARD_SIZE = 20
LIST_PAGE_SIZE = 100  # ListAutoMLJobs' maximum MaxResults: fewest calls per tick
DEFAULT_IMPORT_PAGES_PER_PIECE = 10  # 1,000 jobs per history-import invocation, far inside its timeout
MAX_IMPORT_PAGES_PER_PIECE = 50
MAX_PARTIAL_FAILURE_CHARS = 1024  # the API's own limit per message
MAX_FAILURE_REASON_CHARS = 1024  # the API's own limit; a longer one is cut with a marker (item size)
MAX_PARTIAL_FAILURES = 20  # the API returns at most 5; anything beyond is summarised, never dropped silently
MAX_CANDIDATE_METRICS = 50  # CandidateMetrics kept on the record (AWS lists about a dozen)
# The family is the name without trailing -<digits> groups: churn-2025-06-01 -> churn, churn-h1 stays.
DEFAULT_JOB_FAMILY_PATTERN = r"^(.+?)(?:-\d+)*$"
DEFAULT_STUCK_AFTER_MINUTES = 240  # an InProgress job quiet this long "may be stuck"; 0 turns it off
MAX_STUCK_AFTER_MINUTES = 30 * 24 * 60
DEFAULT_DIGEST_SCHEDULE = "cron(0 8 * * ? *)"  # EventBridge Scheduler expression, or "none"
DEFAULT_DIGEST_PERIOD_HOURS = 24  # what the first digest covers
MAX_DIGEST_PERIOD_HOURS = 24 * 31
DEFAULT_SPOKE_SILENT_AFTER_MINUTES = 180  # a hub alerts once per silence of a spoke this quiet
MAX_SPOKE_SILENT_AFTER_MINUTES = 30 * 24 * 60
DIGEST_LIST_LIMIT = 50  # jobs named per list of a digest; the rest are counted
JOB_NAME_PATTERN = r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,31}$"  # CreateAutoMLJob's own constraint
# An AWS region name (us-east-1, us-gov-west-1, cn-north-1, ap-southeast-4): console links are built only for
# these, and a scenario's region must be one.
AWS_REGION_PATTERN = r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$"
# --- the cost of a job (docs/design.md §4, `compute`) -----------------------------------------------------
DEFAULT_COSTING = True  # CDK context `costing`: false deploys no coster
CANDIDATES_PAGE_SIZE = 300  # ListCandidatesForAutoMLJob's maximum MaxResults (AutoMLMaxResultsForTrials)
COST_DESCRIBES_PER_PIECE = 200  # child jobs described per coster invocation before the rest is handed on
PRICE_TTL_DAYS = 7  # a cached price is looked up again after this long
PRICING_SERVICE_CODE = "AmazonSageMaker"

# --- the report table (key design: adapters/dynamodb_items.py) ------------------------------------------
PARTITION_KEY = "pk"
SORT_KEY = "sk"
INDEX_BY_STATUS = "by_status"
INDEX_BY_PARTIAL_FAILURE = "by_partial_failure"
INDEX_RECENT = "recent"
# index name -> (partition key attribute, sort key attribute); all string keys, all attributes projected
INDEXES = {
    INDEX_BY_STATUS: ("gsi1pk", "gsi1sk"),
    INDEX_BY_PARTIAL_FAILURE: ("gsi2pk", "gsi2sk"),
    INDEX_RECENT: ("gsi3pk", "gsi3sk"),
}
# An organization's hub table only (KeyScope.ORGANIZATION): jobs by account, and a name's places
INDEX_BY_ACCOUNT = "by_account"
INDEX_BY_NAME = "by_name"
ORGANIZATION_INDEXES = {
    INDEX_BY_ACCOUNT: ("gsi4pk", "gsi4sk"),
    INDEX_BY_NAME: ("gsi5pk", "gsi5sk"),
}
KEY_SCOPE_LOCAL = "local"  # a standalone stack's table, or a spoke's: jobs keyed by name
KEY_SCOPE_ORGANIZATION = "organization"  # a hub's: jobs keyed by account, region and name
REPORT_SK = "REPORT"
NOTIFIED_AT = "notified_at"  # set once, by the commit that claims a job's terminal notification
STUCK_ALERTED_FOR = "stuck_alerted_for"  # the progress (models.record.progress) of the stall alerted
STUCK_NOTIFIED_AT = "stuck_notified_at"  # when that "may be stuck" alert was claimed
DIGEST_SK = "DIGEST"  # a digest item's sort key: its insert is the digest's claim
COST_SK = "COST"  # a job's costing in progress (its next piece): its write hands the rest on
PRICE_SK = "PRICE"  # a cached on-demand price (pk PRICE#<region>#<usage>#<instance type>)
COMPUTE = "compute"  # the record's cost figures, written by the coster after the report (docs/design.md §4)
SPOKE_SK = "SPOKE"  # a hub's item per (account, region): the spoke's last heartbeat
SILENT_ALERTED_FOR = "silent_alerted_for"  # the heartbeat (ms) whose silence was alerted
SILENT_NOTIFIED_AT = "silent_notified_at"
HEARTBEAT_AT = "heartbeat_at"  # on a spoke's watcher item: when its watcher last wrote a heartbeat
# Seals (domain/seal.py): what the stack wrote, told apart from what anyone hands the notifier.
SEAL = "seal"  # a latest record's ({fields, mac}) and a digest's
STUCK_SEAL = "stuck_seal"  # beside a "may be stuck" claim
COMPUTE_SEAL = "compute_seal"  # beside a record's `compute` (the coster's write; a hub's copy of it)
SILENT_SEAL = "silent_seal"  # beside a hub's claim of a spoke's silence
HEARTBEAT = "heartbeat"  # on a spoke's watcher item: its last heartbeat ({sent_at, watch_start, watermark})
HEARTBEAT_SEAL = "heartbeat_seal"
SEAL_MAC_ALGORITHM = "HMAC_SHA_256"  # the key policy admits GenerateMac with this algorithm only
SEAL_KEY_MESSAGE = b"autopilot-reports seal key v1"  # what every function MACs (KMS) to derive the seal key

# --- metrics --------------------------------------------------------------------------------------------
NAMESPACE = "AutopilotReports"
SERVICE = "autopilot-reports"
# watcher
WATCHER_TICKS_SUCCEEDED = "WatcherTicksSucceeded"  # staleness alarm: none in three intervals
JOBS_LISTED = "JobsListed"
STATE_CHANGES_PUBLISHED = "StateChangesPublished"
IMPORT_JOBS_SEEN = "ImportJobsSeen"
IMPORT_PIECES = "ImportPieces"
STUCK_ALERTS_CLAIMED = "StuckAlertsClaimed"
NUDGES_COVERED = "NudgesCovered"  # CloudTrail/child-job nudges an earlier pass had listed already
CHANGES_HELD_BACK = "ChangesHeldBack"  # unstored changes not published again: they may still wait in the queue
DIGESTS_CLAIMED = "DigestsClaimed"
# reporter
REPORTS_WRITTEN = "ReportsWritten"
REPORTS_UNCHANGED = "ReportsUnchanged"  # replays and stale events, skipped by the conditional write
NOTIFICATIONS_CLAIMED = "NotificationsClaimed"
JOBS_NOT_FOUND = "JobsNotFound"
INVALID_EVENTS = "InvalidEvents"
CHANGES_SUPERSEDED = "ChangesSuperseded"  # older changes of a job a newer one in the same batch covers
LEADERBOARD_ERRORS = "LeaderboardErrors"
RECORDS_REDUCED = "RecordsReduced"  # the table refused the full record; a reduced one went out
EXPLAINABILITY_STATE_PREFIX = "Explainability_"  # + one of EXPLAINABILITY_STATES
# coster
JOBS_COSTED = "JobsCosted"  # compute written on a terminal record
COSTS_INCOMPLETE = "CostsIncomplete"  # ... with `incomplete` set (a child job or a price missing)
COST_PIECES_HANDED_ON = "CostPiecesHandedOn"  # the rest of a job's child jobs handed to the next piece
CHILD_JOBS_DESCRIBED = "ChildJobsDescribed"
PRICE_LOOKUPS = "PriceLookups"  # GetProducts calls (one per region and instance type a week)
# notifier
STREAM_RECORDS_RECEIVED = "StreamRecordsReceived"  # after the event source mapping's filter
NOTIFICATIONS_SENT = "NotificationsSent"  # flushed right after each Publish, so a crash cannot hide one
HEARTBEATS_WRITTEN = "HeartbeatsWritten"
# forwarder (a spoke)
ENTRIES_FORWARDED = "EntriesForwarded"
ENTRIES_REDUCED = "EntriesReduced"  # a report over EventBridge's entry limit, sent reduced (never dropped)
# hub recorder and spoke monitor (a hub)
FORWARDED_REPORTS_STORED = "ForwardedReportsStored"
FORWARDED_COSTS_STORED = "ForwardedCostsStored"  # a job's cost figures, from its spoke's coster
FOREIGN_REPORTS_REFUSED = "ForeignReportsRefused"  # a report naming another account than its envelope's
SPOKE_HEARTBEATS = "SpokeHeartbeats"
SILENT_SPOKES_CLAIMED = "SilentSpokesClaimed"
CLAIMS_REFUSED = "ClaimsRefused"  # stream records whose claim the stack did not seal: forged, never sent

# --- what a message is about: the `event_type` SNS attribute every message carries -----------------------
EVENT_TYPE_ENDED = "ended"  # the terminal report
EVENT_TYPE_STUCK = "stuck"  # an InProgress job whose LastModifiedTime has not moved for stuckAfterMinutes
EVENT_TYPE_DIGEST = "digest"  # the scheduled summary
EVENT_TYPE_SPOKE_SILENT = "spoke_silent"  # a hub: a spoke sent no heartbeat for spokeSilentAfterMinutes
EVENT_TYPES = (EVENT_TYPE_ENDED, EVENT_TYPE_STUCK, EVENT_TYPE_DIGEST, EVENT_TYPE_SPOKE_SILENT)

# --- the stack, its functions and its outputs (names the stack, the CLI, the sandbox and the bench share) ---
DEFAULT_STACK_NAME = "AutopilotReports"  # CDK context `stackName`; the CLI's `--stack` default
# AWS's documentation account: the sandbox's default account (scenarios, the template's ${AWS::AccountId})
# and the stand-in for ${AWS::AccountId} when the stack checks a bucket name's shape at synth.
EXAMPLE_ACCOUNT_ID = "123456789012"
# Each function's handler (the Lambda asset's root is lambdas/); each reads its own settings model
# (settings.py: WatcherSettings, ReporterSettings, NotifierSettings, CosterSettings).
WATCHER_HANDLER = "autopilot_reports.handlers.watcher.handler"
REPORTER_HANDLER = "autopilot_reports.handlers.reporter.handler"
NOTIFIER_HANDLER = "autopilot_reports.handlers.notifier.handler"
COSTER_HANDLER = "autopilot_reports.handlers.coster.handler"
FORWARDER_HANDLER = "autopilot_reports.handlers.forwarder.handler"  # a spoke
HUB_RECORDER_HANDLER = "autopilot_reports.handlers.hub_recorder.handler"  # a hub
SPOKE_MONITOR_HANDLER = "autopilot_reports.handlers.spoke_monitor.handler"  # a hub
# The stack's CloudFormation outputs, by name (the CLI reads the table's and the bus's)
OUTPUT_TABLE_NAME = "ReportsTableName"
OUTPUT_EVENT_BUS_NAME = "EventBusName"
OUTPUT_REPORTS_TOPIC_ARN = "ReportsTopicArn"
OUTPUT_OPERATORS_TOPIC_ARN = "OperatorsTopicArn"
OUTPUT_WATCHER_FUNCTION_NAME = "WatcherFunctionName"
OUTPUT_REPORTER_FUNCTION_NAME = "ReporterFunctionName"
OUTPUT_NOTIFIER_FUNCTION_NAME = "NotifierFunctionName"
OUTPUT_DASHBOARD_NAME = "DashboardName"
OUTPUT_WATCHER_TRIGGER_DLQ_URL = "WatcherTriggerDeadLetterQueueUrl"
OUTPUT_WATCHER_FAILURE_QUEUE_URL = "WatcherFailureQueueUrl"
OUTPUT_REPORTER_DELIVERY_DLQ_URL = "ReporterDeliveryDeadLetterQueueUrl"
OUTPUT_REPORTER_FAILURE_QUEUE_URL = "ReporterFailureQueueUrl"
OUTPUT_REPORTER_QUEUE_URL = "ReporterQueueUrl"  # where a redrive of ReporterFailureQueue goes back to
OUTPUT_NOTIFIER_FAILURE_QUEUE_URL = "NotifierFailureQueueUrl"
OUTPUT_COSTER_FAILURE_QUEUE_URL = "CosterFailureQueueUrl"  # only where costing is on
OUTPUT_HISTORY_IMPORT_COMMAND = "HistoryImportCommand"
OUTPUT_TABLE_KEY_SCOPE = "ReportsTableKeyScope"  # a hub's: the CLI reads its table by account and region
OUTPUT_HUB_EVENT_BUS_ARN = "HubEventBusArn"  # a hub's: what its spokes send to (context hubEventBusArn)
OUTPUT_FORWARDER_FUNCTION_NAME = "ForwarderFunctionName"
OUTPUT_HUB_RECORDER_FUNCTION_NAME = "HubRecorderFunctionName"
OUTPUT_SPOKE_MONITOR_FUNCTION_NAME = "SpokeMonitorFunctionName"
# SNS message attributes every job notification carries (subscription filter policies may use them)
MESSAGE_ATTRIBUTES = (
    "event_type",
    "job_name",
    "status",
    "has_partial_failures",
    "explainability_state",
    "family",
    "new_best_in_family",
    "account_id",  # where the job ran (every mode), so a hub's subscriptions can route by account
    "region",
)
