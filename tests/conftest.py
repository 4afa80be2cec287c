"""Shared session fixtures: the stack synthesized once, in process, with the default context.

`template_json` is the same template `npx cdk synth` writes to cdk.out/<stackName>.template.json
(cdk.json's context is loaded by `build_app`), so the sandbox and the infra tests read what deploys.
Imports of aws_cdk stay inside the fixtures: sessions that never ask for a template never start jsii.
With AUTOPILOT_REPORTS_TEMPLATE set (make test's second run of the Lambda suites, in a venv of the runtime's
versions without the CDK), `template_json` is that file, the one `make synth` wrote.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from autopilot_reports.constants import DEFAULT_STACK_NAME

if TYPE_CHECKING:
    import aws_cdk as cdk
    from aws_cdk import assertions

STACK_NAME = DEFAULT_STACK_NAME  # what cdk.json names the stack

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")


@pytest.fixture(scope="session")
def synth_app(tmp_path_factory: pytest.TempPathFactory) -> cdk.App:
    """The app, synthesized once per session (cdk-nag ran: any unacknowledged finding fails here)."""
    from app import build_app

    app = build_app(outdir=str(tmp_path_factory.mktemp("cdk.out")))
    app.synth()
    return app


TEMPLATE_FILE = "AUTOPILOT_REPORTS_TEMPLATE"


@pytest.fixture(scope="session")
def template_json(request: pytest.FixtureRequest) -> dict[str, Any]:
    """The synthesized CloudFormation template as a dict: synthesized here, or read from $AUTOPILOT_REPORTS_TEMPLATE."""
    path = os.environ.get(TEMPLATE_FILE)
    if path:
        template: dict[str, Any] = json.loads(Path(path).read_text())
        return template
    synth_app: cdk.App = request.getfixturevalue("synth_app")
    synthesized: dict[str, Any] = synth_app.synth().get_stack_by_name(STACK_NAME).template
    return synthesized


@pytest.fixture(scope="session")
def synth_template(template_json: dict[str, Any]) -> dict[str, Any]:
    """Alias of `template_json`."""
    return template_json


@pytest.fixture(scope="session")
def template(template_json: dict[str, Any]) -> assertions.Template:
    """The same template for `aws_cdk.assertions` (`has_resource_properties`, `Match`, `Capture`)."""
    from aws_cdk import assertions

    return assertions.Template.from_json(template_json)


# --- an organization (issue 20): one synth yields the hub and a spoke -------------------------------------------

HUB_ACCOUNT = "111122223333"
ORGANIZATION_ID = "o-a1b2c3d4e5"
HUB_STACK_NAME = f"{STACK_NAME}Hub"
HUB_BUS_ARN = f"arn:aws:events:us-east-1:{HUB_ACCOUNT}:event-bus/{HUB_STACK_NAME}"
UNIT_PATH = f"{ORGANIZATION_ID}/r-ab12/ou-ab12-11111111/"
ORGANIZATION_CONTEXT: dict[str, Any] = {
    "organizationId": ORGANIZATION_ID,
    "organizationalUnitPaths": [UNIT_PATH],
    "accountNames": {HUB_ACCOUNT: "platform", "444455556666": "team-churn"},
    "hubEventBusArn": HUB_BUS_ARN,
}


@pytest.fixture(scope="session")
def organization_app(tmp_path_factory: pytest.TempPathFactory) -> cdk.App:
    """The hub and a spoke from ONE app call (as the sandbox gets both): the third and last synth (~10 s).
    Make test's run of the Lambda suites in the runtime's venv has no CDK and reads only the standalone
    template `make synth` wrote: there, the tests that need these two skip (they ran in the first run)."""
    if os.environ.get(TEMPLATE_FILE):
        pytest.skip("the organization's templates are synthesized in the project's venv only (no CDK here)")
    from app import build_app

    app = build_app(ORGANIZATION_CONTEXT, outdir=str(tmp_path_factory.mktemp("cdk.out.organization")))
    app.synth()
    return app


@pytest.fixture(scope="session")
def hub_template_json(organization_app: cdk.App) -> dict[str, Any]:
    return organization_app.synth().get_stack_by_name(HUB_STACK_NAME).template


@pytest.fixture(scope="session")
def spoke_template_json(organization_app: cdk.App) -> dict[str, Any]:
    return organization_app.synth().get_stack_by_name(STACK_NAME).template
