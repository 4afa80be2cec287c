"""How events reach the functions: patterns, targets, retries, dead letters, schedule, async config."""

from __future__ import annotations

import json

import pytest

from autopilot_reports import constants as shared
from autopilot_reports.settings import ReporterSettings, WatcherSettings
from infra import constants as c
from infra.assembly import code_asset
from tests.infra.conftest import LAYER_ARN
from tests.infra.helpers import function_by_handler, get_att, props, queue_policy_for, ref, resources

RETRY_POLICY = {"MaximumEventAgeInSeconds": 7200, "MaximumRetryAttempts": 4}


def _single_target(template, rule_id):
    targets = props(template, rule_id)["Targets"]
    assert len(targets) == 1
    return targets[0]


def test_cloudtrail_rule_on_the_default_bus_wakes_the_watcher(template_json):
    rule = props(template_json, "CloudTrailAutoMLRule")
    assert "EventBusName" not in rule  # the default bus, where CloudTrail delivers
    assert rule["EventPattern"] == {
        "source": ["aws.sagemaker"],
        "detail-type": ["AWS API Call via CloudTrail"],
        "detail": {
            "eventSource": ["sagemaker.amazonaws.com"],
            "eventName": ["CreateAutoMLJob", "CreateAutoMLJobV2", "StopAutoMLJob"],
            "errorCode": [{"exists": False}],  # a refused call (AccessDenied, ValidationException) wakes nothing
        },
    }
    target = _single_target(template_json, "CloudTrailAutoMLRule")
    assert target["Arn"] == get_att("WatcherFunction")
    assert "Input" not in target and "InputPath" not in target  # the event goes as is
    assert target["DeadLetterConfig"] == {"Arn": get_att("WatcherTriggerDeadLetterQueue")}
    assert target["RetryPolicy"] == RETRY_POLICY


def test_a_refused_automl_call_never_wakes_the_watcher(template_json):
    """A principal with no SageMaker rights calls CreateAutoMLJob and is refused: CloudTrail records the call
    with an errorCode, and the rule's pattern (as EventBridge matches it; the sandbox's matcher) drops it."""
    from moto.events.models import EventPattern

    pattern = EventPattern.load(json.dumps(props(template_json, "CloudTrailAutoMLRule")["EventPattern"]))
    detail = {
        "eventSource": "sagemaker.amazonaws.com",
        "eventName": "CreateAutoMLJob",
        "requestParameters": {"autoMLJobName": "churn-2025-06-01"},
    }
    call = {"source": "aws.sagemaker", "detail-type": "AWS API Call via CloudTrail", "detail": detail}
    refused = {**call, "detail": {**detail, "errorCode": "AccessDenied", "errorMessage": "User: ... is not authorized"}}
    assert pattern.matches_event(call)
    assert not pattern.matches_event(refused)


def test_state_change_rule_on_our_bus_feeds_the_reporters_queue(template_json):
    rule = props(template_json, "StateChangeRule")
    assert rule["EventBusName"] == ref("EventBus")
    assert rule["EventPattern"] == {"source": ["autopilot-reports"], "detail-type": ["AutoML Job State Change"]}
    target = _single_target(template_json, "StateChangeRule")
    assert target["Arn"] == get_att("ReporterQueue")
    assert "Input" not in target and "InputPath" not in target  # the event goes as is: the message body
    assert target["DeadLetterConfig"] == {"Arn": get_att("ReporterDeliveryDeadLetterQueue")}
    assert target["RetryPolicy"] == RETRY_POLICY
    assert props(template_json, "EventBus")["Name"] == "AutopilotReports"  # the stack's name


@pytest.mark.parametrize(("fixture", "concurrency"), [("template_json", 5), ("full_template_json", 8)])
def test_a_burst_waits_in_the_reporters_queue_and_takes_a_bounded_share_of_the_account(request, fixture, concurrency):
    """docs/design.md §2.3: the mapping's MaximumConcurrency caps the reporter without a reservation (a
    new account, concurrency 10 and 10 unreserved, could not deploy one), leaving the rest of the account
    to the watcher, the notifier and its other functions; a message the reporter keeps failing on moves
    to ReporterFailureQueue after 5 receives; a message is hidden six times the function's timeout."""
    template = request.getfixturevalue(fixture)
    mappings = [
        body["Properties"]
        for body in resources(template, "AWS::Lambda::EventSourceMapping").values()
        if body["Properties"]["EventSourceArn"] == get_att("ReporterQueue")
    ]
    assert mappings == [
        {
            "EventSourceArn": get_att("ReporterQueue"),
            "FunctionName": ref("ReporterFunction"),
            "BatchSize": 10,
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
            "ScalingConfig": {"MaximumConcurrency": concurrency},
        }
    ]
    assert 2 <= concurrency < 10  # Lambda's minimum; below a new account's whole concurrency
    assert "ReservedConcurrentExecutions" not in props(template, "ReporterFunction")
    queue = props(template, "ReporterQueue")
    assert queue["RedrivePolicy"] == {"deadLetterTargetArn": get_att("ReporterFailureQueue"), "maxReceiveCount": 5}
    assert queue["VisibilityTimeout"] >= 6 * props(template, "ReporterFunction")["Timeout"]
    assert "DelaySeconds" not in queue and "ReceiveMessageWaitTimeSeconds" not in queue
    # EventBridge may send to it for the state-change rule only; nobody else is admitted
    admitted = [s for s in queue_policy_for(template, "ReporterQueue") if s["Effect"] == "Allow"]
    assert admitted == [
        {
            "Action": "sqs:SendMessage",
            "Condition": {"ArnEquals": {"aws:SourceArn": get_att("StateChangeRule")}},
            "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"},
            "Resource": get_att("ReporterQueue"),
            "Sid": admitted[0]["Sid"],
        }
    ]


@pytest.mark.parametrize("fixture", ["template_json", "full_template_json"])
def test_history_import_pieces_on_our_bus_wake_the_watcher(request, fixture):
    template = request.getfixturevalue(fixture)
    rule = props(template, "HistoryImportRule")
    assert rule["EventBusName"] == ref("EventBus")
    assert rule["EventPattern"] == {"source": ["autopilot-reports"], "detail-type": ["AutoML History Import"]}
    assert rule["EventPattern"]["detail-type"] == [shared.IMPORT_DETAIL_TYPE]
    target = _single_target(template, "HistoryImportRule")
    assert target["Arn"] == get_att("WatcherFunction")
    assert "Input" not in target and "InputPath" not in target
    assert target["DeadLetterConfig"] == {"Arn": get_att("WatcherTriggerDeadLetterQueue")}
    assert target["RetryPolicy"] == RETRY_POLICY


def test_child_job_nudges_are_off_by_default_and_match_autopilot_children_when_on(template_json, full_template_json):
    assert "ChildJobRule" not in template_json["Resources"]
    rule = props(full_template_json, "ChildJobRule")
    assert "EventBusName" not in rule
    assert rule["EventPattern"] == {
        "source": ["aws.sagemaker"],
        "detail-type": [
            "SageMaker Training Job State Change",
            "SageMaker Processing Job State Change",
            "SageMaker Transform Job State Change",
        ],
        "detail": {"AutoMLJobArn": [{"exists": True}]},
    }
    target = _single_target(full_template_json, "ChildJobRule")
    assert target["Arn"] == get_att("WatcherFunction")
    assert target["DeadLetterConfig"] == {"Arn": get_att("WatcherTriggerDeadLetterQueue")}
    assert target["RetryPolicy"] == RETRY_POLICY


@pytest.mark.parametrize(
    ("fixture", "expression", "age"),
    [("template_json", "rate(1 minute)", 60), ("full_template_json", "rate(5 minutes)", 300)],
)
def test_schedule_ticks_the_watcher_with_its_input(request, fixture, expression, age):
    schedule = props(request.getfixturevalue(fixture), "WatcherSchedule")
    assert schedule["ScheduleExpression"] == expression
    assert schedule["State"] == "ENABLED"
    assert schedule["FlexibleTimeWindow"] == {"Mode": "OFF"}
    target = schedule["Target"]
    assert target["Arn"] == get_att("WatcherFunction")
    assert json.loads(target["Input"]) == {"trigger": "schedule"}
    assert target["RoleArn"] == get_att("WatcherScheduleRole")
    assert target["DeadLetterConfig"] == {"Arn": get_att("WatcherTriggerDeadLetterQueue")}
    assert target["RetryPolicy"] == {"MaximumEventAgeInSeconds": age, "MaximumRetryAttempts": 2}


def test_rules_may_invoke_their_function_and_write_their_dead_letter_queue(full_template_json):
    permissions = [body["Properties"] for body in resources(full_template_json, "AWS::Lambda::Permission").values()]
    invoked = {(p["FunctionName"]["Fn::GetAtt"][0], p["SourceArn"]["Fn::GetAtt"][0]) for p in permissions}
    assert invoked == {
        ("WatcherFunction", "CloudTrailAutoMLRule"),
        ("WatcherFunction", "HistoryImportRule"),
        ("WatcherFunction", "ChildJobRule"),
    }  # the reporter is invoked by its queue's event source mapping, never by a rule
    assert all(p["Principal"] == "events.amazonaws.com" and p["Action"] == "lambda:InvokeFunction" for p in permissions)
    for queue, rules in (
        ("WatcherTriggerDeadLetterQueue", {"CloudTrailAutoMLRule", "HistoryImportRule", "ChildJobRule"}),
        ("ReporterDeliveryDeadLetterQueue", {"StateChangeRule"}),
        ("ReporterQueue", {"StateChangeRule"}),
    ):
        senders = {
            s["Condition"]["ArnEquals"]["aws:SourceArn"]["Fn::GetAtt"][0]
            for s in queue_policy_for(full_template_json, queue)
            if s["Effect"] == "Allow"
        }
        assert senders == rules


def test_async_invocation_of_the_watcher_retries_then_parks_the_event(template_json):
    configs = {
        body["Properties"]["FunctionName"]["Ref"]: body["Properties"]
        for body in resources(template_json, "AWS::Lambda::EventInvokeConfig").values()
    }
    assert "ReporterFunction" not in configs  # its queue's mapping invokes it; failures stay in the queue
    # A history-import piece that dies must be retried or the import stops; a retried tick is harmless.
    assert configs["WatcherFunction"] == {
        "FunctionName": ref("WatcherFunction"),
        "Qualifier": "$LATEST",
        "MaximumRetryAttempts": 2,
        "MaximumEventAgeInSeconds": 3600,
        "DestinationConfig": {"OnFailure": {"Destination": get_att("WatcherFailureQueue")}},
    }
    assert "NotifierFunction" not in configs  # the stream invokes it synchronously, with its own retries


def test_no_function_reserves_concurrency_by_default(template_json):
    # New accounts have a concurrency limit of 10 and must keep 10 unreserved: any reservation fails there.
    for name in ("WatcherFunction", "ReporterFunction", "NotifierFunction"):
        assert "ReservedConcurrentExecutions" not in props(template_json, name)


def test_watcher_reserved_concurrency_is_opt_in(full_template_json):
    assert props(full_template_json, "WatcherFunction")["ReservedConcurrentExecutions"] == 2
    assert "ReservedConcurrentExecutions" not in props(full_template_json, "ReporterFunction")


def test_notifier_reads_the_table_stream_with_bounded_retries_and_a_failure_queue(template_json):
    table = props(template_json, "ReportsTable")
    assert table["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    mapping = props(template_json, "NotifierStreamMapping")
    assert mapping["EventSourceArn"] == get_att("ReportsTable", "StreamArn")
    assert mapping["FunctionName"] == ref("NotifierFunction")
    assert mapping["StartingPosition"] == "TRIM_HORIZON"
    assert mapping["BatchSize"] == 10
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["BisectBatchOnFunctionError"] is True
    assert mapping["MaximumRetryAttempts"] == 10
    assert mapping["MaximumRecordAgeInSeconds"] == 24 * 3600
    assert mapping["DestinationConfig"] == {"OnFailure": {"Destination": get_att("NotifierFailureQueue")}}
    # Created after the role may read the stream (Lambda checks the access when it creates the mapping).
    assert "NotifierRolePolicy" in template_json["Resources"]["NotifierStreamMapping"]["DependsOn"]


def test_notifier_sees_only_the_commits_that_lead_to_a_message(template_json):
    filters = props(template_json, "NotifierStreamMapping")["FilterCriteria"]["Filters"]
    ended, stuck, digest = (json.loads(item["Pattern"]) for item in filters)
    assert ended == {
        "eventName": ["INSERT", "MODIFY"],
        "dynamodb": {"Keys": {"sk": {"S": ["REPORT"]}}, "NewImage": {"notified_at": {"S": [{"exists": True}]}}},
    }
    assert stuck == {
        "eventName": ["MODIFY"],
        "dynamodb": {"Keys": {"sk": {"S": ["REPORT"]}}, "NewImage": {"stuck_alerted_for": {"N": [{"exists": True}]}}},
    }
    assert digest == {"eventName": ["INSERT"], "dynamodb": {"Keys": {"sk": {"S": ["DIGEST"]}}}}
    assert ended["dynamodb"]["Keys"] == {shared.SORT_KEY: {"S": [shared.REPORT_SK]}}
    assert list(ended["dynamodb"]["NewImage"]) == [shared.NOTIFIED_AT]


def test_the_digest_runs_on_its_schedule_with_the_scheduled_time(template_json):
    schedule = props(template_json, "DigestSchedule")
    assert schedule["ScheduleExpression"] == "cron(0 8 * * ? *)"
    assert json.loads(schedule["Target"]["Input"]) == {
        "trigger": "digest",
        "scheduled_time": "<aws.scheduler.scheduled-time>",
    }
    assert schedule["Target"]["Arn"] == {"Fn::GetAtt": ["WatcherFunction", "Arn"]}


COMMON_ENV = {
    "POWERTOOLS_SERVICE_NAME": shared.SERVICE,
    "POWERTOOLS_METRICS_NAMESPACE": shared.NAMESPACE,
    "POWERTOOLS_LOG_LEVEL": "INFO",
    "PYDANTIC_DISABLE_PLUGINS": "__all__",  # none is used; looking for one costs each cold start
    "SEAL_ALIAS": ref("SealKeyAlias"),  # every function seals what it writes, or checks the seals
}


def test_function_environments_follow_the_settings_contract(template_json):
    _, watcher = function_by_handler(template_json, "autopilot_reports.handlers.watcher.handler")
    _, reporter = function_by_handler(template_json, "autopilot_reports.handlers.reporter.handler")
    _, notifier = function_by_handler(template_json, "autopilot_reports.handlers.notifier.handler")
    assert watcher["Environment"]["Variables"] == {
        **COMMON_ENV,
        "TABLE_NAME": ref("ReportsTable"),
        "EVENT_BUS_NAME": ref("EventBus"),
        "JOB_NAME_PREFIX": "",
        "WATERMARK_OVERLAP_SECONDS": "300",
        "IMPORT_PAGES_PER_PIECE": "10",
        "JOB_FAMILY_PATTERN": r"^(.+?)(?:-\d+)*$",
        "STUCK_AFTER_MINUTES": "240",
        "DIGEST_PERIOD_HOURS": "24",
        "REPORT_QUEUE_URL": ref("ReporterQueue"),
    }
    assert reporter["Environment"]["Variables"] == {
        **COMMON_ENV,
        "TABLE_NAME": ref("ReportsTable"),
        "TOP_FEATURES": "10",
        "ANALYSIS_MAX_BYTES": str(20 * 1024 * 1024),
        "NOTIFY_STATUSES": "Completed,Failed,Stopped",
        "LEADERBOARD_SIZE": "5",
        "JOB_FAMILY_PATTERN": r"^(.+?)(?:-\d+)*$",
    }
    assert notifier["Environment"]["Variables"] == {**COMMON_ENV, "TOPIC_ARN": ref("ReportsTopic")}


def literal_environment(template, function_id):
    """The function's environment with its resource references resolved to names, as Lambda gives it."""
    variables = props(template, function_id)["Environment"]["Variables"]
    return {name: value if isinstance(value, str) else f"<{name}>" for name, value in variables.items()}


def test_configured_environment_is_what_the_handlers_parse(full_template_json):
    reporter = ReporterSettings.from_env(literal_environment(full_template_json, "ReporterFunction"))
    watcher = WatcherSettings.from_env(literal_environment(full_template_json, "WatcherFunction"))
    assert reporter.top_features == 25
    assert reporter.analysis_max_bytes == 10 * 1024 * 1024
    assert reporter.notify_statuses == ("Completed", "Failed")
    assert reporter.leaderboard_size == 0
    assert watcher.job_name_prefix == "team-a-"
    assert watcher.import_pages_per_piece == 3
    assert reporter.job_family_pattern == watcher.job_family_pattern == r"^team-a-(\w+)-\d+$"
    assert watcher.stuck_after is None and watcher.digest_period_hours == 48
    assert "DigestSchedule" not in full_template_json["Resources"]  # digestSchedule=none


def test_functions_run_python_3_13_with_the_pinned_powertools_layer(template_json):
    version = c.powertools_version()
    parameters = {
        name: body
        for name, body in template_json["Parameters"].items()
        if body.get("Default", "").startswith("/aws/service/powertools/")
    }
    assert [body["Default"] for body in parameters.values()] == [
        f"/aws/service/powertools/python/x86_64/python3.13/{version}"
    ]
    assert all(body["Type"] == "AWS::SSM::Parameter::Value<String>" for body in parameters.values())
    (layer_parameter,) = parameters
    for name, memory in (("WatcherFunction", 256), ("ReporterFunction", 512), ("NotifierFunction", 256)):
        function = props(template_json, name)
        assert function["Runtime"] == "python3.13"
        assert function["Architectures"] == ["x86_64"]
        assert function["Layers"] == [ref(layer_parameter)]
        assert function["MemorySize"] == memory
        assert function["Timeout"] == 60
        assert function["TracingConfig"] == {"Mode": "Active"}


def test_a_named_powertools_layer_replaces_the_ssm_lookup(full_template_json):
    parameters = full_template_json.get("Parameters", {})
    assert not [name for name, body in parameters.items() if body.get("Default", "").startswith("/aws/service/")]
    for name in ("WatcherFunction", "ReporterFunction", "NotifierFunction"):
        assert props(full_template_json, name)["Layers"] == [LAYER_ARN]


def test_the_cli_stays_out_of_the_lambda_asset(synth_app, template_json):
    from pathlib import Path

    codes = {props(template_json, f"{name}Function")["Code"]["S3Key"] for name in ("Watcher", "Reporter", "Notifier")}
    (key,) = codes  # one asset for every function
    asset = code_asset(Path(synth_app.outdir), key)
    assert (asset / "autopilot_reports" / "handlers").is_dir()
    assert (asset / "autopilot_reports" / "constants.py").is_file()
    assert not (asset / "autopilot_reports" / "cli").exists()
    assert not (asset / "autopilot_reports" / "cli.py").exists()
    assert "autopilot_reports/cli" in c.LAMBDA_ASSET_EXCLUDE


def test_powertools_version_is_read_from_requirements(tmp_path):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("boto3==1.0\naws-lambda-powertools[tracer,parser]==3.99.1  # layer\n")
    assert c.powertools_version.__wrapped__(requirements) == "3.99.1"
    requirements.write_text("boto3==1.0\n")
    with pytest.raises(RuntimeError, match="must pin aws-lambda-powertools"):
        c.powertools_version.__wrapped__(requirements)


def test_infra_reads_shared_names_instead_of_retyping_them():
    for name in (
        "EVENT_SOURCE",
        "STATE_CHANGE_DETAIL_TYPE",
        "IMPORT_DETAIL_TYPE",
        "TERMINAL_STATUSES",
        "WATCHER_HANDLER",
        "OUTPUT_TABLE_NAME",
    ):
        assert getattr(c, name) is getattr(shared, name), name


def test_reporter_memory_follows_the_analysis_cap():
    from infra.constants import reporter_memory_mb

    assert reporter_memory_mb(20 * 2**20) == 512  # default cap: measured peak ~240 MiB
    assert reporter_memory_mb(100 * 2**20) == 1344  # the largest cap the config allows
    assert all(reporter_memory_mb(mib * 2**20) % 64 == 0 for mib in range(1, 101))
