"""Where a deployment runs: an account and a region (the Lambda package's `Place` value), and the
sandbox's default account, its one home: where a scenario runs when it names none; and the organization
every account of a scenario belongs to in the organization mode (sandbox/organization.py).
No imports of the sandbox's own: every other sandbox module may import this one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from autopilot_reports.constants import EXAMPLE_ACCOUNT_ID
from autopilot_reports.models.place import Place

__all__ = [
    "ACCOUNT_PATTERN",
    "DEFAULT_ACCOUNT",
    "ORGANIZATION_ID_PATTERN",
    "SANDBOX_ORGANIZATION_ID",
    "SANDBOX_ORGANIZATION_ROOT",
    "ClientsAt",
    "Place",
]

DEFAULT_ACCOUNT = EXAMPLE_ACCOUNT_ID  # moto's default account too
ACCOUNT_PATTERN = r"^\d{12}$"
ORGANIZATION_ID_PATTERN = r"^o-[a-z0-9]{10,32}$"  # AWS Organizations' own
SANDBOX_ORGANIZATION_ID = "o-sandbox0001"  # the organization the sandbox synthesizes its hub for
SANDBOX_ORGANIZATION_ROOT = "r-sbox"  # where a scenario's accounts sit in it (aws:PrincipalOrgPaths)

# The sandbox's own clients at one place (provisioning, taps, streams, outputs): service name -> client.
ClientsAt = Callable[[str], Any]
