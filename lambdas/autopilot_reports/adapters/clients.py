"""boto3 clients, created on first use and shared for the life of the process.

Created lazily so tests and the sandbox can point the environment (AWS_ENDPOINT_URL, credentials) at
moto or the simulator first. A client is kept under what it was made from (`ClientOrigin`: boto3's
default session and the AWS_* environment botocore reads), so a process that serves two deployments
(the sandbox's spokes) never hands one deployment's client to the other; on Lambda the origin never
changes and there is one client per service. `clear_clients()` forgets them all.
"""

from __future__ import annotations

import os
from functools import cache
from typing import Any, Generic, NamedTuple, TypeVar

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


AWS_VARIABLES = "AWS_"  # region, credentials, profile, endpoints (AWS_ENDPOINT_URL[_<SERVICE>]), retries


class ClientOrigin(NamedTuple):
    """What a client is made from: the session boto3 makes it with (its credentials, region and event
    hooks) and the AWS_* variables botocore reads when it does. Hashable: it keys the clients, and the
    handlers' warm adapters (with their Settings)."""

    session: boto3.Session
    environment: tuple[tuple[str, str], ...]


def client_origin() -> ClientOrigin:
    """This process's origin now: a scan of the environment (about 20 microseconds among Lambda's few
    dozen variables), no AWS call; cheap enough for once an invocation."""
    if boto3.DEFAULT_SESSION is None:
        boto3.setup_default_session()  # what boto3.client() would do
    assert boto3.DEFAULT_SESSION is not None  # just set up
    variables = sorted((name, value) for name, value in os.environ.items() if name.startswith(AWS_VARIABLES))
    return ClientOrigin(boto3.DEFAULT_SESSION, tuple(variables))


def shared_client(service: str, region: str | None = None) -> Any:
    """The client of `service` for this process's origin now, made on first use; in `region` where the
    service answers elsewhere than the function's own region (the Price List API)."""
    return _client(service, client_origin(), region)


@cache
def _client(service: str, origin: ClientOrigin, region: str | None = None) -> Any:
    # Any: boto3-stubs types client() only for a literal service name; each adapter names its own type.
    return origin.session.client(service, region_name=region, config=CLIENT_CONFIG)  # type: ignore[call-overload]


def clear_clients() -> None:
    _client.cache_clear()


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


class AwsAdapter(Generic[ClientT]):
    """Base of the adapters: a tests-supplied client, or the shared one for `service`, made on first use.

    `ClientT` is the boto3 client type for `service`; tests may pass a fake or a moto-backed client."""

    service: str
    region: str | None = None  # where the service is asked, when not the function's own region

    def __init__(self, aws_client: ClientT | None = None) -> None:
        self._client = aws_client

    @property
    def client(self) -> ClientT:
        if self._client is None:
            self._client = shared_client(self.service, self.region)
        return self._client
