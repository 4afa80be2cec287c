"""Where a deployment runs: an account and a region (the Lambda package's `Place` value), and the
sandbox's default account, its one home: where a scenario runs when it names none.
No imports of the sandbox's own: every other sandbox module may import this one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from autopilot_reports.constants import EXAMPLE_ACCOUNT_ID
from autopilot_reports.models.place import Place

__all__ = ["ACCOUNT_PATTERN", "DEFAULT_ACCOUNT", "ClientsAt", "Place"]

DEFAULT_ACCOUNT = EXAMPLE_ACCOUNT_ID  # moto's default account too
ACCOUNT_PATTERN = r"^\d{12}$"

# The sandbox's own clients at one place (provisioning, taps, streams, outputs): service name -> client.
ClientsAt = Callable[[str], Any]
