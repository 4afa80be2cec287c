"""One scenario's SageMaker clock, and how its times are written.

Tick t covers [start + t * tick, start + (t + 1) * tick). Every second offset in this package is written
for a 15-minute tick and scaled to the clock's tick, so the same job reads alike on any clock and every
change at tick t is last modified inside tick t (newer than anything visible at an earlier tick).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sandbox.timeline import DEFAULT_TICK_SECONDS

UNIT_TICK_SECONDS = 15 * 60  # the tick the offsets are written for


class Clock:
    """One scenario's SageMaker clock: tick t starts at start + t * tick_seconds."""

    def __init__(self, start: str, tick_seconds: int = DEFAULT_TICK_SECONDS) -> None:
        self.start = datetime.fromisoformat(start)
        self.tick_seconds = tick_seconds
        self.scale = tick_seconds / UNIT_TICK_SECONDS  # exactly 1.0 on a 15-minute clock

    def moment(self, tick: int, seconds: float) -> datetime:
        """`seconds` (on the 15-minute scale) into tick `tick`."""
        if not 0 <= seconds < UNIT_TICK_SECONDS:
            raise ValueError(f"{seconds}s is outside tick {tick}")
        return self.start + timedelta(seconds=tick * self.tick_seconds + seconds * self.scale)

    def at(self, tick: int, seconds: float) -> str:
        return iso(self.moment(tick, seconds))


def iso(moment: datetime) -> str:
    """A scenario time as the files write it: ISO 8601 UTC with microseconds."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")
