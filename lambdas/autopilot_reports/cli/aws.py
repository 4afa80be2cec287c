"""The AWS side of the CLI: one session for every client, the stack's outputs, and AWS errors turned
into one-line `CliError`s."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
)

from autopilot_reports.cli.errors import CliError, ExitCode

DEFAULT_STACK = "AutopilotReports"
TABLE_OUTPUT = "ReportsTableName"
BUS_OUTPUT = "EventBusName"
CLIENT_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5}, connect_timeout=5, read_timeout=20)

CREDENTIAL_ERROR_CODES = {
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidSignatureException",
    "SignatureDoesNotMatch",
    "AuthFailure",
}


@dataclass
class Aws:
    """Where the commands look: --region, --profile and --endpoint-url apply to every client."""

    stack: str = DEFAULT_STACK
    table_name: str | None = None
    region: str | None = None
    profile: str | None = None
    endpoint_url: str | None = None
    _session: Any = field(default=None, repr=False)
    _outputs: dict[str, str] | None = field(default=None, repr=False)

    def client(self, service: str) -> Any:
        if self._session is None:
            try:
                self._session = boto3.Session(profile_name=self.profile, region_name=self.region)
            except ProfileNotFound:
                raise CliError(ExitCode.NO_CREDENTIALS, f"no AWS profile named {self.profile!r}") from None
        try:
            return self._session.client(service, endpoint_url=self.endpoint_url, config=CLIENT_CONFIG)
        except NoRegionError:
            raise CliError(ExitCode.USAGE, "no AWS region: pass --region or set AWS_DEFAULT_REGION") from None

    def table(self) -> str:
        if self.table_name is None:
            self.table_name = self.output(TABLE_OUTPUT)
        return self.table_name

    def output(self, key: str) -> str:
        """One of the stack's CloudFormation outputs (DescribeStacks, once)."""
        if self._outputs is None:
            response = self.client("cloudformation").describe_stacks(StackName=self.stack)
            outputs = response["Stacks"][0].get("Outputs", [])
            self._outputs = {item["OutputKey"]: item["OutputValue"] for item in outputs}
        if key not in self._outputs:
            raise CliError(ExitCode.NO_STACK, f"stack {self.stack!r} has no output {key!r}")
        return self._outputs[key]


@contextlib.contextmanager
def aws_errors(aws: Aws) -> Iterator[None]:
    """Turns what boto3 raises into one-line CliErrors with their own exit codes."""
    try:
        yield
    except (NoCredentialsError, PartialCredentialsError):
        raise CliError(
            ExitCode.NO_CREDENTIALS, "no AWS credentials found (configure a profile, or set AWS_ACCESS_KEY_ID ...)"
        ) from None
    except NoRegionError:
        raise CliError(ExitCode.USAGE, "no AWS region: pass --region or set AWS_DEFAULT_REGION") from None
    except EndpointConnectionError as error:
        raise CliError(ExitCode.AWS_ERROR, f"cannot reach {error.kwargs.get('endpoint_url', 'the endpoint')}") from None
    except ClientError as error:
        raise translate(error, aws) from None
    except BotoCoreError as error:
        raise CliError(ExitCode.AWS_ERROR, f"AWS error: {error}") from None


def translate(error: ClientError, aws: Aws) -> CliError:
    code = str(error.response.get("Error", {}).get("Code", ""))
    message = str(error.response.get("Error", {}).get("Message", "")) or str(error)
    operation = error.operation_name
    if code in CREDENTIAL_ERROR_CODES:
        return CliError(ExitCode.NO_CREDENTIALS, f"AWS rejected the credentials: {message}")
    if operation == "DescribeStacks" and code == "ValidationError" and "does not exist" in message:
        region = aws.region or "the configured region"
        return CliError(ExitCode.NO_STACK, f"no stack named {aws.stack!r} in {region} (pass --stack or --table)")
    if code == "ResourceNotFoundException" and operation in {"GetItem", "Query", "DescribeTable"}:
        return CliError(
            ExitCode.NO_TABLE, f"no table named {aws.table_name!r} (pass --table, or --stack for its output)"
        )
    return CliError(ExitCode.AWS_ERROR, f"AWS error in {operation}: {code}: {message}")
