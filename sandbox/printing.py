"""What `python -m sandbox run` prints: each job's report in words, where the outputs are, and one
message as a person received it. Values are printed as text (never Python reprs), and every cut says so."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from autopilot_reports.domain.untrusted import terminal_text

PARTIAL_FAILURE_CHARS = 160


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line]


def print_reports(out_dir: Path) -> None:
    """Each record; where the records come from several places (a hub's), each names its account and region."""
    records = read_jsonl(out_dir / "records.jsonl")
    notified = read_jsonl(out_dir / "notifications.jsonl")
    notifications: dict[tuple[str, ...], int] = {}
    for item in notified:
        attributes = item["attributes"]
        if attributes.get("job_name") and attributes.get("event_type", "ended") == "ended":
            key = job_key(attributes)
            notifications[key] = notifications.get(key, 0) + 1
    places = len({(record.get("account_id"), record.get("region")) for record in records}) > 1
    for record in records:
        print("\n".join(describe(record, notifications.get(job_key(record), 0), places)))
        print()


def job_key(fields: dict[str, Any]) -> tuple[str, ...]:
    """A job as a record or a message's attributes name it: its account, region and name."""
    return (str(fields.get("account_id")), str(fields.get("region")), str(fields["job_name"]))


def describe(record: dict[str, Any], notifications: int, place: bool = False) -> list[str]:
    show = terminal_text
    where = f" in {record.get('account_id')}/{record.get('region')}" if place else ""
    lines = [
        f"== {show(record['job_name'])}{where} ({record['api']}, "
        f"{show(record['problem_type'] or 'problem type unknown')})"
    ]
    lines.append(f"   status         {show(record['status'])} / {show(record['secondary_status'])}")
    if record.get("why_ended"):
        lines.append(f"   why it ended   {show(record['why_ended'])}")
    if record["best_candidate"]:
        lines.append(f"   best           {show(record['best_candidate'])}")
    if record["objective"]:
        lines.append(f"   objective      {objective(record['objective'])}")
    if record.get("family"):
        verdict = "new best in its family" if record.get("new_best_in_family") else "family"
        lines.append(f"   {verdict:<14} {show(record['family'])}")
    if record["failure_reason"]:
        lines.append(f"   failure        {show(record['failure_reason'])}")
    explainability = record["explainability"]
    reason = f" ({show(explainability['reason'])})" if explainability.get("reason") else ""
    lines.append(f"   explainability {explainability['state']}{reason}")
    for item in explainability["top_features"]:
        lines.append(f"     {show(item['feature']):<28} {item['importance']:.4f}")
    if explainability["feature_count"] > len(explainability["top_features"]):
        labels = ", ".join(show(label) for label in explainability["labels"]) or "-"
        lines.append(f"     ... {explainability['feature_count']} features in all; labels: {labels}")
    if explainability["artifacts"].get("report_pdf"):
        lines.append(f"   report         {show(explainability['artifacts']['report_pdf'])}")
    for rank, entry in enumerate(record.get("leaderboard") or [], start=1):
        lines.append(f"   #{rank:<13} {show(entry['candidate'])}  {objective(entry.get('objective'))}")
    if record.get("endpoint"):
        lines.append(f"   endpoint       {show(record['endpoint'])}")
    for message in record["partial_failures"]:
        lines.append(f"   partial failure: {cut(show(message), PARTIAL_FAILURE_CHARS)}")
    plural = "" if notifications == 1 else "s"
    lines.append(f"   notified       {record['notified_at'] or '-'} ({notifications} notification{plural})")
    return lines


def objective(value: dict[str, Any] | None) -> str:
    if not value:
        return "-"
    number = "-" if value.get("value") is None else f"{value['value']:.6g}"
    standard = value.get("standard_metric")
    name = terminal_text(value["metric"]) + (f" ({standard})" if standard and standard != value["metric"] else "")
    return f"{name} = {number} ({value.get('direction') or 'direction unknown'})"


def cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else f"{text[:limit]} [... {len(text) - limit:,} more characters]"


def print_summary(out_dir: Path) -> None:
    """The run in one line, where its files are, and one message as its reader saw it."""
    summary = json.loads((out_dir / "summary.json").read_text())
    queued = sum(summary["queue_depths"].values())
    print(
        f"{summary['jobs']} jobs, {summary['records']} records, {summary['notifications']} messages sent; "
        f"{'failure queues empty' if not queued else f'{queued} messages in failure queues'}; "
        f"DynamoDB engine: {summary.get('dynamodb_engine', 'moto')}."
    )
    print(
        f"Outputs in {out_dir}/: records.jsonl, history.jsonl, events.jsonl, notifications.jsonl, summary.json, lambda.log"
    )
    if summary.get("deployments"):
        print(f"Each other deployment's own (a spoke's): {out_dir}/spokes/<account>-<region>/")
    messages = read_jsonl(out_dir / "notifications.jsonl")
    if messages:
        first = messages[0]
        print(f"\nOne message as its e-mail subscribers received it (all of them: {out_dir}/notifications.jsonl):")
        print(f"Subject: {terminal_text(first['subject'] or '')}\n")
        print(terminal_text(first["message"]["email"], multiline=True))
