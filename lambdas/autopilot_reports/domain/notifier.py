"""Sends each message from the commit that claimed it (the table's stream), docs/design.md §5.2.

Three commits lead to a message: a job's terminal report (`notified_at`, event_type `ended`), a stall's
"may be stuck" alert (`stuck_alerted_for`, event_type `stuck`) and a digest's insert (event_type
`digest`); in an organization's hub a fourth, a silent spoke's claim (`silent_alerted_for`, event_type
`spoke_silent`). Every stream record of such a commit leads here and is retried until the publish succeeds. A
replay of the same commit, or a later write of a record whose claim is older, carries the same claim in
its old image, and sends nothing. So a message can go out twice only if this function dies right after a
successful Publish and before its batch is checkpointed; each Publish is counted the moment it succeeds.

Only what the stack sealed is sent (domain/seal.py): a stream record handed to the notifier by anyone else,
or altered, fails its seal and sends nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from autopilot_reports import constants as c
from autopilot_reports.domain.notification import render_digest, render_notification, render_silence, render_stuck
from autopilot_reports.domain.ports import Notifier, SpokeStatus
from autopilot_reports.domain.seal import ForgedClaimError, Sealer
from autopilot_reports.models.common import parse_iso_utc
from autopilot_reports.models.digest import Digest
from autopilot_reports.models.record import ReportRecord


class Claim(StrEnum):
    ENDED = c.EVENT_TYPE_ENDED
    STUCK = c.EVENT_TYPE_STUCK
    DIGEST = c.EVENT_TYPE_DIGEST
    SPOKE_SILENT = c.EVENT_TYPE_SPOKE_SILENT


def claim_in(new_image: Mapping[str, Any], old_image: Mapping[str, Any]) -> Claim | None:
    """Which message this write claimed, if any: a claim the new image has and the old one did not."""
    if new_image.get(c.SORT_KEY) == c.DIGEST_SK:
        return Claim.DIGEST if not old_image else None
    if new_image.get(c.SORT_KEY) == c.SPOKE_SK:
        return Claim.SPOKE_SILENT if _new(c.SILENT_ALERTED_FOR, new_image, old_image) else None
    if _new(c.NOTIFIED_AT, new_image, old_image):
        return Claim.ENDED
    if _new(c.STUCK_ALERTED_FOR, new_image, old_image):
        return Claim.STUCK
    return None


def is_new_claim(new_image: Mapping[str, Any], old_image: Mapping[str, Any]) -> bool:
    """The write that claimed the terminal notification: the new image has a claim the old one did not."""
    return _new(c.NOTIFIED_AT, new_image, old_image)


def _new(name: str, new_image: Mapping[str, Any], old_image: Mapping[str, Any]) -> bool:
    claim = new_image.get(name)
    return claim is not None and claim != "" and old_image.get(name) != claim


@dataclass
class NotificationSender:
    notifier: Notifier
    sealer: Sealer | None = None  # None: no seal key configured, so nothing verifies and nothing is sent
    organization: bool = False  # a hub's: messages name the account in their subject and chat thread

    def send_claim(self, claim: Claim, image: Mapping[str, Any]) -> None:
        """Sends the message `claim` names, from what the image's seals cover. Raises ForgedClaimError
        for what the stack did not seal."""
        if self.sealer is None:
            raise ForgedClaimError("no seal key is configured (the function's SEAL_ALIAS): nothing can be verified")
        if claim is Claim.DIGEST:
            self.send_digest(self.sealer.opened_digest(image))
        elif claim is Claim.STUCK:
            record = self.sealer.opened_record(image)
            self.sealer.check_stuck(image)
            self.send_stuck(record, image.get(c.STUCK_NOTIFIED_AT))
        elif claim is Claim.SPOKE_SILENT:
            spoke = SpokeStatus.of(self.sealer.opened_spoke(image), silence_alerted=True)
            self.send_silence(spoke, image.get(c.SILENT_NOTIFIED_AT))
        else:
            self.send(self.sealer.opened_record(image, claimed=c.NOTIFIED_AT))

    def send(self, record: ReportRecord) -> None:
        self.notifier.publish(render_notification(record, self.organization))

    def send_stuck(self, record: ReportRecord, alerted_at: str | None) -> None:
        at = parse_iso_utc(alerted_at) if alerted_at else record.last_modified_at
        self.notifier.publish(render_stuck(record, at, self.organization))

    def send_silence(self, spoke: SpokeStatus, alerted_at: str | None) -> None:
        at = parse_iso_utc(alerted_at) if alerted_at else spoke.last_heartbeat
        self.notifier.publish(render_silence(spoke, at))

    def send_digest(self, digest: Digest) -> None:
        self.notifier.publish(render_digest(digest))
