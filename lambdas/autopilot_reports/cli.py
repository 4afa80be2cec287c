"""Query the report table: `python -m autopilot_reports.cli --table TABLE COMMAND ...`.

Every command is a DynamoDB GetItem or Query, never a Scan. Prints JSON lines (one record each).
Uses the standard AWS credential chain; AWS_ENDPOINT_URL points it at moto when trying it locally.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from pydantic import BaseModel

from autopilot_reports.adapters.dynamodb import DynamoDBReportStore
from autopilot_reports.models.common import parse_iso_utc


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="python -m autopilot_reports.cli", description=__doc__)
    root.add_argument("--table", required=True, help="the stack's ReportTable name (stack output TableName)")
    commands = root.add_subparsers(dest="command", required=True)
    commands.add_parser("report", help="one job's latest report").add_argument("job_name")
    commands.add_parser("history", help="one job's observed transitions").add_argument("job_name")
    recent = commands.add_parser("recent", help="most recently modified jobs")
    recent.add_argument("--limit", type=int, default=20)
    for name, help_text in (
        ("by-status", "jobs with a status in a time range"),
        ("partial-failures", "jobs with partial failures in a time range"),
    ):
        command = commands.add_parser(name, help=help_text)
        if name == "by-status":
            command.add_argument("status", choices=["InProgress", "Stopping", "Completed", "Failed", "Stopped"])
        command.add_argument("--since", type=parse_iso_utc, default=None, help="ISO 8601 (default: 7 days ago)")
        command.add_argument("--until", type=parse_iso_utc, default=None, help="ISO 8601 (default: now)")
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    store = DynamoDBReportStore(args.table)
    until = getattr(args, "until", None) or datetime.now(UTC)
    since = getattr(args, "since", None) or until - timedelta(days=7)
    rows: list[BaseModel]
    if args.command == "report":
        record = store.get_report(args.job_name)
        if record is None:
            print(f"no report for {args.job_name}", file=sys.stderr)
            return 1
        rows = [record]
    elif args.command == "history":
        rows = list(store.history(args.job_name))
    elif args.command == "recent":
        rows = list(store.recent(args.limit))
    elif args.command == "by-status":
        rows = list(store.by_status(args.status, since, until))
    else:
        rows = list(store.with_partial_failures(since, until))
    for row in rows:
        print(row.model_dump_json())
    return 0


if __name__ == "__main__":
    sys.exit(main())
