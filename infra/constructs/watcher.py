"""The watcher: the function that notices AutoML state changes, and what wakes it."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from autopilot_reports.settings import WatcherSettings
from infra import constants as c
from infra.constructs.function import AsyncInvoke, EventDrivenFunction, FunctionBasics, FunctionSpec, QueueSpec
from infra.constructs.schedules import FunctionSchedules


class WatcherConstruct(Construct):
    """The watcher, publishing on the project's event bus, and the four things that wake it.

    - EventBridge Scheduler, every `schedule_rate_minutes`, input `{"trigger": "schedule"}`;
    - CloudTrail's CreateAutoMLJob / CreateAutoMLJobV2 / StopAutoMLJob calls (default bus; optional:
      without a trail the schedule still notices every change, one interval later);
    - "AutoML History Import" events on our bus: each piece of a history import hands on the next;
    - optionally, Autopilot's child training / processing / transform job state changes.
    Every trigger has retries and the watcher's trigger dead-letter queue. The watcher has no reserved
    concurrency unless asked for (`reserved_concurrency`): its state lives in DynamoDB, and two ticks
    that overlap write the same records under the same conditions.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        bus: events.IEventBus,
        table: dynamodb.ITable,
        report_queue: sqs.IQueue,
        key: kms.IKey,
        basics: FunctionBasics,
        settings: WatcherSettings,
        schedule_rate_minutes: int,
        reserved_concurrency: int | None,
        child_job_nudges: bool,
        digest_schedule: str | None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.bus = bus
        interval = cdk.Duration.minutes(schedule_rate_minutes)
        self.watcher = EventDrivenFunction(
            self,
            "Watcher",
            spec=FunctionSpec(
                name="Watcher",
                handler=c.WATCHER_HANDLER,
                description="autopilot-reports watcher: lists AutoML jobs changed since the watermark, "
                "publishes changes; imports history in pieces",
                settings=settings,
                memory_mb=c.WATCHER_MEMORY_MB,
                timeout_seconds=c.WATCHER_TIMEOUT_SECONDS,
                reserved_concurrency=reserved_concurrency,
                any_resource_actions={"sagemaker:ListAutoMLJobs": "List calls support no resource-level permissions"},
            ),
            basics=basics,
            key=key,
            delivery_queue=QueueSpec(
                logical_id="WatcherTriggerDeadLetterQueue",
                purpose="schedule, CloudTrail, history-import and child-job events that could not be "
                "delivered to the watcher",
            ),
            # A piece of a history import that dies (a timeout) must be retried, or the import stops; a
            # retried tick is harmless (overlapping ticks are safe). What still fails is kept for a redrive.
            invoke=AsyncInvoke(
                retry_attempts=c.WATCHER_RETRY_ATTEMPTS,
                max_event_age=cdk.Duration.seconds(c.WATCHER_MAX_EVENT_AGE_SECONDS),
                failure_queue=QueueSpec(
                    logical_id="WatcherFailureQueue",
                    purpose="watcher invocations (ticks, history-import pieces) that still failed after Lambda's "
                    "asynchronous retries",
                ),
            ),
        )
        self.function = self.watcher.function
        self.dead_letter_queue = self.watcher.delivery_queue
        assert self.watcher.failure_queue is not None
        self.failure_queue = self.watcher.failure_queue
        self._grant(table, report_queue)

        schedules = FunctionSchedules(
            self, name="Watcher", function=self.function, dead_letter_queue=self.dead_letter_queue
        )
        self.schedule_role = schedules.role
        self.schedule = schedules.every(interval, "autopilot-reports: the watcher's regular tick")
        self.digest_schedule = (
            schedules.digest(digest_schedule, "autopilot-reports: the digest of all AutoML jobs since the previous one")
            if digest_schedule
            else None
        )
        schedules.grant()
        # Only calls that succeeded: CloudTrail records refused ones too (with an errorCode), so without the
        # filter a principal with no SageMaker rights could wake the watcher at will by being refused.
        self.cloudtrail_rule = self.watcher.add_rule(
            self,
            "CloudTrailAutoMLRule",
            description="autopilot-reports: an AutoML job was created or stopped (CloudTrail), look now",
            pattern=events.EventPattern(
                source=[c.SAGEMAKER_EVENT_SOURCE],
                detail_type=[c.CLOUDTRAIL_DETAIL_TYPE],
                detail={
                    "eventSource": [c.SAGEMAKER_API_EVENT_SOURCE],
                    "eventName": list(c.AUTOML_API_CALLS),
                    "errorCode": events.Match.does_not_exist(),
                },
            ),
        )
        self.history_import_rule = self.watcher.add_rule(
            self,
            "HistoryImportRule",
            description="autopilot-reports: the next piece of a history import",
            pattern=events.EventPattern(source=[c.EVENT_SOURCE], detail_type=[c.IMPORT_DETAIL_TYPE]),
            bus=self.bus,
        )
        self.child_job_rule = (
            self.watcher.add_rule(
                self,
                "ChildJobRule",
                description="autopilot-reports: an Autopilot child job changed state, look now",
                pattern=events.EventPattern(
                    source=[c.SAGEMAKER_EVENT_SOURCE],
                    detail_type=list(c.CHILD_JOB_DETAIL_TYPES),
                    detail={"AutoMLJobArn": events.Match.exists()},
                ),
            )
            if child_job_nudges
            else None
        )

    # --- permissions ---------------------------------------------------------------------------------
    def _grant(self, table: dynamodb.ITable, report_queue: sqs.IQueue) -> None:
        indexes = [f"{table.table_arn}/index/{index}" for index in (c.INDEX_BY_STATUS, c.INDEX_BY_PARTIAL_FAILURE)]
        self.watcher.add_to_policy(
            # The watch state and what the table knows; claims of stuck alerts; a digest's commit (PutItem).
            iam.PolicyStatement(
                actions=["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:UpdateItem", "dynamodb:PutItem"],
                resources=[table.table_arn],
            ),
            # Stalled jobs (each tick) and what a digest reads: Queries on two indexes, never a Scan.
            iam.PolicyStatement(actions=["dynamodb:Query"], resources=indexes),
            # State changes for the reporter, and the next piece of a history import.
            iam.PolicyStatement(actions=["events:PutEvents"], resources=[self.bus.event_bus_arn]),
            # How many changes still wait for the reporter, before one not yet stored is published again.
            iam.PolicyStatement(actions=["sqs:GetQueueAttributes"], resources=[report_queue.queue_arn]),
        )
