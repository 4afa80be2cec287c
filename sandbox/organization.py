"""The organization mode (a scenario's top-level `hub`, docs/design.md §6.2 and §8): the hub deployed at its
place and one spoke at each place the scenario's jobs run at, from the hub's and the spoke's synthesized
templates, in one world whose router carries each spoke's forwarded events to the hub's bus as EventBridge
would (sandbox/routing.py).

The templates: an assembly folder's, where it holds an organization's hub stack (the stack whose table is
keyed in the organization scope) and a spoke whose route names that hub's bus at the scenario's hub place;
otherwise the app synthesized in process with `organizationId` and `hubEventBusArn` naming that place
(about 15 s, once per hub place and organization in a process).

The outputs: the hub's at the top of the output folder (its records by account, region and job, its
history, its messages, the events its bus received), each spoke's under `spokes/<account>-<region>/`.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autopilot_reports import constants as c
from autopilot_reports.settings import SpokeMonitorSettings, WatcherSettings
from infra.assembly import DEFAULT_OUTDIR
from infra.constants import HUB_STACK_SUFFIX
from sandbox.deployment import DeploymentPlan
from sandbox.place import Place
from sandbox.routing import bus_arn
from sandbox.runner import ObserverFactory, ServeCallback, World
from sandbox.scenario import Hub, Scenario, ScenarioError
from sandbox.template import StackModel, TemplateError, load_templates, read_stack

SPOKES_DIR = "spokes"


@dataclass(frozen=True)
class OrganizationTemplates:
    hub_stack_name: str
    hub: Mapping[str, Any]
    spoke_stack_name: str
    spoke: Mapping[str, Any]


def organization_templates(hub: Hub, folder: Path | None = None) -> OrganizationTemplates:
    """The hub's and the spoke's templates for a hub at `hub.place`: from `folder` (default cdk.out) where
    its assembly holds them, else synthesized in process. Raises TemplateError for a folder named that
    holds no assembly."""
    if folder is not None or (DEFAULT_OUTDIR / "manifest.json").is_file():
        found = find_pair(load_templates(folder or DEFAULT_OUTDIR), hub.place)
        if found is not None:
            return found
    return synthesized(hub.place, hub.organization_id)


def find_pair(templates: Mapping[str, Mapping[str, Any]], hub_place: Place) -> OrganizationTemplates | None:
    """A hub stack of the assembly and a spoke whose route to a hub names that hub's bus at `hub_place`."""
    for hub_name, hub in templates.items():
        hub_stack = read_stack(hub, hub_place, hub_name)
        if hub_stack.key_scope != c.KEY_SCOPE_ORGANIZATION:
            continue
        arns = {bus_arn(hub_place, name) for name in hub_stack.bus_names}
        for spoke_name, spoke in templates.items():
            targets = {target.arn for rule in read_stack(spoke, hub_place).rules for target in rule.bus_targets}
            if targets & arns:
                return OrganizationTemplates(hub_name, hub, spoke_name, spoke)
    return None


@functools.cache
def synthesized(hub_place: Place, organization_id: str) -> OrganizationTemplates:
    """The app with the hub and a spoke that sends to the hub's bus at `hub_place`, synthesized once per
    hub place and organization in a process (cdk.json's other context applies)."""
    from app import build_app  # deferred: importing the CDK starts Node

    hub_bus = bus_arn(hub_place, c.DEFAULT_STACK_NAME + HUB_STACK_SUFFIX)
    assembly = build_app({"organizationId": organization_id, "hubEventBusArn": hub_bus}).synth()
    pair = find_pair({stack.stack_name: stack.template for stack in assembly.stacks}, hub_place)
    if pair is None:  # the app's organization plans changed under the sandbox
        raise TemplateError(f"the app synthesized no hub and spoke for a hub bus at {hub_bus}")
    return pair


def organization_plans(scenario: Scenario, templates: OrganizationTemplates, out_dir: Path) -> list[DeploymentPlan]:
    """The hub first (the world's home: its outputs at the top of `out_dir`), then a spoke per place the
    jobs run at, each listing its own jobs in `spokes/<account>-<region>/`."""
    hub = required_hub(scenario)
    jobs = tuple(scenario.ref(job) for job in scenario.jobs)
    plans = [DeploymentPlan(templates.hub, hub.place, out_dir, templates.hub_stack_name, jobs)]
    for place in scenario.job_places:
        own = tuple(job for job in jobs if job.place == place)
        folder = out_dir / SPOKES_DIR / place.label
        plans.append(DeploymentPlan(templates.spoke, place, folder, templates.spoke_stack_name, own))
    return plans


def silences_noticed_by(scenario: Scenario, world: World) -> int:
    """The tick by which the hub has noticed every silence the scenario asks for: a silent spoke's last
    heartbeat may be one heartbeat interval before it went silent, the hub alerts after
    spokeSilentAfterMinutes more, on its monitor's next run. The run lasts at least that long."""
    hub = required_hub(scenario)
    if not hub.silent:
        return 0
    monitor_stack, spoke_stack = world.home.stack, world.deployments[-1].stack
    monitor = monitor_stack.function_by_handler(c.SPOKE_MONITOR_HANDLER)
    silent_after = _minutes(monitor.environment, SpokeMonitorSettings.env_name("spoke_silent_after_minutes"))
    heartbeat = _minutes(
        spoke_stack.function_by_handler(c.WATCHER_HANDLER).environment, WatcherSettings.env_name("heartbeat_minutes")
    )
    rate = max(_rates(monitor_stack, monitor.logical_id), default=world.tick_seconds)
    waited = (heartbeat + silent_after) * 60 + rate
    return max(spoke.from_tick for spoke in hub.silent) + math.ceil(waited / world.tick_seconds)


def _minutes(environment: Mapping[str, str], name: str) -> int:
    value = environment.get(name, "0")
    return int(value) if value.isdigit() else 0


def _rates(stack: StackModel, function_id: str) -> list[int]:
    return [s.rate_seconds for s in stack.schedules if s.function_id == function_id and s.rate_seconds is not None]


def required_hub(scenario: Scenario) -> Hub:
    if scenario.hub is None:
        raise ScenarioError('the scenario has no "hub": it runs one standalone stack (run_scenario)')
    return scenario.hub


def run_organization(
    scenario: Scenario,
    templates: OrganizationTemplates,
    out_dir: Path,
    serve: ServeCallback | None = None,
    port: int = 0,
    engine: str = "auto",
    observe: ObserverFactory | None = None,
) -> dict[str, Any]:
    """Runs a scenario with a `hub`: the hub and its spokes in one world, until every timeline ended and
    every silence asked for was noticed; writes every deployment's outputs and returns the hub's summary
    (which also counts each spoke's calls). `serve`, `port`, `engine`, `observe`: as for World."""
    world = World(scenario, organization_plans(scenario, templates, out_dir), serve, port, engine, observe)
    return world.run(at_least=silences_noticed_by(scenario, world))
