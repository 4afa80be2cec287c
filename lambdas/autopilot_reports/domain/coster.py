"""Costs a job after its report, off the report's hot path (docs/design.md §4, `compute`).

The table's stream hands the coster each terminal record committed without `compute` (the report and its
notification are already on their way: costing never delays them or puts them at risk). It lists the
job's candidates (every page, up to 300 a page), describes each distinct child job once, prices the
instance types it billed (one Price List look-up per region and instance type a week, cached in the
table) and writes `compute` onto the record with one conditional write.

A job of 250 candidates has some 270 child jobs: they are described in pieces of at most
`describes_per_piece`, and never past the invocation's time budget. A piece that stops early stores the
rest (the child jobs still to describe and the sums so far); that write itself reaches the coster again
through the stream, as the next piece: resumable, and no state in the function. Failing to cost a job
never fails its report: a child job that cannot be described, a listing refused, a price missing, each
leaves the figures with `incomplete` saying so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from autopilot_reports import constants as c
from autopilot_reports.clock import now
from autopilot_reports.domain import costing
from autopilot_reports.domain.ports import (
    ChildJobs,
    ChildJobUnavailableError,
    CostStore,
    LeaderboardUnavailableError,
    PriceList,
    PriceListUnavailableError,
)
from autopilot_reports.models.cost import CachedPrice, ChildJob, ChildKind, CostProgress, PriceKey, Tally
from autopilot_reports.models.place import JobRef
from autopilot_reports.models.record import Compute

MIN_SECONDS_LEFT = 30.0  # a piece stops describing when its invocation has less time than this left
NO_PRICE_LISTED = "no on-demand price listed"

TimeLeft = Callable[[], float]  # seconds the invocation has left


class CostOutcome(StrEnum):
    COSTED = "costed"  # compute written on the record
    HANDED_ON = "handed_on"  # the rest stored: the next piece goes on
    SUPERSEDED = "superseded"  # another run of this job (or of this piece) got there first: nothing written


@dataclass(frozen=True)
class CostResult:
    outcome: CostOutcome
    job_name: str
    described: int  # child jobs described by this piece
    pending: int  # child jobs left for later pieces
    price_lookups: int = 0
    compute: Compute | None = None


@dataclass
class Coster:
    children: ChildJobs
    prices: PriceList
    store: CostStore
    describes_per_piece: int = c.COST_DESCRIBES_PER_PIECE
    price_ttl: timedelta = timedelta(days=c.PRICE_TTL_DAYS)
    clock: Callable[[], datetime] = now

    def start(self, job: JobRef, job_arn: str, family: str, time_left: TimeLeft) -> CostResult:
        """The first piece of a job's costing: its candidates listed, then as in `resume`."""
        try:
            candidates = self.children.list_candidates(job.name)
        except LeaderboardUnavailableError as error:
            compute = costing.compute_of(Tally(), None, [], job.place.region, listing=str(error))
            written = self.store.finish(job, family, compute, progress_stored=False)
            return CostResult(CostOutcome.COSTED if written else CostOutcome.SUPERSEDED, job.name, 0, 0, 0, compute)
        pending = costing.child_jobs_of(candidates)
        progress = CostProgress(
            job_name=job.name,
            job_arn=job_arn,
            family=family,
            pending=pending,
            tally=Tally(child_jobs=costing.counted(pending)),
            started_at=self.clock(),
        )
        return self._piece(progress, time_left, stored=False)

    def resume(self, progress: CostProgress, time_left: TimeLeft) -> CostResult:
        """A later piece, from the progress the previous one stored."""
        return self._piece(progress, time_left, stored=True)

    def _piece(self, progress: CostProgress, time_left: TimeLeft, stored: bool) -> CostResult:
        job = JobRef.of(progress.job_arn, progress.job_name)
        pending = list(progress.pending)
        tally = progress.tally
        described = 0
        # At least one child job a piece, so a chain always moves on.
        while pending and described < self.describes_per_piece and (described == 0 or time_left() > MIN_SECONDS_LEFT):
            tally = self._describe(tally, pending.pop(0))
            described += 1
        if pending:
            rest = progress.model_copy(update={"pending": pending, "tally": tally, "pieces": progress.pieces + 1})
            handed = self.store.hand_on(rest, progress.pieces if stored else None)
            outcome = CostOutcome.HANDED_ON if handed else CostOutcome.SUPERSEDED
            return CostResult(outcome, job.name, described, len(pending))
        compute, lookups = self._priced(tally, job.place.region)
        written = self.store.finish(job, progress.family, compute, progress_stored=stored)
        outcome = CostOutcome.COSTED if written else CostOutcome.SUPERSEDED
        return CostResult(outcome, job.name, described, 0, lookups, compute)

    def _describe(self, tally: Tally, child: ChildJob) -> Tally:
        try:
            response = self.children.describe(child.kind, child.name)
        except ChildJobUnavailableError as error:
            return costing.add_undescribed(tally, child, str(error))
        return costing.add_usage(tally, child, costing.usage_of(child.kind, response))

    def _priced(self, tally: Tally, region: str) -> tuple[Compute, int]:
        """The figures with their estimate: cached prices first (one read), then one Price List look-up per
        instance type whose price is missing or older than `price_ttl` (it answers every usage of the
        type at once, and all of them are cached)."""
        keys = costing.price_keys(tally, region)
        moment = self.clock()
        ttl = self.price_ttl.total_seconds()
        cached = self.store.cached_prices(keys) if keys else {}
        prices = {key: price for key, price in cached.items() if price.fresh_at(moment, ttl)}
        stale_types = sorted({key.instance_type for key in keys if key not in prices})
        fetched: list[CachedPrice] = []
        for instance_type in stale_types:
            try:
                entries = self.prices.products(region, instance_type)
            except PriceListUnavailableError as error:  # not cached: the next job asks again
                prices.update(_unpriced(region, instance_type, moment, str(error)))
                continue
            fetched.extend(_listed(region, instance_type, moment, costing.hourly_prices(entries, instance_type)))
        if fetched:
            self.store.save_prices(fetched)
            prices.update({price.key: price for price in fetched})
        cost, unpriced = costing.estimate(tally, prices, region)
        return costing.compute_of(tally, cost, unpriced, region), len(stale_types)


def _listed(
    region: str, instance_type: str, moment: datetime, rates: dict[ChildKind, tuple[float, str]]
) -> list[CachedPrice]:
    """Every usage's price of the type as listed (a usage with none is cached as such: asked a week later)."""
    prices = []
    for kind in ChildKind:
        rate = rates.get(kind)
        prices.append(
            CachedPrice(
                region=region,
                usage=kind.value,
                instance_type=instance_type,
                hourly=rate[0] if rate else None,
                currency=rate[1] if rate else None,
                fetched_at=moment,
                reason=None if rate else NO_PRICE_LISTED,
            )
        )
    return prices


def _unpriced(region: str, instance_type: str, moment: datetime, reason: str) -> dict[PriceKey, CachedPrice]:
    return {
        PriceKey(region, kind.value, instance_type): CachedPrice(
            region=region, usage=kind.value, instance_type=instance_type, fetched_at=moment, reason=reason
        )
        for kind in ChildKind
    }
