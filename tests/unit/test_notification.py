import json
from datetime import UTC, datetime

from autopilot_reports.domain.notification import render_notification
from autopilot_reports.models.record import Explainability, FeatureImportance, Objective, ReportRecord


def record(**changes):
    base = dict(
        job_name="churn",
        job_arn="arn:aws:sagemaker:us-east-1:123456789012:automl-job/churn",
        api="v1",
        status="Completed",
        secondary_status="Completed",
        problem_type="BinaryClassification",
        objective=Objective(metric="F1", type="Maximize", value=0.91),
        best_candidate="churn-best",
        explainability=Explainability(
            state="available",
            s3_prefix="s3://b/p",
            top_features=[FeatureImportance(feature="tenure", importance=0.4)],
            feature_count=12,
            labels=["label0"],
            artifacts={"report_pdf": "s3://b/p/report.pdf"},
        ),
        created_at=datetime(2025, 1, 1, tzinfo=UTC),
        ended_at=datetime(2025, 1, 1, 2, tzinfo=UTC),
        last_modified_at=datetime(2025, 1, 1, 2, tzinfo=UTC),
    )
    return ReportRecord(**{**base, **changes})


def test_message_has_a_text_for_each_protocol_and_filterable_attributes():
    notification = render_notification(record())
    assert notification.subject == "AutoML job churn Completed"
    assert set(notification.message) >= {"default", "email", "https", "lambda", "sqs"}
    assert "tenure" in notification.message["email"] and "s3://b/p/report.pdf" in notification.message["email"]
    chatbot = json.loads(notification.message["https"])
    assert chatbot["version"] == "1.0" and chatbot["source"] == "custom"
    assert json.loads(notification.message["lambda"])["job_name"] == "churn"
    assert notification.attributes == {
        "job_name": "churn",
        "status": "Completed",
        "secondary_status": "Completed",
        "has_partial_failures": "false",
        "explainability_state": "available",
        "api": "v1",
    }


def test_worst_case_record_fits_sns_limits():
    long_features = [FeatureImportance(feature="f" * 2000 + str(index), importance=1.0) for index in range(10)]
    worst = record(
        job_name="j" * 32,
        partial_failures=["x" * 1024] * 5,
        failure_reason="y" * 1024,
        explainability=Explainability(state="available", top_features=long_features, feature_count=100_000),
    )
    notification = render_notification(worst)
    assert len(json.dumps(notification.message).encode()) < 256 * 1024
    assert len(notification.subject) <= 100
    assert notification.attributes["has_partial_failures"] == "true"
    assert notification.message["email"].count("x" * 1024) == 5
