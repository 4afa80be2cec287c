import json

import pytest

from autopilot_reports.domain.description import describe_job
from autopilot_reports.domain.explainability import (
    AnalysisError,
    collect_explainability,
    find_analysis,
    summarize_analysis,
)
from autopilot_reports.domain.ports import StoredObject
from autopilot_reports.models.record import ExplainabilityState
from tests.shared_fixtures import shared_fixture
from testsupport.fakes import FakeArtifacts

PREFIX = "s3://bucket/job/documentation/explainability/output"


def analysis(labels: dict[str, dict[str, float]]) -> bytes:
    return json.dumps(
        {
            "version": "1.0",
            "explanations": {
                "kernel_shap": {
                    label: {"global_shap_values": values, "expected_value": 0.5} for label, values in labels.items()
                }
            },
        }
    ).encode()


def completed_v1(secondary="Completed", status="Completed", prefix=PREFIX, best=True, account="123456789012"):
    response = {
        "AutoMLJobName": "job",
        "AutoMLJobArn": f"arn:aws:sagemaker:us-east-1:{account}:automl-job/job",
        "AutoMLJobStatus": status,
        "AutoMLJobSecondaryStatus": secondary,
        "CreationTime": "2025-01-01T00:00:00Z",
        "LastModifiedTime": "2025-01-01T01:00:00Z",
        "ResolvedAttributes": {"ProblemType": "BinaryClassification"},
    }
    if best:
        locations = {"Explainability": prefix} if prefix else {}
        response["BestCandidate"] = {
            "CandidateName": "best",
            "CandidateProperties": {"CandidateArtifactLocations": locations},
        }
    return describe_job("v1", response)


def collect(job, objects=None, top_n=10, max_bytes=1_000_000, denied=False):
    reader = FakeArtifacts(objects=objects or {}, denied=denied)
    return collect_explainability(job, reader, top_n, max_bytes), reader


def test_real_binary_clarify_file_gives_top_features():
    body = shared_fixture("clarify_analysis_binary_fraud_kernel_shap.json").read_bytes()
    values = json.loads(body)["explanations"]["kernel_shap"]["label0"]["global_shap_values"]

    summary = summarize_analysis(body, top_n=10)

    assert summary.feature_count == len(values) == 45
    assert summary.labels == ["label0"]
    expected = sorted(values.items(), key=lambda item: (-item[1], item[0]))[:10]
    assert [(f.feature, f.importance) for f in summary.top_features] == expected


def test_real_multilabel_file_averages_over_labels_with_missing_as_zero():
    body = shared_fixture("clarify_analysis_multilabel_synthetic_modelcard.json").read_bytes()
    shap = json.loads(body)["explanations"]["kernel_shap"]

    summary = summarize_analysis(body, top_n=100)

    assert summary.labels == ["label0", "label1"]
    assert summary.feature_count == 13
    by_name = {item.feature: item.importance for item in summary.top_features}
    assert by_name["Country"] == pytest.approx(shap["label0"]["global_shap_values"]["Country"] / 2)
    assert by_name["Age"] == pytest.approx(shap["label1"]["global_shap_values"]["Age"] / 2)


def test_real_bias_only_file_is_missing_with_reason():
    body = shared_fixture("clarify_analysis_bias_only_fraud.json").read_bytes()
    with pytest.raises(AnalysisError) as raised:
        summarize_analysis(body, top_n=10)
    assert raised.value.state is ExplainabilityState.MISSING
    assert "no explanations section" in raised.value.reason


def test_ties_are_broken_by_feature_name_and_top_n_caps():
    summary = summarize_analysis(analysis({"label0": {"b": 1.0, "a": 1.0, "c": 0.5, "d": 2.0}}), top_n=3)
    assert [item.feature for item in summary.top_features] == ["d", "a", "b"]
    assert summary.feature_count == 4


def test_thousands_of_features_are_capped_with_a_count():
    values = {f"feature_{index:04d}": index / 10_000 for index in range(5000)}
    summary = summarize_analysis(analysis({"label0": values}), top_n=10)
    assert len(summary.top_features) == 10
    assert summary.feature_count == 5000
    assert summary.top_features[0].feature == "feature_4999"


@pytest.mark.parametrize(
    ("body", "state", "reason"),
    [
        (b"{not json", ExplainabilityState.ERROR, "not valid JSON"),
        (b"\xff\xfe\x00garbage", ExplainabilityState.ERROR, "not UTF-8"),
        (b"[1, 2]", ExplainabilityState.ERROR, "not a JSON object"),
        (b'{"explanations": []}', ExplainabilityState.ERROR, "explanations is not an object"),
        (b'{"explanations": {"pdp": []}}', ExplainabilityState.MISSING, "no kernel_shap"),
        (b'{"explanations": {"kernel_shap": {}}}', ExplainabilityState.ERROR, "non-empty"),
        (
            b'{"explanations": {"kernel_shap": {"label0": {"global_shap_values": {"a": "x"}}}}}',
            ExplainabilityState.ERROR,
            "not a finite number",
        ),
        (
            b'{"explanations": {"kernel_shap": {"label0": {"expected_value": 1}}}}',
            ExplainabilityState.ERROR,
            "no global_shap_values",
        ),
    ],
)
def test_broken_files_say_why(body, state, reason):
    with pytest.raises(AnalysisError) as raised:
        summarize_analysis(body, top_n=10)
    assert raised.value.state is state
    assert reason in raised.value.reason


def test_shallowest_analysis_wins_and_artifacts_beside_it_are_listed():
    objects = [
        StoredObject("p/deeper/analysis.json", 10),
        StoredObject("p/auto/analysis.json", 10),
        StoredObject("p/auto/report.pdf", 10),
        StoredObject("p/auto/report.html", 10),
        StoredObject("p/auto/explanations_shap/out.csv", 10),
        StoredObject("p/other/report.ipynb", 10),
    ]
    found, artifacts = find_analysis(objects)
    assert found.key == "p/auto/analysis.json"
    assert artifacts == {
        "analysis": "p/auto/analysis.json",
        "report_pdf": "p/auto/report.pdf",
        "report_html": "p/auto/report.html",
    }


def test_available_report_reads_one_listing_and_one_object():
    objects = {
        "bucket/job/documentation/explainability/output/analysis.json": analysis({"label0": {"x": 1.0}}),
        "bucket/job/documentation/explainability/output/report.pdf": b"%PDF",
        "bucket/job/documentation/explainability/output2/analysis.json": b"not ours",
    }
    explainability, reader = collect(completed_v1(), objects)
    assert explainability.state is ExplainabilityState.AVAILABLE
    assert explainability.reason is None
    assert explainability.artifacts == {"analysis": f"{PREFIX}/analysis.json", "report_pdf": f"{PREFIX}/report.pdf"}
    assert (reader.lists, reader.reads) == (1, 1)


def test_explainability_error_status_takes_precedence_over_a_good_file():
    objects = {"bucket/job/documentation/explainability/output/analysis.json": analysis({"label0": {"x": 1.0}})}
    explainability, reader = collect(completed_v1(secondary="ExplainabilityError"), objects)
    assert explainability.state is ExplainabilityState.ERROR
    assert "ExplainabilityError" in explainability.reason
    assert reader.lists == 0


@pytest.mark.parametrize(
    ("job", "state", "reason"),
    [
        (completed_v1(status="InProgress", secondary="ModelTuning"), "pending", "InProgress"),
        (completed_v1(status="Failed", secondary="Failed", best=False), "not_applicable", "before a best candidate"),
        (completed_v1(status="Stopped", secondary="Stopped", best=False), "not_applicable", "before a best candidate"),
        (completed_v1(prefix=None), "missing", "no Explainability location"),
        (completed_v1(), "missing", "the prefix is empty"),
        (completed_v1(prefix="https://not-s3/x"), "error", "not an s3:// URI"),
    ],
)
def test_states_without_a_report(job, state, reason):
    explainability, _ = collect(job)
    assert explainability.state == state
    assert reason in explainability.reason


def test_oversized_analysis_is_refused_before_reading_it():
    objects = {"bucket/job/documentation/explainability/output/analysis.json": b"x" * 5000}
    explainability, reader = collect(completed_v1(), objects, max_bytes=4096)
    assert explainability.state is ExplainabilityState.ERROR
    assert "5000 bytes, over the 4096-byte cap" in explainability.reason
    assert reader.reads == 0


def test_access_denied_is_recorded_not_raised():
    explainability, _ = collect(completed_v1(), denied=True)
    assert explainability.state is ExplainabilityState.ERROR
    assert "AccessDenied" in explainability.reason


def test_every_read_names_the_jobs_account_as_the_bucket_owner():
    """A bucket of the same name in another account is never read: S3 refuses a call whose
    ExpectedBucketOwner is not the bucket's owner."""
    result, reader = collect(completed_v1(), {"bucket/job/documentation/explainability/output/analysis.json": b"{}"})
    assert (reader.lists, reader.reads) == (1, 1)
    assert reader.owners == {"123456789012"}


def test_a_job_arn_without_an_account_reads_nothing():
    result, reader = collect(completed_v1(account=""))
    assert result.state is ExplainabilityState.ERROR
    assert "names no account" in result.reason
    assert (reader.lists, reader.reads) == (0, 0)
