"""A job's candidates and its child jobs (SageMaker) behind the ChildJobs port, for costing."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from botocore.exceptions import ClientError

from autopilot_reports import constants as c
from autopilot_reports.adapters.clients import AwsAdapter, error_code
from autopilot_reports.adapters.sagemaker import PERMANENT_CODES
from autopilot_reports.domain.ports import ChildJobUnavailableError, LeaderboardUnavailableError
from autopilot_reports.models.cost import ChildKind

if TYPE_CHECKING:  # stubs are a dev dependency, not deployed
    from mypy_boto3_sagemaker import SageMakerClient  # noqa: F401 (in the quoted base class)

# A child job that does not exist is a ValidationException ("Requested resource not found."), not the
# ResourceNotFound the model lists (aws/aws-sdk#165): either way the job cannot be described.
CHILD_PERMANENT_CODES = PERMANENT_CODES


class SageMakerChildJobs(AwsAdapter["SageMakerClient"]):
    service = "sagemaker"

    def list_candidates(self, job_name: str) -> list[dict[str, Any]]:
        candidates: list[dict[str, Any]] = []
        try:
            pages = self.client.get_paginator("list_candidates_for_auto_ml_job").paginate(
                AutoMLJobName=job_name, PaginationConfig={"PageSize": c.CANDIDATES_PAGE_SIZE}
            )
            for page in pages:
                candidates.extend(cast(list[dict[str, Any]], page.get("Candidates", [])))
        except ClientError as error:
            if error_code(error) in PERMANENT_CODES:
                raise LeaderboardUnavailableError(f"ListCandidatesForAutoMLJob: {_message(error)}") from error
            raise
        return candidates

    def describe(self, kind: ChildKind, name: str) -> dict[str, Any]:
        client = self.client
        try:
            if kind is ChildKind.TRAINING:
                response = cast(dict[str, Any], client.describe_training_job(TrainingJobName=name))
            elif kind is ChildKind.PROCESSING:
                response = cast(dict[str, Any], client.describe_processing_job(ProcessingJobName=name))
            else:
                response = cast(dict[str, Any], client.describe_transform_job(TransformJobName=name))
        except ClientError as error:
            if error_code(error) in CHILD_PERMANENT_CODES:
                raise ChildJobUnavailableError(_message(error)) from error
            raise
        response.pop("ResponseMetadata", None)
        return response


def _message(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Message", "")) or error_code(error)
