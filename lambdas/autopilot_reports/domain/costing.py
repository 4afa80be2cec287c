"""The rules of a job's cost (docs/design.md §4, `compute`), as pure functions: which child jobs a job has,
what each one used, the on-demand price of an instance type, and the estimate.

- The child jobs are the distinct `CandidateSteps` of every candidate (ListCandidatesForAutoMLJob):
  candidates share the data builder and the preprocessing jobs, so a step counts once, by its ARN.
- What a child job used: its instances (type × count) for a time. Training: it held them for
  `TrainingTimeInSeconds` and is billed for `BillableTimeInSeconds` (AWS's own formula: billable time ×
  instance count; with managed spot the billable time is already the discounted one). Processing and
  transform: from start to end, held and billed alike.
- The estimate sums, over the described child jobs, billable seconds × instance count × the on-demand
  hourly list price of the type for that usage ÷ 3600. It leaves out storage (volumes), S3, endpoints,
  data transfer, Savings Plans and any discount: a list-price view of the compute.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from autopilot_reports.models.common import as_utc, parse_iso_utc
from autopilot_reports.models.cost import (
    PROBLEMS_KEPT,
    UNDESCRIBED_NAMED,
    CachedPrice,
    ChildJob,
    ChildKind,
    PriceKey,
    Tally,
)
from autopilot_reports.models.digest import DigestCost
from autopilot_reports.models.record import Compute, EstimatedCost, ReportRecord

# AutoMLCandidateStep.CandidateStepType (old SDK mocks wrote "Sagemaker": compared without case)
STEP_KINDS = {
    "aws::sagemaker::trainingjob": ChildKind.TRAINING,
    "aws::sagemaker::processingjob": ChildKind.PROCESSING,
    "aws::sagemaker::transformjob": ChildKind.TRANSFORM,
}
# Which Price List product a usage is billed as: its `platoinstancetype` attribute (else `component`).
# Seen in the public offer file: Training, Processing, BatchTransform (and SpotTraining, Hosting, Notebook,
# ...: not ours). docs/decision_log.md says how sure each is.
USAGE_PRODUCTS = {
    ChildKind.TRAINING: "Training",
    ChildKind.PROCESSING: "Processing",
    ChildKind.TRANSFORM: "BatchTransform",
}
HOURLY_UNITS = ("hrs", "hr", "hours", "hour")
PREFERRED_CURRENCY = "USD"
SECONDS_PLACES = 3
AMOUNT_PLACES = 6


# --- the child jobs ---------------------------------------------------------------------------------------


def child_jobs_of(candidates: Iterable[Mapping[str, Any]]) -> list[ChildJob]:
    """Every distinct child job of the candidates, by ARN, in a stable order (kind, then name)."""
    seen: dict[str, ChildJob] = {}
    for candidate in candidates:
        for step in candidate.get("CandidateSteps") or []:
            kind = STEP_KINDS.get(str(step.get("CandidateStepType", "")).lower())
            name = str(step.get("CandidateStepName") or str(step.get("CandidateStepArn", "")).rsplit("/", 1)[-1])
            if kind is None or not name:
                continue
            identity = str(step.get("CandidateStepArn") or f"{kind}/{name}").lower()
            seen.setdefault(identity, ChildJob(kind=kind, name=name))
    return sorted(seen.values(), key=lambda child: (child.kind.value, child.name))


def counted(children: Sequence[ChildJob]) -> dict[str, int]:
    """How many child jobs of each kind (every kind present, 0 where none)."""
    return {kind.value: sum(1 for child in children if child.kind is kind) for kind in ChildKind}


# --- what one child job used -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Usage:
    """What one described child job used: its instances, how long it held them and how long it was billed
    for (seconds per instance), and whether it ran on managed spot. `problem`: a figure it lacked."""

    instances: tuple[tuple[str, int], ...]  # (instance type, count): one group, or a heterogeneous cluster's
    held_seconds: float
    billable_seconds: float
    spot: bool = False
    problem: str | None = None


def usage_of(kind: ChildKind, response: Mapping[str, Any]) -> Usage:
    """From a Describe{Training,Processing,Transform}Job response."""
    if kind is ChildKind.TRAINING:
        return _training(response)
    if kind is ChildKind.PROCESSING:
        resources = (response.get("ProcessingResources") or {}).get("ClusterConfig") or {}
        start, end = response.get("ProcessingStartTime"), response.get("ProcessingEndTime")
    else:
        resources = response.get("TransformResources") or {}
        start, end = response.get("TransformStartTime"), response.get("TransformEndTime")
    instances = _instances(resources)
    if start is None or end is None:
        return Usage(instances, 0.0, 0.0, problem="no start or end time (counted as 0 seconds)")
    seconds = max((_moment(end) - _moment(start)).total_seconds(), 0.0)
    return Usage(instances, seconds, seconds, problem=None if instances else "no instance type")


def _training(response: Mapping[str, Any]) -> Usage:
    instances = _instances(response.get("ResourceConfig") or {})
    held = float(response.get("TrainingTimeInSeconds") or 0)
    spot = bool(response.get("EnableManagedSpotTraining"))
    problem = None if instances else "no instance type (serverless, or never started)"
    billable = response.get("BillableTimeInSeconds")
    if billable is None and held:
        problem = "no BillableTimeInSeconds: its whole training time is counted"
    return Usage(instances, held, held if billable is None else float(billable), spot, problem)


def _instances(resources: Mapping[str, Any]) -> tuple[tuple[str, int], ...]:
    """A job's instances: a heterogeneous cluster's groups, else the type and count it was billed for
    (`SelectedInstanceType`/`SelectedInstanceCount` where SageMaker chose among preferences)."""
    groups = resources.get("InstanceGroups")
    if groups:
        return tuple(
            (str(g["InstanceType"]), int(g.get("InstanceCount") or 1)) for g in groups if g.get("InstanceType")
        )
    instance_type = resources.get("SelectedInstanceType") or resources.get("InstanceType")
    if not instance_type:
        return ()
    return ((str(instance_type), int(resources.get("SelectedInstanceCount") or resources.get("InstanceCount") or 1)),)


def _moment(value: Any) -> datetime:
    """boto3 gives datetimes; a response kept as JSON gives ISO text."""
    return as_utc(value) if isinstance(value, datetime) else parse_iso_utc(str(value))


# --- the sums --------------------------------------------------------------------------------------------


def add_usage(tally: Tally, child: ChildJob, usage: Usage) -> Tally:
    """The tally with one more described child job."""
    instance_seconds = dict(tally.instance_seconds)
    by_usage = {kind: dict(by_type) for kind, by_type in tally.billable_by_usage.items()}
    billable = tally.billable_seconds
    savings = tally.spot_savings_seconds
    for instance_type, count in usage.instances:
        instance_seconds[instance_type] = instance_seconds.get(instance_type, 0.0) + usage.held_seconds * count
        of_kind = by_usage.setdefault(child.kind.value, {})
        of_kind[instance_type] = of_kind.get(instance_type, 0.0) + usage.billable_seconds * count
        billable += usage.billable_seconds * count
        if usage.spot:
            savings += max(usage.held_seconds - usage.billable_seconds, 0.0) * count
    update: dict[str, Any] = {
        "instance_seconds": instance_seconds,
        "billable_by_usage": by_usage,
        "billable_seconds": billable,
        "spot_savings_seconds": savings,
        "described": tally.described + 1,
    }
    if usage.problem:
        update["problem_count"] = tally.problem_count + 1
        if len(tally.problems) < PROBLEMS_KEPT:
            update["problems"] = [*tally.problems, f"{child}: {usage.problem}"]
    return tally.model_copy(update=update)


def add_undescribed(tally: Tally, child: ChildJob, reason: str) -> Tally:
    """The tally with one child job that could not be described (named, up to UNDESCRIBED_NAMED)."""
    named = tally.undescribed
    if len(named) < UNDESCRIBED_NAMED:
        named = [*named, f"{child} ({reason})"]
    return tally.model_copy(update={"undescribed": named, "undescribed_count": tally.undescribed_count + 1})


# --- prices ----------------------------------------------------------------------------------------------


def price_keys(tally: Tally, region: str) -> list[PriceKey]:
    """The prices the estimate needs: one per usage and instance type that was billed any time."""
    return sorted(
        PriceKey(region, usage, instance_type)
        for usage, by_type in tally.billable_by_usage.items()
        for instance_type, seconds in by_type.items()
        if seconds > 0
    )


def hourly_prices(entries: Iterable[Mapping[str, Any]], instance_type: str) -> dict[ChildKind, tuple[float, str]]:
    """The on-demand hourly price of `instance_type` for each usage, from GetProducts' PriceList entries
    (each already parsed from its JSON string): products in an AWS Region (not an Outpost or a Local Zone)
    whose `platoinstancetype` (else `component`) is the usage's; the first positive hourly rate, entries
    in SKU order."""
    usages = {product: kind for kind, product in USAGE_PRODUCTS.items()}
    found: dict[ChildKind, tuple[float, str]] = {}
    for entry in sorted(entries, key=lambda item: str((item.get("product") or {}).get("sku", ""))):
        attributes = (entry.get("product") or {}).get("attributes") or {}
        if str(attributes.get("instanceName", instance_type)).lower() != instance_type.lower():
            continue
        if attributes.get("locationType", "AWS Region") != "AWS Region":
            continue
        kind = usages.get(str(attributes.get("platoinstancetype") or attributes.get("component") or ""))
        rate = on_demand_hourly(entry)
        if kind is not None and rate is not None:
            found.setdefault(kind, rate)
    return found


def on_demand_hourly(entry: Mapping[str, Any]) -> tuple[float, str] | None:
    """The first positive hourly on-demand rate of a PriceList entry, in USD where listed."""
    for term in ((entry.get("terms") or {}).get("OnDemand") or {}).values():
        for dimension in (term.get("priceDimensions") or {}).values():
            if str(dimension.get("unit", "")).lower() not in HOURLY_UNITS:
                continue
            per_unit = dimension.get("pricePerUnit") or {}
            currency = PREFERRED_CURRENCY if PREFERRED_CURRENCY in per_unit else next(iter(per_unit), None)
            if currency is None:
                continue
            try:
                amount = float(per_unit[currency])
            except (TypeError, ValueError):
                continue
            if amount > 0:
                return amount, currency
    return None


def estimate(
    tally: Tally, prices: Mapping[PriceKey, CachedPrice], region: str
) -> tuple[EstimatedCost | None, list[str]]:
    """The estimate over every priced usage, and what had no price. None when nothing could be priced."""
    amount, currency = 0.0, None
    fetched: list[datetime] = []
    unpriced: list[str] = []
    for key in price_keys(tally, region):
        price = prices.get(key)
        if price is None or price.hourly is None or price.currency is None:
            why = f": {price.reason}" if price is not None and price.reason else ""
            unpriced.append(f"{key.instance_type} ({key.usage}{why})")
            continue
        if currency is not None and price.currency != currency:
            unpriced.append(f"{key.instance_type} ({key.usage}: priced in {price.currency}, not {currency})")
            continue
        currency = price.currency
        amount += tally.billable_by_usage[key.usage][key.instance_type] * price.hourly / 3600
        fetched.append(price.fetched_at)
    if currency is None:
        return None, unpriced
    basis = f"on-demand list price, {region}, fetched {min(fetched).date().isoformat()}"
    return EstimatedCost(amount=round(amount, AMOUNT_PLACES), currency=currency, basis=basis), unpriced


# --- the record's figures ----------------------------------------------------------------------------------


def compute_of(
    tally: Tally, cost: EstimatedCost | None, unpriced: Sequence[str], region: str, listing: str | None = None
) -> Compute:
    """The record's `compute`. `listing`: why the candidates could not be listed, if they could not."""
    return Compute(
        child_jobs=dict(tally.child_jobs),
        instance_seconds={kind: round(s, SECONDS_PLACES) for kind, s in sorted(tally.instance_seconds.items())},
        billable_seconds=round(tally.billable_seconds, SECONDS_PLACES),
        spot_savings_seconds=round(tally.spot_savings_seconds, SECONDS_PLACES),
        estimated_cost=cost,
        incomplete=incompleteness(tally, unpriced, region, listing),
    )


def incompleteness(tally: Tally, unpriced: Sequence[str], region: str, listing: str | None = None) -> str | None:
    """What the figures leave out, in words; None when nothing."""
    parts = []
    if listing:
        parts.append(f"the candidates could not be listed: {listing}")
    total = sum(tally.child_jobs.values())
    if tally.undescribed_count:
        more = tally.undescribed_count - len(tally.undescribed)
        named = "; ".join(tally.undescribed) + (f"; and {more} more" if more > 0 else "")
        parts.append(f"{tally.undescribed_count} of {total} child jobs could not be described: {named}")
    if tally.problem_count:
        more = tally.problem_count - len(tally.problems)
        parts.append("; ".join(tally.problems) + (f"; and {more} more" if more > 0 else ""))
    if unpriced:
        parts.append(f"no on-demand price in {region} for {', '.join(unpriced)}")
    return ". ".join(parts) if parts else None


# --- the digest ----------------------------------------------------------------------------------------------


def digest_cost(
    records: Iterable[ReportRecord], limit: int, family_of: Callable[[ReportRecord], str] | None = None
) -> DigestCost | None:
    """The cost of the jobs among `records` that ended: their estimates summed, by family (as `family_of`
    names a record's: an organization's families are each one account and region's) and by account (each
    at most `limit` entries, the largest; the total counts every one). None when none was costed."""
    ended = sorted((record for record in records if record.is_terminal), key=lambda record: record.job_name)
    priced = [
        (record, record.compute.estimated_cost) for record in ended if record.compute and record.compute.estimated_cost
    ]
    if not priced:
        return None
    currency = priced[0][1].currency
    counted = [(record, estimate.amount) for record, estimate in priced if estimate.currency == currency]
    by_family: dict[str, float] = {}
    by_account: dict[str, float] = {}
    for record, amount in counted:
        family = family_of(record) if family_of else record.family
        by_family[family] = by_family.get(family, 0.0) + amount
        account = record.account_id or "unknown"
        by_account[account] = by_account.get(account, 0.0) + amount
    return DigestCost(
        currency=currency,
        total=round(sum(amount for _, amount in counted), AMOUNT_PLACES),
        costed_jobs=len(counted),
        not_costed_jobs=len(ended) - len(counted),
        incomplete_jobs=sum(1 for record, _ in counted if record.compute and record.compute.incomplete),
        by_family=_largest(by_family, limit),
        by_account=_largest(by_account, limit),
    )


def _largest(amounts: Mapping[str, float], limit: int) -> dict[str, float]:
    ranked = sorted(amounts.items(), key=lambda item: (-item[1], item[0]))[:limit]
    return {name: round(amount, AMOUNT_PLACES) for name, amount in ranked}
