"""Properties of one job's events under any interleaving, duplication and crash (docs/design.md §5).

A generated scenario is a job timeline (2-6 observable states, SageMaker's LastModifiedTime and the
lifecycle rank strictly increasing, ending terminal or not, possibly with partial failures), the
deliveries of its state-change events (each state's event 1-3 times), the moment each reporter
invocation looks at SageMaker (never before the state it was told about: SageMaker's "now" only moves
forward), the order in which the invocations commit, and crash points:

- a reporter invocation dies right after its commit (save_report) and is retried: the retry looks at
  SageMaker again, no earlier than the first attempt, and commits after it;
- the notifier dies right after a successful Publish: the stream delivers the same claim again.

With `slow_commits` off, invocations commit in the order they looked ("now" advances through the
deliveries); with it on, a slow invocation may commit after ones that looked later (a stale write).

Properties: the final record is the record of the last state, whatever the pattern; history holds exactly
one item per observed state that was newer than everything committed before it (with in-order commits:
one per distinct observed state); a terminal job that ended at or after the watch start is notified at
least once and at most once plus the notifier's crashes after a Publish; nothing is notified for a
timeline that does not end, or for a job that ended before the watch started.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from autopilot_reports.domain.notifier import NotificationSender
from autopilot_reports.domain.reporter import Reporter
from autopilot_reports.models.common import iso_utc
from autopilot_reports.models.record import ReportRecord, state_rank
from testsupport.fakes import FakeArtifacts, FakeJobs, FakeNotifier, FakeStore, job_ref

JOB = "prop-job"
ARN = f"arn:aws:sagemaker:us-east-1:123456789012:automl-job/{JOB}"
PREFIX = f"s3://bucket/{JOB}/explainability"
CREATED = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
CLAIM_TIME = datetime(2025, 6, 1, tzinfo=UTC)
ANALYSIS = b'{"explanations": {"kernel_shap": {"label0": {"global_shap_values": {"a": 0.5, "b": 0.25}}}}}'

RUNNING = [
    ("InProgress", "Starting"),
    ("InProgress", "AnalyzingData"),
    ("InProgress", "FeatureEngineering"),
    ("InProgress", "ModelTuning"),
    ("InProgress", "GeneratingExplainabilityReport"),
    ("InProgress", "GeneratingModelInsightsReport"),
    ("Stopping", "Stopping"),
]
TERMINAL = [
    ("Completed", "Completed"),
    ("Completed", "MaxCandidatesReached"),
    ("Completed", "ExplainabilityError"),
    ("Failed", "Failed"),
    ("Stopped", "Stopped"),
]


@dataclass(frozen=True)
class State:
    status: str
    secondary: str
    modified: datetime
    partial_failures: tuple[str, ...]

    @property
    def terminal(self) -> bool:
        return self.status in ("Completed", "Failed", "Stopped")

    def describe(self) -> dict[str, Any]:
        response: dict[str, Any] = {
            "AutoMLJobName": JOB,
            "AutoMLJobArn": ARN,
            "AutoMLJobStatus": self.status,
            "AutoMLJobSecondaryStatus": self.secondary,
            "CreationTime": iso_utc(CREATED),
            "LastModifiedTime": iso_utc(self.modified),
            "ResolvedAttributes": {"ProblemType": "BinaryClassification", "AutoMLJobObjective": {"MetricName": "F1"}},
        }
        if self.partial_failures:
            response["PartialFailureReasons"] = [{"PartialFailureMessage": m} for m in self.partial_failures]
        if self.terminal:
            response["EndTime"] = iso_utc(self.modified)
        if self.status == "Failed":
            response["FailureReason"] = "ClientError: the target column has one value"
        if self.status == "Completed":
            response["BestCandidate"] = {
                "CandidateName": f"{JOB}-best",
                "CandidateStatus": "Completed",
                "FinalAutoMLJobObjectiveMetric": {"MetricName": "F1", "Type": "Maximize", "Value": 0.9},
                "CandidateProperties": {"CandidateArtifactLocations": {"Explainability": PREFIX}},
            }
        return response

    def key(self) -> str:
        """FakeStore's history key for this state."""
        return f"{self.modified}#{self.status}#{self.secondary}"


@st.composite
def timelines(draw: st.DrawFn) -> list[State]:
    """2-6 states in lifecycle order: LastModifiedTime never goes back, and a tie only with a later rank
    (SageMaker bumps LastModifiedTime on every change; a tie must still order)."""
    size = draw(st.integers(2, 6))
    ends_terminal = draw(st.booleans())
    running = draw(st.lists(st.sampled_from(RUNNING), min_size=size - 1, max_size=size - 1))
    running.sort(key=lambda pair: state_rank(*pair))
    last = draw(st.sampled_from(TERMINAL if ends_terminal else RUNNING))
    pairs = [*running, last]
    states: list[State] = []
    moment = CREATED
    for index, (status, secondary) in enumerate(pairs):
        gap = draw(st.integers(0, 3))  # minutes; 0 = same LastModifiedTime as the previous state
        previous = pairs[index - 1] if index else None
        if previous is None or gap == 0 and state_rank(status, secondary) <= state_rank(*previous):
            gap = max(gap, 1)
        moment += timedelta(minutes=gap)
        failures = draw(st.lists(st.sampled_from(["candidate 3 ran out of memory", "disk full"]), max_size=2))
        states.append(State(status, secondary, moment, tuple(failures)))
    return states


@dataclass(frozen=True)
class Attempt:
    delivery: int  # which delivered copy of an event
    attempt: int  # 0 = first invocation, then the retries after a crash
    looks_at: int  # index of the state SageMaker answers with when this attempt describes the job
    crashes: bool  # dies right after its commit (the trigger retries it)


@dataclass(frozen=True)
class Scenario:
    timeline: list[State]
    watch: str  # "before" the job, "during" it, or "after" it ended
    attempts: list[Attempt]  # in commit order
    slow_commits: bool
    publish_crashes: list[int]  # per claim delivered to the notifier: deaths right after a Publish

    @property
    def watch_start(self) -> datetime:
        if self.watch == "before":
            return CREATED - timedelta(days=1)
        if self.watch == "during":
            return CREATED + (self.timeline[-1].modified - CREATED) / 2
        return self.timeline[-1].modified + timedelta(minutes=1)


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    timeline = draw(timelines())
    last = len(timeline) - 1
    attempts: list[Attempt] = []
    delivery = 0
    for state in range(len(timeline)):
        for _ in range(draw(st.integers(1, 3))):
            looks_at = draw(st.integers(state, last))
            crashes = draw(st.sampled_from((0, 0, 0, 0, 1, 2)))  # most invocations do not crash
            for attempt in range(crashes + 1):
                attempts.append(Attempt(delivery, attempt, looks_at, crashes=attempt < crashes))
                looks_at = draw(st.integers(looks_at, last))  # a retry looks again, later
            delivery += 1
    order = draw(st.permutations(attempts))
    slow_commits = draw(st.booleans())
    if not slow_commits:
        order = sorted(order, key=lambda attempt: attempt.looks_at)  # stable: same moment, any order
    return Scenario(
        timeline=timeline,
        watch=draw(st.sampled_from(["before", "during", "after"])),
        attempts=_retries_after_their_first_attempt(order),
        slow_commits=slow_commits,
        publish_crashes=draw(st.lists(st.integers(0, 2), min_size=4, max_size=4)),
    )


def _retries_after_their_first_attempt(order: list[Attempt]) -> list[Attempt]:
    """Keeps the shuffled slots, but gives each delivery's slots to its attempts in attempt order (a
    retry commits after the attempt it retries; looks_at only grows, so a sorted order stays sorted)."""
    slots: dict[int, list[int]] = {}
    for position, attempt in enumerate(order):
        slots.setdefault(attempt.delivery, []).append(position)
    result: list[Attempt | None] = [None] * len(order)
    for delivery, positions in slots.items():
        mine = sorted((a for a in order if a.delivery == delivery), key=lambda a: a.attempt)
        for position, attempt in zip(positions, mine, strict=True):
            result[position] = attempt
    return [attempt for attempt in result if attempt is not None]


def reporter_for(jobs: FakeJobs, store: FakeStore) -> Reporter:
    return Reporter(
        jobs=jobs,
        artifacts=FakeArtifacts(objects={f"bucket/{JOB}/explainability/analysis.json": ANALYSIS}),
        store=store,
        top_features=10,
        analysis_max_bytes=1 << 20,
        notify_statuses=("Completed", "Failed", "Stopped"),
        leaderboard_size=3,
        clock=lambda: CLAIM_TIME,
    )


def record_of(state: State, watch_start: datetime) -> ReportRecord:
    """The record a single, undisturbed report of `state` gives."""
    jobs = FakeJobs(responses={JOB: ("v1", state.describe())})
    store = FakeStore(watch_start=watch_start)
    reporter_for(jobs, store).report(job_ref(JOB), "schedule")
    return store.records[JOB]


@settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(scenarios())
def test_any_interleaving_converges_and_notifies_once(scenario: Scenario) -> None:
    timeline = scenario.timeline
    jobs = FakeJobs()
    store = FakeStore(watch_start=scenario.watch_start)
    reporter = reporter_for(jobs, store)

    # The reporter: each attempt describes the job as SageMaker shows it at that moment, and commits.
    # An attempt that crashes after its commit has already written; its retry is a later attempt.
    for attempt in scenario.attempts:
        jobs.responses[JOB] = ("v1", timeline[attempt.looks_at].describe())
        reporter.report(job_ref(JOB), "schedule")

    # The notifier: every claim commit reaches it through the stream, again after each crash that
    # followed a successful Publish.
    notifier = FakeNotifier()
    sender = NotificationSender(notifier)
    crashes_after_publish = 0
    for index, claim in enumerate(store.claims):
        crashes = scenario.publish_crashes[index] if index < len(scenario.publish_crashes) else 0
        for _ in range(1 + crashes):
            sender.send(claim)
        crashes_after_publish += crashes

    last = timeline[-1]
    event(f"ends {last.status}, watch {scenario.watch}, slow commits {scenario.slow_commits}")
    event("a LastModifiedTime tie" if len({s.modified for s in timeline}) < len(timeline) else "no tie")
    event(f"reporter crashes after commit: {sum(a.crashes for a in scenario.attempts) > 0}")
    assert store.records[JOB] == record_of(last, scenario.watch_start)

    newest = -1
    expected_history = set()
    for attempt in scenario.attempts:
        if attempt.looks_at > newest:
            newest = attempt.looks_at
            expected_history.add(timeline[attempt.looks_at].key())
    assert {key for _, key in store.history} == expected_history
    assert store.writes == len(expected_history)  # each transition written once
    if not scenario.slow_commits:
        assert expected_history == {timeline[attempt.looks_at].key() for attempt in scenario.attempts}

    notify_worthy = last.terminal and last.modified >= scenario.watch_start
    if notify_worthy:
        assert len(store.claims) == 1
        assert 1 <= len(notifier.sent) <= 1 + crashes_after_publish
        assert {n.attributes["status"] for n in notifier.sent} == {last.status}
        assert store.records[JOB].notified_at == CLAIM_TIME
    else:
        assert (store.claims, notifier.sent) == ([], [])
        assert store.records[JOB].notified_at is None
