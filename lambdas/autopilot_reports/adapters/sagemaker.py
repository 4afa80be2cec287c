"""SageMaker AutoML APIs behind the AutoMLJobs port."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from botocore.exceptions import ClientError

from autopilot_reports import constants as c
from autopilot_reports.adapters.clients import AwsAdapter, error_code
from autopilot_reports.domain.ports import Api, JobNotFoundError, JobPage, LeaderboardUnavailableError

if TYPE_CHECKING:  # stubs are a dev dependency, not deployed
    from mypy_boto3_sagemaker import SageMakerClient

# The domain reads SageMaker's answers as plain JSON through the port (domain/ports.py), so the stubs'
# TypedDicts are cast to `dict[str, Any]` where they leave this adapter.
NOT_FOUND_CODES = frozenset({"ResourceNotFound", "ResourceNotFoundException"})
PERMANENT_CODES = NOT_FOUND_CODES | {"ValidationException", "AccessDeniedException"}


class SageMakerAutoMLJobs(AwsAdapter["SageMakerClient"]):
    """DescribeAutoMLJob cannot describe jobs created with CreateAutoMLJobV2: it answers with a
    ValidationException, and we ask DescribeAutoMLJobV2 instead. Which API answered is remembered per
    job for the life of the process, so a warm function pays the extra call once per V2 job."""

    service = "sagemaker"

    def __init__(self, sagemaker: SageMakerClient | None = None) -> None:
        super().__init__(sagemaker)
        self._api_by_job: dict[str, Api] = {}

    def describe(self, job_name: str) -> tuple[Api, dict[str, Any]]:
        api = self._api_by_job.get(job_name, "v1")
        try:
            response = self._describe(api, job_name)
        except ClientError as error:
            if api == "v1" and error_code(error) == "ValidationException":
                api = "v2"
                response = self._describe(api, job_name)
            else:
                raise
        self._api_by_job[job_name] = api
        response.pop("ResponseMetadata", None)
        return api, response

    def _describe(self, api: Api, job_name: str) -> dict[str, Any]:
        operation = self.client.describe_auto_ml_job if api == "v1" else self.client.describe_auto_ml_job_v2
        try:
            return cast(dict[str, Any], operation(AutoMLJobName=job_name))
        except ClientError as error:
            # A V2 ValidationException is about the job itself (V1 ones mean "ask V2"): permanent.
            if error_code(error) in NOT_FOUND_CODES or (api == "v2" and error_code(error) == "ValidationException"):
                raise JobNotFoundError(_message(error)) from error
            raise

    def list_jobs(
        self, modified_after: datetime | None, modified_before: datetime | None, name_contains: str | None
    ) -> Iterator[dict[str, Any]]:
        params: dict[str, Any] = {"MaxResults": c.LIST_PAGE_SIZE}
        if modified_after:
            params["LastModifiedTimeAfter"] = modified_after
        if modified_before:
            params["LastModifiedTimeBefore"] = modified_before
        if name_contains:
            params["NameContains"] = name_contains
        for page in self.client.get_paginator("list_auto_ml_jobs").paginate(**params):
            yield from cast(list[dict[str, Any]], page.get("AutoMLJobSummaries", []))

    def list_created(
        self, created_after: datetime, created_before: datetime, name_contains: str | None, next_token: str | None
    ) -> JobPage:
        # ListAutoMLJobs can sort by CreationTime (not by LastModifiedTime): a stable cursor for imports.
        params: dict[str, Any] = {
            "CreationTimeAfter": created_after,
            "CreationTimeBefore": created_before,
            "SortBy": "CreationTime",
            "SortOrder": "Ascending",
            "MaxResults": c.LIST_PAGE_SIZE,
        }
        if name_contains:
            params["NameContains"] = name_contains
        if next_token:
            params["NextToken"] = next_token
        response = self.client.list_auto_ml_jobs(**params)
        summaries = cast(list[dict[str, Any]], response.get("AutoMLJobSummaries", []))
        return JobPage(summaries=summaries, next_token=response.get("NextToken"))

    def list_candidates(self, job_name: str, descending: bool, limit: int) -> list[dict[str, Any]]:
        try:
            response = self.client.list_candidates_for_auto_ml_job(
                AutoMLJobName=job_name,
                StatusEquals="Completed",
                SortBy="FinalObjectiveMetricValue",
                SortOrder="Descending" if descending else "Ascending",
                MaxResults=limit,
            )
        except ClientError as error:
            if error_code(error) in PERMANENT_CODES:
                raise LeaderboardUnavailableError(f"ListCandidatesForAutoMLJob: {_message(error)}") from error
            raise
        candidates = cast(list[dict[str, Any]], response.get("Candidates", []))
        return candidates


def _message(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Message", "")) or error_code(error)
