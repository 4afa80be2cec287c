"""The AWS side of the CLI: one session for every client, the stack's outputs, and AWS errors turned
into one-line `CliError`s.

Region and profile are resolved as AWS users expect from the AWS CLI and the SDKs: --region, else
AWS_REGION (boto3 itself reads only AWS_DEFAULT_REGION), else AWS_DEFAULT_REGION, else the profile's.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import boto3
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
)

from autopilot_reports import constants as c
from autopilot_reports.adapters.clients import CLIENT_CONFIG
from autopilot_reports.adapters.dynamodb_items import KeyScope
from autopilot_reports.cli.errors import CliError, ExitCode
from autopilot_reports.cli.stderr import debug

DEFAULT_STACK = c.DEFAULT_STACK_NAME
TABLE_OUTPUT = c.OUTPUT_TABLE_NAME
BUS_OUTPUT = c.OUTPUT_EVENT_BUS_NAME
NO_REGION = "no AWS region: pass --region or set AWS_REGION"

CREDENTIAL_ERROR_CODES = {
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidSignatureException",
    "SignatureDoesNotMatch",
    "AuthFailure",
}


def check_endpoint_url(url: str | None) -> None:
    """botocore raises a bare ValueError for `localhost:4566`; say what is missing instead."""
    if url is None:
        return
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise CliError(
            ExitCode.USAGE, f"--endpoint-url {url!r} needs http:// or https:// and a host (e.g. http://localhost:4566)"
        )


@dataclass
class Aws:
    """Where the commands look: --region, --profile and --endpoint-url apply to every client. `stack` is
    None when --stack was not given (the default stack is then used for outputs)."""

    stack: str | None = None
    table_name: str | None = None
    region: str | None = None
    profile: str | None = None
    endpoint_url: str | None = None
    debug: bool = False
    hub: bool = False  # an organization's hub's table (--hub, --account); else the stack's outputs say
    _session: Any = field(default=None, repr=False)
    _outputs: dict[str, str] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        check_endpoint_url(self.endpoint_url)

    @property
    def stack_name(self) -> str:
        return self.stack or DEFAULT_STACK

    @property
    def profile_name(self) -> str | None:
        return self.profile or os.environ.get("AWS_PROFILE") or os.environ.get("AWS_DEFAULT_PROFILE")

    @property
    def region_name(self) -> str:
        """The region the clients use, for messages (resolving it creates the session)."""
        return str(self.session().region_name or "no region")

    def session(self) -> Any:
        if self._session is None:
            region = self.region or os.environ.get("AWS_REGION") or None
            try:
                self._session = boto3.Session(profile_name=self.profile, region_name=region)
            except ProfileNotFound:
                raise self.no_profile() from None
            if self.debug:
                self._trace_calls(self._session)
                debug(f"region {self._session.region_name}, profile {self.profile_name or '(default chain)'}")
        return self._session

    def client(self, service: str) -> Any:
        try:
            return self.session().client(service, endpoint_url=self.endpoint_url, config=CLIENT_CONFIG)
        except NoRegionError:
            raise CliError(ExitCode.USAGE, NO_REGION) from None
        except ProfileNotFound:
            raise self.no_profile() from None
        except ValueError as error:  # botocore's "Invalid endpoint: ..." for a URL check_endpoint_url let by
            raise CliError(ExitCode.USAGE, f"--endpoint-url {self.endpoint_url!r}: {error}") from None

    def no_profile(self) -> CliError:
        source = "--profile" if self.profile else "AWS_PROFILE"
        return CliError(ExitCode.NO_CREDENTIALS, f"no AWS profile named {self.profile_name!r} (from {source})")

    def table(self) -> str:
        if self.table_name is None:
            self.table_name = self.output(TABLE_OUTPUT)
        return self.table_name

    def key_scope(self) -> KeyScope:
        """How the table keys a job: an organization's hub's by account, region and name (`--hub`, or its
        stack's key-scope output), any other by name."""
        self.table()
        scope = (self._outputs or {}).get(c.OUTPUT_TABLE_KEY_SCOPE)
        return KeyScope.ORGANIZATION if self.hub or scope == KeyScope.ORGANIZATION.value else KeyScope.LOCAL

    def output(self, key: str) -> str:
        """One of the stack's CloudFormation outputs (DescribeStacks, once)."""
        if self._outputs is None:
            response = self.client("cloudformation").describe_stacks(StackName=self.stack_name)
            outputs = response["Stacks"][0].get("Outputs", [])
            self._outputs = {item["OutputKey"]: item["OutputValue"] for item in outputs}
        if key not in self._outputs:
            raise CliError(ExitCode.NO_STACK, f"stack {self.stack_name!r} has no output {key!r}")
        return self._outputs[key]

    @staticmethod
    def _trace_calls(session: Any) -> None:
        """--debug: each AWS call, its parameters, and how it answered, on stderr."""
        started: dict[int, float] = {}

        def before(params: Any, model: Any, context: Any, **_: Any) -> None:
            started[id(context)] = time.monotonic()
            name = f"{model.service_model.service_name}.{model.name}"
            debug(f"call {name} {json.dumps(params, default=str, sort_keys=True)}")

        def after(http_response: Any, model: Any, context: Any, **_: Any) -> None:
            elapsed = time.monotonic() - started.pop(id(context), time.monotonic())
            name = f"{model.service_model.service_name}.{model.name}"
            debug(f"answer {name}: HTTP {http_response.status_code} in {elapsed * 1000:.0f} ms")

        session.events.register("before-parameter-build", before)
        session.events.register("after-call", after)


@contextlib.contextmanager
def aws_errors(aws: Aws) -> Iterator[None]:
    """Turns what boto3 raises into one-line CliErrors with their own exit codes."""
    try:
        yield
    except (NoCredentialsError, PartialCredentialsError):
        raise CliError(
            ExitCode.NO_CREDENTIALS, "no AWS credentials found (configure a profile, or set AWS_ACCESS_KEY_ID ...)"
        ) from None
    except ProfileNotFound:
        raise aws.no_profile() from None
    except NoRegionError:
        raise CliError(ExitCode.USAGE, NO_REGION) from None
    except EndpointConnectionError as error:
        raise CliError(ExitCode.AWS_ERROR, f"cannot reach {error.kwargs.get('endpoint_url', 'the endpoint')}") from None
    except ClientError as error:
        raise translate(error, aws) from None
    except BotoCoreError as error:
        raise CliError(ExitCode.AWS_ERROR, f"AWS error: {one_line(str(error))}") from None


def translate(error: ClientError, aws: Aws) -> CliError:
    code = str(error.response.get("Error", {}).get("Code", ""))
    message = one_line(str(error.response.get("Error", {}).get("Message", "")) or str(error))
    operation = error.operation_name
    if code in CREDENTIAL_ERROR_CODES:
        return CliError(ExitCode.NO_CREDENTIALS, f"AWS rejected the credentials: {message}")
    if operation == "DescribeStacks" and code == "ValidationError" and "does not exist" in message:
        return CliError(
            ExitCode.NO_STACK, f"no stack named {aws.stack_name!r} in {aws.region_name} (pass --stack or --table)"
        )
    if code == "ResourceNotFoundException" and operation in {"GetItem", "Query", "DescribeTable"}:
        return CliError(
            ExitCode.NO_TABLE, f"no table named {aws.table_name!r} (pass --table, or --stack for its output)"
        )
    return CliError(ExitCode.AWS_ERROR, f"AWS error in {operation}: {code}: {message}")


def one_line(text: str) -> str:
    """botocore's multi-line messages (parameter validation) as one line."""
    return "; ".join(line.strip() for line in text.splitlines() if line.strip())
