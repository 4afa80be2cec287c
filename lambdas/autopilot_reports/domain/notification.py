"""Renders a terminal report as an SNS message: one text per protocol, and filterable attributes."""

from __future__ import annotations

import json

from autopilot_reports.domain.ports import Notification
from autopilot_reports.models.record import ReportRecord

SUBJECT_LIMIT = 100  # SNS's limit for email subjects
MESSAGE_LIMIT = 200 * 1024  # SNS allows 256 KB for the whole JSON structure; leave room for escaping


def render_notification(record: ReportRecord) -> Notification:
    text = _text(record)
    message = {
        "default": text,
        "email": text,
        # AWS Chatbot (Slack) reads its custom notification schema from HTTPS deliveries.
        "https": json.dumps(_chatbot(record, text)),
        # Lambda and SQS subscribers (e.g. a Slack webhook function) get the record itself.
        "lambda": record.model_dump_json(),
        "sqs": record.model_dump_json(),
    }
    return Notification(subject=_subject(record), message=_fit(message), attributes=notification_attributes(record))


def notification_attributes(record: ReportRecord) -> dict[str, str]:
    """SNS message attributes that subscriptions filter on (e.g. failures only)."""
    return {
        "job_name": record.job_name,
        "status": record.status,
        "secondary_status": record.secondary_status,
        "has_partial_failures": "true" if record.partial_failures else "false",
        "explainability_state": record.explainability.state.value,
        "api": record.api,
    }


def _subject(record: ReportRecord) -> str:
    subject = f"AutoML job {record.job_name} {record.status}"
    if record.partial_failures:
        subject += " with partial failures"
    # Email subjects must be ASCII without control characters.
    ascii_subject = subject.encode("ascii", "replace").decode("ascii")
    return ascii_subject[:SUBJECT_LIMIT]


def _text(record: ReportRecord) -> str:
    lines = [
        f"AutoML job {record.job_name} is {record.status} ({record.secondary_status}).",
        f"Job ARN: {record.job_arn}",
        f"Problem type: {record.problem_type or 'unknown'}",
    ]
    if record.best_candidate:
        lines.append(f"Best candidate: {record.best_candidate}")
    if record.objective:
        lines.append(f"Objective: {record.objective.metric} = {record.objective.value} ({record.objective.type})")
    if record.failure_reason:
        lines.append(f"Failure reason: {record.failure_reason}")
    lines.append(_explainability_text(record))
    if record.partial_failures:
        lines.append(f"Partial failures ({len(record.partial_failures)}):")
        lines.extend(f"  - {message}" for message in record.partial_failures)
    lines.append(f"Created {_time(record.created_at)}, ended {_time(record.ended_at)}.")
    return "\n".join(lines)


def _explainability_text(record: ReportRecord) -> str:
    explainability = record.explainability
    if explainability.state != "available":
        return f"Explainability: {explainability.state.value} ({explainability.reason})"
    features = ", ".join(f"{item.feature} {item.importance:.4g}" for item in explainability.top_features)
    report = explainability.artifacts.get("report_pdf") or explainability.artifacts.get("analysis", "")
    return (
        f"Top features ({len(explainability.top_features)} of {explainability.feature_count}): {features}\n"
        f"Explainability report: {report}"
    )


def _chatbot(record: ReportRecord, text: str) -> dict[str, object]:
    return {
        "version": "1.0",
        "source": "custom",
        "content": {"title": _subject(record), "description": text},
        "metadata": {"additionalContext": {"job_name": record.job_name, "status": record.status}},
    }


def _time(value: object) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "-"  # type: ignore[attr-defined]


def _fit(message: dict[str, str]) -> dict[str, str]:
    """Keeps the whole JSON message below SNS's limit. The record is capped already, so this only guards
    against pathological feature names; it shortens the plain texts, never the JSON bodies."""
    while len(json.dumps(message).encode()) > MESSAGE_LIMIT and len(message["email"]) > 1024:
        for key in ("default", "email"):
            message[key] = message[key][: len(message[key]) // 2] + " ... [truncated]"
    return message
