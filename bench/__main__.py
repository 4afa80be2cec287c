"""Every bench, one after another, then one table of every figure and bench/out/results.json (written
afresh). Exit 1 if any bar is missed.

    python -m bench
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

from bench import (
    RESULTS_PATH,
    Figure,
    analysis_memory,
    burst,
    cold_start,
    cost,
    finish,
    pages,
    print_table,
    reporter_time,
    sandbox_scale,
)

BENCHES: tuple[tuple[str, Callable[[], list[Figure]]], ...] = (
    ("bench.cost", cost.measure),
    ("bench.reporter_time", reporter_time.measure),
    ("bench.analysis_memory", analysis_memory.measure),
    ("bench.cold_start", cold_start.measure),
    ("bench.sandbox_scale", sandbox_scale.measure),
    ("bench.burst", burst.measure),
    ("bench.pages", pages.measure),
)


def main() -> int:
    RESULTS_PATH.unlink(missing_ok=True)
    figures: list[Figure] = []
    times = []
    for name, measure in BENCHES:
        print(f"\n=== {name}", flush=True)
        started = time.perf_counter()
        figures += measure()
        times.append((name, time.perf_counter() - started))
    print_table("Run times", ("bench", "seconds"), times)
    return finish("All figures (docs/design.md §7)", figures)


if __name__ == "__main__":
    sys.exit(main())
