"""AWS calls of a job's cost (docs/design.md §7, "Cost of a job": at most one Describe per distinct child job
plus 4 calls, one price look-up per instance type a week, never on the report's hot path).

(a) Two V1 jobs of 250 candidates each (one data builder, one preprocessing training and transform job they
    all share, a trial each; one trial in ten on managed spot) end a tick apart and run through the
    sandbox with the template as it deploys. The coster's calls are split by invocation and grouped by job
    (a job's first piece lists its candidates): the first job finds the price cache empty, the second
    finds it filled. Counted: every call the coster makes for the job (ListCandidates pages, Describes,
    the cache read, the hand-off between pieces, the price look-ups and their cache write, the result),
    its pieces and each piece's wall time beside the function's timeout. The reporter's calls per
    terminal report are measured in the same run: costing adds none to them.
(b) A week of jobs on the same two instance types (two a day, each costed as soon as it ends) through the
    coster with its real adapters: the Price List API from the simulator, the cache on the stack's table
    in moto, the coster's clock moved through the week. GetProducts calls are counted per instance type;
    a job on the eighth day looks the prices up again.

    python -m bench.costing
"""

from __future__ import annotations

import copy
import os
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import boto3

from autopilot_reports import constants as c
from autopilot_reports.adapters.child_jobs import SageMakerChildJobs
from autopilot_reports.adapters.dynamodb_costs import DynamoDBCostStore
from autopilot_reports.adapters.pricing import PriceListProducts
from autopilot_reports.domain.coster import Coster, CostOutcome
from autopilot_reports.models.place import JobRef
from bench import REGION, Figure, finish, print_table, stack, template
from bench.driven import InvocationCalls, observed_run
from sandbox.scenario import Scenario, load_scenario
from testsupport.scenarios.children import ChildRun, child_steps, children_of
from testsupport.scenarios.clock import Clock
from testsupport.scenarios.jobs import HPO, Job, credit_job
from testsupport.scenarios.plan import ScenarioPlan
from testsupport.scenarios.prices import Rate, price_list
from testsupport.scenarios.rendering import scenario_document

CANDIDATES = 250
INSTANCE_TYPES = ("ml.m5.2xlarge", "ml.m5.4xlarge")
WEEK_JOBS, WEEK_DAYS = 14, 7
EXTRA_CALLS_BAR = 4


@dataclass
class ManyCandidates(Job):
    """A job of `count` candidates: the first as testsupport builds it, the others alike (their own name,
    trial and objective value; created in the same moment, as one tuning round's are)."""

    count: int = CANDIDATES

    def candidates(self) -> list[dict[str, Any]]:
        best_tick = self.best_tick()
        assert best_tick is not None
        first = self.candidate(0, best_tick, best=True)
        others = []
        for index in range(1, self.count):
            name = self.candidate_name(index)
            candidate = copy.deepcopy(first)
            candidate["CandidateName"] = name
            candidate["CandidateSteps"] = self.candidate_steps(name)
            candidate["InferenceContainers"] = self.inference_containers(name)
            candidate["FinalAutoMLJobObjectiveMetric"]["Value"] = round(self.objective_value - 0.0001 * index, 4)
            candidate["CandidateProperties"].pop("CandidateArtifactLocations", None)
            others.append(candidate)
        return [first, *others]


def big_job(name: str, offset: int, steps: Sequence[str] = HPO) -> Job:
    return ManyCandidates(name, "binary", list(steps), "defaulted", "credit-apps", offset=offset, objective_value=0.8412)


def runs_for(job: Job) -> dict[str, ChildRun]:
    runs: dict[str, ChildRun] = {}
    for index, (step_type, name) in enumerate(child_steps(job).values()):
        if step_type.endswith("ProcessingJob"):
            runs[name] = ChildRun("ml.m5.2xlarge", 1, start_after=60, seconds=480)
        elif step_type.endswith("TransformJob"):
            runs[name] = ChildRun("ml.m5.4xlarge", 2, start_after=1500, seconds=300)
        elif index % 10 == 9:
            runs[name] = ChildRun("ml.m5.4xlarge", 1, 1900, seconds=1800, billable_seconds=700, spot=True)
        else:
            runs[name] = ChildRun("ml.m5.4xlarge" if index % 2 else "ml.m5.2xlarge", 1, 1900, seconds=1200)
    return runs


def rates() -> list[Rate]:
    usages = ("Training", "Processing", "BatchTransform")
    return [
        Rate(REGION, kind, usage, "0.4610000000" if kind == "ml.m5.2xlarge" else "0.9220000000")
        for kind in INSTANCE_TYPES
        for usage in usages
    ]


def big_jobs_scenario() -> tuple[Scenario, int]:
    """Two jobs of 250 candidates, the second ending a tick after the first (tuning a tick longer), so the
    first is costed, in its pieces, before the second ends; and how many distinct child jobs each has."""
    plan = ScenarioPlan("cost250", Clock("2026-04-06T09:00:00+00:00"))
    distinct = set()
    tuning_longer = [*HPO[:4], "InProgress/ModelTuning", *HPO[4:]]
    for name, offset, steps in (("cost250-first", 100, HPO), ("cost250-second", 160, tuning_longer)):
        job = big_job(name, offset, steps)
        plan.add(job, explainability={"state": "missing"})
        job.children = children_of(job, runs_for(job))
        distinct.add(len(child_steps(job)))
    plan.prices = price_list(rates())
    (per_job,) = distinct
    return load_scenario(scenario_document(plan)), per_job


def jobs_of(records: Sequence[InvocationCalls]) -> list[list[InvocationCalls]]:
    """The coster's invocations grouped by job: a job's first piece is the one that lists its candidates."""
    jobs: list[list[InvocationCalls]] = []
    for record in records:
        if record.calls["sagemaker.ListCandidatesForAutoMLJob"] or not jobs:
            jobs.append([])
        jobs[-1].append(record)
    return jobs


def total(pieces: Sequence[InvocationCalls]) -> Counter[str]:
    calls: Counter[str] = Counter()
    for piece in pieces:
        calls.update(piece.calls)
    return calls


# --------------------------------------------------------------------------------------------------
# (b) a week of prices


@contextmanager
def week_world() -> Iterator[tuple[Coster, Counter[str], Any]]:
    """The coster's real adapters: SageMaker and the Price List API from the simulator, the table in moto."""
    from moto import mock_aws

    from sandbox.simulator import AutoMLSimulator

    plan = ScenarioPlan("week", Clock("2026-05-04T09:00:00+00:00"))
    for index in range(WEEK_JOBS):
        job = credit_job(f"week-{index:02d}", offset=100 + index * 20, other_candidates=4, objective_value=0.8)
        plan.add(job, explainability={"state": "missing"})
        job.children = children_of(job, runs_for(job))
    plan.prices = price_list(rates())
    scenario = load_scenario(scenario_document(plan))
    saved = dict(os.environ)
    os.environ.update({"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": REGION})
    try:
        with mock_aws(), AutoMLSimulator(scenario) as simulator:
            table = stack().tables[0]
            dynamodb = boto3.client("dynamodb", region_name=REGION)
            dynamodb.create_table(**table.create_table_params())
            sagemaker = boto3.client("sagemaker", region_name=REGION, endpoint_url=simulator.endpoint_url)
            pricing = boto3.client("pricing", region_name="us-east-1", endpoint_url=simulator.endpoint_url)
            calls: Counter[str] = Counter()
            pricing.meta.events.register("before-call", lambda model, **_: calls.update([model.name]))
            simulator.tick = 10_000  # every job at its end
            coster = Coster(
                SageMakerChildJobs(sagemaker), PriceListProducts(pricing), DynamoDBCostStore(table.table_name, dynamodb)
            )
            yield coster, calls, scenario
    finally:
        os.environ.clear()
        os.environ.update(saved)


def week_of_prices() -> tuple[int, int]:
    """GetProducts calls for a week of jobs on the same types, then for one on the eighth day."""
    with week_world() as (coster, calls, scenario):
        start = datetime.fromisoformat("2026-05-04T12:00:00+00:00")
        for index, job in enumerate(scenario.jobs):
            moment = start + timedelta(hours=index * WEEK_DAYS * 24 / WEEK_JOBS)
            coster.clock = lambda moment=moment: moment
            result = coster.start(
                JobRef.of(job.describe[-1]["AutoMLJobArn"], job.name),
                job.describe[-1]["AutoMLJobArn"],
                "week",
                lambda: 300.0,
            )
            if result.outcome is CostOutcome.HANDED_ON:
                raise RuntimeError("a week job did not fit one piece")
        in_week = calls["GetProducts"]
        coster.clock = lambda: start + timedelta(days=WEEK_DAYS, hours=1)
        last = scenario.jobs[0]
        coster.start(
            JobRef.of(last.describe[-1]["AutoMLJobArn"], last.name),
            last.describe[-1]["AutoMLJobArn"],
            "week",
            lambda: 300.0,
        )
        return in_week, calls["GetProducts"] - in_week


# --------------------------------------------------------------------------------------------------


def measure() -> list[Figure]:
    source = template()
    functions = stack(source)
    coster_id = functions.function_by_handler(c.COSTER_HANDLER).logical_id
    timeout = functions.function_by_handler(c.COSTER_HANDLER).timeout
    scenario, distinct = big_jobs_scenario()
    run = observed_run(scenario, source)
    coster_records = [record for record in run.log.records if record.function == coster_id]
    cold, warm = jobs_of(coster_records)
    cold_calls, warm_calls = total(cold), total(warm)
    describes = sum(count for call, count in warm_calls.items() if call.startswith("sagemaker.Describe"))
    rows = []
    for label, pieces in (("first (cache empty)", cold), ("second (cache filled)", warm)):
        calls = total(pieces)
        for operation in sorted(calls):
            rows.append((label, operation, calls[operation]))
        rows.append((label, "pieces", len(pieces)))
        rows.append((label, "slowest piece, s", max(piece.seconds for piece in pieces)))
    print_table(
        f"coster calls, jobs of {CANDIDATES} candidates ({distinct} distinct child jobs)", ("job", "what", "n"), rows
    )
    in_week, eighth_day = week_of_prices()
    print_table(
        "GetProducts over a week",
        ("jobs", "instance types", "in the week", "on the eighth day"),
        [(WEEK_JOBS, len(INSTANCE_TYPES), in_week, eighth_day)],
    )
    slowest = max(piece.seconds for piece in coster_records)
    return [
        Figure(
            "cost_calls_per_job_250_candidates",
            sum(warm_calls.values()),
            distinct + EXTRA_CALLS_BAR,
            f"{distinct} distinct child jobs, {describes} Describes, {len(warm)} pieces; the rest: "
            + ", ".join(f"{op} {n}" for op, n in sorted(warm_calls.items()) if not op.startswith("sagemaker.Describe")),
        ),
        Figure(
            "cost_calls_per_job_250_candidates_cold_prices",
            sum(cold_calls.values()),
            None,
            f"the first job of the types: + {cold_calls['pricing.GetProducts']} GetProducts, "
            f"{cold_calls['dynamodb.BatchWriteItem']} BatchWriteItem (the week's cache)",
        ),
        Figure(
            "cost_pieces_per_job_250_candidates",
            len(warm),
            None,
            f"at most {c.COST_DESCRIBES_PER_PIECE} Describes a piece, and none once 30 s remain of the {timeout} s timeout",
        ),
        Figure(
            "cost_piece_seconds_max_250_candidates",
            slowest,
            float(timeout),
            f"slowest coster invocation in the sandbox (local emulators; the function's timeout is {timeout} s)",
        ),
        Figure(
            "cost_pricing_calls_per_week_same_types",
            in_week / len(INSTANCE_TYPES),
            1,
            f"{WEEK_JOBS} jobs over {WEEK_DAYS} days on {len(INSTANCE_TYPES)} types: {in_week} GetProducts; "
            f"the eighth day's job: {eighth_day} (the cache is a week old)",
        ),
    ]


def main() -> int:
    return finish("cost of a job", measure())


if __name__ == "__main__":
    sys.exit(main())
