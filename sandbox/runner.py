"""Runs the whole pipeline locally: a world of emulators (moto server, the DynamoDB engine, the AutoML
simulator) on scenario time, and the deployments of the stack in it, each provisioned from its
synthesized template at its place and running the real handlers in process (sandbox/deployment.py).

The world owns the clock and the tick loop: at each tick CloudTrail reports the jobs created, the
scenario's history imports start, and every deployment's schedules fire when due on scenario time. With a
scenario's `lambda` block, each place's Lambda executions then run what is due until the next tick, in
scenario time (sandbox/concurrency.py); without it, everything runs at once. Its router carries events
between deployments as EventBridge does (sandbox/routing.py). `run_scenario` runs the standalone stack at
the scenario's place; `sandbox.organization.run_organization` a hub and its spokes."""

from __future__ import annotations

import contextlib
import functools
import math
import os
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3

from autopilot_reports import constants as c
from autopilot_reports.clock import set_clock
from autopilot_reports.constants import DEFAULT_STACK_NAME
from sandbox.artifacts import seed_objects
from sandbox.aws_hooks import CREDENTIALS, Observer, session_at
from sandbox.cloudtrail import created_at_tick, put_create_events
from sandbox.concurrency import AccountLambda, ScenarioClock
from sandbox.deployment import Deployment, DeploymentPlan
from sandbox.emulators import dynamodb_engine, moto_server
from sandbox.event_delivery import SWEEP_AFTER
from sandbox.front import Front
from sandbox.lambda_runtime import SharedProcess
from sandbox.outputs import WorldFacts
from sandbox.place import DEFAULT_ACCOUNT, SANDBOX_ORGANIZATION_ID, Place
from sandbox.routing import Organization, Router
from sandbox.scenario import Scenario, ScenarioError
from sandbox.simulator import AutoMLSimulator
from sandbox.timeline import DEFAULT_TICK_SECONDS

if TYPE_CHECKING:  # stubs are a dev dependency
    pass

MAX_EXTRA_TICKS = 10  # after the last timeline entry: ticks until one is quiet (crashes, lost events)
# With a scenario's `lambda` block, ticks go on while anything waits for an execution: at most for as long as
# Lambda keeps an asynchronous event (6 hours).
MAX_BACKLOG_SECONDS = 6 * 3600

ServeCallback = Callable[[dict[str, str], Callable[[], None]], None]
ObserverFactory = Callable[[DeploymentPlan], Observer]


class World:
    """The emulators, the scenario clock and the tick loop, over the deployments planned (the first is the
    home: its outputs are the run's, and a served sandbox's endpoint names its table), and the router
    between them.

    `serve`: called after the run with the endpoint and a pump, while the emulators are still up. `port`:
    the served endpoint's (0: a free one). `engine`: the DynamoDB engine (emulators.ENGINES). `observe`:
    makes each deployment's call observer (default: the scenario's faults; the benches count more)."""

    def __init__(
        self,
        scenario: Scenario,
        plans: Sequence[DeploymentPlan],
        serve: ServeCallback | None = None,
        port: int = 0,
        engine: str = "auto",
        observe: ObserverFactory | None = None,
    ) -> None:
        places = [plan.place for plan in plans]
        if not places or len(set(places)) != len(places):
            raise ValueError(f"the sandbox deploys one stack per place, at one place at least; got {places}")
        self.scenario = scenario
        self.serve = serve
        self.port = port
        self.local = dynamodb_engine(engine)
        self.engine = "dynamodb-local" if self.local else "moto"
        self.process = SharedProcess()
        self._sessions: dict[Place, boto3.Session] = {}
        self._clients: dict[tuple[Place, str], Any] = {}
        self.start = scenario.start_time
        self.clock = ScenarioClock(self.start)
        quotas = scenario.lambda_quotas
        # Lambda's concurrency is an account's in a region: one pool per place
        self.accounts = {plan.place: AccountLambda(quotas, self.clock) for plan in plans} if quotas else {}
        self.deployments = [
            Deployment(
                plan,
                scenario,
                self.process,
                clients=functools.partial(self.client, plan.place),
                clock=self.clock,
                observer=observe(plan) if observe else None,
                # DynamoDB Local keeps one database for all: the home keeps the plain names (template.Names)
                table_suffix="" if index == 0 else f"-{plan.place.label}",
                account=self.accounts.get(plan.place),
            )
            for index, plan in enumerate(plans)
        ]
        self.home = self.deployments[0]
        if quotas:
            known = {function for deployment in self.deployments for function in deployment.stack.functions}
            unknown = sorted(set(quotas.durations) - known)
            if unknown:  # the functions of every stack deployed (a hub's and a spoke's differ)
                raise ScenarioError(
                    f"lambda.durations names {unknown}, which no stack deployed has (their functions: "
                    f"{', '.join(sorted(known))})"
                )
        self.tick = 0
        rates = [deployment.tick_seconds for deployment in self.deployments if deployment.tick_seconds]
        self.tick_seconds = min(rates, default=DEFAULT_TICK_SECONDS)  # the watchers' schedule
        self.router = Router(self.deployments, organization_of(scenario), lambda: self.tick)
        for deployment in self.deployments:
            self.router.connect(deployment)

    def now(self) -> datetime:
        """Scenario time: tick 0 is `deployed_at`, and each tick advances by the schedule's rate (with a
        `lambda` block, an invocation reads the moment it starts)."""
        return self.clock.now()

    def client(self, place: Place, service: str) -> Any:
        """The sandbox's own clients at a place (provisioning, taps, streams, outputs, CloudTrail), made
        once per run: creating a botocore client costs more than most of the calls it makes."""
        made = self._clients.get((place, service))
        if made is None:
            made = self._clients[place, service] = self._session(place).client(service)  # type: ignore[call-overload]
        return made

    def _session(self, place: Place) -> boto3.Session:
        session = self._sessions.get(place)
        if session is None:
            session = self._sessions[place] = session_at(place)
            for deployment in self.deployments:  # before any client of it is made
                if deployment.place == place:
                    session.events.register(SWEEP_AFTER, deployment.events.sweep)
        return session

    # --- lifecycle ----------------------------------------------------------------------------------

    def run(self, at_least: int = 0) -> dict[str, Any]:
        """Runs the scenario (until tick `at_least` at least), writes every deployment's outputs and returns
        the home's summary."""
        for deployment in self.deployments:
            deployment.out_dir.mkdir(parents=True, exist_ok=True)
        # Served through a front, the asked-for port is the front's (one endpoint); moto takes a free one.
        moto_port = 0 if self.serve is not None else self.port
        with (
            moto_server(moto_port) as moto_url,
            AutoMLSimulator(self.scenario, self.tick_seconds) as simulator,
            self._environment(moto_url, simulator),
        ):
            self.simulator = simulator
            for deployment in self.deployments:
                deployment.start(shared_dynamodb=self.local is not None)
            seed_objects(self.scenario, lambda place: self.client(place, "s3"))
            with contextlib.ExitStack() as logs:
                for deployment in self.deployments:
                    logs.enter_context(deployment.functions_log("w"))
                self._run_ticks(at_least)
            summary = self._write_outputs()
            if self.serve is not None:
                self._serve(moto_url)
            return summary

    def _write_outputs(self) -> dict[str, Any]:
        facts = WorldFacts(
            self.ticks, self.start, self.now(), self.simulator.calls, self.simulator.faults_injected, self.engine
        )
        others = {deployment.place.label: deployment.write_outputs(facts) for deployment in self.deployments[1:]}
        if not others:
            return self.home.write_outputs(facts)
        # With several deployments, the home's summary also counts each other's calls (a key of its own),
        # and the calls of them all per terminal message (ticks, heartbeats and other transitions included).
        calls = sum(sum(deployment.observer.calls.values()) for deployment in self.deployments)
        terminal = sum(
            1
            for deployment in self.deployments
            for message in deployment.observer.notifications
            if message["attributes"].get("event_type") == c.EVENT_TYPE_ENDED
        )
        extra = {
            "deployments": {label: {"aws_calls": each["aws_calls"]} for label, each in others.items()},
            "organization": {
                "aws_calls": calls,
                "terminal_messages": terminal,
                "aws_calls_per_terminal_message": round(calls / terminal, 2) if terminal else None,
            },
        }
        return self.home.write_outputs(facts, extra)

    def _serve(self, moto_url: str) -> None:
        """The emulators stay up while `serve` runs (until SIGINT/SIGTERM), so any tool can query, and the
        stacks' functions keep running on the events they receive (a history import started against the
        served sandbox completes), on the scenario clock's last moment. One front endpoint answers for
        DynamoDB's engine, the AutoML simulator and moto (sandbox/front.py); at another account than moto's
        default, the front says which."""
        assert self.serve is not None
        endpoint = {"region": self.home.place.region, "table": self.home.stack.tables[0].table_name}
        if self.home.stack.key_scope != c.KEY_SCOPE_LOCAL:  # a hub's table: the CLI reads it with --hub
            endpoint["key_scope"] = self.home.stack.key_scope
        with contextlib.ExitStack() as stack:
            for deployment in self.deployments:
                stack.enter_context(deployment.functions_log("a"))
            dynamodb_url = self.local.endpoint_url if self.local is not None else moto_url
            account = self.home.place.account if self.home.place.account != DEFAULT_ACCOUNT else None
            simulator = self.simulator
            front = Front(moto_url, dynamodb_url, self.port, simulator.endpoint_url, simulator.operations, account)
            stack.enter_context(front)
            endpoint |= {"endpoint_url": front.endpoint_url, "sagemaker_endpoint_url": simulator.endpoint_url}
            if self.local is not None:
                endpoint["dynamodb_endpoint_url"] = self.local.endpoint_url
            endpoint["dynamodb_engine"] = self.engine
            self.serve(endpoint, self._pump)

    def _pump(self) -> None:
        for deployment in self.deployments:
            deployment.events.drain(force=True)
        self._run_accounts(math.inf)  # served, nothing waits for the clock: all that is due runs

    @contextlib.contextmanager
    def _environment(self, moto_url: str, simulator: AutoMLSimulator) -> Iterator[None]:
        """The process's environment while the world runs: the emulators' endpoints for every client, the
        scenario's region and the home's session for any code that makes its own (each function runs
        with its own place's and session: lambda_runtime), and the handlers' clock on scenario time."""
        saved = dict(os.environ)
        os.environ.update(CREDENTIALS)
        region = self.scenario.region
        endpoints = {
            "AWS_ENDPOINT_URL": moto_url,
            "AWS_ENDPOINT_URL_SAGEMAKER": simulator.endpoint_url,
            "AWS_ENDPOINT_URL_PRICING": simulator.endpoint_url,  # the Price List API: the scenario's `prices`
        }
        os.environ.update({**endpoints, "AWS_DEFAULT_REGION": region, "AWS_REGION": region})
        if self.local is not None:  # AWS's own engine answers DynamoDB and its stream; moto the rest
            os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = self.local.endpoint_url
            os.environ["AWS_ENDPOINT_URL_DYNAMODB_STREAMS"] = self.local.endpoint_url
        boto3.DEFAULT_SESSION = self.home.session
        set_clock(self.now)  # the handlers' one clock seam
        try:
            yield
        finally:
            os.environ.clear()
            os.environ.update(saved)
            boto3.DEFAULT_SESSION = None
            self.process.forget()
            set_clock(None)

    # --- the ticks ----------------------------------------------------------------------------------

    def _run_ticks(self, at_least: int) -> None:
        """Every timeline to its end, plus one tick (tick `at_least` at least); and on while that tick was
        not quiet (a watcher crashed, or published a change again because the reporter never stored it, or,
        with a `lambda` block, anything still waits for an execution), as the schedule keeps firing on AWS.
        At most MAX_EXTRA_TICKS more (with a `lambda` block, as long as Lambda keeps an event)."""
        last = max(self.scenario.last_tick(self.tick_seconds) + 1, at_least)
        places = set(self.scenario.job_places)
        extra = max(MAX_EXTRA_TICKS, MAX_BACKLOG_SECONDS // self.tick_seconds) if self.accounts else MAX_EXTRA_TICKS
        for tick in range(last + 1 + extra):
            self.tick = self.simulator.tick = tick
            self.clock.seconds = tick * self.tick_seconds
            published = sum(len(deployment.observer.events) for deployment in self.deployments)
            self._emit_cloudtrail_creates(tick)
            for backfill in self.scenario.backfills:
                if backfill.tick == tick:  # the scenario's user starts it in each stack where jobs run
                    for deployment in self.deployments:
                        if deployment.place in places:
                            deployment.start_history_import(backfill)
            digest_due = any(digest.tick == tick for digest in self.scenario.digests)  # as its schedule fires
            quiet = all([deployment.fire_schedules(self.now(), digest_due) for deployment in self.deployments])
            if self.accounts:  # in scenario time: what is due runs until the next tick; quiet when all is done
                self._run_accounts((tick + 1) * self.tick_seconds)
                quiet = quiet and all(account.idle() for account in self.accounts.values())
                quiet = quiet and sum(len(deployment.observer.events) for deployment in self.deployments) == published
            if tick >= last and quiet:
                break
        self.ticks = tick + 1

    def _run_accounts(self, until: float) -> None:
        """Every place's Lambda executions until `until`, interleaved in scenario time (the clock is one):
        the invocation that starts first, of any account, runs first, so what one place's invocation sends
        another (a spoke's report to its hub) runs in the same tick, at its moment."""
        accounts = list(self.accounts.values())
        while True:
            starts = [
                (start, index)
                for index, account in enumerate(accounts)
                if (start := account.next_start(until)) is not None
            ]
            if not starts:
                return
            accounts[min(starts)[1]].run_next(until)

    def _emit_cloudtrail_creates(self, tick: int) -> None:
        """CloudTrail's events of the jobs created at this tick, where each runs (sandbox/cloudtrail.py)."""
        for place, jobs in created_at_tick(self.scenario, self.simulator.timeline, tick, self.start).items():
            put_create_events(self.client(place, "events"), jobs, place)
            for deployment in self._deployments_at(place):
                deployment.events.drain(force=True)

    def _deployments_at(self, place: Place) -> list[Deployment]:
        return [deployment for deployment in self.deployments if deployment.place == place]


def organization_of(scenario: Scenario) -> Organization:
    """Every account of the scenario is a member of its organization (its hub's; the sandbox's own without
    one), and the spokes the scenario silences, from their ticks."""
    hub = scenario.hub
    accounts = {scenario.account, *(place.account for place in scenario.job_places)}
    if hub is None:
        return Organization(SANDBOX_ORGANIZATION_ID, frozenset(accounts), {})
    silent = {spoke.place: from_tick for spoke in hub.silent if (from_tick := hub.silent_from(spoke.place)) is not None}
    return Organization(hub.organization_id, frozenset({*accounts, hub.account}), silent)


def run_scenario(
    scenario: Scenario,
    template: dict[str, Any],
    out_dir: Path,
    serve: ServeCallback | None = None,
    port: int = 0,
    engine: str = "auto",
    stack_name: str = DEFAULT_STACK_NAME,
) -> dict[str, Any]:
    """Runs the scenario on the standalone stack `template` deployed at the scenario's place and writes the
    outputs; with `serve`, calls it (emulators still up) before stopping them. `port` 0 picks a free
    loopback port for moto server. `engine`: the DynamoDB engine (emulators.ENGINES). A scenario with a
    hub runs with sandbox.organization.run_organization."""
    if scenario.hub is not None:
        raise ScenarioError('the scenario has a "hub": it runs a hub and its spokes (run_organization), not one stack')
    plan = DeploymentPlan(template, scenario.place, out_dir, stack_name)
    return World(scenario, [plan], serve, port, engine).run()
