"""A simulator driven tick by tick by a test: every tick shows the next entry of each timeline.

The sandbox paces timelines by the scenario clock (sandbox/timeline.py): an entry is shown once the clock
has reached its LastModifiedTime. A test that sets `simulator.tick` by hand wants `describe[min(tick,
last)]` instead; a clock that starts when every job's first state exists and ticks by a decade gives
exactly that, with no second rule in the simulator.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sandbox.scenario import Scenario, load_scenario, parse_timestamp
from sandbox.simulator import AutoMLSimulator
from sandbox.timeline import DEFAULT_TICK_SECONDS

DECADE_SECONDS = 10 * 366 * 86_400


def stepping_scenario(data: Mapping[str, Any]) -> Scenario:
    """The scenario with tick 0 at its latest first state, unless it names its own deployed_at."""
    if "deployed_at" in data or not data.get("jobs"):
        return load_scenario(data)
    first_states = [parse_timestamp(job["describe"][0]["LastModifiedTime"]) for job in data["jobs"]]
    return load_scenario({**data, "deployed_at": max(first_states).isoformat()})


def stepping_simulator(data: Mapping[str, Any] | Scenario) -> AutoMLSimulator:
    """A simulator whose tick t shows describe[min(t, last)] of every job."""
    if isinstance(data, Scenario):
        return AutoMLSimulator(data, tick_seconds=DECADE_SECONDS)
    return AutoMLSimulator(stepping_scenario(data), tick_seconds=DECADE_SECONDS)


__all__ = ["DEFAULT_TICK_SECONDS", "stepping_scenario", "stepping_simulator"]
