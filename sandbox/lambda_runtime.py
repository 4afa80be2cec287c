"""Invoking a deployment's functions as Lambda would: each in its own environment (its place's region, the
deployment's boto3 session, the function's variables from the template), with a context, retried as its
invoke configuration says and then sent to its on-failure destination, and hard-stopped right after one
of its AWS calls where a scenario asks for crashes (the process dies with it: the next attempt is cold).

Every simulated function shares this one Python process (`SharedProcess`): its environment, boto3's
default session and the handlers' warm state. The handlers key their warm state by the settings and
the client origin it was built from, so two deployments never share an adapter or a client.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import logging
import os
import random
import sys
import uuid
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import IO, Any, cast

import boto3

from autopilot_reports.handlers import warm_state
from autopilot_reports.observability import logger
from autopilot_reports.settings import get_settings
from sandbox.aws_hooks import Invocation, Observer, SimulatedCrash
from sandbox.concurrency import AccountLambda, ScenarioClock
from sandbox.place import ClientsAt, Place
from sandbox.template import FunctionSpec

# Local runs have no X-Ray daemon; everything else comes from the function's environment in the template.
LOCAL_ONLY_ENV = {"POWERTOOLS_TRACE_DISABLED": "true"}
DEFAULT_EXPECTED_CALLS = 6  # where in an invocation a crash may land, until the function's calls are seen

Handler = Callable[[dict[str, Any], Any], Any]


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
    events: int = 0  # events handed to the function, every record of every batch, retries included
    throttled: int = 0  # invocations that found no free execution when due (a scenario's `lambda` block)
    max_event_age_seconds: float = 0.0  # the oldest event an invocation was handed, in scenario time


class SharedProcess:
    """The process every simulated function runs in: which function's environment (and which deployment's
    session) is in place now. Switching costs a few dictionary updates, so it happens only when another
    function runs than the last."""

    def __init__(self) -> None:
        self._active: Hashable | None = None
        self._names: set[str] = set()

    def enter(self, key: Hashable, environment: Mapping[str, str], session: boto3.Session) -> None:
        if self._active == key:
            return
        for name in self._names:
            os.environ.pop(name, None)
        os.environ.update(environment)
        self._names = set(environment)
        boto3.DEFAULT_SESSION = session  # the handlers' clients come from boto3's default session
        get_settings.cache_clear()  # the one cache every handler shares: it must follow the environment
        self._active = key

    def forget(self) -> None:
        """The process died (or the emulators change): every function starts cold."""
        warm_state.forget()
        self._active = None


class LambdaRuntime:
    """One deployment's functions. `after_invoke` runs after each asynchronous invocation (what it
    committed reaches the table's stream consumers); `clients` are the deployment's own, at its place.
    `clock`: the world's scenario time; `account`: where invocations wait for a free execution in it (a
    scenario's `lambda` block, sandbox/concurrency.py); None: each runs the moment it is due."""

    def __init__(
        self,
        place: Place,
        session: boto3.Session,
        observer: Observer,
        process: SharedProcess,
        clients: ClientsAt,
        crashes: float,
        seed: int,
        after_invoke: Callable[[], None],
        clock: ScenarioClock,
        account: AccountLambda | None = None,
    ) -> None:
        self.place = place
        self.clock = clock
        self.account = account
        self.session = session
        self.observer = observer
        self.process = process
        self.clients = clients
        self.crashes = crashes
        self.crash_random = random.Random(seed)
        self.after_invoke = after_invoke
        self.queue_urls: dict[str, str] = {}  # on-failure destinations: logical id -> URL
        self.invocations: dict[str, Invocations] = {}
        self.expected_calls: dict[str, int] = {}
        self.log: IO[str] = sys.stdout  # where the functions' logs go (the deployment's lambda.log)

    def stats(self, function: FunctionSpec) -> Invocations:
        return self.invocations.setdefault(function.logical_id, Invocations())

    def invoke_async(self, function: FunctionSpec, event: dict[str, Any]) -> bool:
        """An asynchronous invocation: retried as the function's invoke config says, then its on-failure
        destination. True when an attempt succeeded; with an `account`, queued there (accepted: True)."""
        if self.account is not None:
            self.account.submit_async(self, function, event)
            return True
        try:
            for attempt in range(1 + function.max_retry_attempts):
                outcome = self.attempt_async(function, event, attempt)
                if outcome is not None:
                    return outcome
            raise AssertionError("the last attempt either succeeds or fails for good")
        finally:
            self.after_invoke()  # what the invocation (or a crashed attempt) committed reaches the notifier

    def attempt_async(self, function: FunctionSpec, event: dict[str, Any], attempt: int) -> bool | None:
        """Attempt `attempt` (0: the first) of an asynchronous invocation, counted: True when it succeeded,
        None when Lambda retries it, False when it failed for good (sent to the on-failure destination)."""
        stats = self.stats(function)
        if self.call(function, event) is not None:
            stats.succeeded += 1
            return True
        if attempt < function.max_retry_attempts:
            stats.retried += 1
            return None
        stats.failed += 1
        self.send_to_failure_queue(function.on_failure_queue, function, event)
        return False

    def expire(self, function: FunctionSpec, event: dict[str, Any], age: float) -> None:
        """An asynchronous event older than the function's maximum event age: Lambda drops it unrun, to the
        on-failure destination."""
        stats = self.stats(function)
        stats.failed += 1
        stats.max_event_age_seconds = max(stats.max_event_age_seconds, age)
        self.send_to_failure_queue(function.on_failure_queue, function, event, condition="EventAgeExceeded")

    def call(self, function: FunctionSpec, event: dict[str, Any]) -> dict[str, Any] | None:
        """One attempt: the handler's response, or None when it failed or was hard-stopped. A hard stop
        lands right after one of the attempt's AWS calls, chosen at random (seeded); the process dies
        with it, so the next attempt starts cold."""
        handler = self.handler(function)
        records = event.get("Records")
        events = len(records) if isinstance(records, list) else 1
        self.stats(function).events += events
        invocation = Invocation(function.logical_id, self._plan_crash(function.logical_id), events=events)
        self.observer.invocation = invocation
        try:
            with contextlib.redirect_stdout(self.log):
                response = handler(event, self.context(function))
            self.expected_calls[function.logical_id] = max(
                invocation.calls, self.expected_calls.get(function.logical_id, 0)
            )
            return response if isinstance(response, dict) else {}
        except SimulatedCrash as crash:
            self._log_failure(function, repr(crash))
            self.process.forget()
            return None
        except Exception as error:  # noqa: BLE001 - Lambda's own behaviour: any error is retried
            self._log_failure(function, repr(error))
            return None
        finally:
            self.observer.invocation = None

    def handler(self, function: FunctionSpec) -> Handler:
        """The function's handler, with its environment in place (and no other function's). Its warm
        state (adapters built on first use) is kept per handler module, as separate Lambda processes
        would keep it, and keyed by what built it."""
        environment = {"AWS_REGION": self.place.region, "AWS_DEFAULT_REGION": self.place.region}
        environment |= function.environment | LOCAL_ONLY_ENV
        self.process.enter((self, function.logical_id), environment, self.session)
        module_name, _, attribute = function.handler.rpartition(".")
        module = importlib.import_module(module_name)
        # Powertools types its handler as logging.Handler; it is the StreamHandler it made.
        cast("logging.StreamHandler[Any]", logger.registered_handler).stream = self.log
        handler: Handler = getattr(module, attribute)
        return handler

    def context(self, function: FunctionSpec) -> LambdaContext:
        return LambdaContext(
            function_name=function.logical_id,
            memory_limit_in_mb=function.memory,
            invoked_function_arn=f"arn:aws:lambda:{self.place.region}:{self.place.account}:function:{function.logical_id}",
            timeout_seconds=function.timeout,
        )

    def send_to_failure_queue(
        self, queue: str | None, function: FunctionSpec, event: dict[str, Any], condition: str = "RetriesExhausted"
    ) -> None:
        if not queue:
            return
        record = {
            "version": "1.0",
            "requestContext": {
                "functionArn": function.logical_id,
                "condition": condition,
                "approximateInvokeCount": 1 + function.max_retry_attempts,
            },
            "requestPayload": event,
        }
        self.clients("sqs").send_message(QueueUrl=self.queue_urls[queue], MessageBody=json.dumps(record))

    def _plan_crash(self, function_id: str) -> int | None:
        if self.crashes <= 0 or self.crash_random.random() >= self.crashes:
            return None
        return self.crash_random.randint(1, self.expected_calls.get(function_id, DEFAULT_EXPECTED_CALLS))

    def _log_failure(self, function: FunctionSpec, error: str) -> None:
        print(
            json.dumps({"sandbox": "invocation failed", "function": function.logical_id, "error": error}), file=self.log
        )
