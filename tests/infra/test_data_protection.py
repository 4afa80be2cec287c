"""Encryption at rest, TLS in transit, retention and recovery for every store, topic and queue."""

from __future__ import annotations

import pytest

from tests.infra.helpers import get_att, props, queue_policy_for, resources, topic_policy_for

TLS_DENY = {"Bool": {"aws:SecureTransport": "false"}}


def test_table_keys_indexes_and_capacity(template_json):
    table = props(template_json, "ReportsTable")
    assert table["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    indexes = {index["IndexName"]: index for index in table["GlobalSecondaryIndexes"]}
    for name, number in (("by_status", 1), ("by_partial_failure", 2), ("recent", 3)):
        assert indexes[name]["KeySchema"] == [
            {"AttributeName": f"gsi{number}pk", "KeyType": "HASH"},
            {"AttributeName": f"gsi{number}sk", "KeyType": "RANGE"},
        ]
        assert indexes[name]["Projection"] == {"ProjectionType": "ALL"}
    assert set(indexes) == {"by_status", "by_partial_failure", "recent"}
    assert all(a["AttributeType"] == "S" for a in table["AttributeDefinitions"])
    assert table["BillingMode"] == "PAY_PER_REQUEST"


def test_table_is_encrypted_recoverable_and_retained_by_default(template_json):
    table = template_json["Resources"]["ReportsTable"]
    assert table["Properties"]["SSESpecification"] == {"SSEEnabled": True}
    assert table["Properties"]["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert table["Properties"]["DeletionProtectionEnabled"] is True
    assert table["DeletionPolicy"] == table["UpdateReplacePolicy"] == "Retain"


def test_removal_policy_destroy_lets_a_test_stack_go(full_template_json):
    table = full_template_json["Resources"]["ReportsTable"]
    assert table["DeletionPolicy"] == "Delete"
    assert table["Properties"]["DeletionProtectionEnabled"] is False
    assert table["Properties"]["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    for logical_id in (
        "WatcherLogGroup",
        "ReporterLogGroup",
        "NotifierLogGroup",
        "MessagingKey",
        "NotifierFailureQueue",
        "WatcherFailureQueue",
    ):
        assert full_template_json["Resources"][logical_id]["DeletionPolicy"] == "Delete"


@pytest.mark.parametrize("fixture", ["template_json", "full_template_json"])
def test_every_topic_is_kms_encrypted_and_tls_only(request, fixture):
    template = request.getfixturevalue(fixture)
    topics = resources(template, "AWS::SNS::Topic")
    assert set(topics) == {"ReportsTopic", "OperatorsTopic"}
    for name, body in topics.items():
        assert body["Properties"]["KmsMasterKeyId"] == get_att("MessagingKey")
        denies = [s for s in topic_policy_for(template, name) if s["Effect"] == "Deny"]
        assert denies and all(s["Condition"] == TLS_DENY and s["Principal"] == "*" for s in denies)
        assert "sns:Publish" in [s["Action"] for s in denies]


@pytest.mark.parametrize("fixture", ["template_json", "full_template_json"])
def test_every_queue_is_kms_encrypted_tls_only_and_dead_letters_keep_14_days(request, fixture):
    template = request.getfixturevalue(fixture)
    queues = resources(template, "AWS::SQS::Queue")
    assert set(queues) == {
        "WatcherTriggerDeadLetterQueue",
        "ReporterDeliveryDeadLetterQueue",
        "ReporterQueue",  # the reporter's work (test_wiring.py), whose redrive is ReporterFailureQueue
        "ReporterFailureQueue",
        "NotifierFailureQueue",
        "WatcherFailureQueue",
    }
    for name, body in queues.items():
        assert body["Properties"]["KmsMasterKeyId"] == get_att("MessagingKey")
        retention = 4 if name == "ReporterQueue" else 14  # what fails there moves to a 14-day queue
        assert body["Properties"]["MessageRetentionPeriod"] == retention * 24 * 3600
        denies = [s for s in queue_policy_for(template, name) if s["Effect"] == "Deny"]
        assert denies == [
            {
                "Action": "sqs:*",
                "Condition": TLS_DENY,
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Resource": get_att(name),
            }
        ]


def test_messaging_key_rotates_and_admits_only_the_services_that_use_it(template_json):
    key = props(template_json, "MessagingKey")
    assert key["EnableKeyRotation"] is True
    services = [s for s in key["KeyPolicy"]["Statement"] if "Service" in s.get("Principal", {})]
    senders = {s["Principal"]["Service"]: sorted(s["Action"]) for s in services if "Condition" not in s}
    assert senders == {
        "events.amazonaws.com": ["kms:Decrypt", "kms:GenerateDataKey"],
        "cloudwatch.amazonaws.com": ["kms:Decrypt", "kms:GenerateDataKey"],
    }
    assert [s["Sid"] for s in services if "Condition" in s] == ["CloudWatchLogsOfThisAccount"]


# CloudWatch Logs' principal is regional, with the partition's DNS suffix (amazonaws.com.cn in China).
LOGS_PRINCIPAL = {"Fn::Join": ["", ["logs.", {"Ref": "AWS::Region"}, ".", {"Ref": "AWS::URLSuffix"}]]}
LOG_GROUPS_OF_THIS_ACCOUNT = {
    "Fn::Join": [
        "",
        [
            "arn:",
            {"Ref": "AWS::Partition"},
            ":logs:",
            {"Ref": "AWS::Region"},
            ":",
            {"Ref": "AWS::AccountId"},
            ":log-group:*",
        ],
    ]
}


@pytest.mark.parametrize("fixture", ["template_json", "full_template_json"])
def test_the_key_admits_cloudwatch_logs_for_this_accounts_log_groups_only(request, fixture):
    """The statement AWS documents for encrypting log data with KMS, bound to this account and region."""
    from aws_cdk import assertions  # jsii starts only in sessions that synthesize

    template = assertions.Template.from_json(request.getfixturevalue(fixture))
    template.has_resource_properties(
        "AWS::KMS::Key",
        {
            "KeyPolicy": {
                "Statement": assertions.Match.array_with(
                    [
                        {
                            "Sid": "CloudWatchLogsOfThisAccount",
                            "Effect": "Allow",
                            "Principal": {"Service": LOGS_PRINCIPAL},
                            "Action": [
                                "kms:Decrypt*",
                                "kms:Describe*",
                                "kms:Encrypt*",
                                "kms:GenerateDataKey*",
                                "kms:ReEncrypt*",
                            ],
                            "Resource": "*",
                            "Condition": {
                                "ArnLike": {"kms:EncryptionContext:aws:logs:arn": LOG_GROUPS_OF_THIS_ACCOUNT}
                            },
                        }
                    ]
                )
            }
        },
    )


@pytest.mark.parametrize("fixture", ["template_json", "full_template_json"])
def test_every_log_group_is_encrypted_with_the_stacks_key(request, fixture):
    from aws_cdk import assertions

    template = assertions.Template.from_json(request.getfixturevalue(fixture))
    log_groups = template.find_resources("AWS::Logs::LogGroup")
    assert set(log_groups) == {"WatcherLogGroup", "ReporterLogGroup", "NotifierLogGroup"}
    template.resource_properties_count_is("AWS::Logs::LogGroup", {"KmsKeyId": get_att("MessagingKey")}, 3)
    # CloudWatch Logs encrypts as itself: writing logs needs no KMS permission in the functions' roles
    # (tests/infra/test_iam.py pins each role's grants exactly).


def test_only_this_accounts_alarms_may_publish_to_the_operators_topic(template_json):
    allows = [s for s in topic_policy_for(template_json, "OperatorsTopic") if s["Effect"] == "Allow"]
    assert allows == [
        {
            "Action": "sns:Publish",
            "Condition": {
                "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}},
                "ArnLike": {
                    "aws:SourceArn": {
                        "Fn::Join": [
                            "",
                            [
                                "arn:",
                                {"Ref": "AWS::Partition"},
                                ":cloudwatch:",
                                {"Ref": "AWS::Region"},
                                ":",
                                {"Ref": "AWS::AccountId"},
                                ":alarm:*",
                            ],
                        ]
                    }
                },
            },
            "Effect": "Allow",
            "Principal": {"Service": "cloudwatch.amazonaws.com"},
            "Resource": {"Ref": "OperatorsTopic"},
            "Sid": "CloudWatchAlarmsOfThisAccount",
        }
    ]
    assert [s for s in topic_policy_for(template_json, "ReportsTopic") if s["Effect"] == "Allow"] == []


@pytest.mark.parametrize(("fixture", "days"), [("template_json", 30), ("full_template_json", 90)])
def test_functions_log_json_to_their_own_group_with_retention(request, fixture, days):
    template = request.getfixturevalue(fixture)
    for name in ("Watcher", "Reporter", "Notifier"):
        assert props(template, f"{name}LogGroup")["RetentionInDays"] == days
        assert props(template, f"{name}Function")["LoggingConfig"] == {
            "LogFormat": "JSON",
            "ApplicationLogLevel": "INFO",
            "SystemLogLevel": "WARN",
            "LogGroup": {"Ref": f"{name}LogGroup"},
        }
    assert set(resources(template, "AWS::Logs::LogGroup")) == {
        "WatcherLogGroup",
        "ReporterLogGroup",
        "NotifierLogGroup",
    }


def test_no_secrets_in_function_environments(full_template_json):
    suspicious = ("SECRET", "PASSWORD", "TOKEN", "WEBHOOK", "KEY")
    for name in ("WatcherFunction", "ReporterFunction", "NotifierFunction"):
        variables = props(full_template_json, name)["Environment"]["Variables"]
        assert not [v for v in variables if any(word in v.upper() for word in suspicious)], variables
