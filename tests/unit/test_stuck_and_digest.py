"""Stuck jobs (one alert per stall, found by one Query a tick) and the digest (what a period held)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from autopilot_reports.domain.description import describe_job
from autopilot_reports.domain.digest import Digester
from autopilot_reports.domain.family import FamilyStanding
from autopilot_reports.domain.notification import render_digest, render_stuck
from autopilot_reports.domain.notifier import Claim, claim_in
from autopilot_reports.domain.reporter import build_record
from autopilot_reports.domain.watcher import Watcher
from autopilot_reports.models.events import DetectedBy
from autopilot_reports.models.record import Explainability, FamilyBest, HistoryEntry
from testsupport.fakes import FakeJobs, FakePublisher, FakeStore

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
STUCK_AFTER = timedelta(minutes=240)


def response(name, status="InProgress", secondary="ModelTuning", modified=T0, **extra):
    return {
        "AutoMLJobName": name,
        "AutoMLJobArn": f"arn:aws:sagemaker:eu-west-1:123456789012:automl-job/{name}",
        "AutoMLJobStatus": status,
        "AutoMLJobSecondaryStatus": secondary,
        "CreationTime": T0 - timedelta(hours=1),
        "LastModifiedTime": modified,
        **extra,
    }


def store_record(store, item, **changes):
    record = build_record(describe_job("v1", item), Explainability(state="pending"), None, None)
    record = record.model_copy(update=changes)
    store.save_report(record, HistoryEntry.of(record, None), claim_notification=False)
    return record


class Clock:
    def __init__(self, moment):
        self.moment = moment

    def __call__(self):
        return self.moment


def watcher_for(store, clock):
    return Watcher(
        jobs=FakeJobs(summaries=[]),
        store=store,
        publisher=FakePublisher(),
        overlap=timedelta(minutes=5),
        stuck_after=STUCK_AFTER,
        clock=clock,
    )


def test_a_job_quiet_past_the_threshold_alerts_once_per_stall_and_again_after_it_moves():
    store = FakeStore(watch_start=T0 - timedelta(days=1))
    store_record(store, response("quiet"))
    clock = Clock(T0 + STUCK_AFTER - timedelta(minutes=1))
    watcher = watcher_for(store, clock)

    assert watcher.tick(DetectedBy.SCHEDULE).stuck_alerts == 0  # not yet
    clock.moment = T0 + STUCK_AFTER  # the tick after crossing the threshold
    assert watcher.tick(DetectedBy.CLOUDTRAIL, clock.moment).stuck_alerts == 0  # nudged passes don't look
    assert watcher.tick(DetectedBy.SCHEDULE).stuck_alerts == 1
    for minutes in (1, 2, 60):
        clock.moment = T0 + STUCK_AFTER + timedelta(minutes=minutes)
        assert watcher.tick(DetectedBy.SCHEDULE).stuck_alerts == 0  # one alert per stall

    moved = T0 + timedelta(hours=5)
    store_record(store, response("quiet", secondary="GeneratingExplainabilityReport", modified=moved))
    clock.moment = moved + STUCK_AFTER
    assert watcher.tick(DetectedBy.SCHEDULE).stuck_alerts == 1  # a later stall alerts again
    assert [name for name, _ in store.stuck_claims] == ["quiet", "quiet"]


def test_stuck_detection_off_makes_no_query():
    store = FakeStore(watch_start=T0)
    store_record(store, response("quiet"))
    watcher = watcher_for(store, Clock(T0 + timedelta(days=3)))
    watcher.stuck_after = None
    assert watcher.tick(DetectedBy.SCHEDULE).stuck_alerts == 0 and store.stuck_claims == []


def test_the_stuck_message_says_how_long_and_where():
    store = FakeStore(watch_start=T0)
    record = store_record(store, response("quiet"))
    notification = render_stuck(record, T0 + timedelta(hours=4, minutes=10))
    assert notification.attributes["event_type"] == "stuck" and notification.attributes["status"] == "InProgress"
    assert "may be stuck" in notification.subject and "4h 10m" in notification.subject
    email = notification.message["email"]
    assert re.search(r"^Quiet for: +4h 10m", email, re.MULTILINE) and "console.aws.amazon.com/sagemaker" in email
    assert "ModelTuning" in notification.message["https"]


def test_a_digest_summarizes_its_period_once_and_the_next_starts_where_it_ended():
    store = FakeStore(watch_start=T0 - timedelta(days=2))
    end = T0 + timedelta(hours=10)
    ended = {"EndTime": T0 + timedelta(hours=1)}
    store_record(store, response("churn-1", "Completed", "Completed", T0 + timedelta(hours=1), **ended), family="churn")
    store_record(
        store,
        response("churn-2", "Completed", "Completed", T0 + timedelta(hours=2), **ended),
        family="churn",
        new_best_in_family=True,
        previous_best=FamilyBest(job_name="churn-1", value=0.8),
    )
    store_record(
        store,
        response("fraud-1", "Failed", "Failed", T0 + timedelta(hours=3), EndTime=T0 + timedelta(hours=3)),
        family="fraud",
        partial_failures=["disk full"],
    )
    store_record(store, response("tuning-1", modified=T0 - timedelta(hours=5)), family="tuning")  # stuck, older
    store.families["churn"] = (FamilyStanding("churn", FamilyBest(job_name="churn-2", value=0.9), "F1", "Maximize"), 2)
    digester = Digester(store=store, stuck_after=STUCK_AFTER, region="eu-west-1", clock=lambda: end)

    sent = digester.send(scheduled_time=end)
    digest = sent.digest
    assert sent.committed
    assert digest.period.start == end - timedelta(hours=24) and digest.period.end == end
    assert digest.counts == {"Completed": 2, "Failed": 1, "Stopped": 0, "InProgress": 1}
    assert digest.failed == ["fraud-1"] and digest.partial_failures == ["fraud-1"]
    assert digest.new_bests == ["churn-2"] and digest.stuck == ["tuning-1"]
    [churn, fraud, tuning] = digest.families
    assert tuning.family == "tuning" and tuning.jobs == 1
    assert (churn.family, churn.jobs, churn.improved, churn.best.job_name) == ("churn", 2, True, "churn-2")
    assert (fraud.family, fraud.best, fraud.improved) == ("fraud", None, False)
    assert not digester.send(scheduled_time=end).committed  # a retried schedule: the same period, once

    later = digester.send(scheduled_time=end + timedelta(hours=24)).digest
    assert later.period.start == end  # since the previous digest


def test_the_digest_message_reads_well_and_its_program_copy_is_the_digest_json():
    import json

    store = FakeStore(watch_start=T0)
    store_record(store, response("fraud-1", "Failed", "Failed", T0, EndTime=T0), family="fraud")
    digest = (
        Digester(store=store, stuck_after=None, region="eu-west-1", clock=lambda: T0 + timedelta(hours=1))
        .send(None)
        .digest
    )
    notification = render_digest(digest)
    assert notification.attributes == {"event_type": "digest", "has_failures": "true", "region": "eu-west-1"}
    body = json.loads(notification.message["sqs"])
    assert set(body) >= {"period", "counts", "failed", "partial_failures", "families", "new_bests", "stuck"}
    assert body["counts"]["Failed"] == 1 and body["failed"] == ["fraud-1"]
    assert "FAILED (1)" in notification.message["email"] and "fraud-1" in notification.message["email"]


def test_the_notifier_tells_the_three_claims_apart():
    assert claim_in({"sk": "REPORT", "notified_at": "t"}, {"sk": "REPORT"}) is Claim.ENDED
    assert claim_in({"sk": "REPORT", "notified_at": "t"}, {"sk": "REPORT", "notified_at": "t"}) is None
    assert claim_in({"sk": "REPORT", "stuck_alerted_for": 5}, {"sk": "REPORT"}) is Claim.STUCK
    assert claim_in({"sk": "REPORT", "stuck_alerted_for": 5}, {"sk": "REPORT", "stuck_alerted_for": 5}) is None
    assert claim_in({"sk": "DIGEST", "digest": {}}, {}) is Claim.DIGEST
    assert claim_in({"sk": "DIGEST", "digest": {}}, {"sk": "DIGEST"}) is None
