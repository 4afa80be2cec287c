"""An organization rehearsed in the sandbox (issue 20 item 8): a scenario's `hub` deploys the hub and a spoke
where each job runs, from the synthesized templates, in one process. Each spoke reports its own jobs and
forwards them; the sandbox routes the forwarded events to the hub's bus as EventBridge does (the sender's
account in the envelope, the origin's region, the hub bus's policy evaluated); the hub records by (account,
region, job) and sends every message. The expectations (`.expect.json`) are derived from the scenario plans
by the oracle (testsupport/scenarios/expectation.py)."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import pytest

from autopilot_reports import constants as c
from sandbox.organization import OrganizationTemplates, organization_templates, run_organization
from sandbox.scenario import LambdaQuotas, Scenario, load_scenario
from tests.conftest import TEMPLATE_FILE
from tests.e2e.test_scenarios import SCENARIOS, check_message, check_record, load_expectation, read_jsonl

SPOKES = "spokes"


def templates(scenario: Scenario) -> OrganizationTemplates:
    """The hub's and the spoke's templates, synthesized once per hub place in the process (the sandbox
    caches them); the run of the Lambda suites in the runtime's venv has no CDK."""
    if os.environ.get(TEMPLATE_FILE):
        pytest.skip("the organization's templates are synthesized in the project's venv only (no CDK here)")
    assert scenario.hub is not None
    return organization_templates(scenario.hub)


def run_checked(scenario: Scenario, out: Path, source: OrganizationTemplates | None = None) -> dict[str, Any]:
    """Runs the organization; in every deployment every invocation ends well and no query scans."""
    summary = run_organization(scenario, source or templates(scenario), out)
    for folder in [out, *sorted((out / SPOKES).iterdir())]:
        own = json.loads((folder / "summary.json").read_text())
        assert all(stats["failed"] == 0 for stats in own["invocations"].values()), (folder, own["invocations"])
        assert not [call for call in own["aws_calls"] if call.endswith(".Scan")], folder
    return summary


def spoke_folders(out: Path) -> dict[str, Path]:
    return {folder.name: folder for folder in sorted((out / SPOKES).iterdir())}


def key(fields: dict[str, Any]) -> str:
    """A job as the expectation names it at the hub: `<account>/<region>/<name>`."""
    return f"{fields['account_id']}/{fields['region']}/{fields['job_name']}"


def messages(out: Path, event_type: str) -> list[dict[str, Any]]:
    return [item for item in read_jsonl(out / "notifications.jsonl") if item["attributes"]["event_type"] == event_type]


@pytest.fixture(scope="module")
def organization_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """The organization scenario, run once for the tests that only read its outputs."""
    out = tmp_path_factory.mktemp("organization")
    return out, run_checked(load_scenario(SCENARIOS / "organization.json"), out)


def test_a_hub_records_every_spoke_job_by_place_and_sends_every_message(
    organization_run: tuple[Path, dict[str, Any]],
) -> None:
    tmp_path, summary = organization_run
    expect = load_expectation("organization")

    records = {key(record): record for record in read_jsonl(tmp_path / "records.jsonl")}
    assert set(records) == set(expect["hub"]["records"]), "one hub record per (account, region, job)"
    assert len({record["job_name"] for record in records.values()}) < len(records)  # one name, two accounts
    for job, expected in expect["hub"]["records"].items():
        check_record(records[job], expected, expect["importance_places"])
        assert records[job]["notified_at"] or expected.get("notified_at", "") is None, job

    ended = messages(tmp_path, c.EVENT_TYPE_ENDED)
    sent = {job: sum(1 for item in ended if key(item["attributes"]) == job) for job in records}
    assert sent == expect["hub"]["notifications"], "one hub message per terminal job"
    for item in ended:  # each names its account, in its attributes (for filter policies), subject and text
        check_message(item)
        account = item["attributes"]["account_id"]
        assert account in item["subject"] and account in item["message"]["email"], item["subject"]
    history: dict[str, int] = {}
    for entry in read_jsonl(tmp_path / "history.jsonl"):  # a hub's history lines name their job's place
        history[key(entry)] = history.get(key(entry), 0) + 1
    assert history == expect["hub"]["history"]

    folders = spoke_folders(tmp_path)
    assert set(folders) == set(expect["spokes"]) == set(summary["deployments"])
    for label, folder in folders.items():
        own = expect["spokes"][label]
        spoke_records = {record["job_name"]: record for record in read_jsonl(folder / "records.jsonl")}
        assert set(spoke_records) == set(own["records"]), label
        for name, expected in own["records"].items():
            check_record(spoke_records[name], expected, expect["importance_places"])
        assert read_jsonl(folder / "notifications.jsonl") == [], f"{label} sent a message of its own"
        spoke_summary = json.loads((folder / "summary.json").read_text())
        assert set(spoke_summary["routed"]) == {"delivered"} and not any(spoke_summary["queue_depths"].values())


def test_the_hub_sees_the_senders_account_and_the_origins_region(organization_run: tuple[Path, dict[str, Any]]) -> None:
    """The envelope the hub's recorder received: EventBridge's account (the spoke's, never the hub's) and the
    region the event came from, for every spoke; the hub holds each spoke's heartbeat."""
    tmp_path, _ = organization_run

    received = read_jsonl(tmp_path / "events.jsonl")
    places = {(event["account"], event["region"]) for event in received}
    assert places == {tuple(label.split("-", 1)) for label in spoke_folders(tmp_path)}
    for event in received:
        assert event["source"] == c.EVENT_SOURCE and event["detail-type"] in c.FORWARDED_DETAIL_TYPES
        record = event["detail"].get("Record")
        if record is not None:
            assert (record["account_id"], record["region"]) == (event["account"], event["region"])
    heartbeats = [event for event in received if event["detail-type"] == c.HEARTBEAT_DETAIL_TYPE]
    assert {(event["account"], event["region"]) for event in heartbeats} == places
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["events_received"] == len(received) and "refused_by_bus_policy" not in summary


def test_redelivered_forwarded_events_change_nothing_at_the_hub(tmp_path: Path) -> None:
    """Every event delivered three times in shuffled order, the hops to the hub included: the same hub records,
    still one message per terminal job (the hub's writes are idempotent and order-safe)."""
    scenario = load_scenario(SCENARIOS / "organization.json")
    delivery = scenario.delivery.model_copy(update={"duplicates": 2, "shuffle": True, "seed": 11})
    summary = run_checked(scenario.model_copy(update={"delivery": delivery}), tmp_path)

    expect = load_expectation("organization")
    assert summary["duplicates_delivered"] > 0
    records = {key(record): record for record in read_jsonl(tmp_path / "records.jsonl")}
    for job, expected in expect["hub"]["records"].items():
        check_record(records[job], expected, expect["importance_places"])
    ended = messages(tmp_path, c.EVENT_TYPE_ENDED)
    assert sorted(key(item["attributes"]) for item in ended) == sorted(
        job for job, count in expect["hub"]["notifications"].items() if count
    )


def test_under_each_places_lambda_quota_the_hub_hears_each_report_in_its_tick(
    organization_run: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    """A `lambda` block gives each place its own account's executions; durations name a spoke's function and
    the hub's. The hub still records every job and sends one message per terminal job, and hears each
    report in the tick it was committed: a forwarder's send is due when its stream batch ends, and the
    places' executions run in the order of scenario time, not one account after another (which left the
    hub's share for the next tick: a minute late)."""
    scenario = load_scenario(SCENARIOS / "organization.json")
    quotas = {"account_concurrency": 2, "durations": {"ReporterFunction": 2.0, "HubRecorderFunction": 1.0}}
    summary = run_checked(scenario.model_copy(update={"lambda_quotas": LambdaQuotas(**quotas)}), tmp_path)

    expect = load_expectation("organization")
    records = {key(record): record for record in read_jsonl(tmp_path / "records.jsonl")}
    for job, expected in expect["hub"]["records"].items():
        check_record(records[job], expected, expect["importance_places"])
    ended = messages(tmp_path, c.EVENT_TYPE_ENDED)
    assert sorted(key(item["attributes"]) for item in ended) == sorted(
        job for job, count in expect["hub"]["notifications"].items() if count
    )
    at_once = organization_run[1]["notify_delay_minutes"]["max"]
    assert at_once < summary["notify_delay_minutes"]["max"] < at_once + 0.5  # seconds of durations, not a tick
    assert summary["lambda"]["peak_concurrency"]["HubRecorderFunction"] >= 1


def test_a_spoke_gone_silent_gets_exactly_one_spoke_silent_message(tmp_path: Path) -> None:
    scenario = load_scenario(SCENARIOS / "silent_spoke.json")
    expect = load_expectation("silent_spoke")
    run_checked(scenario, tmp_path)

    silent = messages(tmp_path, c.EVENT_TYPE_SPOKE_SILENT)
    alerted = {f"{item['attributes']['account_id']}-{item['attributes']['region']}": 0 for item in silent}
    for item in silent:
        alerted[f"{item['attributes']['account_id']}-{item['attributes']['region']}"] += 1
        assert item["attributes"]["account_id"] in item["subject"]
    assert alerted == {label: count for label, count in expect["spoke_silent"].items() if count}
    records = {key(record): record for record in read_jsonl(tmp_path / "records.jsonl")}
    assert set(records) == set(expect["hub"]["records"])  # what it sent before it fell silent is kept
    folders = spoke_folders(tmp_path)
    for label, folder in folders.items():
        own = json.loads((folder / "summary.json").read_text())
        if label in alerted:  # its heartbeats after the silence began went to its route's dead-letter queue
            assert own["routed"]["dropped_silent"] == own["queue_depths"]["ToHubDeadLetterQueue"] > 0
        else:
            assert "dropped_silent" not in own["routed"]


def test_the_hub_bus_refuses_what_its_policy_does_not_admit(tmp_path: Path) -> None:
    """A hub whose bus admits another organization than the spokes': everything they send is refused (the
    sandbox evaluates the policy; moto would not), counted at both ends, and dead-lettered by the route."""
    scenario = load_scenario(SCENARIOS / "organization.json")
    source = templates(scenario)
    hub = copy.deepcopy(dict(source.hub))
    for resource in hub["Resources"].values():
        if resource["Type"] == "AWS::Events::EventBusPolicy":
            resource["Properties"]["Statement"]["Condition"]["StringEquals"]["aws:PrincipalOrgID"] = "o-elsewhere01"
    elsewhere = OrganizationTemplates(source.hub_stack_name, hub, source.spoke_stack_name, source.spoke)
    summary = run_checked(scenario, tmp_path, elsewhere)

    assert summary["records"] == 0 and summary["notifications"] == 0
    refused = summary["refused_by_bus_policy"]
    assert set(refused) == set(spoke_folders(tmp_path))
    for label, folder in spoke_folders(tmp_path).items():
        own = json.loads((folder / "summary.json").read_text())
        assert own["routed"] == {"refused_by_bus_policy": refused[label]}
        assert own["queue_depths"]["ToHubDeadLetterQueue"] == refused[label]
