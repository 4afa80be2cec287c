"""DynamoDB Local as the sandbox's DynamoDB engine (sandbox/dynamodb_local.py): what account scale costs.

For each JVM configuration, a fresh DynamoDB Local with the stack's table (keys, indexes, stream as
synthesized) takes 1,000 jobs x 4 states through the store adapter's own `save_report` (one
TransactWriteItems per state: the ~5 KB latest item and its history item), in two halves:
- states 1-2 (2,000 transactions) with nothing else: the engine's write cost;
- states 3-4 (2,000 more) with the table's stream read after every transaction, as the sandbox reads
  it after every invocation (sandbox/streams.py): the write cost plus the stream's.
Then 200 reads of a stream with nothing new (the cost the sandbox pays after an invocation that wrote
nothing), and the JVM's peak resident set (VmHWM of /proc/<pid>/status) after all 4,000 transactions.
Baseline in the same run: the JVM's defaults (no memory or compiler options).

    python -m bench.dynamodb_local
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from autopilot_reports.adapters import dynamodb_items as items
from autopilot_reports.adapters.dynamodb_store import DynamoDBReportStore
from autopilot_reports.constants import EXAMPLE_ACCOUNT_ID
from autopilot_reports.models.record import (
    Explainability,
    FeatureImportance,
    HistoryEntry,
    LeaderboardEntry,
    Objective,
    ReportRecord,
)
from bench import MB, Figure, finish, print_table, stack
from sandbox.dynamodb_local import JVM_OPTIONS, DynamoDBLocal
from sandbox.streams import StreamReader

JOBS = 1_000
STATES = (("InProgress", "Starting"), ("InProgress", "ModelTuning"), ("InProgress", "GeneratingExplainabilityReport"))
EMPTY_READS = 200
T0 = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
PEAK_BAR_MB = 512  # the sandbox's DynamoDB engine next to moto server and the handlers on a 2-core machine
C1_ONLY = "-XX:TieredStopAtLevel=1"
VARIANTS = (
    ("project", JVM_OPTIONS),
    ("project + C1 only", (*JVM_OPTIONS, C1_ONLY)),
    ("jvm-defaults", ()),
)


class CallTimer:
    """Seconds inside a client's calls (botocore, HTTP and the engine), apart from the Python that builds
    each record and its transaction."""

    def __init__(self, client: Any) -> None:
        self.seconds = 0.0
        self._started = 0.0
        client.meta.events.register("before-call", self._before)
        client.meta.events.register("after-call", self._after)

    def _before(self, **_: Any) -> None:
        self._started = time.perf_counter()

    def _after(self, **_: Any) -> None:
        self.seconds += time.perf_counter() - self._started


@dataclass
class Run:
    variant: str
    start_seconds: float
    write_seconds: float  # 2,000 transactions, no stream reads
    call_seconds: float  # of which inside TransactWriteItems calls
    write_and_read_seconds: float  # 2,000 transactions, the stream read after each
    records_read: int
    stream_calls: int
    empty_read_ms: float
    peak_rss_mb: float
    item_bytes: int


def record(job: int, state: int) -> ReportRecord:
    """A job at its `state`-th state (the last one terminal), padded to about 5 KB as a real report is:
    a leaderboard of 10 candidates and 10 top features."""
    name = f"bench-job-{job:05d}"
    status, secondary = STATES[state] if state < len(STATES) else ("Completed", "Completed")
    terminal = status == "Completed"
    return ReportRecord(
        job_name=name,
        job_arn=f"arn:aws:sagemaker:us-east-1:{EXAMPLE_ACCOUNT_ID}:automl-job/{name}",
        api="v1",
        status=status,
        secondary_status=secondary,
        objective=Objective(metric="validation:f1", type="Maximize", value=0.9),
        best_candidate=f"{name}-candidate-best",
        explainability=Explainability(
            state="available" if terminal else "pending",
            s3_prefix=f"s3://bench-bucket/{name}/explainability/",
            top_features=[FeatureImportance(feature=f"feature_{index:03d}", importance=0.1) for index in range(10)],
            feature_count=120,
            labels=["label0"],
        ),
        created_at=T0,
        ended_at=T0 + timedelta(minutes=40) if terminal else None,
        last_modified_at=T0 + timedelta(minutes=10 * state + 1),
        leaderboard=[
            LeaderboardEntry(
                candidate=f"{name}-candidate-{index:02d}-{'x' * 40}",
                objective=Objective(metric="validation:f1", type="Maximize", value=0.9 - index / 100),
                explainability_prefix=f"s3://bench-bucket/{name}/candidates/{index:02d}/explainability/",
                model_insights_prefix=f"s3://bench-bucket/{name}/candidates/{index:02d}/model-insights/",
            )
            for index in range(10)
        ],
    )


def item_bytes(rec: ReportRecord) -> int:
    return len(json.dumps(items.serialize(items.record_attributes(rec))).encode())


def save_states(store: DynamoDBReportStore, states: Sequence[int], reader: StreamReader | None) -> tuple[float, int]:
    started = time.perf_counter()
    records = 0
    for state in states:
        for job in range(JOBS):
            rec = record(job, state)
            store.save_report(rec, HistoryEntry.of(rec, "schedule"), claim_notification=False)
            if reader is not None:
                records += len(reader.read())
    return time.perf_counter() - started, records


def measure_variant(variant: str, options: tuple[str, ...]) -> Run:
    started = time.perf_counter()
    with DynamoDBLocal(jvm_options=options) as engine:
        start_seconds = time.perf_counter() - started
        dynamodb = engine.dynamodb_client()
        table = stack().tables[0].create_table_params()
        dynamodb.create_table(**table)
        store = DynamoDBReportStore(table["TableName"], dynamodb=dynamodb)
        reader = StreamReader.for_table(dynamodb, engine.streams_client(), table["TableName"])
        reader.read()
        timer = CallTimer(dynamodb)
        write_seconds, _ = save_states(store, (0, 1), reader=None)
        call_seconds = timer.seconds
        reader.read()  # the first half's records: not part of the per-transaction reads
        calls_before = reader.calls
        write_and_read_seconds, records_read = save_states(store, (2, 3), reader=reader)
        stream_calls = reader.calls - calls_before
        empty_started = time.perf_counter()
        for _ in range(EMPTY_READS):
            assert reader.read() == []
        empty_read_ms = (time.perf_counter() - empty_started) * 1000 / EMPTY_READS
        peak = engine.peak_rss_bytes() or 0
    return Run(
        variant,
        start_seconds,
        write_seconds,
        call_seconds,
        write_and_read_seconds,
        records_read,
        stream_calls,
        empty_read_ms,
        peak / MB,
        item_bytes(record(0, 3)),
    )


def measure() -> list[Figure]:
    runs = [measure_variant(variant, options) for variant, options in VARIANTS]
    print_table(
        f"DynamoDB Local: {JOBS:,} jobs x 4 states (2 x {2 * JOBS:,} TransactWriteItems), item {runs[0].item_bytes:,} B",
        (
            "JVM",
            "start s",
            "2,000 tx s",
            "in calls s",
            "2,000 tx + reads s",
            "records read",
            "stream calls",
            "empty read ms",
            "peak RSS MiB",
        ),
        [
            (
                run.variant,
                run.start_seconds,
                run.write_seconds,
                run.call_seconds,
                run.write_and_read_seconds,
                run.records_read,
                run.stream_calls,
                run.empty_read_ms,
                run.peak_rss_mb,
            )
            for run in runs
        ],
    )
    project, defaults = runs[0], runs[-1]
    per_transaction_ms = project.write_seconds * 1000 / (2 * JOBS)
    read_ms = (project.write_and_read_seconds - project.write_seconds) * 1000 / (2 * JOBS)
    return [
        Figure(
            "dynamodb_local_peak_rss_mb_4000_transactions",
            project.peak_rss_mb,
            PEAK_BAR_MB,
            f"JVM defaults: {defaults.peak_rss_mb:.0f} MiB",
        ),
        Figure(
            "dynamodb_local_transaction_ms",
            per_transaction_ms,
            None,
            f"JVM defaults: {defaults.write_seconds * 1000 / (2 * JOBS):.2f}",
        ),
        Figure("dynamodb_local_stream_read_ms_per_transaction", read_ms, None, "records read after each transaction"),
        Figure("dynamodb_local_empty_stream_read_ms", project.empty_read_ms, None, "one GetRecords per open shard"),
        Figure("dynamodb_local_start_seconds", project.start_seconds, None, "until ListTables answers"),
    ]


def main() -> int:
    return finish("DynamoDB Local figures", measure())


if __name__ == "__main__":
    sys.exit(main())
