"""How events reach the functions: patterns, targets, retries, dead letters, schedule, async config."""

from __future__ import annotations

import json

import pytest

from autopilot_reports import metric_names
from autopilot_reports.settings import Settings
from infra import constants as c
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
        },
    }
    target = _single_target(template_json, "CloudTrailAutoMLRule")
    assert target["Arn"] == get_att("WatcherFunction")
    assert "Input" not in target and "InputPath" not in target  # the event goes as is
    assert target["DeadLetterConfig"] == {"Arn": get_att("WatcherTriggerDeadLetterQueue")}
    assert target["RetryPolicy"] == RETRY_POLICY


def test_state_change_rule_on_our_bus_feeds_the_reporter(template_json):
    rule = props(template_json, "StateChangeRule")
    assert rule["EventBusName"] == ref("EventBus")
    assert rule["EventPattern"] == {"source": ["autopilot-reports"], "detail-type": ["AutoML Job State Change"]}
    target = _single_target(template_json, "StateChangeRule")
    assert target["Arn"] == get_att("ReporterFunction")
    assert target["DeadLetterConfig"] == {"Arn": get_att("ReporterDeliveryDeadLetterQueue")}
    assert target["RetryPolicy"] == RETRY_POLICY
    assert props(template_json, "EventBus")["Name"] == "autopilot-reports"


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
        ("WatcherFunction", "ChildJobRule"),
        ("ReporterFunction", "StateChangeRule"),
    }
    assert all(p["Principal"] == "events.amazonaws.com" and p["Action"] == "lambda:InvokeFunction" for p in permissions)
    for queue, rules in (
        ("WatcherTriggerDeadLetterQueue", {"CloudTrailAutoMLRule", "ChildJobRule"}),
        ("ReporterDeliveryDeadLetterQueue", {"StateChangeRule"}),
    ):
        senders = {
            s["Condition"]["ArnEquals"]["aws:SourceArn"]["Fn::GetAtt"][0]
            for s in queue_policy_for(full_template_json, queue)
            if s["Effect"] == "Allow"
        }
        assert senders == rules


def test_async_invocation_of_the_reporter_retries_then_parks_the_event(template_json):
    configs = {
        body["Properties"]["FunctionName"]["Ref"]: body["Properties"]
        for body in resources(template_json, "AWS::Lambda::EventInvokeConfig").values()
    }
    assert configs["ReporterFunction"] == {
        "FunctionName": ref("ReporterFunction"),
        "Qualifier": "$LATEST",
        "MaximumRetryAttempts": 2,
        "MaximumEventAgeInSeconds": 3600,
        "DestinationConfig": {"OnFailure": {"Destination": get_att("ReporterFailureQueue")}},
    }
    # A stale tick is worthless: no retries, dropped after one interval (the next tick redoes it).
    assert configs["WatcherFunction"]["MaximumRetryAttempts"] == 0
    assert configs["WatcherFunction"]["MaximumEventAgeInSeconds"] == 60


def test_watcher_runs_one_at_a_time(template_json):
    assert props(template_json, "WatcherFunction")["ReservedConcurrentExecutions"] == 1
    assert "ReservedConcurrentExecutions" not in props(template_json, "ReporterFunction")


COMMON_ENV = {
    "POWERTOOLS_SERVICE_NAME": metric_names.SERVICE,
    "POWERTOOLS_METRICS_NAMESPACE": metric_names.NAMESPACE,
    "POWERTOOLS_LOG_LEVEL": "INFO",
}


def test_function_environments_follow_the_settings_contract(template_json):
    _, watcher = function_by_handler(template_json, "autopilot_reports.handlers.watcher.handler")
    _, reporter = function_by_handler(template_json, "autopilot_reports.handlers.reporter.handler")
    assert watcher["Environment"]["Variables"] == {
        **COMMON_ENV,
        "TABLE_NAME": ref("ReportsTable"),
        "EVENT_BUS_NAME": ref("EventBus"),
        "JOB_NAME_PREFIX": "",
        "WATERMARK_OVERLAP_SECONDS": "300",
    }
    assert reporter["Environment"]["Variables"] == {
        **COMMON_ENV,
        "TABLE_NAME": ref("ReportsTable"),
        "TOPIC_ARN": ref("ReportsTopic"),
        "TOP_FEATURES": "10",
        "ANALYSIS_MAX_BYTES": str(20 * 1024 * 1024),
        "NOTIFY_STATUSES": "Completed,Failed,Stopped",
    }


def test_configured_environment_is_what_the_handlers_parse(full_template_json):
    reporter = props(full_template_json, "ReporterFunction")["Environment"]["Variables"]
    watcher = props(full_template_json, "WatcherFunction")["Environment"]["Variables"]
    literal = {k: v for k, v in {**watcher, **reporter}.items() if isinstance(v, str)}
    settings = Settings.from_env({**literal, "TABLE_NAME": "table"})
    assert settings.top_features == 25
    assert settings.analysis_max_bytes == 10 * 1024 * 1024
    assert settings.notify_statuses == ("Completed", "Failed")
    assert settings.job_name_prefix == "team-a-"


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
    for name, memory in (("WatcherFunction", 256), ("ReporterFunction", 512)):
        function = props(template_json, name)
        assert function["Runtime"] == "python3.13"
        assert function["Architectures"] == ["x86_64"]
        assert function["Layers"] == [ref(layer_parameter)]
        assert function["MemorySize"] == memory
        assert function["Timeout"] == 60
        assert function["TracingConfig"] == {"Mode": "Active"}


def test_powertools_version_is_read_from_requirements(tmp_path):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("boto3==1.0\naws-lambda-powertools[tracer,parser]==3.99.1  # layer\n")
    assert c.powertools_version.__wrapped__(requirements) == "3.99.1"
    requirements.write_text("boto3==1.0\n")
    with pytest.raises(RuntimeError, match="must pin aws-lambda-powertools"):
        c.powertools_version.__wrapped__(requirements)


def test_reporter_rule_matches_the_event_the_watcher_publishes():
    from autopilot_reports.models import events

    assert (c.EVENT_SOURCE, c.STATE_CHANGE_DETAIL_TYPE) == (events.EVENT_SOURCE, events.EVENT_DETAIL_TYPE)


def test_reporter_memory_follows_the_analysis_cap():
    from infra.constants import reporter_memory_mb

    assert reporter_memory_mb(20 * 2**20) == 512  # default cap: measured peak ~240 MiB
    assert reporter_memory_mb(100 * 2**20) == 1344  # the largest cap the config allows
    assert all(reporter_memory_mb(mib * 2**20) % 64 == 0 for mib in range(1, 101))
