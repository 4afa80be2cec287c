"""Runs the whole pipeline locally: moto server + the AutoML simulator, resources from the synthesized
template, the real handlers in process with each function's own environment, events routed through
the deployed rules' real event patterns (moto evaluates them and delivers to a tap queue per rule), the
table's stream polled and filtered as Lambda's event source mapping would, on scenario time."""

from __future__ import annotations

import base64
import contextlib
import functools
import importlib
import json
import logging
import os
import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import boto3
import jsonpath_ng.ext
from moto.dynamodb.models import dynamodb_backends
from moto.events.models import EventPattern
from moto.sqs.models import sqs_backends

from autopilot_reports.clock import set_clock
from autopilot_reports.handlers import warm_state
from autopilot_reports.observability import logger
from sandbox.aws_hooks import Invocation, Observer, SimulatedCrash
from sandbox.dynamodb_local import DynamoDBLocal, shared_engine
from sandbox.front import Front
from sandbox.loopback import LoopbackMotoServer, reset_moto
from sandbox.scenario import Scenario, parse_timestamp
from sandbox.sealing import create_mac_keys
from sandbox.simulator import AutoMLSimulator
from sandbox.streams import StreamReader
from sandbox.template import ACCOUNT_ID, FunctionSpec, StackModel, StreamMappingSpec, TemplateError, read_stack
from sandbox.timeline import DEFAULT_TICK_SECONDS

if TYPE_CHECKING:  # stubs are a dev dependency
    from mypy_boto3_events.type_defs import PutEventsRequestEntryTypeDef

CREDENTIALS = {"AWS_ACCESS_KEY_ID": "sandbox", "AWS_SECRET_ACCESS_KEY": "sandbox", "AWS_SESSION_TOKEN": "sandbox"}
# Local runs have no X-Ray daemon; everything else comes from the function's environment in the template.
LOCAL_ONLY_ENV = {"POWERTOOLS_TRACE_DISABLED": "true"}
MAX_EXTRA_TICKS = 10  # after the last timeline entry: ticks until one is quiet (crashes, lost events)
PUT_EVENTS_LIMIT = 10  # entries per PutEvents request
SWEEP_AFTER = "after-call.eventbridge.PutEvents"  # when the taps are emptied into the sandbox's lists
DEFAULT_EXPECTED_CALLS = 6  # where in an invocation a crash may land, until the function's calls are seen

ServeCallback = Callable[[dict[str, str], Callable[[], None]], None]
ENGINES = ("auto", "dynamodb-local", "moto")  # the sandbox's DynamoDB: auto = DynamoDB Local where Java runs


class EngineError(ValueError):
    """The DynamoDB engine asked for cannot run here."""


def dynamodb_engine(choice: str) -> DynamoDBLocal | None:
    """DynamoDB Local (shared by every run of this process) or None for moto, as `choice` says."""
    if choice not in ENGINES:
        raise EngineError(f"unknown DynamoDB engine {choice!r}; choose one of {', '.join(ENGINES)}")
    if choice == "moto":
        return None
    reason = DynamoDBLocal().unavailable_reason()
    if reason is None:
        return shared_engine()
    if choice == "dynamodb-local":
        raise EngineError(f"DynamoDB Local cannot run here: {reason}")
    return None


@dataclass
class LambdaContext:
    function_name: str
    memory_limit_in_mb: int
    invoked_function_arn: str
    timeout_seconds: int = 60
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = ""

    def get_remaining_time_in_millis(self) -> int:
        return self.timeout_seconds * 1000


@dataclass
class Invocations:
    succeeded: int = 0
    retried: int = 0
    failed: int = 0  # landed in the on-failure destination queue (or was dropped, without one)


class Sandbox:
    def __init__(
        self,
        scenario: Scenario,
        template: dict[str, Any],
        out_dir: Path,
        serve: ServeCallback | None = None,
        port: int = 0,
        engine: str = "auto",
    ) -> None:
        self.serve = serve
        self.local = dynamodb_engine(engine)
        self.engine = "dynamodb-local" if self.local else "moto"
        self.stream_readers: dict[str, StreamReader] = {}
        self.port = port
        self.scenario = scenario
        self.stack: StackModel = read_stack(template, scenario.region)
        self.out_dir = out_dir
        self.delivery = scenario.delivery
        self.random = random.Random(self.delivery.seed)
        self.crash_random = random.Random(self.delivery.seed + 1)
        faults = self.delivery.faults.model_dump()
        self.observer = Observer(fault_rates=faults, seed=self.delivery.seed)
        self.invocations: dict[str, Invocations] = {}
        self.expected_calls: dict[str, int] = {}
        self.queue_urls: dict[str, str] = {}
        self._tapped: dict[str, list[Any]] = {}  # rule logical id -> moto messages taken from its tap, not yet read
        self.duplicates_delivered = 0
        self.tick = 0
        self.start = scenario.start_time
        self.ticking = [schedule for schedule in self.stack.schedules if schedule.rate_seconds is not None]
        self.digest_schedules = [schedule for schedule in self.stack.schedules if schedule.rate_seconds is None]
        rate = self.ticking[0].rate_seconds if self.ticking else None
        self.tick_seconds = rate or DEFAULT_TICK_SECONDS
        self._active_function: str | None = None
        self._function_env_names: set[str] = set()
        self._clients: dict[str, Any] = {}
        self._drained_events = 0

    def client(self, service: str) -> Any:
        """The sandbox's own clients (provisioning, taps, the stream, outputs), made once per run: creating
        a botocore client costs more than most of the calls it makes."""
        made = self._clients.get(service)
        if made is None:
            made = self._clients[service] = self.admin.client(service)  # type: ignore[call-overload]
        return made

    def now(self) -> datetime:
        """Scenario time: tick 0 is `deployed_at`, and each tick advances by the schedule's rate."""
        return self.start + timedelta(seconds=self.tick * self.tick_seconds)

    # --- lifecycle ----------------------------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        share_jsonpath_parsers()
        # Served, the asked-for port is the front's (one endpoint); moto takes a free one. Local tools only.
        moto = LoopbackMotoServer()
        moto.start()
        host, port = moto.get_host_and_port()
        reset_moto()  # moto keeps its state in process-wide backends: a second run in one process starts clean
        try:
            with AutoMLSimulator(self.scenario, self.tick_seconds) as simulator, self._environment(moto, simulator):
                self.simulator = simulator
                self.admin = boto3.Session(region_name=self.scenario.region)
                self.admin.events.register(SWEEP_AFTER, self._sweep_taps)  # before any admin client is made
                self._provision()
                self._seed_objects()
                with (self.out_dir / "lambda.log").open("w") as log:
                    self.log = log
                    self._run_ticks()
                summary = self._write_outputs()
                if self.serve is not None:
                    self._serve(f"http://{host}:{port}")
                return summary
        finally:
            moto.stop()

    def _serve(self, moto_url: str) -> None:
        """The emulators stay up while `serve` runs (until SIGINT/SIGTERM), so any tool can query, and the
        stack's functions keep running on the events they receive (a history import started against the
        served sandbox completes), on the scenario clock's last moment. One front endpoint answers for
        DynamoDB's engine, the AutoML simulator and moto (sandbox/front.py)."""
        assert self.serve is not None
        endpoint = {"region": self.scenario.region, "table": self.stack.tables[0].logical_id}
        with contextlib.ExitStack() as stack, (self.out_dir / "lambda.log").open("a") as log:
            self.log = log
            dynamodb_url = self.local.endpoint_url if self.local is not None else moto_url
            simulator = self.simulator
            front = Front(moto_url, dynamodb_url, self.port, simulator.endpoint_url, simulator.operations)
            stack.enter_context(front)
            endpoint |= {"endpoint_url": front.endpoint_url, "sagemaker_endpoint_url": simulator.endpoint_url}
            if self.local is not None:
                endpoint["dynamodb_endpoint_url"] = self.local.endpoint_url
            endpoint["dynamodb_engine"] = self.engine
            self.serve(endpoint, lambda: self._drain(force=True))

    @contextlib.contextmanager
    def _environment(self, moto: LoopbackMotoServer, simulator: AutoMLSimulator) -> Iterator[None]:
        host, port = moto.get_host_and_port()
        saved = dict(os.environ)
        os.environ.update(CREDENTIALS)
        os.environ.update(
            {
                "AWS_ENDPOINT_URL": f"http://{host}:{port}",
                "AWS_ENDPOINT_URL_SAGEMAKER": simulator.endpoint_url,
                "AWS_DEFAULT_REGION": self.scenario.region,
                "AWS_REGION": self.scenario.region,
            }
        )
        if self.local is not None:  # AWS's own engine answers DynamoDB and its stream; moto the rest
            os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = self.local.endpoint_url
            os.environ["AWS_ENDPOINT_URL_DYNAMODB_STREAMS"] = self.local.endpoint_url
        boto3.setup_default_session(region_name=self.scenario.region)
        assert boto3.DEFAULT_SESSION is not None  # just set up
        self.observer.install(boto3.DEFAULT_SESSION)
        boto3.DEFAULT_SESSION.events.register(SWEEP_AFTER, self._sweep_taps)
        set_clock(self.now)  # the handlers' one clock seam
        try:
            yield
        finally:
            os.environ.clear()
            os.environ.update(saved)
            boto3.DEFAULT_SESSION = None
            self._forget_warm_state()
            set_clock(None)

    # --- provisioning from the template ------------------------------------------------------------

    def _provision(self) -> None:
        dynamodb = self.client("dynamodb")
        for table in self.stack.tables:
            if self.local is not None:  # the shared engine may hold an earlier run's table
                with contextlib.suppress(dynamodb.exceptions.ResourceNotFoundException):
                    dynamodb.delete_table(TableName=table.logical_id)
            dynamodb.create_table(**table.create_table_params())
        if self.local is not None:
            for mapping in self.stack.stream_mappings:
                arn = f"arn:aws:dynamodb:{self.scenario.region}:{ACCOUNT_ID}:table/{mapping.table_id}/stream/sandbox"
                self.stream_readers[mapping.logical_id] = StreamReader.for_table(
                    dynamodb, self.client("dynamodbstreams"), mapping.table_id, arn, self.scenario.region
                )
        create_mac_keys(self.client("kms"), self.stack)
        sns = self.client("sns")
        for topic in self.stack.topics:
            sns.create_topic(Name=topic)
        sqs = self.client("sqs")
        for queue in self.stack.queues:
            self.queue_urls[queue] = sqs.create_queue(QueueName=queue)["QueueUrl"]
        events = self.client("events")
        for bus in self.stack.buses.values():
            events.create_event_bus(Name=bus)
        for rule in self.stack.rules:
            tap_url = sqs.create_queue(QueueName=tap_queue_name(rule.logical_id))["QueueUrl"]
            tap_arn = sqs.get_queue_attributes(QueueUrl=tap_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            events.put_rule(Name=rule.logical_id, EventBusName=rule.bus, EventPattern=json.dumps(rule.pattern))
            events.put_targets(Rule=rule.logical_id, EventBusName=rule.bus, Targets=[{"Id": "tap", "Arn": tap_arn}])
            self._tapped[rule.logical_id] = []

    def _seed_objects(self) -> None:
        """The scenario's objects, in buckets that exist; so do the jobs' output buckets, as on AWS."""
        s3 = self.client("s3")
        location: dict[str, Any] = {}
        if self.scenario.region != "us-east-1":  # the one region that takes no LocationConstraint
            location = {"CreateBucketConfiguration": {"LocationConstraint": self.scenario.region}}
        for bucket in sorted(scenario_buckets(self.scenario)):
            s3.create_bucket(Bucket=bucket, **location)
        for uri, value in self.scenario.objects.items():
            bucket, _, key = uri[len("s3://") :].partition("/")
            s3.put_object(Bucket=bucket, Key=key, Body=object_body(value))

    # --- the ticks ----------------------------------------------------------------------------------

    def _run_ticks(self) -> None:
        """Every timeline to its end, plus one tick; and on while that tick was not quiet (its watcher
        crashed, or published a change again because the reporter never stored it), as the schedule
        keeps firing on AWS. At most MAX_EXTRA_TICKS more."""
        last = self.scenario.last_tick(self.tick_seconds) + 1
        for tick in range(last + 1 + MAX_EXTRA_TICKS):
            self.tick = self.simulator.tick = tick
            if self._emit_cloudtrail_creates(tick):
                self._drain(force=True)
            for backfill in self.scenario.backfills:
                if backfill.tick == tick:  # as a user starts it: `aws lambda invoke --invocation-type Event`
                    request = {"backfill": {"start": backfill.start, "end": backfill.end}}
                    self._invoke_async(self.stack.function_by_handler("watcher.handler"), request)
                    self._drain()
            published = len(self.observer.events)
            ticked = all(
                [
                    self._invoke_async(self.stack.functions[schedule.function_id], dict(schedule.input))
                    for schedule in self.ticking
                ]
            )
            if any(digest.tick == tick for digest in self.scenario.digests):  # as the digest schedule fires
                for schedule in self.digest_schedules:
                    self._invoke_async(self.stack.functions[schedule.function_id], schedule.input_at(self.now()))
            quiet = ticked and len(self.observer.events) == published
            self._drain()
            if tick >= last and quiet:
                break
        self.ticks = tick + 1

    def _emit_cloudtrail_creates(self, tick: int) -> int:
        """What CloudTrail sends for each CreateAutoMLJob(V2) call, at the tick the job appears: a nudge
        for the watcher. Jobs created before the stack was deployed were created before anything listened."""
        events = self.client("events")
        created = [
            job
            for job in self.scenario.jobs
            if self.simulator.timeline.appears(job.name) == tick
            and parse_timestamp(job.describe[0]["CreationTime"]) >= self.start
        ]
        entries: list[PutEventsRequestEntryTypeDef] = []
        for job in created:
            name = job.describe[0]["AutoMLJobName"]
            operation = "CreateAutoMLJobV2" if job.api == "v2" else "CreateAutoMLJob"
            created_at = parse_timestamp(job.describe[0]["CreationTime"])
            detail = {
                "eventTime": created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "eventSource": "sagemaker.amazonaws.com",
                "eventName": operation,
                "awsRegion": self.scenario.region,
                "requestParameters": {"autoMLJobName": name},
                "responseElements": {"autoMLJobArn": job.describe[0]["AutoMLJobArn"]},
            }
            entries.append(
                {
                    "Time": created_at,  # the envelope's `time` is the call's, as CloudTrail's events have it
                    "Source": "aws.sagemaker",
                    "DetailType": "AWS API Call via CloudTrail",
                    "Detail": json.dumps(detail),
                }
            )
        # One event per call, as CloudTrail sends them; put ten at a time (PutEvents' maximum), in order.
        for start in range(0, len(entries), PUT_EVENTS_LIMIT):
            events.put_events(Entries=entries[start : start + PUT_EVENTS_LIMIT])
        return len(created)

    def _drain(self, force: bool = False) -> None:
        """Delivers what the rules matched, as EventBridge would: each batch of events (a tick's, or one
        watcher run's) duplicated and shuffled as the scenario says, and what an invocation publishes
        delivered before the next invocation of the batch (the reporter keeps up with the watcher). The
        table's stream is delivered after every asynchronous invocation. Unless `force`d (events put from
        outside the functions: CloudTrail, a served sandbox's callers), the taps are read only when a
        function published something since the last drain."""
        if not force and len(self.observer.events) == self._drained_events:
            return
        self._drained_events = len(self.observer.events)
        deliveries = [(rule, event) for rule in self.stack.rules for event in self.take_tapped(rule.logical_id)]
        copies = [item for item in deliveries for _ in range(1 + self.delivery.duplicates)]
        self.duplicates_delivered += len(copies) - len(deliveries)
        if self.delivery.shuffle:
            self.random.shuffle(copies)
        for rule, event in copies:
            for function_id in rule.function_ids:
                published = len(self.observer.events)
                self._invoke_async(self.stack.functions[function_id], event)
                if len(self.observer.events) > published:
                    self._drain()

    def take_tapped(self, rule_id: str) -> list[dict[str, Any]]:
        """Every event the rule delivered since the last take, in delivery order, consumed."""
        self._sweep_taps()
        taken, self._tapped[rule_id] = self._tapped[rule_id], []
        return [complete_envelope(json.loads(message.body)) for message in taken]

    def _sweep_taps(self, **_: Any) -> None:
        """Moves what the rules delivered out of moto's tap queues into the sandbox's own lists. Run after
        every PutEvents (the only way events reach a tap), so a tap never holds more than one request's
        events: moto computes every attribute of a queue on each SendMessage, its message counts
        included (a pass over the queue), and scans and deep-copies the whole queue on each
        ReceiveMessage of at most 10, so a tap holding n events made delivering and reading them
        O(n^2) (draining 1,000 events through ReceiveMessage/DeleteMessage took a minute, 2,000 four).
        The rules' patterns stay moto's EventBridge's; only the sandbox's reading of its taps is
        direct (moto server runs in this process)."""
        backend = sqs_backends[ACCOUNT_ID][self.scenario.region]
        for rule_id, tapped in self._tapped.items():
            queue = backend.get_queue(tap_queue_name(rule_id))
            with queue._messages_lock:  # moto appends under this lock
                taken, queue._messages = queue._messages, []
            tapped.extend(taken)

    # --- the table's stream, as Lambda's event source mapping polls it -----------------------------

    def _deliver_streams(self) -> None:
        for mapping in self.stack.stream_mappings:
            records = [record for record in self._read_stream(mapping) if passes_filters(record, mapping)]
            for start in range(0, len(records), mapping.batch_size):
                self._deliver_batch(mapping, records[start : start + mapping.batch_size])

    def _read_stream(self, mapping: StreamMappingSpec) -> list[dict[str, Any]]:
        """New records of the table's stream, consumed: through the real DynamoDB Streams API (shard
        iterators, GetRecords) on DynamoDB Local; from moto's backend otherwise."""
        reader = self.stream_readers.get(mapping.logical_id)
        if reader is not None:
            return reader.read()
        return self._read_moto_stream(mapping)

    def _read_moto_stream(self, mapping: StreamMappingSpec) -> list[dict[str, Any]]:
        """New records of the table's stream, consumed. Read from moto's backend (it runs in this
        process) rather than through GetShardIterator/GetRecords: moto keeps every shard iterator it
        ever issued, each pinning the stream as it was (a cancelled transaction makes moto rebuild the
        table, stream included), and copies the whole stream on every transaction; polling after every
        invocation made memory grow with the square of the run. Consumed records are dropped, their
        sequence numbers kept moving (moto numbers a record len(items) + starting number)."""
        table = dynamodb_backends[ACCOUNT_ID][self.scenario.region].get_table(mapping.table_id)
        shard = table.stream_shard
        if shard is None:
            raise TemplateError(f"{mapping.table_id} has no stream for {mapping.logical_id}")
        arn = f"{table.table_arn}/stream/{table.latest_stream_label}"
        records = [lambda_stream_record(item.to_json(), arn) for item in shard.items]
        shard.starting_sequence_number += len(shard.items)
        shard.items.clear()
        return records

    def _deliver_batch(self, mapping: StreamMappingSpec, batch: list[dict[str, Any]]) -> None:
        """Invokes synchronously until the batch is checkpointed: reported item failures are retried from
        the first failed record on, a failed invocation retries the whole batch; past the retry limit the
        rest goes to the on-failure destination, as Lambda does."""
        function = self.stack.functions[mapping.function_id]
        stats = self.invocations.setdefault(function.logical_id, Invocations())
        attempts = 0
        while batch:
            response = self._call(function, {"Records": batch})
            if response is not None:
                stats.succeeded += 1
                failed = {item["itemIdentifier"] for item in (response or {}).get("batchItemFailures", [])}
                if not failed or not mapping.report_item_failures:
                    return
                batch = batch[min(i for i, r in enumerate(batch) if r["dynamodb"]["SequenceNumber"] in failed) :]
            attempts += 1
            if 0 <= mapping.max_retry_attempts < attempts:
                stats.failed += 1
                self._send_to_failure_queue(mapping.on_failure_queue, function, {"Records": batch})
                return
            stats.retried += 1

    # --- invoking a function as Lambda would ------------------------------------------------------

    def _invoke_async(self, function: FunctionSpec, event: dict[str, Any]) -> bool:
        """An asynchronous invocation: retried as the function's invoke config says, then its on-failure
        destination. True when an attempt succeeded."""
        stats = self.invocations.setdefault(function.logical_id, Invocations())
        try:
            for attempt in range(1 + function.max_retry_attempts):
                if self._call(function, event) is not None:
                    stats.succeeded += 1
                    return True
                if attempt < function.max_retry_attempts:
                    stats.retried += 1
            stats.failed += 1
            self._send_to_failure_queue(function.on_failure_queue, function, event)
            return False
        finally:
            self._deliver_streams()  # what the invocation (or a crashed attempt) committed reaches the notifier

    def _call(self, function: FunctionSpec, event: dict[str, Any]) -> dict[str, Any] | None:
        """One attempt: the handler's response, or None when it failed or was hard-stopped. A hard stop
        lands right after one of the attempt's AWS calls, chosen at random (seeded); the process dies
        with it, so the next attempt starts cold."""
        handler = self._load(function)
        context = LambdaContext(
            function_name=function.logical_id,
            memory_limit_in_mb=function.memory,
            invoked_function_arn=f"arn:aws:lambda:{self.scenario.region}:{ACCOUNT_ID}:function:{function.logical_id}",
            timeout_seconds=function.timeout,
        )
        invocation = Invocation(function.logical_id, self._plan_crash(function.logical_id))
        self.observer.invocation = invocation
        try:
            with contextlib.redirect_stdout(self.log):
                response = handler(event, context)
            self.expected_calls[function.logical_id] = max(
                invocation.calls, self.expected_calls.get(function.logical_id, 0)
            )
            return response if isinstance(response, dict) else {}
        except SimulatedCrash as crash:
            self._log_failure(function, repr(crash))
            self._forget_warm_state()
            return None
        except Exception as error:  # noqa: BLE001 - Lambda's own behaviour: any error is retried
            self._log_failure(function, repr(error))
            return None
        finally:
            self.observer.invocation = None

    def _plan_crash(self, function_id: str) -> int | None:
        if self.delivery.crashes <= 0 or self.crash_random.random() >= self.delivery.crashes:
            return None
        return self.crash_random.randint(1, self.expected_calls.get(function_id, DEFAULT_EXPECTED_CALLS))

    def _log_failure(self, function: FunctionSpec, error: str) -> None:
        print(
            json.dumps({"sandbox": "invocation failed", "function": function.logical_id, "error": error}), file=self.log
        )

    def _send_to_failure_queue(self, queue: str | None, function: FunctionSpec, event: dict[str, Any]) -> None:
        if not queue:
            return
        record = {
            "version": "1.0",
            "requestContext": {
                "functionArn": function.logical_id,
                "condition": "RetriesExhausted",
                "approximateInvokeCount": 1 + function.max_retry_attempts,
            },
            "requestPayload": event,
        }
        self.client("sqs").send_message(QueueUrl=self.queue_urls[queue], MessageBody=json.dumps(record))

    def _load(self, function: FunctionSpec) -> Any:
        """Each function runs with its own environment. Their warm state (adapters built on first use)
        is kept per handler module, as separate Lambda processes would keep it."""
        if self._active_function != function.logical_id:
            for name in self._function_env_names:
                os.environ.pop(name, None)
            os.environ.update(function.environment)
            os.environ.update(LOCAL_ONLY_ENV)
            self._function_env_names = set(function.environment)
            from autopilot_reports.settings import get_settings

            get_settings.cache_clear()  # the one cache every handler shares: it must follow the environment
            self._active_function = function.logical_id
        module_name, _, attribute = function.handler.rpartition(".")
        module = importlib.import_module(module_name)
        # Powertools types its handler as logging.Handler; it is the StreamHandler it made.
        cast("logging.StreamHandler[Any]", logger.registered_handler).stream = self.log
        return getattr(module, attribute)

    def _forget_warm_state(self) -> None:
        warm_state.forget()
        self._active_function = None

    # --- outputs ------------------------------------------------------------------------------------

    def _write_outputs(self) -> dict[str, Any]:
        from autopilot_reports.adapters.dynamodb import DynamoDBReportStore

        table = self.stack.tables[0].logical_id
        store = DynamoDBReportStore(table, dynamodb=self.client("dynamodb"))
        names = [job.describe[0]["AutoMLJobName"] for job in self.scenario.jobs]
        records = [record for record in (store.get_report(name) for name in names) if record]
        history = [entry for name in names for entry in store.history(name)]
        write_jsonl(self.out_dir / "records.jsonl", [record.model_dump(mode="json") for record in records])
        write_jsonl(self.out_dir / "history.jsonl", [entry.model_dump(mode="json") for entry in history])
        write_jsonl(self.out_dir / "events.jsonl", self.observer.events)
        write_jsonl(self.out_dir / "notifications.jsonl", self.observer.notifications)
        summary = self._summary(records, history)
        (self.out_dir / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
        return summary

    def _summary(self, records: list[Any], history: list[Any]) -> dict[str, Any]:
        failure_queue_depth = {
            queue: int(
                self.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])[
                    "Attributes"
                ]["ApproximateNumberOfMessages"]
            )
            for queue, url in self.queue_urls.items()
        }
        return {
            "generated_at": datetime.now(UTC).isoformat(),
            "ticks": self.ticks,
            "jobs": len(self.scenario.jobs),
            "records": len(records),
            "history_items": len(history),
            "events_published": len(self.observer.events),
            "notifications": len(self.observer.notifications),
            "statuses": _count_by(record.status for record in records),
            "explainability_states": _count_by(record.explainability.state.value for record in records),
            "invocations": {name: vars(stats) for name, stats in self.invocations.items()},
            "queue_depths": failure_queue_depth,
            "aws_calls": dict(sorted(self.observer.calls.items())),
            "simulator_calls": dict(sorted(self.simulator.calls.items())),
            "faults_injected": {**dict(self.observer.faults), "sagemaker": self.simulator.faults_injected},
            "crashes_injected": dict(sorted(self.observer.crashes.items())),
            "crashes_after_publish": self.observer.crashes_after_publish,
            "duplicates_delivered": self.duplicates_delivered,
            # accepted as AWS returns them (enums are open); botocore's model does not list them
            "unlisted_enum_values": self.scenario.unlisted_enum_values,
            "missing_required_members": self.scenario.missing_required_members,  # as AWS omits them
            "scenario_time": {"start": self.start.isoformat(), "end": self.now().isoformat()},
            "delivery": self.delivery.model_dump(),
            "dynamodb_engine": self.engine,
        }


def scenario_buckets(scenario: Scenario) -> set[str]:
    uris = list(scenario.objects)
    for job in scenario.jobs:
        for response in job.describe:
            uris.append(response.get("OutputDataConfig", {}).get("S3OutputPath", ""))
            best = response.get("BestCandidate") or {}
            locations = best.get("CandidateProperties", {}).get("CandidateArtifactLocations", {})
            uris.append(locations.get("Explainability", ""))
    return {uri[len("s3://") :].split("/", 1)[0] for uri in uris if uri.startswith("s3://") and len(uri) > 5}


def object_body(value: Any) -> bytes:
    """Scenario objects: any JSON value is stored as JSON; {"text": ...} and {"base64": ...} as raw bytes."""
    if isinstance(value, dict) and set(value) == {"text"} and isinstance(value["text"], str):
        return value["text"].encode("utf-8")
    if isinstance(value, dict) and set(value) == {"base64"} and isinstance(value["base64"], str):
        return base64.b64decode(value["base64"])
    return json.dumps(value).encode("utf-8")


def lambda_stream_record(record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    """A DynamoDB Streams record as Lambda hands it over: JSON, epoch seconds, with its source ARN."""
    record = dict(record)
    images = dict(record["dynamodb"])
    created = images.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        images["ApproximateCreationDateTime"] = int(created.timestamp())
    record["dynamodb"] = images
    record["eventSourceARN"] = stream_arn
    return record


def passes_filters(record: dict[str, Any], mapping: StreamMappingSpec) -> bool:
    """Lambda's event filtering: delivered when any filter pattern matches (moto's pattern matcher)."""
    return not mapping.filter_patterns or any(
        # moto types its matcher for EventBridge events; Lambda's filters match stream records the same way.
        EventPattern.load(pattern).matches_event(record)  # type: ignore[arg-type]
        for pattern in mapping.filter_patterns
    )


def complete_envelope(event: dict[str, Any]) -> dict[str, Any]:
    """moto's delivered events lack `account` (and sometimes `resources`), which EventBridge always sets."""
    event.setdefault("account", ACCOUNT_ID)
    event.setdefault("resources", [])
    event.setdefault("version", "0")
    return event


def write_jsonl(path: Path, rows: list[Any]) -> None:
    with path.open("w") as handle:
        for row in rows:
            handle.write(json.dumps(row, sort_keys=True) + "\n")


def _count_by(values: Any) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return dict(sorted(counts.items()))


def tap_queue_name(rule_id: str) -> str:
    """The SQS queue each rule targets in the sandbox, in place of the rule's real targets."""
    return f"tap-{rule_id}"


def share_jsonpath_parsers() -> None:
    """moto's EventBridge parses the eight JSONPaths of its default input template again for every event
    it delivers to a target, and each parse builds a new parser (ply's tables): half of the time of a
    PutEvents of 10 (183 ms against 87 ms, measured on moto 5.2.5). A parsed path is only read by
    `find()`, so the same eight are parsed once for the process. Idempotent."""
    namespace = vars(jsonpath_ng.ext)  # moto imports `parse` from here at each call
    if not isinstance(namespace["parse"], functools._lru_cache_wrapper):
        namespace["parse"] = functools.lru_cache(maxsize=64)(namespace["parse"])


def run_scenario(
    scenario: Scenario,
    template: dict[str, Any],
    out_dir: Path,
    serve: ServeCallback | None = None,
    port: int = 0,
    engine: str = "auto",
) -> dict[str, Any]:
    """Runs the scenario and writes the outputs; with `serve`, calls it (emulators still up) before
    stopping them. `port` 0 picks a free loopback port for moto server. `engine`: the DynamoDB engine
    (ENGINES)."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto server's per-request log
    return Sandbox(scenario, template, out_dir, serve, port, engine).run()
