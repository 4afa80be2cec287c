"""checkov acknowledgments: the findings of the independent template scanner that are accepted, and why.

checkov (`make lint`, pinned in requirements-checkov.txt, its own venv) scans the synthesized template
without knowing CDK. Like cdk-nag's (`infra/nag.py`), each acknowledgment names one check on the one
CloudFormation resource that raises it, next to the code that makes it true, with the reason a reviewer
needs. It is written into that resource's `Metadata.checkov.skip`, where checkov reads it, so the
reasons travel with the template and there is no second list to keep in step. docs/decision_log.md
lists them all; tests/infra/test_checkov.py fails if one has no reason or the list disagrees.
"""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from constructs import IConstruct

METADATA_KEY = "checkov"  # checkov reads Metadata.checkov.skip[] = {id, comment}
MIN_REASON_LENGTH = 60  # a reason says why, not just "accepted"


def acknowledge_checkov(scope: IConstruct, check_id: str, reason: str) -> None:
    """Accept `check_id` on the construct's own CloudFormation resource (children do not inherit it)."""
    if not check_id.startswith("CKV_"):
        raise ValueError(f"{check_id!r} is not a checkov check id (CKV_...)")
    if len(reason.strip()) < MIN_REASON_LENGTH:
        raise ValueError(f"acknowledging {check_id} needs a reason of at least {MIN_REASON_LENGTH} characters")
    resource = _resource(scope)
    skips = list(skips_of(resource.get_metadata(METADATA_KEY)))
    if any(skip["id"] == check_id for skip in skips):
        raise ValueError(f"{check_id} is already acknowledged on {scope.node.path}")
    skips.append({"id": check_id, "comment": reason})
    resource.add_metadata(METADATA_KEY, {"skip": skips})


def skips_of(metadata: Any) -> list[dict[str, str]]:
    """The acknowledgments in a resource's `Metadata.checkov` value (as written above, or read back)."""
    if not isinstance(metadata, dict):
        return []
    skips = metadata.get("skip", [])
    return [dict(skip) for skip in skips] if isinstance(skips, list) else []


def _resource(scope: IConstruct) -> cdk.CfnResource:
    resource = scope if isinstance(scope, cdk.CfnResource) else scope.node.default_child
    if not isinstance(resource, cdk.CfnResource):
        raise TypeError(f"{scope.node.path} has no CloudFormation resource to acknowledge a finding on")
    return resource
