"""The sandbox's evaluation of an event bus's policy (sandbox/bus_policy.py), which stands in for
EventBridge's where moto has none: the hub's one organization statement admits the organization's
accounts with our source and detail types, and nothing else; the bus's own account needs no grant."""

from __future__ import annotations

from typing import Any

import pytest

from autopilot_reports import constants as c
from sandbox.bus_policy import BusPolicy, PutRequest, Sender
from sandbox.template import BusPolicySpec, TemplateError

HUB_ACCOUNT, SPOKE_ACCOUNT, ORGANIZATION = "210987654321", "111122223333", "o-a1b2c3d4e5"
UNIT = f"{ORGANIZATION}/r-ab12/ou-ab12-11111111/"


def organization_statement(**extra: Any) -> dict[str, Any]:
    """The hub's statement as the stack writes it (infra/constructs/hub.py)."""
    conditions: dict[str, Any] = {
        "StringEquals": {
            "aws:PrincipalOrgID": ORGANIZATION,
            "events:source": c.EVENT_SOURCE,
            "events:detail-type": list(c.FORWARDED_DETAIL_TYPES),
        },
        **extra,
    }
    return {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "events:PutEvents", "Condition": conditions}


def policy(*statements: dict[str, Any]) -> BusPolicy:
    return BusPolicy.read(BusPolicySpec("HubEventBusPolicy", "EventBus", list(statements)), HUB_ACCOUNT)


def member(account: str = SPOKE_ACCOUNT, path: str = f"{ORGANIZATION}/r-ab12/") -> Sender:
    return Sender(account, f"arn:aws:iam::{account}:role/ToHubRole", ORGANIZATION, (path,))


def put(sender: Sender, detail_type: str = c.REPORT_DETAIL_TYPE, source: str = c.EVENT_SOURCE) -> PutRequest:
    return PutRequest(sender, source, detail_type)


def test_the_organization_statement_admits_members_with_our_source_and_detail_types_only() -> None:
    hub = policy(organization_statement())

    assert all(hub.admits(put(member(), detail_type)) for detail_type in c.FORWARDED_DETAIL_TYPES)
    assert not hub.admits(put(Sender(SPOKE_ACCOUNT, None)))  # not a member of any organization
    assert not hub.admits(put(Sender(SPOKE_ACCOUNT, None, "o-elsewhere01", ())))  # another organization
    assert not hub.admits(put(member(), detail_type="AutoML Job State Change"))
    assert not hub.admits(put(member(), source="aws.sagemaker"))


def test_organizational_unit_paths_narrow_it_to_the_accounts_below_them() -> None:
    hub = policy(organization_statement(**{"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": [f"{UNIT}*"]}}))

    assert hub.admits(put(member(path=UNIT)))
    assert hub.admits(put(member(path=f"{UNIT}ou-ab12-22222222/")))
    assert not hub.admits(put(member(path=f"{ORGANIZATION}/r-ab12/")))  # the root, outside the unit


def test_the_buss_own_account_needs_no_grant_and_a_deny_wins() -> None:
    deny = {"Effect": "Deny", "Principal": {"AWS": f"arn:aws:iam::{SPOKE_ACCOUNT}:root"}, "Action": "events:*"}

    assert policy().admits(put(Sender(HUB_ACCOUNT, None)))
    assert not policy().admits(put(member()))  # no policy: no other account
    assert not policy(organization_statement(), deny).admits(put(member()))
    assert policy(organization_statement(), deny).admits(put(member("444455556666")))


def test_what_the_sandbox_cannot_evaluate_is_refused_by_name() -> None:
    with pytest.raises(TemplateError, match="condition operator DateGreaterThan"):
        policy({**organization_statement(), "Condition": {"DateGreaterThan": {"aws:CurrentTime": "2026-01-01"}}})
    with pytest.raises(TemplateError, match="condition key aws:SourceIp"):
        policy({**organization_statement(), "Condition": {"StringEquals": {"aws:SourceIp": "10.0.0.1"}}})
