"""S3 reads of Clarify output behind the ArtifactReader port."""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from autopilot_reports.adapters.clients import AwsAdapter, error_code
from autopilot_reports.domain.ports import ArtifactAccessError, StoredObject

if TYPE_CHECKING:  # stubs are a dev dependency, not deployed
    from mypy_boto3_s3 import S3Client  # noqa: F401 (named in the quoted base class, which ruff does not read)

# Errors about the object itself: retrying will not help, so they become a reason on the record.
PERMANENT_CODES = frozenset({"AccessDenied", "NoSuchKey", "NoSuchBucket", "404", "403", "InvalidObjectState"})


class S3ArtifactReader(AwsAdapter["S3Client"]):
    service = "s3"

    def list_objects(self, bucket: str, prefix: str, owner: str) -> list[StoredObject]:
        try:
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=bucket, Prefix=prefix, ExpectedBucketOwner=owner
            )
            return [
                StoredObject(key=item["Key"], size=item["Size"]) for page in pages for item in page.get("Contents", [])
            ]
        except ClientError as error:
            _raise_if_permanent(error, f"s3://{bucket}/{prefix}")
            raise

    def read_object(self, bucket: str, key: str, max_bytes: int, owner: str) -> bytes:
        try:
            # The range bounds memory even if the object grew since it was listed.
            response = self.client.get_object(
                Bucket=bucket, Key=key, Range=f"bytes=0-{max_bytes}", ExpectedBucketOwner=owner
            )
            return response["Body"].read()
        except ClientError as error:
            _raise_if_permanent(error, f"s3://{bucket}/{key}")
            raise


KMS_FIX = (
    "the object is encrypted with a KMS key the reporter may not use: add the key's ARN to the CDK context "
    "autopilotOutputKmsKeys and deploy again"
)
ACCESS_FIX = (
    "the reporter may not read there: add the bucket (or bucket/prefix) to the CDK context "
    "autopilotOutputLocations; if the bucket uses SSE-KMS with a customer key, add that key to autopilotOutputKmsKeys"
)


def _raise_if_permanent(error: ClientError, where: str) -> None:
    code = error_code(error)
    if code not in PERMANENT_CODES:
        return
    message = str(error.response.get("Error", {}).get("Message", ""))
    if code in ("AccessDenied", "403"):
        fix = KMS_FIX if "kms" in message.lower() else ACCESS_FIX
        raise ArtifactAccessError(f"{code} for {where}: {fix}") from error
    raise ArtifactAccessError(f"{code} for {where}") from error
