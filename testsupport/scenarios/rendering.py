"""A `ScenarioPlan` as the simulator's input (the scenario file of docs/design.md §6.2), and JSON as the
repository keeps it: indented one space per level, any value that fits its line on one line (or compact)."""

from __future__ import annotations

import json
from collections.abc import Iterable

from testsupport.scenarios.clock import iso
from testsupport.scenarios.jobs import ACCOUNT, REGION, Doc, Job
from testsupport.scenarios.plan import ScenarioPlan


def scenario_document(plan: ScenarioPlan) -> Doc:
    """The scenario file: only what the plan sets beyond the defaults the sandbox assumes."""
    document: Doc = {
        "region": REGION,
        "jobs": [job_entry(job) for job in plan.jobs],
        "objects": dict(sorted(plan.objects.items())),
        "delivery": plan.delivery,
    }
    if plan.deployed_at is not None:
        document["deployed_at"] = iso(plan.deployed_at)
    if plan.backfills:
        document["backfills"] = [{"tick": b.tick, "start": iso(b.start), "end": iso(b.end)} for b in plan.backfills]
    if plan.digests:
        document["digests"] = [{"tick": tick} for tick in plan.digests]
    if plan.prices is not None:
        document["prices"] = plan.prices
    if plan.hub is not None:
        hub = plan.hub
        document["hub"] = {"account": hub.account, "region": hub.region}
        if hub.silent:
            silent = [{"account": s.account, "region": s.region, "from_tick": s.tick} for s in hub.silent]
            document["hub"]["silent"] = silent
    if plan.lambda_quotas is not None:
        document["lambda"] = plan.lambda_quotas
    return document


def job_entry(job: Job) -> Doc:
    """One entry of the file's `jobs`: the job's Describe responses, its candidates and its child jobs, and
    where it runs when that is not the scenario's place."""
    entry: Doc = {"api": job.api, "describe": job.describe(), "candidates": job.candidates()}
    if job.children:
        entry["children"] = job.children
    if job.account != ACCOUNT:
        entry["account"] = job.account
    if job.region != REGION:
        entry["region"] = job.region
    return entry


def render(document: Doc, compact: bool = False) -> str:
    """The file's text, ending in a newline."""
    if compact:
        return json.dumps(document, separators=(",", ":")) + "\n"
    return _pretty(document, 0, 0) + "\n"


def _pretty(value: object, depth: int, column: int, width: int = 118) -> str:
    """JSON indented one space per level, keeping any value that fits the line on one line."""
    flat = json.dumps(value, separators=(", ", ": "))
    if not isinstance(value, dict | list) or not value or column + len(flat) <= width:
        return flat
    pad = " " * (depth + 1)
    items: Iterable[str]
    if isinstance(value, dict):
        items = []
        for key, item in value.items():
            head = f"{pad}{json.dumps(key)}: "
            items.append(head + _pretty(item, depth + 1, len(head), width))
    else:
        items = [pad + _pretty(item, depth + 1, len(pad), width) for item in value]
    brackets = "[]" if isinstance(value, list) else "{}"
    return brackets[0] + "\n" + ",\n".join(items) + "\n" + " " * depth + brackets[1]
