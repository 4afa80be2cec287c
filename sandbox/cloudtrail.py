"""What CloudTrail sends for each CreateAutoMLJob(V2) call (c.CLOUDTRAIL_DETAIL_TYPE), onto the default bus
where the job runs: a nudge for the watchers there, at the tick the job appears."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from autopilot_reports import constants as c
from sandbox.place import Place
from sandbox.scenario import Scenario, ScenarioJob, parse_timestamp
from sandbox.timeline import Timeline

if TYPE_CHECKING:  # stubs are a dev dependency
    from mypy_boto3_events.type_defs import PutEventsRequestEntryTypeDef

PUT_EVENTS_LIMIT = 10  # entries per PutEvents request


def created_at_tick(
    scenario: Scenario, timeline: Timeline, tick: int, deployed_at: datetime
) -> dict[Place, list[ScenarioJob]]:
    """The jobs that appear at `tick`, by place. Jobs created before the stack was deployed were created
    before anything listened."""
    created: dict[Place, list[ScenarioJob]] = {}
    for job in scenario.jobs:
        if timeline.appears(scenario.ref(job)) == tick and job_created_at(job) >= deployed_at:
            created.setdefault(scenario.place_of(job), []).append(job)
    return created


def put_create_events(events: Any, jobs: Iterable[ScenarioJob], place: Place) -> None:
    """One event per call, as CloudTrail sends them; put ten at a time (PutEvents' maximum), in order."""
    entries = [cloudtrail_create_event(job, place) for job in jobs]
    for start in range(0, len(entries), PUT_EVENTS_LIMIT):
        events.put_events(Entries=entries[start : start + PUT_EVENTS_LIMIT])


def job_created_at(job: ScenarioJob) -> datetime:
    return parse_timestamp(job.describe[0]["CreationTime"])


def cloudtrail_create_event(job: ScenarioJob, place: Place) -> PutEventsRequestEntryTypeDef:
    """CloudTrail's event (c.CLOUDTRAIL_DETAIL_TYPE) of the job's CreateAutoMLJob(V2) call."""
    created_at = job_created_at(job)
    detail = {
        "eventTime": created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": c.SAGEMAKER_API_EVENT_SOURCE,
        "eventName": c.CREATE_AUTOML_JOB_V2 if job.api == "v2" else c.CREATE_AUTOML_JOB,
        "awsRegion": place.region,
        "requestParameters": {"autoMLJobName": job.name},
        "responseElements": {"autoMLJobArn": job.describe[0]["AutoMLJobArn"]},
    }
    return {
        "Time": created_at,  # the envelope's `time` is the call's, as CloudTrail's events have it
        "Source": c.SAGEMAKER_EVENT_SOURCE,
        "DetailType": c.CLOUDTRAIL_DETAIL_TYPE,
        "Detail": json.dumps(detail),
    }
