"""Time of a terminal report through the reporter handler against the same AWS calls made directly with
boto3 (docs/design.md §7, handler overhead: what the handler adds to the calls it cannot avoid).

A sandbox holds jobs that complete at tick 1 (best candidate, two more candidates, Clarify analysis.json);
the watcher's JOB_NAME_PREFIX is set so that it reports none of them, so every job is new to the table
when driven. Then, round by round (order alternating), one job's "AutoML Job State Change" goes through
the reporter handler (Powertools decorators, parsing, Describe, ListCandidates, ListObjectsV2, GetObject,
summary, one TransactWriteItems committing record + history + claim + the family's best; each job is the
first of its family), and another job's same five calls are made directly with boto3 clients of the same
session and configuration, against the same emulators: Describe, ListCandidates, ListObjectsV2, GetObject
(body read), TransactWriteItems with the same four items (built beforehand by the store's own
ReportTransaction, outside the clock). Medians of the rounds; one warm-up round first.

    python -m bench.reporter_time
"""

from __future__ import annotations

import json
import statistics
import sys
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3

from autopilot_reports import constants as c
from autopilot_reports.adapters.clients import CLIENT_CONFIG
from autopilot_reports.adapters.dynamodb_transaction import ReportTransaction
from autopilot_reports.domain.explainability import ANALYSIS_FILE, split_s3_uri
from autopilot_reports.domain.ports import Saved
from autopilot_reports.domain.reporter import Reporter
from autopilot_reports.domain.seal import Sealer
from autopilot_reports.domain.watcher import state_change
from autopilot_reports.models.events import DetectedBy
from autopilot_reports.models.place import JobRef
from autopilot_reports.settings import ReporterSettings, WatcherSettings
from bench import (
    PER_PROCESS_CALLS,
    REPORTER_HANDLER,
    WATCHER_HANDLER,
    Figure,
    completed_jobs_scenario,
    finish,
    print_table,
    template,
    with_environment,
)
from bench.driven import Driver, observed_run
from sandbox.artifacts import object_body
from sandbox.event_delivery import complete_envelope
from sandbox.place import DEFAULT_ACCOUNT
from sandbox.scenario import ScenarioJob
from testsupport.fakes import FakeArtifacts, FakeJobs, FakeSealKey, FakeStore

ROUNDS = 25
WARM_UP = 1
RATIO_BAR = 1.5
EXPECTED_CALLS = {
    "sagemaker.DescribeAutoMLJob": 1,
    "sagemaker.ListCandidatesForAutoMLJob": 1,
    "s3.ListObjectsV2": 1,
    "s3.GetObject": 1,
    "dynamodb.TransactWriteItems": 1,
}


@dataclass(frozen=True)
class RawReport:
    """The five calls of one terminal report, with every parameter decided beforehand."""

    job_name: str
    candidates: dict[str, Any]
    bucket: str
    prefix: str
    key: str
    transaction: Any  # TransactItems, as boto3 takes them


def state_change_event(describe: Mapping[str, Any], region: str) -> dict[str, Any]:
    """The "AutoML Job State Change" the watcher would publish for this state, as EventBridge delivers it."""
    change = state_change(describe, None, DetectedBy.SCHEDULE)
    return complete_envelope(
        {
            "id": str(uuid.uuid4()),
            "detail-type": c.STATE_CHANGE_DETAIL_TYPE,
            "source": c.EVENT_SOURCE,
            "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": region,
            "resources": [change.AutoMLJobArn],
            "detail": json.loads(change.model_dump_json()),
        }
    )


@dataclass
class SavingStore(FakeStore):
    """Keeps what each save_report was given."""

    saved: list[tuple[Any, ...]] = field(default_factory=list)

    def save_report(self, record: Any, history: Any, claim_notification: bool, family: Any = None) -> Saved:
        self.saved.append((record, history, claim_notification, family))
        return super().save_report(record, history, claim_notification, family)


def raw_report(
    job: ScenarioJob, objects: Mapping[str, Any], settings: ReporterSettings, table: str, now: datetime
) -> RawReport:
    """What the reporter would send for this job, built with the domain on in-memory fakes."""
    describe = job.describe[-1]
    bodies = {uri.removeprefix("s3://"): object_body(value) for uri, value in objects.items()}
    store = SavingStore(watch_start=datetime(2000, 1, 1, tzinfo=UTC))
    reporter = Reporter(
        jobs=FakeJobs(responses={job.name: (job.api, describe)}, candidates={job.name: job.candidates}),
        artifacts=FakeArtifacts(objects=bodies),
        store=store,
        top_features=settings.top_features,
        analysis_max_bytes=settings.analysis_max_bytes,
        notify_statuses=settings.notify_statuses,
        leaderboard_size=settings.leaderboard_size,
        clock=lambda: now,
    )
    record = reporter.report(JobRef.of_summary(describe)).record
    assert record is not None and record.notified_at is not None and record.explainability.s3_prefix
    # The very transaction the reporter's store sends (record, history, watch-start check, family best).
    saved, history, claim, family = store.saved[-1]
    # Sealed like the handler's (the same item size on the wire; the seal's computing stays the handler's).
    transaction = ReportTransaction(table, saved, history, claim, family, sealer=Sealer(FakeSealKey())).items
    bucket, prefix = split_s3_uri(record.explainability.s3_prefix)
    prefix = prefix.rstrip("/") + "/"
    candidates = {
        "AutoMLJobName": job.name,
        "StatusEquals": "Completed",
        "SortBy": "FinalObjectiveMetricValue",
        "SortOrder": "Descending",
        "MaxResults": settings.leaderboard_size,
    }
    return RawReport(job.name, candidates, bucket, prefix, prefix + ANALYSIS_FILE, transaction)


class RawCalls:
    """boto3 clients of the session the handlers use (same observer hooks, same configuration)."""

    def __init__(self, max_bytes: int) -> None:
        self.sagemaker = boto3.client("sagemaker", config=CLIENT_CONFIG)
        self.s3 = boto3.client("s3", config=CLIENT_CONFIG)
        self.dynamodb = boto3.client("dynamodb", config=CLIENT_CONFIG)
        self.max_bytes = max_bytes

    def report(self, raw: RawReport) -> float:
        started = time.perf_counter()
        self.sagemaker.describe_auto_ml_job(AutoMLJobName=raw.job_name)
        self.sagemaker.list_candidates_for_auto_ml_job(**raw.candidates)
        owner = {"ExpectedBucketOwner": DEFAULT_ACCOUNT}  # as the reporter's S3 calls
        self.s3.list_objects_v2(Bucket=raw.bucket, Prefix=raw.prefix, **owner)
        self.s3.get_object(Bucket=raw.bucket, Key=raw.key, Range=f"bytes=0-{self.max_bytes}", **owner)["Body"].read()
        self.dynamodb.transact_write_items(TransactItems=raw.transaction)
        return time.perf_counter() - started


@dataclass(frozen=True)
class Timings:
    handler: list[float]
    raw: list[float]

    @property
    def ratio(self) -> float:
        return statistics.median(self.handler) / statistics.median(self.raw)


def drive(driver: Driver) -> Timings:
    world, deployment = driver.world, driver.deployment
    function = driver.function(REPORTER_HANDLER)
    settings = ReporterSettings.from_env(function.environment)
    table = deployment.stack.tables[0].table_name
    jobs = world.scenario.jobs
    half = len(jobs) // 2
    through_handler, direct = jobs[:half], jobs[half:]
    raws = [raw_report(job, world.scenario.objects, settings, table, world.now()) for job in direct]
    calls = RawCalls(settings.analysis_max_bytes)
    handler_times, raw_times = [], []
    for index, (job, raw) in enumerate(zip(through_handler, raws, strict=True)):
        event = state_change_event(job.describe[-1], world.scenario.region)
        order = ("handler", "raw") if index % 2 == 0 else ("raw", "handler")
        times: dict[str, float] = {}
        for which in order:
            if which == "raw":
                times["raw"] = calls.report(raw)
                continue
            response, invocation, seconds = driver.invoke(REPORTER_HANDLER, event)
            per_report = {op: n for op, n in invocation.calls.items() if op not in PER_PROCESS_CALLS}
            if response.get("outcome") != "claimed" or per_report != EXPECTED_CALLS:
                raise RuntimeError(f"unexpected report of {job.name}: {response}, {dict(invocation.calls)}")
            times["handler"] = seconds
        if index >= WARM_UP:
            handler_times.append(times["handler"])
            raw_times.append(times["raw"])
    return Timings(handler_times, raw_times)


def measure() -> list[Figure]:
    # The watcher sees none of the jobs (NameContains), so each is new to the table when driven; each is
    # the first of its family, so its one transaction commits (the family's best is not there to move).
    source = with_environment(template(), WATCHER_HANDLER, {WatcherSettings.env_name("job_name_prefix"): "unwatched-"})
    scenario = completed_jobs_scenario(2 * (ROUNDS + WARM_UP), 2, prefix="timed", own_family=True)
    run = observed_run(scenario, source, drive=drive)
    timings: Timings = run.driven
    rows = [
        ("reporter handler", timings.handler),
        ("same 5 calls, boto3 directly", timings.raw),
    ]
    print_table(
        f"(c) One terminal report, {len(timings.handler)} rounds (+{WARM_UP} warm-up), interleaved, "
        f"moto server + simulator on 127.0.0.1",
        ("path", "median ms", "min ms", "max ms"),
        [(label, statistics.median(t) * 1000, min(t) * 1000, max(t) * 1000) for label, t in rows],
    )
    overhead = (statistics.median(timings.handler) - statistics.median(timings.raw)) * 1000
    print(f"handler overhead: {overhead:.1f} ms per terminal report; run {run.seconds:.1f} s")
    return [
        Figure(
            "reporter_vs_raw_calls_time_ratio",
            timings.ratio,
            RATIO_BAR,
            f"medians {statistics.median(timings.handler) * 1000:.1f} / {statistics.median(timings.raw) * 1000:.1f} ms",
        )
    ]


def main() -> int:
    return finish("Reporter time figures", measure())


if __name__ == "__main__":
    sys.exit(main())
