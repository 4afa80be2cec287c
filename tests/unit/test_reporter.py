from datetime import UTC, datetime

import pytest

from autopilot_reports.domain.reporter import Outcome, Reporter
from tests.fakes import FakeArtifacts, FakeJobs, FakeNotifier, FakeStore

NOW = datetime(2030, 1, 1, tzinfo=UTC)


def response(status="Completed", secondary="Completed", modified="2025-01-01T01:00:00Z", partial=()):
    body = {
        "AutoMLJobName": "job",
        "AutoMLJobArn": "arn:aws:sagemaker:us-east-1:123456789012:automl-job/job",
        "AutoMLJobStatus": status,
        "AutoMLJobSecondaryStatus": secondary,
        "CreationTime": "2025-01-01T00:00:00Z",
        "LastModifiedTime": modified,
    }
    if partial:
        body["PartialFailureReasons"] = [{"PartialFailureMessage": message} for message in partial]
    return body


def make_reporter(jobs, notifier=None, store=None, notify_statuses=("Completed", "Failed", "Stopped")):
    return Reporter(
        jobs=jobs,
        artifacts=FakeArtifacts(),
        store=store or FakeStore(),
        notifier=notifier or FakeNotifier(),
        top_features=10,
        analysis_max_bytes=1 << 20,
        notify_statuses=notify_statuses,
        clock=lambda: NOW,
    )


def test_terminal_report_is_stored_and_notified_once_across_replays():
    jobs = FakeJobs(responses={"job": ("v1", response(partial=["disk full"]))})
    reporter = make_reporter(jobs)

    first = reporter.report("job", "schedule")
    replays = [reporter.report("job", "schedule") for _ in range(3)]

    assert first.outcome is Outcome.NOTIFIED
    assert [result.outcome for result in replays] == [Outcome.UNCHANGED] * 3
    assert len(reporter.notifier.sent) == 1
    sent = reporter.notifier.sent[0]
    assert sent.attributes["job_name"] == "job"
    assert sent.attributes["status"] == "Completed"
    assert sent.attributes["has_partial_failures"] == "true"
    assert reporter.store.records["job"].notified_at == NOW


def test_non_terminal_transition_is_written_without_notification():
    jobs = FakeJobs(responses={"job": ("v1", response("InProgress", "ModelTuning"))})
    reporter = make_reporter(jobs)
    assert reporter.report("job").outcome is Outcome.WRITTEN
    assert reporter.notifier.sent == []
    assert reporter.store.records["job"].explainability.state == "pending"


def test_older_state_never_overwrites_newer():
    jobs = FakeJobs(responses={"job": ("v1", response())})
    reporter = make_reporter(jobs)
    reporter.report("job")
    jobs.responses["job"] = ("v1", response("InProgress", "ModelTuning", modified="2025-01-01T00:30:00Z"))
    assert reporter.report("job").outcome is Outcome.UNCHANGED
    assert reporter.store.records["job"].status == "Completed"


def test_failed_publish_gives_the_claim_back_so_the_retry_notifies():
    jobs = FakeJobs(responses={"job": ("v1", response())})
    notifier = FakeNotifier(failures_left=1)
    reporter = make_reporter(jobs, notifier=notifier)

    with pytest.raises(ConnectionError):
        reporter.report("job")
    assert reporter.store.records["job"].notified_at is None

    assert reporter.report("job").outcome is Outcome.NOTIFIED
    assert len(notifier.sent) == 1


def test_statuses_outside_the_notify_list_are_stored_silently():
    jobs = FakeJobs(responses={"job": ("v1", response())})
    reporter = make_reporter(jobs, notify_statuses=("Failed",))
    assert reporter.report("job").outcome is Outcome.WRITTEN
    assert reporter.notifier.sent == []
    assert reporter.store.records["job"].notified_at is None


def test_terminal_job_changing_again_updates_the_record_without_a_second_notification():
    jobs = FakeJobs(responses={"job": ("v1", response())})
    reporter = make_reporter(jobs)
    reporter.report("job")
    jobs.responses["job"] = ("v1", response(secondary="ExplainabilityError", modified="2025-01-01T02:00:00Z"))
    assert reporter.report("job").outcome is Outcome.WRITTEN
    assert len(reporter.notifier.sent) == 1
    assert reporter.store.records["job"].secondary_status == "ExplainabilityError"
    assert reporter.store.records["job"].notified_at == NOW


def test_unknown_job_is_recorded_and_skipped():
    store = FakeStore()
    jobs = FakeJobs(responses={"job": ("v1", response("InProgress", "Starting"))})
    reporter = make_reporter(jobs, store=store)
    reporter.report("job")
    del jobs.responses["job"]

    result = reporter.report("job")

    assert result.outcome is Outcome.NOT_FOUND
    assert "Could not find AutoML job" in store.errors["job"]
    assert reporter.notifier.sent == []
