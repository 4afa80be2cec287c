"""What the sandbox observes and injects at the boto3 layer, without a single branch in the handlers:
the account each request is for (sessions made by `session_at`), call counts per operation, the events
and notifications that were really accepted, transient faults for the services moto plays (the
simulator injects SageMaker's own), and hard stops of an invocation right after one of its AWS calls
(docs/design.md §6.4, `delivery.crashes`)."""

from __future__ import annotations

import functools
import json
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import boto3
import botocore.session
from botocore.awsrequest import AWSRequest, AWSResponse
from botocore.loaders import Loader, create_loader

from autopilot_reports.clock import now
from sandbox.place import Place

# botocore event names use the service id ("eventbridge"); scenario faults use the endpoint name ("events").
FAULTY_SERVICES = {"s3": "s3", "dynamodb": "dynamodb", "sns": "sns", "eventbridge": "events"}
# Any credentials do: no emulator checks them (moto takes the account from ACCOUNT_HEADER instead).
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "sandbox", "AWS_SECRET_ACCESS_KEY": "sandbox", "AWS_SESSION_TOKEN": "sandbox"}
ACCOUNT_HEADER = "x-moto-account-id"  # moto server keeps a backend per (account, region) and reads this


def session_at(place: Place) -> boto3.Session:
    """A boto3 session of its own for one place: its region, the sandbox's credentials, and every request
    marked with the place's account, so moto answers from that account's backends (DynamoDB Local and
    the simulator ignore the header). Hooks (the observer, the taps' sweep) go on before any client is
    made: a client copies its session's hooks when it is created. Every session reads the service models
    through one loader: a botocore session loads them afresh, and an organization's eleven deployments
    would load every model eleven times (a tenth of the run)."""
    core = botocore.session.Session()
    core.register_component("data_loader", shared_loader())
    session = boto3.Session(
        botocore_session=core,
        aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=CREDENTIALS["AWS_SESSION_TOKEN"],
        region_name=place.region,
    )

    def mark_account(request: AWSRequest, **_: Any) -> None:
        request.headers[ACCOUNT_HEADER] = place.account

    session.events.register("before-sign", mark_account)
    paths = core.get_component("data_loader").search_paths  # boto3 adds its own to the shared list: once
    paths[:] = list(dict.fromkeys(paths))
    return session


@functools.cache
def shared_loader() -> Loader:
    """botocore's data loader, which caches each model file it reads, for every session of the process."""
    return create_loader()


class _Body:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Any:
        yield self._data

    def read(self, *_: Any) -> bytes:
        return self._data


class SimulatedCrash(BaseException):  # noqa: N818 - named for what it simulates
    """The invocation is hard-stopped (a timeout, out of memory): a BaseException, so no `except
    Exception` of the handler or of Powertools' batch processing sees it."""

    def __init__(self, function: str, after: str) -> None:
        super().__init__(f"{function} hard-stopped right after {after}")
        self.function = function
        self.after = after


@dataclass
class Invocation:
    """The invocation running now, and after which of its AWS calls (if any) it will be hard-stopped."""

    function: str
    crash_after: int | None
    calls: int = 0
    published: int = 0  # notifications it published so far
    events: int = 1  # events it was handed (the records of a batch)


@dataclass
class Observer:
    fault_rates: dict[str, float]
    seed: int
    calls: Counter[str] = field(default_factory=Counter)
    calls_by_function: dict[str, Counter[str]] = field(default_factory=dict)  # the functions' own calls
    faults: Counter[str] = field(default_factory=Counter)
    crashes: Counter[str] = field(default_factory=Counter)  # per function
    crashes_after_publish: int = 0
    # notifications published by invocations that were then hard-stopped: a stream batch is retried whole,
    # so each may go out again (at most this many second messages)
    published_before_crash: int = 0
    events: list[dict[str, Any]] = field(default_factory=list)
    notifications: list[dict[str, Any]] = field(default_factory=list)
    notified_at: list[datetime] = field(default_factory=list)  # when each notification went out (scenario time)
    invocation: Invocation | None = None

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    def install(self, session: boto3.Session) -> None:
        """Registers on the session every handler client is created from (boto3's default session)."""
        events = session.events
        events.register("before-parameter-build", self._count)
        # botocore-stubs wants handlers returning None; a before-send handler may return a response instead.
        events.register("before-send", self._maybe_fail)  # type: ignore[arg-type]
        events.register("after-call.eventbridge.PutEvents", self._capture_events)
        events.register("after-call.sns.Publish", self._capture_notification)
        events.register("after-call", self._maybe_crash)  # after the captures above: what was sent is seen

    def _maybe_crash(self, model: Any, http_response: Any, **_: Any) -> None:
        invocation = self.invocation
        if invocation is None:
            return
        invocation.calls += 1
        if invocation.crash_after != invocation.calls:
            return
        operation = f"{model.service_model.service_name}.{model.name}"
        self.crashes[invocation.function] += 1
        self.published_before_crash += invocation.published
        if model.name == "Publish" and getattr(http_response, "status_code", 500) < 300:
            self.crashes_after_publish += 1
        raise SimulatedCrash(invocation.function, operation)

    def _count(self, model: Any, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        operation = f"{model.service_model.service_name}.{model.name}"
        self.calls[operation] += 1
        if self.invocation is not None:
            self.calls_by_function.setdefault(self.invocation.function, Counter())[operation] += 1
        context["sandbox_params"] = dict(params)  # after-call handlers get the context, not the params

    def _maybe_fail(self, request: Any, **kwargs: Any) -> AWSResponse | None:
        service = kwargs["event_name"].split(".")[1]
        rate = self.fault_rates.get(FAULTY_SERVICES.get(service, ""), 0.0)
        if rate <= 0 or self._random.random() >= rate:
            return None
        self.faults[service] += 1
        body = b'{"__type": "ServiceUnavailable", "message": "injected fault"}'
        if service in ("s3", "sns"):
            body = b"<Error><Code>ServiceUnavailable</Code><Message>injected fault</Message></Error>"
        # botocore wraps any mapping in its HeadersDict; the stubs ask for HTTPHeaders.
        return AWSResponse(request.url, 503, {"Content-Type": "application/json"}, _Body(body))  # type: ignore[arg-type]

    def _capture_events(self, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        params = context["sandbox_params"]
        for entry, result in zip(params.get("Entries", []), parsed.get("Entries", []), strict=False):
            if result.get("EventId"):
                self.events.append(
                    {
                        "id": result["EventId"],
                        "source": entry["Source"],
                        "detail-type": entry["DetailType"],
                        "resources": entry.get("Resources", []),
                        "detail": json.loads(entry["Detail"]),
                    }
                )

    def _capture_notification(self, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        params = context["sandbox_params"]
        if not parsed.get("MessageId"):
            return
        message = json.loads(params["Message"]) if params.get("MessageStructure") == "json" else params["Message"]
        self.notified_at.append(now())  # the handlers' clock: scenario time in the sandbox
        if self.invocation is not None:
            self.invocation.published += 1
        self.notifications.append(
            {
                "subject": params.get("Subject"),
                "message": message,
                "attributes": {
                    name: value.get("StringValue") for name, value in params.get("MessageAttributes", {}).items()
                },
            }
        )
