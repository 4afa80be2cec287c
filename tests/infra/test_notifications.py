"""Subscriptions, filter policies and the Slack channel come from context."""

from __future__ import annotations

import json

from tests.infra.conftest import TEAMS_CHANNEL_ID, TEAMS_TEAM_ID, TEAMS_TENANT_ID, VARIANT_STACK_NAME
from tests.infra.helpers import props, ref, resources

REGION = {"Ref": "AWS::Region"}


def _subscriptions(template):
    return {
        body["Properties"]["Endpoint"]: body["Properties"]
        for body in resources(template, "AWS::SNS::Subscription").values()
    }


def test_default_stack_has_no_subscribers_and_no_slack(template_json):
    assert _subscriptions(template_json) == {}
    assert resources(template_json, "AWS::Chatbot::SlackChannelConfiguration") == {}
    assert resources(template_json, "AWS::Chatbot::MicrosoftTeamsChannelConfiguration") == {}


def test_email_subscriptions_with_filter_policies(full_template_json):
    subscriptions = _subscriptions(full_template_json)
    assert set(subscriptions) == {"team@example.com", "oncall@example.com", "ml-leads@example.com", "ops@example.com"}
    assert all(s["Protocol"] == "email" for s in subscriptions.values())
    for address in ("team@example.com", "oncall@example.com", "ml-leads@example.com"):
        assert subscriptions[address]["TopicArn"] == ref("ReportsTopic")
    assert subscriptions["ops@example.com"]["TopicArn"] == ref("OperatorsTopic")
    oncall = subscriptions["oncall@example.com"]["FilterPolicy"]
    assert (json.loads(oncall) if isinstance(oncall, str) else oncall) == {
        "status": ["Failed"],
        "has_partial_failures": ["true"],
    }
    assert "FilterPolicy" not in subscriptions["team@example.com"]


def test_slack_channel_receives_both_topics_and_can_run_nothing(full_template_json):
    (channel,) = resources(full_template_json, "AWS::Chatbot::SlackChannelConfiguration").values()
    channel = channel["Properties"]
    assert (channel["SlackWorkspaceId"], channel["SlackChannelId"]) == ("T0123ABCD", "C0123ABCD")
    assert channel["SnsTopicArns"] == [ref("ReportsTopic"), ref("OperatorsTopic")]
    assert channel["UserRoleRequired"] is False
    (guardrail_ref,) = channel["GuardrailPolicies"]
    guardrail = props(full_template_json, guardrail_ref["Ref"])["PolicyDocument"]["Statement"]
    assert guardrail == [{"Action": "*", "Effect": "Deny", "Resource": "*"}]
    role = props(full_template_json, channel["IamRoleArn"]["Fn::GetAtt"][0])
    assert not role.get("Policies") and not role.get("ManagedPolicyArns")
    # Chatbot configurations are account-wide: the name carries the stack's name and the region.
    assert channel["ConfigurationName"] == {"Fn::Join": ["", [f"{VARIANT_STACK_NAME}-", REGION]]}


def test_teams_channel_receives_both_topics_behind_the_same_deny_all_guardrail(full_template_json):
    (channel,) = resources(full_template_json, "AWS::Chatbot::MicrosoftTeamsChannelConfiguration").values()
    channel = channel["Properties"]
    assert (channel["TeamId"], channel["TeamsChannelId"], channel["TeamsTenantId"]) == (
        TEAMS_TEAM_ID,
        TEAMS_CHANNEL_ID,
        TEAMS_TENANT_ID,
    )
    assert channel["ConfigurationName"] == {"Fn::Join": ["", [f"{VARIANT_STACK_NAME}-teams-", REGION]]}
    assert channel["SnsTopicArns"] == [ref("ReportsTopic"), ref("OperatorsTopic")]
    assert channel["UserRoleRequired"] is False
    (slack,) = resources(full_template_json, "AWS::Chatbot::SlackChannelConfiguration").values()
    assert [g["Ref"] for g in slack["Properties"]["GuardrailPolicies"]] == [
        channel["GuardrailPolicies"][0]["Ref"]
    ]  # one deny-all guardrail for both chat channels
    role_id = channel["IamRoleArn"]["Fn::GetAtt"][0]
    role = props(full_template_json, role_id)
    assert not role.get("Policies") and not role.get("ManagedPolicyArns")
    assert role["AssumeRolePolicyDocument"]["Statement"] == [
        {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": "chatbot.amazonaws.com"}}
    ]
    attached = [
        body
        for body in resources(full_template_json, "AWS::IAM::Policy").values()
        if {"Ref": role_id} in body["Properties"]["Roles"]
    ]
    assert attached == []
