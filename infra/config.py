"""Deployment configuration: CDK context, parsed and validated once, at synth.

Every setting has a default (see `infra/constants.py` and docs/deploy.md), listed in cdk.json's context
block; `cdk synth -c key=value` overrides it (cdk.context.json cannot: the CLI lets cdk.json win over
it). The command line passes strings, so lists and objects are also accepted as JSON text, numbers as
digits and booleans as true/false; the CLI keeps a `-c` value only up to its first newline. A key that
looks like ours but is not one (a typo: `notificationEmail`) fails the synth and names the closest key.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from autopilot_reports.settings import (
    AccountNames,
    AnalysisMaxBytes,
    DigestPeriodHours,
    FunctionSettings,
    ImportPagesPerPiece,
    JobFamilyPattern,
    JobNamePrefix,
    LeaderboardSize,
    NotifyStatuses,
    SpokeSilentAfterMinutes,
    StuckAfterMinutes,
    TopFeatures,
    WatermarkOverlapSeconds,
)
from infra import constants as c

SettingsT = TypeVar("SettingsT", bound=FunctionSettings)

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
EMAIL = re.compile(rf"^[A-Za-z0-9.!#$%&'*+/=?^_`{{|}}~-]+@{_LABEL}(?:\.{_LABEL})+$")
SLACK_WORKSPACE_ID = re.compile(r"^[0-9A-Z]{1,255}$")
SLACK_CHANNEL_ID = re.compile(r"^[A-Za-z0-9]{1,255}$")
# A CloudFormation stack name, short enough for every name derived from it (constants.MAX_STACK_NAME_LENGTH).
STACK_NAME = re.compile(rf"^[A-Za-z][A-Za-z0-9-]{{0,{c.MAX_STACK_NAME_LENGTH - 1}}}$")
_PARTITION = r"aws(?:-[a-z]+)*"
_REGION = r"[a-z]{2,4}(?:-[a-z]+)+-\d+"
KMS_KEY_ARN = re.compile(rf"^arn:{_PARTITION}:kms:{_REGION}:\d{{12}}:key/[A-Za-z0-9-]{{1,128}}$")
LAYER_VERSION_ARN = re.compile(rf"^arn:{_PARTITION}:lambda:{_REGION}:\d{{12}}:layer:[A-Za-z0-9_-]{{1,140}}:\d+$")
TEAMS_ID = re.compile(r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$")
# AWS Chatbot takes the channel id URL-encoded, as "Copy link" gives it: 19%3a<hex>%40thread.tacv2.
TEAMS_CHANNEL_ID = re.compile(r"^[A-Za-z0-9_=+/.,-]*%3[aA][A-Za-z0-9_=+/.,-]*%40[A-Za-z0-9_=+/.,-]*$")
TEAMS_CHANNEL_ID_MAX = 255
BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
EVENT_BUS_ARN = re.compile(
    rf"^arn:{_PARTITION}:events:{_REGION}:(?P<account>\d{{12}}):event-bus/[A-Za-z0-9._/-]{{1,256}}$"
)
REGION = re.compile(rf"^{_REGION}$")
ORGANIZATION_ID = re.compile(r"^o-[a-z0-9]{10,32}$")
# aws:PrincipalOrgPaths' form: o-<org>/r-<root>/ou-<...>/ (each OU on the way down), as AWS Organizations gives it.
ORGANIZATIONAL_UNIT_PATH = re.compile(
    r"^(?P<organization>o-[a-z0-9]{10,32})/r-[0-9a-z]{4,32}(/ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})*/$"
)
# An organizational unit (ou-<root part>-<ou part>), or the root (r-...) to reach every account.
ORGANIZATIONAL_UNIT_ID = re.compile(r"^(ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}|r-[0-9a-z]{4,32})$")
BUCKET_PLACEHOLDERS = {"${AWS::Region}": "us-east-1", "${AWS::AccountId}": c.EXAMPLE_ACCOUNT_ID}
PREFIX_FORBIDDEN = re.compile(r"[*?\\${}]")
# EventBridge Scheduler's recurring expressions: cron with six fields, or a rate
SCHEDULE_EXPRESSION = re.compile(r"^(cron\((\S+ ){5}\S+\)|rate\(\d+ (minute|minutes|hour|hours|day|days)\))$")

FILTER_VALUES: dict[str, tuple[str, ...] | None] = {
    "event_type": c.EVENT_TYPES,
    "job_name": None,  # any job name
    "status": c.JOB_STATUSES,  # stuck messages are about InProgress jobs
    "has_partial_failures": ("true", "false"),
    "explainability_state": c.EXPLAINABILITY_STATES,
    "family": None,  # any family
    "new_best_in_family": ("true", "false"),
    "account_id": None,  # any account (12 digits)
    "region": None,  # any region
}
assert tuple(FILTER_VALUES) == c.MESSAGE_ATTRIBUTES, "a filter needs a rule for every attribute the notifier sets"


# Keys the CDK CLI and cdk.json put in the context beside ours that carry neither "@" nor ":" (found by
# printing `app.node.get_all_context()` under `npx cdk synth -c ...`): everything else CDK adds is a
# feature flag ("@aws-cdk/..."), a CLI setting ("aws:cdk:enable-path-metadata", "aws:cdk:bundling-stacks",
# ...) or a cached lookup ("availability-zones:account=...:region=...").
CDK_CONTEXT_KEYS = frozenset({"cli-telemetry", "acknowledged-issue-numbers"})
CONFIG_ERROR_HEADER = "Invalid CDK context for the autopilot-reports stack (see docs/deploy.md):"


class ConfigError(ValueError):
    """The CDK context does not describe a deployable stack; the message lists every problem."""


def _json_text(value: object) -> object:
    """`-c key='[...]'` arrives as text: decode JSON lists and objects."""
    if isinstance(value, str) and value.strip()[:1] in ("[", "{"):
        try:
            return json.loads(value)
        except json.JSONDecodeError as error:
            raise ValueError(f"is not valid JSON ({error.msg})") from error
    return value


def _list_text(value: object) -> object:
    """Lists also accept comma-separated text (`-c notifyStatuses=Completed,Failed`)."""
    value = _json_text(value)
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


def _check_email(address: str) -> str:
    address = address.strip()
    if not EMAIL.match(address):
        raise ValueError(f"{address!r} is not an e-mail address")
    return address


class NotificationEmail(BaseModel):
    """One e-mail subscription to the reports topic, optionally filtered on message attributes."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    address: str
    filter_policy: dict[str, tuple[str, ...]] = Field(default_factory=dict, alias="filterPolicy")

    @field_validator("address")
    @classmethod
    def _address(cls, address: str) -> str:
        return _check_email(address)

    @field_validator("filter_policy", mode="before")
    @classmethod
    def _decode(cls, value: object) -> object:
        return _json_text(value) if value is not None else {}

    @field_validator("filter_policy")
    @classmethod
    def _known_attributes(cls, policy: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        for attribute, values in policy.items():
            if attribute not in FILTER_VALUES:
                raise ValueError(f"cannot filter on {attribute!r}; the reporter publishes {list(c.MESSAGE_ATTRIBUTES)}")
            if not values or any(not value for value in values):
                raise ValueError(f"{attribute!r} needs a non-empty list of non-empty strings")
            allowed = FILTER_VALUES[attribute]
            if allowed is None:
                continue
            unknown = sorted(set(values) - set(allowed))
            if unknown:
                raise ValueError(f"{attribute!r} values {unknown} are never published; use some of {list(allowed)}")
        return policy


class StackConfig(BaseModel):
    """Everything the stack needs to know about one deployment.

    A field that a function's settings model (autopilot_reports.settings) has by the same name is that
    function's setting: it has the model's type (its bounds and rules written once, there) and its
    default, and the stack carries it into the function's environment (`function_settings`).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    stack_name: str = Field(default=c.DEFAULT_STACK_NAME, alias=c.CTX_STACK_NAME)
    notification_emails: tuple[NotificationEmail, ...] = Field(default=(), alias=c.CTX_NOTIFICATION_EMAILS)
    operator_emails: tuple[str, ...] = Field(default=(), alias=c.CTX_OPERATOR_EMAILS)
    slack_workspace_id: str | None = Field(default=None, alias=c.CTX_SLACK_WORKSPACE_ID)
    slack_channel_id: str | None = Field(default=None, alias=c.CTX_SLACK_CHANNEL_ID)
    teams_team_id: str | None = Field(default=None, alias=c.CTX_TEAMS_TEAM_ID)
    teams_channel_id: str | None = Field(default=None, alias=c.CTX_TEAMS_CHANNEL_ID)
    teams_tenant_id: str | None = Field(default=None, alias=c.CTX_TEAMS_TENANT_ID)
    schedule_rate_minutes: int = Field(
        default=c.DEFAULT_SCHEDULE_RATE_MINUTES, ge=1, le=c.MAX_SCHEDULE_RATE_MINUTES, alias=c.CTX_SCHEDULE_RATE_MINUTES
    )
    notify_statuses: NotifyStatuses = Field(default=c.DEFAULT_NOTIFY_STATUSES, alias=c.CTX_NOTIFY_STATUSES)
    top_features: TopFeatures = Field(default=c.DEFAULT_TOP_FEATURES, alias=c.CTX_TOP_FEATURES)
    analysis_max_bytes: AnalysisMaxBytes = Field(default=c.DEFAULT_ANALYSIS_MAX_BYTES, alias=c.CTX_ANALYSIS_MAX_BYTES)
    leaderboard_size: LeaderboardSize = Field(default=c.DEFAULT_LEADERBOARD_SIZE, alias=c.CTX_LEADERBOARD_SIZE)
    job_name_prefix: JobNamePrefix = Field(default=c.DEFAULT_JOB_NAME_PREFIX, alias=c.CTX_JOB_NAME_PREFIX)
    watermark_overlap_seconds: WatermarkOverlapSeconds = Field(
        default=c.DEFAULT_WATERMARK_OVERLAP_SECONDS, alias=c.CTX_WATERMARK_OVERLAP_SECONDS
    )
    import_pages_per_piece: ImportPagesPerPiece = Field(
        default=c.DEFAULT_IMPORT_PAGES_PER_PIECE, alias=c.CTX_IMPORT_PAGES_PER_PIECE
    )
    watcher_reserved_concurrency: int | None = Field(default=None, ge=1, alias=c.CTX_WATCHER_RESERVED_CONCURRENCY)
    reporter_max_concurrency: int = Field(
        default=c.DEFAULT_REPORTER_MAX_CONCURRENCY,
        ge=c.MIN_REPORTER_MAX_CONCURRENCY,
        le=c.MAX_REPORTER_MAX_CONCURRENCY,
        alias=c.CTX_REPORTER_MAX_CONCURRENCY,
    )
    output_locations: tuple[str, ...] = Field(default=c.DEFAULT_OUTPUT_LOCATIONS, alias=c.CTX_OUTPUT_LOCATIONS)
    output_kms_keys: tuple[str, ...] = Field(default=(), alias=c.CTX_OUTPUT_KMS_KEYS)
    powertools_layer_arn: str | None = Field(default=None, alias=c.CTX_POWERTOOLS_LAYER_ARN)
    log_retention_days: int = Field(default=c.DEFAULT_LOG_RETENTION_DAYS, alias=c.CTX_LOG_RETENTION_DAYS)
    removal_policy: Literal["retain", "destroy"] = Field(default=c.DEFAULT_REMOVAL_POLICY, alias=c.CTX_REMOVAL_POLICY)
    child_job_nudges: bool = Field(default=c.DEFAULT_CHILD_JOB_NUDGES, alias=c.CTX_CHILD_JOB_NUDGES)
    job_family_pattern: JobFamilyPattern = Field(default=c.DEFAULT_JOB_FAMILY_PATTERN, alias=c.CTX_JOB_FAMILY_PATTERN)
    stuck_after_minutes: StuckAfterMinutes = Field(
        default=c.DEFAULT_STUCK_AFTER_MINUTES, alias=c.CTX_STUCK_AFTER_MINUTES
    )
    digest_schedule: str = Field(default=c.DEFAULT_DIGEST_SCHEDULE, alias=c.CTX_DIGEST_SCHEDULE)
    digest_period_hours: DigestPeriodHours = Field(
        default=c.DEFAULT_DIGEST_PERIOD_HOURS, alias=c.CTX_DIGEST_PERIOD_HOURS
    )
    # --- an organization (docs/deploy.md section 16) ---
    hub_event_bus_arn: str | None = Field(default=None, alias=c.CTX_HUB_EVENT_BUS_ARN)
    spoke_notifications: bool = Field(default=c.DEFAULT_SPOKE_NOTIFICATIONS, alias=c.CTX_SPOKE_NOTIFICATIONS)
    organization_id: str | None = Field(default=None, alias=c.CTX_ORGANIZATION_ID)
    organizational_unit_paths: tuple[str, ...] = Field(default=(), alias=c.CTX_ORGANIZATIONAL_UNIT_PATHS)
    account_names: AccountNames = Field(default=(), alias=c.CTX_ACCOUNT_NAMES)
    spoke_silent_after_minutes: SpokeSilentAfterMinutes = Field(
        default=c.DEFAULT_SPOKE_SILENT_AFTER_MINUTES, alias=c.CTX_SPOKE_SILENT_AFTER_MINUTES
    )
    spoke_organizational_unit_ids: tuple[str, ...] = Field(default=(), alias=c.CTX_SPOKE_ORGANIZATIONAL_UNIT_IDS)
    spoke_regions: tuple[str, ...] = Field(default=(), alias=c.CTX_SPOKE_REGIONS)
    stack_set_call_as: Literal["DELEGATED_ADMIN", "SELF"] = Field(
        default=c.DEFAULT_STACK_SET_CALL_AS, alias=c.CTX_STACK_SET_CALL_AS
    )
    # The organization the StackSet's asset buckets admit (aws:PrincipalOrgID): its own key, since
    # `organizationId` asks for a hub, which the account rolling spokes out does not host.
    stack_set_organization_id: str | None = Field(default=None, alias=c.CTX_STACK_SET_ORGANIZATION_ID)

    # --- decoding of command-line text -------------------------------------------------------------
    @field_validator("notification_emails", mode="before")
    @classmethod
    def _decode_subscriptions(cls, value: object) -> object:
        value = _list_text(value)
        if isinstance(value, list):
            return [{"address": item} if isinstance(item, str) else item for item in value]
        return value

    @field_validator(
        "operator_emails",
        "notify_statuses",
        "output_locations",
        "output_kms_keys",
        "spoke_organizational_unit_ids",
        "spoke_regions",
        "organizational_unit_paths",
        mode="before",
    )
    @classmethod
    def _decode_list(cls, value: object) -> object:
        return _list_text(value)

    @field_validator(
        "slack_workspace_id",
        "slack_channel_id",
        "teams_team_id",
        "teams_channel_id",
        "teams_tenant_id",
        "powertools_layer_arn",
        "watcher_reserved_concurrency",
        "hub_event_bus_arn",
        "stack_set_organization_id",
        "organization_id",
        mode="before",
    )
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        if isinstance(value, str):
            return value.strip() or None
        return value

    @field_validator("removal_policy", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("stack_set_call_as", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    # --- field rules -------------------------------------------------------------------------------
    @field_validator("operator_emails")
    @classmethod
    def _operator_emails(cls, addresses: tuple[str, ...]) -> tuple[str, ...]:
        checked = tuple(_check_email(address) for address in addresses)
        _no_duplicates(checked)
        return checked

    @field_validator("notification_emails")
    @classmethod
    def _unique_subscriptions(cls, subscriptions: tuple[NotificationEmail, ...]) -> tuple[NotificationEmail, ...]:
        _no_duplicates(tuple(subscription.address for subscription in subscriptions))
        return subscriptions

    @field_validator("slack_workspace_id")
    @classmethod
    def _workspace(cls, value: str | None) -> str | None:
        if value is not None and not SLACK_WORKSPACE_ID.match(value):
            raise ValueError(f"{value!r} is not a Slack workspace id (upper-case letters and digits, e.g. T0123ABCD)")
        return value

    @field_validator("slack_channel_id")
    @classmethod
    def _channel(cls, value: str | None) -> str | None:
        if value is not None and not SLACK_CHANNEL_ID.match(value):
            raise ValueError(f"{value!r} is not a Slack channel id (letters and digits, e.g. C0123ABCD)")
        return value

    @field_validator("stack_name")
    @classmethod
    def _stack_name(cls, name: str) -> str:
        if not STACK_NAME.match(name):
            raise ValueError(
                f"{name!r} is not a usable stack name (a letter, then letters, digits and '-', "
                f"at most {c.MAX_STACK_NAME_LENGTH} characters)"
            )
        return name

    @field_validator("teams_team_id", "teams_tenant_id")
    @classmethod
    def _teams_uuid(cls, value: str | None) -> str | None:
        if value is not None and not TEAMS_ID.match(value):
            raise ValueError(
                f"{value!r} is not a Microsoft Teams id (a UUID, e.g. 01234567-89ab-cdef-0123-456789abcdef)"
            )
        return value

    @field_validator("teams_channel_id")
    @classmethod
    def _teams_channel(cls, value: str | None) -> str | None:
        if value is None:
            return None
        encoded = value.replace(":", "%3A").replace("@", "%40")  # a decoded id is accepted too
        if not TEAMS_CHANNEL_ID.match(encoded) or len(encoded) > TEAMS_CHANNEL_ID_MAX:
            raise ValueError(
                f"{value!r} is not a Microsoft Teams channel id (as the channel's link gives it, "
                "e.g. 19%3a0123abcd...%40thread.tacv2)"
            )
        return encoded

    @field_validator("output_kms_keys")
    @classmethod
    def _kms_keys(cls, keys: tuple[str, ...]) -> tuple[str, ...]:
        for key in keys:
            if not KMS_KEY_ARN.match(key):
                raise ValueError(
                    f"{key!r} is not a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<key id>; "
                    "aliases cannot be granted kms:Decrypt)"
                )
        _no_duplicates(keys)
        return keys

    @field_validator("powertools_layer_arn")
    @classmethod
    def _layer(cls, arn: str | None) -> str | None:
        if arn is not None and not LAYER_VERSION_ARN.match(arn):
            raise ValueError(
                f"{arn!r} is not a Lambda layer version ARN (arn:<partition>:lambda:<region>:<account>:layer:<name>:<version>)"
            )
        return arn

    @field_validator("digest_schedule")
    @classmethod
    def _digest_schedule(cls, expression: str) -> str:
        expression = expression.strip()
        if expression.lower() == "none" or SCHEDULE_EXPRESSION.match(expression):
            return "none" if expression.lower() == "none" else expression
        raise ValueError(f"{expression!r} is not a Scheduler expression (cron(...), rate(...)) or none")

    @property
    def digest_enabled(self) -> bool:
        return self.digest_schedule != "none"

    @field_validator("hub_event_bus_arn")
    @classmethod
    def _hub_bus(cls, arn: str | None) -> str | None:
        if arn is not None and not EVENT_BUS_ARN.match(arn):
            raise ValueError(
                f"{arn!r} is not an event bus ARN (arn:<partition>:events:<region>:<hub account>:event-bus/<name>)"
            )
        return arn

    @field_validator("organization_id", "stack_set_organization_id")
    @classmethod
    def _organization(cls, value: str | None) -> str | None:
        if value is not None and not ORGANIZATION_ID.match(value):
            raise ValueError(f"{value!r} is not an organization id (o-, then 10 to 32 lower-case letters and digits)")
        return value

    @field_validator("spoke_organizational_unit_ids")
    @classmethod
    def _organizational_units(cls, ids: tuple[str, ...]) -> tuple[str, ...]:
        for unit in ids:
            if not ORGANIZATIONAL_UNIT_ID.match(unit):
                raise ValueError(
                    f"{unit!r} is not an organizational unit id (ou-<root>-<unit>, e.g. ou-ab12-cd34ef56) or the "
                    "root's (r-ab12)"
                )
        _no_duplicates(ids)
        return ids

    @field_validator("spoke_regions")
    @classmethod
    def _regions(cls, regions: tuple[str, ...]) -> tuple[str, ...]:
        for region in regions:
            if not REGION.match(region):
                raise ValueError(f"{region!r} is not a region name (e.g. eu-west-1)")
        _no_duplicates(regions)
        return regions

    @field_validator("organizational_unit_paths")
    @classmethod
    def _unit_paths(cls, paths: tuple[str, ...]) -> tuple[str, ...]:
        normalized = tuple(path.strip().removesuffix("*").rstrip("/") + "/" for path in paths)
        for path in normalized:
            if not ORGANIZATIONAL_UNIT_PATH.match(path):
                raise ValueError(
                    f"{path!r} is not an organizational unit path (o-<org>/r-<root>/ou-<unit>/, as "
                    "aws:PrincipalOrgPaths has it; the OUs below it are included)"
                )
        _no_duplicates(normalized)
        return normalized

    @field_validator("output_locations")
    @classmethod
    def _locations(cls, locations: tuple[str, ...]) -> tuple[str, ...]:
        if not locations:
            raise ValueError("name at least one bucket (or bucket/prefix) that holds Autopilot output")
        normalized = tuple(_normalize_location(location) for location in locations)
        _no_duplicates(normalized)
        return normalized

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, days: int) -> int:
        if days not in c.VALID_LOG_RETENTION_DAYS:
            allowed = list(c.VALID_LOG_RETENTION_DAYS)
            raise ValueError(f"{days} is not a CloudWatch Logs retention; use one of {allowed}")
        return days

    @model_validator(mode="after")
    def _cross_field_rules(self) -> StackConfig:
        if (self.slack_workspace_id is None) != (self.slack_channel_id is None):
            raise ValueError(
                f"set both {c.CTX_SLACK_WORKSPACE_ID} and {c.CTX_SLACK_CHANNEL_ID} to connect Slack, or neither"
            )
        teams = (self.teams_team_id, self.teams_channel_id, self.teams_tenant_id)
        if any(value is None for value in teams) and any(value is not None for value in teams):
            raise ValueError(
                f"set all of {c.CTX_TEAMS_TEAM_ID}, {c.CTX_TEAMS_CHANNEL_ID} and {c.CTX_TEAMS_TENANT_ID} "
                "to connect Microsoft Teams, or none"
            )
        self._check_organization()
        self._check_roll_out()
        for subscription in self.notification_emails:
            never = sorted(set(subscription.filter_policy.get("status", ())) - set(self.notify_statuses))
            if never:
                raise ValueError(
                    f"{subscription.address} filters on status {never}, which {c.CTX_NOTIFY_STATUSES} "
                    f"{list(self.notify_statuses)} never notifies"
                )
        return self

    def _check_organization(self) -> None:
        """A hub's keys need organizationId, a spoke's hubEventBusArn; no key is silently ignored."""
        if self.spoke_notifications and self.hub_event_bus_arn is None:
            raise ValueError(
                f"{c.CTX_SPOKE_NOTIFICATIONS} keeps a spoke's own notifications: set {c.CTX_HUB_EVENT_BUS_ARN}"
            )
        hub_keys = {
            c.CTX_ORGANIZATIONAL_UNIT_PATHS: bool(self.organizational_unit_paths),
            c.CTX_ACCOUNT_NAMES: bool(self.account_names),
            c.CTX_SPOKE_SILENT_AFTER_MINUTES: self.spoke_silent_after_minutes != c.DEFAULT_SPOKE_SILENT_AFTER_MINUTES,
        }
        given = [key for key, set_ in hub_keys.items() if set_]
        if given and self.organization_id is None:
            raise ValueError(f"{', '.join(given)} configure an organization's hub: set {c.CTX_ORGANIZATION_ID} too")
        foreign = [path for path in self.organizational_unit_paths if not path.startswith(f"{self.organization_id}/")]
        if foreign:
            raise ValueError(
                f"{c.CTX_ORGANIZATIONAL_UNIT_PATHS} {foreign} are not in organization {self.organization_id}"
            )
        names = json.dumps(dict(self.account_names), separators=(",", ":"), ensure_ascii=False).encode()
        if len(names) > c.LAMBDA_ENVIRONMENT_BYTES // 2:
            raise ValueError(
                f"{c.CTX_ACCOUNT_NAMES} takes {len(names):,} bytes; the hub recorder's environment holds at most "
                f"{c.LAMBDA_ENVIRONMENT_BYTES:,} in all: shorten the names, or name fewer accounts"
            )

    def _check_roll_out(self) -> None:
        """The StackSet roll-out needs the hub to send to, and both where (OUs) and in which regions."""
        roll_out = (c.CTX_SPOKE_ORGANIZATIONAL_UNIT_IDS, c.CTX_SPOKE_REGIONS, c.CTX_STACK_SET_ORGANIZATION_ID)
        given = (self.spoke_organizational_unit_ids, self.spoke_regions, self.stack_set_organization_id)
        if any(given) and not all(given):
            raise ValueError(f"set all of {', '.join(roll_out)} to roll spokes out with a StackSet, or none")
        if any(given) and self.hub_event_bus_arn is None:
            raise ValueError(f"{', '.join(roll_out)} roll out spokes to a hub: set {c.CTX_HUB_EVENT_BUS_ARN} too")
        if self.spoke_regions and not BUCKET_NAME.match(f"{self.asset_bucket_prefix}-{'x' * c.LONGEST_REGION_NAME}"):
            raise ValueError(
                f"the spokes' asset buckets would be named {self.asset_bucket_prefix}-<region>, longer than S3's "
                f"{c.MAX_BUCKET_NAME_LENGTH} characters or not a bucket name: choose a shorter {c.CTX_STACK_NAME}"
            )

    # --- derived values ----------------------------------------------------------------------------
    @property
    def stack_set_enabled(self) -> bool:
        """Spokes are rolled out by a StackSet (the `stackset` plan) rather than deployed one by one."""
        return bool(self.spoke_organizational_unit_ids)

    @property
    def hub_account_id(self) -> str | None:
        match = EVENT_BUS_ARN.match(self.hub_event_bus_arn or "")
        return match.group("account") if match else None

    @property
    def asset_bucket_prefix(self) -> str:
        """The StackSet's asset buckets are `<prefix>-<region>` (cdk-stacksets' naming). The prefix must be
        a literal: the spoke's template reads it in every target account, where `${AWS::AccountId}` is not
        the deploying account. The stack name and the hub's account make it one organization's own."""
        return f"{self.stack_name.lower()}-assets-{self.hub_account_id}"

    @property
    def slack_enabled(self) -> bool:
        return self.slack_workspace_id is not None

    @property
    def teams_enabled(self) -> bool:
        return self.teams_team_id is not None

    @property
    def retain(self) -> bool:
        return self.removal_policy == "retain"

    @property
    def output_location_parts(self) -> tuple[OutputLocation, ...]:
        return tuple(OutputLocation.parse(location) for location in self.output_locations)

    def function_settings(self, model: type[SettingsT], **resources: object) -> SettingsT:
        """A function's settings: every field `model` shares by name with this config, carried over,
        and `resources`, what the stack made for it (table name, bus name, topic ARN: tokens at synth) or
        what its plan decides (a spoke's heartbeat, a hub's messages)."""
        shared = {name: getattr(self, name) for name in model.model_fields if name in type(self).model_fields}
        overlap = sorted(shared.keys() & resources.keys())
        if overlap:
            raise TypeError(f"{model.__name__}: {overlap} come from the configuration, not from a resource")
        return model.model_validate({**shared, **resources})

    @classmethod
    def context_keys(cls) -> tuple[str, ...]:
        """Every context key the stack reads (the fields' aliases)."""
        return tuple(field.alias for field in cls.model_fields.values() if field.alias)

    @classmethod
    def from_context(cls, get: Callable[[str], Any], *, keys: Iterable[str] = ()) -> StackConfig:
        """Build from a context getter (`app.node.try_get_context`); raise ConfigError with every problem.

        `keys`: every key present in the context (`app.node.get_all_context()`), so that a misspelt one
        is reported instead of silently leaving its setting at the default.
        """
        problems = [_unknown_key_problem(key, cls.context_keys()) for key in unknown_context_keys(keys)]
        raw = {alias: get(alias) for alias in cls.context_keys()}
        try:
            config = cls.model_validate({key: value for key, value in raw.items() if value is not None})
        except ValidationError as error:
            problems.extend(_describe(error))
        if problems:
            raise ConfigError("\n".join([CONFIG_ERROR_HEADER, *(f"  - {problem}" for problem in problems)]))
        return config


def looks_like_ours(key: str) -> bool:
    """A key the stack could mean: CDK's own carry a "@" or a ":", or are one of CDK_CONTEXT_KEYS."""
    return "@" not in key and ":" not in key and key not in CDK_CONTEXT_KEYS


def unknown_context_keys(keys: Iterable[str]) -> list[str]:
    """Keys that look like ours but that the stack does not read, sorted."""
    known = set(StackConfig.context_keys())
    return sorted({key for key in keys if looks_like_ours(key) and key not in known})


def _unknown_key_problem(key: str, known: Iterable[str]) -> str:
    # Compared without case, so `notificationemails` still finds notificationEmails.
    by_lower = {name.lower(): name for name in known}
    closest = difflib.get_close_matches(key.lower(), list(by_lower), n=1)
    if closest:
        return f"unknown context key {key!r}: did you mean {by_lower[closest[0]]}?"
    return f"unknown context key {key!r}; the stack reads {', '.join(sorted(by_lower.values()))}"


@dataclass(frozen=True)
class OutputLocation:
    """An S3 location holding Autopilot output: a whole bucket, or a prefix inside it."""

    bucket: str
    prefix: str

    @classmethod
    def parse(cls, location: str) -> OutputLocation:
        bucket, _, prefix = location.partition("/")
        return cls(bucket=bucket, prefix=prefix)


def _normalize_location(location: str) -> str:
    text = location.strip()
    text = text.removeprefix("s3://").strip("/")
    bucket, _, prefix = text.partition("/")
    concrete = bucket
    for placeholder, example in BUCKET_PLACEHOLDERS.items():
        concrete = concrete.replace(placeholder, example)
    if not BUCKET_NAME.match(concrete) or ".." in concrete:
        raise ValueError(
            f"{location!r} does not start with an S3 bucket name "
            "(placeholders allowed: ${AWS::Region}, ${AWS::AccountId})"
        )
    if PREFIX_FORBIDDEN.search(prefix) or "//" in prefix:
        raise ValueError(f"{location!r}: the prefix may not contain wildcards, '$', braces or empty segments")
    return f"{bucket}/{prefix}" if prefix else bucket


def _no_duplicates(values: tuple[str, ...]) -> None:
    seen: set[str] = set()
    repeated: set[str] = set()
    for value in values:
        if value.lower() in seen:
            repeated.add(value)
        seen.add(value.lower())
    duplicates = sorted(repeated)
    if duplicates:
        raise ValueError(f"listed more than once: {duplicates}")


def _describe(error: ValidationError) -> list[str]:
    """One line per problem pydantic found, each naming its context key."""
    lines = []
    for problem in error.errors():
        where = ".".join(str(part) for part in problem["loc"]) or "context"
        message = problem["msg"].removeprefix("Value error, ")
        given = problem.get("input")
        shown = f" (got {given!r})" if problem["type"] not in ("value_error",) and not isinstance(given, dict) else ""
        lines.append(f"{where}: {message}{shown}")
    return lines
