"""A local SageMaker AutoML endpoint that serves a scenario's job timelines.

moto's SageMaker has no DescribeAutoMLJob or ListCandidatesForAutoMLJob (docs/design.md §6.1), so the
sandbox points boto3 at this server instead (`AWS_ENDPOINT_URL_SAGEMAKER`). It speaks the real
SageMaker JSON 1.1 protocol, so the handlers run unchanged against it: POST / with
`X-Amz-Target: SageMaker.<Operation>`, JSON bodies, epoch-second timestamps and JSON errors that
botocore turns into ClientError.

Every request is checked against the operation's input shape and every response against its output
shape, both from botocore's service model: a simulator bug fails loudly instead of feeding the
pipeline something AWS would never send.

In the organization mode (a scenario's `hub`), each caller sees only the jobs of its own place, as each
account and region's SageMaker does: the account from the header the sandbox's sessions mark every request
with (sandbox/aws_hooks.py), the region from the credential scope of the request's SigV4 signature; a
request that says neither is the scenario's place's. Without a hub every job runs at one place, and every
caller sees them all.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import json
import logging
import random
import re
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from botocore.model import ListShape, MapShape, Shape, StructureShape

from autopilot_reports.models.place import JobRef
from sandbox import cost_figures
from sandbox.aws_hooks import ACCOUNT_HEADER
from sandbox.loopback import LOOPBACK, REFUSED_STATUS, refusal
from sandbox.place import Place
from sandbox.scenario import (
    Scenario,
    ScenarioJob,
    ShapeError,
    parse_timestamp,
    pricing_model,
    sagemaker_model,
    validate_shape,
)
from sandbox.timeline import DEFAULT_TICK_SECONDS

__all__ = ["AutoMLSimulator", "SimulatorBugError", "v1_to_v2_describe"]

logger = logging.getLogger(__name__)

TARGET_PREFIX = "SageMaker."
PRICING_TARGET_PREFIX = "AWSPriceListService."  # the Price List Query API, answered here too (its endpoint)
CONTENT_TYPE = "application/x-amz-json-1.1"
DEFAULT_MAX_RESULTS = 10
_POLL_SECONDS = 0.05  # how soon stop() is noticed; the stdlib default of 0.5 s slows every test teardown

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_SECOND = timedelta(seconds=1)

Params = dict[str, Any]
Response = dict[str, Any]
Operation = Callable[[Params, int, "Place | None"], Response]  # (request, tick, the caller's place or None: all)
# SigV4: `Authorization: AWS4-HMAC-SHA256 Credential=<key id>/<date>/<region>/<service>/aws4_request, ...`
_CREDENTIAL_SCOPE = re.compile(r"Credential=[^/,\s]+/\d{8}/(?P<region>[a-z0-9-]+)/")


class ApiError(Exception):
    """An error answered to the client as `{"__type": code, "message": ...}`."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


class SimulatorBugError(RuntimeError):
    """The simulator produced a response that botocore's service model rejects."""


class AutoMLSimulator:
    """Serves a Scenario over HTTP on 127.0.0.1; `tick` selects each job's describe[min(tick, last)]."""

    def __init__(self, scenario: Scenario, tick_seconds: int = DEFAULT_TICK_SECONDS) -> None:
        self.scenario = scenario
        self.timeline = scenario.timeline(tick_seconds)
        self.calls: Counter[str] = Counter()
        self.faults_injected = 0
        self.errors: list[str] = []  # simulator bugs: responses that failed output validation
        self._jobs: dict[JobRef, ScenarioJob] = {scenario.ref(job): job for job in scenario.jobs}
        self._by_place = scenario.hub is not None  # each caller sees its own place's jobs only
        self._tick = 0
        self._rng = random.Random(scenario.delivery.seed)
        self._lock = threading.Lock()
        self._v2_views: dict[tuple[JobRef, int], Response] = {}
        self._listed: dict[tuple[JobRef, int], _Listed] = {}  # (job, timeline entry) -> its listing row
        # (tick, the caller's place, query) -> every matching summary
        self._listings: dict[tuple[int, Place | None, str], list[Response]] = {}
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._operations: dict[str, Operation] = {
            "DescribeAutoMLJob": self._describe_v1,
            "DescribeAutoMLJobV2": self._describe_v2,
            "ListAutoMLJobs": self._list_jobs,
            "ListCandidatesForAutoMLJob": self._list_candidates,
            "CreateAutoMLJob": self._create,
            "CreateAutoMLJobV2": self._create,
            "StopAutoMLJob": self._stop_job,
            # a job's child jobs, what its cost is computed from (sandbox/cost_figures.py)
            **{
                operation: functools.partial(self._describe_child, operation)
                for operation in cost_figures.KIND_OF_OPERATION
            },
        }
        self._children = cost_figures.ChildJobs(scenario.jobs)
        self._prices = cost_figures.PriceList(scenario.prices)

    @property
    def operations(self) -> frozenset[str]:
        """The SageMaker operations this simulator answers (a served sandbox's front routes them here)."""
        return frozenset(self._operations)

    # ---------------------------------------------------------------------------------------------
    # Lifecycle and state

    @property
    def tick(self) -> int:
        return self._tick

    @tick.setter
    def tick(self, value: int) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"tick must be a non-negative integer, got {value!r}")
        self._tick = value

    @property
    def endpoint_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the simulator is not running; call start() first")
        return f"http://{LOOPBACK}:{self._server.server_address[1]}"

    def start(self) -> str:
        """Listen on a free loopback port; return the endpoint URL for boto3's `endpoint_url`."""
        if self._server is None:
            self._server = _Server((LOOPBACK, 0), _Handler, self)
            self._thread = threading.Thread(
                target=self._server.serve_forever, args=(_POLL_SECONDS,), name="automl-simulator", daemon=True
            )
            self._thread.start()
        return self.endpoint_url

    def stop(self) -> None:
        """Stop serving. Raises SimulatorBugError if any response failed validation while running."""
        self._shutdown()
        if self.errors:
            raise SimulatorBugError(f"{len(self.errors)} invalid simulator response(s); first: {self.errors[0]}")

    def _shutdown(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join()

    def __enter__(self) -> AutoMLSimulator:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc is None:
            self.stop()
        else:
            self._shutdown()  # the exception in flight says more than a later bug report would

    def reset_calls(self) -> None:
        """Zero `calls` and `faults_injected` (e.g. between measured phases)."""
        with self._lock:
            self.calls.clear()
            self.faults_injected = 0

    # ---------------------------------------------------------------------------------------------
    # Request handling (transport-independent; the HTTP handler only moves bytes)

    def handle(self, target: str, body: bytes, caller: Place | None = None) -> tuple[int, Response]:
        """Answer one request, given its X-Amz-Target header and body, for `caller` (where the request
        comes from; None: the scenario's place): (HTTP status, JSON body)."""
        # Only "SageMaker.<Operation>" names an operation; anything else is unknown, even a bare name.
        operation = target.removeprefix(TARGET_PREFIX) if target.startswith(TARGET_PREFIX) else ""
        try:
            if target == f"{PRICING_TARGET_PREFIX}GetProducts":
                return 200, self._get_products(body)
            return 200, self._dispatch(target, operation, body, self._view(caller))
        except ApiError as error:
            return error.status, {"__type": error.code, "message": error.message}
        except Exception as error:  # a crash is a simulator bug: answer like AWS, and remember it
            logger.exception("simulator bug while serving %s", target)
            with self._lock:
                self.errors.append(f"{target}: {type(error).__name__}: {error}")
            return 500, {"__type": "InternalFailure", "message": f"simulator bug: {error}"}

    def _view(self, caller: Place | None) -> Place | None:
        """Whose jobs the caller sees: its own place's in the organization mode; else every job (None)."""
        return (caller or self.scenario.place) if self._by_place else None

    def _dispatch(self, target: str, operation: str, body: bytes, view: Place | None) -> Response:
        handler = self._operations.get(operation)
        if handler is None:
            with self._lock:
                self.calls[target] += 1  # visible in the cost count: calling it is a caller bug
            raise ApiError("UnknownOperationException", f"Unknown operation {target!r}")
        if self._inject_fault(operation):
            raise ApiError("ThrottlingException", "Rate exceeded")
        operation_model = sagemaker_model().operation_model(operation)
        params = _parse_body(body)
        _validate_request(params, operation_model.input_shape)
        # One tick per request, so a concurrent tick change cannot mix two states in one answer.
        result = handler(params, self._tick, view)
        output_shape = operation_model.output_shape
        if output_shape is None:
            return result
        self._check_response(operation, result, output_shape)
        wire: Response = _to_wire(result, output_shape)
        return wire

    def _get_products(self, body: bytes) -> Response:
        """The Price List API's GetProducts: checked against its own model, answered from `prices`."""
        with self._lock:
            self.calls["GetProducts"] += 1
        operation_model = pricing_model().operation_model("GetProducts")
        params = _parse_body(body)
        _validate_request(params, operation_model.input_shape)
        try:
            result = self._prices.get_products(params)
        except cost_figures.FigureError as error:
            raise ApiError(error.code, error.message) from None
        assert operation_model.output_shape is not None
        self._check_response("GetProducts", result, operation_model.output_shape)
        return result

    def _inject_fault(self, operation: str) -> bool:
        probability = self.scenario.delivery.faults.sagemaker
        with self._lock:
            # Drawn under the lock so a seed reproduces the same fault sequence for the same call order.
            fault = probability > 0 and self._rng.random() < probability
            if fault:
                self.faults_injected += 1
            else:
                self.calls[operation] += 1
        return fault

    def _check_response(self, operation: str, result: Response, shape: Shape) -> None:
        """Responses are as open as AWS's: an unlisted enum value or a missing required member (counted when
        the scenario was loaded) is served; anything else that does not fit is a simulator bug."""
        try:
            validate_shape(result, shape, unlisted=Counter(), missing=Counter())
        except ShapeError as error:
            message = f"{operation} response does not fit {shape.name}: {error}"
            logger.error("simulator bug: %s", message)
            with self._lock:
                self.errors.append(message)
            raise ApiError("InternalFailure", f"simulator bug: {message}", status=500) from None

    # ---------------------------------------------------------------------------------------------
    # Operations. Results use the scenario's form (ISO timestamps); _to_wire converts them.

    def _describe_v1(self, params: Params, tick: int, view: Place | None) -> Response:
        job, index = self._shown(params["AutoMLJobName"], tick, view)
        if job.api == "v2":
            raise ApiError(
                "ValidationException",
                f"AutoML job {job.name} was created with CreateAutoMLJobV2 and cannot be described by "
                "DescribeAutoMLJob. Use DescribeAutoMLJobV2.",
            )
        return job.describe[index]

    def _describe_v2(self, params: Params, tick: int, view: Place | None) -> Response:
        job, index = self._shown(params["AutoMLJobName"], tick, view)
        if job.api == "v2":
            return job.describe[index]
        key = (self.scenario.ref(job), index)
        described = self._v2_views.get(key)
        if described is None:
            described = self._v2_views[key] = v1_to_v2_describe(job.describe[index])
        return described

    def _list_jobs(self, params: Params, tick: int, view: Place | None) -> Response:
        page, token = _paginate("ListAutoMLJobs", params, self._matching_jobs(params, tick, view))
        return _with_token({"AutoMLJobSummaries": page}, token)

    def _matching_jobs(self, params: Params, tick: int, view: Place | None) -> list[Response]:
        """Every summary the listing matches at `tick`, in its order. What a tick shows never changes, so
        each listing (tick, query) is built once and its later pages are slices of it: a listing of N
        jobs costs O(N) once, not O(N) a page (the watcher pages through every job changed in the
        overlap, on every tick and every nudge)."""
        key = (tick, view, _fingerprint("ListAutoMLJobs", params))
        matching = self._listings.get(key)
        if matching is None:
            rows = self._rows(tick, view)
            if rows:  # bounds are parsed (and refused) as before: only when some job could match
                bounds = _time_bounds(params)
                rows = [row for row in rows if _job_matches(row, bounds, params)]
            # The service model documents Name and Descending as ListAutoMLJobs' defaults.
            rows.sort(key=_JOB_SORT_KEYS[params.get("SortBy", "Name")], reverse=_descending(params, "Descending"))
            matching = [row.summary for row in rows]
            with self._lock:
                if any(listed_tick != tick for listed_tick, _, _ in self._listings):
                    self._listings.clear()  # only the current tick's listings are asked for again
                self._listings[key] = matching
        return matching

    def _rows(self, tick: int, view: Place | None) -> list[_Listed]:
        """Each job that exists at `tick` (at `view`, where given) as ListAutoMLJobs shows it; a row is
        built once per entry."""
        rows = []
        for ref, job in self._jobs.items():
            if view is not None and ref.place != view:
                continue
            index = self.timeline.shown(ref, tick)
            if index is None:
                continue
            row = self._listed.get((ref, index))
            if row is None:
                row = self._listed[(ref, index)] = _Listed.of(job.describe[index])
            rows.append(row)
        return rows

    def _list_candidates(self, params: Params, tick: int, view: Place | None) -> Response:
        job, index = self._shown(params["AutoMLJobName"], tick, view)
        # Consistent with the job's current describe: a candidate exists once it has been created.
        now = parse_timestamp(job.describe[index]["LastModifiedTime"])
        visible = [c for c in job.candidates if parse_timestamp(c["CreationTime"]) <= now]
        matching = [c for c in visible if _candidate_matches(c, params)]
        # The service model documents Ascending as the default order; it names no default SortBy.
        ordered = _sort_candidates(matching, params.get("SortBy", "CreationTime"), _descending(params, "Ascending"))
        page, token = _paginate("ListCandidatesForAutoMLJob", params, ordered)
        return _with_token({"Candidates": page}, token)

    def _describe_child(self, operation: str, params: Params, tick: int, view: Place | None) -> Response:
        """Child jobs are found by name at the caller's place, as its AutoML jobs are."""
        try:
            return self._children.describe(operation, params, view)
        except cost_figures.FigureError as error:
            raise ApiError(error.code, error.message) from None

    def _create(self, params: Params, tick: int, view: Place | None) -> Response:
        name = params["AutoMLJobName"]
        job = self._find(name, view)
        if job is None:
            raise ApiError("ValidationException", f"job not in scenario: {name}")
        return {"AutoMLJobArn": job.describe[0]["AutoMLJobArn"]}

    def _stop_job(self, params: Params, tick: int, view: Place | None) -> Response:
        self._job(params["AutoMLJobName"], view)
        return {}

    def _find(self, name: str, view: Place | None) -> ScenarioJob | None:
        """The job of that name at `view`; with no view, the one job of that name (one place, unique names)."""
        if view is not None:
            return self._jobs.get(JobRef(view, name))
        return self.scenario.job(name)

    def _job(self, name: str, view: Place | None) -> ScenarioJob:
        job = self._find(name, view)
        if job is None:
            raise ApiError("ResourceNotFound", f"Could not find AutoML job with name {name}.")
        return job

    def _shown(self, name: str, tick: int, view: Place | None) -> tuple[ScenarioJob, int]:
        """The job and the entry of its timeline it shows at `tick`; a job not created yet is not found."""
        job = self._job(name, view)
        index = self.timeline.shown(self.scenario.ref(job), tick)
        if index is None:
            raise ApiError("ResourceNotFound", f"Could not find AutoML job with name {name}.")
        return job, index


# -------------------------------------------------------------------------------------------------
# Requests and wire format


def _parse_body(body: bytes) -> Params:
    if not body.strip():
        return {}
    try:
        params = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ApiError("SerializationException", f"Request body is not valid JSON: {error}") from None
    if not isinstance(params, dict):
        raise ApiError("SerializationException", "Request body must be a JSON object")
    return params


def _validate_request(params: Params, shape: Shape | None) -> None:
    if shape is None:
        return
    try:
        validate_shape(params, shape, epoch_timestamps=True, strict_enums=True)
    except ShapeError as error:
        raise ApiError("ValidationException", f"1 validation error detected: {error}") from None


def _to_wire(value: Any, shape: Shape) -> Any:
    """Scenario form → JSON protocol form: timestamps become epoch seconds (floats)."""
    kind = shape.type_name
    if kind == "timestamp":
        return (parse_timestamp(value) - _EPOCH) / _ONE_SECOND
    if kind == "structure":
        assert isinstance(shape, StructureShape)
        members = shape.members
        return {name: _to_wire(item, members[name]) for name, item in value.items()}
    if kind == "list":
        assert isinstance(shape, ListShape)
        return [_to_wire(item, shape.member) for item in value]
    if kind == "map":
        assert isinstance(shape, MapShape)
        return {key: _to_wire(item, shape.value) for key, item in value.items()}
    return value


def _request_time(value: Any) -> datetime:
    """A timestamp parameter: botocore sends epoch seconds; hand-written requests may send ISO strings."""
    try:
        return _EPOCH + timedelta(seconds=value) if isinstance(value, int | float) else parse_timestamp(value)
    except (OverflowError, ValueError) as error:
        raise ApiError(
            "ValidationException", f"1 validation error detected: invalid timestamp {value!r}: {error}"
        ) from None


# -------------------------------------------------------------------------------------------------
# Listing: filters, sorting, pagination


@dataclass(frozen=True)
class _Listed:
    """A job's AutoMLJobSummary at one entry of its timeline, with what listings filter and sort on
    parsed once."""

    summary: Response
    name: str
    status: str
    times: Mapping[str, datetime]  # CreationTime, LastModifiedTime

    @classmethod
    def of(cls, describe: Mapping[str, Any]) -> _Listed:
        summary = {name: describe[name] for name in _member_names("AutoMLJobSummary") if name in describe}
        times = {member: parse_timestamp(summary[member]) for member in ("CreationTime", "LastModifiedTime")}
        return cls(summary, summary["AutoMLJobName"], summary["AutoMLJobStatus"], times)


@cache
def _member_names(shape_name: str) -> tuple[str, ...]:
    # Cached: botocore builds a fresh Shape object on every shape_for() call.
    shape = sagemaker_model().shape_for(shape_name)
    assert isinstance(shape, StructureShape)
    return tuple(shape.members)


_TIME_FILTERS: tuple[tuple[str, str, bool], ...] = (
    ("CreationTimeAfter", "CreationTime", True),
    ("CreationTimeBefore", "CreationTime", False),
    ("LastModifiedTimeAfter", "LastModifiedTime", True),
    ("LastModifiedTimeBefore", "LastModifiedTime", False),
)


def _time_bounds(params: Params) -> list[tuple[str, bool, datetime]]:
    """The listing's time filters, parsed once: (member, after, bound)."""
    return [
        (member, after, _request_time(params[parameter]))
        for parameter, member, after in _TIME_FILTERS
        if parameter in params
    ]


def _job_matches(row: _Listed, bounds: list[tuple[str, bool, datetime]], params: Params) -> bool:
    for member, after, bound in bounds:
        moment = row.times[member]
        if not (moment > bound if after else moment < bound):
            return False
    if "NameContains" in params and params["NameContains"].lower() not in row.name.lower():
        return False
    return "StatusEquals" not in params or row.status == params["StatusEquals"]


# Every key ends in the (unique) name, so the order is total and pages never overlap or skip.
_JOB_SORT_KEYS: dict[str, Callable[[_Listed], tuple[Any, ...]]] = {
    "Name": lambda row: (row.name,),
    "CreationTime": lambda row: (row.times["CreationTime"], row.name),
    "Status": lambda row: (row.status, row.name),
}


def _descending(params: Params, default: str) -> bool:
    return bool(params.get("SortOrder", default) == "Descending")


def _candidate_matches(candidate: Mapping[str, Any], params: Params) -> bool:
    if "StatusEquals" in params and candidate["CandidateStatus"] != params["StatusEquals"]:
        return False
    return "CandidateNameEquals" not in params or candidate["CandidateName"] == params["CandidateNameEquals"]


def _sort_candidates(candidates: list[Response], sort_by: str, descending: bool) -> list[Response]:
    if sort_by == "FinalObjectiveMetricValue":
        # Candidates without a metric (failed, still running) have no place on the scale: list them
        # last in either order rather than inventing a value for them.
        scored = [c for c in candidates if "FinalAutoMLJobObjectiveMetric" in c]
        unscored = [c for c in candidates if "FinalAutoMLJobObjectiveMetric" not in c]
        scored.sort(key=lambda c: (c["FinalAutoMLJobObjectiveMetric"]["Value"], c["CandidateName"]), reverse=descending)
        unscored.sort(key=lambda c: c["CandidateName"], reverse=descending)
        return scored + unscored
    if sort_by == "Status":
        return sorted(candidates, key=lambda c: (c["CandidateStatus"], c["CandidateName"]), reverse=descending)
    return sorted(
        candidates, key=lambda c: (parse_timestamp(c["CreationTime"]), c["CandidateName"]), reverse=descending
    )


def _paginate(operation: str, params: Params, items: list[Response]) -> tuple[list[Response], str | None]:
    """One page of `items` and the token for the next, if any. MaxResults' range is checked by the model."""
    limit = params.get("MaxResults", DEFAULT_MAX_RESULTS)
    fingerprint = _fingerprint(operation, params)
    offset = _decode_token(params["NextToken"], fingerprint) if params.get("NextToken") else 0
    end = offset + limit
    return items[offset:end], _encode_token(end, fingerprint) if end < len(items) else None


def _fingerprint(operation: str, params: Params) -> str:
    # A token only continues the listing it came from; MaxResults may change between pages, as on AWS.
    query = {key: value for key, value in params.items() if key not in ("NextToken", "MaxResults")}
    canonical = json.dumps([operation, query], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def _encode_token(offset: int, fingerprint: str) -> str:
    raw = json.dumps({"offset": offset, "query": fingerprint}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode("ascii")


def _decode_token(token: str, fingerprint: str) -> int:
    try:
        decoded = json.loads(base64.urlsafe_b64decode(token.encode("ascii")))
        offset, query = decoded["offset"], decoded["query"]
    except (UnicodeError, binascii.Error, ValueError, TypeError, KeyError):
        raise ApiError("ValidationException", "Invalid NextToken: not a token this service issued") from None
    if query != fingerprint:
        raise ApiError("ValidationException", "Invalid NextToken: it belongs to a request with other parameters")
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise ApiError("ValidationException", "Invalid NextToken: bad offset")
    return offset


def _with_token(response: Response, token: str | None) -> Response:
    if token is not None:
        response["NextToken"] = token
    return response


# -------------------------------------------------------------------------------------------------
# DescribeAutoMLJobV2 of a job created with CreateAutoMLJob


def v1_to_v2_describe(describe: Mapping[str, Any]) -> Response:
    """A best-effort DescribeAutoMLJobV2 view of a DescribeAutoMLJob response.

    AWS documents that DescribeAutoMLJobV2 also describes V1 jobs, as a Tabular problem. Members with
    the same shape in both responses are copied; the V1-only ones are moved to their V2 homes.
    """
    model = sagemaker_model()
    v1_shape = model.shape_for("DescribeAutoMLJobResponse")
    v2_shape = model.shape_for("DescribeAutoMLJobV2Response")
    assert isinstance(v1_shape, StructureShape) and isinstance(v2_shape, StructureShape)
    v1_members, v2_members = v1_shape.members, v2_shape.members
    view = {
        name: value
        for name, value in describe.items()
        if name in v2_members and v1_members[name].name == v2_members[name].name
    }
    channels = describe["InputDataConfig"]
    view["AutoMLJobInputDataConfig"] = [_only_members(channel, "AutoMLJobChannel") for channel in channels]
    config = describe.get("AutoMLJobConfig", {})
    view["AutoMLProblemTypeConfig"] = {"TabularJobConfig": _tabular_config(describe, config, _training(channels))}
    view["AutoMLProblemTypeConfigName"] = "Tabular"
    for name in ("DataSplitConfig", "SecurityConfig"):
        if name in config:
            view[name] = config[name]
    if "ResolvedAttributes" in describe:
        view["ResolvedAttributes"] = _resolved_v2(describe["ResolvedAttributes"])
    return view


def _only_members(value: Mapping[str, Any], shape_name: str) -> Response:
    members = _member_names(shape_name)
    return {name: item for name, item in value.items() if name in members}


def _training(channels: list[Mapping[str, Any]]) -> Mapping[str, Any]:
    # ChannelType defaults to training; the target attribute lives on the training channel.
    return next((c for c in channels if c.get("ChannelType", "training") == "training"), channels[0])


def _tabular_config(describe: Mapping[str, Any], config: Mapping[str, Any], training: Mapping[str, Any]) -> Response:
    tabular: Response = {"TargetAttributeName": training["TargetAttributeName"]}
    if "SampleWeightAttributeName" in training:
        tabular["SampleWeightAttributeName"] = training["SampleWeightAttributeName"]
    generation = config.get("CandidateGenerationConfig", {})
    if "AlgorithmsConfig" in generation:
        tabular["CandidateGenerationConfig"] = {"AlgorithmsConfig": generation["AlgorithmsConfig"]}
    if "FeatureSpecificationS3Uri" in generation:
        tabular["FeatureSpecificationS3Uri"] = generation["FeatureSpecificationS3Uri"]
    for name in ("CompletionCriteria", "Mode"):
        if name in config:
            tabular[name] = config[name]
    for name in ("ProblemType", "GenerateCandidateDefinitionsOnly"):
        if name in describe:
            tabular[name] = describe[name]
    return tabular


def _resolved_v2(resolved: Mapping[str, Any]) -> Response:
    view = {name: resolved[name] for name in ("AutoMLJobObjective", "CompletionCriteria") if name in resolved}
    if "ProblemType" in resolved:
        view["AutoMLProblemTypeResolvedAttributes"] = {
            "TabularResolvedAttributes": {"ProblemType": resolved["ProblemType"]}
        }
    return view


# -------------------------------------------------------------------------------------------------
# HTTP transport


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], simulator: AutoMLSimulator):
        self.simulator = simulator
        super().__init__(address, handler)


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.1 keeps botocore's pooled connections alive; every response sends Content-Length.
    protocol_version = "HTTP/1.1"
    server: _Server
    timeout = 30  # idle keep-alive connections do not pin a thread forever
    # Headers and body go out in separate writes; with Nagle's algorithm on, the body then waits for
    # the client's delayed ACK (~40 ms per request).
    disable_nagle_algorithm = True

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        if self._refused():
            return
        status, payload = self.server.simulator.handle(self.headers.get("X-Amz-Target", ""), body, self._caller())
        self._send(status, payload)

    def _caller(self) -> Place | None:
        """Where the request comes from: the account the sandbox's sessions mark it with, the region its
        signature's credential scope names; None when it says neither (a hand-made request)."""
        account = self.headers.get(ACCOUNT_HEADER)
        scope = _CREDENTIAL_SCOPE.search(self.headers.get("Authorization", ""))
        if account is None and scope is None:
            return None
        simulator = self.server.simulator
        return Place(account or simulator.scenario.account, scope["region"] if scope else simulator.scenario.region)

    def do_GET(self) -> None:
        if self._refused():
            return
        self._send(400, {"__type": "UnknownOperationException", "message": "SageMaker accepts POST requests only"})

    do_OPTIONS = do_PUT = do_DELETE = do_PATCH = do_GET

    def _refused(self) -> bool:
        """Local tools only (sandbox/loopback.py): the loopback Host of this port, and no Origin."""
        reason = refusal(self.headers, self.path, self.server.server_address[1])
        if reason is None:
            return False
        self._send(REFUSED_STATUS, {"__type": "AccessDeniedException", "message": reason})
        return True

    def _send(self, status: int, payload: Response) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", CONTENT_TYPE)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the stdlib's signature)
        logger.debug("%s " + format, self.address_string(), *args)
