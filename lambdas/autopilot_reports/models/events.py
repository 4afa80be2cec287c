"""Inbound events (what invokes our functions) and the event we publish.

`AutoMLJobStateChange` is a public contract (docs/design.md §3): change it only with its contract test.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal, cast

from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from pydantic import BaseModel, ConfigDict, Field, model_validator

from autopilot_reports import constants as c
from autopilot_reports.models.common import UtcDatetime

EVENT_SOURCE = c.EVENT_SOURCE
EVENT_DETAIL_TYPE = c.STATE_CHANGE_DETAIL_TYPE
# constants.py stays free of imports (so no `Final` there): the contract's literal type is given here.
SCHEMA_VERSION = cast(Literal["2"], c.SCHEMA_VERSION)


class DetectedBy(StrEnum):
    SCHEDULE = "schedule"
    CLOUDTRAIL = "cloudtrail"
    CHILD_JOB = "child-job"
    BACKFILL = "backfill"


class PartialFailureReason(BaseModel):
    model_config = ConfigDict(extra="ignore")

    PartialFailureMessage: str = ""


class FamilyStandingDetail(BaseModel):
    """The job's family and its standing best as the table held it when the watcher listed the job (looked
    up in the same BatchGetItem as the job's state). The reporter's commit is conditional on it, so a
    stale one is only a wasted guess, never a wrong verdict."""

    model_config = ConfigDict(extra="forbid")

    Family: str = Field(min_length=1)
    BestJobName: str | None = None  # None: the family has no best yet
    BestValue: float | None = None
    Metric: str | None = None
    Direction: str | None = None


class AutoMLJobStateChange(BaseModel):
    """The detail of our "AutoML Job State Change" event: ListAutoMLJobs summary fields under their AWS
    names, plus what the watcher knew before and how it noticed."""

    model_config = ConfigDict(extra="forbid")

    AutoMLJobName: str = Field(pattern=c.JOB_NAME_PATTERN)  # the API's own constraint
    AutoMLJobArn: str = Field(min_length=1)
    AutoMLJobStatus: str
    AutoMLJobSecondaryStatus: str
    CreationTime: UtcDatetime
    EndTime: UtcDatetime | None = None
    LastModifiedTime: UtcDatetime
    FailureReason: str | None = None
    PartialFailureReasons: list[PartialFailureReason] = Field(default_factory=list)
    PreviousStatus: str | None = None
    PreviousSecondaryStatus: str | None = None
    DetectedBy: DetectedBy
    FamilyStanding: FamilyStandingDetail | None = None  # only for Completed jobs; absent: not looked up
    SchemaVersion: Literal["1", "2"] = SCHEMA_VERSION  # "1": before FamilyStanding (still accepted)


# The members of a ListAutoMLJobs summary the event carries under their AWS names.
SUMMARY_FIELDS = (
    "AutoMLJobName",
    "AutoMLJobArn",
    "AutoMLJobStatus",
    "AutoMLJobSecondaryStatus",
    "CreationTime",
    "EndTime",
    "LastModifiedTime",
    "FailureReason",
    "PartialFailureReasons",
)


class StateChangeEvent(EventBridgeModel):
    """Our event as EventBridge delivers it to the reporter."""

    source: Literal["autopilot-reports"]
    detail_type: Literal["AutoML Job State Change"] = Field(alias="detail-type")
    detail: AutoMLJobStateChange


class QueuedMessage(BaseModel):
    """The part of an SQS record (the reporter's queue) we read: which message, and the event it holds.
    Narrower than Powertools' SqsRecordModel, whose attribute models cost ~8 ms at every cold start."""

    model_config = ConfigDict(extra="ignore")

    messageId: str
    body: str


# The watcher's triggers (and a history import's request and progress, which the CLI reads too) defer
# their validators (defer_build): every function imports this module, only the watcher validates them, so
# they are built at its first use and never in the other functions' cold starts (bench/cold_start.py).


class CloudTrailRequest(BaseModel):
    """The part of a CloudTrail API-call event we read: only a reason to look now, read defensively."""

    model_config = ConfigDict(defer_build=True, extra="ignore")

    eventName: str = ""
    requestParameters: dict[str, Any] | None = None

    @property
    def job_name(self) -> str | None:
        name = (self.requestParameters or {}).get("autoMLJobName")
        return name if isinstance(name, str) else None


class ImportRequest(BaseModel):
    """A history import of the jobs created in [start, end), one bounded piece per invocation.

    Started directly (`{"backfill": {"start": ISO, "end": ISO}}`) or as an "AutoML History Import"
    event on the project's bus; each piece hands the rest on as such an event, with `cursor` (the
    CreationTime of the last job it handled) and the running totals.
    """

    model_config = ConfigDict(defer_build=True, extra="forbid")

    import_id: str = Field(default="", max_length=128)
    start: UtcDatetime
    end: UtcDatetime
    force: bool = False  # re-publish jobs even when the table already knows their state
    cursor: UtcDatetime | None = None
    pieces: int = Field(default=0, ge=0)
    jobs_seen: int = Field(default=0, ge=0)
    published: int = Field(default=0, ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> ImportRequest:
        if self.end <= self.start:
            raise ValueError("history import end must be after start")
        if not self.import_id:
            # Deterministic: the same range is the same import, so re-starting it resumes its progress item.
            self.import_id = f"import-{_compact(self.start)}-{_compact(self.end)}"
        return self


def _compact(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%SZ")


IMPORT_RUN_FIELDS = {"cursor", "pieces", "jobs_seen", "published"}  # how far a run got: request and progress
IMPORT_FIELDS = {"import_id", "start", "end", *IMPORT_RUN_FIELDS}


class ImportProgress(BaseModel):
    """What the table keeps of a history import, for the CLI's progress bar and for operators."""

    model_config = ConfigDict(defer_build=True, frozen=True)

    import_id: str
    start: UtcDatetime
    end: UtcDatetime
    status: Literal["running", "done"]
    cursor: UtcDatetime | None = None
    pieces: int = 0
    jobs_seen: int = 0
    published: int = 0
    updated_at: UtcDatetime


class BackfillRequest(BaseModel):
    """Direct invocation: `{"backfill": {"start": ISO, "end": ISO, "force": false}}`."""

    model_config = ConfigDict(defer_build=True, extra="forbid")

    backfill: ImportRequest


class ScheduleTick(BaseModel):
    """EventBridge Scheduler's input for the watcher: `{"trigger": "schedule"}`."""

    model_config = ConfigDict(defer_build=True, extra="forbid")

    trigger: Literal["schedule"]


class DigestTick(BaseModel):
    """The digest schedule's input: `{"trigger": "digest", "scheduled_time": "<aws.scheduler.scheduled-time>"}`.
    The scheduled time ends the period, so a retried invocation summarizes the same period (and commits
    nothing new)."""

    model_config = ConfigDict(defer_build=True, extra="forbid")

    trigger: Literal["digest"]
    scheduled_time: UtcDatetime | None = None


CLOUDTRAIL_DETAIL_TYPE = c.CLOUDTRAIL_DETAIL_TYPE
CHILD_JOB_DETAIL_TYPES = frozenset(c.CHILD_JOB_DETAIL_TYPES)


class WatcherTrigger(BaseModel):
    """Why the watcher runs: a schedule tick, a nudge (CloudTrail or a child job), or a backfill."""

    model_config = ConfigDict(defer_build=True, frozen=True)

    detected_by: DetectedBy
    event_id: str | None = None
    hint: str | None = None  # a job name or ARN the nudge mentioned, for the logs only
    nudged_at: datetime | None = None  # a nudge's event time (EventBridge `time`)
    history_import: ImportRequest | None = None
    digest: DigestTick | None = None


def parse_watcher_event(event: Any) -> WatcherTrigger:
    """Raises pydantic.ValidationError (or ValueError) for anything the watcher was not built for."""
    if isinstance(event, dict) and "backfill" in event:
        request = BackfillRequest.model_validate(event)
        return WatcherTrigger(detected_by=DetectedBy.BACKFILL, history_import=request.backfill)
    if isinstance(event, dict) and "detail-type" in event:
        envelope = EventBridgeModel.model_validate(event)
        if envelope.detail_type == c.IMPORT_DETAIL_TYPE and envelope.source == c.EVENT_SOURCE:
            imported = ImportRequest.model_validate(envelope.detail)
            return WatcherTrigger(detected_by=DetectedBy.BACKFILL, event_id=envelope.id, history_import=imported)
        if envelope.detail_type == CLOUDTRAIL_DETAIL_TYPE:
            call = CloudTrailRequest.model_validate(envelope.detail)
            return WatcherTrigger(
                detected_by=DetectedBy.CLOUDTRAIL, event_id=envelope.id, hint=call.job_name, nudged_at=envelope.time
            )
        if envelope.detail_type in CHILD_JOB_DETAIL_TYPES:
            parent = envelope.detail.get("AutoMLJobArn") if isinstance(envelope.detail, dict) else None
            return WatcherTrigger(
                detected_by=DetectedBy.CHILD_JOB, event_id=envelope.id, hint=parent, nudged_at=envelope.time
            )
        raise ValueError(f"the watcher does not handle {envelope.detail_type!r} events")
    if isinstance(event, dict) and event.get("trigger") == "digest":
        return WatcherTrigger(detected_by=DetectedBy.SCHEDULE, digest=DigestTick.model_validate(event))
    ScheduleTick.model_validate(event)
    return WatcherTrigger(detected_by=DetectedBy.SCHEDULE)
