"""The e-mail (and SNS `default`) text: plain text for any mail client, with https console links.

Every value from the job or its data goes through `email_line` (one-line values: controls shown, so a
name can never start a line of its own) or `email_block` (free text, visibly quoted, so a failure reason
can never draw a line that passes for ours); an s3:// URI only ever appears beside its https link.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from autopilot_reports.domain.arns import arn_partition, arn_region
from autopilot_reports.domain.links import Link, ReportLinks, s3_console_url, s3_uris_in
from autopilot_reports.domain.notification.common import (
    chart,
    clip,
    cost_summary,
    duration,
    family_line,
    importance_basis,
    metrics_table,
    objective,
    omitted,
    title,
    when,
)
from autopilot_reports.domain.ports import SpokeStatus
from autopilot_reports.domain.untrusted import email_block, email_line
from autopilot_reports.models.digest import Digest
from autopilot_reports.models.record import ExplainabilityState, LeaderboardEntry, ReportRecord, account_label

EMAIL_BAR = "#"  # plain ASCII reads the same in every mail client and font
FOOTER = "--\nSent by autopilot-reports when the job ended. Filter on the message attributes to choose jobs."


@dataclass(frozen=True)
class Detail:
    """How much of a large record a message carries. The renderer starts with the most and steps down
    only when the whole SNS message would not fit; each step leaves markers where it cut."""

    email_features: int = 100
    email_name_chars: int = 200
    email_text_chars: int = 4096  # per partial failure message and for the failure reason
    record_features: int | None = None  # lambda/sqs record copies: None keeps them all
    record_name_chars: int | None = None
    record_text_chars: int | None = None
    email_total_chars: int | None = None  # last resort: the e-mail text itself is cut


def email_text(record: ReportRecord, links: ReportLinks, detail: Detail) -> str:
    blocks = [_header(record)]
    if record.failure_reason:
        blocks.append(_section("FAILURE REASON", [_free_text(record, record.failure_reason, detail)]))
    blocks.append(_links(links))
    if record.best_candidate_metrics:
        lines = metrics_table(record.best_candidate_metrics, email_line, detail.email_name_chars, indent="  ")
        blocks.append(_section("BEST CANDIDATE METRICS (by data set)", lines))
    if record.leaderboard:
        blocks.append(_leaderboard(record.leaderboard, detail))
    blocks.append(_explainability(record, detail))
    if record.partial_failures:
        lines = [
            _free_text(record, message, detail, heading=f"  {index}.")
            for index, message in enumerate(record.partial_failures, 1)
        ]
        blocks.append(_section(f"PARTIAL FAILURES ({len(record.partial_failures)})", lines))
    if record.notes:
        blocks.append(_section("NOTES", [_free_text(record, note, detail) for note in record.notes]))
    blocks.append(FOOTER)
    text = "\n\n".join(blocks) + "\n"
    if detail.email_total_chars is not None:
        text = clip(text, detail.email_total_chars, omitted)
    return text


def _header(record: ReportRecord) -> str:
    heading = email_line(title(record))
    rows = [
        ("Status", f"{email_line(record.status)} (secondary status: {email_line(record.secondary_status)})"),
        ("Why it ended", email_line(record.why_ended) if record.why_ended else "-"),
        ("Problem type", email_line(record.problem_type or "unknown")),
        ("Objective", objective(record.objective, email_line) if record.objective else "-"),
        ("Best candidate", email_line(record.best_candidate or "-")),
        ("Endpoint", email_line(record.endpoint or "-")),
        ("Family", family_line(record, email_line) or "-"),
        ("Region", f"{email_line(record.region or 'unknown')} (API {record.api})"),
        ("Account", email_line(record.account_label)),
        ("Created", when(record.created_at)),
        ("Ended", when(record.ended_at)),
        ("Duration", duration(record.duration_seconds)),
        ("Job ARN", email_line(record.job_arn)),
    ]
    width = max(len(label) for label, _ in rows) + 2
    return f"{heading}\n{'=' * len(heading)}\n\n" + "\n".join(f"{label + ':':<{width}}{value}" for label, value in rows)


def _links(links: ReportLinks) -> str:
    return "\n".join(_link(link) for link in [links.job, *links.artifacts])


def _link(link: Link) -> str:
    where = f" ({email_line(link.s3_uri)})" if link.s3_uri else ""
    if link.url is None:
        # A partition without a public console (aws-iso, ...): say so rather than leave a bare s3:// URI.
        return f"{link.label}: no console link for this partition and region{where}"
    return f"{link.label}:\n  {link.url}" + (f"\n  {where.strip()}" if where else "")


def _leaderboard(leaderboard: Sequence[LeaderboardEntry], detail: Detail) -> str:
    names = [clip(email_line(entry.candidate), detail.email_name_chars, "...") for entry in leaderboard]
    width = max(len(name) for name in names)
    lines = [
        f"  {rank}. {name:<{width}}  {objective(entry.objective, email_line) if entry.objective else '-'}"
        for rank, (name, entry) in enumerate(zip(names, leaderboard, strict=True), 1)
    ]
    return _section(f"LEADERBOARD (top {len(leaderboard)} completed candidates, best first)", lines)


def _explainability(record: ReportRecord, detail: Detail) -> str:
    explainability = record.explainability
    if explainability.state != ExplainabilityState.AVAILABLE:
        reason = f"{explainability.state.value}: {explainability.reason or 'no reason given'}"
        return _section("EXPLAINABILITY", [_free_text(record, reason, detail)])
    shown = explainability.top_features[: detail.email_features]
    basis = importance_basis(explainability.labels, email_line)
    heading = f"TOP FEATURES ({len(shown)} of {explainability.feature_count:,}, {basis})"
    lines = chart(shown, EMAIL_BAR, detail.email_name_chars, indent="  ", numbered=True, gate=email_line)
    hidden = len(explainability.top_features) - len(shown)
    if hidden > 0:
        lines.append(f"  [... {hidden} more top features not shown here: see the report and the record]")
    return _section(heading, lines)


def _free_text(record: ReportRecord, text: str, detail: Detail, heading: str | None = None) -> str:
    """Free text, visibly quoted and cut with a marker, with an S3 console link under every s3:// URI it
    mentions (so the e-mail never leaves one without its https link)."""
    clipped = clip(text, detail.email_text_chars, omitted)
    partition, region = arn_partition(record.job_arn), arn_region(record.job_arn)
    lines = [heading] if heading else []
    lines.append(email_block(clipped, indent="  "))
    for uri in s3_uris_in(clipped):
        url = s3_console_url(uri, partition, region)
        shown = email_line(uri)
        lines.append(
            f"  S3 console for {shown}: {url}"
            if url
            else f"  (no console link for {shown} in this partition and region)"
        )
    return "\n".join(lines)


def _section(heading: str, lines: Sequence[str]) -> str:
    return heading + "\n" + "\n".join(lines)


STUCK_FOOTER = (
    "--\nSent by autopilot-reports when an InProgress job stopped changing: one alert per stall (it alerts\n"
    "again only after the job moves and stalls again). Filter on event_type to choose messages."
)
DIGEST_FOOTER = "--\nSent by autopilot-reports on the digest schedule. Filter on event_type to choose messages."


def stuck_email(record: ReportRecord, links: ReportLinks, quiet: str, alerted: str) -> str:
    heading = email_line(f"AutoML job {record.job_name} may be stuck")
    rows = [
        ("Status", f"{email_line(record.status)} (secondary status: {email_line(record.secondary_status)})"),
        ("Quiet for", f"{quiet} (last change {when(record.last_modified_at)}, alert {alerted})"),
        ("Problem type", email_line(record.problem_type or "unknown")),
        ("Created", when(record.created_at)),
        ("Region", f"{email_line(record.region or 'unknown')} (API {record.api})"),
        ("Account", email_line(record.account_label)),
        ("Job ARN", email_line(record.job_arn)),
    ]
    width = max(len(label) for label, _ in rows) + 2
    header = f"{heading}\n{'=' * len(heading)}\n\n" + "\n".join(
        f"{label + ':':<{width}}{value}" for label, value in rows
    )
    advice = (
        f"SageMaker has not changed this job for {quiet}, longer than the stack's stuckAfterMinutes.\n"
        "Look at its current candidate or processing job in the console; stop it with StopAutoMLJob if it\n"
        "is not making progress, or raise stuckAfterMinutes if its steps are this slow."
    )
    return "\n\n".join([header, _link(links.job), advice, STUCK_FOOTER]) + "\n"


def digest_email(digest: Digest, title: str) -> str:
    heading = email_line(title)
    counts = "   ".join(f"{label}: {digest.counts.get(status, 0)}" for status, label in DIGEST_COUNTS)
    blocks = [f"{heading}\n{'=' * len(heading)}\n\n{counts}"]
    if digest.organization:
        lines = [
            f"  {email_line(account_label(account.account_id, account.account_name))} "
            f"({email_line(', '.join(account.regions) or 'no region')}): "
            + ", ".join(f"{label} {account.counts.get(status, 0)}" for status, label in DIGEST_COUNTS)
            for account in digest.accounts
        ] or ["  (none)"]
        blocks.append(_section(f"BY ACCOUNT ({len(digest.accounts)})", lines))
    for key, label, values in (
        ("failed", "FAILED", digest.failed),
        ("partial_failures", "WITH PARTIAL FAILURES", digest.partial_failures),
        ("new_bests", "NEW BESTS IN THEIR FAMILY", digest.new_bests),
        ("stuck", "STUCK NOW (InProgress, quiet past stuckAfterMinutes)", digest.stuck),
    ):
        more = digest.omitted.get(key, 0)
        lines = [f"  {email_line(name)}" for name in values] or ["  (none)"]
        if more:
            lines.append(f"  [... and {more} more]")
        blocks.append(_section(f"{label} ({len(values) + more})", lines))
    family_lines = [
        f"  {email_line(family.family)}: {family.jobs} job(s); best "
        + (
            f"{email_line(family.best.job_name)} ({email_line(family.best.metric or 'objective')} = {family.best.value:.6g})"
            if family.best
            else "none yet"
        )
        + (", improved" if family.improved else "")
        for family in digest.families
    ] or ["  (none)"]
    if digest.omitted.get("families"):
        family_lines.append(f"  [... and {digest.omitted['families']} more families]")
    blocks.append(_section(f"FAMILIES ({len(digest.families) + digest.omitted.get('families', 0)})", family_lines))
    if digest.cost is not None:
        lines = [f"  {line}" for line in cost_summary(digest.cost, email_line)]
        blocks.append(_section("ESTIMATED COST OF THE JOBS THAT ENDED (on-demand list prices, compute only)", lines))
    blocks.append(DIGEST_FOOTER)
    return "\n\n".join(blocks) + "\n"


SILENCE_FOOTER = (
    "--\nSent by autopilot-reports' hub when a spoke stopped sending heartbeats: one alert per silence (it\n"
    "alerts again only after the spoke is heard from and falls silent again). Filter on event_type."
)


def silence_email(spoke: SpokeStatus, label: str, quiet: str, alerted: str) -> str:
    heading = email_line(f"The autopilot-reports spoke in {label}, {spoke.place.region}, is silent")
    rows = [
        ("Account", email_line(label)),
        ("Region", email_line(spoke.place.region)),
        ("Silent for", f"{quiet} (last heartbeat {when(spoke.last_heartbeat)}, alert {alerted})"),
        ("Version", email_line(spoke.version or "unknown")),
        ("Watching since", when(spoke.watch_start)),
        ("Watermark", when(spoke.watermark)),
    ]
    width = max(len(label) for label, _ in rows) + 2
    header = f"{heading}\n{'=' * len(heading)}\n\n" + "\n".join(f"{row + ':':<{width}}{value}" for row, value in rows)
    advice = (
        "The hub has not heard from this spoke for longer than spokeSilentAfterMinutes: its AutoML jobs may\n"
        "not be reported. Look at the spoke's stack in that account and region (its WatcherStale alarm, the\n"
        "StackSet's instance status, the ToHubRule's role and dead-letter queue), or at whether the region\n"
        "is still one you deploy to."
    )
    return "\n\n".join([header, advice, SILENCE_FOOTER]) + "\n"


DIGEST_COUNTS = (
    ("Completed", "Completed"),
    ("Failed", "Failed"),
    ("Stopped", "Stopped"),
    ("InProgress", "In progress"),
)
