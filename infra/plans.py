"""Deployment plans: what the app deploys, as data.

A plan is one stack to build: its kind, its name and its configuration. Today the app builds one
standalone stack from the CDK context; an organization adds plans of other kinds (a hub, its spokes)
to the same list, rather than branches through the stack, its constructs and the sandbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from infra.config import StackConfig

DeploymentKind = Literal["standalone"]


@dataclass(frozen=True)
class DeploymentPlan:
    """One stack the app builds. `stack_name` names the stack and everything it names itself."""

    kind: DeploymentKind
    stack_name: str
    config: StackConfig


def deployment_plans(config: StackConfig) -> tuple[DeploymentPlan, ...]:
    """The stacks one configuration deploys: a standalone stack named by context `stackName`."""
    return (DeploymentPlan(kind="standalone", stack_name=config.stack_name, config=config),)
