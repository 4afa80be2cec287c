"""--since/--until: ISO 8601 dates or datetimes, always UTC inside.

A bare date stands for the whole UTC day: `--since 2025-06-01` starts at its midnight, `--until
2025-06-01` includes all of it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from autopilot_reports.cli.errors import CliError, ExitCode
from autopilot_reports.models.common import iso_utc, parse_iso_utc

DEFAULT_WINDOW = timedelta(days=7)
DAY = timedelta(days=1)
MILLISECOND = timedelta(milliseconds=1)


def parse_when(text: str, option: str) -> tuple[datetime, bool]:
    """The moment, and whether `text` was a bare date (`2025-06-01`) rather than a datetime
    (`2025-06-01T08:00:00Z`, an offset, or none = UTC)."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        pass
    else:
        return datetime(day.year, day.month, day.day, tzinfo=UTC), True
    try:
        return parse_iso_utc(text), False
    except ValueError:
        raise CliError(
            ExitCode.BAD_DATE, f"{option} {text!r} is not an ISO 8601 date or datetime (e.g. 2025-06-01T08:00:00Z)"
        ) from None


def start_of(text: str, option: str = "--since") -> datetime:
    return parse_when(text, option)[0]


def inclusive_end(text: str, option: str = "--until") -> datetime:
    """For inclusive ranges (the queries): a date ends at its last millisecond."""
    moment, whole_day = parse_when(text, option)
    return moment + DAY - MILLISECOND if whole_day else moment


def exclusive_end(text: str, option: str = "--until") -> datetime:
    """For half-open ranges (the history import): a date ends at the next midnight."""
    moment, whole_day = parse_when(text, option)
    return moment + DAY if whole_day else moment


def check_order(start: datetime, end: datetime) -> None:
    if start >= end:
        raise CliError(ExitCode.BAD_DATE, f"--since ({iso_utc(start)}) must be before --until ({iso_utc(end)})")


def window(since: str | None, until: str | None, now: datetime | None = None) -> tuple[datetime, datetime]:
    """The query range, both ends inclusive; defaults: until = now, since = 7 days before until."""
    end = inclusive_end(until) if until else (now or datetime.now(UTC))
    start = start_of(since) if since else end - DEFAULT_WINDOW
    check_order(start, end)
    return start, end
