"""The builder: what a scenario is made of (docs/design.md §6.2), recorded as inputs, never what the pipeline
must make of them.

A `ScenarioPlan` is a set of `Job`s on one `Clock`, the S3 objects (Clarify's output under their
Explainability prefixes), the delivery settings, the deploy time, history imports and digests, and, for an
organization, its hub (`HubAt`: where, and which spokes go silent when); and, for
each job, what its Explainability prefix holds as far as the oracle needs it: a `ValidAnalysis`, from which
the oracle derives the record's `available` explainability, or the outcome the author states where only the
pipeline's own words could say it (`missing("empty")`, testsupport/scenarios/expectation.py).

`rendering.scenario_document(plan)` writes the plan as the simulator's input; `expectation.expectation(plan)`
derives what the pipeline must make of it.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeAlias

from sandbox.timeline import first_shown
from testsupport.scenarios.clarify import REPORTS, analysis_doc, clarify, shap_values
from testsupport.scenarios.clock import Clock
from testsupport.scenarios.jobs import Doc, Job, JobKey

DEFAULT_DELIVERY: Doc = {
    "duplicates": 0,
    "shuffle": False,
    "seed": 1,
    "faults": {"sagemaker": 0.0, "s3": 0.0, "dynamodb": 0.0, "sns": 0.0, "events": 0.0},
}


@dataclass(frozen=True)
class ValidAnalysis:
    """A valid analysis.json under the job's Explainability prefix, and the Clarify reports beside it."""

    doc: Doc
    reports: tuple[str, ...]


# What a job's Explainability prefix holds for the oracle: a valid analysis, or the outcome the author states.
ExplainabilityInput: TypeAlias = ValidAnalysis | Doc


@dataclass(frozen=True)
class BackfillAt:
    """A history import of the jobs created in [start, end), started at `tick`."""

    tick: int
    start: datetime
    end: datetime

    def covers(self, created: datetime) -> bool:
        return self.start <= created < self.end


@dataclass(frozen=True)
class SilentFrom:
    """The spoke at (account, region) sends its hub nothing from `tick` on."""

    account: str
    region: str
    tick: int


@dataclass
class HubAt:
    """The organization mode: the hub's place, and the spokes that go silent."""

    account: str
    region: str
    silent: list[SilentFrom] = field(default_factory=list)


@dataclass
class ScenarioPlan:
    """One scenario's inputs (see the module's docstring)."""

    name: str
    clock: Clock
    jobs: list[Job] = field(default_factory=list)
    objects: Doc = field(default_factory=dict)
    delivery: Doc = field(default_factory=lambda: copy.deepcopy(DEFAULT_DELIVERY))
    explainability: dict[JobKey, ExplainabilityInput] = field(default_factory=dict)  # by job
    deployed_at: datetime | None = None  # tick 0 (written to the file); None: the earliest CreationTime
    backfills: list[BackfillAt] = field(default_factory=list)
    digests: list[int] = field(default_factory=list)  # ticks at which the digest schedule fires
    prices: Doc | None = None  # one GetProducts answer (prices.py): what the jobs' child jobs are priced at
    hub: HubAt | None = None  # an organization: a hub, and a spoke where each job runs
    lambda_quotas: Doc | None = None  # the file's `lambda` block (concurrency, durations); None: all at once

    def add(self, job: Job, objects: Doc | None = None, explainability: ExplainabilityInput | None = None) -> Job:
        """Add a job (on the scenario's clock unless it has its own), the objects it brings, and what its
        Explainability prefix holds for the oracle (needed only where the plan's expectation is asked for)."""
        if job.clock is None:
            job.clock = self.clock
        self.jobs.append(job)
        self.objects.update(objects or {})
        if explainability is not None:
            self.explainability[job.key] = explainability
        return job

    def add_available(
        self,
        job: Job,
        doc: Doc,
        reports: Sequence[str] = REPORTS,
        folder: str | None = None,
        extra_objects: Doc | None = None,
    ) -> Job:
        """Add a job with a valid analysis.json (and its reports) under its Explainability prefix."""
        objects = clarify(job, doc, reports, folder) | (extra_objects or {})
        return self.add(job, objects, ValidAnalysis(doc, tuple(reports)))

    def add_features(
        self,
        job: Job,
        features: Sequence[str],
        expected_value: float | list[float] = 0.5,
        label: str = "label0",
        reports: Sequence[str] = REPORTS,
        folder: str | None = None,
        extra_sections: Doc | None = None,
    ) -> Job:
        """Add a job whose explainability is a one-label analysis.json with the given features."""
        doc = analysis_doc({label: shap_values(job.name, features)}, {label: expected_value})
        if extra_sections:
            doc["explanations"].update(extra_sections)
        return self.add_available(job, doc, reports, folder)

    def drop(self, names: set[str]) -> None:
        """Remove jobs, with what their Explainability prefixes hold and the objects under their prefixes."""
        prefixes = tuple(f"{job.job_prefix}/" for job in self.jobs if job.name in names)
        dropped = {job.key for job in self.jobs if job.name in names}
        self.jobs = [job for job in self.jobs if job.name not in names]
        self.explainability = {key: value for key, value in self.explainability.items() if key not in dropped}
        self.objects = {uri: value for uri, value in self.objects.items() if not uri.startswith(prefixes)}

    def backfill(self, tick: int, start: datetime, end: datetime) -> None:
        self.backfills.append(BackfillAt(tick, start, end))

    # When the sandbox shows what (sandbox/timeline.py): facts of the inputs, read by authors and the oracle.
    @property
    def start(self) -> datetime:
        """Scenario time at tick 0 (the watch start)."""
        if self.deployed_at is not None:
            return self.deployed_at
        return min(datetime.fromisoformat(job.describe()[0]["CreationTime"]) for job in self.jobs)

    def shown_ticks(self, job: Job) -> list[int]:
        """The tick at which the sandbox first shows each response of the job."""
        modified = [datetime.fromisoformat(response["LastModifiedTime"]) for response in job.describe()]
        return first_shown(modified, self.start, self.clock.tick_seconds)

    def places(self) -> list[tuple[str, str]]:
        """Every (account, region) a job runs at, in the order the jobs first name them."""
        return list(dict.fromkeys(job.place for job in self.jobs))

    @property
    def last_tick(self) -> int:
        """The last tick at which anything happens: a timeline's last response shown, an import, a digest."""
        timelines = max((self.shown_ticks(job)[-1] for job in self.jobs), default=0)
        return max([timelines, *(backfill.tick for backfill in self.backfills), *self.digests])
