"""No report is lost for its content (docs/design.md §5.3): whatever text the job and its data carry (any Unicode,
lone surrogates included) and whatever JSON analysis.json holds, the job is recorded, claimed once and
its notification renders within SNS's limit. The fake store refuses what DynamoDB refuses
(`dynamodb_items.refusal`: text it cannot encode, an item over 400 KB), as the real store does."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autopilot_reports.domain.notification import SNS_MESSAGE_LIMIT, render_notification, sns_message_bytes
from autopilot_reports.domain.reporter import Outcome, Reporter
from autopilot_reports.models.record import ReportRecord
from testsupport.fakes import FakeArtifacts, FakeJobs, FakeStore, job_ref

JOB = "prop-job"
PREFIX = f"s3://bucket/{JOB}/explainability"
WATCH_START = "2025-01-01T00:00:00Z"

# Any code point, surrogates included: JSON escapes (\udc80) parse into lone surrogates.
ANY_TEXT = st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=300)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=True) | st.integers() | ANY_TEXT,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(ANY_TEXT, children, max_size=4),
    max_leaves=25,
)
SHAP_DOCUMENTS = st.dictionaries(
    ANY_TEXT, st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=12
).map(lambda values: {"version": "1.0", "explanations": {"kernel_shap": {"label0": {"global_shap_values": values}}}})


def describe(candidate: str, failure: str, partial: list[str]) -> dict[str, Any]:
    return {
        "AutoMLJobName": JOB,
        "AutoMLJobArn": f"arn:aws:sagemaker:us-east-1:123456789012:automl-job/{JOB}",
        "AutoMLJobStatus": "Completed",
        "AutoMLJobSecondaryStatus": "Completed",
        "CreationTime": "2025-03-01T08:00:00Z",
        "EndTime": "2025-03-01T10:00:00Z",
        "LastModifiedTime": "2025-03-01T10:00:00Z",
        "FailureReason": failure,
        "PartialFailureReasons": [{"PartialFailureMessage": message} for message in partial],
        "BestCandidate": {
            "CandidateName": candidate or "c",
            "FinalAutoMLJobObjectiveMetric": {"MetricName": "F1", "Value": 0.9, "Type": "Maximize"},
            "CandidateProperties": {"CandidateArtifactLocations": {"Explainability": PREFIX}},
        },
    }


def report(response: dict[str, Any], analysis: bytes) -> tuple[Any, FakeStore]:
    from autopilot_reports.models.common import parse_iso_utc

    store = FakeStore(watch_start=parse_iso_utc(WATCH_START))
    artifacts = FakeArtifacts(objects={f"bucket/{JOB}/explainability/analysis.json": analysis})
    reporter = Reporter(
        jobs=FakeJobs(responses={JOB: ("v1", response)}),
        artifacts=artifacts,
        store=store,
        top_features=10,
        analysis_max_bytes=1 << 20,
        notify_statuses=("Completed", "Failed", "Stopped"),
        leaderboard_size=0,
    )
    return reporter.report(job_ref(JOB), "schedule"), store


def assert_reported_once(result: Any, store: FakeStore) -> ReportRecord:
    assert result.outcome is Outcome.CLAIMED
    assert len(store.claims) == 1
    record = store.claims[0]
    notification = render_notification(record)
    assert sns_message_bytes(notification) <= SNS_MESSAGE_LIMIT
    json.dumps(notification.message).encode("utf-8")  # SNS receives UTF-8: nothing unencodable is left
    return record


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ANY_TEXT, ANY_TEXT, st.lists(ANY_TEXT, max_size=5), SHAP_DOCUMENTS)
def test_any_text_in_the_job_and_its_features_is_reported_once(
    candidate: str, failure: str, partial: list[str], analysis: dict[str, Any]
) -> None:
    result, store = report(describe(candidate, failure, partial), json.dumps(analysis).encode())
    record = assert_reported_once(result, store)
    assert record.explainability.state.value == "available"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(JSON_VALUES)
def test_any_json_as_analysis_json_is_reported_once(analysis: Any) -> None:
    body = json.dumps(analysis, allow_nan=True).encode()
    result, store = report(describe("c", "", []), body)
    record = assert_reported_once(result, store)
    assert record.explainability.state.value in ("available", "missing", "error")


def test_a_record_the_table_refuses_is_reduced_and_still_notified() -> None:
    # Far past any limit AWS itself has: 400 KB of partial failure text cannot fit one item.
    huge = ["x" * 1024] * 20
    response = describe("c", "y" * 1024, huge)
    response["BestCandidate"]["CandidateProperties"]["CandidateArtifactLocations"]["Explainability"] = (
        "s3://bucket/" + "p" * 420_000
    )
    result, store = report(response, b"{}")
    record = assert_reported_once(result, store)
    assert result.rejected and "item size" in result.rejected
    assert record.partial_failures == [] and record.status == "Completed"
    assert any("the full record was refused" in note for note in record.notes)
