"""Each function's settings: one model per function, the one value at both edges.

The stack (`infra/`) builds a function's model from its configuration and the resources it made, and
writes it into the function's environment (`to_env`); the function reads the same model back on first
use (`from_env`, through `get_settings`). A field's variable is its name upper-cased (`table_name` ->
`TABLE_NAME`), so no second map of names exists. A field without a default is required: a function whose
environment lacks it fails on first use with an error naming the variable.

The bounded types below (`TopFeatures`, ...) are also the CDK context's types (`infra/config.py`), so a
setting's rule is written once. Only pydantic here: the Lambda runtime has it from the Powertools layer.
"""

from __future__ import annotations

import os
import re
import typing
from collections.abc import Mapping
from datetime import timedelta
from typing import Annotated, Any, Self, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from autopilot_reports import constants as c

# --- the rules of single settings (shared with the CDK context's model) --------------------------------

JOB_NAME_PREFIX = re.compile(r"^[a-zA-Z0-9-]{0,32}$")


def split_csv(value: object) -> object:
    """`"a, b,,c"` → `("a", "b", "c")`; anything else unchanged (for `mode="before"` validators)."""
    if isinstance(value, str):
        return tuple(item.strip() for item in value.split(",") if item.strip())
    return value


def check_terminal_statuses(statuses: tuple[str, ...]) -> tuple[str, ...]:
    """Only terminal statuses notify; returned in their canonical order."""
    unknown = sorted(set(statuses) - set(c.TERMINAL_STATUSES))
    if unknown:
        raise ValueError(f"unknown status {unknown}; notifications exist for {list(c.TERMINAL_STATUSES)}")
    if not statuses:
        raise ValueError(f"name at least one of {list(c.TERMINAL_STATUSES)}")
    return tuple(status for status in c.TERMINAL_STATUSES if status in statuses)


def check_family_pattern(pattern: str) -> str:
    """A regex with a first group: the family (domain.family)."""
    try:
        compiled = re.compile(pattern)
    except re.error as error:
        raise ValueError(f"is not a regular expression ({error})") from None
    if compiled.groups < 1:
        raise ValueError("needs a group: its first group is the family, e.g. ^(.+?)(?:-\\d+)*$")
    return pattern


def check_job_name_prefix(prefix: str) -> str:
    """ListAutoMLJobs' NameContains is given the prefix: it must be able to start a job name."""
    if not JOB_NAME_PREFIX.match(prefix):
        raise ValueError(f"{prefix!r} cannot start an AutoML job name (letters, digits and '-', at most 32)")
    return prefix


NotifyStatuses = Annotated[tuple[str, ...], AfterValidator(check_terminal_statuses)]
JobFamilyPattern = Annotated[str, AfterValidator(check_family_pattern)]
JobNamePrefix = Annotated[str, AfterValidator(check_job_name_prefix)]
TopFeatures = Annotated[int, Field(ge=1, le=c.MAX_TOP_FEATURES)]
AnalysisMaxBytes = Annotated[int, Field(ge=c.MIN_ANALYSIS_MAX_BYTES, le=c.MAX_ANALYSIS_MAX_BYTES)]
LeaderboardSize = Annotated[int, Field(ge=0, le=c.MAX_LEADERBOARD_SIZE)]
WatermarkOverlapSeconds = Annotated[int, Field(ge=0, le=c.MAX_WATERMARK_OVERLAP_SECONDS)]
ImportPagesPerPiece = Annotated[int, Field(ge=1, le=c.MAX_IMPORT_PAGES_PER_PIECE)]
StuckAfterMinutes = Annotated[int, Field(ge=0, le=c.MAX_STUCK_AFTER_MINUTES)]
DigestPeriodHours = Annotated[int, Field(ge=1, le=c.MAX_DIGEST_PERIOD_HOURS)]


# --- one model per function ----------------------------------------------------------------------------


class SettingsError(RuntimeError):
    """A function's environment does not hold its settings; the message names each variable and why."""


class FunctionSettings(BaseModel):
    """What one function knows about its deployment, and how it travels through the environment.

    Frozen, so hashable: what a warm function builds from its settings can be keyed by them.
    In the environment: text as is, numbers in digits, booleans `true`/`false`, tuples comma-separated,
    None left out; an empty variable counts as unset (the field's default).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    @classmethod
    def env_name(cls, field: str) -> str:
        """The environment variable of `field`: its name upper-cased."""
        if field not in cls.model_fields:
            raise KeyError(f"{cls.__name__} has no field {field!r}")
        return field.upper()

    def to_env(self) -> dict[str, str]:
        """The function's environment variables, in field order (what the stack writes)."""
        environment: dict[str, str] = {}
        for name, value in self.model_dump(mode="json").items():
            if value is not None:
                environment[self.env_name(name)] = _env_text(self.env_name(name), value)
        return environment

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Self:
        """The settings in `environ` (default: this process's environment); SettingsError names every
        variable that is missing or invalid."""
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for name, field in cls.model_fields.items():
            text = env.get(cls.env_name(name), "")
            if text:
                values[name] = split_csv(text) if _is_sequence(field.annotation) else text
        try:
            return cls.model_validate(values)
        except ValidationError as error:
            raise SettingsError(_describe(cls, error)) from None


class WatcherSettings(FunctionSettings):
    table_name: str
    event_bus_name: str
    job_name_prefix: JobNamePrefix = ""
    watermark_overlap_seconds: WatermarkOverlapSeconds = c.DEFAULT_WATERMARK_OVERLAP_SECONDS
    import_pages_per_piece: ImportPagesPerPiece = c.DEFAULT_IMPORT_PAGES_PER_PIECE
    job_family_pattern: JobFamilyPattern = c.DEFAULT_JOB_FAMILY_PATTERN
    stuck_after_minutes: StuckAfterMinutes = c.DEFAULT_STUCK_AFTER_MINUTES
    digest_period_hours: DigestPeriodHours = c.DEFAULT_DIGEST_PERIOD_HOURS
    # The reporter's queue: a change not yet stored is published again only when it cannot still be waiting
    # there (domain.watcher.republishable). None: published again on every tick, as without a queue.
    report_queue_url: str | None = None

    @property
    def stuck_after(self) -> timedelta | None:
        """How long an InProgress job may stay quiet before its "may be stuck" alert; None: no alerts."""
        return timedelta(minutes=self.stuck_after_minutes) if self.stuck_after_minutes else None


class ReporterSettings(FunctionSettings):
    table_name: str
    top_features: TopFeatures = c.DEFAULT_TOP_FEATURES
    analysis_max_bytes: AnalysisMaxBytes = c.DEFAULT_ANALYSIS_MAX_BYTES
    notify_statuses: NotifyStatuses = c.TERMINAL_STATUSES
    leaderboard_size: LeaderboardSize = c.DEFAULT_LEADERBOARD_SIZE
    job_family_pattern: JobFamilyPattern = c.DEFAULT_JOB_FAMILY_PATTERN


class NotifierSettings(FunctionSettings):
    topic_arn: str


SettingsT = TypeVar("SettingsT", bound=FunctionSettings)


class ProcessSettings:
    """The settings of this process, each model read from the environment on first use (never at
    import time) and kept: a Lambda function's environment does not change while it runs.
    `cache_clear()` forgets them (the sandbox and tests, when they change the environment)."""

    def __init__(self) -> None:
        self._read: dict[type[FunctionSettings], FunctionSettings] = {}

    def __call__(self, model: type[SettingsT]) -> SettingsT:
        settings = self._read.get(model)
        if settings is None:
            settings = self._read[model] = model.from_env()
        assert isinstance(settings, model)
        return settings

    def cache_clear(self) -> None:
        self._read.clear()


get_settings = ProcessSettings()


def _is_sequence(annotation: Any) -> bool:
    return typing.get_origin(annotation) in (tuple, list, frozenset)


def _env_text(variable: str, value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        items = [str(item) for item in value]
        if any("," in item for item in items):
            raise SettingsError(f"{variable}: {items} cannot travel comma-separated (an item holds a comma)")
        return ",".join(items)
    return str(value)


def _describe(model: type[FunctionSettings], error: ValidationError) -> str:
    problems = []
    for problem in error.errors(include_url=False):
        field = str(problem["loc"][0]) if problem["loc"] else ""
        variable = model.env_name(field) if field in model.model_fields else field
        if problem["type"] == "missing":
            problems.append(f"{variable} is not set (the stack sets it on the function)")
        else:
            message = problem["msg"].removeprefix("Value error, ")
            problems.append(f"{variable}={problem['input']!r}: {message}")
    return f"{model.__name__} from the environment: " + "; ".join(problems)
