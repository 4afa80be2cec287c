"""What a deployment's run leaves in its output folder (docs/design.md §6.5): records.jsonl (one latest record
per job), history.jsonl, events.jsonl (the events on its buses: those its functions published, and those
other deployments' rules put there), notifications.jsonl (one line per SNS publish) and summary.json
(calls, faults and crashes injected, invocations, failure queue depths, routes between deployments)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from autopilot_reports.adapters.dynamodb_items import KeyScope
from autopilot_reports.adapters.dynamodb_queries import ReportQueries
from autopilot_reports.models.place import JobRef
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
    queue_depths: Mapping[str, int]  # failure queue logical id -> messages waiting
    duplicates_delivered: int
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
        "simulator_calls": dict(sorted(world.simulator_calls.items())),
        "faults_injected": {**dict(observer.faults), "sagemaker": world.sagemaker_faults},
        "crashes_injected": dict(sorted(observer.crashes.items())),
        "crashes_after_publish": observer.crashes_after_publish,
        "duplicates_delivered": deployment.duplicates_delivered,
        # accepted as AWS returns them (enums are open); botocore's model does not list them
        "unlisted_enum_values": scenario.unlisted_enum_values,
        "missing_required_members": scenario.missing_required_members,  # as AWS omits them
        "scenario_time": {"start": world.start.isoformat(), "end": world.end.isoformat()},
        "delivery": scenario.delivery.model_dump(),
        "dynamodb_engine": world.engine,
        **routes,
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


def write_jsonl(path: Path, rows: list[Any]) -> None:
    with path.open("w") as handle:
        for row in rows:
            handle.write(json.dumps(row, sort_keys=True) + "\n")


def count_by(values: Iterable[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return dict(sorted(counts.items()))
