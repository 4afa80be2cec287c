"""Alarms to the operators' topic and one dashboard."""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra import constants as c
from infra.constructs.queues import DeadLetterQueue
from infra.ids import pin_logical_id

PERIOD = cdk.Duration.minutes(c.ALARM_PERIOD_MINUTES)


class MonitoringConstruct(Construct):
    """Alarms: each dead-letter queue not empty, function errors and throttles, watcher staleness, events
    waiting too long (the reporter's queue, the watcher's asynchronous events, the notifier's stream)
    long before anything can be dropped; and one dashboard named `dashboard_name` (dashboards are
    account-wide, so the name carries the region)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        watcher: lambda_.IFunction,
        reporter: lambda_.IFunction,
        notifier: lambda_.IFunction,
        reporter_queue: sqs.IQueue,
        dead_letter_queues: Sequence[tuple[str, DeadLetterQueue]],
        operators_topic: sns.ITopic,
        schedule_rate_minutes: int,
        dashboard_name: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self._action = actions.SnsAction(operators_topic)
        self.alarms: list[cloudwatch.Alarm] = []

        for name, dlq in dead_letter_queues:
            self._alarm(
                f"{name}NotEmpty",
                dlq.queue.metric_approximate_number_of_messages_visible(period=PERIOD, statistic="Maximum"),
                threshold=0,
                description=f"Messages wait in the {name} dead-letter queue ({dlq.purpose}). "
                "Inspect them and redrive (docs/deploy.md, 'Dead-letter queues').",
            )
        for name, function in (("Watcher", watcher), ("Reporter", reporter), ("Notifier", notifier)):
            self._alarm(
                f"{name}Errors",
                function.metric_errors(period=PERIOD, statistic="Sum"),
                threshold=0,
                description=f"The {name.lower()} function failed at least once in {c.ALARM_PERIOD_MINUTES} minutes.",
            )
        # No function has reserved concurrency (a new account could not deploy one): a throttle means the
        # account's executions are spent, by a burst or by another function of the account. Lambda and
        # the event sources retry, so only sustained throttling of the watcher is news; the reporter runs
        # at most reporterMaxConcurrency at once, so any throttle of it or of the notifier means the account
        # is full.
        self._alarm(
            "WatcherThrottles",
            watcher.metric_throttles(period=PERIOD, statistic="Sum"),
            threshold=0,
            evaluation_periods=3,
            description="The watcher was throttled in three consecutive periods: the account's concurrency "
            "(or the watcher's reservation, watcherReservedConcurrency) is exhausted and ticks or history "
            "import pieces are delayed.",
        )
        for name, function in (("Reporter", reporter), ("Notifier", notifier)):
            self._alarm(
                f"{name}Throttles",
                function.metric_throttles(period=PERIOD, statistic="Sum"),
                threshold=0,
                description=f"The {name.lower()} was throttled: the account's concurrency is exhausted (other "
                "functions of the account hold it); reports and messages are delayed, not lost.",
            )
        age = c.WAITING_AGE_ALARM_MINUTES
        self._alarm(
            "ReporterQueueAge",
            reporter_queue.metric_approximate_age_of_oldest_message(period=PERIOD, statistic="Maximum"),
            threshold=age * 60,
            description=f"A state change has waited more than {age} minutes in the reporter's queue: reports and "
            "messages are late (a burst larger than reporterMaxConcurrency clears in time, or the reporter "
            "is failing). Nothing is lost yet: a message moves to ReporterFailureQueue only after "
            f"{c.REPORTER_QUEUE_MAX_RECEIVES} failed receives.",
        )
        self._alarm(
            "WatcherEventAge",
            watcher.metric("AsyncEventAge", period=PERIOD, statistic="Maximum"),
            threshold=age * 60_000,
            description=f"A watcher invocation (a tick, a nudge, a history import piece) waited more than {age} "
            f"minutes for an execution: the account's concurrency is exhausted. Lambda drops it after "
            f"{c.WATCHER_MAX_EVENT_AGE_SECONDS // 60} minutes, into WatcherFailureQueue.",
        )
        self._alarm(
            "NotifierIteratorAge",
            notifier.metric("IteratorAge", period=PERIOD, statistic="Maximum"),
            threshold=c.ITERATOR_AGE_ALARM_MINUTES * 60_000,
            description=f"The notifier is more than {c.ITERATOR_AGE_ALARM_MINUTES} minutes behind the table's "
            "stream: notifications are late (failing batches are retried for up to 24 hours).",
        )
        self.staleness_alarm = self._staleness_alarm(schedule_rate_minutes)
        self.dashboard = self._dashboard(
            dashboard_name, watcher, reporter, notifier, reporter_queue, dead_letter_queues
        )

    def _alarm(
        self,
        construct_id: str,
        metric: cloudwatch.IMetric,
        *,
        threshold: float,
        description: str,
        evaluation_periods: int = 1,
    ) -> cloudwatch.Alarm:
        alarm = cloudwatch.Alarm(
            self,
            construct_id,
            alarm_description=description,
            metric=metric,
            threshold=threshold,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=evaluation_periods,
            datapoints_to_alarm=evaluation_periods,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        self._notify(alarm, construct_id)
        return alarm

    def _staleness_alarm(self, rate_minutes: int) -> cloudwatch.Alarm:
        ticks = cloudwatch.Metric(
            namespace=c.NAMESPACE,
            metric_name=c.WATCHER_TICKS_SUCCEEDED,
            dimensions_map={"service": c.SERVICE},
            statistic="Sum",
            period=cdk.Duration.minutes(rate_minutes),
        )
        alarm = cloudwatch.Alarm(
            self,
            "WatcherStale",
            alarm_description=(
                f"No successful watcher tick for {c.STALENESS_PERIODS} schedule intervals "
                f"({c.STALENESS_PERIODS * rate_minutes} minutes): state changes are not being noticed."
            ),
            metric=ticks,
            threshold=1,
            comparison_operator=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
            evaluation_periods=c.STALENESS_PERIODS,
            datapoints_to_alarm=c.STALENESS_PERIODS,
            treat_missing_data=cloudwatch.TreatMissingData.BREACHING,
        )
        self._notify(alarm, "WatcherStale")
        return alarm

    def _notify(self, alarm: cloudwatch.Alarm, name: str) -> None:
        alarm.add_alarm_action(self._action)
        alarm.add_ok_action(self._action)
        pin_logical_id(alarm, f"{name}Alarm")
        self.alarms.append(alarm)

    # --- dashboard -----------------------------------------------------------------------------------
    def _dashboard(
        self,
        dashboard_name: str,
        watcher: lambda_.IFunction,
        reporter: lambda_.IFunction,
        notifier: lambda_.IFunction,
        reporter_queue: sqs.IQueue,
        dead_letter_queues: Sequence[tuple[str, DeadLetterQueue]],
    ) -> cloudwatch.Dashboard:
        dashboard = cloudwatch.Dashboard(
            self, "Dashboard", dashboard_name=dashboard_name, default_interval=cdk.Duration.days(1)
        )
        dashboard.add_widgets(
            _graph("Reports", [_custom(c.REPORTS_WRITTEN), _custom(c.REPORTS_UNCHANGED)]),
            _graph("Notifications", _notification_metrics()),
            _graph(
                "Explainability states",
                [_custom(f"{c.EXPLAINABILITY_STATE_PREFIX}{state}") for state in c.EXPLAINABILITY_STATES],
                stacked=True,
            ),
        )
        dashboard.add_widgets(
            _graph(
                "Watcher",
                [
                    _custom(c.WATCHER_TICKS_SUCCEEDED),
                    _custom(c.JOBS_LISTED),
                    _custom(c.STATE_CHANGES_PUBLISHED),
                    _custom(c.IMPORT_PIECES),
                    _custom(c.IMPORT_JOBS_SEEN),
                ],
            ),
            _graph(
                "Errors",
                [
                    watcher.metric_errors(label="Watcher errors", period=PERIOD),
                    reporter.metric_errors(label="Reporter errors", period=PERIOD),
                    notifier.metric_errors(label="Notifier errors", period=PERIOD),
                    _custom(c.INVALID_EVENTS),
                    _custom(c.JOBS_NOT_FOUND),
                ],
            ),
            _graph(
                "Duration p50 / p99 (ms)",
                [
                    watcher.metric_duration(statistic="p50", label="Watcher p50", period=PERIOD),
                    watcher.metric_duration(statistic="p99", label="Watcher p99", period=PERIOD),
                    reporter.metric_duration(statistic="p50", label="Reporter p50", period=PERIOD),
                    reporter.metric_duration(statistic="p99", label="Reporter p99", period=PERIOD),
                    notifier.metric_duration(statistic="p50", label="Notifier p50", period=PERIOD),
                    notifier.metric_duration(statistic="p99", label="Notifier p99", period=PERIOD),
                ],
            ),
        )
        dashboard.add_widgets(
            _graph(
                "Dead-letter queues (messages visible)",
                [
                    dlq.queue.metric_approximate_number_of_messages_visible(
                        label=name, period=PERIOD, statistic="Maximum"
                    )
                    for name, dlq in dead_letter_queues
                ],
            ),
            cloudwatch.GraphWidget(
                title="Oldest waiting: watcher's events, notifier's stream (ms, left); reporter's queue (s, right)",
                left=[
                    watcher.metric("AsyncEventAge", period=PERIOD, statistic="Maximum", label="Watcher AsyncEventAge"),
                    notifier.metric("IteratorAge", period=PERIOD, statistic="Maximum", label="Notifier IteratorAge"),
                ],
                right=[
                    reporter_queue.metric_approximate_age_of_oldest_message(
                        period=PERIOD, statistic="Maximum", label="ReporterQueue oldest message"
                    )
                ],
                width=8,
                height=6,
            ),
            cloudwatch.AlarmStatusWidget(title="Alarms", alarms=self.alarms, width=8),
        )
        pin_logical_id(dashboard, "Dashboard")
        return dashboard


def _notification_metrics() -> list[cloudwatch.IMetric]:
    """Claimed (reporter, in its commit) against sent (notifier, after each Publish).

    Sent above claimed means a message went out twice (a notifier died right after a Publish that
    succeeded, docs/design.md §5.2); sent below claimed for long means notifications are late or parked.
    """
    claimed = _custom(c.NOTIFICATIONS_CLAIMED)
    sent = _custom(c.NOTIFICATIONS_SENT)
    duplicates = cloudwatch.MathExpression(
        expression="sent - claimed",
        using_metrics={"sent": sent, "claimed": claimed},
        label="possible duplicates",
        period=PERIOD,
    )
    return [claimed, sent, duplicates]


def _custom(metric_name: str) -> cloudwatch.Metric:
    return cloudwatch.Metric(
        namespace=c.NAMESPACE,
        metric_name=metric_name,
        dimensions_map={"service": c.SERVICE},
        statistic="Sum",
        period=PERIOD,
        label=metric_name,
    )


def _graph(title: str, metrics: list[cloudwatch.IMetric], *, stacked: bool = False) -> cloudwatch.GraphWidget:
    return cloudwatch.GraphWidget(title=title, left=metrics, width=8, height=6, stacked=stacked)
