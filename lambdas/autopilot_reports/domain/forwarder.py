"""A spoke's forwarder: each committed report, stuck claim and heartbeat of the spoke's table, and each job's
cost figures (the coster's later write of `compute`), as one entry for its hub (docs/design.md §8).

The spoke's table stream hands every commit here (retried until it succeeds, like the notifier's), so a
crash after a commit cannot lose what the hub should hear. The forwarder sends each entry to the spoke's
own bus, where the `ToHubRule` forwards it to the hub's bus in one hop, with the role a cross-account
target needs. A replayed commit is sent again; the hub's writes are conditional, so it changes nothing.
An entry over EventBridge's 256 KB limit is sent with a reduced record and a note why: never dropped.

Only what the stack sealed leaves for the hub (domain/seal.py), as only what it sealed is notified: the
record its seal covers, the cost figures their own seal covers, the stuck claim's and the heartbeat's own
seals checked. Anything else (a record
handed to the function by someone else, or no seal key configured) raises ForgedClaimError: refused,
counted, never retried.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from autopilot_reports import __version__
from autopilot_reports import constants as c
from autopilot_reports.domain.ports import HubSender, Outgoing
from autopilot_reports.domain.reporter import reduced_record
from autopilot_reports.domain.seal import ForgedClaimError, Sealer
from autopilot_reports.models.common import parse_iso_utc
from autopilot_reports.models.forwarded import HeartbeatDetail, ReportDetail, StuckDetail
from autopilot_reports.models.record import Compute, ReportRecord

# What EventBridge counts against its entry limit besides the detail ("Calculating PutEvents event entry
# size": Time is 14 bytes; Source, DetailType, Detail and each Resources entry their UTF-8 bytes), and a
# margin for what the adapter adds (the trace header).
ENTRY_TIME_BYTES = 14
ENTRY_MARGIN_BYTES = 1024
STATE_FIELDS = ("last_modified_at", "status", "secondary_status")  # a record write that changed the job's state


def forwarded_type(new_image: Mapping[str, Any], old_image: Mapping[str, Any]) -> str | None:
    """What a commit of the spoke's table tells its hub (a detail type), or None: a report whose state or
    notification claim is new, the job's cost figures (a report with `Compute`), a new stuck claim, or a
    new heartbeat. Other writes (a noted error, the watermark moving) tell it nothing."""
    if _new(c.HEARTBEAT_AT, new_image, old_image):
        return c.HEARTBEAT_DETAIL_TYPE
    if new_image.get(c.SORT_KEY) != c.REPORT_SK:
        return None
    if _new(c.STUCK_ALERTED_FOR, new_image, old_image):
        return c.STUCK_DETAIL_TYPE
    if moved(new_image, old_image) or claimed(new_image, old_image) or costed(new_image, old_image):
        return c.REPORT_DETAIL_TYPE
    return None


def moved(new_image: Mapping[str, Any], old_image: Mapping[str, Any]) -> bool:
    """The commit changed the job's state."""
    return any(new_image.get(name) != old_image.get(name) for name in STATE_FIELDS)


def claimed(new_image: Mapping[str, Any], old_image: Mapping[str, Any]) -> bool:
    """The commit claimed the job's terminal notification (its one message: the hub sends it)."""
    return _new(c.NOTIFIED_AT, new_image, old_image)


def costed(new_image: Mapping[str, Any], old_image: Mapping[str, Any]) -> bool:
    """The commit wrote the job's cost figures (the coster's write, which changes nothing else)."""
    return _new(c.COMPUTE, new_image, old_image)


def _new(name: str, new_image: Mapping[str, Any], old_image: Mapping[str, Any]) -> bool:
    value = new_image.get(name)
    return value is not None and value != "" and old_image.get(name) != value


def entry_bytes(detail_type: str, detail_json: str, resources: Sequence[str]) -> int:
    """An entry's size as EventBridge counts it."""
    parts = (c.EVENT_SOURCE, detail_type, detail_json, *resources)
    return ENTRY_TIME_BYTES + sum(len(part.encode("utf-8")) for part in parts)


def fits(entry: Outgoing) -> bool:
    size = entry_bytes(entry.detail_type, entry.detail.model_dump_json(), entry.resources)
    return size + ENTRY_MARGIN_BYTES <= c.MAX_ENTRY_BYTES


def report_entry(record: ReportRecord, claim: bool, compute: Compute | None = None) -> Outgoing:
    """A committed report, or with `compute` the job's cost figures beside it; the record reduced (with
    `Reduced` saying why) when its entry would be over the limit (the figures are small: they stay)."""
    detail = ReportDetail(Record=record, Claimed=claim, Compute=compute)
    entry = Outgoing(c.REPORT_DETAIL_TYPE, detail, (record.job_arn,))
    if fits(entry):
        return entry
    size = entry_bytes(entry.detail_type, entry.detail.model_dump_json(), entry.resources)
    why = f"the report's entry was {size:,} bytes, over EventBridge's {c.MAX_ENTRY_BYTES:,}-byte entry limit"
    reduced = ReportDetail(Record=reduced_record(record, why), Claimed=claim, Reduced=why, Compute=compute)
    return Outgoing(c.REPORT_DETAIL_TYPE, reduced, (record.job_arn,))


def stuck_entry(record: ReportRecord, alerted_at: datetime) -> Outgoing:
    entry = Outgoing(c.STUCK_DETAIL_TYPE, StuckDetail(Record=record, AlertedAt=alerted_at), (record.job_arn,))
    if fits(entry):
        return entry
    why = "the record was over EventBridge's entry limit with its stuck alert"
    return Outgoing(c.STUCK_DETAIL_TYPE, StuckDetail(Record=reduced_record(record, why), AlertedAt=alerted_at))


def heartbeat_entry(
    sent_at: datetime, watch_start: datetime | None, watermark: datetime | None, version: str = __version__
) -> Outgoing:
    detail = HeartbeatDetail(Version=version, WatchStart=watch_start, Watermark=watermark, SentAt=sent_at)
    return Outgoing(c.HEARTBEAT_DETAIL_TYPE, detail)


@dataclass(frozen=True)
class ForwardResult:
    sent: int
    reduced: int


@dataclass
class Forwarder:
    sender: HubSender
    sealer: Sealer | None = None  # None: no seal key configured, so nothing verifies and nothing is sent

    def entry(self, new_image: Mapping[str, Any], old_image: Mapping[str, Any]) -> Outgoing | None:
        """What one commit tells the hub, as its seals cover it; None when it tells the hub nothing.
        Raises ForgedClaimError for what the stack did not seal."""
        kind = forwarded_type(new_image, old_image)
        if kind is None:
            return None
        if self.sealer is None:
            raise ForgedClaimError("no seal key is configured (the function's SEAL_ALIAS): nothing can be verified")
        if kind == c.HEARTBEAT_DETAIL_TYPE:
            beat = self.sealer.opened_heartbeat(new_image)
            return heartbeat_entry(
                parse_iso_utc(str(beat["sent_at"])), _time(beat.get("watch_start")), _time(beat.get("watermark"))
            )
        claim = claimed(new_image, old_image)
        record = self.sealer.opened_record(new_image, claimed=c.NOTIFIED_AT if claim else None)
        if kind == c.STUCK_DETAIL_TYPE:
            self.sealer.check_stuck(new_image)
            alerted = _time(new_image.get(c.STUCK_NOTIFIED_AT)) or record.last_modified_at
            return stuck_entry(record, alerted)
        if costed(new_image, old_image) and not (
            claim or moved(new_image, old_image)
        ):  # the coster's write: its figures, as sealed
            return report_entry(record, claim=False, compute=self.sealer.opened_compute(new_image, record))
        return report_entry(record, claim)

    def forward(self, entries: Sequence[Outgoing]) -> ForwardResult:
        """Sends a stream batch's entries together (the sender packs them into as few PutEvents as the
        limits allow); raises EventPublishError unless all were accepted, so the batch is retried."""
        if not entries:
            return ForwardResult(0, 0)
        sent = self.sender.send(entries)
        reduced = sum(1 for entry in entries if isinstance(entry.detail, ReportDetail) and entry.detail.Reduced)
        return ForwardResult(sent, reduced)


def _time(value: Any) -> datetime | None:
    return parse_iso_utc(value) if isinstance(value, str) else None
