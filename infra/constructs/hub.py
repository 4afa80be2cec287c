"""An organization's hub: the bus its spokes send to (admitting the organization only, and only our
events), the recorder that keeps what they send, and the monitor that notices a spoke gone silent and
writes the organization's digest (docs/design.md §8). The hub holds no role into any spoke."""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from autopilot_reports.settings import HubRecorderSettings, SpokeMonitorSettings
from infra import constants as c
from infra.constructs.function import AsyncInvoke, EventDrivenFunction, FunctionBasics, FunctionSpec, QueueSpec
from infra.constructs.schedules import FunctionSchedules
from infra.ids import pin_logical_id

ORGANIZATION_STATEMENT_ID = "OrganizationSpokes"


def admit_organization(bus: events.EventBus, organization_id: str, unit_paths: Sequence[str]) -> None:
    """The hub bus's policy: ONE statement (a bus policy holds at most 10,240 characters, so never one per
    account) admitting events:PutEvents from principals of the organization (under its given OUs, where
    named), only with our source and the three detail types a spoke forwards."""
    conditions: dict[str, dict[str, object]] = {
        "StringEquals": {
            "aws:PrincipalOrgID": organization_id,
            "events:source": c.EVENT_SOURCE,
            "events:detail-type": list(c.FORWARDED_DETAIL_TYPES),
        }
    }
    if unit_paths:
        # Multi-valued key: ForAnyValue; the trailing * takes in the OUs and accounts below each path.
        conditions["ForAnyValue:StringLike"] = {"aws:PrincipalOrgPaths": [f"{path}*" for path in unit_paths]}
    bus.add_to_resource_policy(
        iam.PolicyStatement(
            sid=ORGANIZATION_STATEMENT_ID,
            principals=[iam.AnyPrincipal()],
            actions=["events:PutEvents"],
            resources=[bus.event_bus_arn],
            conditions=conditions,
        )
    )
    (policy,) = [child for child in bus.node.children if isinstance(child, events.EventBusPolicy)]
    pin_logical_id(policy, "HubEventBusPolicy")


class HubRecorderConstruct(Construct):
    """The hub recorder and the rule on the hub's bus that feeds it (asynchronous, retried, the failure
    queue: like the reporter). It may only write the hub's table: conditional updates of records and spoke
    items, and the history items of the same transaction."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        bus: events.IEventBus,
        table: dynamodb.ITable,
        key: kms.IKey,
        basics: FunctionBasics,
        settings: HubRecorderSettings,
    ) -> None:
        super().__init__(scope, construct_id)
        self.recorder = EventDrivenFunction(
            self,
            "HubRecorder",
            spec=FunctionSpec(
                name="HubRecorder",
                handler=c.HUB_RECORDER_HANDLER,
                description="autopilot-reports hub recorder: keeps what the organization's spokes send, by "
                "account, region and job",
                settings=settings,
                memory_mb=c.HUB_RECORDER_MEMORY_MB,
                timeout_seconds=c.HUB_RECORDER_TIMEOUT_SECONDS,
            ),
            basics=basics,
            key=key,
            delivery_queue=QueueSpec(
                logical_id="HubRecorderDeliveryDeadLetterQueue",
                purpose="spokes' events EventBridge could not deliver to the hub recorder",
            ),
            invoke=AsyncInvoke(
                retry_attempts=c.HUB_RECORDER_RETRY_ATTEMPTS,
                max_event_age=cdk.Duration.seconds(c.HUB_RECORDER_MAX_EVENT_AGE_SECONDS),
                failure_queue=QueueSpec(
                    logical_id="HubRecorderFailureQueue",
                    purpose="hub recorder invocations that still failed after Lambda's asynchronous retries",
                ),
            ),
        )
        self.function = self.recorder.function
        self.delivery_dead_letter_queue = self.recorder.delivery_queue
        assert self.recorder.failure_queue is not None
        self.failure_queue = self.recorder.failure_queue
        # One TransactWriteItems per report (the latest record, its history item), one UpdateItem per stuck
        # claim, heartbeat or job's cost figures: all conditional, none read.
        self.recorder.add_to_policy(
            iam.PolicyStatement(actions=["dynamodb:PutItem", "dynamodb:UpdateItem"], resources=[table.table_arn])
        )
        self.rule = self.recorder.add_rule(
            self,
            "FromSpokesRule",
            description="autopilot-reports: the spokes' reports, stuck claims and heartbeats go to the hub recorder",
            pattern=events.EventPattern(source=[c.EVENT_SOURCE], detail_type=list(c.FORWARDED_DETAIL_TYPES)),
            bus=bus,
        )


class SpokeMonitorConstruct(Construct):
    """The spoke monitor, on two schedules: every SPOKE_MONITOR_RATE_MINUTES it claims one `spoke_silent`
    message per silence; on `digest_schedule` it commits the organization's digest. It reads the hub's
    table by GetItem and Query only, and writes only conditional claims and the digest."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        table: dynamodb.ITable,
        key: kms.IKey,
        basics: FunctionBasics,
        settings: SpokeMonitorSettings,
        digest_schedule: str | None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.monitor = EventDrivenFunction(
            self,
            "SpokeMonitor",
            spec=FunctionSpec(
                name="SpokeMonitor",
                handler=c.SPOKE_MONITOR_HANDLER,
                description="autopilot-reports spoke monitor: notices spokes gone silent; the organization's digest",
                settings=settings,
                memory_mb=c.SPOKE_MONITOR_MEMORY_MB,
                timeout_seconds=c.SPOKE_MONITOR_TIMEOUT_SECONDS,
            ),
            basics=basics,
            key=key,
            delivery_queue=QueueSpec(
                logical_id="SpokeMonitorTriggerDeadLetterQueue",
                purpose="spoke monitor and digest schedules that could not be delivered to the spoke monitor",
            ),
            invoke=AsyncInvoke(
                retry_attempts=c.SPOKE_MONITOR_RETRY_ATTEMPTS,
                max_event_age=cdk.Duration.seconds(c.SPOKE_MONITOR_MAX_EVENT_AGE_SECONDS),
                failure_queue=QueueSpec(
                    logical_id="SpokeMonitorFailureQueue",
                    purpose="spoke monitor invocations that still failed after Lambda's asynchronous retries",
                ),
            ),
        )
        self.function = self.monitor.function
        self.dead_letter_queue = self.monitor.delivery_queue
        assert self.monitor.failure_queue is not None
        self.failure_queue = self.monitor.failure_queue
        indexes = [f"{table.table_arn}/index/{index}" for index in (c.INDEX_BY_STATUS, c.INDEX_BY_PARTIAL_FAILURE)]
        self.monitor.add_to_policy(
            # The hub's watch state and last digest; silence claims, the digest's commit (PutItem).
            iam.PolicyStatement(
                actions=["dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:PutItem"], resources=[table.table_arn]
            ),
            # Silent spokes, and what a digest reads: Queries on two indexes, never a Scan.
            iam.PolicyStatement(actions=["dynamodb:Query"], resources=indexes),
        )
        schedules = FunctionSchedules(
            self, name="SpokeMonitor", function=self.function, dead_letter_queue=self.dead_letter_queue
        )
        self.schedule_role = schedules.role
        self.schedule = schedules.every(
            cdk.Duration.minutes(c.SPOKE_MONITOR_RATE_MINUTES), "autopilot-reports: look for spokes gone silent"
        )
        self.digest_schedule = (
            schedules.digest(digest_schedule, "autopilot-reports: the organization's digest since the previous one")
            if digest_schedule
            else None
        )
        schedules.grant()
