"""The one clock the handlers read. On AWS it is the real UTC clock; the local sandbox sets it to
scenario time (docs/design.md §6.3), so no handler has a sandbox branch."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime


def _real_clock() -> datetime:
    return datetime.now(UTC)


_clock: Callable[[], datetime] = _real_clock


def now() -> datetime:
    return _clock()


def set_clock(clock: Callable[[], datetime] | None) -> None:
    """Drive every handler's notion of now from `clock`; None restores the real clock."""
    global _clock
    _clock = clock or _real_clock
