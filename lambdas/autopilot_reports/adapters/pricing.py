"""The AWS Price List Query API (`pricing:GetProducts`) behind the PriceList port.

The API answers from a few regions only (us-east-1, eu-central-1 and ap-south-1 in the aws partition;
cn-northwest-1 in China); the price data is the same everywhere, and the job's region is a filter
(`regionCode`). Its request rate is low, so throttling is retried here again, with backoff, after
botocore's own standard retries; what still fails leaves the price missing (the job's figures say so)
rather than failing the costing.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from autopilot_reports import constants as c
from autopilot_reports.adapters.clients import AwsAdapter, error_code, shared_client
from autopilot_reports.domain.ports import PriceListUnavailableError

if TYPE_CHECKING:  # stubs are a dev dependency, not deployed
    from mypy_boto3_pricing import PricingClient
    from mypy_boto3_pricing.type_defs import FilterTypeDef

PRODUCT_FAMILY = "ML Instance"
PAGE_SIZE = 100  # GetProducts' maximum MaxResults
THROTTLED_ATTEMPTS = 3  # more rounds of botocore's retries, after a pause each
THROTTLED_PAUSE_SECONDS = 1.0  # doubled each round
THROTTLING_CODES = frozenset({"ThrottlingException", "Throttling", "TooManyRequestsException"})
# The Price List API's own endpoints, by the prefix of the job's region (the nearest one answers).
ENDPOINT_REGIONS = (("cn-", "cn-northwest-1"), ("eu-", "eu-central-1"), ("me-", "eu-central-1"),
                    ("af-", "eu-central-1"), ("il-", "eu-central-1"), ("ap-", "ap-south-1"))  # fmt: skip
DEFAULT_ENDPOINT_REGION = "us-east-1"


def endpoint_region(region: str) -> str:
    """The Price List API's region that answers for jobs in `region`."""
    return next(
        (endpoint for prefix, endpoint in ENDPOINT_REGIONS if region.startswith(prefix)), DEFAULT_ENDPOINT_REGION
    )


def product_filters(region: str, instance_type: str) -> list[FilterTypeDef]:
    """Every SageMaker ML Instance product of the type in the region: each usage of it (training,
    processing, batch transform, and others) in one answer."""
    return [
        {"Type": "TERM_MATCH", "Field": "productFamily", "Value": PRODUCT_FAMILY},
        {"Type": "TERM_MATCH", "Field": "regionCode", "Value": region},
        {"Type": "TERM_MATCH", "Field": "instanceName", "Value": instance_type},
    ]


class PriceListProducts(AwsAdapter["PricingClient"]):
    service = "pricing"

    def __init__(self, pricing: PricingClient | None = None, sleep: Callable[[float], None] = time.sleep) -> None:
        super().__init__(pricing)
        self._sleep = sleep

    def products(self, region: str, instance_type: str) -> list[dict[str, Any]]:
        client = self._client or shared_client(self.service, endpoint_region(region))
        pause = THROTTLED_PAUSE_SECONDS
        for attempt in range(THROTTLED_ATTEMPTS + 1):
            try:
                return self._all_pages(client, region, instance_type)
            except ClientError as error:
                if error_code(error) not in THROTTLING_CODES:
                    raise PriceListUnavailableError(f"GetProducts: {_message(error)}") from error
                if attempt == THROTTLED_ATTEMPTS:
                    raise PriceListUnavailableError(f"GetProducts throttled {attempt + 1} times") from error
            except BotoCoreError as error:  # the endpoint cannot be reached: no price, said so
                raise PriceListUnavailableError(f"GetProducts: {error}") from error
            self._sleep(pause)
            pause *= 2
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    def _all_pages(client: PricingClient, region: str, instance_type: str) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = []
        pages = client.get_paginator("get_products").paginate(
            ServiceCode=c.PRICING_SERVICE_CODE,
            Filters=product_filters(region, instance_type),
            FormatVersion="aws_v1",
            PaginationConfig={"PageSize": PAGE_SIZE},
        )
        for page in pages:
            # Each entry is a JSON document in a string (botocore parses `jsonvalue` only in headers).
            entries.extend(json.loads(item) for item in page.get("PriceList", []))
        return entries


def _message(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Message", "")) or error_code(error)
