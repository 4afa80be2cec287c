"""Fixtures for the infrastructure tests: a second synth, a second stack name, every optional feature;
and a third, the organization roll-out (the `stackset` plan).

The default synth (`template_json`, tests/conftest.py) and these are the only ones: each costs ~10-20 s.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from autopilot_reports.constants import DEFAULT_STACK_NAME

VARIANT_STACK_NAME = "AutopilotReportsStaging"
OUTPUT_KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
OUTPUT_MRK = "arn:aws:kms:us-east-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab"
LAYER_ARN = "arn:aws-cn:lambda:cn-north-1:123456789012:layer:powertools-python:7"
TEAMS_TEAM_ID = "01234567-89ab-cdef-0123-456789abcdef"
TEAMS_TENANT_ID = "fedcba98-7654-3210-fedc-ba9876543210"
TEAMS_CHANNEL_ID = "19%3ab6ef35dc342d56ba5654e6fc6d25a071%40thread.tacv2"

FULL_CONTEXT: dict[str, Any] = {
    "stackName": VARIANT_STACK_NAME,
    "notificationEmails": [
        {"address": "team@example.com"},
        {"address": "oncall@example.com", "filterPolicy": {"status": ["Failed"], "has_partial_failures": ["true"]}},
        "ml-leads@example.com",
    ],
    "operatorEmails": ["ops@example.com"],
    "slackWorkspaceId": "T0123ABCD",
    "slackChannelId": "C0123ABCD",
    "teamsTeamId": TEAMS_TEAM_ID,
    "teamsChannelId": TEAMS_CHANNEL_ID,
    "teamsTenantId": TEAMS_TENANT_ID,
    "scheduleRateMinutes": 5,
    "notifyStatuses": "Completed,Failed",
    "topFeatures": "25",
    "analysisMaxBytes": 10485760,
    "leaderboardSize": "0",
    "jobNamePrefix": "team-a-",
    "importPagesPerPiece": "3",
    "watcherReservedConcurrency": "2",
    "reporterMaxConcurrency": "8",
    "autopilotOutputLocations": '["ml-output/autopilot", "s3://sagemaker-${AWS::Region}-${AWS::AccountId}/"]',
    "autopilotOutputKmsKeys": f"{OUTPUT_KEY},{OUTPUT_MRK}",
    "powertoolsLayerArn": LAYER_ARN,
    "logRetentionDays": 90,
    "removalPolicy": "destroy",
    "childJobNudges": "true",
    "jobFamilyPattern": r"^team-a-(\w+)-\d+$",
    "stuckAfterMinutes": "0",
    "digestSchedule": "none",
    "digestPeriodHours": "48",
}


@pytest.fixture(scope="session")
def full_app(tmp_path_factory: pytest.TempPathFactory):
    from app import build_app

    app = build_app(FULL_CONTEXT, outdir=str(tmp_path_factory.mktemp("cdk.out.full")))
    app.synth()
    return app


@pytest.fixture(scope="session")
def full_template_json(full_app) -> dict[str, Any]:
    return full_app.synth().get_stack_by_name(VARIANT_STACK_NAME).template


# --- the organization roll-out (the `stackset` plan): one more synth, ~20 s -----------------------------
HUB_EVENT_BUS_ARN = "arn:aws:events:eu-west-1:111122223333:event-bus/AutopilotReportsHub"
SPOKE_OUS = ["ou-ab12-11111111", "ou-ab12-22222222"]
SPOKE_REGIONS = ["eu-west-1", "us-east-1", "ap-southeast-2"]
ORGANIZATION_ID = "o-exampleorg1"
STACKSET_CONTEXT: dict[str, Any] = {
    "hubEventBusArn": HUB_EVENT_BUS_ARN,
    "spokeOrganizationalUnitIds": SPOKE_OUS,
    "spokeRegions": ",".join(SPOKE_REGIONS),  # as `-c spokeRegions=a,b,c` gives it
    "stackSetOrganizationId": ORGANIZATION_ID,
    "stackSetCallAs": "SELF",  # the default (DELEGATED_ADMIN) is what docs/deploy.md's command synthesizes
}


@dataclass(frozen=True)
class RollOut:
    """What the `stackset` plan synthesizes: the StackSet's stack, the spoke template it deploys, and
    each target region's asset bucket stack (templates as dicts), and where they were written."""

    outdir: Path
    stack_name: str
    stack: dict[str, Any]
    spoke: dict[str, Any]
    asset_stacks: dict[str, dict[str, Any]]  # region -> template

    @property
    def templates(self) -> dict[str, dict[str, Any]]:
        """Every template by a short name: `stackset`, `spoke`, `assets-<region>`."""
        assets = {f"assets-{region}": template for region, template in self.asset_stacks.items()}
        return {"stackset": self.stack, "spoke": self.spoke, **assets}


@pytest.fixture(scope="session")
def stackset_app(tmp_path_factory: pytest.TempPathFactory):
    from app import build_app

    app = build_app(STACKSET_CONTEXT, outdir=str(tmp_path_factory.mktemp("cdk.out.stackset")))
    app.synth()
    return app


@pytest.fixture(scope="session")
def roll_out(stackset_app) -> RollOut:
    from infra.assembly import asset_templates

    assembly = stackset_app.synth()
    outdir = Path(assembly.directory)
    (spoke_template,) = asset_templates(outdir)
    stack_name = f"{DEFAULT_STACK_NAME}Spokes"
    return RollOut(
        outdir=outdir,
        stack_name=stack_name,
        stack=assembly.get_stack_by_name(stack_name).template,
        spoke=json.loads(spoke_template.read_text(encoding="utf-8")),
        asset_stacks={
            region: assembly.get_stack_by_name(f"{DEFAULT_STACK_NAME}SpokeAssets-{region}").template
            for region in SPOKE_REGIONS
        },
    )
