"""AWS calls per report, per watcher tick and per history-import piece (docs/design.md §7: cost per report
at the minimum the API allows; first contact costs what any tick costs; watcher cost grows with changes,
not with history; a history import of any size finishes in bounded pieces).

(a) A generated scenario (20 V1 jobs, 4 states each, completing with a best candidate, two more candidates
    and a Clarify analysis.json) runs through the sandbox, with the template's leaderboard (size 5) and
    with LEADERBOARD_SIZE 0 in the reporter's environment. The run's `aws_calls`, split by invocation:
    calls for terminal reports = every reporter invocation at the tick the jobs complete, plus every
    notifier invocation (the notifier publishes only terminal claims); divided by the terminal reports.
(b) An account with 10,000 jobs that ended in January 2024 (the simulator lists them, the table is empty)
    and 50 jobs running since before the deploy: the first scheduled tick, then a tick in which the 50
    changed, then a tick with no change. Then a history import of the 10,000 ([2024, 2025)), started as a
    user starts it and followed piece by piece through the bus, each piece's calls and wall time counted.
(c) An organization (docs/design.md §8): the 20 jobs of (a), each the first of its family, spread over two
    spokes that forward to one hub, in the sandbox's organization mode. Calls for terminal reports = the
    spoke reporters' and forwarders' and the hub recorder's invocations at the tick the jobs complete,
    plus every hub notifier invocation; the same functions' invocations at the ticks between (tick 0 holds
    the spokes' first heartbeats only) are the non-terminal transitions'. The seal key's derivation
    (kms.GenerateMac, once per function and process) is counted apart, as in (a). The spokes' coster is not
    mapped here: a job's cost reaches the hub after its report, as its own event (design §8.4).

Everything runs on moto server and the AutoML simulator on 127.0.0.1; calls are counted by the sandbox's
own observer.

    python -m bench.cost
"""

from __future__ import annotations

import copy
import dataclasses
import statistics
import sys
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from autopilot_reports import constants as c
from autopilot_reports.settings import ReporterSettings, WatcherSettings
from bench import (
    HUB,
    NOTIFIER_HANDLER,
    PER_PROCESS_CALLS,
    REPORTER_HANDLER,
    WATCHER_HANDLER,
    Figure,
    completed_jobs_scenario,
    finish,
    organization_jobs_scenario,
    organization_templates,
    print_table,
    stack,
    template,
    tick_seconds,
    with_environment,
)
from bench.driven import DriveCallback, Driver, InvocationCalls, Run, observed_organization_run, observed_run
from sandbox.scenario import Scenario, load_scenario
from sandbox.template import read_stack
from testsupport.scenarios.clock import Clock
from testsupport.scenarios.jobs import credit_job
from testsupport.scenarios.plan import ScenarioPlan
from testsupport.scenarios.rendering import scenario_document

# What one terminal report physically needs (docs/design.md §5.5 and §7).
TERMINAL_MINIMUM = {
    "sagemaker.DescribeAutoMLJob": 1,
    "sagemaker.ListCandidatesForAutoMLJob": 1,
    "s3.ListObjectsV2": 1,
    "s3.GetObject": 1,
    "dynamodb.TransactWriteItems": 1,
    "sns.Publish": 1,
}
COST_JOBS, COST_TICKS = 20, 4
HISTORY_JOBS, CHANGED_JOBS = 10_000, 50
JOBS_PER_HISTORY_DAY = 600  # old jobs are spread over days so that every CreationTime differs
DEPLOYED_AT = datetime(2025, 6, 2, 8, 0, tzinfo=UTC)
IMPORT_RANGE = (datetime(2024, 1, 1, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC))
TICK_CALLS_BAR = 10
MAX_IMPORT_PIECES = 50
ORG_SPOKES = 2
ORG_TERMINAL_BAR, ORG_NON_TERMINAL_BAR = 8, 4  # docs/design.md §8: across spoke and hub
# A report's way through an organization: the spoke's reporter and forwarder, the hub's recorder and notifier.
ORG_PATH = (REPORTER_HANDLER, c.FORWARDER_HANDLER, c.HUB_RECORDER_HANDLER, NOTIFIER_HANDLER)


# --------------------------------------------------------------------------------------------------
# (a) Calls per terminal report


@dataclass(frozen=True)
class ReportCost:
    label: str
    terminal_reports: int
    terminal_calls: Counter[str]
    non_terminal_transitions: int
    non_terminal_calls: Counter[str]
    run: Run
    per_process_calls: Counter[str]  # PER_PROCESS_CALLS of the reporter and the notifier, over the run

    @property
    def per_terminal_report(self) -> float:
        return sum(self.terminal_calls.values()) / self.terminal_reports

    @property
    def per_non_terminal_transition(self) -> float:
        return sum(self.non_terminal_calls.values()) / self.non_terminal_transitions


def report_cost(label: str, source: Mapping[str, Any], *, own_family: bool = True) -> ReportCost:
    """The run's calls, split into terminal reports and the other transitions. `own_family`: every job is
    the first of its family, so the standing best the watcher looked up is still the best when the
    reporter commits; else all are of one family, completing in one tick, and each commit after the first
    finds the family's best moved since the lookup."""
    scenario = completed_jobs_scenario(COST_JOBS, COST_TICKS, prefix="cost", own_family=own_family)
    terminal_tick = _last_entry_tick(scenario, tick_seconds(source))
    run = observed_run(scenario, source)
    functions = stack(source)
    reporter = functions.function_by_handler(REPORTER_HANDLER).logical_id
    notifier = functions.function_by_handler(NOTIFIER_HANDLER).logical_id
    _check_split(run)
    _check_family_hints(run)
    terminal, non_terminal, per_process = Counter[str](), Counter[str](), Counter[str]()
    non_terminal_transitions = 0
    for record in run.log.records:
        if record.function not in (reporter, notifier):
            continue
        per_process.update({op: n for op, n in record.calls.items() if op in PER_PROCESS_CALLS})
        calls = Counter({op: n for op, n in record.calls.items() if op not in PER_PROCESS_CALLS})
        if record.function == notifier or record.tick >= terminal_tick:
            terminal.update(calls)
        else:
            non_terminal.update(calls)
            non_terminal_transitions += record.events  # a batch from the reporter's queue: one per change
    terminal_reports = run.summary["notifications"]
    if terminal_reports != COST_JOBS:
        raise RuntimeError(f"{label}: {terminal_reports} notifications for {COST_JOBS} completed jobs")
    return ReportCost(label, terminal_reports, terminal, non_terminal_transitions, non_terminal, run, per_process)


def _last_entry_tick(scenario: Scenario, seconds: int, prefix: str = "") -> int:
    """The tick at which every job named `prefix`... first shows its last state (the same for all; the
    timeline waits for the clock: a job created during tick 0 shows its first state at tick 1)."""
    timeline = scenario.timeline(seconds)
    ticks = {timeline.ticks[scenario.ref(job)][-1] for job in scenario.jobs if job.name.startswith(prefix)}
    if len(ticks) != 1:
        raise RuntimeError(f"the jobs {prefix}* show their last state at different ticks: {sorted(ticks)}")
    return ticks.pop()


def _check_family_hints(run: Run) -> None:
    """Every Completed change reached the reporter from the watcher, with the family's standing best it
    looked up in its BatchGetItem: the reporter judges against it in its one transaction, no read of its own."""
    completed = [
        event["detail"]
        for event in run.log.events
        if event["detail-type"] == c.STATE_CHANGE_DETAIL_TYPE and event["detail"]["AutoMLJobStatus"] == c.COMPLETED
    ]
    missing = [detail["AutoMLJobName"] for detail in completed if not detail.get("FamilyStanding")]
    if not completed or missing:
        raise RuntimeError(f"{len(completed)} Completed changes published; without the family hint: {missing}")


def _check_split(run: Run) -> None:
    """The per-invocation records add up to the summary's aws_calls: nothing is counted outside them."""
    total = Counter[str]()
    for record in run.log.records:
        total.update(record.calls)
    if dict(total) != run.summary["aws_calls"]:
        raise RuntimeError(f"per-invocation calls {dict(total)} differ from aws_calls {run.summary['aws_calls']}")


# --------------------------------------------------------------------------------------------------
# (b) Watcher ticks and history import against 10,000 old jobs


def history_scenario() -> Scenario:
    """10,000 jobs that completed in January 2024 and 50 that have been running for 6 hours at the deploy
    and move from Starting to AnalyzingData during tick 1 (shown from tick 2: the timeline waits for the
    clock); tick 0 is the deploy."""
    plan = ScenarioPlan("history", Clock(DEPLOYED_AT.isoformat()))
    for index in range(HISTORY_JOBS):
        day = Clock(f"2024-01-{1 + index // JOBS_PER_HISTORY_DAY:02d}T09:00:00+00:00")
        offset = 60 + index % JOBS_PER_HISTORY_DAY
        plan.add(credit_job(f"hist-{index:05d}", offset=offset, steps=["Completed/Completed"], clock=day))
    for index in range(CHANGED_JOBS):
        steps = ["InProgress/Starting", "InProgress/AnalyzingData"]
        plan.add(credit_job(f"live-{index:02d}", offset=60 + index * 11, steps=steps, running_since=timedelta(hours=6)))
    plan.deployed_at = DEPLOYED_AT
    return load_scenario(scenario_document(plan))


@dataclass(frozen=True)
class ImportPiece:
    response: dict[str, Any]
    calls: InvocationCalls
    seconds: float


def history_import(driver: Driver) -> list[ImportPiece]:
    """A history import as a user starts it (`{"backfill": ...}`), then each piece the previous one handed
    on, as the bus delivers it to the watcher, until one says it is done."""
    _detach_reporter(driver)
    start, end = (moment.isoformat() for moment in IMPORT_RANGE)
    event: dict[str, Any] = {"backfill": {"start": start, "end": end}}
    pieces = []
    for _ in range(MAX_IMPORT_PIECES):
        response, calls, seconds = driver.invoke(WATCHER_HANDLER, event)
        pieces.append(ImportPiece(response, calls, seconds))
        if response.get("status") == "done":
            return pieces
        event = _handed_on(driver)
    raise RuntimeError(f"the history import did not finish in {MAX_IMPORT_PIECES} pieces")


def _detach_reporter(driver: Driver) -> None:
    """The reporter is not under test here: its rule keeps matching the import's 10,000 state changes
    (PutEvents is unchanged), but delivers them nowhere, so moto need not queue them."""
    deployment = driver.deployment
    events = deployment.client("events")
    for rule in deployment.stack.rules:
        if c.STATE_CHANGE_DETAIL_TYPE not in rule.pattern.get("detail-type", []):
            continue
        targets = events.list_targets_by_rule(Rule=rule.logical_id, EventBusName=rule.bus)["Targets"]
        events.remove_targets(Rule=rule.logical_id, EventBusName=rule.bus, Ids=[t["Id"] for t in targets])


def _handed_on(driver: Driver) -> dict[str, Any]:
    """The "AutoML History Import" event the last piece put on the bus, from the rule that routes it."""
    deployment = driver.deployment
    rule = next(rule for rule in deployment.stack.rules if c.IMPORT_DETAIL_TYPE in rule.pattern.get("detail-type", []))
    events = deployment.events.take_tapped(rule.logical_id)
    if len(events) != 1:
        raise RuntimeError(f"expected one handed-on import event, found {len(events)}")
    return events[0]


@dataclass(frozen=True)
class HistoryCost:
    label: str
    first_tick: InvocationCalls
    changed_tick: InvocationCalls
    quiet_tick: InvocationCalls
    pieces: list[ImportPiece] | None  # the history import, when it was driven
    run: Run


def history_cost(label: str, source: Mapping[str, Any], drive: DriveCallback | None = None) -> HistoryCost:
    """The watcher's first scheduled tick, the tick the 50 change and the one after, in the account with
    history, on the template `source`."""
    scenario = history_scenario()
    changed_at = _last_entry_tick(scenario, tick_seconds(source), prefix="live-")  # the 50 move
    run = observed_run(scenario, source, drive=drive)
    watcher = stack(source).function_by_handler(WATCHER_HANDLER).logical_id
    ticks: dict[int, list[InvocationCalls]] = {}
    for record in run.tick_records:
        if record.function == watcher:
            ticks.setdefault(record.tick, []).append(record)
    measured = (0, changed_at, changed_at + 1)
    scheduled = [ticks.get(tick, []) for tick in measured]
    if any(len(invocations) != 1 for invocations in scheduled):
        raise RuntimeError(f"{label}: expected one watcher invocation at each of ticks {measured}: {ticks}")
    # The reporter is handed the 50 changes in batches from its queue: count the events, not the invocations.
    reporter = stack(source).function_by_handler(REPORTER_HANDLER).logical_id
    reported = run.summary["invocations"].get(reporter, {}).get("events", 0)
    if reported != CHANGED_JOBS:
        raise RuntimeError(f"{label}: the reporter was handed {reported} changes for {CHANGED_JOBS} changed jobs")
    first, changed, quiet = (invocations[0] for invocations in scheduled)
    return HistoryCost(label, first, changed, quiet, run.driven, run)


# --------------------------------------------------------------------------------------------------
# (c) Calls per terminal report across an organization


@dataclass(frozen=True)
class OrganizationCost:
    terminal_reports: int
    terminal_calls: Counter[str]
    non_terminal_transitions: int
    non_terminal_calls: Counter[str]
    per_process_calls: Counter[str]
    seconds: float

    @property
    def per_terminal_report(self) -> float:
        return sum(self.terminal_calls.values()) / self.terminal_reports

    @property
    def per_non_terminal_transition(self) -> float:
        return sum(self.non_terminal_calls.values()) / self.non_terminal_transitions


def organization_cost() -> OrganizationCost:
    """(c): COST_JOBS jobs over ORG_SPOKES spokes and a hub; every function on a report's way counted."""
    scenario = organization_jobs_scenario(ORG_SPOKES, COST_JOBS // ORG_SPOKES, COST_TICKS, own_family=True)
    # The report's way alone: a job's cost travels after it, as its own event (the coster's write, one
    # PutEvents entry, the hub's one UpdateItem; docs/design.md §8.4), so the spokes' coster is not mapped.
    spoke = copy.deepcopy(dict(organization_templates().spoke))
    del spoke["Resources"]["CosterStreamMapping"]
    templates = dataclasses.replace(organization_templates(), spoke=spoke)
    run = observed_organization_run(scenario, templates)
    terminal_tick = _last_entry_tick(scenario, tick_seconds(templates.spoke))
    terminal, non_terminal, per_process = Counter[str](), Counter[str](), Counter[str]()
    transitions = recorded = 0
    for place, log in run.logs.items():
        functions = {
            spec.logical_id: spec.handler
            for spec in read_stack(templates.hub if place == HUB else templates.spoke, place).functions.values()
        }
        for record in log.records:
            handler = next((name for name in ORG_PATH if functions[record.function].endswith(name)), None)
            if handler is None:
                continue
            per_process.update({op: n for op, n in record.calls.items() if op in PER_PROCESS_CALLS})
            calls = Counter({op: n for op, n in record.calls.items() if op not in PER_PROCESS_CALLS})
            if handler == NOTIFIER_HANDLER or record.tick >= terminal_tick:
                terminal.update(calls)
                recorded += record.events if handler == c.HUB_RECORDER_HANDLER else 0
            elif record.tick > 0:
                non_terminal.update(calls)
                transitions += record.events if handler == REPORTER_HANDLER else 0  # a batch: one per change
    reports = run.summary["notifications"]
    if reports != COST_JOBS or recorded != COST_JOBS:
        raise RuntimeError(f"organization: {reports} messages and {recorded} hub recordings for {COST_JOBS} jobs")
    return OrganizationCost(reports, terminal, transitions, non_terminal, per_process, run.seconds)


def print_organization_cost(cost: OrganizationCost) -> None:
    operations = sorted(cost.terminal_calls)
    print_table(
        f"(c) Calls per terminal report across an organization ({COST_JOBS} jobs over {ORG_SPOKES} spokes and a hub: "
        "spoke reporter and forwarder, hub recorder and notifier)",
        ("operation", "per terminal report"),
        [(op, cost.terminal_calls[op] / cost.terminal_reports) for op in operations]
        + [("total", cost.per_terminal_report)],
    )
    print(
        f"{cost.non_terminal_transitions} non-terminal transitions at {cost.per_non_terminal_transition:.2f} calls each "
        f"({_by_operation(cost.non_terminal_calls)}); once per process: {_by_operation(cost.per_process_calls)}; "
        f"run {cost.seconds:.1f} s"
    )


def organization_figures(cost: OrganizationCost) -> list[Figure]:
    return [
        Figure(
            "org_calls_per_terminal_report",
            cost.per_terminal_report,
            ORG_TERMINAL_BAR,
            f"{_by_operation(cost.terminal_calls)} for {cost.terminal_reports} reports; the seal key's derivation "
            f"(kms.GenerateMac, once per function and process) apart: {sum(cost.per_process_calls.values())} on "
            "the reports' way in the run",
        ),
        Figure(
            "org_calls_per_non_terminal_transition",
            cost.per_non_terminal_transition,
            ORG_NON_TERMINAL_BAR,
            "spoke Describe + TWI, forwarder PutEvents, hub recorder TWI",
        ),
    ]


# --------------------------------------------------------------------------------------------------
# Output


def _by_operation(calls: Mapping[str, int]) -> str:
    return ", ".join(f"{operation.split('.', 1)[1]} {n}" for operation, n in sorted(calls.items()))


def print_report_costs(costs: Sequence[ReportCost]) -> None:
    operations = sorted({op for cost in costs for op in [*cost.terminal_calls, *TERMINAL_MINIMUM]})
    print_table(
        f"(a) Calls for terminal reports, per terminal report ({COST_JOBS} jobs x {COST_TICKS} states; "
        f"reporter invocations at the completing tick + notifier invocations)",
        ("operation", "minimum", *(cost.label for cost in costs)),
        [
            (
                operation,
                TERMINAL_MINIMUM.get(operation, 0),
                *(cost.terminal_calls.get(operation, 0) / cost.terminal_reports for cost in costs),
            )
            for operation in operations
        ]
        + [("total", sum(TERMINAL_MINIMUM.values()), *(cost.per_terminal_report for cost in costs))],
    )
    for cost in costs:
        print(
            f"{cost.label}: {cost.non_terminal_transitions} non-terminal transitions at "
            f"{cost.per_non_terminal_transition:.2f} calls each ({_by_operation(cost.non_terminal_calls)}); "
            f"once per process, not per report: {_by_operation(cost.per_process_calls)} in the run; "
            f"run {cost.run.seconds:.1f} s"
        )


def print_history_costs(costs: Sequence[HistoryCost]) -> None:
    print_table(
        f"(b) Watcher ticks, {HISTORY_JOBS:,} old jobs in the account (table empty at the first tick)",
        ("stuck detection", "tick", "calls", "by operation"),
        [
            row
            for cost in costs
            for row in (
                (cost.label, "first scheduled tick ever", cost.first_tick.total, _by_operation(cost.first_tick.calls)),
                (
                    cost.label,
                    f"tick with {CHANGED_JOBS} jobs changed",
                    cost.changed_tick.total,
                    _by_operation(cost.changed_tick.calls),
                ),
                (cost.label, "tick with no change", cost.quiet_tick.total, _by_operation(cost.quiet_tick.calls)),
            )
        ],
    )
    for cost in costs:
        print(f"history run, stuck detection {cost.label} (scenario, ticks, import if any) {cost.run.seconds:.1f} s")


def print_import(pieces: Sequence[ImportPiece]) -> None:
    print_table(
        f"(b) History import of the {HISTORY_JOBS:,} old jobs, one row per invocation (piece)",
        ("piece", "listed", "published so far", "status", "calls", "seconds", "by operation"),
        [
            (
                index + 1,
                piece.response["listed"],
                piece.response["published"],
                piece.response["status"],
                piece.calls.total,
                piece.seconds,
                _by_operation(piece.calls.calls),
            )
            for index, piece in enumerate(pieces)
        ],
    )


def measure() -> list[Figure]:
    base = template()
    with_board = report_cost("leaderboard 5", base)
    without_board = report_cost(
        "leaderboard 0", with_environment(base, REPORTER_HANDLER, {ReporterSettings.env_name("leaderboard_size"): "0"})
    )
    one_family = report_cost("one family", base, own_family=False)
    print_report_costs([with_board, without_board, one_family])
    # The template's default watches for stuck jobs (STUCK_AFTER_MINUTES 240: one Query a tick); the
    # tick's own cost is measured with it off, in an account alike.
    stuck_after = (
        stack(base).function_by_handler(WATCHER_HANDLER).environment[WatcherSettings.env_name("stuck_after_minutes")]
    )
    stuck = history_cost(f"on ({stuck_after} min)", base, drive=history_import)
    plain = history_cost(
        "off", with_environment(base, WATCHER_HANDLER, {WatcherSettings.env_name("stuck_after_minutes"): "0"})
    )
    print_history_costs([plain, stuck])
    organization = organization_cost()
    print_organization_cost(organization)
    assert stuck.pieces is not None  # driven
    print_import(stuck.pieces)
    print(f"history import in the run with stuck detection on; {stuck.run.seconds:.1f} s in all")

    pieces = stuck.pieces
    imported = sum(piece.response["listed"] for piece in pieces)
    seconds = [piece.seconds for piece in pieces]
    timeout = stack().function_by_handler(WATCHER_HANDLER).timeout
    minimum = sum(TERMINAL_MINIMUM.values())
    return [
        Figure(
            "reporter_calls_per_terminal_report",
            with_board.per_terminal_report,
            minimum,
            f"leaderboard 5; minimum {minimum} (Describe, ListCandidates, ListObjectsV2, GetObject, TWI, Publish)",
        ),
        Figure(
            "reporter_calls_per_terminal_report_leaderboard_0",
            without_board.per_terminal_report,
            minimum - 1,
            "LEADERBOARD_SIZE 0: no ListCandidates",
        ),
        Figure(
            "reporter_calls_per_terminal_report_one_family",
            one_family.per_terminal_report,
            None,
            f"{COST_JOBS} jobs of one family ending in one tick: each commit after the first finds the best moved "
            f"and is judged again (TWI {one_family.terminal_calls['dynamodb.TransactWriteItems'] / COST_JOBS:.2f})",
        ),
        Figure(
            "reporter_calls_per_non_terminal_transition",
            with_board.per_non_terminal_transition,
            None,
            "Describe + TWI",
        ),
        Figure(
            "seal_key_calls_in_the_run",
            sum(with_board.per_process_calls.values()),
            2,
            f"kms.GenerateMac for {COST_JOBS} terminal and {with_board.non_terminal_transitions} other reports: once "
            "per process, never per report (the sandbox runs every function in one process, which derives the "
            "key once; on AWS each function's container does, at its cold start)",
        ),
        Figure(
            "watcher_first_tick_calls_10k_history",
            plain.first_tick.total,
            TICK_CALLS_BAR,
            f"stuck detection off: {_by_operation(plain.first_tick.calls)}",
        ),
        Figure(
            "watcher_calls_per_tick_10k_history_50_changed",
            plain.changed_tick.total,
            TICK_CALLS_BAR,
            f"stuck detection off: {_by_operation(plain.changed_tick.calls)}",
        ),
        Figure(
            "watcher_calls_per_tick_10k_history_unchanged",
            plain.quiet_tick.total,
            None,
            "stuck detection off; no change",
        ),
        Figure(
            "watcher_calls_per_tick_with_stuck_detection_50_changed",
            stuck.changed_tick.total,
            TICK_CALLS_BAR,
            f"STUCK_AFTER_MINUTES {stuck_after}: {_by_operation(stuck.changed_tick.calls)}",
        ),
        Figure(
            "watcher_calls_per_tick_with_stuck_detection_quiet",
            stuck.quiet_tick.total,
            None,
            f"STUCK_AFTER_MINUTES {stuck_after}, no change: {_by_operation(stuck.quiet_tick.calls)}",
        ),
        Figure(
            "import_jobs_per_invocation",
            max(piece.response["listed"] for piece in pieces),
            None,
            f"IMPORT_PAGES_PER_PIECE x {c.LIST_PAGE_SIZE}; {imported:,} listed in all",
        ),
        Figure("import_invocations_10k_history", len(pieces), None, f"{HISTORY_JOBS:,} jobs created in 2024"),
        Figure(
            "import_invocation_seconds_median",
            statistics.median(seconds),
            None,
            "wall, handler only, on the emulators",
        ),
        Figure(
            "import_invocation_seconds_max",
            max(seconds),
            timeout,
            f"within the watcher's {timeout} s timeout (emulators, not AWS)",
        ),
        Figure(
            "import_calls_per_invocation_median",
            statistics.median(piece.calls.total for piece in pieces),
            None,
            "10 pages: List, BatchGetItem, PutEvents by 10, progress, hand-on",
        ),
        *organization_figures(organization),
    ]


def main() -> int:
    return finish("Cost figures", measure())


if __name__ == "__main__":
    sys.exit(main())
