"""In-memory fakes of the domain's ports: behave like the real adapters (the store contract suite runs
against both), no network."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from autopilot_reports import constants as c
from autopilot_reports.adapters import dynamodb_items as items
from autopilot_reports.domain.family import FamilyChangedError, FamilyStanding, FamilyUpdate
from autopilot_reports.domain.ports import (
    Api,
    ArtifactAccessError,
    ComputeSaved,
    DigestInputs,
    EventPublishError,
    JobNotFoundError,
    JobPage,
    Known,
    KnownState,
    LeaderboardUnavailableError,
    Notification,
    Outgoing,
    RecordRejectedError,
    Saved,
    SpokeStatus,
    StalledJob,
    StoredObject,
    WatchState,
)
from autopilot_reports.domain.rules import notify_worthy
from autopilot_reports.models.common import as_utc
from autopilot_reports.models.digest import Digest
from autopilot_reports.models.events import AutoMLJobStateChange, ImportProgress, ImportRequest
from autopilot_reports.models.place import JobRef, Place
from autopilot_reports.models.record import Compute, HistoryEntry, ReportRecord

PLACE = Place(account=c.EXAMPLE_ACCOUNT_ID, region="us-east-1")  # where the tests' jobs run, unless they say


def job_ref(name: str, place: Place = PLACE) -> JobRef:
    return JobRef(place, name)


@dataclass
class FakeJobs:
    responses: dict[str, tuple[Api, dict[str, Any]]] = field(default_factory=dict)
    summaries: list[dict[str, Any]] = field(default_factory=list)
    candidates: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    candidates_error: str | None = None  # a permanent ListCandidates error
    page_size: int = c.LIST_PAGE_SIZE
    describe_calls: int = 0
    candidate_calls: int = 0
    last_descending: bool | None = None
    list_calls: list[tuple[Any, Any, Any]] = field(default_factory=list)

    def describe(self, job_name: str) -> tuple[Api, dict[str, Any]]:
        self.describe_calls += 1
        if job_name not in self.responses:
            raise JobNotFoundError(f"Could not find AutoML job with name {job_name}.")
        return self.responses[job_name]

    def list_jobs(
        self, modified_after: datetime | None, modified_before: datetime | None, name_contains: str | None
    ) -> Iterator[dict[str, Any]]:
        self.list_calls.append((modified_after, modified_before, name_contains))
        for summary in self.summaries:
            modified = as_utc(summary["LastModifiedTime"])
            if modified_after and modified <= modified_after:
                continue
            if modified_before and modified >= modified_before:
                continue
            if name_contains and name_contains.lower() not in summary["AutoMLJobName"].lower():
                continue
            yield summary

    def list_created(
        self, created_after: datetime, created_before: datetime, name_contains: str | None, next_token: str | None
    ) -> JobPage:
        self.list_calls.append((created_after, created_before, name_contains))
        matching = sorted(
            (
                summary
                for summary in self.summaries
                if created_after < as_utc(summary["CreationTime"]) < created_before
                and (not name_contains or name_contains.lower() in summary["AutoMLJobName"].lower())
            ),
            key=lambda summary: (as_utc(summary["CreationTime"]), summary["AutoMLJobName"]),
        )
        offset = int(next_token or 0)
        end = offset + self.page_size
        return JobPage(matching[offset:end], str(end) if end < len(matching) else None)

    def list_candidates(self, job_name: str, descending: bool, limit: int) -> list[dict[str, Any]]:
        self.candidate_calls += 1
        self.last_descending = descending
        if self.candidates_error:
            raise LeaderboardUnavailableError(self.candidates_error)
        completed = [
            candidate
            for candidate in self.candidates.get(job_name, [])
            if candidate.get("CandidateStatus") == c.COMPLETED and "FinalAutoMLJobObjectiveMetric" in candidate
        ]
        completed.sort(key=lambda candidate: candidate["FinalAutoMLJobObjectiveMetric"]["Value"], reverse=descending)
        return completed[:limit]


@dataclass
class FakeSealKey:
    """The SealKeySource port: a fixed key, and how often it was derived (once per process on AWS)."""

    key: bytes = b"testsupport seal key"
    derivations: int = 0

    def seal_key(self) -> bytes:
        self.derivations += 1
        return self.key


@dataclass
class FakeArtifacts:
    objects: dict[str, bytes] = field(default_factory=dict)  # "bucket/key" -> body
    denied: bool = False
    reads: int = 0
    lists: int = 0
    owners: set[str] = field(default_factory=set)  # the expected bucket owners the calls named

    def list_objects(self, bucket: str, prefix: str, owner: str) -> list[StoredObject]:
        self.lists += 1
        self.owners.add(owner)
        if self.denied:
            raise ArtifactAccessError(f"AccessDenied for s3://{bucket}/{prefix}")
        start = f"{bucket}/{prefix}"
        return [
            StoredObject(key=path[len(bucket) + 1 :], size=len(body))
            for path, body in sorted(self.objects.items())
            if path.startswith(start)
        ]

    def read_object(self, bucket: str, key: str, max_bytes: int, owner: str) -> bytes:
        self.reads += 1
        self.owners.add(owner)
        return self.objects[f"{bucket}/{key}"][: max_bytes + 1]


@dataclass
class FakeStore:
    """The ReportStore port in memory, with the same rules: newer by `progress`, one claim per job, and
    only for jobs that ended at or after the watch start (domain.rules.notify_worthy). Jobs are held by
    their id in the key scope, as the table keys them: their name in the LOCAL scope."""

    records: dict[str, ReportRecord] = field(default_factory=dict)  # by job id
    history: dict[tuple[str, str], HistoryEntry] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    watch_start: datetime | None = None
    watermark: datetime | None = None
    listed_at: datetime | None = None
    published_through: datetime | None = None
    imports: dict[str, ImportProgress] = field(default_factory=dict)
    claims: list[ReportRecord] = field(default_factory=list)  # what a notifier would be handed, in order
    writes: int = 0
    families: dict[str, tuple[FamilyStanding, int]] = field(default_factory=dict)  # standing best, jobs
    stuck_alerted: dict[str, int] = field(default_factory=dict)  # job id -> progress of the alerted stall
    stuck_claims: list[tuple[str, datetime]] = field(default_factory=list)
    digests: dict[datetime, Digest] = field(default_factory=dict)
    last_digest: datetime | None = None
    scope: items.KeyScope = items.KeyScope.LOCAL
    heartbeat_at: datetime | None = None
    heartbeats: list[datetime] = field(default_factory=list)
    checks_watch: bool = True  # a hub's store does not: its claims are its spokes' (FakeHubStore)

    def save_report(
        self,
        record: ReportRecord,
        history: HistoryEntry,
        claim_notification: bool,
        family: FamilyUpdate | None = None,
    ) -> Saved:
        refused = items.refusal(items.record_attributes(record, self.scope)) or items.refusal(
            items.history_attributes(history, record.place, self.scope)
        )
        if refused:  # the table's own limits, as the real store applies them
            raise RecordRejectedError(refused)
        job_id = self.scope.job_id(record.job_name, record.place)
        old = self.records.get(job_id)
        newer = old is None or old.progress < record.progress
        claimed = (
            claim_notification
            and not (old and old.notified_at)
            and (newer or (old is not None and old.progress == record.progress))
            and (notify_worthy(record, self.watch_start) or not self.checks_watch)
        )
        if not (newer or claimed):
            return Saved.UNCHANGED
        if family is not None:
            self._update_family(family)  # raises FamilyChangedError, as the cancelled transaction would
        if not claimed:  # the notified_at already stored (or none) stays
            record = record.model_copy(update={c.NOTIFIED_AT: old.notified_at if old else None})
        record = record.model_copy(update={c.COMPUTE: old.compute if old else None})  # the coster's, written apart
        if family is not None and family.keep_verdict and old is not None:
            record = record.model_copy(
                update={"new_best_in_family": old.new_best_in_family, "previous_best": old.previous_best}
            )
        self.records[job_id] = record
        key = (job_id, f"{record.last_modified_at}#{record.status}#{record.secondary_status}")
        self.history[key] = history
        self.errors.pop(job_id, None)
        self.writes += 1
        if claimed:
            self.claims.append(record)
        return Saved.CLAIMED if claimed else Saved.WRITTEN

    def _update_family(self, update: FamilyUpdate) -> None:
        standing, jobs = self.families.get(update.family, (FamilyStanding(update.family), 0))
        if standing.best != update.expected:
            raise FamilyChangedError(standing)
        if update.becomes_best is not None:
            standing = FamilyStanding(update.family, update.becomes_best, update.metric, update.direction)
        self.families[update.family] = (standing, jobs + (1 if update.count_job else 0))

    def job_id(self, job: JobRef) -> str:
        return self.scope.job_id(job.name, job.place)

    def record_error(self, job: JobRef, reason: str) -> None:
        if self.job_id(job) in self.records:
            self.errors[self.job_id(job)] = reason

    def known_states(self, jobs: Sequence[JobRef], families: Sequence[str] = ()) -> Known:
        known = {
            job: KnownState(record.status, record.secondary_status, record.progress)
            for job in jobs
            if (record := self.records.get(self.job_id(job)))
        }
        standings = {name: self.families[name][0] for name in families if name in self.families}
        return Known(jobs=known, families=standings)

    def stalled(self, quiet_since: datetime, not_before: datetime) -> list[StalledJob]:
        return [
            StalledJob(record.job, record.progress, self.stuck_alerted.get(job_id) == record.progress)
            for job_id, record in self.records.items()
            if record.status == c.IN_PROGRESS and not_before <= record.last_modified_at <= quiet_since
        ]

    def claim_stuck(self, job: JobRef, progress: int, at: datetime) -> bool:
        job_id = self.job_id(job)
        record = self.records.get(job_id)
        if record is None or record.progress != progress or self.stuck_alerted.get(job_id) == progress:
            return False
        self.stuck_alerted[job_id] = progress
        self.stuck_claims.append((job_id, at))
        return True

    def digest_inputs(self, start: datetime, end: datetime, stalled: tuple[datetime, datetime]) -> DigestInputs:
        within = [record for record in self.records.values() if start <= record.last_modified_at <= end]
        return DigestInputs(
            modified=within,
            partial_failures=[record for record in within if record.partial_failures],
            stalled=[
                record
                for record in self.records.values()
                if record.status == c.IN_PROGRESS and stalled[0] <= record.last_modified_at <= stalled[1]
            ],
            families=list(self.families.values()),
        )

    def last_digest_end(self) -> datetime | None:
        return self.last_digest

    def save_digest(self, digest: Digest) -> bool:
        end = digest.period.end
        if end in self.digests or (self.last_digest is not None and self.last_digest >= end):
            return False
        self.digests[end] = digest
        self.last_digest = end
        return True

    def get_watch_state(self) -> WatchState:
        return WatchState(
            watch_start=self.watch_start,
            watermark=self.watermark,
            listed_at=self.listed_at,
            published_through=self.published_through,
            heartbeat_at=self.heartbeat_at,
        )

    def write_heartbeat(self, at: datetime, due_since: datetime, watch: WatchState | None = None) -> bool:
        if self.heartbeat_at is not None and self.heartbeat_at > due_since:
            return False
        self.heartbeat_at = at
        self.heartbeats.append(at)
        return True

    def begin_watch(self, now: datetime) -> datetime:
        if self.watch_start is None:
            self.watch_start = now
        return self.watch_start

    def record_pass(self, listed_at: datetime, watermark: datetime, published_through: datetime | None = None) -> None:
        watermark_holds = self.watermark is None or self.watermark <= watermark
        if watermark_holds and (self.listed_at is None or self.listed_at <= listed_at):
            self.watermark, self.listed_at = watermark, listed_at
            self.published_through = published_through or self.published_through

    def save_import_progress(self, progress: ImportProgress) -> None:
        self.imports[progress.import_id] = progress

    def get_import_progress(self, import_id: str) -> ImportProgress | None:
        return self.imports.get(import_id)


@dataclass
class FakePublisher:
    published: list[AutoMLJobStateChange] = field(default_factory=list)
    continuations: list[ImportRequest] = field(default_factory=list)
    fail: bool = False

    def publish(self, changes: Iterable[AutoMLJobStateChange]) -> int:
        batch = list(changes)
        if self.fail:
            raise EventPublishError("1 events not accepted by EventBridge")
        self.published.extend(batch)
        return len(batch)

    def continue_import(self, request: ImportRequest) -> None:
        self.continuations.append(request)


@dataclass
class FakeBacklog:
    """The ReportBacklog port: how many messages the reporter's queue holds, and how often it was asked."""

    messages: int = 0
    asked: int = 0

    def waiting(self) -> int:
        self.asked += 1
        return self.messages


@dataclass
class FakeNotifier:
    sent: list[Notification] = field(default_factory=list)
    failures_left: int = 0

    def publish(self, notification: Notification) -> None:
        if self.failures_left:
            self.failures_left -= 1
            raise ConnectionError("SNS unavailable")
        self.sent.append(notification)


@dataclass
class FakeHubStore(FakeStore):
    """The HubStore port in memory: the report store in the ORGANIZATION scope, whose claims are its
    spokes' (no watch-start check), plus the spokes' items, with the rules of adapters/dynamodb_hub.py."""

    scope: items.KeyScope = items.KeyScope.ORGANIZATION
    checks_watch: bool = False
    spokes: dict[Place, SpokeStatus] = field(default_factory=dict)
    silence_claims: list[tuple[Place, datetime]] = field(default_factory=list)
    silenced: dict[Place, datetime] = field(default_factory=dict)  # the heartbeat whose silence was claimed

    def claim_forwarded_stuck(self, record: ReportRecord, at: datetime) -> bool:
        job_id = self.scope.job_id(record.job_name, record.place)
        old = self.records.get(job_id)
        if old is not None and old.progress > record.progress:
            return False
        if self.stuck_alerted.get(job_id) == record.progress:
            return False
        self.records[job_id] = record.model_copy(update={c.NOTIFIED_AT: old.notified_at if old else None})
        self.stuck_alerted[job_id] = record.progress
        self.stuck_claims.append((job_id, at))
        return True

    def save_compute(self, job: JobRef, compute: Compute) -> ComputeSaved:
        job_id = self.job_id(job)
        record = self.records.get(job_id)
        if record is None:
            return ComputeSaved.NO_RECORD
        if record.compute is not None:
            return ComputeSaved.COSTED_ALREADY
        self.records[job_id] = record.model_copy(update={"compute": compute})
        return ComputeSaved.WRITTEN

    def record_heartbeat(self, status: SpokeStatus) -> bool:
        old = self.spokes.get(status.place)
        if old is not None and old.last_heartbeat >= status.last_heartbeat:
            return False
        self.spokes[status.place] = status
        return True

    def silent_spokes(self, heard_before: datetime) -> list[SpokeStatus]:
        return [
            replace(spoke, silence_alerted=self.silenced.get(place) == spoke.last_heartbeat)
            for place, spoke in sorted(self.spokes.items(), key=lambda pair: pair[1].last_heartbeat)
            if spoke.last_heartbeat < heard_before
        ]

    def claim_silence(self, spoke: SpokeStatus, at: datetime) -> bool:
        current = self.spokes.get(spoke.place)
        if current is None or current.last_heartbeat != spoke.last_heartbeat:
            return False
        if self.silenced.get(spoke.place) == spoke.last_heartbeat:
            return False
        self.silenced[spoke.place] = spoke.last_heartbeat
        self.silence_claims.append((spoke.place, at))
        return True


@dataclass
class FakeHubSender:
    """The HubSender port: what a forwarder sent, in order."""

    sent: list[Outgoing] = field(default_factory=list)
    calls: int = 0
    fail: bool = False

    def send(self, entries: Sequence[Outgoing]) -> int:
        self.calls += 1
        if self.fail:
            raise EventPublishError("1 events not accepted by EventBridge")
        self.sent.extend(entries)
        return len(entries)
