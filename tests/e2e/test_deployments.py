"""Two deployments of the stack in ONE sandbox process, at two places (another account, another region):
the same function logical ids, the same settings but for the jobs each watches, one process for all their
functions. Each writes only to its own table, through its own clients (issue 18: warm state is keyed by
what built it; a reporter or client of one deployment reused by the other would put its records in the
wrong account without failing)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.dynamodb.models import dynamodb_backends

from autopilot_reports.settings import WatcherSettings
from sandbox.deployment import DeploymentPlan
from sandbox.place import Place
from sandbox.runner import World, run_scenario
from sandbox.scenario import load_scenario
from tests.e2e.test_scenarios import SCENARIOS, read_jsonl

SPOKE = Place("111122223333", "eu-west-1")
PREFIXES = {"home": "churn-", "spoke": "prices-"}  # families.json: three jobs of each family


def watching(template: dict[str, Any], prefix: str) -> dict[str, Any]:
    """The template with the watcher listing only jobs named `prefix...` (context jobNamePrefix)."""
    variant = copy.deepcopy(template)
    for resource in variant["Resources"].values():
        handler = resource.get("Properties", {}).get("Handler", "")
        if resource["Type"] == "AWS::Lambda::Function" and handler.endswith("watcher.handler"):
            resource["Properties"]["Environment"]["Variables"][WatcherSettings.env_name("job_name_prefix")] = prefix
    return variant


@pytest.mark.parametrize("engine", ["moto", "auto"])
def test_two_deployments_in_one_process_each_write_their_own_table(
    tmp_path: Path, template_json: dict[str, Any], engine: str
) -> None:
    scenario = load_scenario(SCENARIOS / "families.json")
    home, spoke = tmp_path / "home", tmp_path / "spokes" / SPOKE.label
    plans = [
        DeploymentPlan(watching(template_json, PREFIXES["home"]), scenario.place, home),
        DeploymentPlan(watching(template_json, PREFIXES["spoke"]), SPOKE, spoke),
    ]
    world = World(scenario, plans, engine=engine)
    summary = world.run()

    for out, prefix in ((home, PREFIXES["home"]), (spoke, PREFIXES["spoke"])):
        names = {record["job_name"] for record in read_jsonl(out / "records.jsonl")}
        assert names == {job.name for job in scenario.jobs if job.name.startswith(prefix)}, out
        assert {entry["job_name"][: len(prefix)] for entry in read_jsonl(out / "history.jsonl")} == {prefix}
        own = json.loads((out / "summary.json").read_text())
        assert all(stats["failed"] == 0 for stats in own["invocations"].values()), own["invocations"]
        assert own["aws_calls"]["dynamodb.TransactWriteItems"] >= 3  # its reporter's commits, counted as its own
    assert (
        summary["deployments"][SPOKE.label]["aws_calls"]
        == json.loads((spoke / "summary.json").read_text())["aws_calls"]
    )
    tables = [deployment.stack.tables[0].table_name for deployment in world.deployments]
    assert tables == ["ReportsTable", f"ReportsTable-{SPOKE.label}"]  # the home's name as a standalone run's
    if summary["dynamodb_engine"] == "moto":  # moto keeps each account and region apart, as AWS does
        assert set(dynamodb_backends[scenario.place.account][scenario.place.region].tables) == {tables[0]}
        assert set(dynamodb_backends[SPOKE.account][SPOKE.region].tables) == {tables[1]}


def test_a_deployment_whose_rules_send_to_a_bus_no_deployment_has_is_refused(
    tmp_path: Path, template_json: dict[str, Any]
) -> None:
    """A route to a bus outside the world is refused by name, never dropped (the organization mode deploys the
    hub a spoke sends to: tests/e2e/test_organization.py)."""
    spoke = copy.deepcopy(template_json)
    rule = next(resource for resource in spoke["Resources"].values() if resource["Type"] == "AWS::Events::Rule")
    rule["Properties"]["Targets"].append({"Id": "Hub", "Arn": "arn:aws:events:us-east-1:999988887777:event-bus/Hub"})
    scenario = load_scenario(SCENARIOS / "failed.json")

    with pytest.raises(
        Exception, match="event bus arn:aws:events:us-east-1:999988887777:event-bus/Hub, which no deployment"
    ):
        World(scenario, [DeploymentPlan(spoke, scenario.place, tmp_path)], engine="moto").run()


@pytest.mark.parametrize("engine", ["moto", "auto"])
def test_a_served_sandbox_at_another_account_answers_for_that_account(
    tmp_path: Path, template_json: dict[str, Any], engine: str
) -> None:
    """The CLI and the AWS CLI cannot name moto's account: the served endpoint names the stack's."""
    data = json.loads((SCENARIOS / "failed.json").read_text())
    scenario = load_scenario({**data, "account": SPOKE.account})
    seen: dict[str, Any] = {}

    def serve(endpoint: dict[str, str], _pump: Any) -> None:
        outside = boto3.Session(aws_access_key_id="any", aws_secret_access_key="any", region_name=endpoint["region"])
        dynamodb = outside.client("dynamodb", endpoint_url=endpoint["endpoint_url"])
        seen["items"] = dynamodb.scan(TableName=endpoint["table"], Select="COUNT")["Count"]
        events = outside.client("events", endpoint_url=endpoint["endpoint_url"])
        seen["buses"] = [bus["Name"] for bus in events.list_event_buses()["EventBuses"]]

    summary = run_scenario(scenario, template_json, tmp_path, serve=serve, engine=engine)

    assert summary["records"] == 2 and seen["items"] > 0
    assert "EventBus" in seen["buses"]  # the stack's bus, in its account
