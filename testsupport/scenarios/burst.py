"""A burst under Lambda's real quotas (docs/design.md §7, "Bursts"): many jobs that were running when the
stack was deployed all end within one minute (a scheduled retraining wave), in an account whose Lambda
concurrency is a new account's, 10, shared by every function; the scenario's `lambda` block.

Each job is V1 binary, one family, running for an hour before the deploy; it shows its best candidate at
tick 0 and completes during tick 1, with a Clarify analysis.json (12 features) beside its reports. Nothing
is notified before the burst: the changes before the deploy are older than the watcher's first listing.
"""

from __future__ import annotations

from datetime import timedelta

from testsupport.scenarios.clarify import CHURN_FEATURES, analysis_doc, clarify, shap_values
from testsupport.scenarios.clock import Clock
from testsupport.scenarios.jobs import Doc, credit_job
from testsupport.scenarios.plan import ScenarioPlan

BURST_START = "2025-06-02T08:00:00+00:00"
NEW_ACCOUNT_CONCURRENCY = 10  # a new account's concurrent executions, shared by all its functions
# Seconds per invocation (per record for a batch) in scenario time: a report is Describe, ListCandidates, a
# listing and a read of analysis.json (up to 20 MiB) and a transaction; the watcher pages through the burst.
BURST_DURATIONS = {"ReporterFunction": 2.0, "WatcherFunction": 5.0, "NotifierFunction": 0.2}
STEPS = ["InProgress/GeneratingExplainabilityReport+best", "Completed/Completed"]


def burst_plan(jobs: int, *, prefix: str = "burst", start: str = BURST_START, quotas: Doc | None = None) -> ScenarioPlan:
    """`jobs` jobs ending within one minute (tick 1), deployed at tick 0 while they run, under `quotas`
    (default: `lambda_quotas()`, a new account's)."""
    clock = Clock(start)
    plan = ScenarioPlan(prefix, clock)
    plan.deployed_at = clock.start
    plan.lambda_quotas = quotas or lambda_quotas()
    for index in range(jobs):
        # Endings spread over the minute (offsets 60-659 s on the 15-minute scale: 4-44 s into tick 1).
        job = credit_job(
            f"{prefix}-{index:04d}", offset=60 + (index * 37) % 600, steps=list(STEPS), running_since=timedelta(hours=1)
        )
        plan.add(job, clarify(job, analysis_doc({"label0": shap_values(job.name, CHURN_FEATURES)}, {"label0": 0.5})))
    return plan


def lambda_quotas(
    concurrency: int = NEW_ACCOUNT_CONCURRENCY, durations: dict[str, float] | None = None
) -> Doc:
    """The scenario's `lambda` block: the account's concurrency and each function's duration."""
    return {"account_concurrency": concurrency, "durations": dict(durations or BURST_DURATIONS)}
