"""Terminal notifications onto the SNS topic, behind the Notifier port."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from autopilot_reports.adapters.clients import AwsAdapter
from autopilot_reports.domain.ports import Notification

if TYPE_CHECKING:  # stubs are a dev dependency, not deployed
    from mypy_boto3_sns import SNSClient


class SNSNotifier(AwsAdapter["SNSClient"]):
    service = "sns"

    def __init__(self, topic_arn: str, sns: SNSClient | None = None) -> None:
        super().__init__(sns)
        self.topic_arn = topic_arn

    def publish(self, notification: Notification) -> None:
        self.client.publish(
            TopicArn=self.topic_arn,
            Subject=notification.subject,
            Message=json.dumps(notification.message),
            MessageStructure="json",
            MessageAttributes={
                name: {"DataType": "String", "StringValue": value}
                for name, value in notification.attributes.items()
                if value
            },
        )
