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
from autopilot_reports.models.digest import AccountSummary, Digest, DigestBest, FamilySummary, Period
from autopilot_reports.models.record import ReportRecord

COUNTED = (c.COMPLETED, c.FAILED, c.STOPPED, c.IN_PROGRESS)


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
    organization: bool = False  # a hub's digest: by account, every job named with its account and region
    clock: Callable[[], datetime] = now

    def send(self, scheduled_time: datetime | None) -> DigestResult:
        end = scheduled_time or self.clock()
        start = self.store.last_digest_end() or end - self.period
        if start >= end:  # an older schedule time than the last digest: nothing is left to summarize
            start = end - self.period
        inputs = self.store.digest_inputs(start, end, self._stalled_range(end))
        digest = summarize(
            Period(start=start, end=end),
            inputs,
            stuck=self.stuck_after is not None,
            region=self.region,
            organization=self.organization,
        )
        return DigestResult(digest, self.store.save_digest(digest))

    def _stalled_range(self, end: datetime) -> tuple[datetime, datetime]:
        """The LastModifiedTimes of the jobs stuck now, by the watcher's rule (domain.watcher.stalls_since).
        A hub has no watcher: its first digest begins its watch (stalls before it are its spokes' past)."""
        if self.stuck_after is None:
            return end, end - timedelta(microseconds=1)  # an empty range: no stuck list
        watch_start = self.store.get_watch_state().watch_start
        if watch_start is None and self.organization:
            watch_start = self.store.begin_watch(end)
        return stalls_since(watch_start or end, self.stuck_after), end - self.stuck_after


def summarize(
    period: Period, inputs: DigestInputs, stuck: bool = True, region: str = "", organization: bool = False
) -> Digest:
    modified = _unique(inputs.modified)
    counts = _counts(modified)
    omitted: dict[str, int] = {}
    named = _where if organization else _name

    def names(key: str, records: Iterable[ReportRecord]) -> list[str]:
        found = sorted(named(record) for record in records)
        if len(found) > c.DIGEST_LIST_LIMIT:
            omitted[key] = len(found) - c.DIGEST_LIST_LIMIT
        return found[: c.DIGEST_LIST_LIMIT]

    new_bests = [record for record in modified if record.new_best_in_family]
    return Digest(
        period=period,
        counts=counts,
        failed=names("failed", (record for record in modified if record.status == c.FAILED)),
        partial_failures=names("partial_failures", _unique(inputs.partial_failures)),
        families=_families(modified, inputs, omitted, organization),
        new_bests=names("new_bests", new_bests),
        stuck=names("stuck", _unique(inputs.stalled)) if stuck else [],
        omitted=omitted,
        region=region,
        cost=digest_cost(modified, c.DIGEST_LIST_LIMIT, _placed_family if organization else None),
        organization=organization,
        accounts=_accounts(modified) if organization else [],
    )


def _counts(records: Iterable[ReportRecord]) -> dict[str, int]:
    counts = dict.fromkeys(COUNTED, 0)
    for record in records:
        if record.status in counts:
            counts[record.status] += 1
    return counts


def _name(record: ReportRecord) -> str:
    return record.job_name


def _where(record: ReportRecord) -> str:
    """A job of an organization, named with its account and region."""
    return f"{record.job_name} ({record.account_label}, {record.region or 'unknown region'})"


def _accounts(modified: list[ReportRecord]) -> list[AccountSummary]:
    """Counts by account, by account id; the name is the newest record's (the hub's accountNames)."""
    by_account: dict[str, list[ReportRecord]] = {}
    for record in modified:
        by_account.setdefault(record.account_id or "unknown", []).append(record)
    return [
        AccountSummary(
            account_id=account,
            account_name=max(records, key=lambda record: record.last_modified_at).account_name,
            regions=sorted({record.region for record in records if record.region}),
            counts=_counts(records),
        )
        for account, records in sorted(by_account.items())
    ]


def _families(
    modified: list[ReportRecord], inputs: DigestInputs, omitted: dict[str, int], organization: bool = False
) -> list[FamilySummary]:
    """The families with a job in the period: its jobs then, its standing best, whether the best improved.
    An organization's families are its spokes' (a family is one account and region's), named with their
    place, and their bests are what the spokes' records say (a hub keeps no family items)."""
    if organization:
        return _spokes_families(modified, omitted)
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


def _spokes_families(modified: list[ReportRecord], omitted: dict[str, int]) -> list[FamilySummary]:
    by_family: dict[tuple[str, str, str], list[ReportRecord]] = {}
    for record in modified:
        if record.family:
            by_family.setdefault((record.account_id or "", record.region or "", record.family), []).append(record)
    summaries = []
    for _, records in sorted(by_family.items()):
        newest = max(records, key=lambda record: record.last_modified_at)
        summaries.append(
            FamilySummary(
                family=_placed_family(newest),
                jobs=len(records),
                best=_best_of(records),
                improved=any(record.new_best_in_family for record in records),
            )
        )
    if len(summaries) > c.DIGEST_LIST_LIMIT:
        omitted["families"] = len(summaries) - c.DIGEST_LIST_LIMIT
    return summaries[: c.DIGEST_LIST_LIMIT]


def _placed_family(record: ReportRecord) -> str:
    """An organization's family, named with its place: `churn (111122223333 (team-churn), eu-west-1)`."""
    return f"{record.family} ({record.account_label}, {record.region or 'unknown region'})"


def _best_of(records: list[ReportRecord]) -> DigestBest | None:
    """The family's best as its newest judged record says: itself when it was a new best, else the best
    it was judged against."""
    judged = [record for record in records if record.new_best_in_family or record.previous_best]
    if not judged:
        return None
    newest = max(judged, key=lambda record: record.last_modified_at)
    objective = newest.objective
    if newest.new_best_in_family and objective is not None and objective.value is not None:
        return DigestBest(job_name=newest.job_name, value=objective.value, metric=objective.metric)
    best = newest.previous_best
    metric = objective.metric if objective else None
    return DigestBest(job_name=best.job_name, value=best.value, metric=metric) if best else None


def _unique(records: Iterable[ReportRecord]) -> list[ReportRecord]:
    """One record per job (a job in two accounts of an organization is two jobs)."""
    return list({(record.account_id, record.region, record.job_name): record for record in records}.values())
