"""Integration fixtures: moto in process for S3, DynamoDB, SNS and EventBridge, resources shaped by the
synthesized template (so the table's keys and indexes are production's); and AWS's DynamoDB Local, one
JVM for the session, where the sandbox would run it."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends

from autopilot_reports.adapters.clients import clear_clients
from sandbox.dynamodb_local import DynamoDBLocal, shared_engine
from sandbox.place import Place
from sandbox.stream_delivery import lambda_stream_record, passes_filters
from sandbox.template import read_stack

REGION = "us-east-1"


@pytest.fixture
def aws(monkeypatch):
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "POWERTOOLS_TRACE_DISABLED": "true",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL_SAGEMAKER", raising=False)
    clear_clients()
    with mock_aws():
        yield
    clear_clients()


@pytest.fixture
def stack_model(template_json):
    return read_stack(template_json, Place(DEFAULT_ACCOUNT_ID, REGION))


@pytest.fixture
def table_name(aws, stack_model):
    table = stack_model.tables[0]
    boto3.client("dynamodb", region_name=REGION).create_table(**table.create_table_params())
    return table.logical_id


@pytest.fixture(scope="session")
def dynamodb_local() -> Iterator[DynamoDBLocal]:
    """One DynamoDB Local for the session (a JVM takes seconds to start). Skipped where it cannot run
    (no java, or `make setup` not run); on CI, where `make setup` provides it, its absence fails."""
    reason = DynamoDBLocal().unavailable_reason()
    if reason and os.environ.get("CI"):
        pytest.fail(f"DynamoDB Local must run on CI: {reason}")
    if reason:
        pytest.skip(f"DynamoDB Local is unavailable: {reason}")
    yield shared_engine()  # the one the sandbox's runs use too: one JVM per test process


@pytest.fixture
def local_table(dynamodb_local: DynamoDBLocal, stack_model) -> Iterator[str]:
    """The production table (keys, indexes, stream) in DynamoDB Local, dropped after the test: every test
    of the session shares the one engine, whose -sharedDb database every client sees."""
    client = dynamodb_local.dynamodb_client(REGION)
    params = stack_model.tables[0].create_table_params()
    client.create_table(**params)
    yield params["TableName"]
    client.delete_table(TableName=params["TableName"])


class CallRecorder:
    """Counts API operations made through a botocore client (or every client of a session)."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()

    def attach(self, client) -> None:
        client.meta.events.register("before-call", self._count)

    def _count(self, model, **_):
        self.calls[f"{model.service_model.service_name}.{model.name}"] += 1


def stream_event(
    stack_model, position: int, handler: str = "handlers.notifier.handler"
) -> tuple[dict[str, list[dict[str, Any]]], int]:
    """What the stream's event source mapping of `handler`'s function delivers from `position` on (records
    that pass its filter), and the next position. moto 5.2.5's in-process mock answers DynamoDB Streams
    calls with 404, though its server (the sandbox's) serves them: read the table's stream from the
    backend itself."""
    function = stack_model.function_by_handler(handler).logical_id
    (mapping,) = [mapping for mapping in stack_model.stream_mappings if mapping.function_id == function]
    table = dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION].get_table(mapping.table_id)
    records = [item.to_json() for item in table.stream_shard.items][position:]
    delivered = [lambda_stream_record(record, table.latest_stream_label) for record in records]
    return {"Records": [record for record in delivered if passes_filters(record, mapping)]}, position + len(records)
