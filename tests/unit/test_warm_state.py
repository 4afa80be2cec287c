"""Warm state is keyed by what built it (two deployments in one process, as in the sandbox): a client by
its service and origin (boto3's default session and the AWS_* environment), a handler's adapters by their
Settings and that origin. Nothing here calls AWS: clients are only made."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest

from autopilot_reports.adapters.clients import client_origin, shared_client
from autopilot_reports.handlers import notifier, reporter, warm_state, watcher
from autopilot_reports.settings import NotifierSettings, ReporterSettings, WatcherSettings, get_settings
from testsupport.process import reset_process


@pytest.fixture(autouse=True)
def process(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    saved = boto3.DEFAULT_SESSION
    reset_process()
    yield
    reset_process()
    boto3.DEFAULT_SESSION = saved


def deployment(monkeypatch: pytest.MonkeyPatch, session: boto3.Session, table: str, region: str) -> None:
    """What the sandbox does before a deployment's function runs: its session, region and environment."""
    boto3.DEFAULT_SESSION = session
    monkeypatch.setenv("AWS_REGION", region)
    monkeypatch.setenv("AWS_DEFAULT_REGION", region)
    monkeypatch.setenv(ReporterSettings.env_name("seal_alias"), "alias/seal")
    monkeypatch.setenv(ReporterSettings.env_name("table_name"), table)
    monkeypatch.setenv(WatcherSettings.env_name("event_bus_name"), "Bus")
    monkeypatch.setenv(NotifierSettings.env_name("topic_arn"), f"arn:aws:sns:{region}:123456789012:Reports")
    get_settings.cache_clear()


def test_a_client_belongs_to_the_session_and_environment_it_was_made_from(monkeypatch):
    first, second = boto3.Session(), boto3.Session()
    boto3.DEFAULT_SESSION = first
    made = shared_client("dynamodb")

    assert shared_client("dynamodb") is made  # warm: made once
    boto3.DEFAULT_SESSION = second
    assert shared_client("dynamodb") is not made
    boto3.DEFAULT_SESSION = first
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    moved = shared_client("dynamodb")
    assert moved is not made and moved.meta.region_name == "eu-west-1"
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    assert shared_client("dynamodb") is made  # back where it was made: the same warm client


def test_two_deployments_in_one_process_never_share_a_reporter_or_its_clients(monkeypatch):
    """The trap: deployment B's invocation must not reuse A's reporter (A's table) or A's clients (A's
    account and region), and A's stays warm for A."""
    session_a, session_b = boto3.Session(), boto3.Session()
    deployment(monkeypatch, session_a, "TableA", "us-east-1")
    reporter_a = reporter.default_reporter()
    client_a = reporter_a.store.client

    deployment(monkeypatch, session_b, "TableB", "eu-west-1")
    reporter_b = reporter.default_reporter()

    assert reporter_b is not reporter_a
    assert (reporter_a.store.table_name, reporter_b.store.table_name) == ("TableA", "TableB")
    assert reporter_b.store.client is not client_a
    assert reporter_b.store.client.meta.region_name == "eu-west-1"
    deployment(monkeypatch, session_a, "TableA", "us-east-1")
    assert reporter.default_reporter() is reporter_a
    assert reporter_a.store.client is client_a


def test_the_same_settings_in_another_account_are_another_deployment(monkeypatch):
    """Two spokes have the same settings (the same template); their sessions (accounts) differ."""
    deployment(monkeypatch, boto3.Session(), "ReportsTable", "us-east-1")
    watcher_a, sender_a = watcher.default_watcher(), notifier.default_sender()
    deployment(monkeypatch, boto3.Session(), "ReportsTable", "us-east-1")

    assert watcher.default_watcher() is not watcher_a
    assert notifier.default_sender() is not sender_a


def test_forget_drops_every_deployment_s_warm_state(monkeypatch):
    session = boto3.Session()
    deployment(monkeypatch, session, "TableA", "us-east-1")
    built = (reporter.default_reporter(), watcher.default_watcher(), watcher.default_digester())
    client = shared_client("sns")
    origin = client_origin()

    warm_state.forget()

    assert client_origin() == origin  # the same process state ...
    assert shared_client("sns") is not client  # ... but every cache starts cold, as a new Lambda process
    rebuilt = (reporter.default_reporter(), watcher.default_watcher(), watcher.default_digester())
    assert all(new is not old for new, old in zip(rebuilt, built, strict=True))
