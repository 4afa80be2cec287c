"""A scenario's `prices`: one GetProducts answer of the Price List Query API, in the API's own shape
(`FormatVersion`, `PriceList` entries as JSON strings), for SageMaker's ML Instance products.

SYNTHETIC, and built to be read as such: no verbatim SageMaker PriceList entry was found in licensed
public code. Where each part comes from:
- the entry's layout (`product{productFamily, attributes, sku}`, `serviceCode`, `terms.OnDemand.<sku>.<offer
  term>{priceDimensions.<rate code>{unit, endRange, description, appliesTo, rateCode, beginRange,
  pricePerUnit{USD}}, sku, effectiveDate, offerTermCode, termAttributes}`, `version`, `publicationDate`):
  botocore 1.44.8's own GetProducts example (`botocore/data/pricing/2017-10-15/examples-1.json`,
  Apache-2.0; an EC2 product);
- the attribute names of an ML Instance product (`component`, `computeType`, `currentGeneration`,
  `instanceName`, `instanceType`, `location`, `locationType`, `memory`, `operation`, `platoinstancename`,
  `platoinstancetype`, `processorArchitecture`, `regionCode`, `servicecode`, `servicename`, `usagetype`,
  `vCpu`): cdklabs/cdk-proserve-lib @ 8b4c05e, `utilities/generators/lib/sagemaker-notebook-instance-type.ts`
  (Apache-2.0), which lists the attributes "that come directly from the pricing API";
- their values' forms: `instanceName` the plain type and `instanceType` the type with the usage as a
  suffix, `platoinstancetype` values (`Training`, `Processing`, `BatchTransform`, `Hosting`), usage types
  `USE1-Train:`, `USE1-Processing:`, `USE1-Tsform:`, `USE1-Host:` and locationType `AWS Region`:
  vantage-sh/ec2instances.info (MIT), its SageMaker scrapers;
- the prices themselves are invented: they are not AWS's.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from testsupport.scenarios.jobs import Doc, short_hash

OFFER_TERM = "JRTCKXETXF"  # the on-demand offer term code of botocore's example
RATE_CODE = "6YS6EN2CT7"
PUBLISHED = "2026-01-15T00:00:00Z"
LOCATIONS = {"us-east-1": ("US East (N. Virginia)", "USE1"), "eu-west-1": ("EU (Ireland)", "EU")}
USAGE_TYPES = {"Training": "Train", "Processing": "Processing", "BatchTransform": "Tsform", "Hosting": "Host"}
SHAPES = {  # vCPU, memory: the instance families' published sizes
    "ml.m5.xlarge": ("4", "16 GiB"),
    "ml.m5.2xlarge": ("8", "32 GiB"),
    "ml.m5.4xlarge": ("16", "64 GiB"),
    "ml.c5.2xlarge": ("8", "16 GiB"),
}


@dataclass(frozen=True)
class Rate:
    """An invented on-demand hourly price of one instance type for one usage in one region."""

    region: str
    instance_type: str
    usage: str  # a platoinstancetype: Training, Processing, BatchTransform, Hosting
    usd_per_hour: str  # as the API writes it: "0.9220000000"


def price_entry(rate: Rate) -> str:
    """One PriceList entry (a JSON string, as the API returns each)."""
    location, prefix = LOCATIONS[rate.region]
    sku = short_hash(rate.region, rate.instance_type, rate.usage, n=16).upper()
    vcpu, memory = SHAPES[rate.instance_type]
    usagetype = f"{prefix}-{USAGE_TYPES[rate.usage]}:{rate.instance_type}"
    dimension = {
        "unit": "Hrs",
        "endRange": "Inf",
        "description": f"${float(rate.usd_per_hour):.3f} per {rate.instance_type} {rate.usage} instance hour "
        f"(sandbox price, invented) in {location}",
        "appliesTo": [],
        "rateCode": f"{sku}.{OFFER_TERM}.{RATE_CODE}",
        "beginRange": "0",
        "pricePerUnit": {"USD": rate.usd_per_hour},
    }
    entry = {
        "product": {
            "productFamily": "ML Instance",
            "attributes": {
                "component": rate.usage,
                "computeType": "CPU",
                "currentGeneration": "Yes",
                "instanceName": rate.instance_type,
                "instanceType": f"{rate.instance_type}-{rate.usage}",
                "location": location,
                "locationType": "AWS Region",
                "memory": memory,
                "operation": "RunInstance",
                "platoinstancename": rate.instance_type,
                "platoinstancetype": rate.usage,
                "processorArchitecture": "Intel x86_64",
                "regionCode": rate.region,
                "servicecode": "AmazonSageMaker",
                "servicename": "Amazon SageMaker",
                "usagetype": usagetype,
                "vCpu": vcpu,
            },
            "sku": sku,
        },
        "serviceCode": "AmazonSageMaker",
        "terms": {
            "OnDemand": {
                f"{sku}.{OFFER_TERM}": {
                    "priceDimensions": {f"{sku}.{OFFER_TERM}.{RATE_CODE}": dimension},
                    "sku": sku,
                    "effectiveDate": "2026-01-01T00:00:00Z",
                    "offerTermCode": OFFER_TERM,
                    "termAttributes": {},
                }
            }
        },
        "version": "20260115000000",
        "publicationDate": PUBLISHED,
    }
    return json.dumps(entry, separators=(",", ":"))


def price_list(rates: Sequence[Rate]) -> Doc:
    """The scenario's `prices`: one GetProducts response holding every rate."""
    return {"FormatVersion": "aws_v1", "PriceList": [price_entry(rate) for rate in rates]}


def hourly(prices: Doc, region: str, instance_type: str, usage: str) -> float | None:
    """The oracle's reading of a price (testsupport/scenarios/expectation.py): the USD hourly rate of the
    entry for this region, type and usage, or None."""
    for text in prices["PriceList"]:
        entry = json.loads(text)
        attributes = entry["product"]["attributes"]
        if (attributes["regionCode"], attributes["instanceName"], attributes["platoinstancetype"]) == (
            region,
            instance_type,
            usage,
        ):
            (term,) = entry["terms"]["OnDemand"].values()
            (dimension,) = term["priceDimensions"].values()
            return float(dimension["pricePerUnit"]["USD"])
    return None
