"""Function settings, read once from the environment the stack configures.

The variable names live in `constants.py`, shared with `infra/` (which sets them); the sandbox reads
them from the synthesized template, so the two cannot drift.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from datetime import timedelta
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field, field_validator

from autopilot_reports import constants as c


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


class Settings(BaseModel):
    """Everything a handler needs to know about its deployment."""

    model_config = ConfigDict(frozen=True)

    table_name: str = ""  # every function but the notifier
    event_bus_name: str = ""
    topic_arn: str = ""
    top_features: int = Field(default=c.DEFAULT_TOP_FEATURES, ge=1, le=c.MAX_TOP_FEATURES)
    analysis_max_bytes: int = Field(default=c.DEFAULT_ANALYSIS_MAX_BYTES, ge=c.MIN_ANALYSIS_MAX_BYTES)
    notify_statuses: tuple[str, ...] = c.TERMINAL_STATUSES
    job_name_prefix: str = ""
    watermark_overlap_seconds: int = Field(
        default=c.DEFAULT_WATERMARK_OVERLAP_SECONDS, ge=0, le=c.MAX_WATERMARK_OVERLAP_SECONDS
    )
    leaderboard_size: int = Field(default=c.DEFAULT_LEADERBOARD_SIZE, ge=0, le=c.MAX_LEADERBOARD_SIZE)
    import_pages_per_piece: int = Field(default=c.DEFAULT_IMPORT_PAGES_PER_PIECE, ge=1, le=c.MAX_IMPORT_PAGES_PER_PIECE)
    job_family_pattern: str = c.DEFAULT_JOB_FAMILY_PATTERN
    stuck_after_minutes: int = Field(default=c.DEFAULT_STUCK_AFTER_MINUTES, ge=0, le=c.MAX_STUCK_AFTER_MINUTES)
    digest_period_hours: int = Field(default=c.DEFAULT_DIGEST_PERIOD_HOURS, ge=1, le=c.MAX_DIGEST_PERIOD_HOURS)
    seal_alias: str = ""  # every function: the HMAC key's alias (domain/seal.py); "" seals nothing, sends nothing

    _split_statuses = field_validator("notify_statuses", mode="before")(split_csv)
    _only_terminal = field_validator("notify_statuses")(check_terminal_statuses)
    _family_group = field_validator("job_family_pattern")(check_family_pattern)

    @property
    def stuck_after(self) -> timedelta | None:
        """How long an InProgress job may stay quiet before its "may be stuck" alert; None: no alerts."""
        return timedelta(minutes=self.stuck_after_minutes) if self.stuck_after_minutes else None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        names = {
            "table_name": c.ENV_TABLE_NAME,
            "event_bus_name": c.ENV_EVENT_BUS_NAME,
            "topic_arn": c.ENV_TOPIC_ARN,
            "top_features": c.ENV_TOP_FEATURES,
            "analysis_max_bytes": c.ENV_ANALYSIS_MAX_BYTES,
            "notify_statuses": c.ENV_NOTIFY_STATUSES,
            "job_name_prefix": c.ENV_JOB_NAME_PREFIX,
            "watermark_overlap_seconds": c.ENV_WATERMARK_OVERLAP_SECONDS,
            "leaderboard_size": c.ENV_LEADERBOARD_SIZE,
            "import_pages_per_piece": c.ENV_IMPORT_PAGES_PER_PIECE,
            "job_family_pattern": c.ENV_JOB_FAMILY_PATTERN,
            "stuck_after_minutes": c.ENV_STUCK_AFTER_MINUTES,
            "digest_period_hours": c.ENV_DIGEST_PERIOD_HOURS,
            "seal_alias": c.ENV_SEAL_ALIAS,
        }
        return cls(**{field: env[name] for field, name in names.items() if env.get(name) not in (None, "")})


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings of this process, read on first use (never at import time)."""
    return Settings.from_env()
