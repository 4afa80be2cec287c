"""What a spoke sends its organization's hub (docs/design.md §8), a public contract between deployments of
different versions: change it only with its contract test (tests/unit/test_contracts.py).

Source `autopilot-reports`, one EventBridge entry each, forwarded by the spoke's `ToHubRule` (one hop):
- "AutoML Job Report": a committed report, and whether the spoke's commit claimed its terminal notification;
  or, with `Compute`, the job's cost figures its coster committed later (the record beside them as the
  spoke holds it, for its identity: the hub writes only the figures, onto the record it already has);
- "AutoML Job Stuck": a committed "may be stuck" claim, with the record it is about;
- "AutoML Spoke Heartbeat": the spoke is alive (at most once an hour), with its version and watch state.

What the hub trusts of an event is its envelope's `account` (EventBridge sets it to the sender's), never a
claim inside `detail`: `ForwardedEvent.foreign_claims` lists every account the detail names besides it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, cast

from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from pydantic import BaseModel, ConfigDict, Field

from autopilot_reports import constants as c
from autopilot_reports.models import record as records
from autopilot_reports.models.common import UtcDatetime
from autopilot_reports.models.place import Place
from autopilot_reports.models.record import ReportRecord

SCHEMA_VERSION = cast(Literal["1"], c.FORWARDED_SCHEMA_VERSION)


class ReportDetail(BaseModel):
    """Detail of "AutoML Job Report". `Reduced`: why the record is a reduced one (its full form was over
    EventBridge's entry limit), or None. `Compute`: set when the commit was the coster's, which adds the
    job's cost figures and changes nothing else (docs/design.md §4.5); None for a report."""

    model_config = ConfigDict(extra="forbid")

    SchemaVersion: Literal["1"] = SCHEMA_VERSION
    Record: ReportRecord
    Claimed: bool = False
    Reduced: str | None = None
    Compute: records.Compute | None = None


class StuckDetail(BaseModel):
    """Detail of "AutoML Job Stuck": the record whose stall the spoke claimed, and when it claimed it."""

    model_config = ConfigDict(extra="forbid")

    SchemaVersion: Literal["1"] = SCHEMA_VERSION
    Record: ReportRecord
    AlertedAt: UtcDatetime


class HeartbeatDetail(BaseModel):
    """Detail of "AutoML Spoke Heartbeat": the spoke's package version, when it began watching, its
    watermark (SageMaker's clock) and when its watcher wrote this heartbeat."""

    model_config = ConfigDict(extra="forbid")

    SchemaVersion: Literal["1"] = SCHEMA_VERSION
    Version: str = Field(max_length=64)
    WatchStart: UtcDatetime | None = None
    Watermark: UtcDatetime | None = None
    SentAt: UtcDatetime


Detail = ReportDetail | StuckDetail | HeartbeatDetail
DETAIL_MODELS: dict[str, type[ReportDetail] | type[StuckDetail] | type[HeartbeatDetail]] = {
    c.REPORT_DETAIL_TYPE: ReportDetail,
    c.STUCK_DETAIL_TYPE: StuckDetail,
    c.HEARTBEAT_DETAIL_TYPE: HeartbeatDetail,
}


class HubEvent(EventBridgeModel):
    """One forwarded event as the hub's bus delivers it: `account` and `region` are EventBridge's."""

    source: Literal["autopilot-reports"]
    detail_type: Literal["AutoML Job Report", "AutoML Job Stuck", "AutoML Spoke Heartbeat"] = Field(alias="detail-type")


class ForwardedEvent(BaseModel):
    """A forwarded event, read: who sent it (the envelope's account and region), its detail, and every
    other account its detail claims to speak for (the record's ARN, its `account_id`)."""

    model_config = ConfigDict(frozen=True)

    event_id: str
    sender: Place  # account: EventBridge's, unforgeable; region: the origin's where a rule forwarded it
    detail_type: str
    detail: Detail
    foreign_claims: tuple[str, ...] = ()

    @classmethod
    def of(cls, event: HubEvent) -> ForwardedEvent:
        """Raises pydantic.ValidationError for a detail that is not its type's."""
        raw = event.detail if isinstance(event.detail, Mapping) else {}
        detail = DETAIL_MODELS[event.detail_type].model_validate(raw)
        sender = Place(account=event.account, region=event.region)
        return cls(
            event_id=event.id,
            sender=sender,
            detail_type=event.detail_type,
            detail=detail,
            foreign_claims=tuple(sorted(_claimed_accounts(raw, detail) - {sender.account})),
        )


def _claimed_accounts(raw: Mapping[str, Any], detail: Detail) -> set[str]:
    """The accounts a detail names: its record's ARN, and the record's `account_id` as sent (the model
    derives its own from the ARN and ignores the sent one, so it is read from the raw detail)."""
    if isinstance(detail, HeartbeatDetail):
        return set()
    record = raw.get("Record")
    sent = record.get("account_id") if isinstance(record, Mapping) else None
    named = {sent} if isinstance(sent, str) else set()
    named.add(detail.Record.account_id or "not an AutoML job ARN")
    return named
