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
        tls = [s for s in topic_policy_for(template, name) if s["Effect"] == "Deny" and s["Condition"] == TLS_DENY]
        assert tls and all(s["Principal"] == "*" for s in tls)
        assert "sns:Publish" in [s["Action"] for s in tls]


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


def _this_account(service: str, resource: str) -> dict:
    """arn:<partition>:<service>:<region>:<account>:<resource>, as the template writes it."""
    return {
        "Fn::Join": [
            "",
            [
                "arn:",
                {"Ref": "AWS::Partition"},
                f":{service}:",
                {"Ref": "AWS::Region"},
                ":",
                {"Ref": "AWS::AccountId"},
                f":{resource}",
            ],
        ]
    }


def test_messaging_key_rotates_and_admits_only_the_services_that_use_it_under_conditions(template_json):
    """No service principal uses the key unconditionally: EventBridge only for this account's queues (the
    encryption context SQS sends; AWS documents that EventBridge's deliveries carry no aws:SourceArn to KMS),
    CloudWatch only for this account's alarms (aws:SourceAccount, aws:SourceArn), CloudWatch Logs only for
    this account's log groups (below)."""
    key = props(template_json, "MessagingKey")
    assert key["EnableKeyRotation"] is True
    services = {s["Sid"]: s for s in key["KeyPolicy"]["Statement"] if "Service" in s.get("Principal", {})}
    assert set(services) == {
        "EventBridgeDeadLetterQueues",
        "CloudWatchAlarmsToOperatorsTopic",
        "CloudWatchLogsOfThisAccount",
    }
    assert all(s.get("Condition") for s in services.values())
    events = services["EventBridgeDeadLetterQueues"]
    assert events["Principal"] == {"Service": "events.amazonaws.com"}
    assert sorted(events["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert events["Condition"] == {"ArnLike": {"kms:EncryptionContext:aws:sqs:arn": _this_account("sqs", "*")}}
    alarms = services["CloudWatchAlarmsToOperatorsTopic"]
    assert alarms["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert sorted(alarms["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert alarms["Condition"] == {
        "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}},
        "ArnLike": {"aws:SourceArn": _this_account("cloudwatch", "alarm:*")},
    }


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


NOTIFIER_ROLE = get_att("NotifierRole")


@pytest.mark.parametrize("fixture", ["template_json", "full_template_json"])
def test_only_the_notifiers_role_publishes_to_the_reports_topic(request, fixture):
    """The channel only the stack speaks on: the notifier's role is admitted, every other principal (this
    account's too, and any service) is denied sns:Publish."""
    statements = topic_policy_for(request.getfixturevalue(fixture), "ReportsTopic")
    publishers = [s for s in statements if s["Effect"] == "Allow"]
    assert publishers == [
        {
            "Action": "sns:Publish",
            "Effect": "Allow",
            "Principal": {"AWS": NOTIFIER_ROLE},
            "Resource": {"Ref": "ReportsTopic"},
            "Sid": "PublishedByTheNotifierOnly",
        }
    ]
    assert {
        "Action": "sns:Publish",
        "Condition": {"ArnNotEquals": {"aws:PrincipalArn": NOTIFIER_ROLE}},
        "Effect": "Deny",
        "Principal": "*",
        "Resource": {"Ref": "ReportsTopic"},
        "Sid": "NobodyElsePublishes",
    } in statements


@pytest.mark.parametrize("topic", ["ReportsTopic", "OperatorsTopic"])
def test_only_this_accounts_principals_subscribe(template_json, topic):
    """A deny, so no later allow can open the topic to another account; AWS services acting for the account
    (AWS Chatbot subscribing its channel) are not principals of an account, and stay admitted."""
    assert {
        "Action": "sns:Subscribe",
        "Condition": {
            "StringNotEquals": {"aws:PrincipalAccount": {"Ref": "AWS::AccountId"}},
            "Bool": {"aws:PrincipalIsAWSService": "false"},
        },
        "Effect": "Deny",
        "Principal": "*",
        "Resource": {"Ref": topic},
        "Sid": "SubscribersOfThisAccountOnly",
    } in topic_policy_for(template_json, topic)


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


def test_the_seal_key_is_used_by_the_stacks_functions_only(template_json):
    """An HMAC key whose use IAM cannot grant: the account administers it, never uses it (no kms:* and no
    CreateGrant for the account), and only the three functions' roles may derive the seal key, with
    HMAC_SHA_256. The functions name it by its alias."""
    key = props(template_json, "SealKey")
    assert (key["KeySpec"], key["KeyUsage"]) == ("HMAC_256", "GENERATE_VERIFY_MAC")
    statements = {s["Sid"]: s for s in key["KeyPolicy"]["Statement"]}
    assert set(statements) == {"AdministeredByTheAccountNeverUsed", "SealedByTheStacksFunctionsOnly"}
    administration = statements["AdministeredByTheAccountNeverUsed"]["Action"]
    assert "kms:*" not in administration and "kms:CreateGrant" not in administration
    assert not [action for action in administration if action.startswith(("kms:Generate", "kms:Verify"))]
    assert "kms:PutKeyPolicy" in administration  # KMS requires it: a change of users is a policy change
    use = statements["SealedByTheStacksFunctionsOnly"]
    assert use["Action"] == "kms:GenerateMac"
    assert sorted(p["Fn::GetAtt"][0] for p in use["Principal"]["AWS"]) == [
        "NotifierRole",
        "ReporterRole",
        "WatcherRole",
    ]
    assert use["Condition"] == {"StringEquals": {"kms:MacAlgorithm": "HMAC_SHA_256"}}
    alias = props(template_json, "SealKeyAlias")
    assert (alias["AliasName"], alias["TargetKeyId"]) == ("alias/AutopilotReports-seal", {"Ref": "SealKey"})
    assert template_json["Resources"]["SealKey"]["DeletionPolicy"] == "Retain"
