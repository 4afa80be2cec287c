"""Seals (domain/seal.py): what the stack writes verifies after the store's round trip, whatever its form;
anything else, hand-made or altered, does not; the key is derived once per process."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from autopilot_reports.adapters.dynamodb_items import (
    deserialize,
    record_attributes,
    record_attributes_keeping_verdict,
    serialize,
)
from autopilot_reports.domain.notifier import Claim, NotificationSender
from autopilot_reports.domain.seal import ForgedClaimError, Sealer
from autopilot_reports.models.common import iso_utc
from autopilot_reports.models.digest import Digest, Period
from autopilot_reports.models.record import (
    CandidateMetric,
    Explainability,
    FamilyBest,
    FeatureImportance,
    Objective,
    ReportRecord,
)
from testsupport.fakes import FakeNotifier, FakeSealKey

NOW = datetime(2025, 6, 1, 8, 30, tzinfo=UTC)


def report(**changes: Any) -> ReportRecord:
    base: dict[str, Any] = dict(
        job_name="churn-2025-06-01",
        job_arn="arn:aws:sagemaker:eu-west-1:123456789012:automl-job/churn-2025-06-01",
        api="v1",
        status="Completed",
        secondary_status="Completed",
        objective=Objective(metric="F1", type="Maximize", value=3.0, direction="Maximize"),  # 3.0 reads back as 3
        explainability=Explainability(
            state="available", top_features=[FeatureImportance(feature="tenure", importance=0.25)], feature_count=1
        ),
        created_at=datetime(2025, 6, 1, 8, 0, tzinfo=UTC),
        ended_at=NOW,
        last_modified_at=NOW,
        best_candidate_metrics=[CandidateMetric(metric="AUC", set="Validation", value=1.0)],
        family="churn",
        new_best_in_family=True,
        previous_best=FamilyBest(job_name="churn-2025-05-01", value=0.5),
        notified_at=NOW,
    )
    return ReportRecord(**{**base, **changes})


def stored(written: dict[str, Any], sealer: Sealer) -> dict[str, Any]:
    """The write sealed as the store seals it, then through DynamoDB's types and back (as a stream image)."""
    return deserialize(serialize({**written, "seal": sealer.record_seal(written)}))


def claim_write(record: ReportRecord) -> dict[str, Any]:
    assert record.notified_at is not None
    return {**record_attributes(record), "notified_at": iso_utc(record.notified_at)}


def test_a_sealed_claim_opens_after_the_round_trip_as_the_record_it_was():
    sealer = Sealer(FakeSealKey())
    record = report()
    assert sealer.opened_record(stored(claim_write(record), sealer), claimed="notified_at") == record


def test_a_write_that_keeps_the_family_verdict_covers_only_what_it_set():
    """A later write of a family's best leaves its verdict as given once: outside the seal, rendered absent."""
    sealer = Sealer(FakeSealKey())
    record = report()
    written = {**record_attributes_keeping_verdict(record), "notified_at": iso_utc(NOW)}
    image = {**stored(written, sealer), "new_best_in_family": True, "previous_best": {"job_name": "x", "value": 1}}
    opened = sealer.opened_record(image, claimed="notified_at")
    assert (opened.new_best_in_family, opened.previous_best) == (False, None)
    assert opened.model_copy(update={"new_best_in_family": True, "previous_best": record.previous_best}) == record


@pytest.mark.parametrize(
    "alter",
    [
        pytest.param(lambda image: image.update(failure_reason="open https://evil.example/x"), id="a text added"),
        pytest.param(lambda image: image.update(job_arn="arn:aws:sagemaker:evil.example/x?:1:automl-job/j"), id="arn"),
        pytest.param(lambda image: image["seal"]["fields"].remove("failure_reason"), id="a covered field uncovered"),
        pytest.param(lambda image: image.pop("seal"), id="no seal"),
        pytest.param(lambda image: image.update(seal={"fields": "all", "mac": "0"}), id="a seal of another shape"),
        pytest.param(lambda image: image.pop("status"), id="a covered field gone"),
    ],
)
def test_an_altered_or_hand_made_record_does_not_open(alter):
    sealer = Sealer(FakeSealKey())
    image = stored(claim_write(report()), sealer)
    alter(image)
    with pytest.raises(ForgedClaimError):
        sealer.opened_record(image, claimed="notified_at")


def test_a_claim_the_seal_does_not_cover_does_not_open():
    """A genuine record written without a claim (history, a later write), with a claim added by hand."""
    sealer = Sealer(FakeSealKey())
    image = stored(record_attributes(report(notified_at=None)), sealer)
    sealer.opened_record(image)  # the record itself is genuine
    image["notified_at"] = iso_utc(NOW)
    with pytest.raises(ForgedClaimError, match="does not cover notified_at"):
        sealer.opened_record(image, claimed="notified_at")


def test_another_key_seals_nothing_this_one_opens():
    image = stored(claim_write(report()), Sealer(FakeSealKey(key=b"someone else's key")))
    with pytest.raises(ForgedClaimError, match="does not match"):
        Sealer(FakeSealKey()).opened_record(image, claimed="notified_at")


def test_a_stuck_claim_needs_its_own_seal_beside_the_records():
    sealer = Sealer(FakeSealKey())
    running = report(status="InProgress", secondary_status="ModelTuning", ended_at=None, notified_at=None)
    image = stored(record_attributes(running), sealer)
    at = iso_utc(NOW)
    image |= {"stuck_alerted_for": running.progress, "stuck_notified_at": at}
    with pytest.raises(ForgedClaimError, match="no seal"):
        sealer.check_stuck(image)
    image["stuck_seal"] = sealer.stuck_seal(running.job_name, running.progress, at)
    sealer.check_stuck(deserialize(serialize(image)))
    image["stuck_alerted_for"] = running.progress + 1  # a later stall claimed by hand
    with pytest.raises(ForgedClaimError):
        sealer.check_stuck(image)


def test_a_digest_opens_only_as_sealed():
    sealer = Sealer(FakeSealKey())
    digest = Digest(period=Period(start=NOW, end=NOW), counts={"Completed": 2}, failed=["a"], region="eu-west-1")
    data = digest.model_dump(mode="json")
    image = deserialize(serialize({"digest": data, "seal": sealer.digest_seal(data)}))
    assert sealer.opened_digest(image) == digest
    image["digest"]["failed"] = ["see https://evil.example"]
    with pytest.raises(ForgedClaimError):
        sealer.opened_digest(image)


def test_the_key_is_derived_once_per_process_whatever_the_number_of_reports():
    keys = FakeSealKey()
    sealer = Sealer(keys)
    for minute in range(20):
        record = report(last_modified_at=datetime(2025, 6, 1, 9, minute, tzinfo=UTC))
        sealer.opened_record(stored(claim_write(record), sealer), claimed="notified_at")
    assert keys.derivations == 1


def test_without_a_key_nothing_is_sent():
    notifier = FakeNotifier()
    image = stored(claim_write(report()), Sealer(FakeSealKey()))
    with pytest.raises(ForgedClaimError, match="no seal key is configured"):
        NotificationSender(notifier).send_claim(Claim.ENDED, image)
    NotificationSender(notifier, Sealer(FakeSealKey())).send_claim(Claim.ENDED, image)
    [sent] = notifier.sent
    assert json.loads(sent.message["sqs"])["job_name"] == "churn-2025-06-01"
