"""Stable logical ids for the resources other tools look up in the template (sandbox, runbooks)."""

from __future__ import annotations

import aws_cdk as cdk
from constructs import IConstruct


def pin_logical_id(construct: IConstruct, logical_id: str) -> None:
    """Give the construct's CloudFormation resource a fixed, readable logical id."""
    resource = construct if isinstance(construct, cdk.CfnElement) else construct.node.default_child
    if not isinstance(resource, cdk.CfnElement):
        raise TypeError(f"{construct.node.path} has no CloudFormation resource to name")
    resource.override_logical_id(logical_id)
