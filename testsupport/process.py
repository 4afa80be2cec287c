"""Resetting this process between tests, as a fresh Lambda process would start."""

from __future__ import annotations

import sys

from autopilot_reports.clock import set_clock
from autopilot_reports.handlers import warm_state
from autopilot_reports.observability import logger


def reset_process() -> None:
    """Forget the handlers' warm state, log to stdout again, and read the real clock."""
    warm_state.forget()
    set_clock(None)
    logger.registered_handler.stream = sys.stdout  # type: ignore[attr-defined]
