"""Sends a job's terminal notification from the commit that claimed it (the table's stream).

The reporter commits the record and its claim (`notified_at`) in one transaction; every stream record
of that commit leads here, and is retried until the publish succeeds. A replay of the same commit, or a
later write of a record whose claim is older, carries the same claim in its old image, and sends
nothing. So a message can go out twice only if this function dies right after a successful Publish
and before its batch is checkpointed; each Publish is counted the moment it succeeds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from autopilot_reports import constants as c
from autopilot_reports.domain.notification import render_notification
from autopilot_reports.domain.ports import Notifier
from autopilot_reports.models.record import ReportRecord


def is_new_claim(new_image: Mapping[str, Any], old_image: Mapping[str, Any]) -> bool:
    """The write that claimed the notification: the new image has a claim the old one did not."""
    claim = new_image.get(c.NOTIFIED_AT)
    return bool(claim) and old_image.get(c.NOTIFIED_AT) != claim


@dataclass
class NotificationSender:
    notifier: Notifier

    def send(self, record: ReportRecord) -> None:
        self.notifier.publish(render_notification(record))
