"""Lambda's concurrency in scenario time: a scenario's `lambda` block (docs/design.md §6.4).

Without the block every invocation runs the moment it is due, as it always has (`ScenarioClock` alone).
With it, each account (one per place: Lambda's quota is per account and region) has `account_concurrency`
executions, shared by every function in it, and an invocation holds one for its duration
(`lambda.durations`; per record for a batch from an event source mapping). What is due waits for a free
execution:

- an asynchronous invocation (a rule's or a schedule's target, `--invocation-type Event`) waits in
  Lambda's queue for its function with its age; a failed attempt is retried 1, then 2 minutes after it
  ended (the function's MaximumRetryAttempts); an event older than its MaximumEventAgeInSeconds when an
  execution frees is not run but sent to the function's failure destination, as Lambda drops it;
- an SQS event source mapping takes batches of the visible messages, at most its MaximumConcurrency at
  once (sandbox/queue_delivery.py);
- a stream's event source mapping delivers one batch at a time (one shard), a failed one again at once
  (sandbox/stream_delivery.py).

When an execution frees, the event sources with something due compete for it as Lambda's pollers do: the
one whose function holds the fewest executions gets it (then the one due first), so a function with one
event due is not queued behind another's thousand, but a function with no cap takes every execution the
others leave. An invocation that found no free execution when it was due counts as throttled. The
handlers read the clock at the moment their invocation starts; what an invocation publishes or commits
is due when it ends.
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
    """An event source as Lambda polls it, for one function: when it could start its next invocation
    (None: nothing due)."""

    function: FunctionSpec

    def next_start(self) -> float | None: ...

    def take(self, at: float) -> Work | None:
        """The invocation to start at `at` (None: nothing left to run, e.g. every event expired)."""

    def waiting(self) -> int:
        """Events (messages, records) waiting for an invocation."""


@dataclass(order=True)
class _AsyncEvent:
    due: float
    order: int
    event: dict[str, Any] = field(compare=False)
    queued_at: float = field(compare=False)
    attempt: int = field(compare=False, default=0)


class AsyncQueue:
    """Lambda's internal queue of one function's asynchronous events."""

    def __init__(self, runtime: LambdaRuntime, function: FunctionSpec) -> None:
        self.runtime = runtime
        self.function = function
        self._events: list[_AsyncEvent] = []
        self._order = itertools.count()

    def submit(self, event: dict[str, Any], due: float) -> None:
        heapq.heappush(self._events, _AsyncEvent(due, next(self._order), event, due))

    def next_start(self) -> float | None:
        return self._events[0].due if self._events else None

    def waiting(self) -> int:
        return len(self._events)

    def take(self, at: float) -> Work | None:
        queued = heapq.heappop(self._events)
        age = at - queued.queued_at
        if age > self.function.max_event_age:
            self.runtime.expire(self.function, queued.event, age)
            return None
        return Work(self.runtime, self.function, 1, queued.queued_at, lambda end: self._attempt(queued, end))

    def _attempt(self, queued: _AsyncEvent, end: float) -> None:
        outcome = self.runtime.attempt_async(self.function, queued.event, queued.attempt)
        self.runtime.after_invoke()
        if outcome is None:  # retried after Lambda's delay, with the event's age running on
            delay = ASYNC_RETRY_DELAYS[min(queued.attempt, len(ASYNC_RETRY_DELAYS) - 1)]
            retry = _AsyncEvent(end + delay, next(self._order), queued.event, queued.queued_at, queued.attempt + 1)
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
        self.pollers: list[Poller] = []
        self._async: dict[tuple[int, str], AsyncQueue] = {}  # by runtime and function
        self._free_at = [0.0] * quotas.account_concurrency  # a heap: when each execution is free again
        self._running: dict[str, list[float]] = {}  # function -> when each of its executions ends
        self.executions: list[Execution] = []

    def add(self, poller: Poller) -> None:
        self.pollers.append(poller)

    def submit_async(self, runtime: LambdaRuntime, function: FunctionSpec, event: dict[str, Any]) -> None:
        """An asynchronous invocation, due now (or when the invocation running ends)."""
        key = (id(runtime), function.logical_id)
        queue = self._async.get(key)
        if queue is None:
            queue = self._async[key] = AsyncQueue(runtime, function)
            self.add(queue)
        queue.submit(event, self.clock.due())

    def run_until(self, until: float) -> None:
        """Runs every invocation that can start before `until`, in the order their executions free."""
        while self.run_next(until):
            pass

    def next_start(self, until: float) -> float | None:
        """When the next invocation starts, if one can start before `until` (a world of several accounts
        runs theirs in the order of these)."""
        chosen = self._next(until)
        return chosen[0] if chosen is not None else None

    def run_next(self, until: float) -> bool:
        """Runs the next invocation that can start before `until`; False when none can."""
        chosen = self._next(until)
        if chosen is None:
            return False
        start, throttled, poller = chosen
        work = poller.take(start)
        if work is not None:
            self._run(work, start, throttled)
        return True

    def idle(self) -> bool:
        return all(poller.next_start() is None for poller in self.pollers)

    def _next(self, until: float) -> tuple[float, bool, Poller] | None:
        """The next invocation to start, before `until`: at the earliest moment any source can start one,
        the source whose function holds the fewest executions then (then the one due first); and whether
        it found every execution busy when it could have started (Lambda throttled it)."""
        free = self._free_at[0]
        due_by: list[tuple[float, Poller]] = []
        for poller in self.pollers:
            due = poller.next_start()
            if due is not None:
                due_by.append((due, poller))
        if not due_by:
            return None
        # Never before the last start: what became due earlier (a message a capped mapping held back) starts now.
        start = max(free, self.clock.seconds, min(due for due, _ in due_by))
        if start >= until:
            return None
        ready = [
            (self._holding(poller, start), due, index) for index, (due, poller) in enumerate(due_by) if due <= start
        ]
        _, due, index = min(ready)
        return start, free > max(due, self.clock.seconds), due_by[index][1]

    def _holding(self, poller: Poller, at: float) -> int:
        ends = self._running.get(poller.function.logical_id, [])
        return sum(1 for end in ends if end > at)

    def _run(self, work: Work, start: float, throttled: bool) -> None:
        function = work.function
        end = start + self.quotas.duration(function.logical_id) * max(1, work.records)
        stats = work.runtime.stats(function)
        stats.throttled += throttled
        stats.max_event_age_seconds = max(stats.max_event_age_seconds, start - work.oldest)
        heapq.heapreplace(self._free_at, end)
        running = self._running.setdefault(function.logical_id, [])
        running[:] = [other for other in running if other > start] + [end]
        self.executions.append(Execution(function.logical_id, start, end))
        self.clock.seconds, self.clock.running_until = start, end
        try:
            work.run(end)
        finally:
            self.clock.running_until = None

    def figures(self) -> dict[str, Any]:
        """The account's side of summary.json: its quota, the most executions each function (and all of
        them) held at once, how long every execution was busy (any other function of the account,
        invoked then, is throttled), and the events still waiting when the run ended."""
        return {
            "account_concurrency": self.quotas.account_concurrency,
            "durations": dict(sorted(self.quotas.durations.items())),
            "peak_concurrency": peak_concurrency(self.executions),
            "saturated_seconds": saturated_seconds(self.executions, self.quotas.account_concurrency),
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


def saturated_seconds(executions: list[Execution], limit: int) -> float:
    """How long all `limit` executions were held at once."""
    changes = sorted([(e.start, 1) for e in executions] + [(e.end, -1) for e in executions], key=lambda c: (c[0], c[1]))
    total, running, since = 0.0, 0, 0.0
    for moment, step in changes:
        if running >= limit:
            total += moment - since
        running += step
        since = moment
    return round(total, 3)
