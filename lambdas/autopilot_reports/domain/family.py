"""A job's family (the pipeline that runs it again and again) and whether it beat the family's best.

The family comes from the job name by the stack's `jobFamilyPattern`, a regex whose first group is the
family; the default drops trailing `-<digits>` groups (`churn-2025-06-01` and `churn-2025-06-08` are
`churn`, `automl-churn-03-17-50-14` is `automl-churn`, `churn-h1` stays `churn-h1`).

The family's best lives in the table and is updated inside the reporter's one transaction, conditional
on the standing best the reporter believed in (the watcher looked it up with the job's state, in the
same BatchGetItem): no extra call on the hot path, and a race with another job of the family is seen
and judged again (docs/design.md §2.5 and §4, `new_best_in_family`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from autopilot_reports import constants as c
from autopilot_reports.domain.objective import MAXIMIZE
from autopilot_reports.models.record import FamilyBest, ReportRecord


@lru_cache(maxsize=8)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def family_of(job_name: str, pattern: str = c.DEFAULT_JOB_FAMILY_PATTERN) -> str:
    """The first group of `pattern` matched against the name; the whole name where it does not match."""
    match = _compiled(pattern).match(job_name)
    family = match.group(1) if match and match.groups() else None
    return family or job_name


@dataclass(frozen=True)
class FamilyStanding:
    """What the table holds for a family: its best Completed job so far (None: no job yet), on which
    metric and in which direction it was judged."""

    family: str
    best: FamilyBest | None = None
    metric: str | None = None
    direction: str | None = None


@dataclass(frozen=True)
class FamilyUpdate:
    """What the report's transaction does to the family item: expect `expected` to be the standing best
    (else the commit is cancelled and judged again), install `becomes_best`, count the job once."""

    family: str
    expected: FamilyBest | None
    becomes_best: FamilyBest | None
    metric: str | None
    direction: str | None
    count_job: bool
    keep_verdict: bool = False  # the job is the family's best already: its verdict was given once, keep it


class FamilyChangedError(Exception):
    """The family's best was not what the report expected: judge again against `standing`."""

    def __init__(self, standing: FamilyStanding) -> None:
        super().__init__(f"family {standing.family} changed its best")
        self.standing = standing


def judge(record: ReportRecord, standing: FamilyStanding, count_job: bool) -> tuple[ReportRecord, FamilyUpdate]:
    """The record with `new_best_in_family` and `previous_best`, and the family update that makes it true.

    A Completed job with an objective value in a known direction that is strictly better than the
    standing best (same metric, same direction) becomes the best: `true` and the best it beat. The first
    of a family becomes the best too, but beats nobody: `false` and null. Every other job leaves the best
    standing: `false` and the standing best."""
    objective = record.objective
    metric = (objective.standard_metric or objective.metric) if objective else None
    scorable = (
        record.status == c.COMPLETED
        and objective is not None
        and objective.value is not None
        and objective.direction is not None
    )
    best = standing.best
    if best is not None and best.job_name == record.job_name:  # a later write of the best job itself
        same = FamilyUpdate(record.family, best, None, standing.metric, standing.direction, count_job, True)
        return record, same
    becomes_best: FamilyBest | None = None
    new_best = False
    if scorable and objective is not None and objective.value is not None:
        candidate = FamilyBest(job_name=record.job_name, value=objective.value)
        if best is None:
            becomes_best = candidate
        elif _comparable(standing, metric, objective.direction):
            higher = objective.direction == MAXIMIZE
            if (objective.value > best.value) if higher else (objective.value < best.value):
                becomes_best, new_best = candidate, True
    judged = record.model_copy(update={"new_best_in_family": new_best, "previous_best": best})
    update = FamilyUpdate(
        family=record.family,
        expected=best,
        becomes_best=becomes_best,
        metric=metric if becomes_best else standing.metric,
        direction=objective.direction if becomes_best and objective else standing.direction,
        count_job=count_job,
    )
    return judged, update


def _comparable(standing: FamilyStanding, metric: str | None, direction: str | None) -> bool:
    """Only a best judged on the same metric, in the same direction, can be beaten (a family that changes
    its objective keeps its old best, and says so by never marking a new one)."""
    return standing.metric in (None, metric) and standing.direction in (None, direction)
