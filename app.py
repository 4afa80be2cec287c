#!/usr/bin/env python3
"""CDK entry point: `npx cdk synth` (cdk.json runs this file) or `build_app()` in tests.

Synthesis is offline: no lookups, no credentials, no AWS calls. cdk-nag (AwsSolutions) runs at every
synth and fails it on any finding not acknowledged in code.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

# `autopilot_reports` (names shared with the Lambda code) is the project's installed package
# (`make setup`); `infra` sits beside this file.
ROOT = Path(__file__).resolve().parent

# The jsii runtime prints a banner about Node 20's end of life on every import; the Node version is
# the environment's choice, not the app's.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import aws_cdk as cdk  # noqa: E402

from infra.config import ConfigError, StackConfig  # noqa: E402
from infra.nag import enable_checks  # noqa: E402
from infra.plans import DeploymentKind, DeploymentPlan, deployment_plans  # noqa: E402
from infra.stack import AutopilotReportsStack  # noqa: E402
from infra.stackset import build_roll_out  # noqa: E402

# What each kind of plan builds in the app: one stack, or (a roll-out) the stacks it needs.
STACK_BUILDERS: dict[DeploymentKind, Callable[[cdk.App, DeploymentPlan], object]] = {
    "standalone": lambda app, plan: AutopilotReportsStack(app, plan=plan),
    "spoke": lambda app, plan: AutopilotReportsStack(app, plan=plan),
    "hub": lambda app, plan: AutopilotReportsStack(app, plan=plan),
    "stackset": build_roll_out,
}


def cdk_json_context() -> dict[str, Any]:
    """cdk.json's context (feature flags and documented defaults), so in-process synth matches the CLI's."""
    return json.loads((ROOT / "cdk.json").read_text(encoding="utf-8")).get("context", {})


def build_app(context: dict[str, Any] | None = None, *, outdir: str | None = None) -> cdk.App:
    """The app with a stack per deployment plan, and its checks. `context` overrides cdk.json and the
    CLI's `-c`.

    By default one plan: a standalone stack named by context `stackName` (constants.DEFAULT_STACK_NAME
    when unset). One account and region can hold several (staging beside production), since every name
    the stack types derives from it. An organization's context asks for a hub (`organizationId`) and a
    spoke (`hubEventBusArn`), one stack each, or the StackSet that rolls the spoke out
    (`spokeOrganizationalUnitIds`; infra/plans.py).
    """
    app = cdk.App(context=cdk_json_context(), post_cli_context=context or {}, outdir=outdir)
    # Every key in the context, so a misspelt one fails here instead of leaving its setting at the default.
    config = StackConfig.from_context(app.node.try_get_context, keys=app.node.get_all_context())
    for plan in deployment_plans(config):
        STACK_BUILDERS[plan.kind](app, plan)
    enable_checks(app)
    return app


def main() -> int:
    try:
        app = build_app()
    except ConfigError as error:  # a wrong -c value: say what to fix, without a traceback
        print(error, file=sys.stderr)
        return 1
    app.synth()
    return 0


if __name__ == "__main__":
    sys.exit(main())
