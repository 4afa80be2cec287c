"""Event ingestion and the watcher: what notices AutoML state changes and publishes our own event."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as scheduler_targets
from constructs import Construct

from infra import constants as c
from infra.config import StackConfig
from infra.constructs.function import ServiceFunction
from infra.constructs.queues import DeadLetterQueue
from infra.ids import pin_logical_id
from infra.nag import acknowledge, iam5_resource


class Ingestion(Construct):
    """The project's event bus, the watcher, and the three things that wake it.

    - EventBridge Scheduler, every `scheduleRateMinutes`, input `{"trigger": "schedule"}`;
    - CloudTrail's CreateAutoMLJob / CreateAutoMLJobV2 / StopAutoMLJob calls (default bus);
    - optionally, Autopilot's child training / processing / transform job state changes.
    Every trigger has retries and the ingestion dead-letter queue. The watcher runs one at a time.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StackConfig,
        table: dynamodb.ITable,
        key: kms.IKey,
        layer: lambda_.ILayerVersion,
    ) -> None:
        super().__init__(scope, construct_id)
        self.bus = events.EventBus(self, "Bus", event_bus_name=c.EVENT_BUS_NAME)
        pin_logical_id(self.bus, "EventBus")

        self.dead_letter_queue = DeadLetterQueue(
            self,
            "DeadLetters",
            key=key,
            logical_id="WatcherTriggerDeadLetterQueue",
            purpose="schedule, CloudTrail and child-job events that could not be delivered to the watcher",
            retain=config.retain,
        )
        self.watcher = ServiceFunction(
            self,
            "Watcher",
            name="Watcher",
            handler=c.WATCHER_HANDLER,
            description="autopilot-reports watcher: lists AutoML jobs changed since the watermark, publishes changes",
            environment={
                c.ENV_TABLE_NAME: table.table_name,
                c.ENV_EVENT_BUS_NAME: self.bus.event_bus_name,
                c.ENV_JOB_NAME_PREFIX: config.job_name_prefix,
                c.ENV_WATERMARK_OVERLAP_SECONDS: str(config.watermark_overlap_seconds),
            },
            memory_mb=c.WATCHER_MEMORY_MB,
            timeout_seconds=c.WATCHER_TIMEOUT_SECONDS,
            layer=layer,
            log_retention_days=config.log_retention_days,
            retain_logs=config.retain,
            reserved_concurrency=c.WATCHER_RESERVED_CONCURRENCY,
            any_resource_actions={"sagemaker:ListAutoMLJobs": "List calls support no resource-level permissions"},
        )
        self._grant(table)
        # A tick that fails or waits longer than one interval is worth nothing: the next one redoes it.
        self.watcher.function.configure_async_invoke(
            retry_attempts=c.WATCHER_RETRY_ATTEMPTS,
            max_event_age=cdk.Duration.minutes(max(1, config.schedule_rate_minutes)),
        )
        self.watcher.pin_policy_logical_id("Watcher")

        self.schedule = self._schedule(config)
        self.cloudtrail_rule = self._cloudtrail_rule()
        self.child_job_rule = self._child_job_rule() if config.child_job_nudges else None

    # --- permissions ---------------------------------------------------------------------------------
    def _grant(self, table: dynamodb.ITable) -> None:
        self.watcher.add_to_policy(
            iam.PolicyStatement(
                actions=["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:UpdateItem"],
                resources=[table.table_arn],
            ),
            iam.PolicyStatement(actions=["events:PutEvents"], resources=[self.bus.event_bus_arn]),
        )

    # --- triggers ------------------------------------------------------------------------------------
    def _target(self) -> targets.LambdaFunction:
        return targets.LambdaFunction(
            self.watcher.function,
            dead_letter_queue=self.dead_letter_queue.queue,
            retry_attempts=c.TARGET_RETRY_ATTEMPTS,
            max_event_age=cdk.Duration.seconds(c.TARGET_MAX_EVENT_AGE_SECONDS),
        )

    def _schedule(self, config: StackConfig) -> scheduler.Schedule:
        role = iam.Role(
            self,
            "ScheduleRole",
            description="autopilot-reports: EventBridge Scheduler invokes the watcher",
            assumed_by=iam.ServicePrincipal(
                "scheduler.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": cdk.Stack.of(self).account}},
            ),
        )
        schedule = scheduler.Schedule(
            self,
            "Schedule",
            description="autopilot-reports: the watcher's regular tick",
            schedule=scheduler.ScheduleExpression.rate(cdk.Duration.minutes(config.schedule_rate_minutes)),
            target=scheduler_targets.LambdaInvoke(
                self.watcher.function,
                role=role,
                input=scheduler.ScheduleTargetInput.from_object(c.SCHEDULE_INPUT),
                dead_letter_queue=self.dead_letter_queue.queue,
                retry_attempts=c.SCHEDULE_RETRY_ATTEMPTS,
                max_event_age=cdk.Duration.minutes(max(1, config.schedule_rate_minutes)),
            ),
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
        pin_logical_id(role, "WatcherScheduleRole")
        pin_logical_id(role.node.find_child("DefaultPolicy"), "WatcherScheduleRolePolicy")
        return schedule

    def _cloudtrail_rule(self) -> events.Rule:
        rule = events.Rule(
            self,
            "CloudTrailRule",
            description="autopilot-reports: an AutoML job was created or stopped (CloudTrail), look now",
            event_pattern=events.EventPattern(
                source=[c.SAGEMAKER_EVENT_SOURCE],
                detail_type=[c.CLOUDTRAIL_DETAIL_TYPE],
                detail={"eventSource": [c.SAGEMAKER_API_EVENT_SOURCE], "eventName": list(c.AUTOML_API_CALLS)},
            ),
            targets=[self._target()],
        )
        pin_logical_id(rule, "CloudTrailAutoMLRule")
        return rule

    def _child_job_rule(self) -> events.Rule:
        rule = events.Rule(
            self,
            "ChildJobRule",
            description="autopilot-reports: an Autopilot child job changed state, look now",
            event_pattern=events.EventPattern(
                source=[c.SAGEMAKER_EVENT_SOURCE],
                detail_type=list(c.CHILD_JOB_DETAIL_TYPES),
                detail={"AutoMLJobArn": events.Match.exists()},
            ),
            targets=[self._target()],
        )
        pin_logical_id(rule, "ChildJobRule")
        return rule
