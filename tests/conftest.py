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
