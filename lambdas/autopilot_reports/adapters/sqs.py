"""What waits in the reporter's queue, behind the ReportBacklog port: one GetQueueAttributes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from autopilot_reports.adapters.clients import AwsAdapter

if TYPE_CHECKING:  # stubs are a dev dependency, not deployed
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.literals import QueueAttributeNameType

# Visible, received and not yet deleted (in flight), and delayed: every message a change could still be in.
WAITING_ATTRIBUTES: tuple[QueueAttributeNameType, ...] = (
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
)


class SqsReportBacklog(AwsAdapter["SQSClient"]):
    service = "sqs"

    def __init__(self, queue_url: str, sqs: SQSClient | None = None) -> None:
        super().__init__(sqs)
        self.queue_url = queue_url

    def waiting(self) -> int:
        attributes = self.client.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=list(WAITING_ATTRIBUTES))[
            "Attributes"
        ]
        return sum(int(attributes.get(name, "0")) for name in WAITING_ATTRIBUTES)
