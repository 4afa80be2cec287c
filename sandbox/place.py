"""Where a deployment runs: an account and a region, as a value the sandbox passes around.

The sandbox's default account has its one home here. (The Lambda package's own `Place` value in
`autopilot_reports.models` is the one to use once the sandbox can import it; this one has the same fields.)
No imports of the sandbox's own: every other sandbox module may import this one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

DEFAULT_ACCOUNT = "123456789012"  # moto's default account: where a scenario runs when it names none
ACCOUNT_PATTERN = r"^\d{12}$"

# The sandbox's own clients at one place (provisioning, taps, streams, outputs): service name -> client.
ClientsAt = Callable[[str], Any]


@dataclass(frozen=True, order=True)
class Place:
    account: str
    region: str

    def __str__(self) -> str:
        return f"{self.account}/{self.region}"

    @property
    def label(self) -> str:
        """The place in a name (folders, physical names): `111122223333-eu-west-1`."""
        return f"{self.account}-{self.region}"
