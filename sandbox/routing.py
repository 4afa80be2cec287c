"""Routes between deployments, as EventBridge routes an event from a rule to an event bus of another
account (a spoke's `ToHubRule` to its hub's bus), without moto: moto's EventBridge ignores bus policies and
rewrites an event's `account` on a cross-account delivery.

For each event a rule matched, to each bus target:
- a spoke gone silent (the scenario's `hub.silent`, from its tick on) delivers nothing: as if its route's
  role were deleted, EventBridge puts the event in the route's dead-letter queue;
- the receiving bus's policy is evaluated (sandbox/bus_policy.py) for the sending account, a member of the
  scenario's organization like every account of the scenario; what it refuses goes to the same
  dead-letter queue, and is counted on both sides;
- what it admits arrives on the bus with the envelope EventBridge gives a forwarded event: `account` is
  the sender's, `region` the origin's, the rest as sent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sandbox.bus_policy import BusPolicy, PutRequest, Sender
from sandbox.place import SANDBOX_ORGANIZATION_ROOT, Place
from sandbox.template import BusTarget, RuleSpec, TemplateError

if TYPE_CHECKING:
    from sandbox.deployment import Deployment

DELIVERED, REFUSED, DROPPED_SILENT = "delivered", "refused_by_bus_policy", "dropped_silent"


@dataclass(frozen=True)
class Organization:
    """The organization every account of a scenario belongs to (at its root), and which of its spokes
    have gone silent from which tick."""

    organization_id: str
    members: frozenset[str]
    silent_from: Mapping[Place, int]

    def sender(self, account: str, role_arn: str | None) -> Sender:
        if account not in self.members:
            return Sender(account, role_arn)
        path = f"{self.organization_id}/{SANDBOX_ORGANIZATION_ROOT}/"
        return Sender(account, role_arn, self.organization_id, (path,))


@dataclass(frozen=True)
class Bus:
    """A bus of a deployment, as other deployments' rules name it."""

    deployment: Deployment
    name: str  # as the sandbox created it
    policy: BusPolicy


class Router:
    """Every bus of every deployment by its ARN (the name its template gives it, at the deployment's
    place); `tick` is the world's clock, for silences."""

    def __init__(self, deployments: Iterable[Deployment], organization: Organization, tick: Callable[[], int]) -> None:
        self.organization = organization
        self.tick = tick
        self.buses: dict[str, Bus] = {}
        for deployment in deployments:
            stack = deployment.stack
            policies = {policy.bus: policy for policy in stack.bus_policies}
            for name, logical_id in stack.bus_names.items():
                created = stack.buses[logical_id]
                policy = BusPolicy.read(policies.get(created), deployment.place.account)
                self.buses[bus_arn(deployment.place, name)] = Bus(deployment, created, policy)

    def connect(self, deployment: Deployment) -> None:
        """Routes the deployment's rules' bus targets through this router. Raises TemplateError for a
        target no deployment has."""
        for rule in deployment.stack.rules:
            for target in rule.bus_targets:
                if target.arn not in self.buses:
                    raise TemplateError(
                        f"rule {rule.logical_id} of the deployment at {deployment.place} sends to the event bus "
                        f"{target.arn}, which no deployment of this sandbox has"
                    )
        if any(rule.bus_targets for rule in deployment.stack.rules):
            deployment.events.route = lambda rule, target, event: self.route(deployment, rule, target, event)

    def route(self, sender: Deployment, rule: RuleSpec, target: BusTarget, event: dict[str, Any]) -> None:
        place = sender.place
        silent_from = self.organization.silent_from.get(place)
        if silent_from is not None and self.tick() >= silent_from:
            sender.events.routed[DROPPED_SILENT] += 1
            sender.dead_letter(target.dead_letter_queue, event)
            return
        bus = self.buses[target.arn]
        request = PutRequest(
            self.organization.sender(place.account, target.role_arn), event["source"], event["detail-type"]
        )
        if not bus.policy.admits(request):
            sender.events.routed[REFUSED] += 1
            bus.deployment.events.refused[place.label] += 1
            sender.dead_letter(target.dead_letter_queue, event)
            return
        sender.events.routed[DELIVERED] += 1
        receiver = bus.deployment.events
        receiver.receive(bus.name, {**event, "account": place.account, "region": place.region})
        receiver.drain(force=True)


def bus_arn(place: Place, name: str) -> str:
    return f"arn:aws:events:{place.region}:{place.account}:event-bus/{name}"
