"""Fixtures for the infrastructure tests: a second synth with every optional feature configured."""

from __future__ import annotations

from typing import Any

import pytest

FULL_CONTEXT: dict[str, Any] = {
    "notificationEmails": [
        {"address": "team@example.com"},
        {"address": "oncall@example.com", "filterPolicy": {"status": ["Failed"], "has_partial_failures": ["true"]}},
        "ml-leads@example.com",
    ],
    "operatorEmails": ["ops@example.com"],
    "slackWorkspaceId": "T0123ABCD",
    "slackChannelId": "C0123ABCD",
    "scheduleRateMinutes": 5,
    "notifyStatuses": "Completed,Failed",
    "topFeatures": "25",
    "analysisMaxBytes": 10485760,
    "jobNamePrefix": "team-a-",
    "autopilotOutputLocations": '["ml-output/autopilot", "s3://sagemaker-${AWS::Region}-${AWS::AccountId}/"]',
    "logRetentionDays": 90,
    "removalPolicy": "destroy",
    "childJobNudges": "true",
}


@pytest.fixture(scope="session")
def full_app(tmp_path_factory: pytest.TempPathFactory):
    from app import build_app

    app = build_app(FULL_CONTEXT, outdir=str(tmp_path_factory.mktemp("cdk.out.full")))
    app.synth()
    return app


@pytest.fixture(scope="session")
def full_template_json(full_app) -> dict[str, Any]:
    return full_app.synth().get_stack_by_name("AutopilotReports").template
