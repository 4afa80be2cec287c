"""What a scenario's jobs left in S3 before the run: every bucket the scenario's objects and jobs name, in
the account and region of the first job that names it (S3's bucket names are global, and a job's account
owns its output buckets), and the scenario's objects in them."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

from sandbox.place import Place
from sandbox.scenario import Scenario, ScenarioJob


def seed_objects(scenario: Scenario, s3_at: Callable[[Place], Any]) -> None:
    """Creates the buckets (each with the S3 client of its place) and puts the scenario's objects."""
    owners = bucket_places(scenario)
    for bucket, place in sorted(owners.items()):
        location: dict[str, Any] = {}
        if place.region != "us-east-1":  # the one region that takes no LocationConstraint
            location = {"CreateBucketConfiguration": {"LocationConstraint": place.region}}
        s3_at(place).create_bucket(Bucket=bucket, **location)
    for uri, value in scenario.objects.items():
        bucket, _, key = uri[len("s3://") :].partition("/")
        s3_at(owners[bucket]).put_object(Bucket=bucket, Key=key, Body=object_body(value))


def bucket_places(scenario: Scenario) -> dict[str, Place]:
    """Every bucket the scenario's objects and jobs name, and where it is: the place of the first job that
    names it (its output location or Explainability prefix), else the scenario's."""
    owners: dict[str, Place] = {}
    for job in scenario.jobs:
        for uri in job_uris(job):
            owners.setdefault(bucket_of(uri), scenario.place_of(job))
    for uri in scenario.objects:
        owners.setdefault(bucket_of(uri), scenario.place)
    return {bucket: place for bucket, place in owners.items() if bucket}


def job_uris(job: ScenarioJob) -> list[str]:
    uris = []
    for response in job.describe:
        uris.append(response.get("OutputDataConfig", {}).get("S3OutputPath", ""))
        best = response.get("BestCandidate") or {}
        locations = best.get("CandidateProperties", {}).get("CandidateArtifactLocations", {})
        uris.append(locations.get("Explainability", ""))
    return [uri for uri in uris if uri.startswith("s3://") and len(uri) > 5]


def bucket_of(uri: str) -> str:
    return uri[len("s3://") :].split("/", 1)[0]


def object_body(value: Any) -> bytes:
    """Scenario objects: any JSON value is stored as JSON; {"text": ...} and {"base64": ...} as raw bytes."""
    if isinstance(value, dict) and set(value) == {"text"} and isinstance(value["text"], str):
        return value["text"].encode("utf-8")
    if isinstance(value, dict) and set(value) == {"base64"} and isinstance(value["base64"], str):
        return base64.b64decode(value["base64"])
    return json.dumps(value).encode("utf-8")
