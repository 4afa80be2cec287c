"""The scheduled digest: one message that summarizes the period since the previous digest (the first one
covers the last `digestPeriodHours`). It is computed from Queries only, committed once per period
(`store.save_digest`: a retried schedule invocation carries the same scheduled time, so the same period,
and commits nothing new) and sent by the notifier from that commit, like every other message."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from autopilot_reports import constants as c
from autopilot_reports.clock import now
from autopilot_reports.domain.costing import digest_cost
from autopilot_reports.domain.ports import DigestInputs, ReportStore
from autopilot_reports.domain.watcher import stalls_since
from autopilot_reports.models.digest import Digest, DigestBest, FamilySummary, Period
from autopilot_reports.models.record import ReportRecord


@dataclass(frozen=True)
class DigestResult:
    digest: Digest
    committed: bool  # False: this period was summarized already (a retried invocation)


@dataclass
class Digester:
    store: ReportStore
    period: timedelta = timedelta(hours=c.DEFAULT_DIGEST_PERIOD_HOURS)
    stuck_after: timedelta | None = timedelta(minutes=c.DEFAULT_STUCK_AFTER_MINUTES)
    region: str = ""
    clock: Callable[[], datetime] = now

    def send(self, scheduled_time: datetime | None) -> DigestResult:
        end = scheduled_time or self.clock()
        start = self.store.last_digest_end() or end - self.period
        if start >= end:  # an older schedule time than the last digest: nothing is left to summarize
            start = end - self.period
        inputs = self.store.digest_inputs(start, end, self._stalled_range(end))
        digest = summarize(Period(start=start, end=end), inputs, stuck=self.stuck_after is not None, region=self.region)
        return DigestResult(digest, self.store.save_digest(digest))

    def _stalled_range(self, end: datetime) -> tuple[datetime, datetime]:
        """The LastModifiedTimes of the jobs stuck now, by the watcher's rule (domain.watcher.stalls_since)."""
        if self.stuck_after is None:
            return end, end - timedelta(microseconds=1)  # an empty range: no stuck list
        watch_start = self.store.get_watch_state().watch_start or end
        return stalls_since(watch_start, self.stuck_after), end - self.stuck_after


def summarize(period: Period, inputs: DigestInputs, stuck: bool = True, region: str = "") -> Digest:
    modified = _unique(inputs.modified)
    counts = {status: 0 for status in (c.COMPLETED, c.FAILED, c.STOPPED, c.IN_PROGRESS)}
    for record in modified:
        if record.status in counts:
            counts[record.status] += 1
    omitted: dict[str, int] = {}

    def names(key: str, records: Iterable[ReportRecord]) -> list[str]:
        found = sorted(record.job_name for record in records)
        if len(found) > c.DIGEST_LIST_LIMIT:
            omitted[key] = len(found) - c.DIGEST_LIST_LIMIT
        return found[: c.DIGEST_LIST_LIMIT]

    new_bests = [record for record in modified if record.new_best_in_family]
    return Digest(
        period=period,
        counts=counts,
        failed=names("failed", (record for record in modified if record.status == c.FAILED)),
        partial_failures=names("partial_failures", _unique(inputs.partial_failures)),
        families=_families(modified, inputs, omitted),
        new_bests=names("new_bests", new_bests),
        stuck=names("stuck", _unique(inputs.stalled)) if stuck else [],
        omitted=omitted,
        region=region,
        cost=digest_cost(modified, c.DIGEST_LIST_LIMIT),
    )


def _families(modified: list[ReportRecord], inputs: DigestInputs, omitted: dict[str, int]) -> list[FamilySummary]:
    """The families with a job in the period: its jobs then, its standing best, whether the best improved."""
    jobs: dict[str, int] = {}
    improved: set[str] = set()
    for record in modified:
        if record.family:
            jobs[record.family] = jobs.get(record.family, 0) + 1
            if record.new_best_in_family:
                improved.add(record.family)
    standings = {standing.family: standing for standing, _ in inputs.families}
    summaries = []
    for family in sorted(jobs):
        standing = standings.get(family)
        best = standing.best if standing else None
        summaries.append(
            FamilySummary(
                family=family,
                jobs=jobs[family],
                best=DigestBest(job_name=best.job_name, value=best.value, metric=standing.metric if standing else None)
                if best
                else None,
                improved=family in improved,
            )
        )
    if len(summaries) > c.DIGEST_LIST_LIMIT:
        omitted["families"] = len(summaries) - c.DIGEST_LIST_LIMIT
    return summaries[: c.DIGEST_LIST_LIMIT]


def _unique(records: Iterable[ReportRecord]) -> list[ReportRecord]:
    return list({record.job_name: record for record in records}.values())
