"""A readable summary of each job's report, from the sandbox's output files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def print_reports(out_dir: Path) -> None:
    records = [json.loads(line) for line in (out_dir / "records.jsonl").read_text().splitlines() if line]
    notified = [json.loads(line) for line in (out_dir / "notifications.jsonl").read_text().splitlines() if line]
    notifications = {item["attributes"]["job_name"]: 0 for item in notified}
    for item in notified:
        notifications[item["attributes"]["job_name"]] += 1
    for record in records:
        print("\n".join(describe(record, notifications.get(record["job_name"], 0))))
        print()


def describe(record: dict[str, Any], notifications: int) -> list[str]:
    lines = [f"== {record['job_name']} ({record['api']}, {record['problem_type'] or 'problem type unknown'})"]
    lines.append(f"   status        {record['status']} / {record['secondary_status']}")
    if record["best_candidate"]:
        lines.append(f"   best          {record['best_candidate']}")
    if record["objective"]:
        objective = record["objective"]
        lines.append(f"   objective     {objective['metric']} = {objective['value']} ({objective['type']})")
    if record["failure_reason"]:
        lines.append(f"   failure       {record['failure_reason']}")
    explainability = record["explainability"]
    lines.append(f"   explainability {explainability['state']}" + _reason(explainability))
    for item in explainability["top_features"]:
        lines.append(f"     {item['feature']:<28} {item['importance']:.4f}")
    if explainability["feature_count"] > len(explainability["top_features"]):
        lines.append(f"     ... {explainability['feature_count']} features in all; labels {explainability['labels']}")
    if explainability["artifacts"].get("report_pdf"):
        lines.append(f"   report        {explainability['artifacts']['report_pdf']}")
    for rank, entry in enumerate(record.get("leaderboard") or [], start=1):
        objective = entry.get("objective") or {}
        lines.append(f"   #{rank:<12} {entry['candidate']}  {objective.get('metric', '')} = {objective.get('value')}")
    if record.get("endpoint"):
        lines.append(f"   endpoint      {record['endpoint']}")
    for message in record["partial_failures"]:
        lines.append(f"   partial failure: {message[:160]}")
    lines.append(f"   notified      {record['notified_at'] or '-'} ({notifications} notification(s))")
    return lines


def _reason(explainability: dict[str, Any]) -> str:
    return f" ({explainability['reason']})" if explainability.get("reason") else ""
