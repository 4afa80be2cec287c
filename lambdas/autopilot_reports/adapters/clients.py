"""boto3 clients, created on first use and shared for the life of the process.

Created lazily so tests and the sandbox can point the environment (AWS_ENDPOINT_URL, credentials) at
moto or the simulator first; `clear_clients()` forgets them when that environment changes.
"""

from __future__ import annotations

from functools import cache
from typing import Any, Generic, TypeVar

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

# Transient errors (throttling, 5xx, timeouts) are retried here with backoff; what still fails makes the
# invocation fail, and Lambda's own retries and the dead-letter queue take over.
CLIENT_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 5},
    connect_timeout=5,
    read_timeout=20,
)


# The adapter's boto3 client type (a `mypy_boto3_*` stub, named only under TYPE_CHECKING): dev-time only.
ClientT = TypeVar("ClientT")


@cache
def shared_client(service: str) -> Any:
    # Any: boto3-stubs types boto3.client() only for a literal service name; each adapter names its own type.
    return boto3.client(service, config=CLIENT_CONFIG)  # type: ignore[call-overload]


def clear_clients() -> None:
    shared_client.cache_clear()


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


class AwsAdapter(Generic[ClientT]):
    """Base of the adapters: a tests-supplied client, or the shared one for `service`, made on first use.

    `ClientT` is the boto3 client type for `service`; tests may pass a fake or a moto-backed client."""

    service: str

    def __init__(self, aws_client: ClientT | None = None) -> None:
        self._client = aws_client

    @property
    def client(self) -> ClientT:
        if self._client is None:
            self._client = shared_client(self.service)
        return self._client
