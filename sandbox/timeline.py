"""When each response of a scenario is shown: the scenario clock and the data agree (docs/design.md §6.3).

Tick t is at `start + t * tick_seconds` (start = `deployed_at`, default the earliest CreationTime; the
tick is the watcher schedule's rate). A job's timeline advances one entry per tick, and never shows an
entry before the clock has reached its LastModifiedTime: at tick t no response shows a change after
the clock, so no record can be notified before it ended. A job whose first entry was modified after the
clock does not exist yet (ListAutoMLJobs omits it, Describe does not know it). A timeline written at the
schedule's pace shows `describe[min(t, last)]`; one written faster waits for the clock.

One rule for the simulator (what it serves), the runner (how long it ticks, when CloudTrail sees a
job created) and the scenario builder (what the pipeline must have observed).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from autopilot_reports.models.place import JobRef

DEFAULT_TICK_SECONDS = 60  # the watcher schedule's default rate (scheduleRateMinutes = 1)


def first_shown(modified: Sequence[datetime], start: datetime, tick_seconds: int) -> list[int]:
    """The tick at which each entry is first shown: the tick after the previous entry's, or the first
    tick whose clock has reached its LastModifiedTime, whichever is later."""
    ticks: list[int] = []
    for moment in modified:
        due = max(0, math.ceil((moment - start) / timedelta(seconds=tick_seconds)))
        ticks.append(max(due, ticks[-1] + 1 if ticks else 0))
    return ticks


def shown_index(ticks: Sequence[int], tick: int) -> int | None:
    """The entry a job shows at `tick` (the last one due by then), or None before its first."""
    index = None
    for position, due in enumerate(ticks):
        if due > tick:
            break
        index = position
    return index


@dataclass(frozen=True)
class Timeline:
    """Every job's first-shown ticks, for one scenario on one clock; a job is its place and name (one name
    may run in several accounts)."""

    start: datetime
    tick_seconds: int
    ticks: dict[JobRef, list[int]]

    def now(self, tick: int) -> datetime:
        return self.start + timedelta(seconds=tick * self.tick_seconds)

    def shown(self, job: JobRef, tick: int) -> int | None:
        return shown_index(self.ticks[job], tick)

    def appears(self, job: JobRef) -> int:
        """The tick at which the job first exists."""
        return self.ticks[job][0]

    @property
    def last_tick(self) -> int:
        """The tick by which every job shows the last entry of its timeline."""
        return max((ticks[-1] for ticks in self.ticks.values()), default=0)
