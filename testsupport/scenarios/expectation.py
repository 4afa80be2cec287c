"""The oracle: what docs/design.md §4, §4.1 and §5 require of the records, notifications and history of a
`ScenarioPlan`, derived from the plan's recorded inputs (its jobs' timelines, the sandbox's clock rule, the
valid analyses), never written by hand. `expectation(plan)` is the `.expect.json` the e2e tests check:

- explainability: importance = mean of a feature's `global_shap_values` over all label keys (missing =
  0), top 10 by importance desc then feature name asc (`expected_available`); where only the pipeline's
  own words could say the outcome, the plan carries the author's statement (`missing`, `error`, ...: the
  reason as a case-insensitive substring of the record's);
- leaderboard: the Completed candidates with a final objective that exist when the job ends, best first
  by the objective's direction (ties by name), at most 5; null before the job ends;
- history: one item per state the watcher and history imports can observe (`observed`);
- notifications: one per job whose terminal state was observed and that ended at or after the watch
  start (tick 0); `notified_at` stays null for every other job;
- stuck alerts, one per observed stall; family verdicts in the order Completed states are seen;
- compute, for a job with child jobs in the scenario (`expected_compute`): worked out by hand from the
  child jobs' responses and the served prices, never by the pipeline's own code.

For an organization (a plan with a hub, docs/design.md §8) the same, per spoke (a family is one account and
region's), and for the hub: one record per (account, region, job) with its `account_id` and `region`, one
message per notify-worthy job (the spoke claims, the hub sends; no spoke sends any), the spoke's history, and
one `spoke_silent` message per spoke the plan silences after it was heard from.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from autopilot_reports.constants import (
    DEFAULT_LEADERBOARD_SIZE,
    DEFAULT_STUCK_AFTER_MINUTES,
    DEFAULT_TOP_FEATURES,
    DEFAULT_WATERMARK_OVERLAP_SECONDS,
)
from autopilot_reports.domain.family import family_of
from autopilot_reports.domain.objective import standard_metric
from autopilot_reports.domain.untrusted import storable_text
from sandbox.timeline import shown_index
from testsupport.scenarios.children import child_steps
from testsupport.scenarios.jobs import TERMINAL, Doc, Job
from testsupport.scenarios.plan import ExplainabilityInput, ScenarioPlan, ValidAnalysis
from testsupport.scenarios.prices import hourly

TOP_N = DEFAULT_TOP_FEATURES
LEADERBOARD_SIZE = DEFAULT_LEADERBOARD_SIZE
OVERLAP = timedelta(seconds=DEFAULT_WATERMARK_OVERLAP_SECONDS)
STUCK_AFTER = timedelta(minutes=DEFAULT_STUCK_AFTER_MINUTES)
IMPORTANCE_PLACES = 6


# ------------------------------------------------------------------------------------------ explainability
# Outcomes other than `available`, as the author states them (reason: a case-insensitive substring of the record's).
def not_applicable() -> Doc:
    return {"state": "not_applicable"}


def missing(reason: str | None = None) -> Doc:
    return _state("missing", reason)


def error(reason: str | None = None) -> Doc:
    return _state("error", reason)


def pending() -> Doc:
    return {"state": "pending"}


def _state(state: str, reason: str | None) -> Doc:
    return {"state": state} | ({"reason_contains": reason} if reason else {})


def expected_available(doc: Doc, reports: Sequence[str]) -> Doc:
    """The `explainability` expectation for a valid analysis.json with these reports beside it (docs/design.md §4.1)."""
    kernel_shap = doc["explanations"]["kernel_shap"]
    labels = list(kernel_shap)
    features: dict[str, None] = {}
    for label in labels:
        features.update(dict.fromkeys(kernel_shap[label]["global_shap_values"]))
    importance = {
        f: sum(kernel_shap[label]["global_shap_values"].get(f, 0.0) for label in labels) / len(labels) for f in features
    }
    ranked = sorted(importance.items(), key=lambda item: (-item[1], item[0]))
    check_unambiguous(ranked[: TOP_N + 1])
    return {
        "state": "available",
        "feature_count": len(features),
        "labels": [storable_text(label) for label in labels],
        # the record keeps names as given but for what DynamoDB cannot store (a lone surrogate: U+FFFD)
        "top_features": [
            {"feature": storable_text(f), "importance": round(v, IMPORTANCE_PLACES)} for f, v in ranked[:TOP_N]
        ],
        "artifact_keys": sorted(["analysis"] + [f"report_{kind}" for kind in reports]),
    }


def check_unambiguous(ranked: list[tuple[str, float]]) -> None:
    """Neighbours are exactly tied (name decides) or clearly apart; no value sits on a rounding edge."""
    for (f1, v1), (f2, v2) in zip(ranked, ranked[1:]):
        if v1 != v2 and abs(v1 - v2) < 1e-9:
            raise ValueError(f"{f1} and {f2} are too close to rank reliably")
    for f, v in ranked:
        fraction = abs(v * 10**IMPORTANCE_PLACES) % 1
        if abs(fraction - 0.5) < 1e-6:
            raise ValueError(f"{f}={v!r} sits on a rounding edge at {IMPORTANCE_PLACES} places")


def expected_explainability(held: ExplainabilityInput) -> Doc:
    """Derived from a valid analysis; an outcome the author stated, as stated."""
    if isinstance(held, ValidAnalysis):
        return expected_available(held.doc, held.reports)
    return held


# ------------------------------------------------------------------------------------------------ one job
def expected_leaderboard(job: Job) -> list[str] | None:
    """docs/design.md §4: null until the job ends; then the Completed candidates with a final objective that exist
    by its end, best first by the objective's direction (ties by name), at most LEADERBOARD_SIZE."""
    last = job.describe()[-1]
    if last["AutoMLJobStatus"] not in TERMINAL:
        return None
    ended = datetime.fromisoformat(last["LastModifiedTime"])
    scored = [
        (c["FinalAutoMLJobObjectiveMetric"]["Value"], c["CandidateName"])
        for c in job.candidates()
        if c["CandidateStatus"] == "Completed"
        and "FinalAutoMLJobObjectiveMetric" in c
        and datetime.fromisoformat(c["CreationTime"]) <= ended
    ]
    sign = -1 if job.objective[1] == "Maximize" else 1
    scored.sort(key=lambda item: (sign * item[0], item[1]))
    return [name for _, name in scored[:LEADERBOARD_SIZE]]


def expected_record(job: Job, explainability: Doc) -> Doc:
    """The record fields docs/design.md §4 fixes for the job's last state."""
    last = job.describe()[-1]
    best = last.get("BestCandidate")
    record: Doc = {
        "job_arn": job.arn,
        "api": job.api,
        "status": last["AutoMLJobStatus"],
        "secondary_status": last["AutoMLJobSecondaryStatus"],
    }
    if "ResolvedAttributes" in last or job.declare_problem_type or job.kind == "timeseries":
        record["problem_type"] = job.problem_type
    record["best_candidate"] = best["CandidateName"] if best else None
    objective = best["FinalAutoMLJobObjectiveMetric"] if best else None
    record["objective"] = (
        {
            "metric": objective["MetricName"],
            "type": objective["Type"],
            "value": objective["Value"],
            "standard_metric": standard_metric(objective["MetricName"]),
            "direction": objective["Type"],
        }
        if objective
        else None
    )
    record["failure_reason"] = last.get("FailureReason")
    record["partial_failures"] = [r["PartialFailureMessage"] for r in last.get("PartialFailureReasons", [])]
    record["explainability"] = explainability
    record["leaderboard"] = expected_leaderboard(job)
    if best and record["leaderboard"] is not None and record["leaderboard"][:1] != [best["CandidateName"]]:
        raise ValueError(f"{job.name}: the best candidate must lead its own leaderboard")
    return record


# ------------------------------------------------------------------------------------------------ compute
STEP_KIND = {"TrainingJob": "training", "ProcessingJob": "processing", "TransformJob": "transform"}
PRICED_AS = {"TrainingJob": "Training", "ProcessingJob": "Processing", "TransformJob": "BatchTransform"}


def expected_compute(job: Job, prices: Doc | None) -> Doc:
    """docs/design.md §4, `compute`, by hand: every distinct child job counted by kind; for each described
    one, instance type × count × (training: TrainingTimeInSeconds; else end - start) held, (training:
    BillableTimeInSeconds; else end - start) billed, spot savings = held - billed on managed spot, and
    billed × the served on-demand hourly price of its region ÷ 3600; the undescribed ones named in `incomplete`."""
    kinds = {kind: 0 for kind in STEP_KIND.values()}
    held: dict[str, float] = {}
    billed = savings = amount = 0.0
    undescribed = []
    for arn, (step_type, name) in child_steps(job).items():
        kind = step_type.rsplit("::", 1)[1]
        kinds[STEP_KIND[kind]] += 1
        child = job.children.get(arn)
        if child is None:
            undescribed.append(name)
            continue
        if kind == "TrainingJob":
            resources, on = child["ResourceConfig"], child["TrainingTimeInSeconds"]
            bill = child["BillableTimeInSeconds"]
        else:
            prefix = "Processing" if kind == "ProcessingJob" else "Transform"
            resources = (
                child["ProcessingResources"]["ClusterConfig"]
                if kind == "ProcessingJob"
                else child["TransformResources"]
            )
            start, end = (datetime.fromisoformat(child[f"{prefix}{at}Time"]) for at in ("Start", "End"))
            on = bill = (end - start).total_seconds()
        instance, count = resources["InstanceType"], resources["InstanceCount"]
        held[instance] = held.get(instance, 0.0) + on * count
        billed += bill * count
        if child.get("EnableManagedSpotTraining"):
            savings += (on - bill) * count
        rate = hourly(prices, job.region, instance, PRICED_AS[kind]) if prices else None
        if rate is None:
            raise ValueError(f"{job.name}: the scenario serves no price for {instance} ({PRICED_AS[kind]})")
        amount += bill * count * rate / 3600
    return {
        "child_jobs": kinds,
        "instance_seconds": held,
        "billable_seconds": billed,
        "spot_savings_seconds": savings,
        "estimated_cost": {"amount": round(amount, 6), "currency": "USD", "basis_contains": job.region},
        "incomplete_names": undescribed,
    }


# --------------------------------------------------------------------------------------- what is observed
def observed(plan: ScenarioPlan, job: Job) -> list[Doc]:
    """The states of `job` the pipeline sees, oldest first: a tick lists what was modified after the
    watch start minus the overlap (every later change lies inside its own tick, after the
    watermark), and a history import sees the job's state at its tick if it was created in range."""
    describe = job.describe()
    created = datetime.fromisoformat(describe[0]["CreationTime"])
    horizon = plan.start - OVERLAP
    shown = plan.shown_ticks(job)
    seen: dict[str, Doc] = {}
    for tick in range(plan.last_tick + 2):  # the runner ticks once more after every timeline ended
        index = shown_index(shown, tick)
        if index is None:
            continue
        state = describe[index]
        by_tick = datetime.fromisoformat(state["LastModifiedTime"]) > horizon
        by_import = any(b.tick == tick and b.covers(created) for b in plan.backfills)
        if by_tick or by_import:
            seen.setdefault(state["LastModifiedTime"], state)
    return list(seen.values())


def notify_worthy(plan: ScenarioPlan, job: Job) -> bool:
    """docs/design.md §2.2 and §5.2: terminal, observed, and ended at or after the watch start."""
    seen = observed(plan, job)
    last = job.describe()[-1]
    if last["AutoMLJobStatus"] not in TERMINAL or not seen or seen[-1] != last:
        return False
    return datetime.fromisoformat(last["EndTime"]) >= plan.start


def stuck_alerts(plan: ScenarioPlan, job: Job) -> int:
    """docs/design.md §2.5: one "may be stuck" message per stall, a stall being an InProgress state the pipeline
    observed that SageMaker left unchanged for STUCK_AFTER or longer (before its next state, or before
    the run's last tick)."""
    seen = observed(plan, job)
    shown = plan.shown_ticks(job)
    tick_length = timedelta(seconds=plan.clock.tick_seconds)
    run_end = plan.start + (plan.last_tick + 2) * tick_length  # after the last tick
    alerts = 0
    for index, state in enumerate(seen):
        if state["AutoMLJobStatus"] != "InProgress":
            continue
        quiet_from = datetime.fromisoformat(state["LastModifiedTime"])
        later = seen[index + 1] if index + 1 < len(seen) else None
        # the next state is seen at the tick it is shown; until then the record stays quiet
        until = plan.start + shown[job.describe().index(later)] * tick_length if later is not None else run_end
        alerts += until - quiet_from >= STUCK_AFTER + tick_length
    return alerts


def family_verdicts(plan: ScenarioPlan, jobs: Sequence[Job] | None = None) -> dict[str, Doc]:
    """docs/design.md §2.5 and §4: in the order their Completed state is seen, each Completed job with an objective value
    against its family's best so far (strictly better becomes the best; the first of a family beats nobody).
    `jobs`: those of one place (default: the plan's)."""
    done = []
    for job in plan.jobs if jobs is None else jobs:
        last = job.describe()[-1]
        best = last.get("BestCandidate")
        if last["AutoMLJobStatus"] == "Completed" and best and observed(plan, job):
            done.append((plan.shown_ticks(job)[-1], job.name, job, best["FinalAutoMLJobObjectiveMetric"]["Value"]))
    standing: dict[str, tuple[str, float]] = {}
    verdicts: dict[str, Doc] = {}
    for _, name, job, value in sorted(done, key=lambda item: (item[0], item[1])):
        family = family_of(name)
        best = standing.get(family)
        higher = job.objective[1] == "Maximize"
        better = best is not None and (value > best[1] if higher else value < best[1])
        verdicts[name] = {
            "family": family,
            "new_best_in_family": better,
            "previous_best": {"job_name": best[0], "value": best[1]} if best else None,
        }
        if best is None or better:
            standing[family] = (name, value)
    return verdicts


# ------------------------------------------------------------------------------------------- the scenario
def expectation(plan: ScenarioPlan) -> Doc:
    """What the pipeline must make of the plan: records, notifications, history, stuck alerts, digests."""
    if plan.hub is not None:
        return organization_expectation(plan)
    document: Doc = {
        "importance_places": IMPORTANCE_PLACES,
        "reason_match": "case-insensitive substring",
        **jobs_expectation(plan, plan.jobs),
    }
    if plan.digests:
        document["digests"] = len(plan.digests)
    return document


def jobs_expectation(plan: ScenarioPlan, jobs: Sequence[Job]) -> Doc:
    """Records, notifications, history and stuck alerts of jobs of one place, by job name."""
    records, notifications, history, stuck = {}, {}, {}, {}
    verdicts = family_verdicts(plan, jobs)
    for job in jobs:
        if job.key not in plan.explainability:
            raise ValueError(f"{job.name}: the plan does not say what its Explainability prefix holds")
        notified = notify_worthy(plan, job)
        record = expected_record(job, expected_explainability(plan.explainability[job.key]))
        records[job.name] = record | ({} if notified else {"notified_at": None})
        records[job.name] |= verdicts.get(job.name, {"family": family_of(job.name)})
        if job.children:
            records[job.name]["compute"] = expected_compute(job, plan.prices)
        notifications[job.name] = 1 if notified else 0  # exactly once per notify-worthy job, never for others
        history[job.name] = len(observed(plan, job))
        stuck[job.name] = stuck_alerts(plan, job)
    return {
        "records": records,
        "notifications": notifications,
        "history": history,
        "stuck": {name: count for name, count in stuck.items() if count},
    }


def organization_expectation(plan: ScenarioPlan) -> Doc:
    """The hub's records, messages and history by `<account>/<region>/<job>`, each spoke's by job name under
    `spokes.<account>-<region>` (its records claimed, its messages none), and `spoke_silent` messages per
    spoke. A silent spoke's jobs must have shown their last state before it went silent."""
    assert plan.hub is not None
    silent_from = {(spoke.account, spoke.region): spoke.tick for spoke in plan.hub.silent}
    hub: Doc = {"records": {}, "notifications": {}, "history": {}, "stuck": {}}
    spokes: Doc = {}
    for account, region in plan.places():
        jobs = [job for job in plan.jobs if job.place == (account, region)]
        silent = silent_from.get((account, region))
        late = [job.name for job in jobs if silent is not None and plan.shown_ticks(job)[-1] >= silent]
        if late:
            raise ValueError(
                f"{late}: still changing when their spoke goes silent (the oracle cannot say what the hub saw)"
            )
        own = jobs_expectation(plan, jobs)
        where = {"account_id": account, "region": region}
        own["records"] = {name: record | where for name, record in own["records"].items()}
        spokes[f"{account}-{region}"] = {"records": own["records"], "history": own["history"], "notifications": 0}
        for kind in hub:
            hub[kind] |= {f"{account}/{region}/{name}": value for name, value in own[kind].items()}
    document: Doc = {
        "importance_places": IMPORTANCE_PLACES,
        "reason_match": "case-insensitive substring",
        "hub": hub,
        "spokes": spokes,
        "spoke_silent": {
            f"{account}-{region}": 1 if tick > 0 else 0 for (account, region), tick in silent_from.items()
        },
    }
    if plan.digests:
        document["digests"] = len(plan.digests)
    return document
