"""The chat message: an Amazon Q Developer in chat applications (AWS Chatbot) custom notification, for
Slack and Microsoft Teams channels, threaded per job (`textType: client-markdown`).

Markdown is kept to what Slack and Teams both render: `code`, ``` blocks and [text](url) links, and the
only links are our own (console and S3 links built from ARNs and URIs, percent-encoded). Text from the
job or its data goes through `chat_text` (outside code) or `chat_code` (inside code), never raw.

Custom notification fields, "Parameter details" of
https://docs.aws.amazon.com/chatbot/latest/adminguide/custom-notifs.html: title up to 250 characters,
description up to 8,000, each next step up to 350, each keyword up to 75.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from autopilot_reports import constants as c
from autopilot_reports.domain.links import Link, ReportLinks
from autopilot_reports.domain.notification.common import (
    chart,
    clip,
    cost_summary,
    duration,
    family_line,
    importance_basis,
    metrics_table,
    objective,
    omitted_in,
    title,
    when,
)
from autopilot_reports.domain.ports import SpokeStatus
from autopilot_reports.domain.untrusted import chat_code, chat_text
from autopilot_reports.models.common import iso_utc
from autopilot_reports.models.digest import Digest
from autopilot_reports.models.record import ExplainabilityState, ReportRecord, account_label

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
CHAT_METRIC_NAME_CHARS = 40
CHAT_BAR = "\u2588"  # full block

STATUS_ICONS = {"Completed": "\u2705", "Failed": "\u274c", "Stopped": "\u23f9\ufe0f"}
WARNING_ICON = "\u26a0\ufe0f"
NEW_BEST_ICON = "\U0001f3c6"  # trophy
_KEYWORD = re.compile(r"[^A-Za-z0-9 _.-]")  # keywords are labels: letters, digits and a little punctuation


@dataclass(frozen=True)
class Section:
    name: str  # how the omission marker names it
    text: str


def chat_message(
    record: ReportRecord, links: ReportLinks, event_type: str, organization: bool = False
) -> dict[str, object]:
    content: dict[str, object] = {
        "textType": "client-markdown",
        "title": clip(_title(record), CHAT_TITLE_LIMIT, "..."),
        "description": pack(_sections(record, links), CHAT_DESCRIPTION_LIMIT),
    }
    next_steps = _next_steps(record, links)
    if next_steps:
        content["nextSteps"] = next_steps
    content["keywords"] = keywords([record.status, record.problem_type or "", "Autopilot"] + _flags(record))
    return envelope(record, content, _summary(record), f"AutoMLJob{record.status}", event_type, organization)


def envelope(
    record: ReportRecord,
    content: Mapping[str, object],
    summary: str,
    event_type_name: str,
    event_type: str,
    organization: bool = False,
) -> dict[str, object]:
    """The custom notification around `content`, in the job's thread."""
    return {
        "version": "1.0",
        "source": "custom",
        "id": f"{record.job_arn}/{record.status}/{event_type}",
        "content": content,
        "metadata": {
            # One thread per job (and region: names are unique per account and region only).
            "threadId": thread_id(record, organization),
            "summary": clip(summary, CHAT_SUMMARY_LIMIT, "..."),
            "eventType": re.sub(r"[^A-Za-z0-9-]", "", event_type_name),
            "relatedResources": [resource for resource in (record.job_arn, _endpoint_arn(record)) if resource],
            "additionalContext": {
                name: clip(chat_text(value), CHAT_CONTEXT_VALUE_LIMIT, "...")
                for name, value in {
                    "job_name": record.job_name,
                    "status": record.status,
                    "secondary_status": record.secondary_status,
                    "problem_type": record.problem_type or "",
                    "account_id": record.account_id,
                    "account_name": record.account_name,
                    "region": record.region,
                    "explainability_state": record.explainability.state.value,
                    "family": record.family,
                    "event_type": event_type,
                }.items()
                if value
            },
        },
    }


def thread_id(record: ReportRecord, organization: bool = False) -> str:
    """All of a job's messages in one chat thread (names are unique per account and region: a hub's
    threads carry the account too)."""
    account = f"{record.account_id or 'unknown'}-" if organization else ""
    return f"automl-job-{account}{record.region or 'unknown'}-{record.job_name}"


def keywords(words: Sequence[str]) -> list[str]:
    cleaned = (_KEYWORD.sub("", word) for word in words)
    return [clip(word, CHAT_KEYWORD_LIMIT, "...") for word in cleaned if word]


def link(value: Link) -> str:
    """Our own link: a label we wrote and a URL we built (percent-encoded)."""
    if value.url is None:
        return f"{value.label} (no console link for this partition and region)"
    return f"[{value.label}]({value.url})"


def inline(text: str, limit: int) -> str:
    return "`" + clip(chat_code(text), limit, "...") + "`"


def block(text: str) -> str:
    return "```\n" + chat_code(text, block=True) + "\n```"


def pack(sections: Sequence[Section], limit: int) -> str:
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


def _flags(record: ReportRecord) -> list[str]:
    flags = ["PartialFailures"] if record.partial_failures else []
    return flags + (["NewBest"] if record.new_best_in_family else [])


def _endpoint_arn(record: ReportRecord) -> str | None:
    """The deployed endpoint's ARN, in the job's partition, region and account (SageMaker lowercases
    endpoint names in ARNs)."""
    parts = record.job_arn.split(":")
    if not record.endpoint or len(parts) < 6:
        return None
    return ":".join([*parts[:5], f"endpoint/{record.endpoint.lower()}"])


def _title(record: ReportRecord) -> str:
    if record.new_best_in_family:
        icon = NEW_BEST_ICON
    else:
        icon = WARNING_ICON if record.partial_failures else STATUS_ICONS.get(record.status, "")
    return f"{icon} {chat_text(title(record))}".strip()


def _summary(record: ReportRecord) -> str:
    summary = chat_text(title(record))
    if record.objective and record.objective.value is not None:
        summary += f": {objective(record.objective, chat_text)}"
    return summary


def _sections(record: ReportRecord, links: ReportLinks) -> list[Section]:
    facts = [f"Status: {chat_text(record.status)} (secondary status: {chat_text(record.secondary_status)})"]
    if record.why_ended:
        facts.append(f"Why it ended: {chat_text(record.why_ended)}")
    facts.append(
        f"Problem type: {chat_text(record.problem_type or 'unknown')}, region {chat_text(record.region or 'unknown')}, "
        f"API {record.api}"
    )
    facts.append(f"Account: {chat_text(record.account_label)}")
    if record.objective:
        facts.append(f"Objective: {objective(record.objective, chat_text)}")
    if record.best_candidate:
        facts.append(f"Best candidate: {inline(record.best_candidate, CHAT_CANDIDATE_CHARS)}")
    if record.endpoint:
        facts.append(f"Endpoint: {inline(record.endpoint, CHAT_CANDIDATE_CHARS)}")
    family = family_line(record, chat_text)
    if family:
        facts.append(f"Family: {family}")
    facts.append(
        f"Created {when(record.created_at)}, ended {when(record.ended_at)}, took {duration(record.duration_seconds)}"
    )
    sections = [Section("status", "\n".join(facts))]
    if record.failure_reason:
        reason = clip(record.failure_reason, CHAT_FAILURE_REASON_CHARS, omitted_in("the console"))
        sections.append(Section("failure reason", "Failure reason:\n" + block(reason)))
    sections.append(
        Section("links", "Links:\n" + "\n".join(f"- {link(each)}" for each in [links.job, *links.artifacts]))
    )
    if record.best_candidate_metrics:
        table = metrics_table(record.best_candidate_metrics, chat_code, CHAT_METRIC_NAME_CHARS, indent="")
        sections.append(Section("metrics", "Best candidate's metrics:\n```\n" + "\n".join(table) + "\n```"))
    if record.leaderboard:
        lines = [
            f"{rank}. {inline(entry.candidate, CHAT_CANDIDATE_CHARS)} "
            f"{objective(entry.objective, chat_text) if entry.objective else '-'}"
            for rank, entry in enumerate(record.leaderboard, 1)
        ]
        sections.append(Section("leaderboard", f"Leaderboard (top {len(lines)}):\n" + "\n".join(lines)))
    sections.append(_explainability(record))
    if record.partial_failures:
        messages = [
            f"{index}. {clip(message, CHAT_TEXT_CHARS, omitted_in('the console'))}"
            for index, message in enumerate(record.partial_failures, 1)
        ]
        sections.append(
            Section("partial failures", f"Partial failures ({len(messages)}):\n" + block("\n\n".join(messages)))
        )
    if record.notes:
        sections.append(Section("notes", "Notes:\n" + block("\n".join(record.notes))))
    return sections


def _explainability(record: ReportRecord) -> Section:
    explainability = record.explainability
    if explainability.state != ExplainabilityState.AVAILABLE:
        reason = clip(explainability.reason or "no reason given", CHAT_TEXT_CHARS, omitted_in("the console"))
        return Section("explainability", f"Explainability: {explainability.state.value}:\n{block(reason)}")
    shown = explainability.top_features[:CHAT_FEATURES]
    basis = importance_basis(explainability.labels, chat_code, quote=lambda label: f"`{label}`")
    heading = f"Top features ({len(shown)} of {explainability.feature_count:,}, {basis}):"
    lines = chart(shown, CHAT_BAR, CHAT_FEATURE_NAME_CHARS, indent="", numbered=False, gate=chat_code)
    text = heading + "\n```\n" + "\n".join(lines) + "\n```"
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
                f"Read the failure reason, then fix the input data or the job settings: {link(job)}",
                "Read the failure reason, then fix the input data or the job settings.",
            )
        )
    if record.partial_failures:
        steps.append(
            (
                f"Check the partial failures: the failed candidates are missing from the leaderboard. {link(job)}",
                "Check the partial failures: the failed candidates are missing from the leaderboard.",
            )
        )
    report = links.report_pdf or links.report_html
    if report and report.url:
        steps.append((f"Read which features drive the model: {link(report)}", "Read the explainability report."))
    notebook = links.candidate_notebook
    if notebook and notebook.url:
        steps.append((f"Open the candidate definition notebook: {link(notebook)}", "Open the candidate notebook."))
    if record.status == "Completed" and record.endpoint:
        endpoint = inline(record.endpoint, CHAT_CANDIDATE_CHARS)
        steps.append((f"Try the best candidate on endpoint {endpoint}.", "Try the best candidate's endpoint."))
    elif record.status == "Completed" and record.best_candidate:
        steps.append(
            (
                f"Compare the candidates and deploy the best one: {link(job)}",
                "Compare the candidates and deploy the best one.",
            )
        )
    return [linked if len(linked) <= CHAT_NEXT_STEP_LIMIT else plain for linked, plain in steps]


STUCK_ICON = "\u23f3"  # hourglass
DIGEST_ICON = "\U0001f4cb"  # clipboard


def stuck_chat(record: ReportRecord, links: ReportLinks, quiet: str, organization: bool = False) -> dict[str, object]:
    facts = [
        f"Status: {chat_text(record.status)} (secondary status: {chat_text(record.secondary_status)})",
        f"Quiet for {quiet}: last change {when(record.last_modified_at)}, longer than the stack's stuckAfterMinutes",
        f"Problem type: {chat_text(record.problem_type or 'unknown')}, region {chat_text(record.region or 'unknown')}",
        f"Account: {chat_text(record.account_label)}",
        f"Links:\n- {link(links.job)}",
    ]
    title = f"{STUCK_ICON} {chat_text(f'AutoML job {record.job_name} may be stuck')}"
    content: dict[str, object] = {
        "textType": "client-markdown",
        "title": clip(title, CHAT_TITLE_LIMIT, "..."),
        "description": clip("\n".join(facts), CHAT_DESCRIPTION_LIMIT, "..."),
        "nextSteps": [
            f"Look at its current step in the console, and stop it if it makes no progress: {link(links.job)}"
        ],
        "keywords": keywords(["Stuck", record.status, record.secondary_status, "Autopilot"]),
    }
    summary = f"AutoML job {chat_text(record.job_name)} may be stuck ({quiet} quiet)"
    return envelope(record, content, summary, "AutoMLJobStuck", c.EVENT_TYPE_STUCK, organization)


def digest_chat(digest: Digest, title: str) -> dict[str, object]:
    counts = ", ".join(f"{label} {digest.counts.get(status, 0)}" for status, label in DIGEST_COUNT_LABELS)
    sections = [Section("counts", counts)]
    if digest.organization and digest.accounts:
        lines = [
            f"- {chat_text(account_label(account.account_id, account.account_name))} "
            f"({chat_text(', '.join(account.regions))}): "
            + ", ".join(f"{label} {account.counts.get(status, 0)}" for status, label in DIGEST_COUNT_LABELS)
            for account in digest.accounts
        ]
        sections.append(Section("accounts", "By account:\n" + "\n".join(lines)))
    for key, label, values in (
        ("failed", "Failed", digest.failed),
        ("partial_failures", "With partial failures", digest.partial_failures),
        ("new_bests", "New bests in their family", digest.new_bests),
        ("stuck", "Stuck now", digest.stuck),
    ):
        if values:
            more = digest.omitted.get(key, 0)
            text = f"{label} ({len(values) + more}): " + ", ".join(
                inline(name, CHAT_CANDIDATE_CHARS) for name in values
            )
            sections.append(Section(key, text + (f" [... and {more} more]" if more else "")))
    if digest.families:
        lines = [
            f"- {inline(family.family, CHAT_CANDIDATE_CHARS)}: {family.jobs} job(s), best "
            + (
                f"{inline(family.best.job_name, CHAT_CANDIDATE_CHARS)} = {family.best.value:.6g}"
                if family.best
                else "none yet"
            )
            + (" (improved)" if family.improved else "")
            for family in digest.families
        ]
        sections.append(Section("families", "Families:\n" + "\n".join(lines)))
    if digest.cost is not None:
        summary = cost_summary(digest.cost, chat_text, lambda name: inline(name, CHAT_CANDIDATE_CHARS))
        sections.append(Section("cost", "Estimated cost (on-demand list prices, compute only): " + "; ".join(summary)))
    content: dict[str, object] = {
        "textType": "client-markdown",
        "title": clip(f"{DIGEST_ICON} {chat_text(title)}", CHAT_TITLE_LIMIT, "..."),
        "description": pack(sections, CHAT_DESCRIPTION_LIMIT),
        "keywords": keywords(["Digest", "Autopilot"]),
    }
    return {
        "version": "1.0",
        "source": "custom",
        "id": f"autopilot-reports-digest/{digest.region}/{iso_utc(digest.period.end)}",
        "content": content,
        "metadata": {
            "threadId": f"automl-digest-{digest.region or 'unknown'}",
            "summary": clip(chat_text(title), CHAT_SUMMARY_LIMIT, "..."),
            "eventType": "AutoMLDigest",
            "additionalContext": {"event_type": c.EVENT_TYPE_DIGEST, "region": digest.region},
        },
    }


SILENT_ICON = "\U0001f507"  # muted speaker


def silence_chat(spoke: SpokeStatus, label: str, quiet: str) -> dict[str, object]:
    """A spoke gone silent, in its own thread per account and region."""
    place = f"{chat_text(label)}, {chat_text(spoke.place.region)}"
    facts = [
        f"No heartbeat from the spoke in {place} for {quiet} (last {when(spoke.last_heartbeat)}), longer than "
        "the hub's spokeSilentAfterMinutes: its AutoML jobs may not be reported.",
        f"Version {chat_text(spoke.version or 'unknown')}, watching since {when(spoke.watch_start)}, "
        f"watermark {when(spoke.watermark)}",
    ]
    title = f"{SILENT_ICON} autopilot-reports spoke silent: {place}"
    content: dict[str, object] = {
        "textType": "client-markdown",
        "title": clip(title, CHAT_TITLE_LIMIT, "..."),
        "description": clip("\n".join(facts), CHAT_DESCRIPTION_LIMIT, "..."),
        "nextSteps": [
            "Look at the spoke's stack in that account and region: its WatcherStale alarm, the StackSet "
            "instance, the ToHubRule's role and dead-letter queue."
        ],
        "keywords": keywords(["SpokeSilent", spoke.place.region, "Autopilot"]),
    }
    return {
        "version": "1.0",
        "source": "custom",
        "id": f"autopilot-reports-spoke/{spoke.place.account}/{spoke.place.region}/{iso_utc(spoke.last_heartbeat)}",
        "content": content,
        "metadata": {
            "threadId": f"autopilot-reports-spoke-{spoke.place.account}-{spoke.place.region}",
            "summary": clip(
                chat_text(f"Spoke {label} in {spoke.place.region} silent for {quiet}"), CHAT_SUMMARY_LIMIT, "..."
            ),
            "eventType": "AutopilotReportsSpokeSilent",
            "additionalContext": {
                "event_type": c.EVENT_TYPE_SPOKE_SILENT,
                "account_id": spoke.place.account,
                "region": spoke.place.region,
            },
        },
    }


DIGEST_COUNT_LABELS = (
    ("Completed", "Completed"),
    ("Failed", "Failed"),
    ("Stopped", "Stopped"),
    ("InProgress", "in progress"),
)
