"""Function settings, read once from the environment the stack configures.

The names below are the contract between `infra/` (which sets them) and the handlers (which read
them); the sandbox reads them from the synthesized template, so the two cannot drift.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field, field_validator

TERMINAL_STATUSES = ("Completed", "Failed", "Stopped")

# Environment variable names (one place; infra/constants.py imports these).
ENV_TABLE_NAME = "TABLE_NAME"
ENV_EVENT_BUS_NAME = "EVENT_BUS_NAME"
ENV_TOPIC_ARN = "TOPIC_ARN"
ENV_TOP_FEATURES = "TOP_FEATURES"
ENV_ANALYSIS_MAX_BYTES = "ANALYSIS_MAX_BYTES"
ENV_NOTIFY_STATUSES = "NOTIFY_STATUSES"
ENV_JOB_NAME_PREFIX = "JOB_NAME_PREFIX"
ENV_WATERMARK_OVERLAP_SECONDS = "WATERMARK_OVERLAP_SECONDS"


def _split_csv(value: object) -> object:
    if isinstance(value, str):
        return tuple(item.strip() for item in value.split(",") if item.strip())
    return value


class Settings(BaseModel):
    """Everything a handler needs to know about its deployment."""

    model_config = ConfigDict(frozen=True)

    table_name: str = Field(min_length=1)
    event_bus_name: str = ""
    topic_arn: str = ""
    top_features: int = Field(default=10, ge=1, le=100)
    analysis_max_bytes: int = Field(default=20 * 1024 * 1024, ge=1024)
    notify_statuses: tuple[str, ...] = TERMINAL_STATUSES
    job_name_prefix: str = ""
    watermark_overlap_seconds: int = Field(default=300, ge=0, le=86_400)

    _split_statuses = field_validator("notify_statuses", mode="before")(_split_csv)

    @field_validator("notify_statuses")
    @classmethod
    def _only_terminal(cls, statuses: tuple[str, ...]) -> tuple[str, ...]:
        unknown = sorted(set(statuses) - set(TERMINAL_STATUSES))
        if unknown:
            raise ValueError(f"notify statuses must be terminal statuses {TERMINAL_STATUSES}, got {unknown}")
        return statuses

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        names = {
            "table_name": ENV_TABLE_NAME,
            "event_bus_name": ENV_EVENT_BUS_NAME,
            "topic_arn": ENV_TOPIC_ARN,
            "top_features": ENV_TOP_FEATURES,
            "analysis_max_bytes": ENV_ANALYSIS_MAX_BYTES,
            "notify_statuses": ENV_NOTIFY_STATUSES,
            "job_name_prefix": ENV_JOB_NAME_PREFIX,
            "watermark_overlap_seconds": ENV_WATERMARK_OVERLAP_SECONDS,
        }
        return cls(**{field: env[name] for field, name in names.items() if env.get(name) not in (None, "")})


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings of this process, read on first use (never at import time)."""
    return Settings.from_env()
