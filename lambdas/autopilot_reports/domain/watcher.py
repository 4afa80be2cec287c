"""Detects AutoML job state changes (SageMaker emits none) and publishes them as our own events.

State lives in the table, not in the function: when the stack began watching, and the watermark (the
greatest LastModifiedTime seen: SageMaker's clock). A job is news when its listed state is newer than
its record (models.record.progress). The first tick starts from the watch start, never from the
beginning of time, so an account's history costs nothing; history enters only through the history
import, one bounded piece per invocation. Running twice, overlapping, crashing midway or importing any
range are all safe: a change may be published twice (the reporter converges), never lost.

A change a pass published and the table does not show stored yet is published again only when it
cannot still be waiting for the reporter (`republishable`): a backlog never feeds itself.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from autopilot_reports import constants as c
from autopilot_reports.clock import now
from autopilot_reports.domain.family import family_of
from autopilot_reports.domain.ports import (
    AutoMLJobs,
    EventPublisher,
    Known,
    KnownState,
    ReportBacklog,
    ReportStore,
    WatchState,
)
from autopilot_reports.models.common import as_utc, epoch_ms
from autopilot_reports.models.events import (
    IMPORT_FIELDS,
    IMPORT_RUN_FIELDS,
    SUMMARY_FIELDS,
    AutoMLJobStateChange,
    DetectedBy,
    FamilyStandingDetail,
    ImportProgress,
    ImportRequest,
)
from autopilot_reports.models.place import JobRef
from autopilot_reports.models.record import progress


@dataclass(frozen=True)
class TickResult:
    listed: int
    published: int
    watermark: datetime | None
    stuck_alerts: int = 0
    covered: bool = False  # a nudge an earlier pass had listed already: nothing listed
    heartbeat: bool = False  # this pass wrote the spoke's heartbeat
    held_back: int = 0  # changes not yet stored and not published again: they may still wait for the reporter


@dataclass(frozen=True)
class ImportResult:
    listed: int
    published: int
    progress: ImportProgress
    continued: bool  # the rest was handed on to another invocation


@dataclass
class Watcher:
    jobs: AutoMLJobs
    store: ReportStore
    publisher: EventPublisher
    overlap: timedelta
    job_name_prefix: str = ""
    import_pages_per_piece: int = c.DEFAULT_IMPORT_PAGES_PER_PIECE
    redelivery_window: timedelta = timedelta(seconds=c.REDELIVERY_WINDOW_SECONDS)
    family_pattern: str = c.DEFAULT_JOB_FAMILY_PATTERN
    stuck_after: timedelta | None = timedelta(minutes=c.DEFAULT_STUCK_AFTER_MINUTES)  # None: no stuck alerts
    heartbeat_every: timedelta | None = None  # a spoke's: its hub hears from it this often; None: no heartbeat
    clock: Callable[[], datetime] = now
    backlog: ReportBacklog | None = None  # the reporter's queue; None: an unstored change is published every tick

    def tick(self, detected_by: DetectedBy, nudged_at: datetime | None = None) -> TickResult:
        """Looks at every job modified since the watermark (or the watch start), minus an overlap for
        listings that show a change late. A nudge (`nudged_at`: when its event happened) that a pass
        began listing after, settled, was seen by that pass: a burst of CloudTrail events costs one
        listing, not one per event (each would page through every job the burst changed)."""
        state = self.store.get_watch_state()
        settled = timedelta(seconds=c.NUDGE_SETTLE_SECONDS)
        if nudged_at is not None and state.listed_at is not None and nudged_at + settled <= state.listed_at:
            return TickResult(listed=0, published=0, watermark=state.watermark, covered=True)
        watch_start = state.watch_start
        if watch_start is None:
            # The first tick ever (one UpdateItem, race-safe). A watermark left by an older version of the
            # stack is an earlier promise to watch: keep it.
            moment = self.clock()
            watch_start = self.store.begin_watch(min(moment, state.watermark) if state.watermark else moment)
        since = state.watermark or watch_start
        listed_at = self.clock()
        summaries = self._select(self.jobs.list_jobs(since - self.overlap, None, self.job_name_prefix or None))
        changes = self._changes(summaries, detected_by, force=False)
        due = self._due(changes, state.published_through)
        if due:
            self.publisher.publish(due)
        target = next_watermark(summaries, changes, self.redelivery_window)
        watermark = state.watermark
        if target is not None:
            # Only after PutEvents accepted every change: a crash before this line re-lists them, and
            # nudges are not skipped for a listing whose changes may not have been published. The store
            # only moves them forward, so an overlapping tick can never move them back.
            watermark = max(target, watermark) if watermark else target
            self.store.record_pass(listed_at, watermark, newest_listed(summaries))
        # Stalls are looked for on the schedule only: a nudge's pass is about the job that moved.
        alerts = 0
        beat = False
        if detected_by is DetectedBy.SCHEDULE:
            moved = {JobRef.of_summary(s) for s in summaries if s["AutoMLJobStatus"] == c.IN_PROGRESS}
            alerts = self.alert_stuck(watch_start, skip=moved)
            beat = self.heartbeat(state, watch_start, watermark)
        return TickResult(
            listed=len(summaries),
            published=len(due),
            watermark=watermark,
            stuck_alerts=alerts,
            heartbeat=beat,
            held_back=len(changes) - len(due),
        )

    def heartbeat(self, state: WatchState, watch_start: datetime, watermark: datetime | None) -> bool:
        """A spoke's heartbeat, at the end of a scheduled pass that worked (so it says the watcher works), at
        most once per `heartbeat_every`: the watch state this pass read anyway says when the last one was,
        so other passes cost nothing, and a conditional write keeps overlapping passes to one."""
        if self.heartbeat_every is None:
            return False
        moment = self.clock()
        due_since = moment - self.heartbeat_every
        if state.heartbeat_at is not None and state.heartbeat_at > due_since:
            return False
        watch = WatchState(watch_start=watch_start, watermark=watermark, listed_at=state.listed_at)
        return self.store.write_heartbeat(moment, due_since, watch)

    def _due(
        self, changes: list[AutoMLJobStateChange], published_through: datetime | None
    ) -> list[AutoMLJobStateChange]:
        """What this pass publishes: every change newer than what an earlier pass listed and, of the
        older ones (published by an earlier pass, not stored yet), those that cannot still be waiting in
        the reporter's queue. One GetQueueAttributes, on passes that have such changes only."""
        if self.backlog is None or published_through is None:
            return changes
        # In milliseconds, as the table keeps times (a listing may carry microseconds)
        through = epoch_ms(published_through)
        again = [change for change in changes if epoch_ms(change.LastModifiedTime) <= through]
        if not again:
            return changes
        fresh = [change for change in changes if epoch_ms(change.LastModifiedTime) > through]
        return fresh + republishable(again, self.backlog.waiting())

    def alert_stuck(self, watch_start: datetime, skip: set[JobRef]) -> int:
        """One "may be stuck" alert per stall: InProgress records whose LastModifiedTime has not moved for
        `stuck_after` (one Query a tick), each claimed once (the notifier sends it from the claim). As for
        endings, only stalls that crossed the threshold after the watch began count: imported history
        never alerts. Jobs this tick just listed are skipped: their record may be a moment behind."""
        if self.stuck_after is None:
            return 0
        moment = self.clock()
        stalled = self.store.stalled(moment - self.stuck_after, stalls_since(watch_start, self.stuck_after))
        fresh = [stall for stall in stalled if not stall.alerted and stall.job not in skip]
        return sum(1 for stall in fresh if self.store.claim_stuck(stall.job, stall.progress, moment))

    def import_history(self, request: ImportRequest) -> ImportResult:
        """One bounded piece of a history import: at most `import_pages_per_piece` pages of jobs created
        in [start, end), oldest first from the cursor; then the rest is handed on. The reporter decides
        about notifications by one rule (domain.rules.notify_worthy), so history is imported quietly.
        Started again (no cursor yet) while an earlier run of the same range is unfinished, it resumes
        that run from its cursor, unless forced."""
        request = self._resume(request)
        after = request.cursor or request.start - timedelta(milliseconds=1)
        token: str | None = None
        listed = published = 0
        cursor = request.cursor
        for _ in range(self.import_pages_per_piece):
            page = self.jobs.list_created(after, request.end, self.job_name_prefix or None, token)
            summaries = self._select(page.summaries)
            changes = self._changes(summaries, DetectedBy.BACKFILL, force=request.force)
            if changes:
                self.publisher.publish(changes)
            published += len(changes)
            listed += len(page.summaries)
            if page.summaries:
                cursor = max(cursor or after, *(as_utc(summary["CreationTime"]) for summary in page.summaries))
            token = page.next_token
            if token is None:
                break
        more = token is not None
        # A later piece lists from just before the cursor: jobs created in the same millisecond as the
        # last one handled are seen again (and skipped as known) rather than missed.
        next_request = request.model_copy(
            update={
                "cursor": cursor - timedelta(milliseconds=1) if more and cursor else cursor,
                "pieces": request.pieces + 1,
                "jobs_seen": request.jobs_seen + listed,
                "published": request.published + published,
            }
        )
        progress_item = ImportProgress(
            **{name: getattr(next_request, name) for name in IMPORT_FIELDS},
            status="running" if more else "done",
            updated_at=self.clock(),
        )
        self.store.save_import_progress(progress_item)
        if more:
            self.publisher.continue_import(next_request)
        return ImportResult(listed=listed, published=published, progress=progress_item, continued=more)

    def _resume(self, request: ImportRequest) -> ImportRequest:
        if request.cursor is not None or request.pieces or request.force:
            return request
        saved = self.store.get_import_progress(request.import_id)
        if saved is None or saved.status != "running" or saved.cursor is None:
            return request
        # attributes, not model_dump: that would serialize the datetimes
        return request.model_copy(update={name: getattr(saved, name) for name in IMPORT_RUN_FIELDS})

    def _select(self, summaries: Any) -> list[dict[str, Any]]:
        prefix = self.job_name_prefix
        return [summary for summary in summaries if str(summary.get("AutoMLJobName", "")).startswith(prefix)]

    def _changes(
        self, summaries: list[dict[str, Any]], detected_by: DetectedBy, force: bool
    ) -> list[AutoMLJobStateChange]:
        """The listed jobs whose state the table does not hold yet (all of them, `force`d), as events."""
        if not summaries:
            return []
        families = {
            summary["AutoMLJobName"]: family_of(summary["AutoMLJobName"], self.family_pattern)
            for summary in summaries
            if summary["AutoMLJobStatus"] == c.COMPLETED
        }
        # One BatchGetItem: the jobs' states and, for Completed ones, their family's standing best.
        jobs = [JobRef.of_summary(summary) for summary in summaries]
        known = self.store.known_states(jobs, list(families.values()))
        changes = []
        for summary, job in zip(summaries, jobs, strict=True):
            state = known.jobs.get(job)
            if force or is_news(summary, state):
                changes.append(state_change(summary, state, detected_by, standing_detail(families, known, job.name)))
        return changes


def stalls_since(watch_start: datetime, stuck_after: timedelta) -> datetime:
    """The oldest LastModifiedTime whose stall crossed the stuck threshold after the watch began."""
    return watch_start - stuck_after


def republishable(again: list[AutoMLJobStateChange], waiting: int) -> list[AutoMLJobStateChange]:
    """Of the changes published by an earlier pass and not stored yet, those that cannot all still wait
    for the reporter: its queue holds `waiting` messages, so at most that many of them are there, and
    the oldest others (all of them when the queue is empty) were lost on the way (a message the reporter
    failed on until it went to the dead-letter queue, an event EventBridge could not deliver). They are
    published again; the rest wait their turn. A backlog thus adds nothing to itself."""
    surplus = len(again) - waiting
    if surplus <= 0:
        return []
    return sorted(again, key=lambda change: change.LastModifiedTime)[:surplus]


def newest_listed(summaries: list[dict[str, Any]]) -> datetime | None:
    return max((as_utc(summary["LastModifiedTime"]) for summary in summaries), default=None)


def next_watermark(
    summaries: list[dict[str, Any]], changes: list[AutoMLJobStateChange], redelivery_window: timedelta
) -> datetime | None:
    """The newest LastModifiedTime listed, held back at the oldest change this tick published: the next
    tick lists that change again, and publishes it again unless its record shows the reporter stored it.
    So an event lost on its way (a reporter that died on every retry) is healed by the next tick, not by
    an operator. Held back at most `redelivery_window` behind the newest, so a job the reporter can never
    store (it lands in the failure queue, with an alarm) cannot stall the watcher."""
    newest = newest_listed(summaries)
    if newest is None or not changes:
        return newest
    oldest_change = min(change.LastModifiedTime for change in changes)
    return max(oldest_change, newest - redelivery_window)


def is_news(summary: Mapping[str, Any], known: KnownState | None) -> bool:
    """Newer than what the table knows (the reporter may already hold a later state than a listing)."""
    if known is None:
        return True
    listed = progress(
        as_utc(summary["LastModifiedTime"]), summary["AutoMLJobStatus"], summary["AutoMLJobSecondaryStatus"]
    )
    return listed > known.progress


def state_change(
    summary: Mapping[str, Any],
    known: KnownState | None,
    detected_by: DetectedBy,
    standing: FamilyStandingDetail | None = None,
) -> AutoMLJobStateChange:
    fields = {name: summary[name] for name in SUMMARY_FIELDS if name in summary}
    return AutoMLJobStateChange(
        **fields,
        PreviousStatus=known.status if known else None,
        PreviousSecondaryStatus=known.secondary_status if known else None,
        DetectedBy=detected_by,
        FamilyStanding=standing,
    )


def standing_detail(families: Mapping[str, str], known: Known, job_name: str) -> FamilyStandingDetail | None:
    """The family's standing best for the event, for Completed jobs only (None: not looked up)."""
    family = families.get(job_name)
    if family is None:
        return None
    standing = known.families.get(family)
    best = standing.best if standing else None
    return FamilyStandingDetail(
        Family=family,
        BestJobName=best.job_name if best else None,
        BestValue=best.value if best else None,
        Metric=standing.metric if standing else None,
        Direction=standing.direction if standing else None,
    )
