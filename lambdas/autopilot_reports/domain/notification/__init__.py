"""Renders what the notifier publishes as one SNS message people can act on: a text per protocol, a
subject and filterable attributes. One module per medium:

- `email.py`: `email` and `default`, plain text for any mail client, with https console links;
- `chat.py`: `https`, an Amazon Q Developer in chat applications (AWS Chatbot) custom notification,
  for Slack and Microsoft Teams channels, threaded per job;
- `program.py`: `lambda` and `sqs`, the record JSON, for programs.

Every message carries the attribute `event_type` (`ended`, `stuck`, `digest`, `spoke_silent`), and a job's
the account and region it ran in, so subscriptions can filter on them. Every message names the account (with
its name where the hub knows it); a hub's (`organization`) also in its subject and chat thread.
Limits are kept, never by dropping content silently: every cut leaves a visible marker. Examples of
the rendered texts: docs/messages.md.

Pure functions from a record or digest to texts: they call no AWS API (the notifier hands the result to
the SNS adapter), and a data text reaches a message only through its medium's gate in
`domain/untrusted.py`, never formatted raw here.
"""

from __future__ import annotations

import json
import re
from datetime import datetime

from autopilot_reports import constants as c
from autopilot_reports.domain.links import ReportLinks, report_links
from autopilot_reports.domain.notification.chat import (
    CHAT_DESCRIPTION_LIMIT,
    CHAT_KEYWORD_LIMIT,
    CHAT_NEXT_STEP_LIMIT,
    CHAT_TITLE_LIMIT,
    chat_message,
    digest_chat,
    envelope,
    silence_chat,
    stuck_chat,
    thread_id,
)
from autopilot_reports.domain.notification.common import clip, duration, title, when
from autopilot_reports.domain.notification.email import Detail, digest_email, email_text, silence_email, stuck_email
from autopilot_reports.domain.notification.program import record_json
from autopilot_reports.domain.ports import Notification, SpokeStatus
from autopilot_reports.domain.untrusted import email_line
from autopilot_reports.models.digest import Digest
from autopilot_reports.models.record import ReportRecord, account_label

__all__ = [
    "CHAT_DESCRIPTION_LIMIT",
    "CHAT_KEYWORD_LIMIT",
    "CHAT_NEXT_STEP_LIMIT",
    "CHAT_TITLE_LIMIT",
    "MESSAGE_BUDGET",
    "SNS_MESSAGE_LIMIT",
    "notification_attributes",
    "render_digest",
    "render_notification",
    "render_silence",
    "render_stuck",
    "sns_message_bytes",
    "thread_id",
]

# SNS Publish: Subject is ASCII, without line breaks or control characters, under 100 characters; the
# whole message (JSON structure, subject and attributes) is at most 256 KB. We aim a little lower.
SUBJECT_LIMIT = 99
SNS_MESSAGE_LIMIT = 256 * 1024
MESSAGE_BUDGET = SNS_MESSAGE_LIMIT - 8 * 1024
_LINE_BREAKS = re.compile(r"[\x00-\x1f\x7f]+")

DETAIL_LEVELS = (
    Detail(),
    Detail(email_features=30, email_name_chars=100, record_name_chars=1024, record_text_chars=4096),
    Detail(
        email_features=10,
        email_name_chars=60,
        email_text_chars=1024,
        record_features=20,
        record_name_chars=256,
        record_text_chars=1024,
    ),
    Detail(
        email_features=5,
        email_name_chars=60,
        email_text_chars=512,
        record_features=0,
        record_name_chars=100,
        record_text_chars=512,
        email_total_chars=32 * 1024,
    ),
)


def render_notification(record: ReportRecord, organization: bool = False) -> Notification:
    """The terminal report ("ended"): the most detail that fits the SNS message limit. `organization`: a
    hub's message, which names the account in its subject and threads by account too."""
    links = report_links(record)
    subject = subject_line(_in_account(title(record), record, organization))
    attributes = notification_attributes(record, c.EVENT_TYPE_ENDED)
    chat = json.dumps(chat_message(record, links, c.EVENT_TYPE_ENDED, organization), ensure_ascii=False)
    for detail in DETAIL_LEVELS:
        text = email_text(record, links, detail)
        body = record_json(record, detail)
        message = {"default": text, "email": text, "https": chat, "lambda": body, "sqs": body}
        notification = Notification(subject=subject, message=message, attributes=attributes)
        if sns_message_bytes(notification) <= MESSAGE_BUDGET:
            return notification
    return _minimal(record, links, subject, attributes)


def render_stuck(record: ReportRecord, alerted_at: datetime, organization: bool = False) -> Notification:
    """An InProgress job whose LastModifiedTime has not moved for stuckAfterMinutes (event_type "stuck")."""
    links = report_links(record)
    quiet = duration((alerted_at - record.last_modified_at).total_seconds())
    text = stuck_email(record, links, quiet, when(alerted_at))
    chat = json.dumps(stuck_chat(record, links, quiet, organization), ensure_ascii=False)
    body = json.dumps(
        {
            "event_type": c.EVENT_TYPE_STUCK,
            "quiet_seconds": int((alerted_at - record.last_modified_at).total_seconds()),
            "record": record.model_dump(mode="json"),
        }
    )
    message = {"default": text, "email": text, "https": chat, "lambda": body, "sqs": body}
    stuck = f"AutoML job {record.job_name} may be stuck ({record.secondary_status}, quiet {quiet})"
    subject = subject_line(_in_account(stuck, record, organization))
    return Notification(
        subject=subject, message=message, attributes=notification_attributes(record, c.EVENT_TYPE_STUCK)
    )


def render_digest(digest: Digest) -> Notification:
    """The scheduled summary (event_type "digest"); its program copy is the digest JSON."""
    period = f"{when(digest.period.start)} to {when(digest.period.end)}"
    where = f" in {digest.region}" if digest.region else ""
    if digest.organization:
        where = " across the organization"
    title_text = f"AutoML jobs digest{where}, {period}"
    text = digest_email(digest, title_text)
    chat = json.dumps(digest_chat(digest, title_text), ensure_ascii=False)
    body = digest.model_dump_json()
    message = {"default": text, "email": text, "https": chat, "lambda": body, "sqs": body}
    total = sum(digest.counts.values())
    failed = digest.counts.get(c.FAILED, 0)
    subject = subject_line(f"AutoML digest{where}: {total} jobs, {failed} failed, {len(digest.stuck)} stuck")
    attributes = {"event_type": c.EVENT_TYPE_DIGEST, "has_failures": "true" if failed else "false"}
    if digest.region:
        attributes["region"] = digest.region
    return Notification(subject=subject, message=message, attributes=attributes)


def render_silence(spoke: SpokeStatus, alerted_at: datetime) -> Notification:
    """A hub's spoke sent no heartbeat for spokeSilentAfterMinutes (event_type "spoke_silent"): one per silence."""
    label = account_label(spoke.place.account, spoke.account_name)
    quiet = duration((alerted_at - spoke.last_heartbeat).total_seconds())
    text = silence_email(spoke, label, quiet, when(alerted_at))
    chat = json.dumps(silence_chat(spoke, label, quiet), ensure_ascii=False)
    body = json.dumps(
        {
            "event_type": c.EVENT_TYPE_SPOKE_SILENT,
            "account_id": spoke.place.account,
            "account_name": spoke.account_name,
            "region": spoke.place.region,
            "last_heartbeat": spoke.last_heartbeat.isoformat(),
            "quiet_seconds": int((alerted_at - spoke.last_heartbeat).total_seconds()),
            "version": spoke.version,
        }
    )
    message = {"default": text, "email": text, "https": chat, "lambda": body, "sqs": body}
    subject = subject_line(f"autopilot-reports spoke {label} in {spoke.place.region} is silent ({quiet})")
    attributes = {
        "event_type": c.EVENT_TYPE_SPOKE_SILENT,
        "account_id": spoke.place.account,
        "region": spoke.place.region,
    }
    return Notification(subject=subject, message=message, attributes=attributes)


def _in_account(text: str, record: ReportRecord, organization: bool) -> str:
    """A hub's subject names the account (its id, or its name where known: subjects are short)."""
    if not organization:
        return text
    return f"{text} ({record.account_name or record.account_id or 'unknown account'})"


def _minimal(record: ReportRecord, links: ReportLinks, subject: str, attributes: dict[str, str]) -> Notification:
    """The last resort for a record far beyond the API's own bounds: the outcome and where to read the
    rest. A notification is never dropped for its size."""
    where = links.job.url or links.job.label
    text = (
        f"AutoML job {email_line(record.job_name[:200])} is {email_line(record.status)} "
        f"({email_line(record.secondary_status[:200])}).\n"
        f"The full report is too large for one message; read it in the console or with "
        f"`autopilot-reports show`:\n{where}\n"
    )
    content = {"textType": "client-markdown", "title": subject, "description": text}
    chat = envelope(record, content, subject, f"AutoMLJob{record.status}", c.EVENT_TYPE_ENDED)
    body = json.dumps({"job_name": record.job_name, "status": record.status, "truncated": True})
    message = {"default": text, "email": text, "https": json.dumps(chat), "lambda": body, "sqs": body}
    return Notification(subject=subject, message=message, attributes=attributes)


def notification_attributes(record: ReportRecord, event_type: str) -> dict[str, str]:
    """SNS message attributes that subscriptions filter on (e.g. failures and stuck jobs only); empty
    values omitted (SNS rejects an empty String attribute)."""
    attributes = {
        "event_type": event_type,
        "job_name": record.job_name,
        "status": record.status,
        "secondary_status": record.secondary_status,
        "problem_type": record.problem_type or "",
        "has_partial_failures": "true" if record.partial_failures else "false",
        "explainability_state": record.explainability.state.value,
        "api": record.api,
        "family": record.family,
        "new_best_in_family": "true" if record.new_best_in_family else "false",
        "account_id": record.account_id or "",
        "region": record.region or "",
    }
    return {name: value for name, value in attributes.items() if value}


def subject_line(text: str) -> str:
    """SNS's Subject: one ASCII line under 100 characters."""
    ascii_subject = _LINE_BREAKS.sub(" ", text).encode("ascii", "replace").decode("ascii").strip()
    return clip(ascii_subject, SUBJECT_LIMIT, "...")


def sns_message_bytes(notification: Notification) -> int:
    """What Publish counts against its limit, as our SNS adapter sends it (json.dumps of the structure)."""
    attributes = sum(
        len(name.encode()) + len(value.encode()) + len("String") for name, value in notification.attributes.items()
    )
    return len(json.dumps(notification.message).encode()) + len(notification.subject.encode()) + attributes
