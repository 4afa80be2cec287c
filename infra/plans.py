"""Deployment plans: what the app deploys, as data.

A plan is one stack to build: its kind, its name and its configuration. By default the app builds one
standalone stack from the CDK context; an organization adds plans of other kinds to the same list, rather
than branches through the stack, its constructs and the sandbox:

- `standalone`: the stack as it always was (no organization context), named `stackName`.
- `spoke`: one account and region's stack that watches and reports there and sends each committed
  report, stuck claim and heartbeat to its hub (context `hubEventBusArn`), named `stackName`.
- `hub`: the organization's stack (context `organizationId`): its bus admits the organization's spokes,
  it records by (account, region, job), sends the messages and the digest, and notices silent spokes;
  named `<stackName>Hub`.
- `stackset`: the roll-out (context `hubEventBusArn` with `spokeOrganizationalUnitIds` and
  `spokeRegions`): a stack for the management account or a StackSets delegated administrator that
  deploys the spoke (`spoke_plan`) into every target account and region through a service-managed
  StackSet (infra/stackset.py), named `<stackName>Spokes`.

One synth with both `organizationId` and `hubEventBusArn` yields the hub and a spoke (an account that
runs AutoML and hosts the hub deploys a spoke there too; the sandbox rehearses an organization from them).
What each kind holds is the plan's to say (`watches`, `forwards`, `records_forwarded`, `notifies`), so the
stack composes capabilities, never kinds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from autopilot_reports import constants as shared
from infra import constants as c
from infra.config import StackConfig

DeploymentKind = Literal["standalone", "spoke", "hub", "stackset"]


@dataclass(frozen=True)
class DeploymentPlan:
    """One stack the app builds. `stack_name` names the stack and everything it names itself."""

    kind: DeploymentKind
    stack_name: str
    config: StackConfig

    @property
    def watches(self) -> bool:
        """Watches SageMaker in its own account and region (a watcher, a reporter)."""
        return self.kind in ("standalone", "spoke")

    @property
    def forwards(self) -> bool:
        """Sends what it commits to its hub (a forwarder and the ToHubRule)."""
        return self.kind == "spoke"

    @property
    def records_forwarded(self) -> bool:
        """Receives its organization's spokes (the hub bus and its policy, a hub recorder, a spoke monitor)."""
        return self.kind == "hub"

    @property
    def notifies(self) -> bool:
        """Sends its own messages (the notifier and the reports topic): a spoke only when asked to."""
        return self.kind != "spoke" or self.config.spoke_notifications

    @property
    def key_scope(self) -> str:
        """How its table keys a job (adapters/dynamodb_items.KeyScope): by account, region and name in a hub."""
        return shared.KEY_SCOPE_ORGANIZATION if self.kind == "hub" else shared.KEY_SCOPE_LOCAL

    @property
    def heartbeat_minutes(self) -> int:
        """How often a spoke's watcher writes its heartbeat (0: never)."""
        return shared.HEARTBEAT_MINUTES if self.forwards else 0


def deployment_plans(config: StackConfig) -> tuple[DeploymentPlan, ...]:
    """The stacks one configuration deploys: a hub for `organizationId`; for `hubEventBusArn`, a spoke, or
    the StackSet that rolls it out to OUs (`spokeOrganizationalUnitIds`); without either, a standalone
    stack named by context `stackName`."""
    plans = []
    if config.organization_id is not None:
        plans.append(hub_plan(config))
    if config.stack_set_enabled:
        plans.append(DeploymentPlan(kind="stackset", stack_name=config.stack_name + c.STACK_SET_STACK_SUFFIX, config=config))
    elif config.hub_event_bus_arn is not None:
        plans.append(spoke_plan(config))
    return tuple(plans) or (DeploymentPlan(kind="standalone", stack_name=config.stack_name, config=config),)


def spoke_plan(config: StackConfig) -> DeploymentPlan:
    """A spoke: named `stackName` in every account and region (deployed on its own or by a StackSet), so its
    bus, alias and dashboard have the same names either way."""
    return DeploymentPlan(kind="spoke", stack_name=config.stack_name, config=config)


def hub_plan(config: StackConfig) -> DeploymentPlan:
    return DeploymentPlan(kind="hub", stack_name=config.stack_name + c.HUB_STACK_SUFFIX, config=config)
