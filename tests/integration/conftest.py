"""Integration fixtures: moto in process for S3, DynamoDB, SNS and EventBridge, resources shaped by the
synthesized template (so the table's keys and indexes are production's)."""

from __future__ import annotations

from collections import Counter

import boto3
import pytest
from moto import mock_aws

from autopilot_reports.adapters.clients import clear_clients
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
    return read_stack(template_json, REGION)


@pytest.fixture
def table_name(aws, stack_model):
    table = stack_model.tables[0]
    boto3.client("dynamodb", region_name=REGION).create_table(**table.create_table_params())
    return table.logical_id


class CallRecorder:
    """Counts API operations made through a botocore client (or every client of a session)."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()

    def attach(self, client) -> None:
        client.meta.events.register("before-call", self._count)

    def _count(self, model, **_):
        self.calls[f"{model.service_model.service_name}.{model.name}"] += 1
