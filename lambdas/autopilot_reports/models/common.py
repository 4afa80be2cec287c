"""Types shared by the event and record models."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, PlainSerializer


def as_utc(value: datetime) -> datetime:
    """Naive datetimes are taken as UTC (SageMaker's clock); aware ones are converted."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def parse_iso_utc(value: str) -> datetime:
    """ISO 8601 text (with `Z`, an offset, or none, taken as UTC) as an aware UTC datetime."""
    return as_utc(datetime.fromisoformat(value.replace("Z", "+00:00")))


def iso_utc(value: datetime) -> str:
    """ISO 8601 UTC with millisecond precision and a `Z`: fixed width, so strings sort like times."""
    return as_utc(value).strftime("%Y-%m-%dT%H:%M:%S.") + f"{as_utc(value).microsecond // 1000:03d}Z"


def hours_minutes(seconds: int | float) -> str:
    """A length of time as people read it: `2h 05m`, `17m` (negative counts as 0)."""
    hours, minutes = divmod(max(int(seconds), 0) // 60, 60)
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m"


def epoch_ms(value: datetime) -> int:
    return int(as_utc(value).timestamp() * 1000)


UtcDatetime = Annotated[datetime, AfterValidator(as_utc), PlainSerializer(iso_utc, return_type=str)]


# DynamoDB's number range (magnitudes 1E-130 to 9.99...E+125): a float outside it cannot be stored at all,
# so the whole write would fail on every retry. Records keep the nearest storable value instead.
STORABLE_MAX = 9.999999999999999e125
STORABLE_MIN = 1e-130


def storable(value: float) -> float:
    if math.isnan(value):
        return value
    if abs(value) < STORABLE_MIN:
        return 0.0
    return max(-STORABLE_MAX, min(STORABLE_MAX, value))


StorableFloat = Annotated[float, AfterValidator(storable)]
