"""The simulator serves what a job's cost is computed from (docs/design.md §6.2): `jobs[].children` through
DescribeTrainingJob/DescribeProcessingJob/DescribeTransformJob, `prices` through the Price List API's
GetProducts, both checked against botocore's model; scenarios that AWS could not answer are refused."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from sandbox.scenario import ScenarioError, load_scenario
from tests.integration.test_simulator import client_for, error_of, serve  # noqa: F401 (a fixture)

SCENARIO = json.loads((Path(__file__).parents[1] / "e2e" / "scenarios" / "cost.json").read_text())
(JOB,) = SCENARIO["jobs"]
TRAINING_ARN = next(arn for arn in JOB["children"] if ":training-job/" in arn)
PROCESSING_ARN = next(arn for arn in JOB["children"] if ":processing-job/" in arn)


@pytest.fixture(autouse=True)
def _credentials(monkeypatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")


def pricing_for(simulator) -> Any:
    return boto3.client(
        "pricing",
        endpoint_url=simulator.endpoint_url,
        region_name="us-east-1",
        config=Config(retries={"max_attempts": 1}),
    )


def test_child_jobs_are_described_by_name_without_case(serve) -> None:  # noqa: F811
    simulator = serve(SCENARIO)
    client = client_for(simulator)
    name = JOB["children"][TRAINING_ARN]["TrainingJobName"]
    described = client.describe_training_job(TrainingJobName=name.upper()[:63])
    assert described["TrainingJobArn"] == TRAINING_ARN and described["BillableTimeInSeconds"] > 0
    processing = JOB["children"][PROCESSING_ARN]["ProcessingJobName"]
    assert client.describe_processing_job(ProcessingJobName=processing)["ProcessingResources"]["ClusterConfig"]
    assert simulator.calls["DescribeTrainingJob"] == 1


def test_a_child_job_it_does_not_hold_does_not_exist(serve) -> None:  # noqa: F811
    simulator = serve(SCENARIO)
    client = client_for(simulator)
    for call, parameter in (
        (client.describe_training_job, "TrainingJobName"),
        (client.describe_processing_job, "ProcessingJobName"),
        (client.describe_transform_job, "TransformJobName"),
    ):
        error = error_of(call, **{parameter: "no-such-job"})
        assert (error.response["Error"]["Code"], error.response["Error"]["Message"]) == (
            "ValidationException",
            "Requested resource not found.",
        )


def test_get_products_answers_the_entries_matching_every_filter_a_page_at_a_time(serve) -> None:  # noqa: F811
    simulator = serve(SCENARIO)
    pricing = pricing_for(simulator)
    filters = [
        {"Type": "TERM_MATCH", "Field": "productFamily", "Value": "ML Instance"},
        {"Type": "TERM_MATCH", "Field": "regionCode", "Value": "us-east-1"},
        {"Type": "TERM_MATCH", "Field": "instanceName", "Value": "ml.m5.4xlarge"},
    ]
    pages = list(
        pricing.get_paginator("get_products").paginate(
            ServiceCode="AmazonSageMaker", Filters=filters, FormatVersion="aws_v1", PaginationConfig={"PageSize": 3}
        )
    )
    entries = [json.loads(item) for page in pages for item in page["PriceList"]]
    assert len(pages) == 2 and "NextToken" in pages[0]
    assert {entry["product"]["attributes"]["platoinstancetype"] for entry in entries} == {
        "Training",
        "Processing",
        "BatchTransform",
        "Hosting",
    }
    assert {entry["product"]["attributes"]["regionCode"] for entry in entries} == {"us-east-1"}
    other = pricing.get_products(ServiceCode="AmazonEC2", Filters=filters[1:])
    assert other["PriceList"] == []
    assert simulator.calls["GetProducts"] == 3


def test_get_products_requests_are_checked_against_the_model(serve) -> None:  # noqa: F811
    simulator = serve(SCENARIO)
    pricing = pricing_for(simulator)
    error = error_of(pricing.get_products, ServiceCode="AmazonSageMaker", NextToken="not-ours")
    assert error.response["Error"]["Code"] == "InvalidNextTokenException"
    error = error_of(
        pricing.get_products, ServiceCode="AmazonSageMaker", Filters=[{"Type": "CONTAINS", "Field": "x", "Value": "y"}]
    )
    assert error.response["Error"]["Code"] == "InvalidParameterException"


def broken(change) -> dict[str, Any]:
    scenario = copy.deepcopy(SCENARIO)
    change(scenario)
    return scenario


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda s: s["jobs"][0]["children"].update({"arn:aws:sagemaker:us-east-1:123456789012:model/m": {}}),
            "is not a training, processing or transform job ARN",
        ),
        (
            lambda s: s["jobs"][0]["children"][TRAINING_ARN].pop("ModelArtifacts"),
            "ModelArtifacts: missing required member",
        ),
        (
            lambda s: s["jobs"][0]["children"][TRAINING_ARN].update(TrainingJobName="another-job"),
            "must name the job its key names",
        ),
        (lambda s: s["jobs"][0]["children"][TRAINING_ARN].update(BillableSeconds=3), "unknown member"),
        (lambda s: s["prices"].update(PriceList=["not json"]), "prices.PriceList[0]: not a JSON document"),
        (lambda s: s["prices"].update(PriceList=['{"product": {}}']), "no product.attributes object"),
        (lambda s: s["prices"].update(Surprise=1), "prices: Surprise: unknown member"),
    ],
)
def test_scenarios_aws_could_not_answer_are_refused(change, message) -> None:
    with pytest.raises(ScenarioError) as refused:
        load_scenario(broken(change))
    assert message in str(refused.value)
