"""cdk-nag (AwsSolutions) wiring and acknowledgments.

Every acknowledgment names one finding as narrowly as cdk-nag 3 allows (`Rule[Finding]` for IAM5),
on the construct that raises it, with the reason a reviewer needs; docs/decision_log.md lists them
all and a test keeps that list complete.
"""

from __future__ import annotations

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct


def enable_checks(app: cdk.App) -> None:
    """Run AwsSolutions at synth; an unacknowledged finding fails synthesis.

    Acknowledgments are also written into each resource's `Metadata.cdk_nag` (the audit trail travels
    with the template).
    """
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app, write_suppressions_to_cloud_formation=True))


def acknowledge(scope: IConstruct, rule: str, reason: str) -> None:
    """Acknowledge on the construct's own CloudFormation resource, so children do not inherit it."""
    resource = scope.node.default_child
    target = resource if isinstance(resource, cdk.CfnResource) else scope
    cdk.Validations.of(target).acknowledge(cdk.Acknowledgment(id=rule, reason=reason))


def iam5_resource(resource: str) -> str:
    """The finding id cdk-nag gives a wildcard resource in an IAM policy."""
    return f"AwsSolutions-IAM5[Resource::{resource}]"


def iam5_action(action: str) -> str:
    return f"AwsSolutions-IAM5[Action::{action}]"
