"""The project's event bus: where the watcher publishes and the reporter's rule listens."""

from __future__ import annotations

from aws_cdk import aws_events as events
from constructs import Construct

from infra.ids import pin_logical_id


class EventBusConstruct(Construct):
    """Our own bus (never the default one): "AutoML Job State Change" events for the reporter, and each
    piece of a history import handing on the next. Named after the stack, so two stacks never share it.
    Made by the stack, before the functions, because their settings name it."""

    def __init__(self, scope: Construct, construct_id: str, *, bus_name: str) -> None:
        super().__init__(scope, construct_id)
        self.bus = events.EventBus(self, "Bus", event_bus_name=bus_name)
        pin_logical_id(self.bus, "EventBus")
