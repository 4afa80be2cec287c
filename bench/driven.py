"""The sandbox (moto server, the AutoML simulator, resources and function environments from the template)
with two additions the benches need, both through the sandbox's public surface:

- `InvocationLog`: the sandbox's own call observer, also splitting its counts by invocation (which
  function, at which tick). Summed, the records are the run's `aws_calls`.
- `observed_organization_run`: a scenario with a hub, each deployment's calls split by invocation the same way.
- `Driver`: after the scenario's ticks, while the emulators are still up (the sandbox's `serve` hook),
  handlers are invoked one event at a time through the deployment's Lambda runtime (its environment,
  session and context), each invocation's calls counted.
"""

from __future__ import annotations

import contextlib
import io
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autopilot_reports.observability import logger
from sandbox.aws_hooks import Invocation, Observer
from sandbox.deployment import Deployment, DeploymentPlan
from sandbox.lambda_runtime import Handler
from sandbox.organization import OrganizationTemplates, organization_plans
from sandbox.place import Place
from sandbox.runner import World
from sandbox.scenario import Scenario
from sandbox.template import FunctionSpec


@dataclass(frozen=True)
class InvocationCalls:
    function: str  # logical id
    tick: int
    calls: Counter[str]
    events: int = 1  # the events it was handed (a batch's records)
    seconds: float = 0.0  # wall time of the attempt (the sandbox's, not Lambda's)

    @property
    def total(self) -> int:
        return sum(self.calls.values())


@dataclass
class InvocationLog(Observer):
    """Observer that also records the calls of each invocation (the sandbox sets `invocation` around
    every attempt, and back to None after it)."""

    tick: Callable[[], int] = lambda: 0
    records: list[InvocationCalls] = field(default_factory=list)

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "invocation" and "records" in self.__dict__:
            if value is not None:
                opened = (value.function, self.tick(), Counter(self.calls), value.events, time.perf_counter())
                self.__dict__["opened"] = opened
            elif self.__dict__.get("opened") is not None:
                function, tick, before, events, started = self.__dict__.pop("opened")
                seconds = time.perf_counter() - started
                self.records.append(InvocationCalls(function, tick, self.calls - before, events, seconds))
        super().__setattr__(name, value)

    def by_function(self) -> dict[str, Counter[str]]:
        totals: dict[str, Counter[str]] = {}
        for record in self.records:
            totals.setdefault(record.function, Counter()).update(record.calls)
        return totals


DriveCallback = Callable[["Driver"], Any]


@dataclass
class Run:
    summary: dict[str, Any]
    log: InvocationLog
    driven: Any  # what the drive callback returned
    seconds: float
    ticked: int  # log.records[:ticked] are the sandbox's own invocations (its ticks), the rest were driven

    @property
    def tick_records(self) -> list[InvocationCalls]:
        return self.log.records[: self.ticked]


class Driver:
    """Invokes the stack's handlers directly while a sandbox's emulators are up, through the deployment's
    own Lambda runtime (its environment, session and context)."""

    def __init__(self, world: World, sink: io.StringIO) -> None:
        self.world = world
        self.deployment: Deployment = world.home
        self.sink = sink

    @property
    def observer(self) -> InvocationLog:
        observer = self.deployment.observer
        assert isinstance(observer, InvocationLog)
        return observer

    def function(self, handler_suffix: str) -> FunctionSpec:
        return self.deployment.stack.function_by_handler(handler_suffix)

    def handler(self, function: FunctionSpec) -> Handler:
        """The function's handler, with its own environment in place (and no other function's)."""
        handler = self.deployment.runtime.handler(function)
        logger.registered_handler.stream = self.sink  # type: ignore[attr-defined]  # not the run's lambda.log
        return handler

    def invoke(self, handler_suffix: str, event: dict[str, Any]) -> tuple[Any, InvocationCalls, float]:
        """One invocation: the handler's response, its AWS calls, and its wall seconds (handler only)."""
        function = self.function(handler_suffix)
        handler = self.handler(function)
        context = self.deployment.runtime.context(function)
        observer = self.observer
        observer.invocation = Invocation(function.logical_id, None)
        try:
            with contextlib.redirect_stdout(self.sink):
                started = time.perf_counter()
                response = handler(event, context)
                seconds = time.perf_counter() - started
        finally:
            observer.invocation = None
        return response, observer.records[-1], seconds


def observed_run(scenario: Scenario, template: Mapping[str, Any], drive: DriveCallback | None = None) -> Run:
    """Runs the scenario's ticks in the sandbox, then `drive` (if any) while the emulators are up."""
    sink = io.StringIO()
    driven: list[Any] = []
    ticked: list[int] = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-") as out, contextlib.redirect_stderr(io.StringIO()):

        def serve(_endpoints: dict[str, str], _drain: Callable[[], None]) -> None:
            ticked.append(len(log.records))
            if drive is not None:
                driven.append(drive(Driver(world, sink)))

        log = InvocationLog(
            fault_rates=scenario.delivery.faults.model_dump(), seed=scenario.delivery.seed, tick=lambda: world.tick
        )
        plan = DeploymentPlan(dict(template), scenario.place, Path(out))
        world = World(scenario, [plan], serve=serve, observe=lambda _plan: log)
        summary = world.run()
    failed = {name: stats for name, stats in summary["invocations"].items() if stats["failed"] or stats["retried"]}
    if failed:
        raise RuntimeError(f"invocations failed in the sandbox run: {failed}")
    return Run(summary, log, driven[0] if driven else None, time.perf_counter() - started, ticked[0])


@dataclass
class OrganizationRun:
    summary: dict[str, Any]  # the hub's (which also counts each spoke's calls)
    logs: dict[Place, InvocationLog]  # each deployment's invocations, by place
    seconds: float


def observed_organization_run(scenario: Scenario, templates: OrganizationTemplates) -> OrganizationRun:
    """Runs a scenario with a hub (sandbox.organization), each deployment's calls split by invocation."""
    logs: dict[Place, InvocationLog] = {}
    tick: list[Callable[[], int]] = []

    def observe(plan: DeploymentPlan) -> InvocationLog:
        log = logs[plan.place] = InvocationLog(
            fault_rates=scenario.delivery.faults.model_dump(), seed=scenario.delivery.seed, tick=lambda: tick[0]()
        )
        return log

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-org-") as out, contextlib.redirect_stderr(io.StringIO()):
        world = World(scenario, organization_plans(scenario, templates, Path(out)), observe=observe)
        tick.append(lambda: world.tick)
        summary = world.run()
        failed = {
            (place.label, name): stats
            for place, deployment in ((d.place, d) for d in world.deployments)
            for name, stats in deployment.runtime.invocations.items()
            if stats.failed or stats.retried
        }
    if failed:
        raise RuntimeError(f"invocations failed in the organization's sandbox run: {failed}")
    return OrganizationRun(summary, logs, time.perf_counter() - started)
