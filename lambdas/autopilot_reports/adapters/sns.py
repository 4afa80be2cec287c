"""Terminal notifications onto the SNS topic, behind the Notifier port."""

from __future__ import annotations

import json
from typing import Any

from autopilot_reports.adapters.clients import client
from autopilot_reports.domain.ports import Notification


class SNSNotifier:
    def __init__(self, topic_arn: str, sns: Any | None = None) -> None:
        self.topic_arn = topic_arn
        self._client = sns

    @property
    def sns(self) -> Any:
        if self._client is None:
            self._client = client("sns")
        return self._client

    def publish(self, notification: Notification) -> None:
        self.sns.publish(
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
