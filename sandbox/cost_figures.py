"""What the simulator answers about a job's cost (docs/design.md §6.2): its child jobs' Describe calls from
the scenario's `jobs[].children`, and the Price List API's GetProducts from the scenario's `prices`.

- A child job is found by its name, compared without case (SageMaker's job names are; ARNs carry them
  lower-cased), at the caller's place (its ARN's account and region) in the organization mode: one name
  may run in two accounts, as its AutoML job's may. One it does not hold gets the ValidationException SageMaker answers for a job that does
  not exist: "Requested resource not found." (DescribeTrainingJob's, recorded in aws/aws-sdk#165 and
  aws/amazon-sagemaker-examples#2360; no recording of the processing and transform answers was found,
  so they answer the same).
- GetProducts answers the `prices` entries whose product matches every filter (TERM_MATCH: the product's
  attribute, or `productFamily`/`sku`/`serviceCode`, equals the value), in the scenario's order,
  `MaxResults` at a time (default 100) with a NextToken, as AWS pages them.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Mapping
from typing import Any

from sandbox.place import Place
from sandbox.scenario import CHILD_ARN, CHILD_SHAPES, ScenarioJob

NOT_FOUND = "Requested resource not found."
DEFAULT_PAGE_SIZE = 100
KIND_OF_OPERATION = {
    "DescribeTrainingJob": "training-job",
    "DescribeProcessingJob": "processing-job",
    "DescribeTransformJob": "transform-job",
}
PRODUCT_FIELDS = ("productFamily", "sku")  # matched on the product itself, not its attributes


class FigureError(Exception):
    """An answer's error: (code, message), as the JSON protocol carries it."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class ChildJobs:
    """Every scenario job's children, by (resource type, name without case), with the place each runs at."""

    def __init__(self, jobs: Iterable[ScenarioJob]) -> None:
        self._by_name: dict[tuple[str, str], list[tuple[Place, dict[str, Any]]]] = {}
        for job in jobs:
            for arn, response in job.children.items():
                match = CHILD_ARN.fullmatch(arn)
                assert match is not None  # checked when the scenario loaded
                region, account = arn.split(":")[3:5]
                self._by_name.setdefault((match[1], match[2].lower()), []).append(
                    (Place(account=account, region=region), response)
                )

    def describe(self, operation: str, params: Mapping[str, Any], view: Place | None = None) -> dict[str, Any]:
        """The child job of that name at `view` (the caller's place); with no view, at any place."""
        kind = KIND_OF_OPERATION[operation]
        name = str(params[CHILD_SHAPES[kind][2]])
        found = [response for place, response in self._by_name.get((kind, name.lower()), []) if view in (None, place)]
        if not found:
            raise FigureError("ValidationException", NOT_FOUND)
        return found[0]


class PriceList:
    """The scenario's one GetProducts response, asked with filters."""

    def __init__(self, prices: Mapping[str, Any] | None) -> None:
        prices = prices or {}
        self.format_version = str(prices.get("FormatVersion", "aws_v1"))
        self._entries = [(text, json.loads(text)) for text in prices.get("PriceList", [])]

    def get_products(self, params: Mapping[str, Any]) -> dict[str, Any]:
        service = params["ServiceCode"]
        filters = params.get("Filters", [])
        for term in filters:
            if term["Type"] != "TERM_MATCH":  # the sandbox answers exact matches, the only kind we ask
                raise FigureError("InvalidParameterException", f"the sandbox answers TERM_MATCH filters only: {term}")
        matching = [text for text, entry in self._entries if _matches(entry, service, filters)]
        limit = int(params.get("MaxResults", DEFAULT_PAGE_SIZE))
        offset = _offset(params.get("NextToken"))
        page = matching[offset : offset + limit]
        answer: dict[str, Any] = {"FormatVersion": self.format_version, "PriceList": page}
        if offset + limit < len(matching):
            answer["NextToken"] = base64.urlsafe_b64encode(str(offset + limit).encode()).decode()
        return answer


def _matches(entry: Mapping[str, Any], service: str, filters: Iterable[Mapping[str, Any]]) -> bool:
    product = entry.get("product") or {}
    if str(entry.get("serviceCode", service)) != service:
        return False
    attributes = product.get("attributes") or {}
    for term in filters:
        field = term["Field"]
        value = product.get(field) if field in PRODUCT_FIELDS else attributes.get(field)
        if field == "ServiceCode":
            value = entry.get("serviceCode", service)
        if value != term["Value"]:
            return False
    return True


def _offset(token: object) -> int:
    if not token:
        return 0
    try:
        return int(base64.urlsafe_b64decode(str(token).encode()).decode())
    except (binascii.Error, UnicodeError, ValueError):
        raise FigureError("InvalidNextTokenException", "The NextToken is not one this service issued") from None
