"""The AutopilotReports stack: composition only; each capability is one construct in infra/constructs."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from constructs import Construct

from infra import constants as c
from infra.config import StackConfig
from infra.constructs.encryption import MessagingKey
from infra.constructs.function import powertools_layer
from infra.constructs.ingestion import Ingestion
from infra.constructs.monitoring import Monitoring
from infra.constructs.notifications import Notifications
from infra.constructs.reporter import Reporter
from infra.constructs.store import ReportStore


class AutopilotReportsStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, *, config: StackConfig, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, description=c.STACK_DESCRIPTION, analytics_reporting=False, **kwargs)
        self.config = config
        layer = powertools_layer(self)

        key = MessagingKey(self, "Encryption", retain=config.retain)
        self.store = ReportStore(self, "Store", retain=config.retain)
        self.notifications = Notifications(self, "Notifications", key=key.key, config=config)
        self.ingestion = Ingestion(self, "Ingestion", config=config, table=self.store.table, key=key.key, layer=layer)
        self.reporter = Reporter(
            self,
            "Reporting",
            config=config,
            table=self.store.table,
            topic=self.notifications.reports_topic,
            bus=self.ingestion.bus,
            key=key.key,
            layer=layer,
        )
        self.monitoring = Monitoring(
            self,
            "Monitoring",
            watcher=self.ingestion.watcher.function,
            reporter=self.reporter.reporter.function,
            dead_letter_queues=[
                ("WatcherTriggers", self.ingestion.dead_letter_queue),
                ("ReporterDelivery", self.reporter.delivery_dead_letter_queue),
                ("ReporterFailures", self.reporter.failure_queue),
            ],
            operators_topic=self.notifications.operators_topic,
            schedule_rate_minutes=config.schedule_rate_minutes,
        )
        self._outputs()

    def _outputs(self) -> None:
        outputs = {
            "ReportsTableName": self.store.table.table_name,
            "EventBusName": self.ingestion.bus.event_bus_name,
            "ReportsTopicArn": self.notifications.reports_topic.topic_arn,
            "OperatorsTopicArn": self.notifications.operators_topic.topic_arn,
            "WatcherFunctionName": self.ingestion.watcher.function.function_name,
            "ReporterFunctionName": self.reporter.reporter.function.function_name,
            "DashboardName": self.monitoring.dashboard.dashboard_name,
            "WatcherTriggerDeadLetterQueueUrl": self.ingestion.dead_letter_queue.queue.queue_url,
            "ReporterDeliveryDeadLetterQueueUrl": self.reporter.delivery_dead_letter_queue.queue.queue_url,
            "ReporterFailureQueueUrl": self.reporter.failure_queue.queue.queue_url,
        }
        for name, value in outputs.items():
            cdk.CfnOutput(self, name, value=value)
