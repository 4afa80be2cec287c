"""An organization's hub: what its spokes send, recorded by (account, region, job); and spokes that went
silent, noticed once per silence (docs/design.md §8).

No account can speak for another. The account of a forwarded event is its envelope's, which EventBridge
sets to the sender's and no sender can forge; a report whose record names another account (in its job
ARN, or in an `account_id` it carries) is refused: counted, logged, stored nowhere. The region is the job
ARN's (an envelope's region depends on how the event crossed). The hub's writes are the report store's:
only if newer, one claim per job, so duplicates and late arrivals change nothing; the hub claims a job's
terminal notification when the spoke's commit claimed it, and its own notifier sends it.

A job's cost figures (a report with `Compute`: the spoke's coster wrote them after the report) are written
onto the hub's record of the job, by the coster's own write (once, onto a record that exists), sealed with
the hub's key: they lead to no message. They never create a record: figures that arrive before any report
of their job raise ReportNotYetError, so the invocation fails and Lambda delivers them again later.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from autopilot_reports import constants as c
from autopilot_reports.clock import now
from autopilot_reports.domain.ports import ComputeSaved, HubStore, Saved, SpokeStatus
from autopilot_reports.models.forwarded import ForwardedEvent, HeartbeatDetail, ReportDetail, StuckDetail
from autopilot_reports.models.place import Place
from autopilot_reports.models.record import HistoryEntry, ReportRecord

DETECTED_BY = "spoke"  # the history items of a hub: what its spoke forwarded


class Received(StrEnum):
    STORED = "stored"
    CLAIMED = "claimed"  # stored with its terminal notification claim: the hub's notifier sends it
    UNCHANGED = "unchanged"  # the hub holds this state or a newer one (a duplicate, or a late arrival)
    COSTED = "costed"  # the job's cost figures written onto its record
    STUCK_CLAIMED = "stuck_claimed"
    HEARTBEAT = "heartbeat"
    REFUSED = "refused"  # the detail names another account than its envelope's


class ReportNotYetError(Exception):
    """A job's cost figures arrived before any report of the job (events are not delivered in order): the
    hub creates no record from them, and fails the invocation so that they are delivered again."""


@dataclass(frozen=True)
class Receipt:
    outcome: Received
    sender: Place
    job_name: str | None = None
    reason: str | None = None  # why it was refused


@dataclass
class HubRecorder:
    store: HubStore
    account_names: Mapping[str, str]
    notify_statuses: tuple[str, ...] = c.TERMINAL_STATUSES
    clock: Callable[[], datetime] = now

    def receive(self, event: ForwardedEvent) -> Receipt:
        detail = event.detail
        if event.foreign_claims:
            named = ", ".join(event.foreign_claims)
            reason = f"sent by account {event.sender.account}, its detail names account {named}"
            job = None if isinstance(detail, HeartbeatDetail) else detail.Record.job_name
            return Receipt(Received.REFUSED, event.sender, job, reason)
        if isinstance(detail, ReportDetail) and detail.Compute is not None:
            return self._compute(event.sender, detail)
        if isinstance(detail, ReportDetail):
            return self._report(event.sender, detail)
        if isinstance(detail, StuckDetail):
            return self._stuck(event.sender, detail)
        return self._heartbeat(event.sender, detail)

    def _record(self, sender: Place, record: ReportRecord) -> ReportRecord:
        """The record as the hub keeps it: the account's name is the hub's to give, never the sender's."""
        return record.model_copy(update={"account_name": self.account_names.get(sender.account)})

    def _report(self, sender: Place, detail: ReportDetail) -> Receipt:
        record = self._record(sender, detail.Record)
        claim = detail.Claimed and record.is_terminal and record.status in self.notify_statuses
        record = record.model_copy(update={c.NOTIFIED_AT: (record.notified_at or self.clock()) if claim else None})
        saved = self.store.save_report(record, HistoryEntry.of(record, DETECTED_BY), claim)
        outcome = {Saved.CLAIMED: Received.CLAIMED, Saved.WRITTEN: Received.STORED}.get(saved, Received.UNCHANGED)
        return Receipt(outcome, sender, record.job_name)

    def _compute(self, sender: Place, detail: ReportDetail) -> Receipt:
        """The figures only: the record beside them names the job (the hub has its state from the report)."""
        assert detail.Compute is not None
        record = detail.Record
        saved = self.store.save_compute(record.job, detail.Compute)
        if saved is ComputeSaved.NO_RECORD:
            raise ReportNotYetError(f"no report of {record.job_name} ({sender.account}, {record.region}) yet")
        return Receipt(
            Received.COSTED if saved is ComputeSaved.WRITTEN else Received.UNCHANGED, sender, record.job_name
        )

    def _stuck(self, sender: Place, detail: StuckDetail) -> Receipt:
        record = self._record(sender, detail.Record).model_copy(update={c.NOTIFIED_AT: None})
        claimed = self.store.claim_forwarded_stuck(record, detail.AlertedAt)
        return Receipt(Received.STUCK_CLAIMED if claimed else Received.UNCHANGED, sender, record.job_name)

    def _heartbeat(self, sender: Place, detail: HeartbeatDetail) -> Receipt:
        status = SpokeStatus(
            place=sender,
            last_heartbeat=detail.SentAt,
            version=detail.Version,
            watch_start=detail.WatchStart,
            watermark=detail.Watermark,
            received_at=self.clock(),
            account_name=self.account_names.get(sender.account),
        )
        stored = self.store.record_heartbeat(status)
        return Receipt(Received.HEARTBEAT if stored else Received.UNCHANGED, sender)


@dataclass(frozen=True)
class MonitorResult:
    silent: int  # spokes not heard from for the threshold
    claimed: int  # silences alerted by this pass (one message each)


@dataclass
class SpokeMonitor:
    """Spokes silent for `silent_after`: one Query, then one claim per silence (a spoke that sends a
    heartbeat again and falls silent again is alerted again); the notifier sends each from its claim."""

    store: HubStore
    silent_after: timedelta = timedelta(minutes=c.DEFAULT_SPOKE_SILENT_AFTER_MINUTES)
    clock: Callable[[], datetime] = now

    def check(self) -> MonitorResult:
        moment = self.clock()
        silent = self.store.silent_spokes(moment - self.silent_after)
        fresh = [spoke for spoke in silent if not spoke.silence_alerted]
        return MonitorResult(len(silent), sum(1 for spoke in fresh if self.store.claim_silence(spoke, moment)))
