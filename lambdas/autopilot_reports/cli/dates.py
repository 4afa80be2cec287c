"""--since/--until: ISO 8601 dates or datetimes, always UTC inside.

A bare date stands for the whole UTC day: `--since 2025-06-01` starts at its midnight, `--until
2025-06-01` includes all of it (the queries end at its last millisecond; the history import, whose range
is half-open, at the next midnight: the same jobs either way). Moments before 1970 mean 1970 (the
table's times are epoch milliseconds, and no AutoML job is older); any input Python cannot represent is
a bad date, never a traceback."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

from autopilot_reports.cli.errors import CliError, ExitCode
from autopilot_reports.models.common import iso_utc, parse_iso_utc

DAY = timedelta(days=1)
MILLISECOND = timedelta(milliseconds=1)
FLOOR = datetime(1970, 1, 1, tzinfo=UTC)
# The newest jobs, whatever their age: windows walked back from now, the first a week, each next one
# WINDOW_GROWTH times longer, so a busy table stops after one Query and an idle one reaches 1970 in ~8.
FIRST_WINDOW = timedelta(days=7)
WINDOW_GROWTH = 4


def parse_when(text: str, option: str) -> tuple[datetime, bool]:
    """The moment, and whether `text` was a bare date (`2025-06-01`) rather than a datetime
    (`2025-06-01T08:00:00Z`, an offset, or none = UTC)."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        pass
    else:
        return max(FLOOR, datetime(day.year, day.month, day.day, tzinfo=UTC)), True
    try:
        return max(FLOOR, parse_iso_utc(text)), False
    except (ValueError, OverflowError):  # OverflowError: an offset that moves it past year 1 or 9999
        raise CliError(
            ExitCode.BAD_DATE, f"{option} {text!r} is not an ISO 8601 date or datetime (e.g. 2025-06-01T08:00:00Z)"
        ) from None


def start_of(text: str, option: str = "--since") -> datetime:
    return parse_when(text, option)[0]


def inclusive_end(text: str, option: str = "--until") -> datetime:
    """For inclusive ranges (the queries): a date ends at its last millisecond (9999-12-31 included)."""
    moment, whole_day = parse_when(text, option)
    return moment.replace(hour=23, minute=59, second=59, microsecond=999000) if whole_day else moment


def exclusive_end(text: str, option: str = "--until") -> datetime:
    """For half-open ranges (the history import): a date ends at the next midnight."""
    moment, whole_day = parse_when(text, option)
    if not whole_day:
        return moment
    try:
        return moment + DAY
    except OverflowError:
        raise CliError(ExitCode.BAD_DATE, f"{option} {text!r}: the day after it is past year 9999") from None


def check_order(start: datetime, end: datetime, until: str = "--until") -> None:
    if start >= end:
        raise CliError(ExitCode.BAD_DATE, f"--since ({iso_utc(start)}) must be before {until} ({iso_utc(end)})")


def windows_back(end: datetime, now: datetime) -> Iterator[tuple[datetime, datetime]]:
    """Disjoint inclusive ranges, newest first, covering [FLOOR, end]: the first starts a week before
    `now` (or `end`, if earlier) and each next one is longer, so the caller can stop as soon as it has
    enough jobs without reading the rest of the index."""
    span = FIRST_WINDOW
    start = _back(min(end, now), span)
    while True:
        yield start, end
        if start <= FLOOR:
            return
        end = start - MILLISECOND
        span *= WINDOW_GROWTH
        start = _back(end, span)


def _back(moment: datetime, span: timedelta) -> datetime:
    """`moment - span`, but never before FLOOR (nor past year 1, where datetime overflows)."""
    return moment - span if moment - FLOOR > span else FLOOR
