"""Where a job ran and which job it is, as values: `Place(account, region)` and `JobRef(place, name)`.

One account and region's table keys a job by its name; an organization's keys it by all three
(adapters/dynamodb_items.KeyScope). The place comes from the job's ARN, the name from `AutoMLJobName`,
never from the ARN: AutoML ARNs may carry the name lower-cased (a real DescribeAutoMLJob response names
job `automl-card-fraud-F103-00-26-10` in ARN `.../automl-job/automl-card-fraud-f103-00-26-10`:
tests/e2e/recordings/sme-creditcardfraud-2020-12_binary_v1.json).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# botocore's own pattern for AutoMLJobArn (sagemaker service-2.json), with a region and a name required.
AUTOML_JOB_ARN = re.compile(
    r"arn:(?P<partition>aws[a-z\-]*):sagemaker:(?P<region>[a-z0-9\-]+):(?P<account>[0-9]{12}):automl-job/(?P<name>.+)"
)
ARN_SHOWN_CHARS = 300  # an ARN is at most 256 characters; whatever came instead is shown cut


class InvalidJobArnError(ValueError):
    """The text is not an AutoML job ARN (arn:<partition>:sagemaker:<region>:<account>:automl-job/<name>)."""


@dataclass(frozen=True, slots=True, order=True)
class Place:
    """An AWS account and region: where a job ran, or where a deployment is."""

    account: str
    region: str

    def __str__(self) -> str:
        return f"{self.account}/{self.region}"

    @property
    def label(self) -> str:
        """The place in a name (folders, physical names): `111122223333-eu-west-1`."""
        return f"{self.account}-{self.region}"

    @classmethod
    def of_arn(cls, arn: object) -> Place:
        """The account and region an AutoML job ARN names. Raises InvalidJobArnError."""
        match = AUTOML_JOB_ARN.fullmatch(arn) if isinstance(arn, str) else None
        if match is None:
            raise InvalidJobArnError(
                f"not an AutoML job ARN: {_shown(arn)} "
                "(expected arn:<partition>:sagemaker:<region>:<12-digit account>:automl-job/<name>)"
            )
        return cls(account=match["account"], region=match["region"])

    @classmethod
    def of_arn_or_none(cls, arn: object) -> Place | None:
        """As `of_arn`, but None for text that is not an AutoML job ARN (a record made by hand)."""
        try:
            return cls.of_arn(arn)
        except InvalidJobArnError:
            return None


@dataclass(frozen=True, slots=True)
class JobRef:
    """One AutoML job in an organization: its place and its name (as AutoMLJobName gives it)."""

    place: Place
    name: str

    @classmethod
    def of(cls, arn: object, name: str) -> JobRef:
        """The job named `name` (AutoMLJobName, as given) whose ARN is `arn`: only the place comes from the
        ARN. Raises InvalidJobArnError."""
        return cls(place=Place.of_arn(arn), name=name)

    @classmethod
    def of_summary(cls, summary: Mapping[str, Any]) -> JobRef:
        """The job of a ListAutoMLJobs summary or a Describe response (AutoMLJobArn, AutoMLJobName)."""
        return cls.of(summary.get("AutoMLJobArn", ""), str(summary.get("AutoMLJobName", "")))


def _shown(arn: object) -> str:
    text = repr(arn)
    return text if len(text) <= ARN_SHOWN_CHARS else f"{text[:ARN_SHOWN_CHARS]}... ({len(text)} characters)"
