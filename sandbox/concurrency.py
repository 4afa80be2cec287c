"""Lambda's concurrency in scenario time: a scenario's `lambda` block (docs/design.md §6.4).

Without the block every invocation runs the moment it is due, as it always has (`ScenarioClock` alone).
With it, each account (one per place: Lambda's quota is per account and region) has `account_concurrency`
executions, shared by every function in it, and an invocation holds one for its duration
(`lambda.durations`; per record for a batch from an event source mapping). What is due waits for a free
execution, in the order it became due, whichever function it is for:

- an asynchronous invocation (a rule's or a schedule's target, `--invocation-type Event`) waits in
  Lambda's queue with its age; a failed attempt is retried 1, then 2 minutes after it ended (the
  function's MaximumRetryAttempts); an event older than its MaximumEventAgeInSeconds when an execution
  frees is not run but sent to the function's failure destination, as Lambda drops it;
- an SQS event source mapping takes batches of the visible messages, at most its MaximumConcurrency at
  once (sandbox/queue_delivery.py);
- a stream's event source mapping delivers one batch at a time (one shard), a failed one again at once
  (sandbox/stream_delivery.py).

An invocation that found no free execution when it was due counts as throttled. The handlers read the
clock at the moment their invocation starts; what an invocation publishes or commits is due when it ends.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from sandbox.scenario import LambdaQuotas
from sandbox.template import FunctionSpec

if TYPE_CHECKING:
    from sandbox.lambda_runtime import LambdaRuntime

ASYNC_RETRY_DELAYS = (60.0, 120.0)  # Lambda waits 1 minute before an async event's first retry, 2 before its second


@dataclass
class ScenarioClock:
    """Scenario time in seconds since tick 0, which the handlers read as a datetime (autopilot_reports.clock).
    `due` is when what happens now takes effect: the end of the invocation running (with a `lambda`
    block), else now."""

    start: datetime
    seconds: float = 0.0
    running_until: float | None = None

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.seconds)

    def due(self) -> float:
        return self.seconds if self.running_until is None else self.running_until


@dataclass
class Work:
    """One invocation an event source is ready to make: for which function, with how many records, since
    when its oldest record waited, and what runs it (given the moment it ends)."""

    runtime: LambdaRuntime
    function: FunctionSpec
    records: int
    oldest: float
    run: Callable[[float], None]


class Poller(Protocol):
    """An event source as Lambda polls it: when it could start its next invocation (None: nothing due)."""

    def next_start(self) -> float | None: ...

    def take(self, at: float) -> Work | None:
        """The invocation to start at `at` (None: nothing left to run, e.g. every event expired)."""

    def waiting(self) -> int:
        """Events (messages, records) waiting for an invocation."""


@dataclass(order=True)
class _AsyncEvent:
    due: float
    order: int
    runtime: LambdaRuntime = field(compare=False)
    function: FunctionSpec = field(compare=False)
    event: dict[str, Any] = field(compare=False)
    queued_at: float = field(compare=False)
    attempt: int = field(compare=False, default=0)


class AsyncQueue:
    """Lambda's internal queue of asynchronous events, for every function of the account."""

    def __init__(self, clock: ScenarioClock) -> None:
        self.clock = clock
        self._events: list[_AsyncEvent] = []
        self._order = itertools.count()

    def submit(self, runtime: LambdaRuntime, function: FunctionSpec, event: dict[str, Any]) -> None:
        due = self.clock.due()
        heapq.heappush(self._events, _AsyncEvent(due, next(self._order), runtime, function, event, due))

    def next_start(self) -> float | None:
        return self._events[0].due if self._events else None

    def waiting(self) -> int:
        return len(self._events)

    def take(self, at: float) -> Work | None:
        queued = heapq.heappop(self._events)
        runtime, function = queued.runtime, queued.function
        if at - queued.queued_at > function.max_event_age:
            runtime.expire(function, queued.event, at - queued.queued_at)
            return None
        return Work(runtime, function, 1, queued.queued_at, lambda end: self._attempt(queued, end))

    def _attempt(self, queued: _AsyncEvent, end: float) -> None:
        runtime = queued.runtime
        outcome = runtime.attempt_async(queued.function, queued.event, queued.attempt)
        runtime.after_invoke()
        if outcome is None:  # retried after Lambda's delay, with the event's age running on
            delay = ASYNC_RETRY_DELAYS[min(queued.attempt, len(ASYNC_RETRY_DELAYS) - 1)]
            retry = _AsyncEvent(
                end + delay,
                next(self._order),
                runtime,
                queued.function,
                queued.event,
                queued.queued_at,
                queued.attempt + 1,
            )
            heapq.heappush(self._events, retry)


@dataclass
class Execution:
    function: str
    start: float
    end: float


class AccountLambda:
    """One account's executions in scenario time, over every event source of its deployments' functions."""

    def __init__(self, quotas: LambdaQuotas, clock: ScenarioClock) -> None:
        self.quotas = quotas
        self.clock = clock
        self.async_queue = AsyncQueue(clock)
        self.pollers: list[Poller] = [self.async_queue]
        self._free_at = [0.0] * quotas.account_concurrency  # a heap: when each execution is free again
        self.executions: list[Execution] = []

    def add(self, poller: Poller) -> None:
        self.pollers.append(poller)

    def run_until(self, until: float) -> None:
        """Runs every invocation that can start before `until`, earliest first."""
        while True:
            chosen = self._next(until)
            if chosen is None:
                return
            start, due, poller = chosen
            work = poller.take(start)
            if work is not None:
                self._run(work, start, due)

    def idle(self) -> bool:
        return all(poller.next_start() is None for poller in self.pollers)

    def _next(self, until: float) -> tuple[float, float, Poller] | None:
        free = self._free_at[0]
        best: tuple[float, float, Poller] | None = None
        for poller in self.pollers:
            due = poller.next_start()
            if due is None:
                continue
            start = max(due, free)
            if start < until and (best is None or (start, due) < best[:2]):
                best = (start, due, poller)
        return best

    def _run(self, work: Work, start: float, due: float) -> None:
        function = work.function
        end = start + self.quotas.duration(function.logical_id) * max(1, work.records)
        stats = work.runtime.stats(function)
        if self._free_at[0] > due:  # no execution was free when it was due: Lambda throttled it
            stats.throttled += 1
        stats.max_event_age_seconds = max(stats.max_event_age_seconds, start - work.oldest)
        heapq.heapreplace(self._free_at, end)
        self.executions.append(Execution(function.logical_id, start, end))
        self.clock.seconds, self.clock.running_until = start, end
        try:
            work.run(end)
        finally:
            self.clock.running_until = None

    def figures(self) -> dict[str, Any]:
        """The account's side of summary.json: its quota, the most executions each function (and all of
        them) held at once, and the invocations still waiting when the run ended."""
        return {
            "account_concurrency": self.quotas.account_concurrency,
            "durations": dict(sorted(self.quotas.durations.items())),
            "peak_concurrency": peak_concurrency(self.executions),
            "waiting_at_end": sum(poller.waiting() for poller in self.pollers),
        }


def peak_concurrency(executions: list[Execution]) -> dict[str, int]:
    """The most executions held at once, per function and in all (`account`)."""
    changes: list[tuple[float, int, str]] = []
    for execution in executions:
        changes += [(execution.start, 1, execution.function), (execution.end, -1, execution.function)]
    changes.sort(key=lambda change: (change[0], change[1]))  # an execution that ends frees its slot first
    running: dict[str, int] = {}
    peaks: dict[str, int] = {}
    total = peak = 0
    for _, step, function in changes:
        running[function] = running.get(function, 0) + step
        total += step
        peaks[function] = max(peaks.get(function, 0), running[function])
        peak = max(peak, total)
    return {**dict(sorted(peaks.items())), "account": peak}
