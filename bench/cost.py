"""AWS calls per report and per watcher tick (DESIGN section 7: cost per report at the minimum the API
allows; watcher cost grows with changes, not with history).

(a) A generated scenario (20 V1 jobs, 4 states each, completing with a Clarify analysis.json) runs through
    the sandbox; calls per terminal report and per non-terminal transition are derived from the run's
    `aws_calls`. One job is then reported directly, one event at a time, counting each invocation's calls.
(b) The table is seeded as if N jobs (100, 1,000, 5,000) had completed long ago, then two scheduled
    watcher ticks run: the first ever (no watermark: the whole history is listed once) and one in which
    k = 5 jobs changed. Steady-state calls per tick must not depend on N.

Everything runs on moto server and the AutoML simulator on 127.0.0.1, with resources and function
environments from the synthesized template; the calls are counted by the sandbox's own observer.

    python -m bench.cost
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from autopilot_reports.adapters.dynamodb import DynamoDBReportStore, _latest_update
from autopilot_reports.domain.description import describe_job
from autopilot_reports.domain.explainability import collect_explainability
from autopilot_reports.domain.reporter import build_record
from autopilot_reports.domain.watcher import state_change
from autopilot_reports.models.events import EVENT_DETAIL_TYPE, EVENT_SOURCE, DetectedBy
from autopilot_reports.models.record import HistoryEntry, ReportRecord
from bench import (
    MB,
    REPORTER_HANDLER,
    WATCHER_HANDLER,
    completed_jobs_scenario,
    print_figures,
    print_table,
    stack,
    template,
)
from sandbox.runner import Sandbox, complete_envelope, run_scenario
from sandbox.scenario import Scenario, load_scenario
from sandbox.template import FunctionSpec
from testsupport.fakes import FakeArtifacts
from tools.make_scenarios import Clock, credit_job
from tools.make_scenarios import Scenario as ScenarioBuilder

# DESIGN 7: what one terminal report physically needs (no ListCandidates: the stack does not configure it).
TERMINAL_MINIMUM = {
    "sagemaker.DescribeAutoMLJob": 1,
    "s3.ListObjectsV2": 1,
    "s3.GetObject": 1,
    "dynamodb.TransactWriteItems": 1,
    "sns.Publish": 1,
}
TERMINAL_CALLS = sum(TERMINAL_MINIMUM.values())
NON_TERMINAL_MAXIMUM = 2  # Describe and the conditional write
ONLY_WHEN_TERMINAL = frozenset({"s3.ListObjectsV2", "s3.GetObject", "sns.Publish"})
REPORTER_OPERATIONS = frozenset(TERMINAL_MINIMUM) | {
    "sagemaker.DescribeAutoMLJobV2",
    "sagemaker.ListCandidatesForAutoMLJob",
}
COST_JOBS, COST_TICKS = 20, 4
HISTORY_SIZES = (100, 1_000, 5_000)
CHANGED_JOBS = 5
WATCHER_RATIO_BAR = 1.1  # steady-state calls(N=5000) / calls(N=100); 1.0 means no growth at all
BATCH_WRITE_LIMIT = 25


# --------------------------------------------------------------------------------------------------
# Driving the handlers one invocation at a time, inside the sandbox


@dataclass(frozen=True)
class Invocation:
    result: dict[str, Any]
    calls: Counter[str]
    events: int  # state changes EventBridge accepted
    notifications: int  # SNS messages accepted

    @property
    def total(self) -> int:
        return sum(self.calls.values())


class DrivenSandbox(Sandbox):
    """The sandbox (moto server, simulator, resources and function environments from the template, its call
    observer) with the handlers driven by `script` one invocation at a time instead of tick by tick."""

    def script(self) -> dict[str, Any]:
        raise NotImplementedError

    def invoke(self, handler_suffix: str, event: dict[str, Any], tick: int) -> Invocation:
        """One invocation with SageMaker at `tick`, and the AWS calls it made."""
        function = self.stack.function_by_handler(handler_suffix)
        self.simulator.tick = tick
        observer = self.observer
        observer.calls.clear()
        observer.events.clear()
        observer.notifications.clear()
        self._invoke(function, event)
        stats = self.invocations[function.logical_id]
        if stats.failed or stats.retried:
            self.log.flush()
            log = (self.out_dir / "lambda.log").read_text()[-3000:]
            raise RuntimeError(f"{function.logical_id} failed during the benchmark; log tail:\n{log}")
        return Invocation(self._result, Counter(observer.calls), len(observer.events), len(observer.notifications))

    # Sandbox hooks: the script replaces the ticks, and its figures replace the output files.
    def _run_ticks(self) -> None:
        self._figures = self.script()

    def _write_outputs(self) -> dict[str, Any]:
        return self._figures

    def _load(self, function: FunctionSpec) -> Any:
        handler = super()._load(function)

        def keep_result(event: dict[str, Any], context: Any) -> Any:
            self._result = handler(event, context)
            return self._result

        return keep_result


def drive(run: type[DrivenSandbox], scenario: Scenario) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-cost-") as out, contextlib.redirect_stderr(io.StringIO()):
        return run(scenario, template(), Path(out)).run()


def state_change_event(describe: Mapping[str, Any], region: str) -> dict[str, Any]:
    """The "AutoML Job State Change" the watcher would publish for this Describe, as EventBridge delivers it."""
    change = state_change(describe, None, DetectedBy.SCHEDULE)
    return complete_envelope(
        {
            "id": str(uuid.uuid4()),
            "detail-type": EVENT_DETAIL_TYPE,
            "source": EVENT_SOURCE,
            "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": region,
            "resources": [change.AutoMLJobArn],
            "detail": json.loads(change.model_dump_json()),
        }
    )


# --------------------------------------------------------------------------------------------------
# (a) Cost per report


@dataclass(frozen=True)
class OperationCost:
    operation: str
    calls: int
    unit: str
    units: int

    @property
    def per_unit(self) -> float:
        return self.calls / self.units if self.units else 0.0


@dataclass(frozen=True)
class RunCost:
    """Calls per report derived from a sandbox run's summary (no duplicates, no faults)."""

    operations: list[OperationCost]
    transitions: int
    terminal_reports: int
    reporter_calls: int
    watcher_calls: int
    watcher_invocations: int
    events_published: int

    @property
    def per_terminal_report(self) -> float:
        return sum(cost.per_unit for cost in self.operations)

    @property
    def per_non_terminal_transition(self) -> float:
        non_terminal = self.transitions - self.terminal_reports
        return (self.reporter_calls - self.per_terminal_report * self.terminal_reports) / non_terminal


def run_cost(summary: Mapping[str, Any]) -> RunCost:
    calls: Mapping[str, int] = summary["aws_calls"]
    transitions, terminals = summary["history_items"], summary["notifications"]
    operations = [
        OperationCost(operation, calls.get(operation, 0), *_unit(operation, transitions, terminals))
        for operation in [*TERMINAL_MINIMUM, *sorted((REPORTER_OPERATIONS & set(calls)) - set(TERMINAL_MINIMUM))]
    ]
    watcher = _function_id(WATCHER_HANDLER)
    return RunCost(
        operations=operations,
        transitions=transitions,
        terminal_reports=terminals,
        reporter_calls=sum(n for operation, n in calls.items() if operation in REPORTER_OPERATIONS),
        watcher_calls=sum(n for operation, n in calls.items() if operation not in REPORTER_OPERATIONS),
        watcher_invocations=summary["invocations"][watcher]["succeeded"],
        events_published=summary["events_published"],
    )


def _unit(operation: str, transitions: int, terminals: int) -> tuple[str, int]:
    return ("terminal report", terminals) if operation in ONLY_WHEN_TERMINAL else ("transition", transitions)


def _function_id(handler_suffix: str) -> str:
    return stack().function_by_handler(handler_suffix).logical_id


def sandbox_run_cost() -> RunCost:
    scenario = completed_jobs_scenario(COST_JOBS, COST_TICKS, prefix="cost")
    with tempfile.TemporaryDirectory(prefix="bench-cost-") as out:
        summary = run_scenario(scenario, template(), Path(out))
    failed = {name: stats for name, stats in summary["invocations"].items() if stats["failed"] or stats["retried"]}
    if failed:
        raise RuntimeError(f"invocations failed in the sandbox run: {failed}")
    return run_cost(summary)


class OneJobReported(DrivenSandbox):
    """One job's events through the reporter handler: a non-terminal transition, the terminal report, and
    the terminal event delivered again."""

    def script(self) -> dict[str, Any]:
        job = self.scenario.jobs[0]
        last = len(job.describe) - 1
        steps = (("non-terminal transition", 0), ("terminal report", last), ("terminal event replayed", last))
        return {
            label: self.invoke(REPORTER_HANDLER, state_change_event(job.at(tick), self.scenario.region), tick)
            for label, tick in steps
        }


# --------------------------------------------------------------------------------------------------
# (b) Watcher cost against history


def history_scenario(history: int, changed: int) -> Scenario:
    """`history` jobs that completed in January 2024, and `changed` jobs that go from Starting to
    AnalyzingData between tick 0 and tick 1."""
    old = ScenarioBuilder("history", Clock("2024-01-08T09:00:00+00:00"))
    for index in range(history):
        old.add(credit_job(f"hist-{index:05d}", offset=60 + index % 600, steps=["Completed/Completed"]))
    new = ScenarioBuilder("changed", Clock("2025-06-02T08:00:00+00:00"))
    for index in range(changed):
        steps = ["InProgress/Starting", "InProgress/AnalyzingData"]
        new.add(credit_job(f"live-{index:02d}", offset=60 + index * 97, steps=steps))
    document = new.document()
    return load_scenario({**document, "jobs": old.document()["jobs"] + document["jobs"]})


def seed_record(api: str, describe: Mapping[str, Any]) -> ReportRecord:
    """The record the reporter writes for this Describe (no S3 read is due for these states)."""
    job = describe_job(api, describe)  # type: ignore[arg-type]
    explainability = collect_explainability(job, FakeArtifacts(), top_n=10, max_bytes=MB)
    return build_record(job, explainability, notified_at=None)


def record_item(record: ReportRecord) -> dict[str, Any]:
    """The latest-record item the adapter's conditional update writes for a job the table does not know:
    its SET clause applied to nothing. Seeding goes through BatchWriteItem because moto takes about 20 ms
    to evaluate each such update: thousands of them would make the seeding, not the watcher, the bench."""
    update = _latest_update(record, claim_notification=False)
    names, values = update["ExpressionAttributeNames"], update["ExpressionAttributeValues"]
    assignments = update["UpdateExpression"].removeprefix("SET ").split(" REMOVE ")[0].split(", ")
    item = dict(update["Key"])
    for assignment in assignments:
        name, value = assignment.split(" = ")
        item[names.get(name, name)] = values[value]
    return item


class WatcherTicks(DrivenSandbox):
    """Every job of the scenario reported at tick 0, then the watcher's first tick and the next one."""

    def script(self) -> dict[str, Any]:
        self._seed_reports(tick=0)
        schedule = dict(self.stack.schedules[0].input)  # what EventBridge Scheduler sends the watcher
        bootstrap = self.invoke(WATCHER_HANDLER, schedule, tick=0)
        if bootstrap.events:
            raise RuntimeError(f"the first tick published {bootstrap.events} already reported jobs: bad seeding")
        return {"bootstrap": bootstrap, "steady": self.invoke(WATCHER_HANDLER, schedule, tick=1)}

    def _seed_reports(self, tick: int) -> None:
        table = self.stack.tables[0].logical_id
        dynamodb = self.admin.client("dynamodb")
        records = [seed_record(job.api, job.at(tick)) for job in self.scenario.jobs]
        self._check_item_layout(table, records[0])
        items = [{"PutRequest": {"Item": record_item(record)}} for record in records]
        for start in range(0, len(items), BATCH_WRITE_LIMIT):
            request = {table: items[start : start + BATCH_WRITE_LIMIT]}
            while request:
                request = dynamodb.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}

    def _check_item_layout(self, table: str, record: ReportRecord) -> None:
        """The seeded item must be the one the adapter itself writes."""
        dynamodb = self.admin.client("dynamodb")
        store = DynamoDBReportStore(table, dynamodb=dynamodb)
        store.save_report(record, HistoryEntry.of(record, DetectedBy.BACKFILL.value), claim_notification=False)
        key = _latest_update(record, claim_notification=False)["Key"]
        stored = dynamodb.get_item(TableName=table, Key=key, ConsistentRead=True)["Item"]
        if stored != record_item(record):
            raise RuntimeError(
                f"seeded item differs from the adapter's: {sorted(stored)} vs {sorted(record_item(record))}"
            )


@dataclass(frozen=True)
class HistoryCost:
    history: int
    bootstrap: Invocation
    steady: Invocation
    seconds: float


def watcher_cost(history: int, changed: int = CHANGED_JOBS) -> HistoryCost:
    started = time.perf_counter()
    ticks = drive(WatcherTicks, history_scenario(history, changed))
    return HistoryCost(history, ticks["bootstrap"], ticks["steady"], time.perf_counter() - started)


# --------------------------------------------------------------------------------------------------
# Output


def _by_operation(calls: Mapping[str, int]) -> str:
    """In the order the calls were first made."""
    return ", ".join(f"{operation.split('.', 1)[1]} {n}" for operation, n in calls.items())


def print_run_cost(cost: RunCost) -> None:
    print_table(
        f"(a) Sandbox run: {COST_JOBS} jobs x {COST_TICKS} states = {cost.transitions} transitions reported, "
        f"{cost.terminal_reports} terminal reports (from summary.aws_calls)",
        ("operation", "calls", "per", "units", "calls/unit", "minimum"),
        [
            (c.operation, c.calls, c.unit, c.units, c.per_unit, TERMINAL_MINIMUM.get(c.operation, 0))
            for c in cost.operations
        ],
    )
    print(
        f"reporter: {cost.per_terminal_report:.2f} calls per terminal report (minimum {TERMINAL_CALLS}),"
        f" {cost.per_non_terminal_transition:.2f} per non-terminal transition (at most {NON_TERMINAL_MAXIMUM})"
    )
    print(
        f"watcher: {cost.watcher_calls} calls in {cost.watcher_invocations} invocations (scheduled ticks and "
        f"one CloudTrail nudge per job created) "
        f"({cost.watcher_calls / cost.watcher_invocations:.2f} per invocation), {cost.events_published} changes published"
    )


def print_direct_cost(steps: Mapping[str, Invocation]) -> None:
    print_table(
        "(a) Direct: one job through the reporter handler, calls counted per invocation",
        ("event", "outcome", "calls", "by operation"),
        [(label, step.result.get("outcome"), step.total, _by_operation(step.calls)) for label, step in steps.items()],
    )


def print_history_cost(costs: list[HistoryCost]) -> None:
    print_table(
        f"(b) Watcher calls per scheduled tick against history (k = {CHANGED_JOBS} jobs changed)",
        ("history N", "first tick ever", "tick calls", "listed", "published", "by operation", "seconds"),
        [
            (
                c.history,
                c.bootstrap.total,
                c.steady.total,
                c.steady.result["listed"],
                c.steady.result["published"],
                _by_operation(c.steady.calls),
                c.seconds,
            )
            for c in costs
        ],
    )


def main() -> int:
    run = sandbox_run_cost()
    print_run_cost(run)
    direct = drive(OneJobReported, completed_jobs_scenario(1, COST_TICKS, prefix="direct"))
    print_direct_cost(direct)
    history = [watcher_cost(size) for size in HISTORY_SIZES]
    print_history_cost(history)

    terminal, non_terminal = direct["terminal report"], direct["non-terminal transition"]
    ratio = history[-1].steady.total / history[0].steady.total
    figures = [
        (
            "calls per terminal report (sandbox run)",
            run.per_terminal_report,
            f"= {TERMINAL_CALLS}",
            run.per_terminal_report <= TERMINAL_CALLS,
        ),
        (
            "calls per non-terminal transition (sandbox run)",
            run.per_non_terminal_transition,
            f"<= {NON_TERMINAL_MAXIMUM}",
            run.per_non_terminal_transition <= NON_TERMINAL_MAXIMUM,
        ),
        (
            "calls per terminal report (direct)",
            terminal.total,
            f"= {TERMINAL_CALLS}, one of each",
            dict(terminal.calls) == TERMINAL_MINIMUM,
        ),
        (
            "calls per non-terminal transition (direct)",
            non_terminal.total,
            f"<= {NON_TERMINAL_MAXIMUM}",
            non_terminal.total <= NON_TERMINAL_MAXIMUM,
        ),
        (f"watcher tick calls, N={HISTORY_SIZES[0]:,}", history[0].steady.total, "", None),
        (f"watcher tick calls, N={HISTORY_SIZES[-1]:,}", history[-1].steady.total, "", None),
        (
            f"ratio calls(N={HISTORY_SIZES[-1]:,}) / calls(N={HISTORY_SIZES[0]:,})",
            ratio,
            f"<= {WATCHER_RATIO_BAR}",
            ratio <= WATCHER_RATIO_BAR,
        ),
    ]
    return 0 if print_figures("Cost figures", figures) else 1


if __name__ == "__main__":
    sys.exit(main())
