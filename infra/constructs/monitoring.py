"""Alarms to the operators' topic and one dashboard."""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from constructs import Construct

from infra import constants as c
from infra.constructs.queues import DeadLetterQueue
from infra.ids import pin_logical_id

names = c.metric_names
PERIOD = cdk.Duration.minutes(c.ALARM_PERIOD_MINUTES)


class Monitoring(Construct):
    """Alarms: each dead-letter queue not empty, function errors and throttles, watcher staleness."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        watcher: lambda_.IFunction,
        reporter: lambda_.IFunction,
        dead_letter_queues: Sequence[tuple[str, DeadLetterQueue]],
        operators_topic: sns.ITopic,
        schedule_rate_minutes: int,
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
        for name, function in (("Watcher", watcher), ("Reporter", reporter)):
            self._alarm(
                f"{name}Errors",
                function.metric_errors(period=PERIOD, statistic="Sum"),
                threshold=0,
                description=f"The {name.lower()} function failed at least once in {c.ALARM_PERIOD_MINUTES} minutes.",
            )
        # The watcher runs one at a time by design: a CloudTrail nudge during a tick is throttled and
        # retried, so only sustained throttling is news. The reporter should never be throttled.
        self._alarm(
            "WatcherThrottles",
            watcher.metric_throttles(period=PERIOD, statistic="Sum"),
            threshold=0,
            evaluation_periods=3,
            description="The watcher was throttled in three consecutive periods: ticks are piling up.",
        )
        self._alarm(
            "ReporterThrottles",
            reporter.metric_throttles(period=PERIOD, statistic="Sum"),
            threshold=0,
            description="The reporter was throttled: account concurrency is exhausted.",
        )
        self.staleness_alarm = self._staleness_alarm(schedule_rate_minutes)
        self.dashboard = self._dashboard(watcher, reporter, dead_letter_queues)

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
            namespace=names.NAMESPACE,
            metric_name=names.WATCHER_TICKS_SUCCEEDED,
            dimensions_map={"service": names.SERVICE},
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
        watcher: lambda_.IFunction,
        reporter: lambda_.IFunction,
        dead_letter_queues: Sequence[tuple[str, DeadLetterQueue]],
    ) -> cloudwatch.Dashboard:
        dashboard = cloudwatch.Dashboard(
            self, "Dashboard", dashboard_name=c.DASHBOARD_NAME, default_interval=cdk.Duration.days(1)
        )
        dashboard.add_widgets(
            _graph("Reports", [_custom(names.REPORTS_WRITTEN), _custom(names.REPORTS_UNCHANGED)]),
            _graph("Notifications sent", [_custom(names.NOTIFICATIONS_SENT)]),
            _graph(
                "Explainability states",
                [_custom(f"{names.EXPLAINABILITY_STATE_PREFIX}{state}") for state in names.EXPLAINABILITY_STATES],
                stacked=True,
            ),
        )
        dashboard.add_widgets(
            _graph(
                "Watcher",
                [
                    _custom(names.WATCHER_TICKS_SUCCEEDED),
                    _custom(names.JOBS_LISTED),
                    _custom(names.STATE_CHANGES_PUBLISHED),
                ],
            ),
            _graph(
                "Errors",
                [
                    watcher.metric_errors(label="Watcher errors", period=PERIOD),
                    reporter.metric_errors(label="Reporter errors", period=PERIOD),
                    _custom(names.INVALID_EVENTS),
                    _custom(names.JOBS_NOT_FOUND),
                ],
            ),
            _graph(
                "Duration p50 / p99 (ms)",
                [
                    watcher.metric_duration(statistic="p50", label="Watcher p50", period=PERIOD),
                    watcher.metric_duration(statistic="p99", label="Watcher p99", period=PERIOD),
                    reporter.metric_duration(statistic="p50", label="Reporter p50", period=PERIOD),
                    reporter.metric_duration(statistic="p99", label="Reporter p99", period=PERIOD),
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
            cloudwatch.AlarmStatusWidget(title="Alarms", alarms=self.alarms, width=16),
        )
        pin_logical_id(dashboard, "Dashboard")
        return dashboard


def _custom(metric_name: str) -> cloudwatch.Metric:
    return cloudwatch.Metric(
        namespace=names.NAMESPACE,
        metric_name=metric_name,
        dimensions_map={"service": names.SERVICE},
        statistic="Sum",
        period=PERIOD,
        label=metric_name,
    )


def _graph(title: str, metrics: list[cloudwatch.IMetric], *, stacked: bool = False) -> cloudwatch.GraphWidget:
    return cloudwatch.GraphWidget(title=title, left=metrics, width=8, height=6, stacked=stacked)
