"""Where reports and alarms go: two KMS-encrypted, TLS-only SNS topics, e-mail and Slack (AWS Chatbot)."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_chatbot as chatbot
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from infra import constants as c
from infra.config import NotificationEmail, StackConfig
from infra.ids import pin_logical_id


class Notifications(Construct):
    """The reports topic (job notifications) and the operators' topic (alarms)."""

    def __init__(self, scope: Construct, construct_id: str, *, key: kms.IKey, config: StackConfig) -> None:
        super().__init__(scope, construct_id)
        self.reports_topic = self._topic("ReportsTopic", "Autopilot job reports", key)
        self.operators_topic = self._topic("OperatorsTopic", "autopilot-reports operations", key)
        self._admit_cloudwatch_alarms(self.operators_topic)

        # Subscriptions keep CDK's ids, derived from the address: removing one address leaves the
        # others (and their confirmations) untouched.
        for subscription in config.notification_emails:
            self.reports_topic.add_subscription(_email(subscription))
        for address in config.operator_emails:
            self.operators_topic.add_subscription(subscriptions.EmailSubscription(address))

        self.slack_channel: chatbot.SlackChannelConfiguration | None = None
        if config.slack_workspace_id and config.slack_channel_id:
            self.slack_channel = self._slack(config.slack_workspace_id, config.slack_channel_id)

    def _topic(self, construct_id: str, display_name: str, key: kms.IKey) -> sns.Topic:
        topic = sns.Topic(self, construct_id, display_name=display_name, master_key=key, enforce_ssl=True)
        pin_logical_id(topic, construct_id)
        return topic

    def _admit_cloudwatch_alarms(self, topic: sns.Topic) -> None:
        """Alarm actions publish as cloudwatch.amazonaws.com; only this account's alarms may."""
        stack = cdk.Stack.of(self)
        topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsOfThisAccount",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[topic.topic_arn],
                conditions={
                    "StringEquals": {"aws:SourceAccount": stack.account},
                    "ArnLike": {
                        "aws:SourceArn": stack.format_arn(
                            service="cloudwatch",
                            resource="alarm",
                            resource_name="*",
                            arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
                        )
                    },
                },
            )
        )

    def _slack(self, workspace_id: str, channel_id: str) -> chatbot.SlackChannelConfiguration:
        """Notifications only: the channel's guardrail denies every action, so Slack cannot run commands."""
        guardrail = iam.ManagedPolicy(
            self,
            "SlackGuardrail",
            description="autopilot-reports Slack channel: notifications only, no commands",
            statements=[iam.PolicyStatement(effect=iam.Effect.DENY, actions=["*"], resources=["*"])],
        )
        channel = chatbot.SlackChannelConfiguration(
            self,
            "SlackChannel",
            slack_channel_configuration_name=c.CHATBOT_CONFIGURATION_NAME,
            slack_workspace_id=workspace_id,
            slack_channel_id=channel_id,
            notification_topics=[self.reports_topic, self.operators_topic],
            guardrail_policies=[guardrail],
            user_role_required=False,
            logging_level=chatbot.LoggingLevel.ERROR,
        )
        pin_logical_id(channel, "SlackChannel")
        return channel


def _email(subscription: NotificationEmail) -> subscriptions.EmailSubscription:
    if not subscription.filter_policy:
        return subscriptions.EmailSubscription(subscription.address)
    return subscriptions.EmailSubscription(
        subscription.address,
        filter_policy={
            attribute: sns.SubscriptionFilter.string_filter(allowlist=list(values))
            for attribute, values in subscription.filter_policy.items()
        },
    )
