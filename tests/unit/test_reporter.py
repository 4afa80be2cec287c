from datetime import UTC, datetime

from autopilot_reports.domain.reporter import Outcome, Reporter
from testsupport.fakes import FakeArtifacts, FakeJobs, FakeStore, job_ref

NOW = datetime(2030, 1, 1, tzinfo=UTC)
WATCH_START = datetime(2025, 1, 1, tzinfo=UTC)


def response(status="Completed", secondary="Completed", modified="2025-01-01T01:00:00Z", partial=(), ended=None):
    body = {
        "AutoMLJobName": "job",
        "AutoMLJobArn": "arn:aws:sagemaker:us-east-1:123456789012:automl-job/job",
        "AutoMLJobStatus": status,
        "AutoMLJobSecondaryStatus": secondary,
        "CreationTime": "2025-01-01T00:00:00Z",
        "LastModifiedTime": modified,
        "AutoMLJobObjective": {"MetricName": "F1"},
    }
    if ended:
        body["EndTime"] = ended
    if partial:
        body["PartialFailureReasons"] = [{"PartialFailureMessage": message} for message in partial]
    return body


def candidate(name, value, status="Completed", direction="Maximize"):
    return {
        "CandidateName": name,
        "CandidateStatus": status,
        "FinalAutoMLJobObjectiveMetric": {"MetricName": "F1", "Value": value, "Type": direction},
        "CandidateProperties": {
            "CandidateArtifactLocations": {
                "Explainability": f"s3://bucket/{name}/explainability",
                "ModelInsights": f"s3://bucket/{name}/insights",
            }
        },
    }


def make_reporter(jobs, store=None, notify_statuses=("Completed", "Failed", "Stopped"), leaderboard_size=5):
    return Reporter(
        jobs=jobs,
        artifacts=FakeArtifacts(),
        store=store or FakeStore(watch_start=WATCH_START),
        top_features=10,
        analysis_max_bytes=1 << 20,
        notify_statuses=notify_statuses,
        leaderboard_size=leaderboard_size,
        clock=lambda: NOW,
    )


def test_terminal_report_is_committed_with_one_claim_across_replays():
    jobs = FakeJobs(responses={"job": ("v1", response(partial=["disk full"]))})
    reporter = make_reporter(jobs)

    first = reporter.report(job_ref("job"), "schedule")
    replays = [reporter.report(job_ref("job"), "schedule") for _ in range(3)]

    assert first.outcome is Outcome.CLAIMED
    assert [result.outcome for result in replays] == [Outcome.UNCHANGED] * 3
    assert [claim.job_name for claim in reporter.store.claims] == ["job"]
    assert reporter.store.records["job"].notified_at == NOW


def test_non_terminal_transition_is_written_without_a_claim_or_a_leaderboard():
    jobs = FakeJobs(responses={"job": ("v1", response("InProgress", "ModelTuning"))})
    reporter = make_reporter(jobs)
    assert reporter.report(job_ref("job")).outcome is Outcome.WRITTEN
    assert reporter.store.claims == []
    record = reporter.store.records["job"]
    assert record.explainability.state == "pending"
    assert record.leaderboard is None
    assert jobs.candidate_calls == 0


def test_older_state_never_overwrites_newer():
    jobs = FakeJobs(responses={"job": ("v1", response())})
    reporter = make_reporter(jobs)
    reporter.report(job_ref("job"))
    jobs.responses["job"] = ("v1", response("InProgress", "ModelTuning", modified="2025-01-01T00:30:00Z"))
    assert reporter.report(job_ref("job")).outcome is Outcome.UNCHANGED
    assert reporter.store.records["job"].status == "Completed"


def test_statuses_outside_the_notify_list_are_stored_silently():
    jobs = FakeJobs(responses={"job": ("v1", response())})
    reporter = make_reporter(jobs, notify_statuses=("Failed",))
    assert reporter.report(job_ref("job")).outcome is Outcome.WRITTEN
    assert reporter.store.claims == []
    assert reporter.store.records["job"].notified_at is None


def test_a_job_that_ended_before_the_watch_began_is_never_claimed():
    store = FakeStore(watch_start=datetime(2025, 6, 1, tzinfo=UTC))
    jobs = FakeJobs(responses={"job": ("v1", response(ended="2025-01-01T00:59:00Z"))})
    reporter = make_reporter(jobs, store=store)
    assert reporter.report(job_ref("job"), "backfill").outcome is Outcome.WRITTEN
    assert store.claims == [] and store.records["job"].notified_at is None


def test_a_job_running_at_the_watch_start_is_claimed_when_it_ends():
    store = FakeStore(watch_start=datetime(2025, 1, 1, 0, 30, tzinfo=UTC))
    jobs = FakeJobs(responses={"job": ("v1", response("InProgress", "ModelTuning", modified="2025-01-01T00:20:00Z"))})
    reporter = make_reporter(jobs, store=store)
    reporter.report(job_ref("job"), "backfill")
    jobs.responses["job"] = ("v1", response(ended="2025-01-01T00:59:00Z"))
    assert reporter.report(job_ref("job"), "schedule").outcome is Outcome.CLAIMED
    assert len(store.claims) == 1


def test_terminal_job_changing_again_updates_the_record_without_a_second_claim():
    jobs = FakeJobs(responses={"job": ("v1", response())})
    reporter = make_reporter(jobs)
    reporter.report(job_ref("job"))
    jobs.responses["job"] = ("v1", response(secondary="ExplainabilityError", modified="2025-01-01T02:00:00Z"))
    assert reporter.report(job_ref("job")).outcome is Outcome.WRITTEN
    assert len(reporter.store.claims) == 1
    assert reporter.store.records["job"].secondary_status == "ExplainabilityError"
    assert reporter.store.records["job"].notified_at == NOW


def test_unknown_job_is_recorded_and_skipped():
    store = FakeStore(watch_start=WATCH_START)
    jobs = FakeJobs(responses={"job": ("v1", response("InProgress", "Starting"))})
    reporter = make_reporter(jobs, store=store)
    reporter.report(job_ref("job"))
    del jobs.responses["job"]

    result = reporter.report(job_ref("job"))

    assert result.outcome is Outcome.NOT_FOUND
    assert "Could not find AutoML job" in store.errors["job"]
    assert store.claims == []


def test_leaderboard_is_best_first_completed_only_and_at_most_k():
    jobs = FakeJobs(
        responses={"job": ("v1", response())},
        candidates={
            "job": [
                candidate("c1", 0.71),
                candidate("c2", 0.93),
                candidate("c3", 0.99, status="Failed"),
                candidate("c4", 0.88),
                candidate("c5", 0.80),
            ]
        },
    )
    reporter = make_reporter(jobs, leaderboard_size=3)

    record = reporter.report(job_ref("job")).record

    assert [entry.candidate for entry in record.leaderboard] == ["c2", "c4", "c5"]
    assert record.leaderboard[0].objective.value == 0.93
    assert record.leaderboard[0].explainability_prefix == "s3://bucket/c2/explainability"
    assert record.leaderboard[0].model_insights_prefix == "s3://bucket/c2/insights"
    assert jobs.candidate_calls == 1


def test_leaderboard_of_a_minimized_objective_is_lowest_first():
    best = {
        "CandidateName": "c1",
        "FinalAutoMLJobObjectiveMetric": {"MetricName": "MSE", "Value": 3.0, "Type": "Minimize"},
    }
    body = {
        **response(),
        "BestCandidate": {
            **best,
            "CandidateStatus": "Completed",
            "CandidateSteps": [],
            "CreationTime": "2025-01-01T00:10:00Z",
            "LastModifiedTime": "2025-01-01T00:50:00Z",
        },
    }
    mse = [
        {
            **candidate(name, value),
            "FinalAutoMLJobObjectiveMetric": {"MetricName": "MSE", "Value": value, "Type": "Minimize"},
        }
        for name, value in (("c1", 3.0), ("c2", 1.5), ("c3", 9.0))
    ]
    jobs = FakeJobs(responses={"job": ("v1", body)}, candidates={"job": mse})
    record = make_reporter(jobs).report(job_ref("job")).record
    assert [entry.candidate for entry in record.leaderboard] == ["c2", "c1", "c3"]


def test_a_regression_job_of_2020_ranks_lowest_first_from_its_algorithm_metric_name():
    """Pre-2023 responses name the objective `validation:mse` and give no Type: the direction comes from
    the name, ListCandidates is asked Ascending, and the best candidate heads its own leaderboard."""

    def mse(name, value):
        return {
            **candidate(name, value),
            "FinalAutoMLJobObjectiveMetric": {"MetricName": "validation:mse", "Value": value},
        }

    body = {
        **response(),
        "BestCandidate": {
            **mse("best", 7.31),
            "CandidateSteps": [],
            "CreationTime": "2025-01-01T00:10:00Z",
            "LastModifiedTime": "2025-01-01T00:50:00Z",
        },
    }
    body.pop("AutoMLJobObjective")
    values = {"best": 7.31, "c1": 88.0, "c2": 61.2, "c3": 53.3, "c4": 41.7, "c5": 30.9, "c6": 12.5}
    jobs = FakeJobs(responses={"job": ("v1", body)}, candidates={"job": [mse(n, v) for n, v in values.items()]})
    record = make_reporter(jobs).report(job_ref("job")).record
    assert [entry.candidate for entry in record.leaderboard] == ["best", "c6", "c5", "c4", "c3"]
    assert jobs.last_descending is False
    assert record.objective.standard_metric == "MSE" and record.objective.direction == "Minimize"
    assert record.objective.metric == "validation:mse" and record.objective.type is None


def test_an_objective_nothing_decides_gets_no_leaderboard_and_says_so():
    body = response()
    body["AutoMLJobObjective"] = {"MetricName": "validation:house_score"}
    jobs = FakeJobs(responses={"job": ("v1", body)}, candidates={"job": [candidate("c1", 0.9)]})
    result = make_reporter(jobs).report(job_ref("job"))
    assert result.record.leaderboard == [] and jobs.candidate_calls == 0
    assert any("direction is unknown" in note and "house_score" in note for note in result.record.notes)


def test_size_zero_makes_no_call_and_an_empty_board():
    jobs = FakeJobs(responses={"job": ("v1", response())}, candidates={"job": [candidate("c1", 0.9)]})
    record = make_reporter(jobs, leaderboard_size=0).report(job_ref("job")).record
    assert record.leaderboard == []
    assert jobs.candidate_calls == 0


def test_a_permanent_leaderboard_error_leaves_an_empty_board_and_the_report_goes_out():
    jobs = FakeJobs(responses={"job": ("v2", response())}, candidates_error="ValidationException: no such job")
    result = make_reporter(jobs).report(job_ref("job"))
    assert result.outcome is Outcome.CLAIMED
    assert result.record.leaderboard == []
    assert "ValidationException" in result.leaderboard_error


def test_the_deployed_endpoint_is_recorded():
    jobs = FakeJobs(responses={"job": ("v1", {**response(), "ModelDeployResult": {"EndpointName": "churn-ep"}})})
    assert make_reporter(jobs).report(job_ref("job")).record.endpoint == "churn-ep"
