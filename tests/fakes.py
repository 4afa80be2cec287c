"""In-memory fakes of the domain's ports: behave like the real adapters, no network."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from autopilot_reports.domain.ports import (
    Api,
    ArtifactAccessError,
    JobNotFoundError,
    KnownState,
    Notification,
    Saved,
    StoredObject,
)
from autopilot_reports.models.common import as_utc, epoch_ms
from autopilot_reports.models.events import AutoMLJobStateChange
from autopilot_reports.models.record import HistoryEntry, ReportRecord, state_rank


@dataclass
class FakeJobs:
    responses: dict[str, tuple[Api, dict[str, Any]]] = field(default_factory=dict)
    summaries: list[dict[str, Any]] = field(default_factory=list)
    describe_calls: int = 0
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


@dataclass
class FakeArtifacts:
    objects: dict[str, bytes] = field(default_factory=dict)  # "bucket/key" -> body
    denied: bool = False
    reads: int = 0
    lists: int = 0

    def list_objects(self, bucket: str, prefix: str) -> list[StoredObject]:
        self.lists += 1
        if self.denied:
            raise ArtifactAccessError(f"AccessDenied for s3://{bucket}/{prefix}")
        start = f"{bucket}/{prefix}"
        return [
            StoredObject(key=path[len(bucket) + 1 :], size=len(body))
            for path, body in sorted(self.objects.items())
            if path.startswith(start)
        ]

    def read_object(self, bucket: str, key: str, max_bytes: int) -> bytes:
        self.reads += 1
        return self.objects[f"{bucket}/{key}"][: max_bytes + 1]


@dataclass
class FakeStore:
    records: dict[str, ReportRecord] = field(default_factory=dict)
    history: dict[tuple[str, str], HistoryEntry] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    watermark: datetime | None = None
    writes: int = 0

    def save_report(self, record: ReportRecord, history: HistoryEntry, claim_notification: bool) -> Saved:
        old = self.records.get(record.job_name)
        new_key = (epoch_ms(record.last_modified_at), state_rank(record.status, record.secondary_status))
        old_key = (epoch_ms(old.last_modified_at), state_rank(old.status, old.secondary_status)) if old else None
        newer = old_key is None or old_key < new_key
        claimed = claim_notification and not (old and old.notified_at)
        if not (newer or (claimed and old_key == new_key)):
            return Saved.UNCHANGED
        if not claimed:  # the notified_at already stored (or none) stays
            record = record.model_copy(update={"notified_at": old.notified_at if old else None})
        self.records[record.job_name] = record
        self.history[(record.job_name, f"{record.last_modified_at}#{record.status}#{record.secondary_status}")] = (
            history
        )
        self.errors.pop(record.job_name, None)
        self.writes += 1
        return Saved.CLAIMED if claimed else Saved.WRITTEN

    def release_notification(self, job_name: str, notified_at: datetime) -> None:
        record = self.records.get(job_name)
        if record and record.notified_at == notified_at:
            self.records[job_name] = record.model_copy(update={"notified_at": None})

    def record_error(self, job_name: str, reason: str) -> None:
        if job_name in self.records:
            self.errors[job_name] = reason

    def known_states(self, job_names: Sequence[str]) -> dict[str, KnownState]:
        return {
            name: KnownState(record.status, record.secondary_status, epoch_ms(record.last_modified_at))
            for name in job_names
            if (record := self.records.get(name))
        }

    def get_watermark(self) -> datetime | None:
        return self.watermark

    def advance_watermark(self, watermark: datetime) -> None:
        if self.watermark is None or watermark > self.watermark:
            self.watermark = watermark


@dataclass
class FakePublisher:
    published: list[AutoMLJobStateChange] = field(default_factory=list)
    fail: bool = False

    def publish(self, changes: Iterable[AutoMLJobStateChange]) -> int:
        changes = list(changes)
        if self.fail:
            from autopilot_reports.domain.ports import EventPublishError

            raise EventPublishError("1 events not accepted by EventBridge")
        self.published.extend(changes)
        return len(changes)


@dataclass
class FakeNotifier:
    sent: list[Notification] = field(default_factory=list)
    failures_left: int = 0

    def publish(self, notification: Notification) -> None:
        if self.failures_left:
            self.failures_left -= 1
            raise ConnectionError("SNS unavailable")
        self.sent.append(notification)
