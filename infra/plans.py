"""Deployment plans: what the app deploys, as data.

A plan is one stack to build: its kind, its name and its configuration. By default the app builds one
standalone stack from the CDK context; an organization adds plans of other kinds (a hub, its spokes)
to the same list, rather than branches through the stack, its constructs and the sandbox.

- `standalone`: the stack as it always was (no organization context).
- `spoke`: one account and region's stack that sends to the hub (context `hubEventBusArn`). The
  `stackset` plan deploys it into every target account and region; `spoke_plan` is the plan it uses.
- `stackset`: the roll-out (context `hubEventBusArn` with `spokeOrganizationalUnitIds` and
  `spokeRegions`): a stack for the management account or a StackSets delegated administrator that
  deploys the spoke through a service-managed StackSet (infra/stackset.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from infra import constants as c
from infra.config import StackConfig

DeploymentKind = Literal["standalone", "spoke", "stackset"]


@dataclass(frozen=True)
class DeploymentPlan:
    """One stack the app builds. `stack_name` names the stack and everything it names itself."""

    kind: DeploymentKind
    stack_name: str
    config: StackConfig


def deployment_plans(config: StackConfig) -> tuple[DeploymentPlan, ...]:
    """The stacks one configuration deploys: the StackSet roll-out when the context asks for one, else a
    standalone stack named by context `stackName`."""
    if config.stack_set_enabled:
        return (
            DeploymentPlan(kind="stackset", stack_name=config.stack_name + c.STACK_SET_STACK_SUFFIX, config=config),
        )
    return (DeploymentPlan(kind="standalone", stack_name=config.stack_name, config=config),)


def spoke_plan(config: StackConfig) -> DeploymentPlan:
    """The spoke a StackSet deploys: named `stackName` in every account and region, like a spoke
    deployed on its own, so its bus, alias and dashboard have the same names either way."""
    return DeploymentPlan(kind="spoke", stack_name=config.stack_name, config=config)
