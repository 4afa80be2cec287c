"""Runs the whole pipeline locally: moto server + the AutoML simulator, resources from the synthesized
template, the real handlers in process with each function's own environment, events routed through
the deployed rules' real event patterns (moto evaluates them and delivers to a tap queue per rule)."""

from __future__ import annotations

import base64
import contextlib
import importlib
import json
import logging
import os
import random
import sys
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

from sandbox.aws_hooks import Observer
from sandbox.scenario import Scenario
from sandbox.simulator import AutoMLSimulator
from sandbox.template import ACCOUNT_ID, FunctionSpec, StackModel, read_stack

CREDENTIALS = {"AWS_ACCESS_KEY_ID": "sandbox", "AWS_SECRET_ACCESS_KEY": "sandbox", "AWS_SESSION_TOKEN": "sandbox"}
# Local runs have no X-Ray daemon; everything else comes from the function's environment in the template.
LOCAL_ONLY_ENV = {"POWERTOOLS_TRACE_DISABLED": "true"}


@dataclass
class LambdaContext:
    function_name: str
    memory_limit_in_mb: int
    invoked_function_arn: str
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = ""

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


@dataclass
class Invocations:
    succeeded: int = 0
    retried: int = 0
    failed: int = 0  # landed in the on-failure destination queue


class Sandbox:
    def __init__(self, scenario: Scenario, template: dict[str, Any], out_dir: Path) -> None:
        self.scenario = scenario
        self.stack: StackModel = read_stack(template, scenario.region)
        self.out_dir = out_dir
        self.delivery = scenario.delivery
        self.random = random.Random(self.delivery.seed)
        faults = self.delivery.faults.model_dump()
        self.observer = Observer(fault_rates=faults, seed=self.delivery.seed)
        self.invocations: dict[str, Invocations] = {}
        self.queue_urls: dict[str, str] = {}
        self.taps: dict[str, str] = {}  # rule logical id -> tap queue url
        self._active_function: str | None = None
        self._function_env_names: set[str] = set()

    # --- lifecycle ----------------------------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        moto.start()
        host, port = moto.get_host_and_port()
        # moto keeps its state in process-wide backends: a second run in one process starts clean.
        urllib.request.urlopen(urllib.request.Request(f"http://{host}:{port}/moto-api/reset", method="POST"))
        try:
            with AutoMLSimulator(self.scenario) as simulator, self._environment(moto, simulator):
                self.simulator = simulator
                self.admin = boto3.Session(region_name=self.scenario.region)
                self._provision()
                self._seed_objects()
                with (self.out_dir / "lambda.log").open("w") as log:
                    self.log = log
                    self._run_ticks()
                return self._write_outputs()
        finally:
            moto.stop()

    @contextlib.contextmanager
    def _environment(self, moto: ThreadedMotoServer, simulator: AutoMLSimulator) -> Iterator[None]:
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
        boto3.setup_default_session(region_name=self.scenario.region)
        self.observer.install(boto3.DEFAULT_SESSION)
        try:
            yield
        finally:
            os.environ.clear()
            os.environ.update(saved)
            boto3.DEFAULT_SESSION = None
            self._forget_warm_state()

    # --- provisioning from the template ------------------------------------------------------------

    def _provision(self) -> None:
        dynamodb = self.admin.client("dynamodb")
        for table in self.stack.tables:
            dynamodb.create_table(**table.create_table_params())
        sns = self.admin.client("sns")
        for topic in self.stack.topics:
            sns.create_topic(Name=topic)
        sqs = self.admin.client("sqs")
        for queue in self.stack.queues:
            self.queue_urls[queue] = sqs.create_queue(QueueName=queue)["QueueUrl"]
        events = self.admin.client("events")
        for bus in self.stack.buses.values():
            events.create_event_bus(Name=bus)
        for rule in self.stack.rules:
            tap_url = sqs.create_queue(QueueName=f"tap-{rule.logical_id}")["QueueUrl"]
            tap_arn = sqs.get_queue_attributes(QueueUrl=tap_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            events.put_rule(Name=rule.logical_id, EventBusName=rule.bus, EventPattern=json.dumps(rule.pattern))
            events.put_targets(Rule=rule.logical_id, EventBusName=rule.bus, Targets=[{"Id": "tap", "Arn": tap_arn}])
            self.taps[rule.logical_id] = tap_url

    def _seed_objects(self) -> None:
        """The scenario's objects, in buckets that exist; so do the jobs' output buckets, as on AWS."""
        s3 = self.admin.client("s3")
        for bucket in sorted(scenario_buckets(self.scenario)):
            s3.create_bucket(Bucket=bucket)
        for uri, value in self.scenario.objects.items():
            bucket, _, key = uri[len("s3://") :].partition("/")
            s3.put_object(Bucket=bucket, Key=key, Body=object_body(value))

    # --- the ticks ----------------------------------------------------------------------------------

    def _run_ticks(self) -> None:
        self.ticks = self.scenario.last_tick + 2  # every timeline exhausted, plus one tick
        for tick in range(self.ticks):
            self.simulator.tick = tick
            if tick == 0:
                self._emit_cloudtrail_creates()
                self._drain()
            for schedule in self.stack.schedules:
                self._invoke(self.stack.functions[schedule.function_id], dict(schedule.input))
            self._drain()

    def _emit_cloudtrail_creates(self) -> None:
        """What CloudTrail sends for each CreateAutoMLJob(V2) call: a nudge for the watcher."""
        events = self.admin.client("events")
        for job in self.scenario.jobs:
            name = job.describe[0]["AutoMLJobName"]
            operation = "CreateAutoMLJobV2" if job.api == "v2" else "CreateAutoMLJob"
            detail = {
                "eventSource": "sagemaker.amazonaws.com",
                "eventName": operation,
                "awsRegion": self.scenario.region,
                "requestParameters": {"autoMLJobName": name},
                "responseElements": {"autoMLJobArn": job.describe[0]["AutoMLJobArn"]},
            }
            entry = {
                "Source": "aws.sagemaker",
                "DetailType": "AWS API Call via CloudTrail",
                "Detail": json.dumps(detail),
            }
            events.put_events(Entries=[entry])

    def _drain(self) -> None:
        """Delivers what the rules matched, as EventBridge would: each batch of events (a tick's, or one
        watcher run's) duplicated and shuffled as the scenario says, and what an invocation publishes
        delivered before the next invocation of the batch (the reporter keeps up with the watcher)."""
        deliveries = [(rule, event) for rule in self.stack.rules for event in self._receive(rule.logical_id)]
        copies = [item for item in deliveries for _ in range(1 + self.delivery.duplicates)]
        if self.delivery.shuffle:
            self.random.shuffle(copies)
        for rule, event in copies:
            for function_id in rule.function_ids:
                published = len(self.observer.events)
                self._invoke(self.stack.functions[function_id], event)
                if len(self.observer.events) > published:
                    self._drain()

    def _receive(self, rule_id: str) -> list[dict[str, Any]]:
        sqs = self.admin.client("sqs")
        events = []
        while True:
            messages = sqs.receive_message(QueueUrl=self.taps[rule_id], MaxNumberOfMessages=10).get("Messages", [])
            if not messages:
                return events
            for message in messages:
                events.append(complete_envelope(json.loads(message["Body"])))
                sqs.delete_message(QueueUrl=self.taps[rule_id], ReceiptHandle=message["ReceiptHandle"])

    # --- invoking a function as Lambda would (asynchronously: retries, then the failure queue) ------

    def _invoke(self, function: FunctionSpec, event: dict[str, Any]) -> None:
        stats = self.invocations.setdefault(function.logical_id, Invocations())
        handler = self._load(function)
        context = LambdaContext(
            function_name=function.logical_id,
            memory_limit_in_mb=function.memory,
            invoked_function_arn=f"arn:aws:lambda:{self.scenario.region}:{ACCOUNT_ID}:function:{function.logical_id}",
        )
        for attempt in range(1 + function.max_retry_attempts):
            try:
                with contextlib.redirect_stdout(self.log):
                    handler(event, context)
                stats.succeeded += 1
                return
            except Exception as error:  # noqa: BLE001 - Lambda's own behaviour: any error is retried
                print(
                    json.dumps(
                        {
                            "sandbox": "invocation failed",
                            "function": function.logical_id,
                            "attempt": attempt + 1,
                            "error": repr(error),
                        }
                    ),
                    file=self.log,
                )
                stats.retried += 1
        stats.retried -= 1
        stats.failed += 1
        self._send_to_failure_queue(function, event)

    def _send_to_failure_queue(self, function: FunctionSpec, event: dict[str, Any]) -> None:
        if not function.on_failure_queue:
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
        self.admin.client("sqs").send_message(
            QueueUrl=self.queue_urls[function.on_failure_queue], MessageBody=json.dumps(record)
        )

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

            get_settings.cache_clear()  # the one cache both handlers share: it must follow the environment
            self._active_function = function.logical_id
        module_name, _, attribute = function.handler.rpartition(".")
        module = importlib.import_module(module_name)
        from autopilot_reports.observability import logger

        logger.registered_handler.stream = self.log  # type: ignore[attr-defined]
        return getattr(module, attribute)

    def _forget_warm_state(self) -> None:
        reset_function_state()
        self._active_function = None

    # --- outputs ------------------------------------------------------------------------------------

    def _write_outputs(self) -> dict[str, Any]:
        from autopilot_reports.adapters.dynamodb import DynamoDBReportStore

        table = self.stack.tables[0].logical_id
        store = DynamoDBReportStore(table, dynamodb=self.admin.client("dynamodb"))
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
                self.admin.client("sqs").get_queue_attributes(
                    QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
                )["Attributes"]["ApproximateNumberOfMessages"]
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
            "delivery": self.delivery.model_dump(),
        }


def reset_function_state() -> None:
    """Forgets what the handlers built on first use (settings, clients, adapters), as a new Lambda
    process would; the next run or test in this process must not reuse clients bound to stopped servers."""
    from autopilot_reports.adapters.clients import clear_clients
    from autopilot_reports.handlers import reporter, watcher
    from autopilot_reports.observability import logger
    from autopilot_reports.settings import get_settings

    logger.registered_handler.stream = sys.stdout  # type: ignore[attr-defined]
    get_settings.cache_clear()
    clear_clients()
    reporter.default_reporter.cache_clear()
    watcher.default_watcher.cache_clear()


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


def run_scenario(scenario: Scenario, template: dict[str, Any], out_dir: Path) -> dict[str, Any]:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto server's per-request log
    return Sandbox(scenario, template, out_dir).run()
