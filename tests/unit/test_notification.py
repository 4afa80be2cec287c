"""The terminal notification: golden texts per protocol, the documented limits, and the links.

Golden files live in tests/unit/golden/ and are compared exactly. After an intended change to the
rendering, regenerate them and review the diff:

    UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/unit/test_notification.py -q
"""

import json
import os
import re
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path

import pytest
from rich.console import Console

from autopilot_reports.cli.render import show_report
from autopilot_reports.domain import links
from autopilot_reports.domain.notification import (
    CHAT_DESCRIPTION_LIMIT,
    CHAT_KEYWORD_LIMIT,
    CHAT_NEXT_STEP_LIMIT,
    CHAT_TITLE_LIMIT,
    notification_attributes,
    render_digest,
    render_notification,
    render_stuck,
    sns_message_bytes,
)
from autopilot_reports.domain.ports import Notification
from autopilot_reports.models.digest import Digest, DigestBest, DigestCost, FamilySummary, Period
from autopilot_reports.models.record import (
    CandidateMetric,
    Explainability,
    FamilyBest,
    FeatureImportance,
    JobArtifacts,
    LeaderboardEntry,
    Objective,
    ReportRecord,
)

GOLDEN = Path(__file__).parent / "golden"
UPDATE_GOLDEN = os.environ.get("UPDATE_GOLDEN") == "1"
PROTOCOLS = ("default", "email", "https", "lambda", "sqs")
SNS_LIMIT = 256 * 1024
PREFIX = "s3://ml-out/churn/output/churn-2025-01/documentation/explainability/output/churn-2025-01abc-003-7b2d1f0e"


def record(**changes):
    base = dict(
        job_name="churn-2025-01",
        job_arn="arn:aws:sagemaker:eu-west-1:123456789012:automl-job/churn-2025-01",
        api="v1",
        status="Completed",
        secondary_status="Completed",
        problem_type="BinaryClassification",
        objective=Objective(metric="F1", type="Maximize", value=0.912345, standard_metric="F1", direction="Maximize"),
        best_candidate="churn-2025-01abc-003-7b2d1f0e",
        explainability=Explainability(
            state="available",
            s3_prefix=PREFIX,
            top_features=[
                FeatureImportance(feature=name, importance=value)
                for name, value in [
                    ("tenure_months", 0.4132),
                    ("monthly_charges", 0.2218),
                    ("contract_type", 0.1407),
                    ("support_calls_90d", 0.0652),
                    ("payment_method", 0.0311),
                ]
            ],
            feature_count=23,
            labels=["churned"],
            artifacts={
                "analysis": f"{PREFIX}/analysis.json",
                "report_pdf": f"{PREFIX}/report.pdf",
                "report_html": f"{PREFIX}/report.html",
            },
        ),
        created_at=datetime(2025, 1, 6, 8, 0, tzinfo=UTC),
        ended_at=datetime(2025, 1, 6, 10, 17, tzinfo=UTC),
        last_modified_at=datetime(2025, 1, 6, 10, 17, tzinfo=UTC),
        leaderboard=[
            LeaderboardEntry(
                candidate=candidate,
                objective=Objective(
                    metric="F1", type="Maximize", value=value, standard_metric="F1", direction="Maximize"
                ),
                explainability_prefix=None,
                model_insights_prefix=None,
            )
            for candidate, value in [
                ("churn-2025-01abc-003-7b2d1f0e", 0.912345),
                ("churn-2025-01abc-011-aa01c3d2", 0.90871),
                ("churn-2025-01abc-007-5e6f7a8b", 0.90102),
            ]
        ],
        endpoint="churn-2025-01-endpoint",
        job_artifacts=JobArtifacts(
            candidate_definition_notebook="s3://ml-out/churn/output/churn-2025-01/sagemaker-automl-candidates/"
            "churn-2025-01-pr-1-0123/notebooks/SageMakerAutopilotCandidateDefinitionNotebook.ipynb",
            data_exploration_notebook="s3://ml-out/churn/output/churn-2025-01/sagemaker-automl-candidates/"
            "churn-2025-01-pr-1-0123/notebooks/SageMakerAutopilotDataExplorationNotebook.ipynb",
        ),
        model_insights_prefix="s3://ml-out/churn/output/churn-2025-01/documentation/model_monitor/output/"
        "churn-2025-01abc-003-7b2d1f0e",
        best_candidate_metrics=[
            CandidateMetric(metric=name, standard_metric=standard, set=data_set, value=value)
            for name, standard, data_set, value in [
                ("F1", "F1", "Validation", 0.912345),
                ("AUC", "AUC", "Validation", 0.9611),
                ("LogLoss", "LogLoss", "Validation", 0.2213),
                ("F1", "F1", "Test", 0.9007),
            ]
        ],
        why_ended="Autopilot finished its search; the best candidate is ready to deploy.",
        duration_seconds=8220,
        family="churn",
        new_best_in_family=True,
        previous_best=FamilyBest(job_name="churn-2024-12", value=0.9011),
    )
    return ReportRecord(**{**base, **changes})


CASES = {
    "completed_binary": record(),
    "failed": record(
        status="Failed",
        secondary_status="Failed",
        objective=None,
        best_candidate=None,
        endpoint=None,
        leaderboard=[],
        failure_reason=(
            "ClientError: Failed to read input data from s3://ml-in/churn/train.csv: "
            "the target attribute 'churned' was not found in the header."
        ),
        explainability=Explainability(state="not_applicable", reason="the job failed before a best candidate existed"),
        job_artifacts=JobArtifacts(),
        model_insights_prefix=None,
        best_candidate_metrics=[],
        why_ended="The job failed; read the failure reason, fix the input data or the job settings, and start a new job.",
        duration_seconds=1260,
        new_best_in_family=False,
    ),
    "partial_explainability_error": record(
        secondary_status="ExplainabilityError",
        endpoint=None,
        partial_failures=[
            "ClientError: Candidate churn-2025-01abc-005 failed: the training job ran out of memory.",
            "ClientError: Explainability report could not be generated: the processing job exceeded its time limit.",
        ],
        explainability=Explainability(
            state="error",
            s3_prefix=PREFIX,
            reason="the job's secondary status is ExplainabilityError",
        ),
    ),
}


def assert_golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    if UPDATE_GOLDEN:
        GOLDEN.mkdir(exist_ok=True)
        with path.open("w", encoding="utf-8", newline="") as file:
            file.write(actual)
        return
    assert path.exists(), f"no golden file {path}; run with UPDATE_GOLDEN=1 to create it"
    with path.open(encoding="utf-8", newline="") as file:
        expected = file.read()
    assert actual == expected, f"{name} differs from its golden file; run with UPDATE_GOLDEN=1 and review the diff"


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("case", sorted(CASES))
def test_golden_message_per_protocol(case, protocol):
    notification = render_notification(CASES[case])
    extension = "txt" if protocol in ("default", "email") else "json"
    assert_golden(f"{case}.{protocol}.{extension}", notification.message[protocol])


@pytest.mark.parametrize("case", sorted(CASES))
def test_golden_subject_and_attributes(case):
    notification = render_notification(CASES[case])
    envelope = {"subject": notification.subject, "attributes": notification.attributes}
    assert_golden(f"{case}.envelope.json", json.dumps(envelope, indent=2) + "\n")


def test_attributes_add_the_problem_type_and_omit_empty_values():
    assert notification_attributes(record(), "ended") == {
        "event_type": "ended",
        "job_name": "churn-2025-01",
        "status": "Completed",
        "secondary_status": "Completed",
        "problem_type": "BinaryClassification",
        "has_partial_failures": "false",
        "explainability_state": "available",
        "api": "v1",
        "family": "churn",
        "new_best_in_family": "true",
        "account_id": "123456789012",  # where the job ran, from its ARN (every mode)
        "region": "eu-west-1",
    }
    assert "problem_type" not in notification_attributes(record(problem_type=None), "ended")


def test_chat_message_follows_the_custom_notification_schema():
    chat = json.loads(render_notification(CASES["partial_explainability_error"]).message["https"])
    assert chat["version"] == "1.0" and chat["source"] == "custom"
    content, metadata = chat["content"], chat["metadata"]
    assert content["textType"] == "client-markdown"
    assert "Completed" in content["title"]
    assert {"Completed", "BinaryClassification", "PartialFailures"} <= set(content["keywords"])
    assert "churn-2025-01" in metadata["threadId"]
    assert metadata["eventType"] == "AutoMLJobCompleted" and metadata["summary"]
    assert all(isinstance(value, str) for value in metadata["additionalContext"].values())


def test_every_message_of_a_job_shares_one_thread():
    threads = {
        json.loads(render_notification(record(status=status)).message["https"])["metadata"]["threadId"]
        for status in ("Completed", "Failed", "Stopped")
    }
    assert threads == {"automl-job-eu-west-1-churn-2025-01"}


def test_chat_shows_the_top_features_as_a_bar_chart_scaled_to_the_top_one():
    description = json.loads(render_notification(record()).message["https"])["content"]["description"]
    chart = description.split("Top features")[1].split("```\n")[1].splitlines()
    assert chart[0].startswith("tenure_months") and chart[0].count("\u2588") == 20
    assert chart[1].count("\u2588") == round(20 * 0.2218 / 0.4132)
    assert "[Job in the SageMaker console](https://eu-west-1.console.aws.amazon.com/" in description


def test_email_links_every_s3_uri_to_the_console():
    for case, rendered in CASES.items():
        text = render_notification(rendered).message["email"]
        lines = text.splitlines()
        for index, line in enumerate(lines):
            for uri in re.findall(r"s3://\S+", line):
                beside = "\n".join(lines[max(index - 1, 0) : index + 2])
                assert "https://" in beside, f"{case}: {uri} has no https link beside it"
        assert (
            "https://eu-west-1.console.aws.amazon.com/sagemaker/home?region=eu-west-1#/automl-jobs/churn-2025-01"
            in text
        )


def limits_record(**changes):
    features = [
        FeatureImportance(feature=f"feature_{index:04d}_" + "n" * 89, importance=1.0 / (index + 1))
        for index in range(100)  # the analysis had 3,000; the record keeps the top 100
    ]
    job_name = "j" + "-a1" * 10 + "b"  # 32 characters, the longest CreateAutoMLJob allows
    base = dict(
        job_name=job_name,
        job_arn=f"arn:aws:sagemaker:eu-west-1:123456789012:automl-job/{job_name}",
        partial_failures=[f"{index}: " + "x" * 1021 for index in range(5)],  # 5 x 1,024 characters
        failure_reason="Internal error: " + "y" * 20_000,
        explainability=Explainability(
            state="available", s3_prefix=PREFIX, top_features=features, feature_count=3000, labels=["label0"]
        ),
    )
    return record(**{**base, **changes})


def assert_within_limits(notification):
    assert len(notification.subject) < 100 and "\n" not in notification.subject
    assert notification.subject.isascii() and notification.subject.isprintable()
    assert sns_message_bytes(notification) < SNS_LIMIT
    assert len(json.dumps(notification.message).encode()) < SNS_LIMIT
    content = json.loads(notification.message["https"])["content"]
    assert len(content["title"]) <= CHAT_TITLE_LIMIT
    assert len(content["description"]) <= CHAT_DESCRIPTION_LIMIT
    assert all(len(step) <= CHAT_NEXT_STEP_LIMIT for step in content.get("nextSteps", []))
    assert all(len(keyword) <= CHAT_KEYWORD_LIMIT for keyword in content["keywords"])
    console = "https://eu-west-1.console.aws.amazon.com/sagemaker/home?region=eu-west-1#/automl-jobs/"
    assert console in notification.message["email"] and console in content["description"]


def test_large_record_stays_within_every_limit_and_marks_each_cut():
    worst = limits_record()
    assert len(worst.job_name) == 32
    notification = render_notification(worst)
    assert_within_limits(notification)
    email = notification.message["email"]
    assert "TOP FEATURES (100 of 3,000" in email
    assert all(message in email for message in worst.partial_failures)  # 1,024 characters fit whole
    assert "Internal error: yyy" in email and "more characters]" in email  # the failure reason is cut, visibly
    description = json.loads(notification.message["https"])["content"]["description"]
    assert "Top features (10 of 3,000" in description and "[... 90 more top features" in description
    assert description.count("more characters in the console]") >= 5  # failure reason and partial failures
    assert json.loads(notification.message["lambda"]) == json.loads(worst.model_dump_json())


def test_pathological_record_is_capped_below_the_sns_limit_with_markers():
    huge = [FeatureImportance(feature="f" * 5000 + str(index), importance=1.0) for index in range(100)]
    worst = limits_record(
        partial_failures=["z" * 20_000] * 20,
        failure_reason="w" * 200_000,
        explainability=Explainability(state="available", top_features=huge, feature_count=100_000),
    )
    notification = render_notification(worst)
    assert_within_limits(notification)
    body = json.loads(notification.message["sqs"])
    assert "shortened" in body["explainability"]["reason"] and body["explainability"]["feature_count"] == 100_000
    assert "more characters]" in body["failure_reason"]
    assert "more top features not shown here" in notification.message["email"]


def test_a_record_beyond_every_detail_level_still_gets_a_minimal_notification():
    """Never dropped for its size: the outcome and the console link, in every protocol."""
    board = [LeaderboardEntry(candidate="c" * 20_000 + str(index)) for index in range(20)]
    worst = limits_record(leaderboard=board, partial_failures=["z" * 20_000] * 20)
    notification = render_notification(worst)
    assert sns_message_bytes(notification) < SNS_LIMIT
    console = "https://eu-west-1.console.aws.amazon.com/sagemaker/home?region=eu-west-1#/automl-jobs/"
    assert console in notification.message["email"] and "too large for one message" in notification.message["email"]
    chat = json.loads(notification.message["https"])
    assert chat["content"]["textType"] == "client-markdown" and worst.job_name in chat["metadata"]["threadId"]
    assert json.loads(notification.message["sqs"])["truncated"] is True


def test_chat_description_names_the_sections_it_had_to_cut():
    long_prefix = "s3://b/" + "p" * 1000
    crowded = limits_record(
        explainability=Explainability(
            state="available",
            s3_prefix=long_prefix,
            top_features=[FeatureImportance(feature="a", importance=1.0)],
            feature_count=1,
            artifacts={"report_pdf": long_prefix + "/report.pdf", "report_html": long_prefix + "/report.html"},
        ),
        partial_failures=["x" * 1024] * 20,
    )
    description = json.loads(render_notification(crowded).message["https"])["content"]["description"]
    assert len(description) <= CHAT_DESCRIPTION_LIMIT
    assert description.endswith("cut to fit the chat message limit: see the e-mail or the console]")
    assert "partial failures" in description.rsplit("[...", 1)[1]
    assert description.count("```") % 2 == 0  # no code block left open


@pytest.mark.parametrize(
    ("arn", "host"),
    [
        ("arn:aws:sagemaker:us-east-1:1:automl-job/j", "https://us-east-1.console.aws.amazon.com"),
        ("arn:aws-cn:sagemaker:cn-north-1:1:automl-job/j", "https://console.amazonaws.cn"),
        ("arn:aws-us-gov:sagemaker:us-gov-west-1:1:automl-job/j", "https://console.amazonaws-us-gov.com"),
    ],
)
def test_links_follow_the_partition_of_the_job(arn, host):
    region = arn.split(":")[3]
    assert links.job_console_url(arn, "j") == f"{host}/sagemaker/home?region={region}#/automl-jobs/j"
    location = links.parse_s3_uri("s3://bucket/out put/report (1).pdf")
    partition = arn.split(":")[1]
    assert links.s3_object_url(location, partition, region) == (
        f"{host}/s3/object/bucket?region={region}&prefix=out%20put/report%20%281%29.pdf"
    )
    folder = links.parse_s3_uri("s3://bucket/explain/out")
    assert (
        links.s3_folder_url(folder, partition, region)
        == f"{host}/s3/buckets/bucket?region={region}&prefix=explain/out/"
    )


def test_unknown_partition_gets_words_instead_of_a_link():
    isolated = record(job_arn="arn:aws-iso:sagemaker:us-iso-east-1:1:automl-job/churn-2025-01")
    notification = render_notification(isolated)
    assert "https://" not in notification.message["email"]
    assert "no console link for this partition and region" in notification.message["email"]


def test_s3_uris_quoted_in_free_text_are_found():
    text = "Could not read s3://ml-in/churn/train.csv. Also see s3://ml-in/churn/, (s3://b)."
    assert links.s3_uris_in(text) == ["s3://ml-in/churn/train.csv", "s3://ml-in/churn/", "s3://b"]


DOCS = Path(__file__).parents[2] / "docs" / "messages.md"
BEGIN, END = "<!-- BEGIN GENERATED -->\n", "<!-- END GENERATED -->"


def stuck_example() -> Notification:
    quiet = CASES["completed_binary"].model_copy(
        update={
            "status": "InProgress",
            "secondary_status": "ModelTuning",
            "ended_at": None,
            "why_ended": None,
            "duration_seconds": None,
            "leaderboard": None,
            "new_best_in_family": False,
            "previous_best": None,
        }
    )
    return render_stuck(quiet, quiet.last_modified_at + timedelta(hours=4, minutes=12))


def digest_example() -> Notification:
    end = datetime(2025, 1, 7, 8, 0, tzinfo=UTC)
    digest = Digest(
        period=Period(start=end - timedelta(hours=24), end=end),
        counts={"Completed": 5, "Failed": 1, "Stopped": 0, "InProgress": 2},
        failed=["fraud-2025-01-06"],
        partial_failures=["churn-2025-01"],
        families=[
            FamilySummary(
                family="churn",
                jobs=3,
                best=DigestBest(job_name="churn-2025-01", value=0.912345, metric="F1"),
                improved=True,
            ),
            FamilySummary(
                family="fraud", jobs=2, best=DigestBest(job_name="fraud-2024-12-30", value=0.88, metric="AUC")
            ),
        ],
        new_bests=["churn-2025-01"],
        stuck=["prices-2025-01-06"],
        region="eu-west-1",
        cost=DigestCost(
            currency="USD",
            total=41.7359,
            costed_jobs=5,
            not_costed_jobs=1,
            incomplete_jobs=1,
            by_family={"churn": 29.4062, "fraud": 12.3297},
            by_account={"123456789012": 41.7359},
        ),
    )
    return render_digest(digest)


def section(title: str, notification: Notification) -> str:
    chat = json.dumps(json.loads(notification.message["https"]), indent=2, ensure_ascii=False)
    return (
        f"### {title}\n\n"
        f"Subject: `{notification.subject}`\n\n"
        f"Attributes: `{json.dumps(notification.attributes)}`\n\n"
        f"E-mail (`email`, `default`):\n\n```text\n{notification.message['email']}```\n\n"
        f"Slack / Microsoft Teams (`https`, custom notification):\n\n```json\n{chat}\n```\n"
    )


def rendered_example() -> str:
    digest = digest_example()
    return "\n".join(
        [
            section("A job ended (`event_type: ended`)", render_notification(CASES["completed_binary"])),
            section("A job may be stuck (`event_type: stuck`)", stuck_example()),
            section("The digest (`event_type: digest`)", digest),
            f"Its `lambda` and `sqs` copy, for programs:\n\n```json\n"
            f"{json.dumps(json.loads(digest.message['sqs']), indent=2)}\n```\n",
        ]
    )


def test_docs_show_the_rendered_messages():
    text = DOCS.read_text(encoding="utf-8")
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    expected = head + BEGIN + rendered_example() + END + tail
    if UPDATE_GOLDEN:
        DOCS.write_text(expected, encoding="utf-8")
        return
    assert text == expected, "docs/messages.md is stale; run with UPDATE_GOLDEN=1"


# --- one family, in every medium -----------------------------------------------------------------------


FAMILY_CASES = {
    "new best": CASES["completed_binary"],
    "failed, a best stands": CASES["failed"],
    "failed, no best yet": CASES["failed"].model_copy(update={"previous_best": None}),
    "stopped, no best yet": CASES["failed"].model_copy(
        update={"status": "Stopped", "secondary_status": "StoppedByUser", "previous_best": None}
    ),
    "first of its family": record(new_best_in_family=False, previous_best=None),
}


def shown_by_the_cli(report: ReportRecord) -> str:
    out = StringIO()
    show_report(Console(file=out, width=200, highlight=False, markup=False, emoji=False), report)
    return out.getvalue()


@pytest.mark.parametrize("case", sorted(FAMILY_CASES))
def test_email_chat_and_show_agree_on_the_family_of_every_job(case):
    report = FAMILY_CASES[case]
    notification = render_notification(report)
    email = re.search(r"^Family: +(.*)$", notification.message["email"], re.MULTILINE)
    chat = re.search(r"^Family: (.*)$", json.loads(notification.message["https"])["content"]["description"], re.M)
    shown = re.search(r"^  family +(.*)$", shown_by_the_cli(report), re.MULTILINE)
    assert email and chat and shown, (email, chat, shown)
    assert email.group(1).startswith("churn: ")
    assert email.group(1) == chat.group(1) == shown.group(1).rstrip()


def test_a_region_that_is_not_an_aws_region_name_gets_no_link():
    """The region becomes part of the console's host: a hand-made ARN must not turn into someone's link."""
    forged = record(job_arn="arn:aws:sagemaker:evil.example/x?:123456789012:automl-job/churn-2025-01")
    notification = render_notification(forged)
    for protocol in PROTOCOLS:
        assert "://evil" not in notification.message[protocol], protocol
    assert "no console link for this partition and region" in notification.message["email"]
    assert links.job_console_url(forged.job_arn, forged.job_name) is None
    assert "://evil" not in shown_by_the_cli(forged)
