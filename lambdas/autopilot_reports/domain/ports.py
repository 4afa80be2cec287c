"""The small interfaces the domain needs from the outside world. Adapters implement them with boto3;
tests implement them with fakes."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal, Protocol

from autopilot_reports.models.events import AutoMLJobStateChange
from autopilot_reports.models.record import HistoryEntry, ReportRecord

Api = Literal["v1", "v2"]


class JobNotFoundError(Exception):
    """SageMaker does not know the job (deleted, wrong account or region, or a bad name)."""


class EventPublishError(Exception):
    """Some events were not accepted by EventBridge after retries."""


class ArtifactAccessError(Exception):
    """An S3 object or prefix cannot be read for a reason retrying will not fix (access denied, gone)."""


class Saved(StrEnum):
    CLAIMED = "claimed"  # written, and this writer owns the terminal notification
    WRITTEN = "written"  # written; no notification due (or one went out already)
    UNCHANGED = "unchanged"  # the table holds this state or a newer one: a replay or a stale event


@dataclass(frozen=True)
class KnownState:
    """What the table knows of a job: enough to tell whether a listed summary is news."""

    status: str
    secondary_status: str
    last_modified_ms: int


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
        """Every AutoMLJobSummary in the window, all pages."""


class ArtifactReader(Protocol):
    def list_objects(self, bucket: str, prefix: str) -> list[StoredObject]: ...

    def read_object(self, bucket: str, key: str, max_bytes: int) -> bytes:
        """At most max_bytes + 1 bytes, so a caller can tell an oversized object without reading it all."""


class ReportStore(Protocol):
    def save_report(self, record: ReportRecord, history: HistoryEntry, claim_notification: bool) -> Saved:
        """Writes the latest record and its history item in one conditional transaction; with
        claim_notification, also claims the job's one terminal notification unless it went out already."""

    def release_notification(self, job_name: str, notified_at: datetime) -> None:
        """Undoes a notification claim whose publish failed, so a retry publishes it."""

    def record_error(self, job_name: str, reason: str) -> None:
        """Notes a permanent error on the job's record, where there is one."""

    def known_states(self, job_names: Sequence[str]) -> dict[str, KnownState]: ...

    def get_watermark(self) -> datetime | None: ...

    def advance_watermark(self, watermark: datetime) -> None:
        """Moves the watermark forward only (a no-op when the stored one is newer)."""


class EventPublisher(Protocol):
    def publish(self, changes: Iterable[AutoMLJobStateChange]) -> int:
        """Publishes every change; raises EventPublishError unless all were accepted."""


class Notifier(Protocol):
    def publish(self, notification: Notification) -> None: ...
