"""Fixtures for the infrastructure tests: a second synth, a second stack name, every optional feature.

The default synth (`template_json`, tests/conftest.py) and this one are the only two: each costs ~10 s.
"""

from __future__ import annotations

from typing import Any

import pytest

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
