"""Alarms (thresholds, metrics, actions) and the dashboard."""

from __future__ import annotations

import json

import pytest

from autopilot_reports import constants as metric_names
from tests.infra.helpers import get_att, props, ref, resources

OPERATORS = [ref("OperatorsTopic")]


def _alarm(template, logical_id):
    alarm = props(template, logical_id)
    assert alarm["AlarmActions"] == OPERATORS and alarm["OKActions"] == OPERATORS
    return alarm


@pytest.mark.parametrize(
    ("alarm_id", "queue_id"),
    [
        ("WatcherTriggersNotEmptyAlarm", "WatcherTriggerDeadLetterQueue"),
        ("ReporterDeliveryNotEmptyAlarm", "ReporterDeliveryDeadLetterQueue"),
        ("ReporterFailuresNotEmptyAlarm", "ReporterFailureQueue"),
        ("NotifierFailuresNotEmptyAlarm", "NotifierFailureQueue"),
    ],
)
def test_each_dead_letter_queue_alarms_on_its_first_message(template_json, alarm_id, queue_id):
    alarm = _alarm(template_json, alarm_id)
    assert alarm["Namespace"] == "AWS/SQS"
    assert alarm["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert alarm["Dimensions"] == [{"Name": "QueueName", "Value": get_att(queue_id, "QueueName")}]
    assert (alarm["Statistic"], alarm["ComparisonOperator"], alarm["Threshold"]) == (
        "Maximum",
        "GreaterThanThreshold",
        0,
    )
    assert (alarm["EvaluationPeriods"], alarm["Period"], alarm["TreatMissingData"]) == (1, 300, "notBreaching")


@pytest.mark.parametrize(
    ("alarm_id", "function_id", "metric", "periods"),
    [
        ("WatcherErrorsAlarm", "WatcherFunction", "Errors", 1),
        ("ReporterErrorsAlarm", "ReporterFunction", "Errors", 1),
        ("NotifierErrorsAlarm", "NotifierFunction", "Errors", 1),
        ("WatcherThrottlesAlarm", "WatcherFunction", "Throttles", 3),
        ("ReporterThrottlesAlarm", "ReporterFunction", "Throttles", 1),
        ("NotifierThrottlesAlarm", "NotifierFunction", "Throttles", 1),
    ],
)
def test_function_errors_and_throttles_alarm(template_json, alarm_id, function_id, metric, periods):
    alarm = _alarm(template_json, alarm_id)
    assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/Lambda", metric)
    assert alarm["Dimensions"] == [{"Name": "FunctionName", "Value": ref(function_id)}]
    assert (alarm["Statistic"], alarm["ComparisonOperator"], alarm["Threshold"]) == ("Sum", "GreaterThanThreshold", 0)
    assert (alarm["EvaluationPeriods"], alarm["DatapointsToAlarm"], alarm["Period"]) == (periods, periods, 300)


@pytest.mark.parametrize(("fixture", "period"), [("template_json", 60), ("full_template_json", 300)])
def test_watcher_staleness_alarm_fires_after_three_silent_intervals(request, fixture, period):
    alarm = _alarm(request.getfixturevalue(fixture), "WatcherStaleAlarm")
    assert (alarm["Namespace"], alarm["MetricName"]) == (metric_names.NAMESPACE, metric_names.WATCHER_TICKS_SUCCEEDED)
    assert alarm["Dimensions"] == [{"Name": "service", "Value": metric_names.SERVICE}]
    assert (alarm["Statistic"], alarm["ComparisonOperator"], alarm["Threshold"]) == ("Sum", "LessThanThreshold", 1)
    assert (alarm["EvaluationPeriods"], alarm["DatapointsToAlarm"], alarm["Period"]) == (3, 3, period)
    assert alarm["TreatMissingData"] == "breaching"


def test_watcher_throttle_alarm_no_longer_claims_it_runs_one_at_a_time(template_json):
    text = props(template_json, "WatcherThrottlesAlarm")["AlarmDescription"]
    assert "one at a time" not in text
    assert "watcherReservedConcurrency" in text


def test_notifier_falling_behind_the_stream_alarms(template_json):
    alarm = _alarm(template_json, "NotifierIteratorAgeAlarm")
    assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/Lambda", "IteratorAge")
    assert alarm["Dimensions"] == [{"Name": "FunctionName", "Value": ref("NotifierFunction")}]
    assert (alarm["Statistic"], alarm["ComparisonOperator"], alarm["Threshold"]) == (
        "Maximum",
        "GreaterThanThreshold",
        10 * 60 * 1000,
    )


def test_what_waits_alarms_at_the_burst_bar_long_before_anything_can_be_dropped(template_json):
    """docs/design.md §7 (Bursts): 15 minutes, the p99 a burst must meet; a queued change is dropped by
    nothing (it moves to ReporterFailureQueue after 5 failed receives, and the queue keeps it 4 days), and
    the watcher's asynchronous events go to WatcherFailureQueue after an hour."""
    queue = _alarm(template_json, "ReporterQueueAgeAlarm")
    assert (queue["Namespace"], queue["MetricName"]) == ("AWS/SQS", "ApproximateAgeOfOldestMessage")
    assert queue["Dimensions"] == [{"Name": "QueueName", "Value": get_att("ReporterQueue", "QueueName")}]
    assert (queue["Statistic"], queue["ComparisonOperator"], queue["Threshold"]) == (
        "Maximum",
        "GreaterThanThreshold",
        15 * 60,  # seconds
    )
    assert queue["Threshold"] < props(template_json, "ReporterQueue")["MessageRetentionPeriod"]
    watcher = _alarm(template_json, "WatcherEventAgeAlarm")
    assert (watcher["Namespace"], watcher["MetricName"]) == ("AWS/Lambda", "AsyncEventAge")
    assert watcher["Dimensions"] == [{"Name": "FunctionName", "Value": ref("WatcherFunction")}]
    assert (watcher["Statistic"], watcher["ComparisonOperator"], watcher["Threshold"]) == (
        "Maximum",
        "GreaterThanThreshold",
        15 * 60 * 1000,  # milliseconds
    )
    (invoke,) = [
        body["Properties"]
        for body in resources(template_json, "AWS::Lambda::EventInvokeConfig").values()
        if body["Properties"]["FunctionName"] == ref("WatcherFunction")
    ]
    assert watcher["Threshold"] < invoke["MaximumEventAgeInSeconds"] * 1000
    for alarm in (queue, watcher):
        assert (alarm["EvaluationPeriods"], alarm["Period"], alarm["TreatMissingData"]) == (1, 300, "notBreaching")


def test_a_refused_claim_alarms_at_once(template_json):
    """A stream record the stack did not seal reached the notifier: someone invoked it by hand."""
    alarm = _alarm(template_json, "ClaimsRefusedAlarm")
    assert (alarm["Namespace"], alarm["MetricName"]) == ("AutopilotReports", "ClaimsRefused")
    assert alarm["Dimensions"] == [{"Name": "service", "Value": "autopilot-reports"}]
    assert (alarm["Statistic"], alarm["ComparisonOperator"], alarm["Threshold"]) == ("Sum", "GreaterThanThreshold", 0)


def test_every_alarm_notifies_operators(template_json):
    alarms = resources(template_json, "AWS::CloudWatch::Alarm")
    assert set(alarms) == {
        "WatcherTriggersNotEmptyAlarm",
        "WatcherFailuresNotEmptyAlarm",
        "ReporterDeliveryNotEmptyAlarm",
        "ReporterFailuresNotEmptyAlarm",
        "NotifierFailuresNotEmptyAlarm",
        "WatcherErrorsAlarm",
        "ReporterErrorsAlarm",
        "NotifierErrorsAlarm",
        "WatcherThrottlesAlarm",
        "ReporterThrottlesAlarm",
        "NotifierThrottlesAlarm",
        "ReporterQueueAgeAlarm",
        "WatcherEventAgeAlarm",
        "NotifierIteratorAgeAlarm",
        "WatcherStaleAlarm",
        "ClaimsRefusedAlarm",
    }
    for name in alarms:
        _alarm(template_json, name)


def _widgets(template) -> list[dict]:
    """The dashboard body with the region token replaced, parsed."""
    parts = props(template, "Dashboard")["DashboardBody"]["Fn::Join"][1]
    text = "".join(part if isinstance(part, str) else "xx-fake-1" for part in parts)
    return json.loads(text)["widgets"]


def test_dashboard_compares_notifications_claimed_and_sent(template_json):
    (graph,) = [w for w in _widgets(template_json) if w["properties"].get("title") == "Notifications"]
    metrics = graph["properties"]["metrics"]
    by_id = {m[-1]["id"]: m for m in metrics if isinstance(m[-1], dict) and "id" in m[-1]}
    assert by_id["claimed"][:2] == [metric_names.NAMESPACE, metric_names.NOTIFICATIONS_CLAIMED]
    assert by_id["sent"][:2] == [metric_names.NAMESPACE, metric_names.NOTIFICATIONS_SENT]
    (math,) = [m[0] for m in metrics if "expression" in m[0]]
    assert math == {"expression": "sent - claimed", "label": "possible duplicates"}


def test_dashboard_shows_reports_notifications_explainability_errors_and_latency(template_json):
    body = json.dumps(props(template_json, "Dashboard")["DashboardBody"])
    wanted = [
        metric_names.REPORTS_WRITTEN,
        metric_names.NOTIFICATIONS_SENT,
        metric_names.WATCHER_TICKS_SUCCEEDED,
        metric_names.IMPORT_PIECES,
        metric_names.IMPORT_JOBS_SEEN,
        metric_names.NOTIFICATIONS_CLAIMED,
        *(f"{metric_names.EXPLAINABILITY_STATE_PREFIX}{state}" for state in metric_names.EXPLAINABILITY_STATES),
        '\\"Errors\\"',
        '\\"Duration\\"',
        '\\"stat\\":\\"p50\\"',
        '\\"stat\\":\\"p99\\"',
        "ApproximateNumberOfMessagesVisible",
        "ApproximateAgeOfOldestMessage",
        "AsyncEventAge",
    ]
    missing = [text for text in wanted if text not in body]
    assert not missing, missing
