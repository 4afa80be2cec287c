"""The stack of one deployment plan: composition only; each capability is one construct in infra/constructs."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
from constructs import Construct

from autopilot_reports.settings import NotifierSettings, ReporterSettings, WatcherSettings
from infra import constants as c
from infra.config import StackConfig
from infra.constructs.bus import EventBusConstruct
from infra.constructs.encryption import MessagingKeyConstruct
from infra.constructs.function import FunctionBasics, powertools_layer
from infra.constructs.monitoring import MonitoringConstruct
from infra.constructs.notifications import NotificationsConstruct, SlackChannel, TeamsChannel
from infra.constructs.notifier import NotifierConstruct
from infra.constructs.reporter import ReporterConstruct
from infra.constructs.store import ReportTableConstruct
from infra.constructs.watcher import WatcherConstruct
from infra.plans import DeploymentPlan


class AutopilotReportsStack(cdk.Stack):
    """Named by `plan.stack_name`. Names typed here derive from it (and the region where a name is
    account-wide), so two stacks never collide in one account; CloudFormation names everything else.

    Each function is given its settings model, built from the configuration (every field the model
    shares with it by name) and the resources made here (`StackConfig.function_settings`)."""

    def __init__(self, scope: Construct, *, plan: DeploymentPlan, **kwargs: Any) -> None:
        super().__init__(scope, plan.stack_name, description=c.STACK_DESCRIPTION, analytics_reporting=False, **kwargs)
        self.plan = plan
        self.config = config = plan.config
        name = plan.stack_name
        regional_name = f"{name}-{cdk.Aws.REGION}"  # for names unique per account only
        key = MessagingKeyConstruct(self, "Encryption", alias_name=f"alias/{name}", retain=config.retain)
        basics = FunctionBasics(
            layer=powertools_layer(self, config.powertools_layer_arn),
            log_retention_days=config.log_retention_days,
            retain=config.retain,
            log_key=key.key,
        )
        self.store = ReportTableConstruct(self, "Store", retain=config.retain)
        self.notifications = NotificationsConstruct(
            self,
            "Notifications",
            key=key.key,
            configuration_prefix=name,
            notification_emails=config.notification_emails,
            operator_emails=config.operator_emails,
            slack=_slack(config),
            teams=_teams(config),
        )
        self.bus = EventBusConstruct(self, "Events", bus_name=name).bus
        table_name = self.store.table.table_name
        self.reporter = ReporterConstruct(
            self,
            "Reporting",
            table=self.store.table,
            bus=self.bus,
            key=key.key,
            basics=basics,
            settings=config.function_settings(ReporterSettings, table_name=table_name),
            output_locations=config.output_location_parts,
            output_kms_keys=config.output_kms_keys,
            max_concurrency=config.reporter_max_concurrency,
        )
        self.watcher = WatcherConstruct(
            self,
            "Watching",
            bus=self.bus,
            table=self.store.table,
            report_queue=self.reporter.queue.queue,
            key=key.key,
            basics=basics,
            settings=config.function_settings(
                WatcherSettings,
                table_name=table_name,
                event_bus_name=self.bus.event_bus_name,
                report_queue_url=self.reporter.queue.queue.queue_url,
            ),
            schedule_rate_minutes=config.schedule_rate_minutes,
            reserved_concurrency=config.watcher_reserved_concurrency,
            child_job_nudges=config.child_job_nudges,
            digest_schedule=config.digest_schedule if config.digest_enabled else None,
        )
        self.notifier = NotifierConstruct(
            self,
            "Notifying",
            stream_arn=self.store.stream_arn,
            topic=self.notifications.reports_topic,
            key=key.key,
            basics=basics,
            settings=config.function_settings(NotifierSettings, topic_arn=self.notifications.reports_topic.topic_arn),
        )
        self.monitoring = MonitoringConstruct(
            self,
            "Monitoring",
            watcher=self.watcher.function,
            reporter=self.reporter.function,
            notifier=self.notifier.function,
            reporter_queue=self.reporter.queue.queue,
            dead_letter_queues=[
                ("WatcherTriggers", self.watcher.dead_letter_queue),
                ("WatcherFailures", self.watcher.failure_queue),
                ("ReporterDelivery", self.reporter.delivery_dead_letter_queue),
                ("ReporterFailures", self.reporter.failure_queue),
                ("NotifierFailures", self.notifier.failure_queue),
            ],
            operators_topic=self.notifications.operators_topic,
            schedule_rate_minutes=config.schedule_rate_minutes,
            dashboard_name=regional_name,
        )
        self._outputs()

    def _outputs(self) -> None:
        outputs = {
            c.OUTPUT_TABLE_NAME: self.store.table.table_name,
            c.OUTPUT_EVENT_BUS_NAME: self.bus.event_bus_name,
            c.OUTPUT_REPORTS_TOPIC_ARN: self.notifications.reports_topic.topic_arn,
            c.OUTPUT_OPERATORS_TOPIC_ARN: self.notifications.operators_topic.topic_arn,
            c.OUTPUT_WATCHER_FUNCTION_NAME: self.watcher.function.function_name,
            c.OUTPUT_REPORTER_FUNCTION_NAME: self.reporter.function.function_name,
            c.OUTPUT_NOTIFIER_FUNCTION_NAME: self.notifier.function.function_name,
            c.OUTPUT_DASHBOARD_NAME: self.monitoring.dashboard.dashboard_name,
            c.OUTPUT_WATCHER_TRIGGER_DLQ_URL: self.watcher.dead_letter_queue.queue.queue_url,
            c.OUTPUT_WATCHER_FAILURE_QUEUE_URL: self.watcher.failure_queue.queue.queue_url,
            c.OUTPUT_REPORTER_DELIVERY_DLQ_URL: self.reporter.delivery_dead_letter_queue.queue.queue_url,
            c.OUTPUT_REPORTER_FAILURE_QUEUE_URL: self.reporter.failure_queue.queue.queue_url,
            c.OUTPUT_REPORTER_QUEUE_URL: self.reporter.queue.queue.queue_url,
            c.OUTPUT_NOTIFIER_FAILURE_QUEUE_URL: self.notifier.failure_queue.queue.queue_url,
            c.OUTPUT_HISTORY_IMPORT_COMMAND: self._history_import_command(),
        }
        for name, value in outputs.items():
            cdk.CfnOutput(self, name, value=value)

    def _history_import_command(self) -> str:
        """How to import the account's history (docs/deploy.md): the CLI, or the same with the AWS CLI."""
        payload = json.dumps({"backfill": c.HISTORY_IMPORT_EXAMPLE}, separators=(",", ":"))
        # The same range both ways: a bare --until date includes that whole day (ends at the next midnight).
        return (
            f"autopilot-reports --stack {self.plan.stack_name} --region {cdk.Aws.REGION} import-history "
            "--since 2025-01-01 --until 2025-12-31 ; or the same range with the AWS CLI: "
            f"aws lambda invoke --region {cdk.Aws.REGION} --function-name {self.watcher.function.function_name} "
            f"--invocation-type Event --cli-binary-format raw-in-base64-out --payload '{payload}' /dev/null"
        )


def _slack(config: StackConfig) -> SlackChannel | None:
    if config.slack_workspace_id is None or config.slack_channel_id is None:
        return None
    return SlackChannel(workspace_id=config.slack_workspace_id, channel_id=config.slack_channel_id)


def _teams(config: StackConfig) -> TeamsChannel | None:
    if config.teams_team_id is None or config.teams_channel_id is None or config.teams_tenant_id is None:
        return None
    return TeamsChannel(
        team_id=config.teams_team_id, channel_id=config.teams_channel_id, tenant_id=config.teams_tenant_id
    )
