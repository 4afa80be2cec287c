"""Subscriptions, filter policies and the Slack channel come from context."""

from __future__ import annotations

import json

from tests.infra.helpers import props, ref, resources


def _subscriptions(template):
    return {
        body["Properties"]["Endpoint"]: body["Properties"]
        for body in resources(template, "AWS::SNS::Subscription").values()
    }


def test_default_stack_has_no_subscribers_and_no_slack(template_json):
    assert _subscriptions(template_json) == {}
    assert resources(template_json, "AWS::Chatbot::SlackChannelConfiguration") == {}


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
