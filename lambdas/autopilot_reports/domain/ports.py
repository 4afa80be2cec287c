"""The small interfaces the domain needs from the outside world. Adapters implement them with boto3;
tests implement them with fakes."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal, Protocol

from autopilot_reports.domain.family import FamilyStanding, FamilyUpdate
from autopilot_reports.models.common import parse_iso_utc
from autopilot_reports.models.events import AutoMLJobStateChange, ImportProgress, ImportRequest
from autopilot_reports.models.place import JobRef, Place
from autopilot_reports.models.record import Compute, HistoryEntry, ReportRecord

if TYPE_CHECKING:  # the coster's, a watcher's, the notifier's and a hub's models: the reporter imports none
    from autopilot_reports.models.cost import CachedPrice, ChildKind, CostProgress, PriceKey
    from autopilot_reports.models.digest import Digest
    from autopilot_reports.models.forwarded import HeartbeatDetail, ReportDetail, StuckDetail

Api = Literal["v1", "v2"]


class JobNotFoundError(Exception):
    """SageMaker does not know the job (deleted, wrong account or region, or a bad name)."""


class LeaderboardUnavailableError(Exception):
    """ListCandidatesForAutoMLJob refused the job for a reason retrying will not fix."""


class EventPublishError(Exception):
    """Some events were not accepted by EventBridge after retries."""


class ArtifactAccessError(Exception):
    """An S3 object or prefix cannot be read for a reason retrying will not fix (access denied, gone)."""


class ChildJobUnavailableError(Exception):
    """A child job cannot be described for a reason retrying will not fix (not found, access denied)."""


class PriceListUnavailableError(Exception):
    """The Price List API did not answer (throttled past every retry, or refused the question)."""


class RecordRejectedError(Exception):
    """The store refused the record for a reason retrying will not fix: a ValidationException, an item
    over DynamoDB's size limit, or text it cannot encode. The reporter then writes a reduced record."""


class Saved(StrEnum):
    CLAIMED = "claimed"  # written together with the job's one terminal notification claim
    WRITTEN = "written"  # written; no notification due (one went out already, or it ended before the watch)
    UNCHANGED = "unchanged"  # the table holds this state or a newer one: a replay or a stale event


class ComputeSaved(StrEnum):
    """What a hub's write of a job's cost figures did."""

    WRITTEN = "written"
    COSTED_ALREADY = "costed_already"  # the record has figures (a duplicate): nothing changed
    NO_RECORD = "no_record"  # the hub holds no record of the job (yet): nothing written, none created


@dataclass(frozen=True)
class KnownState:
    """What the table knows of a job: enough to tell whether a listed summary is news."""

    status: str
    secondary_status: str
    progress: int  # models.record.progress of the stored state


@dataclass(frozen=True)
class Known:
    """What one lookup of the table returns for a listing: each known job's state, and the standing best
    of each family asked for (absent: the family has no item yet)."""

    jobs: dict[JobRef, KnownState]
    families: dict[str, FamilyStanding]


@dataclass(frozen=True)
class StalledJob:
    """An InProgress record whose LastModifiedTime is older than the stuck threshold."""

    job: JobRef
    progress: int  # models.record.progress of the stored state: one alert per stall
    alerted: bool  # this stall was alerted already


@dataclass(frozen=True)
class WatchState:
    """The watcher's own item: when the stack began watching, the greatest LastModifiedTime seen, when
    the latest pass that found jobs began listing them, and the newest LastModifiedTime it listed (every
    change up to it was published by a pass, or was no news then)."""

    watch_start: datetime | None
    watermark: datetime | None
    listed_at: datetime | None = None
    published_through: datetime | None = None
    heartbeat_at: datetime | None = None  # a spoke's: when its watcher last wrote a heartbeat


@dataclass(frozen=True)
class DigestInputs:
    """The records a digest summarizes: those last modified in its period (each status), those with
    partial failures, the stalled ones, and every family's standing best with its job count."""

    modified: list[ReportRecord]
    partial_failures: list[ReportRecord]
    stalled: list[ReportRecord]
    families: list[tuple[FamilyStanding, int]]


@dataclass(frozen=True)
class JobPage:
    summaries: list[dict[str, Any]]
    next_token: str | None


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int


@dataclass(frozen=True)
class Notification:
    subject: str
    message: dict[str, str]  # per protocol; "default" is required
    attributes: dict[str, str]


class AutoMLJobs(Protocol):
    def describe(self, job_name: str) -> tuple[Api, dict[str, Any]]:
        """The job's Describe response and which API answered. Raises JobNotFoundError."""

    def list_jobs(
        self, modified_after: datetime | None, modified_before: datetime | None, name_contains: str | None
    ) -> Iterator[dict[str, Any]]:
        """Every AutoMLJobSummary modified in the window, all pages."""

    def list_created(
        self, created_after: datetime, created_before: datetime, name_contains: str | None, next_token: str | None
    ) -> JobPage:
        """One page of the jobs created in the window, oldest first (the history import's cursor)."""

    def list_candidates(self, job_name: str, descending: bool, limit: int) -> list[dict[str, Any]]:
        """Up to `limit` Completed candidates sorted by their final objective metric, in one call.
        Raises LeaderboardUnavailableError when retrying cannot help."""


class ArtifactReader(Protocol):
    """Reads of Autopilot's S3 output. `owner`: the account that must own the bucket (the job's own), so a
    bucket of the same name in another account is never read (S3's ExpectedBucketOwner)."""

    def list_objects(self, bucket: str, prefix: str, owner: str) -> list[StoredObject]: ...

    def read_object(self, bucket: str, key: str, max_bytes: int, owner: str) -> bytes:
        """At most max_bytes + 1 bytes, so a caller can tell an oversized object without reading it all."""


class ReportStore(Protocol):
    """The report table as the domain uses it. A job is a JobRef (its place and name); a record names its
    own (models.record.ReportRecord.job)."""

    def save_report(
        self,
        record: ReportRecord,
        history: HistoryEntry,
        claim_notification: bool,
        family: FamilyUpdate | None = None,
    ) -> Saved:
        """Writes the latest record and its history item in one conditional transaction, only if the
        record is newer (models.record.progress). With claim_notification, the same commit claims the
        job's one terminal notification (record.notified_at), unless one was claimed already or the job
        ended before the watch began (domain.rules.notify_worthy); the claim is what the notifier sends.
        With `family`, the same commit updates the family's best, only if it still is `family.expected`
        (else FamilyChangedError, with the standing best to judge again against).
        Raises RecordRejectedError when the table refuses the record itself."""

    def record_error(self, job: JobRef, reason: str) -> None:
        """Notes a permanent error on the job's record, where there is one."""

    def known_states(self, jobs: Sequence[JobRef], families: Sequence[str] = ()) -> Known:
        """What the table knows of these jobs and families, in one read (BatchGetItem)."""

    def stalled(self, quiet_since: datetime, not_before: datetime) -> list[StalledJob]:
        """InProgress records last modified in [not_before, quiet_since] (one Query, never a Scan)."""

    def claim_stuck(self, job: JobRef, progress: int, at: datetime) -> bool:
        """Claims the one "may be stuck" alert of this stall (the record still at `progress`); the
        notifier sends it from the commit. False when claimed already or the job moved on."""

    def digest_inputs(self, start: datetime, end: datetime, stalled: tuple[datetime, datetime]) -> DigestInputs:
        """Everything a digest of [start, end) reads, by Query only."""

    def last_digest_end(self) -> datetime | None: ...

    def save_digest(self, digest: Digest) -> bool:
        """Commits the digest for its period (once: a retry of the same period commits nothing) and
        moves the last digest's end forward; the notifier sends it from the commit."""

    def get_watch_state(self) -> WatchState: ...

    def begin_watch(self, now: datetime) -> datetime:
        """Records `now` as the watch start unless one is recorded already; returns the one in force."""

    def record_pass(self, listed_at: datetime, watermark: datetime, published_through: datetime | None = None) -> None:
        """After a pass that found jobs: when it began listing, the watermark it reached and the newest
        LastModifiedTime it listed. They only move forward: a pass that another one overtook (a newer
        listing or watermark stored) records nothing."""

    def save_import_progress(self, progress: ImportProgress) -> None: ...

    def get_import_progress(self, import_id: str) -> ImportProgress | None: ...

    def write_heartbeat(self, at: datetime, due_since: datetime, watch: WatchState | None = None) -> bool:
        """A spoke's heartbeat (on the watcher's item, with the watch state it reports), unless one was
        written after `due_since`; the forwarder sends it to the hub from the commit. False when another
        pass wrote it already."""


@dataclass(frozen=True)
class SpokeStatus:
    """What a hub knows of one spoke: its place and last heartbeat, and whether its silence since that
    heartbeat was alerted already."""

    place: Place
    last_heartbeat: datetime
    version: str | None = None
    watch_start: datetime | None = None
    watermark: datetime | None = None
    received_at: datetime | None = None
    account_name: str | None = None
    silence_alerted: bool = False

    @classmethod
    def of(cls, fields: Mapping[str, Any], silence_alerted: bool = False) -> SpokeStatus:
        """From a spoke item's fields (domain.seal.SPOKE_FIELDS, plain data)."""

        def time(name: str) -> datetime | None:
            value = fields.get(name)
            return parse_iso_utc(value) if isinstance(value, str) else None

        heard = time("last_heartbeat")
        if heard is None:
            raise ValueError("a spoke item holds its last heartbeat")
        return cls(
            place=Place(account=str(fields["account_id"]), region=str(fields["region"])),
            last_heartbeat=heard,
            version=fields.get("version"),
            watch_start=time("watch_start"),
            watermark=time("watermark"),
            received_at=time("received_at"),
            account_name=fields.get("account_name"),
            silence_alerted=silence_alerted,
        )


@dataclass(frozen=True)
class Outgoing:
    """One entry a spoke's forwarder sends (to its own bus, whence the ToHubRule forwards it)."""

    detail_type: str
    detail: ReportDetail | StuckDetail | HeartbeatDetail
    resources: tuple[str, ...] = ()


class HubSender(Protocol):
    def send(self, entries: Sequence[Outgoing]) -> int:
        """Sends every entry (in as few PutEvents as the limits allow); raises EventPublishError unless all
        were accepted."""


class HubStore(ReportStore, Protocol):
    """An organization's hub table: the report store's writes of forwarded reports (`save_report`, whose
    claim is the spoke's: no watch-start check), and the spokes'."""

    def claim_forwarded_stuck(self, record: ReportRecord, at: datetime) -> bool:
        """Stores the record unless the table holds a newer one, and claims the "may be stuck" alert of its
        stall (once per progress) in the same write. False when the stall was claimed or the job moved on."""

    def save_compute(self, job: JobRef, compute: Compute) -> ComputeSaved:
        """The job's cost figures onto its record (the coster's write, adapters/dynamodb_costs.py
        `compute_update`, in the organization's keys): only onto a record that exists and has none yet."""

    def record_heartbeat(self, status: SpokeStatus) -> bool:
        """The spoke's item, unless it holds a later heartbeat (order-safe). A new heartbeat ends a silence."""

    def silent_spokes(self, heard_before: datetime) -> list[SpokeStatus]:
        """Spokes whose last heartbeat is older than `heard_before` (one Query)."""

    def claim_silence(self, spoke: SpokeStatus, at: datetime) -> bool:
        """Claims the one "spoke_silent" message of this silence (the spoke still at `last_heartbeat`);
        the notifier sends it from the commit. False when claimed already or the spoke spoke again."""


class EventPublisher(Protocol):
    def publish(self, changes: Iterable[AutoMLJobStateChange]) -> int:
        """Publishes every change; raises EventPublishError unless all were accepted."""

    def continue_import(self, request: ImportRequest) -> None:
        """Hands the rest of a history import on to the next invocation (an event on the bus)."""


class ReportBacklog(Protocol):
    """What waits for the reporter: the messages of its queue (visible, in flight, delayed)."""

    def waiting(self) -> int:
        """How many state changes could still be waiting for the reporter (an approximate count)."""


class Notifier(Protocol):
    def publish(self, notification: Notification) -> None: ...


# --- the cost of a job (domain/coster.py) ---------------------------------------------------------------


class ChildJobs(Protocol):
    def list_candidates(self, job_name: str) -> list[dict[str, Any]]:
        """Every candidate of the job, all pages. Raises LeaderboardUnavailableError when retrying
        cannot help."""

    def describe(self, kind: ChildKind, name: str) -> dict[str, Any]:
        """The child job's Describe{Training,Processing,Transform}Job response. Raises
        ChildJobUnavailableError."""


class PriceList(Protocol):
    def products(self, region: str, instance_type: str) -> list[dict[str, Any]]:
        """Every SageMaker ML Instance product of the instance type in the region, each PriceList entry
        parsed. Raises PriceListUnavailableError."""


class CostStore(Protocol):
    """The report table as costing uses it: cached prices, the hand-off between pieces, the result."""

    def cached_prices(self, keys: Sequence[PriceKey]) -> dict[PriceKey, CachedPrice]:
        """The cached prices among `keys`, however old (one read)."""

    def save_prices(self, prices: Sequence[CachedPrice]) -> None: ...

    def hand_on(self, progress: CostProgress, previous_pieces: int | None) -> bool:
        """Stores the rest of a job's costing; the write starts the next piece (the table's stream). Only
        if the stored progress is still the one this piece continued (`previous_pieces`; None: there is
        none yet): False when another run of the same piece got there first."""

    def finish(self, job: JobRef, family: str, compute: Compute, progress_stored: bool) -> bool:
        """Writes `compute` onto the job's record (never creating one, never touching anything else),
        adds the estimate to the family's totals and removes the progress; once: False when the record
        has its compute already or is gone."""
