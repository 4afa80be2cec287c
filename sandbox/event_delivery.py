"""A deployment's event rules, delivered as EventBridge delivers them. Each rule is deployed on its bus
with its real event pattern (moto's EventBridge evaluates it) and one target: a tap queue in place of
the rule's real targets; the sandbox empties the taps and invokes the rule's functions (or sends to the
rule's queues, which event source mappings read: sandbox/queue_delivery.py), each batch of events
duplicated and shuffled as the scenario's `delivery` says.

A rule whose target is another deployment's bus (a spoke's route to its hub) hands each event it matched
to the world's router (`route`, sandbox/routing.py), which puts it on the other bus as EventBridge would;
what arrives there (`receive`) matches that deployment's rules with their real patterns (moto's
matcher), and is delivered like its own events."""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Callable
from typing import Any

from moto.events.models import EventPattern
from moto.sqs.models import sqs_backends

from sandbox.aws_hooks import Observer
from sandbox.lambda_runtime import LambdaRuntime
from sandbox.place import DEFAULT_ACCOUNT, ClientsAt
from sandbox.queue_delivery import QueueDelivery
from sandbox.scenario import Delivery
from sandbox.template import BusTarget, RuleSpec, StackModel, TemplateError

SWEEP_AFTER = "after-call.eventbridge.PutEvents"  # when the taps are emptied into the sandbox's lists

# The world's router: a rule's event for a bus of another deployment (sandbox/routing.py).
Route = Callable[[RuleSpec, BusTarget, dict[str, Any]], None]


class EventDelivery:
    def __init__(
        self, stack: StackModel, runtime: LambdaRuntime, observer: Observer, delivery: Delivery, queues: QueueDelivery
    ) -> None:
        self.stack = stack
        self.runtime = runtime
        self.queues = queues
        self.observer = observer
        self.delivery = delivery
        self.random = random.Random(delivery.seed)
        self.duplicates_delivered = 0
        self.route: Route | None = None  # set by the world where another deployment owns a rule's bus target
        self.received: list[dict[str, Any]] = []  # events other deployments' rules put on this one's buses
        self.routed: Counter[str] = Counter()  # what this deployment's routes did: delivered, refused, dropped
        self.refused: Counter[str] = Counter()  # events this deployment's bus policies refused, by sender
        self._tapped: dict[str, list[dict[str, Any]]] = {}  # rule logical id -> events taken from its tap, unread
        self._patterns = {rule.logical_id: EventPattern.load(json.dumps(rule.pattern)) for rule in stack.rules}
        self._drained_events = 0

    def provision(self, clients: ClientsAt) -> None:
        """Each rule on its bus with its pattern, and its tap queue as its one target. A rule's bus targets
        are routes to other deployments (a spoke's to its hub): refused here by name, rather than dropped,
        unless the world routes them."""
        sqs, events = clients("sqs"), clients("events")
        for rule in self.stack.rules:
            if rule.bus_targets and self.route is None:
                raise TemplateError(
                    f"rule {rule.logical_id} sends to the event bus {rule.bus_targets[0].arn}, which no "
                    'deployment of this sandbox has: a spoke\'s hub deploys in the organization mode (a top-level "hub")'
                )
            tap_url = sqs.create_queue(QueueName=tap_queue_name(rule.logical_id))["QueueUrl"]
            tap_arn = sqs.get_queue_attributes(QueueUrl=tap_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            events.put_rule(Name=rule.logical_id, EventBusName=rule.bus, EventPattern=json.dumps(rule.pattern))
            events.put_targets(Rule=rule.logical_id, EventBusName=rule.bus, Targets=[{"Id": "tap", "Arn": tap_arn}])
            self._tapped[rule.logical_id] = []

    def drain(self, force: bool = False) -> None:
        """Delivers what the rules matched, as EventBridge would: each batch of events (a tick's, or one
        watcher run's) duplicated and shuffled as the scenario says, and what an invocation publishes
        delivered before the next invocation of the batch (the reporter keeps up with the watcher); what
        goes to a queue is delivered by its mapping once the batch is sent. The table's stream is
        delivered after every asynchronous invocation. Unless `force`d (events put from outside the
        functions: CloudTrail, a served sandbox's callers), the taps are read only when a function published
        something since the last drain. With a scenario's `lambda` block, each invocation is queued in
        the account instead (sandbox/concurrency.py)."""
        if not force and len(self.observer.events) == self._drained_events:
            return
        self._drained_events = len(self.observer.events)
        deliveries = [(rule, event) for rule in self.stack.rules for event in self.take_tapped(rule.logical_id)]
        copies = [item for item in deliveries for _ in range(1 + self.delivery.duplicates)]
        self.duplicates_delivered += len(copies) - len(deliveries)
        if self.delivery.shuffle:
            self.random.shuffle(copies)
        for rule, event in copies:
            for target in rule.bus_targets:
                assert self.route is not None  # provision refused the rule otherwise
                self.route(rule, target, event)
            for function_id in rule.function_ids:
                published = len(self.observer.events)
                self.runtime.invoke_async(self.stack.functions[function_id], event)
                if len(self.observer.events) > published:
                    self.drain()
            for queue_id in rule.queue_ids:
                self.queues.send(queue_id, event)
        self.queues.deliver()
        self.drain()  # what the queues' functions caused to be published (a spoke's forwarder: its hub's copy)

    def receive(self, bus: str, event: dict[str, Any]) -> None:
        """An event another deployment's rule put on this deployment's bus `bus`, envelope as EventBridge
        delivers it: each of the bus's rules whose pattern matches it gets it, as from a tap. Delivered by
        the next drain."""
        self.received.append(event)
        for rule in self.stack.rules:
            if rule.bus == bus and self._patterns[rule.logical_id].matches_event(event):  # type: ignore[arg-type]
                self._tapped[rule.logical_id].append(event)

    def take_tapped(self, rule_id: str) -> list[dict[str, Any]]:
        """Every event the rule delivered since the last take, in delivery order, consumed."""
        self.sweep()
        taken, self._tapped[rule_id] = self._tapped[rule_id], []
        return [complete_envelope(event, self.stack.place.account) for event in taken]

    def sweep(self, **_: Any) -> None:
        """Moves what the rules delivered out of moto's tap queues into the sandbox's own lists. Run after
        every PutEvents at the deployment's place (the only way events reach a tap), so a tap never holds
        more than one request's events: moto computes every attribute of a queue on each SendMessage, its
        message counts included (a pass over the queue), and scans and deep-copies the whole queue on each
        ReceiveMessage of at most 10, so a tap holding n events made delivering and reading them
        O(n^2) (draining 1,000 events through ReceiveMessage/DeleteMessage took a minute, 2,000 four).
        The rules' patterns stay moto's EventBridge's; only the sandbox's reading of its taps is
        direct (moto server runs in this process)."""
        place = self.stack.place
        backend = sqs_backends[place.account][place.region]
        for rule_id, tapped in self._tapped.items():
            queue = backend.get_queue(tap_queue_name(rule_id))
            with queue._messages_lock:  # moto appends under this lock
                taken, queue._messages = queue._messages, []
            tapped.extend(json.loads(message.body) for message in taken)


def complete_envelope(event: dict[str, Any], account: str = DEFAULT_ACCOUNT) -> dict[str, Any]:
    """moto's delivered events lack `account` (and sometimes `resources`), which EventBridge always sets:
    the account of the bus the event was put on."""
    event.setdefault("account", account)
    event.setdefault("resources", [])
    event.setdefault("version", "0")
    return event


def tap_queue_name(rule_id: str) -> str:
    """The SQS queue each rule targets in the sandbox, in place of the rule's real targets."""
    return f"tap-{rule_id}"
