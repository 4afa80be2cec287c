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

import json
import os
import re
import typing
from collections.abc import Mapping
from datetime import timedelta
from typing import Annotated, Any, Self, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from pydantic.config import JsonDict

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
SpokeSilentAfterMinutes = Annotated[int, Field(ge=1, le=c.MAX_SPOKE_SILENT_AFTER_MINUTES)]
ACCOUNT_ID = re.compile(r"^[0-9]{12}$")
ACCOUNT_NAME_CHARS = 64


def check_account_names(names: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    """12-digit account ids, each with a short name, sorted by id (a tuple of pairs: hashable, unlike a
    dict, so the settings stay frozen)."""
    for account, name in names:
        if not ACCOUNT_ID.match(account):
            raise ValueError(f"{account!r} is not an AWS account id (12 digits)")
        if not name.strip() or len(name) > ACCOUNT_NAME_CHARS:
            raise ValueError(f"account {account}: a name of 1 to {ACCOUNT_NAME_CHARS} characters, not {name!r}")
    return tuple(sorted(names))


def pairs(value: object) -> object:
    """`{"111122223333": "team-churn"}` (or its JSON text) as pairs, for `mode="before"` validators."""
    if isinstance(value, str) and value.strip():
        value = json.loads(value)
    if isinstance(value, dict):
        return tuple((str(key), str(name)) for key, name in value.items())
    return value


AccountNames = Annotated[tuple[tuple[str, str], ...], BeforeValidator(pairs), AfterValidator(check_account_names)]


# --- one model per function ----------------------------------------------------------------------------

# A field's `json_schema_extra` marking it as left out of the environment at its default (the settings an
# organization added to the standalone functions: a standalone stack's environment stays as deployed).
OMITTED_AT_DEFAULT: JsonDict = {"omitted_at_default": True}


class SettingsError(RuntimeError):
    """A function's environment does not hold its settings; the message names each variable and why."""


class FunctionSettings(BaseModel):
    """What one function knows about its deployment, and how it travels through the environment.

    Frozen, so hashable: what a warm function builds from its settings can be keyed by them.
    In the environment: text as is, numbers in digits, booleans `true`/`false`, tuples comma-separated,
    None left out; an empty variable counts as unset (the field's default).
    """

    # defer_build: a function validates its own model alone, so the others' validators are never built
    # in its cold start (bench/cold_start.py); its own is built at its first invocation.
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    # Every function: the alias of the KMS HMAC key the stack's writes are sealed with (domain/seal.py).
    seal_alias: str

    @classmethod
    def env_name(cls, field: str) -> str:
        """The environment variable of `field`: its name upper-cased."""
        if field not in cls.model_fields:
            raise KeyError(f"{cls.__name__} has no field {field!r}")
        return field.upper()

    def to_env(self) -> dict[str, str]:
        """The function's environment variables, in field order (what the stack writes). A field marked
        OMITTED_AT_DEFAULT is left out at its default, so adding one leaves deployed environments as they are."""
        environment: dict[str, str] = {}
        for name, value in self.model_dump(mode="json").items():
            field = type(self).model_fields[name]
            if value is None or (_omitted_at_default(field) and getattr(self, name) == field.default):
                continue
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
                values[name] = _from_text(text, field.annotation)
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
    # The plan's: a spoke's heartbeat interval (constants.HEARTBEAT_MINUTES); 0: none (a standalone stack).
    heartbeat_minutes: int = Field(default=0, ge=0, json_schema_extra=OMITTED_AT_DEFAULT)

    @property
    def stuck_after(self) -> timedelta | None:
        """How long an InProgress job may stay quiet before its "may be stuck" alert; None: no alerts."""
        return timedelta(minutes=self.stuck_after_minutes) if self.stuck_after_minutes else None

    @property
    def heartbeat_every(self) -> timedelta | None:
        return timedelta(minutes=self.heartbeat_minutes) if self.heartbeat_minutes else None


class ReporterSettings(FunctionSettings):
    table_name: str
    top_features: TopFeatures = c.DEFAULT_TOP_FEATURES
    analysis_max_bytes: AnalysisMaxBytes = c.DEFAULT_ANALYSIS_MAX_BYTES
    notify_statuses: NotifyStatuses = c.TERMINAL_STATUSES
    leaderboard_size: LeaderboardSize = c.DEFAULT_LEADERBOARD_SIZE
    job_family_pattern: JobFamilyPattern = c.DEFAULT_JOB_FAMILY_PATTERN


class NotifierSettings(FunctionSettings):
    topic_arn: str
    # The plan's: a hub's messages name the account in their subject and chat thread.
    organization: bool = Field(default=False, json_schema_extra=OMITTED_AT_DEFAULT)


class ForwarderSettings(FunctionSettings):
    """A spoke's forwarder: its own bus, where the ToHubRule picks up what it sends."""

    event_bus_name: str


class HubRecorderSettings(FunctionSettings):
    table_name: str
    account_names: AccountNames = ()
    notify_statuses: NotifyStatuses = c.TERMINAL_STATUSES

    def account_name(self, account: str) -> str | None:
        return dict(self.account_names).get(account)


class SpokeMonitorSettings(FunctionSettings):
    """A hub's scheduled function: silent spokes, and the organization's digest."""

    table_name: str
    spoke_silent_after_minutes: SpokeSilentAfterMinutes = c.DEFAULT_SPOKE_SILENT_AFTER_MINUTES
    stuck_after_minutes: StuckAfterMinutes = c.DEFAULT_STUCK_AFTER_MINUTES
    digest_period_hours: DigestPeriodHours = c.DEFAULT_DIGEST_PERIOD_HOURS

    @property
    def silent_after(self) -> timedelta:
        return timedelta(minutes=self.spoke_silent_after_minutes)

    @property
    def stuck_after(self) -> timedelta | None:
        return timedelta(minutes=self.stuck_after_minutes) if self.stuck_after_minutes else None


class CosterSettings(FunctionSettings):
    table_name: str


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


def _omitted_at_default(field: Any) -> bool:
    extra = field.json_schema_extra
    return isinstance(extra, dict) and extra.get("omitted_at_default") is True


def _is_sequence(annotation: Any) -> bool:
    return typing.get_origin(annotation) in (tuple, list, frozenset)


def _is_pairs(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, list) and len(item) == 2 for item in value) and bool(value)


def _from_text(text: str, annotation: Any) -> object:
    """A variable's text as its field reads it: pairs travel as a JSON object, other sequences comma-separated."""
    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if annotation == tuple[tuple[str, str], ...]:
        return text  # the field's own validator decodes the JSON object
    return split_csv(text) if _is_sequence(annotation) else text


def _env_text(variable: str, value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if _is_pairs(value):  # account names: {"111122223333": "team-churn"}, as the context gives them
        return json.dumps(dict(value), separators=(",", ":"), ensure_ascii=False)
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
