"""The watcher: the function that notices AutoML state changes, and what wakes it."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as scheduler_targets
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from autopilot_reports.settings import WatcherSettings
from infra import constants as c
from infra.constructs.function import AsyncInvoke, EventDrivenFunction, FunctionBasics, FunctionSpec, QueueSpec
from infra.ids import pin_logical_id
from infra.nag import acknowledge, iam5_resource


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

        self.schedule_role = self._schedule_role()
        self.schedule = self._schedule(interval)
        self.digest_schedule = self._digest(digest_schedule) if digest_schedule else None
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

    # --- the regular tick and the digest ----------------------------------------------------------------
    def _schedule_role(self) -> iam.Role:
        role = iam.Role(
            self,
            "ScheduleRole",
            description="autopilot-reports: EventBridge Scheduler invokes the watcher",
            assumed_by=iam.ServicePrincipal(
                "scheduler.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": cdk.Stack.of(self).account}},
            ),
        )
        pin_logical_id(role, "WatcherScheduleRole")
        return role

    def _digest(self, expression: str) -> scheduler.Schedule:
        """The digest, on its own expression; the scheduled time ends its period, so a retried invocation
        summarizes the same period (and commits nothing new)."""
        schedule = self._invoke_on(
            "DigestSchedule",
            "autopilot-reports: the digest of all AutoML jobs since the previous one",
            scheduler.ScheduleExpression.expression(expression),
            {**c.DIGEST_INPUT, "scheduled_time": scheduler.ContextAttribute.scheduled_time},
            cdk.Duration.hours(1),
        )
        pin_logical_id(schedule, "DigestSchedule")
        return schedule

    def _invoke_on(
        self,
        construct_id: str,
        description: str,
        expression: scheduler.ScheduleExpression,
        payload: dict[str, object],
        max_event_age: cdk.Duration,
    ) -> scheduler.Schedule:
        """A Scheduler schedule that invokes the watcher with `payload`, retried, undeliverable ones kept."""
        return scheduler.Schedule(
            self,
            construct_id,
            description=description,
            schedule=expression,
            target=scheduler_targets.LambdaInvoke(
                self.function,
                role=self.schedule_role,
                input=scheduler.ScheduleTargetInput.from_object(payload),
                dead_letter_queue=self.dead_letter_queue.queue,
                retry_attempts=c.SCHEDULE_RETRY_ATTEMPTS,
                max_event_age=max_event_age,
            ),
        )

    def _schedule(self, interval: cdk.Duration) -> scheduler.Schedule:
        role = self.schedule_role
        schedule = self._invoke_on(
            "Schedule",
            "autopilot-reports: the watcher's regular tick",
            scheduler.ScheduleExpression.rate(interval),
            dict(c.SCHEDULE_INPUT),
            interval,
        )
        # The target granted lambda:InvokeFunction and sqs:SendMessage; the queue's CMK is ours to add.
        self.dead_letter_queue.grant_key_use(role)
        acknowledge(
            role.node.find_child("DefaultPolicy"),
            iam5_resource("<WatcherFunction.Arn>:*"),
            "CDK's grantInvoke for the schedule's target covers the watcher's versions and aliases "
            "(<arn>:*) besides the function itself; this role can invoke nothing else.",
        )
        pin_logical_id(schedule, "WatcherSchedule")
        pin_logical_id(role.node.find_child("DefaultPolicy"), "WatcherScheduleRolePolicy")
        return schedule
