"""A spoke's way to its hub: the forwarder on the table's stream, and the ToHubRule that carries what it
sends to the hub's bus in one hop (docs/design.md §8)."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from autopilot_reports.settings import ForwarderSettings
from infra import constants as c
from infra.constructs.function import FunctionBasics, FunctionSpec, ServiceFunction
from infra.constructs.queues import DeadLetterQueue
from infra.constructs.stream import STREAM_READ_ACTIONS, stream_mapping
from infra.ids import pin_logical_id


class ForwarderConstruct(Construct):
    """The commit itself leads to the hub, as it leads to the message in a standalone stack.

    The forwarder reads the table's stream (retried until it succeeds, bisecting a failing batch; what
    still fails lands in `ForwarderFailureQueue`) and puts each committed report, stuck claim and
    heartbeat onto the spoke's own bus. The `ToHubRule` there matches exactly those three detail types and
    targets the hub's bus with `ToHubRole`, the role a cross-account target needs, which may only
    events:PutEvents on that one bus; what EventBridge cannot deliver (the hub's policy refuses it, the
    hub is gone) waits in `ToHubDeadLetterQueue`. The hub holds no role into the spoke: the spoke pushes.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stream_arn: str,
        bus: events.IEventBus,
        hub_event_bus_arn: str,
        key: kms.IKey,
        basics: FunctionBasics,
        settings: ForwarderSettings,
    ) -> None:
        super().__init__(scope, construct_id)
        self.failure_queue = DeadLetterQueue(
            self,
            "Failures",
            key=key,
            logical_id="ForwarderFailureQueue",
            purpose="stream batches the forwarder could not send to the hub after its retries (shard and "
            "sequence numbers)",
            retain=basics.retain,
        )
        self.forwarder = ServiceFunction(
            self,
            "Forwarder",
            spec=FunctionSpec(
                name="Forwarder",
                handler=c.FORWARDER_HANDLER,
                description="autopilot-reports forwarder: sends each committed report, stuck claim and heartbeat "
                "to the organization's hub",
                settings=settings,
                memory_mb=c.FORWARDER_MEMORY_MB,
                timeout_seconds=c.FORWARDER_TIMEOUT_SECONDS,
            ),
            basics=basics,
        )
        self.function = self.forwarder.function
        self.forwarder.add_to_policy(
            iam.PolicyStatement(actions=["events:PutEvents"], resources=[bus.event_bus_arn]),
            iam.PolicyStatement(actions=list(STREAM_READ_ACTIONS), resources=[stream_arn]),
        )
        self.mapping = stream_mapping(
            self,
            self.forwarder,
            name="Forwarder",
            stream_arn=stream_arn,
            failure_queue=self.failure_queue,
            filter_patterns=c.FORWARDER_FILTER_PATTERNS,
            report_batch_item_failures=False,
        )
        self.delivery_queue, self.rule = self._to_hub(bus, hub_event_bus_arn, key, basics.retain)

    def _to_hub(
        self, bus: events.IEventBus, hub_event_bus_arn: str, key: kms.IKey, retain: bool
    ) -> tuple[DeadLetterQueue, events.Rule]:
        stack = cdk.Stack.of(self)
        role = iam.Role(
            self,
            "ToHubRole",
            description="autopilot-reports: EventBridge sends this spoke's reports to the organization's hub bus",
            assumed_by=iam.ServicePrincipal(
                "events.amazonaws.com", conditions={"StringEquals": {"aws:SourceAccount": stack.account}}
            ),
        )
        role.add_to_policy(iam.PolicyStatement(actions=["events:PutEvents"], resources=[hub_event_bus_arn]))
        pin_logical_id(role, "ToHubRole")
        pin_logical_id(role.node.find_child("DefaultPolicy"), "ToHubRolePolicy")
        delivery = DeadLetterQueue(
            self,
            "Delivery",
            key=key,
            logical_id="ToHubDeadLetterQueue",
            purpose="reports, stuck claims and heartbeats EventBridge could not deliver to the hub's bus",
            retain=retain,
        )
        hub_bus = events.EventBus.from_event_bus_arn(self, "HubBus", hub_event_bus_arn)
        rule = events.Rule(
            self,
            "ToHubRule",
            description="autopilot-reports: this spoke's reports, stuck claims and heartbeats go to the hub",
            event_bus=bus,
            event_pattern=events.EventPattern(source=[c.EVENT_SOURCE], detail_type=list(c.FORWARDED_DETAIL_TYPES)),
            targets=[targets.EventBus(hub_bus, role=role, dead_letter_queue=delivery.queue)],
        )
        pin_logical_id(rule, "ToHubRule")
        return delivery, rule
