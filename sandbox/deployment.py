"""One deployment of the stack in the sandbox's world: its stack model read at its place, the resources
provisioned from it (table, topics, queues, buses, rules), its functions run by its own Lambda runtime on
its own boto3 session, its rules and streams delivered, and its outputs folder.

The world hands it what it reaches back for: its clients at its place, the clock (the handlers read it
through `autopilot_reports.clock`, set by the world) and the shared process its functions run in."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from autopilot_reports import constants as c
from autopilot_reports.adapters.dynamodb_items import KeyScope
from autopilot_reports.adapters.dynamodb_queries import ReportQueries
from autopilot_reports.constants import DEFAULT_STACK_NAME
from autopilot_reports.models.place import JobRef
from sandbox.aws_hooks import Observer, session_at
from sandbox.concurrency import AccountLambda, ScenarioClock
from sandbox.event_delivery import SWEEP_AFTER, EventDelivery
from sandbox.lambda_runtime import LambdaRuntime, SharedProcess
from sandbox.outputs import DeploymentFacts, WorldFacts, write_outputs
from sandbox.place import ClientsAt, Place
from sandbox.queue_delivery import QueueDelivery
from sandbox.scenario import Backfill, Scenario
from sandbox.sealing import create_mac_keys
from sandbox.stream_delivery import StreamDelivery
from sandbox.template import StackModel, read_stack


@dataclass(frozen=True)
class DeploymentPlan:
    """A stack to deploy in the world: its template, where, under which name, and where its outputs go.
    `jobs`: the jobs whose records its outputs list (None: every job of the scenario)."""

    template: Mapping[str, Any]
    place: Place
    out_dir: Path
    stack_name: str = DEFAULT_STACK_NAME
    jobs: tuple[JobRef, ...] | None = None


class Deployment:
    def __init__(
        self,
        plan: DeploymentPlan,
        scenario: Scenario,
        process: SharedProcess,
        clients: ClientsAt,
        clock: ScenarioClock,
        observer: Observer | None = None,
        table_suffix: str = "",
        account: AccountLambda | None = None,
    ) -> None:
        """`clients`: the sandbox's own at the deployment's place, made on first use (once the emulators
        run). `clock`: the world's. `observer`: counts and captures the functions' calls (default: an
        Observer with the scenario's faults). `table_suffix`: see template.Names. `account`: the Lambda
        executions of its place in scenario time (a scenario's `lambda` block); None: all at once."""
        self.place = plan.place
        self.out_dir = plan.out_dir
        self.jobs = plan.jobs if plan.jobs is not None else tuple(scenario.ref(job) for job in scenario.jobs)
        self.scenario = scenario
        self.client = clients
        self.stack: StackModel = read_stack(plan.template, plan.place, plan.stack_name, table_suffix)
        self.session = session_at(plan.place)  # the functions' own: their clients are made from it
        delivery = scenario.delivery
        self.observer = observer or Observer(fault_rates=delivery.faults.model_dump(), seed=delivery.seed)
        self.runtime = LambdaRuntime(
            self.place,
            self.session,
            self.observer,
            process,
            clients,
            crashes=delivery.crashes,
            seed=delivery.seed + 1,
            after_invoke=self._after_invoke,
            clock=clock,
            account=account,
        )
        self.queues = QueueDelivery(self.stack, self.runtime)
        self.events = EventDelivery(self.stack, self.runtime, self.observer, delivery, self.queues)
        self.streams = StreamDelivery(self.stack, self.runtime)
        self.ticking = [schedule for schedule in self.stack.schedules if schedule.rate_seconds is not None]
        self.digest_schedules = [schedule for schedule in self.stack.schedules if schedule.rate_seconds is None]
        self._next_due: dict[str, datetime] = {}  # rate schedule -> when it fires next (scenario time)

    @property
    def tick_seconds(self) -> int | None:
        """Its most frequent schedule's rate (the watcher's): the world ticks at the smallest of these."""
        return min((schedule.rate_seconds for schedule in self.ticking if schedule.rate_seconds), default=None)

    # --- provisioning ---------------------------------------------------------------------------------

    def start(self, shared_dynamodb: bool) -> None:
        """Provisions what the stack defines, at the deployment's place. `shared_dynamodb`: DynamoDB Local,
        one database for every account and region, which may still hold an earlier run's table, and
        whose streams are read through the DynamoDB Streams API."""
        self.observer.install(self.session)  # before the functions make a client of it
        self.session.events.register(SWEEP_AFTER, self.events.sweep)
        # botocore-stubs wants handlers returning None; a before-call handler may return the response instead.
        self.session.events.register("before-parameter-build.sqs.GetQueueAttributes", self.queues.note_request)
        self.session.events.register("before-call.sqs.GetQueueAttributes", self.queues.answer_attributes)  # type: ignore[arg-type]
        self._provision(self.client, shared_dynamodb)

    def _provision(self, clients: ClientsAt, shared_dynamodb: bool) -> None:
        dynamodb = clients("dynamodb")
        for table in self.stack.tables:
            if shared_dynamodb:
                with contextlib.suppress(dynamodb.exceptions.ResourceNotFoundException):
                    dynamodb.delete_table(TableName=table.table_name)
            dynamodb.create_table(**table.create_table_params())
        if shared_dynamodb:
            self.streams.open_readers(clients)
        create_mac_keys(clients("kms"), self.stack)
        sns = clients("sns")
        for topic in self.stack.topics:
            sns.create_topic(Name=topic)
        sqs = clients("sqs")
        for queue in self.stack.queues:
            self.runtime.queue_urls[queue] = sqs.create_queue(QueueName=queue)["QueueUrl"]
        events = clients("events")
        for bus in self.stack.buses.values():
            events.create_event_bus(Name=bus)
        self.events.provision(clients)

    def _after_invoke(self) -> None:
        """After an asynchronous invocation or a queue's batch: what it committed reaches the stream's
        mapping; in scenario time, what it published is queued too (at once, the rules deliver it as
        each invocation publishes)."""
        self.streams.deliver()
        if self.runtime.account is not None:
            self.events.drain()

    # --- what happens at a tick -------------------------------------------------------------------------

    def start_history_import(self, backfill: Backfill) -> None:
        """As a user starts it: `aws lambda invoke --invocation-type Event` on the watcher."""
        request = {"backfill": {"start": backfill.start, "end": backfill.end}}
        self.runtime.invoke_async(self.stack.function_by_handler(c.WATCHER_HANDLER), request)
        self.events.drain()

    def fire_schedules(self, now: datetime, digest_due: bool) -> bool:
        """The stack's rate schedules that are due on scenario time (the watcher's at every tick, a spoke
        monitor's every 15 minutes: each first at tick 0), and the digest's when the scenario says it is
        due; then what they published is delivered. True when quiet: every scheduled invocation succeeded
        and none published a change."""
        published = len(self.observer.events)
        ticked = all(
            [
                self.runtime.invoke_async(self.stack.functions[schedule.function_id], dict(schedule.input))
                for schedule in self.ticking
                if self._due(schedule.logical_id, schedule.rate_seconds, now)
            ]
        )
        if digest_due:
            for schedule in self.digest_schedules:
                self.runtime.invoke_async(self.stack.functions[schedule.function_id], schedule.input_at(now))
        quiet = ticked and len(self.observer.events) == published
        self.events.drain()
        return quiet

    def _due(self, schedule: str, rate_seconds: int | None, now: datetime) -> bool:
        due = self._next_due.get(schedule)
        if due is not None and now < due:
            return False
        self._next_due[schedule] = (due or now) + timedelta(seconds=rate_seconds or 0)
        return True

    def dead_letter(self, queue: str | None, event: dict[str, Any]) -> None:
        """What EventBridge could not deliver to a rule's target, in the target's dead-letter queue (the
        event as sent), as EventBridge puts it there."""
        if queue is not None:
            self.client("sqs").send_message(QueueUrl=self.runtime.queue_urls[queue], MessageBody=json.dumps(event))

    # --- outputs ------------------------------------------------------------------------------------------

    @contextlib.contextmanager
    def functions_log(self, mode: str) -> Iterator[None]:
        """The functions' logs go to lambda.log in the outputs folder while this is open."""
        with (self.out_dir / "lambda.log").open(mode) as log:
            self.runtime.log = log
            yield

    def write_outputs(self, world: WorldFacts, extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
        sqs = self.client("sqs")
        depths = {
            queue: int(
                sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"][
                    "ApproximateNumberOfMessages"
                ]
            )
            for queue, url in self.runtime.queue_urls.items()
        }
        depths |= {queue: self.queues.depth(queue) for queue in self.queues.queues}  # kept by the sandbox, not moto
        scope = KeyScope(self.stack.key_scope)
        store = ReportQueries(self.stack.tables[0].table_name, dynamodb=self.client("dynamodb"), scope=scope)
        reporters = [f.logical_id for f in self.stack.functions.values() if f.handler.endswith(c.REPORTER_HANDLER)]
        reporter = reporters[0] if reporters else None  # a hub has none (its recorder reads no queue)
        account = self.runtime.account.figures() if self.runtime.account is not None else None
        events = self.events
        facts = DeploymentFacts(
            self.observer,
            self.runtime.invocations,
            depths,
            events.duplicates_delivered,
            reporter=reporter,
            account=account,
            jobs=self.jobs,
            events=[*self.observer.events, *events.received],
            routed=dict(events.routed),
            refused=dict(events.refused),
        )
        return write_outputs(self.out_dir, self.scenario, store, facts, world, extra)
