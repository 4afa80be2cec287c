"""Where reports and alarms go: two KMS-encrypted, TLS-only SNS topics, e-mail, Slack and Microsoft Teams
(AWS Chatbot)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_chatbot as chatbot
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from infra.config import NotificationEmail
from infra.ids import pin_logical_id


@dataclass(frozen=True)
class SlackChannel:
    workspace_id: str
    channel_id: str


@dataclass(frozen=True)
class TeamsChannel:
    team_id: str
    channel_id: str  # URL-encoded, as AWS Chatbot takes it
    tenant_id: str


class NotificationsConstruct(Construct):
    """The reports topic (job notifications) and the operators' topic (alarms), and who receives them.

    Chat channels (AWS Chatbot) receive both topics and can run nothing: their guardrail denies every
    action. Chatbot configuration names are account-wide (not regional), so they carry the region:
    `<configuration_prefix>-<region>` for Slack, `<configuration_prefix>-teams-<region>` for Teams.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        key: kms.IKey,
        configuration_prefix: str,
        notification_emails: Sequence[NotificationEmail] = (),
        operator_emails: Sequence[str] = (),
        slack: SlackChannel | None = None,
        teams: TeamsChannel | None = None,
        reports: bool = True,
    ) -> None:
        """`reports`: whether there is a reports topic at all (a spoke sends no job notifications of its
        own unless asked to: its hub does); the operators' topic is always there, for the alarms."""
        super().__init__(scope, construct_id)
        self._reports_topic = self._topic("ReportsTopic", "Autopilot job reports", key) if reports else None
        self.operators_topic = self._topic("OperatorsTopic", "autopilot-reports operations", key)
        self._admit_cloudwatch_alarms(self.operators_topic)

        # Subscriptions keep CDK's ids, derived from the address: removing one address leaves the
        # others (and their confirmations) untouched.
        for subscription in notification_emails if reports else ():
            self.reports_topic.add_subscription(_email(subscription))
        for address in operator_emails:
            self.operators_topic.add_subscription(subscriptions.EmailSubscription(address))

        self._configuration_prefix = configuration_prefix
        self._guardrail: iam.ManagedPolicy | None = None
        self.slack_channel = self._slack(slack) if slack else None
        self.teams_channel = self._teams(teams) if teams else None

    @property
    def reports_topic(self) -> sns.Topic:
        if self._reports_topic is None:
            raise RuntimeError("this deployment sends no job notifications: it has no reports topic")
        return self._reports_topic

    @property
    def topics(self) -> list[sns.Topic]:
        """Every topic a chat channel receives."""
        return [topic for topic in (self._reports_topic, self.operators_topic) if topic is not None]

    def _topic(self, construct_id: str, display_name: str, key: kms.IKey) -> sns.Topic:
        topic = sns.Topic(self, construct_id, display_name=display_name, master_key=key, enforce_ssl=True)
        pin_logical_id(topic, construct_id)
        self._subscribers_of_this_account(topic)
        return topic

    def _subscribers_of_this_account(self, topic: sns.Topic) -> None:
        """Only this account's principals may subscribe (or AWS services acting for it, such as AWS Chatbot):
        a deny, so no later allow (an organization-wide grant, a console edit) can open the topic's reports
        to another account."""
        topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="SubscribersOfThisAccountOnly",
                effect=iam.Effect.DENY,
                principals=[iam.StarPrincipal()],
                actions=["sns:Subscribe"],
                resources=[topic.topic_arn],
                conditions={
                    "StringNotEquals": {"aws:PrincipalAccount": cdk.Stack.of(self).account},
                    "Bool": {"aws:PrincipalIsAWSService": "false"},
                },
            )
        )

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

    def _chat_guardrail(self) -> iam.ManagedPolicy:
        """Notifications only: the chat channels' guardrail denies every action, so nobody runs commands."""
        if self._guardrail is None:
            self._guardrail = iam.ManagedPolicy(
                self,
                "SlackGuardrail",  # the construct id predates Teams; kept so the policy is not replaced
                description="autopilot-reports chat channels: notifications only, no commands",
                statements=[iam.PolicyStatement(effect=iam.Effect.DENY, actions=["*"], resources=["*"])],
            )
        return self._guardrail

    def _slack(self, slack: SlackChannel) -> chatbot.SlackChannelConfiguration:
        channel = chatbot.SlackChannelConfiguration(
            self,
            "SlackChannel",
            slack_channel_configuration_name=f"{self._configuration_prefix}-{cdk.Aws.REGION}",
            slack_workspace_id=slack.workspace_id,
            slack_channel_id=slack.channel_id,
            notification_topics=self.topics,
            guardrail_policies=[self._chat_guardrail()],
            user_role_required=False,
            logging_level=chatbot.LoggingLevel.ERROR,
        )
        pin_logical_id(channel, "SlackChannel")
        return channel

    def _teams(self, teams: TeamsChannel) -> chatbot.CfnMicrosoftTeamsChannelConfiguration:
        """CDK has no L2 for Teams: the L1, with a role that holds no permissions (the guardrail denies all)."""
        role = iam.Role(
            self,
            "TeamsChannelRole",
            description="autopilot-reports Microsoft Teams channel: notifications only, no permissions",
            assumed_by=iam.ServicePrincipal("chatbot.amazonaws.com"),
        )
        channel = chatbot.CfnMicrosoftTeamsChannelConfiguration(
            self,
            "TeamsChannel",
            configuration_name=f"{self._configuration_prefix}-teams-{cdk.Aws.REGION}",
            team_id=teams.team_id,
            teams_channel_id=teams.channel_id,
            teams_tenant_id=teams.tenant_id,
            iam_role_arn=role.role_arn,
            sns_topic_arns=[topic.topic_arn for topic in self.topics],
            guardrail_policies=[self._chat_guardrail().managed_policy_arn],
            user_role_required=False,
            logging_level="ERROR",
        )
        pin_logical_id(channel, "TeamsChannel")
        pin_logical_id(role, "TeamsChannelRole")
        return channel


def reserve_publishing(topic: sns.ITopic, publisher: iam.IRole) -> None:
    """The topic speaks in the stack's voice only: its one publisher (the notifier's role) is admitted, and
    every other principal, of this account too (an administrator, another function, a service), is denied
    sns:Publish. A message therefore always comes from a commit the notifier verified (its seal)."""
    topic.add_to_resource_policy(
        iam.PolicyStatement(
            sid="PublishedByTheNotifierOnly",
            principals=[iam.ArnPrincipal(publisher.role_arn)],
            actions=["sns:Publish"],
            resources=[topic.topic_arn],
        )
    )
    topic.add_to_resource_policy(
        iam.PolicyStatement(
            sid="NobodyElsePublishes",
            effect=iam.Effect.DENY,
            principals=[iam.StarPrincipal()],
            actions=["sns:Publish"],
            resources=[topic.topic_arn],
            conditions={"ArnNotEquals": {"aws:PrincipalArn": publisher.role_arn}},
        )
    )


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
