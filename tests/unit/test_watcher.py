from datetime import UTC, datetime, timedelta

import pytest

from autopilot_reports.domain.ports import EventPublishError
from autopilot_reports.domain.watcher import Watcher
from autopilot_reports.models.events import DetectedBy
from tests.fakes import FakeJobs, FakePublisher, FakeStore

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def summary(name, status="InProgress", secondary="Starting", minutes=0):
    return {
        "AutoMLJobName": name,
        "AutoMLJobArn": f"arn:aws:sagemaker:us-east-1:123456789012:automl-job/{name}",
        "AutoMLJobStatus": status,
        "AutoMLJobSecondaryStatus": secondary,
        "CreationTime": T0,
        "LastModifiedTime": T0 + timedelta(minutes=minutes),
    }


def make_watcher(summaries, prefix=""):
    return Watcher(
        jobs=FakeJobs(summaries=summaries),
        store=FakeStore(),
        publisher=FakePublisher(),
        overlap=timedelta(minutes=5),
        job_name_prefix=prefix,
    )


def test_first_tick_lists_everything_and_sets_the_watermark_from_sagemaker_times():
    watcher = make_watcher([summary("a", minutes=1), summary("b", minutes=3)])
    result = watcher.tick(DetectedBy.SCHEDULE)
    assert (result.listed, result.published) == (2, 2)
    assert watcher.jobs.list_calls[0][0] is None
    assert watcher.store.watermark == T0 + timedelta(minutes=3)
    event = watcher.publisher.published[0]
    assert event.DetectedBy is DetectedBy.SCHEDULE and event.PreviousStatus is None


def test_next_tick_lists_from_watermark_minus_overlap_and_skips_known_states():
    watcher = make_watcher([summary("a", minutes=1)])
    watcher.tick(DetectedBy.SCHEDULE)
    # the reporter recorded "a" as listed
    from autopilot_reports.domain.description import describe_job
    from autopilot_reports.domain.reporter import build_record
    from autopilot_reports.models.record import Explainability, HistoryEntry

    job = describe_job("v1", {**summary("a", minutes=1), "CreationTime": T0})
    record = build_record(job, Explainability(state="pending"), None)
    watcher.store.save_report(record, HistoryEntry.of(record, None), claim_notification=False)

    result = watcher.tick(DetectedBy.SCHEDULE)
    assert watcher.jobs.list_calls[1][0] == T0 + timedelta(minutes=1) - timedelta(minutes=5)
    assert result.published == 0

    watcher.jobs.summaries = [summary("a", "InProgress", "ModelTuning", minutes=7)]
    watcher.tick(DetectedBy.CLOUDTRAIL)
    change = watcher.publisher.published[-1]
    assert (change.PreviousStatus, change.PreviousSecondaryStatus) == ("InProgress", "Starting")
    assert change.AutoMLJobSecondaryStatus == "ModelTuning"
    assert change.DetectedBy is DetectedBy.CLOUDTRAIL


def test_watermark_stays_when_publishing_fails():
    watcher = make_watcher([summary("a", minutes=1)])
    watcher.publisher.fail = True
    with pytest.raises(EventPublishError):
        watcher.tick(DetectedBy.SCHEDULE)
    assert watcher.store.watermark is None


def test_backfill_leaves_the_watermark_and_can_force():
    watcher = make_watcher([summary("a", minutes=1), summary("b", minutes=90)])
    watcher.store.watermark = T0 + timedelta(days=1)
    result = watcher.backfill(T0, T0 + timedelta(hours=1), force=True)
    assert (result.listed, result.published) == (1, 1)
    assert watcher.publisher.published[0].DetectedBy is DetectedBy.BACKFILL
    assert watcher.store.watermark == T0 + timedelta(days=1)


def test_prefix_filter_is_a_prefix_not_a_substring():
    watcher = make_watcher([summary("team-a-1"), summary("x-team-a-2")], prefix="team-a")
    watcher.tick(DetectedBy.SCHEDULE)
    assert [event.AutoMLJobName for event in watcher.publisher.published] == ["team-a-1"]


def test_a_listing_older_than_the_record_is_not_news():
    from autopilot_reports.domain.ports import KnownState
    from autopilot_reports.domain.watcher import is_news
    from autopilot_reports.models.common import epoch_ms

    known = KnownState("Completed", "Completed", epoch_ms(T0 + timedelta(minutes=10)))
    assert not is_news(summary("a", "InProgress", "ModelTuning", minutes=5), known)
    assert not is_news(summary("a", "Completed", "Completed", minutes=10), known)
    assert is_news(summary("a", "Completed", "ExplainabilityError", minutes=10), known)
    assert is_news(summary("a", "Completed", "Completed", minutes=11), known)
    assert is_news(summary("a"), None)
