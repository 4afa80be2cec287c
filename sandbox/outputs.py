"""What a deployment's run leaves in its output folder (docs/design.md §6.5): records.jsonl (one latest record
per job), history.jsonl, events.jsonl (the events on its buses: those its functions published, and those
other deployments' rules put there), notifications.jsonl (one line per SNS publish) and summary.json
(calls, faults and crashes injected, invocations, failure queue depths, routes between deployments, and
how the pipeline kept up: amplification, event ages, EndTime -> notification delays)."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from autopilot_reports import constants as c
from autopilot_reports.adapters.dynamodb_items import KeyScope
from autopilot_reports.adapters.dynamodb_queries import ReportQueries
from autopilot_reports.models.place import JobRef
from autopilot_reports.models.record import ReportRecord
from sandbox.aws_hooks import Observer
from sandbox.lambda_runtime import Invocations
from sandbox.scenario import Scenario


@dataclass(frozen=True)
class WorldFacts:
    """What the world knows of the run, the same for each of its deployments."""

    ticks: int
    start: datetime
    end: datetime
    simulator_calls: Mapping[str, int]
    sagemaker_faults: int
    engine: str


@dataclass(frozen=True)
class DeploymentFacts:
    """What one deployment observed, and the jobs whose records it lists."""

    observer: Observer
    invocations: Mapping[str, Invocations]
    queue_depths: Mapping[str, int]  # queue logical id -> messages waiting
    duplicates_delivered: int
    # the reporter's logical id (None: a hub has none): its events over the distinct changes are the amplification
    reporter: str | None = None
    account: Mapping[str, Any] | None = None  # the Lambda account's figures, with a scenario's `lambda` block
    jobs: Sequence[JobRef] = ()
    events: Sequence[dict[str, Any]] = ()  # on its buses: published by its functions, put by other deployments
    routed: Mapping[str, int] = field(default_factory=dict)  # its routes to other deployments' buses
    refused: Mapping[str, int] = field(default_factory=dict)  # by its bus policies, per sending place


def write_outputs(
    out_dir: Path,
    scenario: Scenario,
    store: ReportQueries,
    deployment: DeploymentFacts,
    world: WorldFacts,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Writes every output file into `out_dir` and returns the summary (with `extra` keys, if any)."""
    asked = stored_jobs(deployment.jobs, store.scope)
    records = [record for record in (store.get_report(job.name, job.place) for job in asked) if record]
    # A hub's history lines name their job's place too: one name may run in several accounts.
    placed = store.scope is KeyScope.ORGANIZATION
    history = [
        entry.model_dump(mode="json") | (place_fields(job) if placed else {})
        for job in asked
        for entry in store.history(job.name, job.place)
    ]
    observer = deployment.observer
    write_jsonl(out_dir / "records.jsonl", [record.model_dump(mode="json") for record in records])
    write_jsonl(out_dir / "history.jsonl", history)
    write_jsonl(out_dir / "events.jsonl", list(deployment.events))
    write_jsonl(out_dir / "notifications.jsonl", observer.notifications)
    received = len(deployment.events) - len(observer.events)
    routes: dict[str, Any] = {"events_received": received} if received else {}
    routes |= {"routed": dict(deployment.routed)} if deployment.routed else {}
    routes |= {"refused_by_bus_policy": dict(deployment.refused)} if deployment.refused else {}
    summary = {
        "generated_at": datetime.now(UTC).isoformat(),
        "ticks": world.ticks,
        "jobs": len(deployment.jobs),
        "records": len(records),
        "history_items": len(history),
        "events_published": len(observer.events),
        "notifications": len(observer.notifications),
        "statuses": count_by(record.status for record in records),
        "explainability_states": count_by(record.explainability.state.value for record in records),
        "invocations": {name: vars(stats) for name, stats in deployment.invocations.items()},
        "queue_depths": dict(deployment.queue_depths),
        "aws_calls": dict(sorted(observer.calls.items())),
        "aws_calls_by_function": {
            function: dict(sorted(calls.items())) for function, calls in sorted(observer.calls_by_function.items())
        },
        "simulator_calls": dict(sorted(world.simulator_calls.items())),
        "faults_injected": {**dict(observer.faults), "sagemaker": world.sagemaker_faults},
        "crashes_injected": dict(sorted(observer.crashes.items())),
        "crashes_after_publish": observer.crashes_after_publish,
        "published_before_crash": observer.published_before_crash,
        "duplicates_delivered": deployment.duplicates_delivered,
        # accepted as AWS returns them (enums are open); botocore's model does not list them
        "unlisted_enum_values": scenario.unlisted_enum_values,
        "missing_required_members": scenario.missing_required_members,  # as AWS omits them
        "scenario_time": {"start": world.start.isoformat(), "end": world.end.isoformat()},
        "delivery": scenario.delivery.model_dump(),
        "dynamodb_engine": world.engine,
        **routes,
        **keeping_up(records, observer, deployment),
        **(extra or {}),
    }
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
    return summary


def stored_jobs(jobs: Sequence[JobRef], scope: KeyScope) -> list[JobRef]:
    """The jobs to read from a table of `scope`: each place's job in an organization's table; one per name in
    a table that keys by name alone (a name that runs at several places is its own place's job there)."""
    if scope is KeyScope.ORGANIZATION:
        return list(jobs)
    names = dict.fromkeys(job.name for job in jobs)
    return [JobRef(jobs[0].place, name) for name in names] if jobs else []


def place_fields(job: JobRef) -> dict[str, str]:
    return {"account_id": job.place.account, "region": job.place.region}


def keeping_up(records: Sequence[ReportRecord], observer: Observer, deployment: DeploymentFacts) -> dict[str, Any]:
    """How the pipeline kept up (docs/design.md §6.4 and §7, "Bursts"): `amplification`, the events the
    reporter was handed (every record of every batch, retries included) over the distinct state changes
    published; the oldest event any invocation was handed; the scenario-time delay from each terminal
    job's EndTime to its notification; and, with a scenario's `lambda` block, the account's figures."""
    changes = {
        (
            event["detail"]["AutoMLJobArn"],
            event["detail"]["LastModifiedTime"],
            event["detail"]["AutoMLJobStatus"],
            event["detail"]["AutoMLJobSecondaryStatus"],
        )
        for event in observer.events
        if event["detail-type"] == c.STATE_CHANGE_DETAIL_TYPE
    }
    handed = deployment.invocations.get(deployment.reporter) if deployment.reporter else None
    # by place and name: a hub's records and messages name jobs of one name in several accounts
    ended = {
        (record.account_id or "", record.region or "", record.job_name): record.ended_at
        for record in records
        if record.is_terminal and record.ended_at
    }
    delays = [
        (moment - ended[job]).total_seconds()
        for notification, moment in zip(observer.notifications, observer.notified_at, strict=True)
        if (job := _placed_name(notification["attributes"])) in ended
        and notification["attributes"].get("status") in c.TERMINAL_STATUSES
    ]
    ages = [stats.max_event_age_seconds for stats in deployment.invocations.values()]
    figures: dict[str, Any] = {
        "state_changes": len(changes),
        "amplification": round(handed.events / len(changes), 3) if handed and changes else None,
        "max_event_age_seconds": max(ages, default=0.0),
        "notify_delay_minutes": {
            "notifications": len(delays),
            "p50": percentile(delays, 50) / 60 if delays else None,
            "p99": percentile(delays, 99) / 60 if delays else None,
            "max": max(delays) / 60 if delays else None,
        },
    }
    if deployment.account is not None:
        figures["lambda"] = dict(deployment.account)
    return figures


def _placed_name(attributes: Mapping[str, str]) -> tuple[str, str, str]:
    return attributes.get("account_id", ""), attributes.get("region", ""), attributes.get("job_name", "")


def percentile(values: Sequence[float], rank: float) -> float:
    """The nearest-rank percentile: the smallest value with at least `rank` percent of them at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(rank / 100 * len(ordered)) - 1)]


def write_jsonl(path: Path, rows: list[Any]) -> None:
    with path.open("w") as handle:
        for row in rows:
            handle.write(json.dumps(row, sort_keys=True) + "\n")


def count_by(values: Iterable[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return dict(sorted(counts.items()))
