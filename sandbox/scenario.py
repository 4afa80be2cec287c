"""Scenario files: the AutoML simulator's input (docs/design.md §6.2, a public contract).

A scenario holds each job's timeline as real API responses. Every response is checked against
botocore's SageMaker service model, so a scenario that AWS could not return is refused up front with
an error naming the job, the tick (describe index) and the field, instead of surfacing later as a
puzzling failure deep inside a handler.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, Literal

import botocore.session
from botocore.model import ListShape, MapShape, ServiceModel, Shape, StructureShape
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

from autopilot_reports.constants import AWS_REGION_PATTERN
from autopilot_reports.models.place import InvalidJobArnError, JobRef
from sandbox.place import (
    ACCOUNT_PATTERN,
    DEFAULT_ACCOUNT,
    ORGANIZATION_ID_PATTERN,
    SANDBOX_ORGANIZATION_ID,
    Place,
)
from sandbox.timeline import DEFAULT_TICK_SECONDS, Timeline, first_shown

__all__ = [
    "Backfill",
    "Delivery",
    "Faults",
    "Hub",
    "LambdaQuotas",
    "Scenario",
    "ScenarioError",
    "ScenarioJob",
    "ShapeError",
    "SilentSpoke",
    "load_scenario",
    "parse_timestamp",
    "pricing_model",
    "sagemaker_model",
    "validate_shape",
]

DESCRIBE_SHAPES: dict[str, str] = {"v1": "DescribeAutoMLJobResponse", "v2": "DescribeAutoMLJobV2Response"}
CANDIDATE_SHAPE = "AutoMLCandidate"
# A job's child jobs (`children`), by the resource type of their ARN: the Describe response's shape, and its
# members that name the job (docs/design.md §6.2).
CHILD_SHAPES: dict[str, tuple[str, str, str]] = {
    "training-job": ("DescribeTrainingJobResponse", "TrainingJobArn", "TrainingJobName"),
    "processing-job": ("DescribeProcessingJobResponse", "ProcessingJobArn", "ProcessingJobName"),
    "transform-job": ("DescribeTransformJobResponse", "TransformJobArn", "TransformJobName"),
}
CHILD_ARN = re.compile(r"arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:\d{12}:(training-job|processing-job|transform-job)/(.+)")
PRICES_SHAPE = "GetProductsResponse"

# S3 bucket naming rules (3-63 chars of lowercase letters, digits, dots and hyphens) plus a non-empty key.
_S3_URI = re.compile(r"s3://[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]/.+", re.DOTALL)
_MAX_SHOWN = 60


class ScenarioError(ValueError):
    """A scenario that cannot be loaded or that AWS could not have returned."""


class ShapeError(ValueError):
    """A value that does not fit a botocore shape; `path` is the member path, e.g. `BestCandidate.Value`."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path or '<root>'}: {problem}")
        self.path = path
        self.problem = problem


@lru_cache(maxsize=1)
def sagemaker_model() -> ServiceModel:
    """The SageMaker service model of the installed botocore (loaded once: it is large)."""
    return botocore.session.get_session().get_service_model("sagemaker")


@lru_cache(maxsize=1)
def pricing_model() -> ServiceModel:
    """The Price List Query API's service model (`prices` answer its GetProducts)."""
    return botocore.session.get_session().get_service_model("pricing")


def parse_timestamp(value: object) -> datetime:
    """Parse an ISO 8601 string into an aware datetime; naive values are taken as UTC.

    Raises ValueError for anything else, including bare numbers: scenario datetimes are ISO strings.
    """
    if not isinstance(value, str):
        raise ValueError(f"expected an ISO 8601 timestamp string, got {_show(value)}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"expected an ISO 8601 timestamp string, got {_show(value)}") from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


# --------------------------------------------------------------------------------------------------
# Shape validation


@dataclass(frozen=True)
class _Options:
    epoch: bool  # requests off the wire: epoch-second timestamps are accepted too
    unlisted: Counter[str] | None  # enum values botocore does not list, counted where asked
    strict_enums: bool  # requests: AWS refuses a value its own API does not define
    missing: Counter[str] | None  # responses: required members AWS left out, counted (None: refused)
    root: str  # the shape validated, which names the counted paths


def validate_shape(
    value: Any,
    shape: Shape,
    path: str = "",
    *,
    epoch_timestamps: bool = False,
    unlisted: Counter[str] | None = None,
    strict_enums: bool = False,
    missing: Counter[str] | None = None,
) -> None:
    """Check `value` (parsed JSON) against a botocore shape; raise ShapeError at the first mismatch.

    Shapes, types, required members, sizes and patterns are checked. Enums are open, as in every AWS
    SDK: AWS returns values botocore does not list (objective names such as `validation:f1_binary`,
    `LogLoss`, `MergingAutoMLTaskReports`), so such a value is accepted and counted in `unlisted`
    (`"<shape>=<value>"`); `strict_enums` (a request to the simulator) refuses them, as AWS refuses a
    request its API does not define. botocore's `required` is as advisory for responses as its enums
    (a 2024 time-series best candidate has no Explainability location): with `missing` (a response),
    a required member that is absent is accepted and counted by its shape path
    (`"<shape>.<member>.<member>"`, list positions dropped); without it (a request) it is refused.
    Timestamps must be ISO 8601 strings; with `epoch_timestamps` (requests off the wire) epoch numbers
    are accepted too.
    """
    _validate(value, shape, path, _Options(epoch_timestamps, unlisted, strict_enums, missing, shape.name))


def _validate(value: Any, shape: Shape, path: str, options: _Options) -> None:
    checker = _CHECKERS.get(shape.type_name)
    if checker is None:
        raise ShapeError(path, f"unsupported shape type {shape.type_name!r} ({shape.name})")
    checker(value, shape, path, options)


def _check_structure(value: Any, shape: Shape, path: str, options: _Options) -> None:
    if not isinstance(value, dict):
        raise ShapeError(path, f"expected an object ({shape.name}), got {_show(value)}")
    assert isinstance(shape, StructureShape)
    members = shape.members
    for name, member_value in value.items():
        member_path = f"{path}.{name}" if path else str(name)
        if name not in members:
            raise ShapeError(member_path, f"unknown member of {shape.name}")
        _validate(member_value, members[name], member_path, options)
    for name in shape.required_members:
        if name not in value:
            member_path = f"{path}.{name}" if path else name
            if options.missing is None:
                raise ShapeError(member_path, "missing required member")
            options.missing[f"{options.root}.{shape_path(member_path)}"] += 1
    if shape.metadata.get("union") and len(value) != 1:
        raise ShapeError(path, f"{shape.name} is a union: set exactly one member, got {sorted(value)}")


_POSITION = re.compile(r"\[[^\]]*\]")


def shape_path(member_path: str) -> str:
    """`BestCandidate.Steps[3].Name` → `BestCandidate.Steps.Name`: one count for every list position and
    map key."""
    return _POSITION.sub("", member_path)


def _check_list(value: Any, shape: Shape, path: str, options: _Options) -> None:
    if not isinstance(value, list):
        raise ShapeError(path, f"expected a list, got {_show(value)}")
    _check_size(len(value), shape, path, "items")
    assert isinstance(shape, ListShape)
    for index, item in enumerate(value):
        _validate(item, shape.member, f"{path}[{index}]", options)


def _check_map(value: Any, shape: Shape, path: str, options: _Options) -> None:
    if not isinstance(value, dict):
        raise ShapeError(path, f"expected an object (map), got {_show(value)}")
    _check_size(len(value), shape, path, "entries")
    assert isinstance(shape, MapShape)
    for key, item in value.items():
        item_path = f"{path}[{key!r}]"
        _validate(key, shape.key, item_path, options)
        _validate(item, shape.value, item_path, options)


def _check_string(value: Any, shape: Shape, path: str, options: _Options) -> None:
    if not isinstance(value, str):
        raise ShapeError(path, f"expected a string, got {_show(value)}")
    enum = shape.metadata.get("enum")
    if enum and value not in enum:
        if options.strict_enums:
            raise ShapeError(path, f"{_show(value)} is not one of {enum}")
        if options.unlisted is not None:
            options.unlisted[f"{shape.name}={value}"] += 1
    _check_size(len(value), shape, path, "characters")
    pattern = _pattern(shape.metadata.get("pattern"))
    if pattern is not None and not pattern.search(value):
        raise ShapeError(path, f"{_show(value)} does not match the pattern {pattern.pattern!r} of {shape.name}")


@cache
def _pattern(source: str | None) -> re.Pattern[str] | None:
    """A shape's pattern; Smithy patterns are ECMA 262 regexes, not implicitly anchored (hence search).
    One that Python cannot compile is not checked rather than guessed at."""
    if not source:
        return None
    try:
        return re.compile(source)
    except re.error:
        return None


def _check_integer(value: Any, shape: Shape, path: str, options: _Options) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ShapeError(path, f"expected an integer, got {_show(value)}")
    _check_range(value, shape, path)


def _check_number(value: Any, shape: Shape, path: str, options: _Options) -> None:
    # JSON has one number type: AWS sends 1 as well as 1.0 for a float member. bool is an int
    # subclass in Python, so exclude it explicitly.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ShapeError(path, f"expected a number, got {_show(value)}")
    if not math.isfinite(value):
        raise ShapeError(path, f"expected a finite number, got {_show(value)}")
    _check_range(value, shape, path)


def _check_boolean(value: Any, shape: Shape, path: str, options: _Options) -> None:
    if not isinstance(value, bool):
        raise ShapeError(path, f"expected a boolean, got {_show(value)}")


def _check_timestamp(value: Any, shape: Shape, path: str, options: _Options) -> None:
    if options.epoch and isinstance(value, int | float) and not isinstance(value, bool):
        return
    try:
        parse_timestamp(value)
    except ValueError as error:
        raise ShapeError(path, str(error)) from None


def _check_blob(value: Any, shape: Shape, path: str, options: _Options) -> None:
    # Blobs travel base64-encoded as JSON strings.
    if not isinstance(value, str):
        raise ShapeError(path, f"expected a base64 string, got {_show(value)}")


def _check_document(value: Any, shape: Shape, path: str, options: _Options) -> None:
    """Documents are free-form JSON."""


def _check_size(size: int, shape: Shape, path: str, unit: str) -> None:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if low is not None and size < low:
        raise ShapeError(path, f"has {size} {unit}, fewer than the minimum {low}")
    if high is not None and size > high:
        raise ShapeError(path, f"has {size} {unit}, more than the maximum {high}")


def _check_range(value: float, shape: Shape, path: str) -> None:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if low is not None and value < low:
        raise ShapeError(path, f"value {value} is below the minimum {low}")
    if high is not None and value > high:
        raise ShapeError(path, f"value {value} is above the maximum {high}")


_CHECKERS = {
    "structure": _check_structure,
    "list": _check_list,
    "map": _check_map,
    "string": _check_string,
    "integer": _check_integer,
    "long": _check_integer,
    "float": _check_number,
    "double": _check_number,
    "boolean": _check_boolean,
    "timestamp": _check_timestamp,
    "blob": _check_blob,
    "document": _check_document,
}


def _show(value: object) -> str:
    if isinstance(value, dict | list):
        return f"a JSON {'object' if isinstance(value, dict) else 'array'}"
    text = repr(value)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."


# --------------------------------------------------------------------------------------------------
# Scenario models

_STRICT = ConfigDict(extra="forbid", strict=True)
DEFAULT_DURATION_SECONDS = 1.0  # an invocation of a function the scenario's `lambda.durations` does not name
MAX_DURATION_SECONDS = 900.0


class Faults(BaseModel):
    """Per-service probability that a call fails with a transient error."""

    model_config = _STRICT

    sagemaker: float = Field(default=0.0, ge=0.0, le=1.0)
    s3: float = Field(default=0.0, ge=0.0, le=1.0)
    dynamodb: float = Field(default=0.0, ge=0.0, le=1.0)
    sns: float = Field(default=0.0, ge=0.0, le=1.0)
    events: float = Field(default=0.0, ge=0.0, le=1.0)


class Delivery(BaseModel):
    model_config = _STRICT

    duplicates: int = Field(default=0, ge=0)
    shuffle: bool = False
    seed: int = 1
    crashes: float = Field(default=0.0, ge=0.0, le=1.0)  # P(an invocation is hard-stopped after an AWS call)
    faults: Faults = Field(default_factory=Faults)


class Backfill(BaseModel):
    """At `tick`, the history import of the jobs created in [start, end), started as a user would."""

    model_config = _STRICT

    tick: int = Field(ge=0)
    start: str
    end: str

    @model_validator(mode="after")
    def _times(self) -> Backfill:
        for name in ("start", "end"):
            try:
                parse_timestamp(getattr(self, name))
            except ValueError as error:
                raise ScenarioError(f"backfills: {name}: {error}") from None
        if parse_timestamp(self.end) <= parse_timestamp(self.start):
            raise ScenarioError(f"backfills: end {self.end} is not after start {self.start}")
        return self


class DigestAt(BaseModel):
    """At `tick`, the digest runs, as its schedule would."""

    model_config = _STRICT

    tick: int = Field(ge=0)


class SilentSpoke(BaseModel):
    """From `from_tick` on, the spoke at (`account`, `region`) sends its hub nothing: its forwarder still
    puts its entries on its own bus, but its route to the hub delivers none (as if its role were deleted:
    EventBridge puts them in the route's dead-letter queue)."""

    model_config = _STRICT

    account: str = Field(pattern=ACCOUNT_PATTERN)
    region: str = Field(pattern=AWS_REGION_PATTERN)
    from_tick: int = Field(ge=0)

    @property
    def place(self) -> Place:
        return Place(self.account, self.region)


class Hub(BaseModel):
    """The organization mode: a hub at (`account`, `region`), and one spoke per place the jobs run at; every
    account of the scenario is a member of the organization `organization_id` (the one the sandbox's hub
    admits, unless the hub's template comes from elsewhere). `silent`: spokes that stop sending."""

    model_config = _STRICT

    account: str = Field(pattern=ACCOUNT_PATTERN)
    region: str = Field(pattern=AWS_REGION_PATTERN)
    organization_id: str = Field(default=SANDBOX_ORGANIZATION_ID, pattern=ORGANIZATION_ID_PATTERN)
    silent: list[SilentSpoke] = Field(default_factory=list)

    @property
    def place(self) -> Place:
        return Place(self.account, self.region)

    def silent_from(self, place: Place) -> int | None:
        """The tick from which the spoke at `place` sends nothing, or None."""
        ticks = [spoke.from_tick for spoke in self.silent if spoke.place == place]
        return min(ticks, default=None)


class LambdaQuotas(BaseModel):
    """Lambda's concurrency in scenario time (docs/design.md §6.4): the account's concurrent executions,
    shared by every function of the account, and how long an invocation of each function takes, in
    seconds of scenario time (per record for a batch from an event source mapping; a function not named
    takes `DEFAULT_DURATION_SECONDS`). Names are the functions' logical ids (`ReporterFunction`)."""

    model_config = _STRICT

    account_concurrency: int = Field(ge=1, le=10_000)
    durations: dict[str, float] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _positive(self) -> LambdaQuotas:
        for name, seconds in self.durations.items():
            if not (math.isfinite(seconds) and 0 < seconds <= MAX_DURATION_SECONDS):
                raise ScenarioError(
                    f"lambda.durations.{name}: {seconds} is not a duration in (0, {MAX_DURATION_SECONDS}] seconds "
                    "(Lambda's longest timeout)"
                )
        return self

    def duration(self, function_id: str) -> float:
        return self.durations.get(function_id, DEFAULT_DURATION_SECONDS)


class ScenarioJob(BaseModel):
    model_config = _STRICT

    api: Literal["v1", "v2"] = "v1"
    describe: list[dict[str, Any]] = Field(min_length=1)
    candidates: list[dict[str, Any]] = Field(default_factory=list)
    account: str | None = Field(default=None, pattern=ACCOUNT_PATTERN)  # where the job runs: default the
    region: str | None = Field(default=None, pattern=AWS_REGION_PATTERN)  # scenario's account and region
    # Its child jobs' Describe{Training,Processing,Transform}Job responses, by ARN (what its cost is made of)
    children: dict[str, dict[str, Any]] = Field(default_factory=dict)

    @property
    def name(self) -> str:
        """The job's AutoMLJobName (the same in every describe; checked on load)."""
        return str(self.describe[0].get("AutoMLJobName"))


class Scenario(BaseModel):
    model_config = _STRICT

    account: str = Field(default=DEFAULT_ACCOUNT, pattern=ACCOUNT_PATTERN)
    region: str = Field(default="us-east-1", pattern=AWS_REGION_PATTERN)
    jobs: list[ScenarioJob]
    objects: dict[str, Any] = Field(default_factory=dict)
    delivery: Delivery = Field(default_factory=Delivery)
    deployed_at: str | None = None  # tick 0; default: the earliest CreationTime in the scenario
    backfills: list[Backfill] = Field(default_factory=list)
    digests: list[DigestAt] = Field(default_factory=list)
    prices: dict[str, Any] | None = None  # one GetProducts response: every product GetProducts may answer with
    hub: Hub | None = None  # the organization mode: a hub and one spoke per place the jobs run at
    # `lambda` in the file (a Python keyword here); None: every invocation runs at once, as it always has
    lambda_quotas: LambdaQuotas | None = Field(default=None, alias="lambda")

    def timeline(self, tick_seconds: int = DEFAULT_TICK_SECONDS) -> Timeline:
        """When each job's responses are shown, on a clock of `tick_seconds` a tick (sandbox/timeline.py)."""
        ticks = {
            self.ref(job): first_shown(
                [parse_timestamp(response["LastModifiedTime"]) for response in job.describe],
                self.start_time,
                tick_seconds,
            )
            for job in self.jobs
        }
        return Timeline(self.start_time, tick_seconds, ticks)

    def last_tick(self, tick_seconds: int = DEFAULT_TICK_SECONDS) -> int:
        """The tick by which every timeline shows its last entry and every backfill has started."""
        return max(
            [
                self.timeline(tick_seconds).last_tick,
                *(backfill.tick for backfill in self.backfills),
                *(digest.tick for digest in self.digests),
            ]
        )

    @property
    def start_time(self) -> datetime:
        """Scenario time at tick 0."""
        if self.deployed_at is not None:
            return parse_timestamp(self.deployed_at)
        created = [parse_timestamp(job.describe[0]["CreationTime"]) for job in self.jobs]
        return min(created, default=datetime(2025, 1, 1, tzinfo=UTC))

    def job(self, name: str, place: Place | None = None) -> ScenarioJob | None:
        """The job of that name (at `place`; by default the first of that name)."""
        return next((job for job in self.jobs if job.name == name and place in (None, self.place_of(job))), None)

    @property
    def place(self) -> Place:
        """Where the scenario's standalone stack is deployed, and its jobs run unless they say otherwise."""
        return Place(self.account, self.region)

    def place_of(self, job: ScenarioJob) -> Place:
        return Place(job.account or self.account, job.region or self.region)

    def ref(self, job: ScenarioJob) -> JobRef:
        """The job as its place and name: what tells two jobs of one name apart."""
        return JobRef(self.place_of(job), job.name)

    @property
    def job_places(self) -> list[Place]:
        """Every place a job runs at, in the order the jobs first name them."""
        return list(dict.fromkeys(self.place_of(job) for job in self.jobs))

    @property
    def unlisted_enum_values(self) -> dict[str, int]:
        """Enum values the scenario's responses hold that botocore does not list (`shape=value`: count):
        accepted, as AWS returns them, and counted for summary.json."""
        return dict(sorted(self._unlisted.items()))

    @property
    def missing_required_members(self) -> dict[str, int]:
        """Members botocore calls required that the scenario's responses lack (shape path: count): accepted,
        as AWS returns them, and counted for summary.json."""
        return dict(sorted(self._missing.items()))

    _unlisted: Counter[str] = PrivateAttr(default_factory=Counter)
    _missing: Counter[str] = PrivateAttr(default_factory=Counter)

    @model_validator(mode="after")
    def _check_against_aws(self) -> Scenario:
        # Raised as ScenarioError; load_scenario unwraps it from pydantic's ValidationError so the
        # message reaches the user as written.
        for index, job in enumerate(self.jobs):
            _check_job(index, job, self._unlisted, self._missing)
        _check_unique_names(self.jobs, self.place_of)
        if self.hub is None:
            _check_one_place(self.jobs, self.place, self.place_of)
        else:
            _check_organization(self.jobs, self.hub, self.place_of)
        _check_object_keys(self.objects)
        if self.prices is not None:
            _check_prices(self.prices, self._unlisted)
        if self.deployed_at is not None:
            try:
                parse_timestamp(self.deployed_at)
            except ValueError as error:
                raise ScenarioError(f"deployed_at: {error}") from None
        return self


def _job_label(index: int, job: ScenarioJob) -> str:
    name = job.describe[0].get("AutoMLJobName")
    return f"job {name!r}" if isinstance(name, str) else f"jobs[{index}]"


# What the simulator itself reads to serve a timeline (its clock, listings and filters): a response may lack
# any other member botocore calls required, as AWS's do, but without these there is no timeline to serve.
SIMULATOR_NEEDS = {
    "describe": ("AutoMLJobName", "AutoMLJobStatus", "CreationTime", "LastModifiedTime"),
    "candidates": ("CandidateName", "CandidateStatus", "CreationTime"),
}


def _check_job(index: int, job: ScenarioJob, unlisted: Counter[str], missing: Counter[str]) -> None:
    model = sagemaker_model()
    label = _job_label(index, job)
    describe_shape = model.shape_for(DESCRIBE_SHAPES[job.api])
    for tick, response in enumerate(job.describe):
        try:
            validate_shape(response, describe_shape, unlisted=unlisted, missing=missing)
            _check_needed(response, "describe")
        except ShapeError as error:
            raise ScenarioError(f"{label} describe[{tick}]: {error}{_api_hint(job, error)}") from None
        if response["AutoMLJobName"] != job.name:
            raise ScenarioError(
                f"{label} describe[{tick}]: AutoMLJobName: {response['AutoMLJobName']!r} differs from "
                f"describe[0]'s {job.name!r}; every describe of a job must name the same job"
            )
    candidate_shape = model.shape_for(CANDIDATE_SHAPE)
    seen: set[str] = set()
    for position, candidate in enumerate(job.candidates):
        try:
            validate_shape(candidate, candidate_shape, unlisted=unlisted, missing=missing)
            _check_needed(candidate, "candidates")
        except ShapeError as error:
            raise ScenarioError(f"{label} candidates[{position}]: {error}") from None
        # CandidateNameEquals must select one candidate, so names are unique within a job.
        if candidate["CandidateName"] in seen:
            raise ScenarioError(
                f"{label} candidates[{position}]: CandidateName: duplicate name {candidate['CandidateName']!r}"
            )
        seen.add(candidate["CandidateName"])
    _check_children(label, job, unlisted)


def _check_children(label: str, job: ScenarioJob, unlisted: Counter[str]) -> None:
    """Each child is the Describe response of the job its key names (a training, processing or transform
    job's ARN), as botocore's model says AWS answers it."""
    model = sagemaker_model()
    for arn, response in job.children.items():
        match = CHILD_ARN.fullmatch(arn)
        if match is None:
            raise ScenarioError(f"{label} children: {arn!r} is not a training, processing or transform job ARN")
        shape, arn_member, name_member = CHILD_SHAPES[match[1]]
        try:
            validate_shape(response, model.shape_for(shape), unlisted=unlisted)
        except ShapeError as error:
            raise ScenarioError(f"{label} children[{arn!r}]: {error}") from None
        if str(response[arn_member]).lower() != arn.lower() or str(response[name_member]).lower() != match[2].lower():
            raise ScenarioError(
                f"{label} children[{arn!r}]: {arn_member} and {name_member} must name the job its key names"
            )


def _check_prices(prices: Mapping[str, Any], unlisted: Counter[str]) -> None:
    """One GetProducts response: its shape, and each PriceList entry a JSON product with attributes."""
    try:
        validate_shape(prices, pricing_model().shape_for(PRICES_SHAPE), unlisted=unlisted)
    except ShapeError as error:
        raise ScenarioError(f"prices: {error}") from None
    for index, text in enumerate(prices.get("PriceList", [])):
        try:
            entry = json.loads(text)
        except json.JSONDecodeError as error:
            raise ScenarioError(f"prices.PriceList[{index}]: not a JSON document ({error.msg})") from None
        attributes = (entry.get("product") or {}).get("attributes") if isinstance(entry, dict) else None
        if not isinstance(attributes, dict):
            raise ScenarioError(f"prices.PriceList[{index}]: no product.attributes object")


def _check_needed(response: Mapping[str, Any], kind: str) -> None:
    for name in SIMULATOR_NEEDS[kind]:
        if name not in response:
            raise ShapeError(name, "missing: the simulator needs it to serve the timeline")


def _api_hint(job: ScenarioJob, error: ShapeError) -> str:
    """Point at `api` when a top-level member belongs to the other API's describe response."""
    other = "v2" if job.api == "v1" else "v1"
    other_shape = sagemaker_model().shape_for(DESCRIBE_SHAPES[other])
    assert isinstance(other_shape, StructureShape)
    other_members = other_shape.members
    if error.problem.startswith("unknown member") and error.path in other_members:
        return f' (a {other} member: is "api" meant to be "{other}"?)'
    return ""


def _check_unique_names(jobs: list[ScenarioJob], place_of: Callable[[ScenarioJob], Place]) -> None:
    """A job is named by its account, region and name (as its ARN names it): one name per place."""
    first_index: dict[tuple[Place, str], int] = {}
    for index, job in enumerate(jobs):
        key = (place_of(job), job.name)
        if key in first_index:
            raise ScenarioError(
                f"job {job.name!r} describe[0]: AutoMLJobName: jobs[{index}] repeats the name of "
                f"jobs[{first_index[key]}] in {key[0]}; job names must be unique in an account and region"
            )
        first_index[key] = index


def _check_one_place(jobs: list[ScenarioJob], home: Place, place_of: Callable[[ScenarioJob], Place]) -> None:
    """Without a hub, one stack runs, at the scenario's place: every job runs there."""
    for job in jobs:
        place = place_of(job)
        if place != home:
            raise ScenarioError(
                f"job {job.name!r} runs in {place}, not the scenario's {home}: jobs at other places need the "
                'organization mode (a top-level "hub": a spoke deploys where each job runs)'
            )


def _check_organization(jobs: list[ScenarioJob], hub: Hub, place_of: Callable[[ScenarioJob], Place]) -> None:
    """A spoke deploys where each job runs, the hub at a place of its own; each job's ARN names where it
    runs (the hub believes the ARN's region, and refuses an ARN of another account than its sender's);
    a silent spoke is one of them."""
    places = {place_of(job) for job in jobs}
    if hub.place in places:
        raise ScenarioError(
            f"hub: {hub.place} is also where jobs run; in the sandbox the hub deploys at a place of its own "
            "(on AWS an account that hosts the hub may run a spoke too)"
        )
    for job in jobs:
        for tick, response in enumerate(job.describe):
            try:
                named = JobRef.of_summary(response).place
            except InvalidJobArnError as error:
                raise ScenarioError(f"job {job.name!r} describe[{tick}]: AutoMLJobArn: {error}") from None
            if named != place_of(job):
                raise ScenarioError(
                    f"job {job.name!r} describe[{tick}]: AutoMLJobArn names {named}, but the job runs in "
                    f"{place_of(job)} (its account and region, or the scenario's)"
                )
    for spoke in hub.silent:
        if spoke.place not in places:
            listed = ", ".join(str(place) for place in sorted(places))
            raise ScenarioError(f"hub.silent: no job runs in {spoke.place}, so no spoke deploys there ({listed})")


def _check_object_keys(objects: Mapping[str, Any]) -> None:
    for key in objects:
        if not _S3_URI.fullmatch(key):
            raise ScenarioError(f"objects: key {key!r} is not an s3://bucket/key URI")


# --------------------------------------------------------------------------------------------------
# Loading


def load_scenario(source: str | os.PathLike[str] | Mapping[str, Any]) -> Scenario:
    """Load and validate a scenario from a JSON file path or an already parsed mapping."""
    data = source if isinstance(source, Mapping) else _read_json(Path(source))
    try:
        return Scenario.model_validate(data)
    except ValidationError as error:
        raise ScenarioError(_describe_validation_error(error, data)) from None


def _read_json(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(f"scenario file not found: {path}") from None
    except OSError as error:
        raise ScenarioError(f"cannot read scenario file {path}: {error.strerror}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise ScenarioError(
            f"scenario file {path} is not valid JSON: {error.msg} at line {error.lineno} column {error.colno}"
        ) from None


def _describe_validation_error(error: ValidationError, data: Any) -> str:
    first = error.errors()[0]
    original = (first.get("ctx") or {}).get("error")
    if isinstance(original, ScenarioError):
        return str(original)
    location = _format_location(first["loc"], data)
    return f"{location}: {first['msg']}" if location else first["msg"]


def _format_location(loc: tuple[int | str, ...], data: Any) -> str:
    """`('jobs', 0, 'describe')` → `job 'x' (jobs[0]) describe`, naming the job where it is known."""
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts[-1:] = [f"{parts[-1]}[{item}]" if parts else f"[{item}]"]
        else:
            parts.append(str(item))
    text = ".".join(parts)
    if len(loc) >= 2 and loc[0] == "jobs" and isinstance(loc[1], int):
        name = _raw_job_name(data, loc[1])
        if name is not None:
            text = f"job {name!r} ({text})"
    return text


def _raw_job_name(data: Any, index: int) -> str | None:
    try:
        name = data["jobs"][index]["describe"][0]["AutoMLJobName"]
    except (KeyError, IndexError, TypeError):
        return None
    return name if isinstance(name, str) else None
