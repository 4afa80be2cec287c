"""Alarms to the operators' topic and one dashboard."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

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


@dataclass(frozen=True)
class Watched:
    """A function the operators watch: its errors always; its throttles where `throttles` says why they
    matter (and `sustained`: only three periods in a row); its stream's iterator age where it reads one;
    the age of its oldest asynchronous event where `event_age` says what waits."""

    name: str  # as alarms and the dashboard name it: "Watcher" -> WatcherErrors, WatcherThrottles
    function: lambda_.IFunction
    throttles: str | None = None  # the throttle alarm's description
    sustained: bool = False
    stream_age: str | None = None  # the iterator-age alarm's description (a stream's function)
    event_age: str | None = None  # the AsyncEventAge alarm's description (an asynchronously invoked function)


@dataclass(frozen=True)
class Waiting:
    """A queue where work waits for a function (the reporter's): an alarm on its oldest message's age."""

    name: str  # "ReporterQueue" -> ReporterQueueAgeAlarm
    queue: sqs.IQueue
    description: str


@dataclass(frozen=True)
class Graph:
    """A dashboard graph of the project's own metrics (the NAMESPACE, dimension service)."""

    title: str
    metrics: tuple[str, ...]
    stacked: bool = False


NOTIFICATIONS_GRAPH = Graph("Notifications", ())  # claimed against sent, and their difference


class MonitoringConstruct(Construct):
    """Alarms: each dead-letter queue not empty, each function's errors, throttles where they matter, a
    stream falling behind, events waiting too long (a work queue's oldest message, a function's oldest
    asynchronous event: at WAITING_AGE_ALARM_MINUTES, long before anything can be dropped), the watcher's
    staleness (where there is a watcher); and one dashboard named `dashboard_name` (dashboards are
    account-wide, so the name carries the region).

    What there is to watch is the deployment's (infra/stack.py): a standalone stack's watcher, reporter and
    notifier; a spoke's forwarder; a hub's recorder, notifier and spoke monitor."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        functions: Sequence[Watched],
        dead_letter_queues: Sequence[tuple[str, DeadLetterQueue]],
        operators_topic: sns.ITopic,
        schedule_rate_minutes: int | None,
        dashboard_name: str,
        activity: Sequence[Graph],
        work: Sequence[Graph],
        error_metrics: Sequence[str],
        claims_refused: str | None = None,
        waiting: Sequence[Waiting] = (),
    ) -> None:
        """`schedule_rate_minutes`: the watcher's rate, for its staleness alarm (None: no watcher).
        `claims_refused`: the description of the alarm on stream records the stack did not seal (where a
        function checks seals: the notifier, a spoke's forwarder).
        `activity`, `work`: the dashboard's first row, and the graphs that open its second;
        `error_metrics`: the project's metrics shown beside the functions' errors; `waiting`: the queues where
        work waits for a function."""
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
        for each in functions:
            self._alarm(
                f"{each.name}Errors",
                each.function.metric_errors(period=PERIOD, statistic="Sum"),
                threshold=0,
                description=f"The {_words(each.name)} function failed at least once in {c.ALARM_PERIOD_MINUTES} "
                "minutes.",
            )
        for each in functions:
            if each.throttles is None:
                continue
            periods = 3 if each.sustained else 1
            self._alarm(
                f"{each.name}Throttles",
                each.function.metric_throttles(period=PERIOD, statistic="Sum"),
                threshold=0,
                evaluation_periods=periods,
                description=each.throttles,
            )
        for each in functions:
            if each.stream_age is None:
                continue
            self._alarm(
                f"{each.name}IteratorAge",
                each.function.metric("IteratorAge", period=PERIOD, statistic="Maximum"),
                threshold=c.ITERATOR_AGE_ALARM_MINUTES * 60_000,
                description=each.stream_age,
            )
        age = c.WAITING_AGE_ALARM_MINUTES
        for queue in waiting:
            self._alarm(
                f"{queue.name}Age",
                queue.queue.metric_approximate_age_of_oldest_message(period=PERIOD, statistic="Maximum"),
                threshold=age * 60,
                description=queue.description,
            )
        for each in functions:
            if each.event_age is None:
                continue
            self._alarm(
                f"{each.name}EventAge",
                each.function.metric("AsyncEventAge", period=PERIOD, statistic="Maximum"),
                threshold=age * 60_000,
                description=each.event_age,
            )
        if claims_refused is not None:
            self._alarm(
                "ClaimsRefused",
                cloudwatch.Metric(
                    namespace=c.NAMESPACE,
                    metric_name=c.CLAIMS_REFUSED,
                    dimensions_map={"service": c.SERVICE},
                    statistic="Sum",
                    period=PERIOD,
                ),
                threshold=0,
                description=claims_refused,
            )
        self.staleness_alarm = self._staleness_alarm(schedule_rate_minutes) if schedule_rate_minutes else None
        self.dashboard = self._dashboard(
            dashboard_name, functions, dead_letter_queues, activity, work, error_metrics, waiting
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
        """No successful watcher tick for STALENESS_PERIODS intervals (missing data breaches too)."""
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
        functions: Sequence[Watched],
        dead_letter_queues: Sequence[tuple[str, DeadLetterQueue]],
        activity: Sequence[Graph],
        work: Sequence[Graph],
        error_metrics: Sequence[str],
        waiting: Sequence[Waiting],
    ) -> cloudwatch.Dashboard:
        dashboard = cloudwatch.Dashboard(
            self, "Dashboard", dashboard_name=dashboard_name, default_interval=cdk.Duration.days(1)
        )
        dashboard.add_widgets(*(_widget(graph) for graph in activity))
        dashboard.add_widgets(
            *(_widget(graph) for graph in work),
            _graph(
                "Errors",
                [
                    *(each.function.metric_errors(label=f"{each.name} errors", period=PERIOD) for each in functions),
                    *(_custom(name) for name in error_metrics),
                ],
            ),
            _graph(
                "Duration p50 / p99 (ms)",
                [
                    metric
                    for each in functions
                    for metric in (
                        each.function.metric_duration(statistic="p50", label=f"{each.name} p50", period=PERIOD),
                        each.function.metric_duration(statistic="p99", label=f"{each.name} p99", period=PERIOD),
                    )
                ],
            ),
        )
        streams = [each for each in functions if each.stream_age is not None]
        events = [each for each in functions if each.event_age is not None]
        waits = (
            [
                cloudwatch.GraphWidget(
                    title="Oldest waiting: asynchronous events (ms, left), work queues (s, right)",
                    left=[
                        each.function.metric("AsyncEventAge", period=PERIOD, statistic="Maximum", label=each.name)
                        for each in events
                    ],
                    right=[
                        queue.queue.metric_approximate_age_of_oldest_message(
                            period=PERIOD, statistic="Maximum", label=queue.name
                        )
                        for queue in waiting
                    ],
                    width=8,
                    height=6,
                )
            ]
            if events or waiting
            else []
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
            *(
                _graph(
                    f"{each.name} stream age (ms)",
                    [each.function.metric("IteratorAge", period=PERIOD, statistic="Maximum", label="IteratorAge max")],
                )
                for each in streams
            ),
            *waits,
            cloudwatch.AlarmStatusWidget(title="Alarms", alarms=self.alarms, width=8),
        )
        pin_logical_id(dashboard, "Dashboard")
        return dashboard


def _widget(graph: Graph) -> cloudwatch.GraphWidget:
    if graph is NOTIFICATIONS_GRAPH:
        return _graph(graph.title, _notification_metrics())
    return _graph(graph.title, [_custom(name) for name in graph.metrics], stacked=graph.stacked)


def _words(name: str) -> str:
    """`HubRecorder` -> `hub recorder`, as a description names a function."""
    return re.sub(r"(?<!^)(?=[A-Z])", " ", name).lower()


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
