"""Each role's policy: exact actions on exact resources, nothing managed, nothing wild."""

from __future__ import annotations

from typing import Any

from tests.infra.conftest import OUTPUT_KEY, OUTPUT_MRK
from tests.infra.helpers import as_list, conditions_for, get_att, grants, policy_statements_for_role, ref, resources

AUTOML_JOBS = {
    "Fn::Join": [
        "",
        [
            "arn:",
            {"Ref": "AWS::Partition"},
            ":sagemaker:",
            {"Ref": "AWS::Region"},
            ":",
            {"Ref": "AWS::AccountId"},
            ":automl-job/*",
        ],
    ]
}
DEFAULT_BUCKET = {"Fn::Sub": "arn:${AWS::Partition}:s3:::sagemaker-${AWS::Region}-${AWS::AccountId}"}
DEFAULT_OBJECTS = {"Fn::Sub": "arn:${AWS::Partition}:s3:::sagemaker-${AWS::Region}-${AWS::AccountId}/*/analysis.json"}
XRAY = {"xray:PutTraceSegments": ["*"], "xray:PutTelemetryRecords": ["*"]}
SEAL = {"kms:GenerateMac": [get_att("SealKey")]}  # every function derives the seal key (domain/seal.py)


def _logs(log_group: str) -> dict[str, list[Any]]:
    return {action: [get_att(log_group)] for action in ("logs:CreateLogStream", "logs:PutLogEvents")}


def index_arn(index):
    return {"Fn::Join": ["", [get_att("ReportsTable"), f"/index/{index}"]]}


def test_watcher_role_grants_exactly_what_the_watcher_calls(template_json):
    table = [get_att("ReportsTable")]
    assert grants(policy_statements_for_role(template_json, "WatcherRole")) == {
        **_logs("WatcherLogGroup"),
        **XRAY,
        **SEAL,
        "sagemaker:ListAutoMLJobs": ["*"],
        "dynamodb:GetItem": table,
        "dynamodb:BatchGetItem": table,
        "dynamodb:UpdateItem": table,
        "dynamodb:PutItem": table,  # a digest's commit
        "dynamodb:Query": [index_arn("by_partial_failure"), index_arn("by_status")],  # stalled jobs, digests
        "events:PutEvents": [get_att("EventBus")],
        "kms:GenerateDataKey": [get_att("MessagingKey")],  # for its failure queue only
        "kms:Decrypt": [get_att("MessagingKey")],
        "sqs:SendMessage": [get_att("WatcherFailureQueue")],
        "sqs:GetQueueAttributes": [get_att("ReporterQueue")],  # before a change not yet stored goes out again
    }


def test_reporter_role_grants_exactly_what_the_reporter_calls(template_json):
    table = [get_att("ReportsTable")]
    queue = [get_att("ReporterQueue")]
    assert grants(policy_statements_for_role(template_json, "ReporterRole")) == {
        **_logs("ReporterLogGroup"),
        **XRAY,
        **SEAL,
        "sagemaker:DescribeAutoMLJob": [AUTOML_JOBS],
        "sagemaker:DescribeAutoMLJobV2": [AUTOML_JOBS],
        "sagemaker:ListCandidatesForAutoMLJob": ["*"],
        "s3:ListBucket": [DEFAULT_BUCKET],
        "s3:GetObject": [DEFAULT_OBJECTS],
        "dynamodb:PutItem": table,
        "dynamodb:UpdateItem": table,
        "dynamodb:ConditionCheckItem": table,
        # Lambda's polling of its queue, as the reporter's role (the reporter itself publishes nothing)
        "sqs:ReceiveMessage": queue,
        "sqs:DeleteMessage": queue,
        "sqs:GetQueueAttributes": queue,
        "kms:Decrypt": [get_att("MessagingKey")],
    }


def test_reporter_without_a_leaderboard_cannot_list_candidates(full_template_json):
    allowed = grants(policy_statements_for_role(full_template_json, "ReporterRole"))
    assert "sagemaker:ListCandidatesForAutoMLJob" not in allowed
    assert "sns:Publish" not in allowed


def test_reporter_decrypts_with_exactly_the_configured_keys_and_only_through_s3(template_json, full_template_json):
    default = policy_statements_for_role(template_json, "ReporterRole")
    assert grants(default)["kms:Decrypt"] == [get_att("MessagingKey")]  # no output key configured: nothing more
    statements = policy_statements_for_role(full_template_json, "ReporterRole")
    (output_keys,) = [s for s in statements if s.get("Condition") and "kms:Decrypt" in as_list(s["Action"])]
    assert as_list(output_keys["Action"]) == ["kms:Decrypt"]
    assert as_list(output_keys["Resource"]) == [OUTPUT_KEY, OUTPUT_MRK]
    assert output_keys["Condition"] == {
        "StringEquals": {"kms:ViaService": {"Fn::Join": ["", ["s3.", {"Ref": "AWS::Region"}, ".amazonaws.com"]]}}
    }


def test_notifier_role_publishes_reads_the_stream_and_parks_failures(template_json):
    key = [get_att("MessagingKey")]
    stream = [get_att("ReportsTable", "StreamArn")]
    assert grants(policy_statements_for_role(template_json, "NotifierRole")) == {
        **_logs("NotifierLogGroup"),
        **XRAY,
        **SEAL,
        "sns:Publish": [ref("ReportsTopic")],
        "kms:GenerateDataKey": key,
        "kms:Decrypt": key,
        "dynamodb:DescribeStream": stream,
        "dynamodb:GetRecords": stream,
        "dynamodb:GetShardIterator": stream,
        "dynamodb:ListStreams": stream,
        "sqs:SendMessage": [get_att("NotifierFailureQueue")],
    }


def test_reporter_reads_only_configured_output_locations_and_prefixes(full_template_json):
    statements = policy_statements_for_role(full_template_json, "ReporterRole")
    allowed = grants(statements)
    assert sorted(map(str, allowed["s3:ListBucket"])) == sorted(
        map(str, [{"Fn::Sub": "arn:${AWS::Partition}:s3:::ml-output"}, DEFAULT_BUCKET])
    )
    # Only Clarify's analysis.json files: the report files beside them are linked, never read.
    assert sorted(map(str, allowed["s3:GetObject"])) == sorted(
        map(str, [{"Fn::Sub": "arn:${AWS::Partition}:s3:::ml-output/autopilot/*/analysis.json"}, DEFAULT_OBJECTS])
    )
    assert [action for action in allowed if action.startswith("s3:")] == ["s3:ListBucket", "s3:GetObject"]
    list_conditions = {
        str(as_list(s["Resource"])[0]): s.get("Condition")
        for s in statements
        if "s3:ListBucket" in as_list(s["Action"])
    }
    assert list_conditions[str({"Fn::Sub": "arn:${AWS::Partition}:s3:::ml-output"})] == {
        "StringLike": {"s3:prefix": ["autopilot", "autopilot/*"]}
    }
    assert list_conditions[str(DEFAULT_BUCKET)] is None  # a whole bucket was configured


def test_scheduler_role_may_only_invoke_the_watcher_and_reach_its_dead_letter_queue(template_json):
    assert grants(policy_statements_for_role(template_json, "WatcherScheduleRole")) == {
        "lambda:InvokeFunction": [
            get_att("WatcherFunction"),
            {"Fn::Join": ["", [get_att("WatcherFunction"), ":*"]]},
        ],
        "sqs:SendMessage": [get_att("WatcherTriggerDeadLetterQueue")],
        "kms:GenerateDataKey": [get_att("MessagingKey")],
        "kms:Decrypt": [get_att("MessagingKey")],
    }


def test_roles_are_assumable_only_by_their_service(template_json):
    trust = {
        name: body["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        for name, body in resources(template_json, "AWS::IAM::Role").items()
    }
    assert (
        trust["WatcherRole"]
        == trust["ReporterRole"]
        == trust["NotifierRole"]
        == [{"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}}]
    )
    assert trust["WatcherScheduleRole"] == [
        {
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}},
            "Effect": "Allow",
            "Principal": {"Service": "scheduler.amazonaws.com"},
        }
    ]


def test_no_wildcard_actions_and_star_resources_only_where_iam_has_no_resource_types(template_json, full_template_json):
    # The only actions IAM cannot scope to a resource (service authorization reference).
    unscopable = {
        "sagemaker:ListAutoMLJobs",
        "sagemaker:ListCandidatesForAutoMLJob",
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
    }
    for tmpl in (template_json, full_template_json):
        for name, body in {
            **resources(tmpl, "AWS::IAM::Policy"),
            **resources(tmpl, "AWS::IAM::ManagedPolicy"),
        }.items():
            for statement in body["Properties"]["PolicyDocument"]["Statement"]:
                if statement["Effect"] != "Allow":
                    continue
                for action in as_list(statement["Action"]):
                    assert "*" not in action, f"{name} allows wildcard action {action}"
                    if "*" in as_list(statement["Resource"]):
                        assert action in unscopable, f"{name} allows {action} on '*'"


def test_function_policies_have_no_conditions_except_s3_prefixes_and_kms_via_s3(full_template_json):
    statements = policy_statements_for_role(full_template_json, "ReporterRole")
    conditioned = [s for s in statements if s.get("Condition")]
    assert {tuple(as_list(s["Action"])) for s in conditioned} == {("s3:ListBucket",), ("kms:Decrypt",)}
    notifier = policy_statements_for_role(full_template_json, "NotifierRole")
    assert conditions_for(notifier, "sns:Publish") == [None]
