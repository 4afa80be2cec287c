"""Renders a terminal report as one SNS message that people can act on: a text per protocol, a subject
and filterable attributes.

- `email` and `default`: plain text for any mail client, with https links (the job in the SageMaker
  console, report.pdf / report.html in the S3 console); an s3:// URI only ever appears beside its link.
- `https`: an Amazon Q Developer in chat applications (AWS Chatbot) custom notification, for Slack and
  Microsoft Teams channels, threaded per job.
- `lambda` and `sqs`: the record JSON, for programs.

Limits are kept, never by dropping content silently: every cut leaves a visible marker.
Examples of the rendered texts: docs/messages.md.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from autopilot_reports.domain.links import (
    Link,
    ReportLinks,
    arn_partition,
    arn_region,
    report_links,
    s3_console_url,
    s3_uris_in,
)
from autopilot_reports.domain.ports import Notification
from autopilot_reports.models.record import (
    ExplainabilityState,
    FeatureImportance,
    LeaderboardEntry,
    Objective,
    ReportRecord,
)

# SNS Publish: Subject is ASCII, without line breaks or control characters, under 100 characters; the
# whole message (JSON structure, subject and attributes) is at most 256 KB. We aim a little lower.
SUBJECT_LIMIT = 99
SNS_MESSAGE_LIMIT = 256 * 1024
MESSAGE_BUDGET = SNS_MESSAGE_LIMIT - 8 * 1024

# Custom notification fields, "Parameter details" of
# https://docs.aws.amazon.com/chatbot/latest/adminguide/custom-notifs.html (Amazon Q Developer in chat
# applications, formerly AWS Chatbot): title up to 250 characters, description up to 8,000, each next
# step up to 350, each keyword up to 75.
CHAT_TITLE_LIMIT = 250
CHAT_DESCRIPTION_LIMIT = 8000
CHAT_NEXT_STEP_LIMIT = 350
CHAT_KEYWORD_LIMIT = 75
# Not documented; our own bounds, in line with the title and with custom-action variable values
# (CustomActionAttachment.Variables: values up to 1,024 characters).
CHAT_SUMMARY_LIMIT = 250
CHAT_CONTEXT_VALUE_LIMIT = 1024

CHAT_FEATURES = 10  # a chat message shows a small chart; the e-mail and the report have the rest
CHAT_FEATURE_NAME_CHARS = 40
CHAT_TEXT_CHARS = 500  # per partial failure message in chat
CHAT_FAILURE_REASON_CHARS = 1500
CHAT_CANDIDATE_CHARS = 80
BAR_WIDTH = 20
CHAT_BAR = "\u2588"  # full block
EMAIL_BAR = "#"  # plain ASCII reads the same in every mail client and font

STATUS_ICONS = {"Completed": "\u2705", "Failed": "\u274c", "Stopped": "\u23f9\ufe0f"}
WARNING_ICON = "\u26a0\ufe0f"

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # keeps \t and \n for multi-line texts
_LINE_BREAKS = re.compile(r"[\x00-\x1f\x7f]+")


@dataclass(frozen=True)
class Detail:
    """How much of a large record a message carries. render_notification starts with the most and steps
    down only when the whole SNS message would not fit; each step leaves markers where it cut."""

    email_features: int = 100
    email_name_chars: int = 200
    email_text_chars: int = 4096  # per partial failure message and for the failure reason
    record_features: int | None = None  # lambda/sqs record copies: None keeps them all
    record_name_chars: int | None = None
    record_text_chars: int | None = None
    email_total_chars: int | None = None  # last resort: the e-mail text itself is cut


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


def render_notification(record: ReportRecord) -> Notification:
    links = report_links(record)
    subject = _subject(record)
    attributes = notification_attributes(record)
    chat = json.dumps(_chat(record, links), ensure_ascii=False)
    for detail in DETAIL_LEVELS:
        text = _email(record, links, detail)
        body = _record_json(record, detail)
        message = {"default": text, "email": text, "https": chat, "lambda": body, "sqs": body}
        notification = Notification(subject=subject, message=message, attributes=attributes)
        if sns_message_bytes(notification) <= MESSAGE_BUDGET:
            return notification
    return _minimal(record, links, subject, attributes)


def thread_id(record: ReportRecord) -> str:
    """All of a job's messages in one chat thread."""
    return f"automl-job-{record.region or 'unknown'}-{record.job_name}"


def _minimal(record: ReportRecord, links: ReportLinks, subject: str, attributes: dict[str, str]) -> Notification:
    """The last resort for a record far beyond the API's own bounds: the outcome and where to read the
    rest. A notification is never dropped for its size."""
    where = links.job.url or links.job.label
    text = (
        f"AutoML job {record.job_name[:200]} is {record.status} ({record.secondary_status[:200]}).\n"
        f"The full report is too large for one message; read it in the console or with "
        f"`autopilot-reports show`:\n{where}\n"
    )
    chat = {
        "version": "1.0",
        "source": "custom",
        "content": {"textType": "client-markdown", "title": subject, "description": text},
        "metadata": {"threadId": thread_id(record), "summary": subject},
    }
    body = json.dumps({"job_name": record.job_name, "status": record.status, "truncated": True})
    message = {"default": text, "email": text, "https": json.dumps(chat), "lambda": body, "sqs": body}
    return Notification(subject=subject, message=message, attributes=attributes)


def notification_attributes(record: ReportRecord) -> dict[str, str]:
    """SNS message attributes that subscriptions filter on (e.g. failures only); empty values omitted
    (SNS rejects an empty String attribute)."""
    attributes = {
        "job_name": record.job_name,
        "status": record.status,
        "secondary_status": record.secondary_status,
        "problem_type": record.problem_type or "",
        "has_partial_failures": "true" if record.partial_failures else "false",
        "explainability_state": record.explainability.state.value,
        "api": record.api,
    }
    return {name: value for name, value in attributes.items() if value}


def sns_message_bytes(notification: Notification) -> int:
    """What Publish counts against its limit, as our SNS adapter sends it (json.dumps of the structure)."""
    attributes = sum(
        len(name.encode()) + len(value.encode()) + len("String") for name, value in notification.attributes.items()
    )
    return len(json.dumps(notification.message).encode()) + len(notification.subject.encode()) + attributes


# --- subject -----------------------------------------------------------------------------------------


def _subject(record: ReportRecord) -> str:
    subject = f"AutoML job {record.job_name} {record.status}"
    if record.partial_failures:
        subject += " with partial failures"
    ascii_subject = _LINE_BREAKS.sub(" ", subject).encode("ascii", "replace").decode("ascii").strip()
    return _clip(ascii_subject, SUBJECT_LIMIT, "...")


# --- e-mail (plain text) -------------------------------------------------------------------------------


def _email(record: ReportRecord, links: ReportLinks, detail: Detail) -> str:
    blocks = [_email_header(record)]
    if record.failure_reason:
        blocks.append(_email_section("FAILURE REASON", [_email_text(record, record.failure_reason, detail)]))
    blocks.append(_email_links(links))
    if record.leaderboard:
        blocks.append(_email_leaderboard(record.leaderboard))
    blocks.append(_email_explainability(record, detail))
    if record.partial_failures:
        lines = [
            _email_text(record, f"{index}. {message}", detail, rest="     ")
            for index, message in enumerate(record.partial_failures, 1)
        ]
        blocks.append(_email_section(f"PARTIAL FAILURES ({len(record.partial_failures)})", lines))
    blocks.append("--\nSent by autopilot-reports when the job ended. Filter on the message attributes to choose jobs.")
    text = "\n\n".join(blocks) + "\n"
    if detail.email_total_chars is not None:
        text = _clip(text, detail.email_total_chars, _omitted_marker)
    return text


def _email_header(record: ReportRecord) -> str:
    title = f"AutoML job {record.job_name} {record.status}"
    if record.partial_failures:
        title += " with partial failures"
    rows = [
        ("Status", f"{record.status} (secondary status: {record.secondary_status})"),
        ("Problem type", record.problem_type or "unknown"),
        ("Objective", _objective(record.objective) if record.objective else "-"),
        ("Best candidate", record.best_candidate or "-"),
        ("Endpoint", record.endpoint or "-"),
        ("Region", f"{record.region or 'unknown'} (API {record.api})"),
        ("Created", _time(record.created_at)),
        ("Ended", _ended(record)),
        ("Job ARN", record.job_arn),
    ]
    width = max(len(label) for label, _ in rows) + 2
    return (
        title + "\n" + "=" * len(title) + "\n\n" + "\n".join(f"{label + ':':<{width}}{value}" for label, value in rows)
    )


def _email_links(links: ReportLinks) -> str:
    lines = [_email_link(links.job)]
    lines.extend(_email_link(link) for link in links.artifacts)
    return "\n".join(lines)


def _email_link(link: Link) -> str:
    if link.url is None:
        # A partition without a public console (aws-iso, ...): say so rather than leave a bare s3:// URI.
        where = f" ({link.s3_uri})" if link.s3_uri else ""
        return f"{link.label}: no console link for this partition{where}"
    line = f"{link.label}:\n  {link.url}"
    return line + (f"\n  ({link.s3_uri})" if link.s3_uri else "")


def _email_leaderboard(leaderboard: Sequence[LeaderboardEntry]) -> str:
    width = max(len(entry.candidate) for entry in leaderboard)
    lines = [
        f"  {rank}. {entry.candidate:<{width}}  {_objective(entry.objective) if entry.objective else '-'}"
        for rank, entry in enumerate(leaderboard, 1)
    ]
    return _email_section(f"LEADERBOARD (top {len(leaderboard)} completed candidates, best first)", lines)


def _email_explainability(record: ReportRecord, detail: Detail) -> str:
    explainability = record.explainability
    if explainability.state != ExplainabilityState.AVAILABLE:
        reason = f"{explainability.state.value}: {explainability.reason or 'no reason given'}"
        return _email_section("EXPLAINABILITY", [_email_text(record, reason, detail)])
    shown = explainability.top_features[: detail.email_features]
    heading = f"TOP FEATURES ({len(shown)} of {explainability.feature_count:,}, {_importance_basis(record)})"
    lines = _chart(shown, EMAIL_BAR, detail.email_name_chars, indent="  ", numbered=True)
    hidden = len(explainability.top_features) - len(shown)
    if hidden > 0:
        lines.append(f"  [... {hidden} more top features not shown here: see the report and the record]")
    return _email_section(heading, lines)


def _email_text(record: ReportRecord, text: str, detail: Detail, rest: str = "  ") -> str:
    """A quoted free text, cut with a marker, and an S3 console link under every s3:// URI it mentions
    (so the e-mail never leaves one without its https link)."""
    clipped = _clip_text(text, detail.email_text_chars)
    partition, region = arn_partition(record.job_arn), arn_region(record.job_arn)
    lines = [_indent(clipped, first="  ", rest=rest)]
    for uri in s3_uris_in(clipped):
        url = s3_console_url(uri, partition, region)
        lines.append(
            f"{rest}S3 console for {uri}: {url}" if url else f"{rest}(no console link for {uri} in this partition)"
        )
    return "\n".join(lines)


def _email_section(heading: str, lines: Sequence[str]) -> str:
    return heading + "\n" + "\n".join(lines)


# --- chat (Amazon Q Developer in chat applications custom notification) ----------------------------------


def _chat(record: ReportRecord, links: ReportLinks) -> dict[str, object]:
    content: dict[str, object] = {
        "textType": "client-markdown",
        "title": _clip(_chat_title(record), CHAT_TITLE_LIMIT, "..."),
        "description": _pack(_chat_sections(record, links), CHAT_DESCRIPTION_LIMIT),
    }
    next_steps = _next_steps(record, links)
    if next_steps:
        content["nextSteps"] = next_steps
    content["keywords"] = _keywords(record)
    return {
        "version": "1.0",
        "source": "custom",
        "id": f"{record.job_arn}/{record.status}",
        "content": content,
        "metadata": {
            # One thread per job (and region: names are unique per account and region only).
            "threadId": thread_id(record),
            "summary": _clip(_summary(record), CHAT_SUMMARY_LIMIT, "..."),
            "eventType": re.sub(r"[^A-Za-z0-9-]", "", f"AutoMLJob{record.status}"),
            "relatedResources": [resource for resource in (record.job_arn, _endpoint_arn(record)) if resource],
            "additionalContext": {
                name: _clip(value, CHAT_CONTEXT_VALUE_LIMIT, "...")
                for name, value in {
                    "job_name": record.job_name,
                    "status": record.status,
                    "secondary_status": record.secondary_status,
                    "problem_type": record.problem_type or "",
                    "region": record.region,
                    "explainability_state": record.explainability.state.value,
                }.items()
                if value
            },
        },
    }


def _endpoint_arn(record: ReportRecord) -> str | None:
    """The deployed endpoint's ARN, in the job's partition, region and account (SageMaker lowercases
    endpoint names in ARNs)."""
    parts = record.job_arn.split(":")
    if not record.endpoint or len(parts) < 6:
        return None
    return ":".join([*parts[:5], f"endpoint/{record.endpoint.lower()}"])


def _chat_title(record: ReportRecord) -> str:
    icon = WARNING_ICON if record.partial_failures else STATUS_ICONS.get(record.status, "")
    title = f"AutoML job {record.job_name} {record.status}"
    if record.partial_failures:
        title += " with partial failures"
    return f"{icon} {title}".strip()


def _summary(record: ReportRecord) -> str:
    summary = f"AutoML job {record.job_name} {record.status}"
    if record.objective and record.objective.value is not None:
        summary += f": {_objective(record.objective)}"
    return summary


@dataclass(frozen=True)
class Section:
    name: str  # how the omission marker names it
    text: str


def _chat_sections(record: ReportRecord, links: ReportLinks) -> list[Section]:
    # Markdown kept to what Slack and Teams both render: `code`, ``` blocks, [text](url) links.
    facts = [f"Status: {record.status} (secondary status: {record.secondary_status})"]
    facts.append(
        f"Problem type: {record.problem_type or 'unknown'}, region {record.region or 'unknown'}, API {record.api}"
    )
    if record.objective:
        facts.append(f"Objective: {_objective(record.objective)}")
    if record.best_candidate:
        facts.append(f"Best candidate: {_code(_clip(record.best_candidate, CHAT_CANDIDATE_CHARS, '...'))}")
    if record.endpoint:
        facts.append(f"Endpoint: {_code(record.endpoint)}")
    facts.append(f"Created {_time(record.created_at)}, ended {_ended(record)}")
    sections = [Section("status", "\n".join(facts))]
    if record.failure_reason:
        reason = _clip_text(record.failure_reason, CHAT_FAILURE_REASON_CHARS, where="the console")
        sections.append(Section("failure reason", "Failure reason:\n" + _code_block(reason)))
    sections.append(
        Section("links", "Links:\n" + "\n".join(f"- {_markdown_link(link)}" for link in [links.job, *links.artifacts]))
    )
    if record.leaderboard:
        lines = [
            f"{rank}. {_code(_clip(entry.candidate, CHAT_CANDIDATE_CHARS, '...'))} "
            f"{_objective(entry.objective) if entry.objective else '-'}"
            for rank, entry in enumerate(record.leaderboard, 1)
        ]
        sections.append(Section("leaderboard", f"Leaderboard (top {len(lines)}):\n" + "\n".join(lines)))
    sections.append(_chat_explainability(record))
    if record.partial_failures:
        messages = [
            f"{index}. {_clip_text(message, CHAT_TEXT_CHARS, where='the console')}"
            for index, message in enumerate(record.partial_failures, 1)
        ]
        sections.append(
            Section(
                "partial failures",
                f"Partial failures ({len(messages)}):\n" + _code_block("\n\n".join(messages)),
            )
        )
    return sections


def _chat_explainability(record: ReportRecord) -> Section:
    explainability = record.explainability
    if explainability.state != ExplainabilityState.AVAILABLE:
        reason = _clip_text(explainability.reason or "no reason given", CHAT_TEXT_CHARS, where="the console")
        return Section("explainability", f"Explainability: {explainability.state.value}: {reason}")
    shown = explainability.top_features[:CHAT_FEATURES]
    heading = f"Top features ({len(shown)} of {explainability.feature_count:,}, {_importance_basis(record)}):"
    chart = _chart(shown, CHAT_BAR, CHAT_FEATURE_NAME_CHARS, indent="", numbered=False)
    text = heading + "\n" + _code_block("\n".join(chart))
    hidden = len(explainability.top_features) - len(shown)
    if hidden > 0:
        text += f"\n[... {hidden} more top features in the report and the e-mail]"
    return Section("top features", text)


def _next_steps(record: ReportRecord, links: ReportLinks) -> list[str]:
    job = links.job
    steps: list[tuple[str, str]] = []  # (with a link, without one)
    if record.status == "Failed":
        steps.append(
            (
                f"Read the failure reason, then fix the input data or the job settings: {_markdown_link(job)}",
                "Read the failure reason, then fix the input data or the job settings.",
            )
        )
    if record.partial_failures:
        steps.append(
            (
                f"Check the partial failures: the failed candidates are missing from the leaderboard. {_markdown_link(job)}",
                "Check the partial failures: the failed candidates are missing from the leaderboard.",
            )
        )
    report = links.report_pdf or links.report_html
    if report and report.url:
        steps.append(
            (f"Read which features drive the model: {_markdown_link(report)}", "Read the explainability report.")
        )
    if record.status == "Completed" and record.endpoint:
        steps.append(
            (f"Try the best candidate on endpoint {_code(record.endpoint)}.", "Try the best candidate's endpoint.")
        )
    elif record.status == "Completed" and record.best_candidate:
        steps.append(
            (
                f"Compare the candidates and deploy the best one: {_markdown_link(job)}",
                "Compare the candidates and deploy the best one.",
            )
        )
    return [linked if len(linked) <= CHAT_NEXT_STEP_LIMIT else plain for linked, plain in steps]


def _keywords(record: ReportRecord) -> list[str]:
    keywords = [record.status, record.problem_type or "", "Autopilot"]
    if record.partial_failures:
        keywords.append("PartialFailures")
    return [_clip(keyword, CHAT_KEYWORD_LIMIT, "...") for keyword in keywords if keyword]


def _pack(sections: Sequence[Section], limit: int) -> str:
    """Whole sections, in priority order, as many as fit; the rest are named in a visible marker (a cut
    inside a ``` block would leave it open)."""
    texts: list[str] = []
    for index, section in enumerate(sections):
        rest = sections[index + 1 :]
        candidate = "\n\n".join([*texts, section.text])
        if len(candidate) + (len(_pack_marker(rest)) + 2 if rest else 0) <= limit:
            texts.append(section.text)
            continue
        marker = _pack_marker(sections[index:])
        while texts and len("\n\n".join([*texts, marker])) > limit:
            texts.pop()  # only for absurd first sections; the status section is short
        return "\n\n".join([*texts, marker])
    return "\n\n".join(texts)


def _pack_marker(omitted: Sequence[Section]) -> str:
    if not omitted:
        return ""
    names = ", ".join(section.name for section in omitted)
    return f"[... {names} cut to fit the chat message limit: see the e-mail or the console]"


# --- record bodies (lambda, sqs) -----------------------------------------------------------------------


def _record_json(record: ReportRecord, detail: Detail) -> str:
    if detail.record_features is None and detail.record_name_chars is None and detail.record_text_chars is None:
        return record.model_dump_json()
    explainability = record.explainability
    features = explainability.top_features
    if detail.record_features is not None:
        features = features[: detail.record_features]
    if detail.record_name_chars is not None:
        limit = detail.record_name_chars
        features = [
            FeatureImportance(feature=_clip(item.feature, limit, _omitted_marker), importance=item.importance)
            for item in features
        ]
    changes: dict[str, object] = {"top_features": features}
    if features != explainability.top_features:
        note = (
            f"top_features shortened to {len(features)} of {len(explainability.top_features)} entries"
            f" (names to {detail.record_name_chars} characters) to fit the SNS message limit;"
            " the stored report has them all"
        )
        changes["reason"] = f"{explainability.reason}; {note}" if explainability.reason else note
    updates: dict[str, object] = {"explainability": explainability.model_copy(update=changes)}
    if detail.record_text_chars is not None:
        text_limit = detail.record_text_chars
        updates["partial_failures"] = [
            _clip(message, text_limit, _omitted_marker) for message in record.partial_failures
        ]
        if record.failure_reason:
            updates["failure_reason"] = _clip(record.failure_reason, text_limit, _omitted_marker)
    return record.model_copy(update=updates).model_dump_json()


# --- shared pieces -------------------------------------------------------------------------------------


def _chart(features: Sequence[FeatureImportance], bar: str, name_chars: int, indent: str, numbered: bool) -> list[str]:
    """Importances as bars scaled to the top one, names padded to one column."""
    if not features:
        return [f"{indent}(no features)"]
    top = max((item.importance for item in features), default=0.0)
    names = [_clip(_one_line(item.feature), name_chars, "...") for item in features]
    width = max(len(name) for name in names)
    number_width = len(str(len(features)))
    lines = []
    for rank, (name, item) in enumerate(zip(names, features, strict=True), 1):
        length = round(BAR_WIDTH * item.importance / top) if top > 0 and item.importance > 0 else 0
        number = f"{rank:>{number_width}}. " if numbered else ""
        lines.append(
            f"{indent}{number}{name:<{width}} {bar * max(length, 1 if item.importance > 0 else 0):<{BAR_WIDTH}} {item.importance:.4g}"
        )
    return lines


def _importance_basis(record: ReportRecord) -> str:
    labels = record.explainability.labels
    if not labels:
        return "global SHAP"
    shown = ", ".join(_clip(_one_line(label), 40, "...") for label in labels[:3])
    more = f" and {len(labels) - 3} more" if len(labels) > 3 else ""
    return f"global SHAP, mean over {shown}{more}"


def _objective(objective: Objective) -> str:
    value = "-" if objective.value is None else f"{objective.value:.6g}"
    direction = f" ({objective.type})" if objective.type else ""
    return f"{objective.metric} = {value}{direction}"


def _markdown_link(link: Link) -> str:
    if link.url is None:
        return f"{link.label} (no console link for this partition)"
    return f"[{link.label}]({link.url})"


def _code(text: str) -> str:
    return "`" + _one_line(text).replace("`", "'") + "`"


def _code_block(text: str) -> str:
    return "```\n" + text.replace("```", "'''") + "\n```"


def _time(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "-"


def _ended(record: ReportRecord) -> str:
    if record.ended_at is None:
        return "-"
    return f"{_time(record.ended_at)} (ran {_duration(record.ended_at - record.created_at)})"


def _duration(elapsed: timedelta) -> str:
    minutes = max(int(elapsed.total_seconds()) // 60, 0)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m"


def _one_line(text: str) -> str:
    return _LINE_BREAKS.sub(" ", text)


def _indent(text: str, first: str = "  ", rest: str = "  ") -> str:
    lines = text.split("\n")
    return "\n".join([first + lines[0], *(rest + line for line in lines[1:])])


def _omitted_marker(omitted: int) -> str:
    return f" [... {omitted:,} more characters]"


def _clip_text(text: str, limit: int, where: str | None = None) -> str:
    """A free text (failure reason, partial failure) without control characters, cut with a marker."""
    clean = _CONTROL.sub(" ", text).strip()
    if where is None:
        return _clip(clean, limit, _omitted_marker)
    return _clip(clean, limit, lambda omitted: f" [... {omitted:,} more characters in {where}]")


def _clip(text: str, limit: int, marker: str | Callable[[int], str]) -> str:
    """`text` if it fits in `limit` characters, else its start and a marker, together within `limit`."""
    if len(text) <= limit:
        return text
    if isinstance(marker, str):
        keep = max(limit - len(marker), 0)
        return text[:keep] + marker
    # Size the marker for the largest possible count; the real count is no longer, so both fit.
    keep = max(limit - len(marker(len(text))), 0)
    return text[:keep] + marker(len(text) - keep)
