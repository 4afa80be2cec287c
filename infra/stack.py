"""The stack of one deployment plan: composition only; each capability is one construct in infra/constructs."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
from constructs import Construct

from autopilot_reports.settings import (
    CosterSettings,
    ForwarderSettings,
    HubRecorderSettings,
    NotifierSettings,
    ReporterSettings,
    SpokeMonitorSettings,
    WatcherSettings,
)
from infra import constants as c
from infra.config import StackConfig
from infra.constructs.bus import EventBusConstruct
from infra.constructs.costing import CostingConstruct
from infra.constructs.encryption import MessagingKeyConstruct
from infra.constructs.forwarder import ForwarderConstruct
from infra.constructs.function import FunctionBasics, powertools_layer
from infra.constructs.hub import HubRecorderConstruct, SpokeMonitorConstruct, admit_organization
from infra.constructs.monitoring import NOTIFICATIONS_GRAPH, Graph, MonitoringConstruct, Waiting, Watched
from infra.constructs.notifications import NotificationsConstruct, SlackChannel, TeamsChannel
from infra.constructs.notifier import NotifierConstruct
from infra.constructs.queues import DeadLetterQueue
from infra.constructs.reporter import ReporterConstruct
from infra.constructs.sealing import SealKeyConstruct
from infra.constructs.store import ReportTableConstruct
from infra.constructs.watcher import WatcherConstruct
from infra.plans import DeploymentPlan


class AutopilotReportsStack(cdk.Stack):
    """The stack of a standalone, spoke or hub plan, named by `plan.stack_name`: a `DeploymentComposition`
    of its own."""

    def __init__(self, scope: Construct, *, plan: DeploymentPlan, **kwargs: Any) -> None:
        super().__init__(scope, plan.stack_name, description=c.STACK_DESCRIPTION, analytics_reporting=False, **kwargs)
        self.plan = plan
        self.composition = DeploymentComposition(self, plan)


class DeploymentComposition:
    """Every construct of one deployment, composed straight into `stack` (no construct in between, so the
    logical ids are the stack's own): this project's stack, or a stack that holds it (a StackSet's spoke).
    No lookups, no synth-time AWS calls: any scope can hold it.

    What it holds is the plan's to say, capability by capability (infra/plans.py): a watcher and a
    reporter where it `watches`, and the coster there too unless context `costing` turns it off; a
    forwarder and the ToHubRule where it `forwards` (a spoke); the hub's bus policy, recorder and spoke
    monitor where it `records_forwarded`; a notifier and the reports topic where it `notifies`. Names typed here derive from `plan.stack_name` (and the region where a name is
    account-wide), so two stacks never collide in one account; CloudFormation names everything else. Each
    function is given its settings model, built from the configuration (every field the model shares
    with it by name) and the resources made here (`StackConfig.function_settings`)."""

    def __init__(self, stack: cdk.Stack, plan: DeploymentPlan) -> None:
        self.stack = stack
        self.plan = plan
        self.config = config = plan.config
        name = plan.stack_name
        regional_name = f"{name}-{cdk.Aws.REGION}"  # for names unique per account only
        self.key = key = MessagingKeyConstruct(stack, "Encryption", alias_name=f"alias/{name}", retain=config.retain)
        seal = SealKeyConstruct(stack, "Sealing", alias_name=f"alias/{name}-seal", retain=config.retain)
        basics = FunctionBasics(
            layer=powertools_layer(stack, config.powertools_layer_arn),
            log_retention_days=config.log_retention_days,
            retain=config.retain,
            log_key=key.key,
            seal_key=seal,
        )
        self.store = ReportTableConstruct(
            stack, "Store", retain=config.retain, organization=plan.key_scope == c.KEY_SCOPE_ORGANIZATION
        )
        self.notifications = NotificationsConstruct(
            stack,
            "Notifications",
            key=key.key,
            configuration_prefix=name,
            notification_emails=config.notification_emails,
            operator_emails=config.operator_emails,
            slack=_slack(config),
            teams=_teams(config),
            reports=plan.notifies,
        )
        self.bus = EventBusConstruct(stack, "Events", bus_name=name).bus
        if plan.records_forwarded:
            assert config.organization_id is not None  # a hub plan exists only for it
            admit_organization(self.bus, config.organization_id, config.organizational_unit_paths)
        table_name = self.store.table.table_name
        sealed = {"seal_alias": seal.alias_name}  # every function seals its writes or checks the seals
        self.watcher: WatcherConstruct | None = None
        self.reporter: ReporterConstruct | None = None
        self.forwarder: ForwarderConstruct | None = None
        self.hub_recorder: HubRecorderConstruct | None = None
        self.notifier: NotifierConstruct | None = None
        self.spoke_monitor: SpokeMonitorConstruct | None = None
        digest_schedule = config.digest_schedule if config.digest_enabled else None
        if plan.watches:
            self.reporter = ReporterConstruct(
                stack,
                "Reporting",
                table=self.store.table,
                bus=self.bus,
                key=key.key,
                basics=basics,
                settings=config.function_settings(ReporterSettings, table_name=table_name, **sealed),
                output_locations=config.output_location_parts,
                output_kms_keys=config.output_kms_keys,
                max_concurrency=config.reporter_max_concurrency,
            )
            self.watcher = WatcherConstruct(
                stack,
                "Watching",
                bus=self.bus,
                table=self.store.table,
                report_queue=self.reporter.queue.queue,
                key=key.key,
                basics=basics,
                settings=config.function_settings(
                    WatcherSettings,
                    table_name=table_name,
                    event_bus_name=self.bus.event_bus_name,
                    heartbeat_minutes=plan.heartbeat_minutes,
                    report_queue_url=self.reporter.queue.queue.queue_url,
                    **sealed,
                ),
                schedule_rate_minutes=config.schedule_rate_minutes,
                reserved_concurrency=config.watcher_reserved_concurrency,
                child_job_nudges=config.child_job_nudges,
                digest_schedule=digest_schedule if plan.notifies else None,
            )
        if plan.forwards:
            assert config.hub_event_bus_arn is not None  # a spoke plan exists only for it
            self.forwarder = ForwarderConstruct(
                stack,
                "Forwarding",
                stream_arn=self.store.stream_arn,
                bus=self.bus,
                hub_event_bus_arn=config.hub_event_bus_arn,
                key=key.key,
                basics=basics,
                settings=config.function_settings(ForwarderSettings, event_bus_name=self.bus.event_bus_name, **sealed),
            )
        if plan.records_forwarded:
            self.hub_recorder = HubRecorderConstruct(
                stack,
                "Recording",
                bus=self.bus,
                table=self.store.table,
                key=key.key,
                basics=basics,
                settings=config.function_settings(HubRecorderSettings, table_name=table_name, **sealed),
            )
        if plan.notifies:
            topic = self.notifications.reports_topic
            organization = plan.records_forwarded
            self.notifier = NotifierConstruct(
                stack,
                "Notifying",
                stream_arn=self.store.stream_arn,
                topic=topic,
                key=key.key,
                basics=basics,
                settings=config.function_settings(
                    NotifierSettings, topic_arn=topic.topic_arn, organization=organization, **sealed
                ),
                filter_patterns=c.HUB_NOTIFIER_FILTER_PATTERNS if organization else c.NOTIFIER_FILTER_PATTERNS,
            )
        if plan.records_forwarded:
            self.spoke_monitor = SpokeMonitorConstruct(
                stack,
                "Spokes",
                table=self.store.table,
                key=key.key,
                basics=basics,
                settings=config.function_settings(SpokeMonitorSettings, table_name=table_name, **sealed),
                digest_schedule=digest_schedule,
            )
        # After the report, off its hot path: nothing above waits for it (context `costing`). Where jobs are
        # watched: a hub holds the costs its spokes' forwarders carry (domain/forwarder.py).
        self.costing: CostingConstruct | None = None
        if plan.watches and config.costing:
            self.costing = CostingConstruct(
                stack,
                "Costing",
                table=self.store.table,
                stream_arn=self.store.stream_arn,
                key=key.key,
                basics=basics,
                settings=config.function_settings(CosterSettings, table_name=table_name, **sealed),
            )
        self.monitoring = MonitoringConstruct(
            stack,
            "Monitoring",
            functions=self._watched(),
            dead_letter_queues=self._dead_letter_queues(),
            operators_topic=self.notifications.operators_topic,
            schedule_rate_minutes=config.schedule_rate_minutes if self.watcher else None,
            dashboard_name=regional_name,
            claims_refused=self._claims_refused(),
            waiting=self._waiting(),
            **self._dashboard_graphs(),
        )
        self._outputs()

    # --- monitoring: what this deployment has to watch -------------------------------------------------

    def _watched(self) -> list[Watched]:
        watched = []
        if self.watcher is not None and self.reporter is not None:
            age = c.WAITING_AGE_ALARM_MINUTES
            watched += [
                # No function has reserved concurrency (a new account could not deploy one): a throttle means
                # the account's executions are spent, by a burst or by another function of the account.
                # Lambda and the event sources retry, so only sustained throttling of the watcher is news; the
                # reporter runs at most reporterMaxConcurrency at once, so a throttle of it means the account
                # is full. What waits for the watcher alarms long before Lambda drops it.
                Watched(
                    "Watcher",
                    self.watcher.function,
                    throttles="The watcher was throttled in three consecutive periods: the account's concurrency "
                    "(or the watcher's reservation, watcherReservedConcurrency) is exhausted and ticks or history "
                    "import pieces are delayed.",
                    sustained=True,
                    event_age=f"A watcher invocation (a tick, a nudge, a history import piece) waited more than {age} "
                    "minutes for an execution: the account's concurrency is exhausted. Lambda drops it after "
                    f"{c.WATCHER_MAX_EVENT_AGE_SECONDS // 60} minutes, into WatcherFailureQueue.",
                ),
                Watched(
                    "Reporter",
                    self.reporter.function,
                    throttles="The reporter was throttled: the account's concurrency is exhausted (other functions "
                    "of the account hold it); reports are delayed in its queue, not lost.",
                ),
            ]
        if self.hub_recorder is not None:
            watched.append(
                Watched(
                    "HubRecorder",
                    self.hub_recorder.function,
                    throttles="The hub recorder was throttled: account concurrency is exhausted.",
                )
            )
        if self.notifier is not None:
            watched.append(
                Watched(
                    "Notifier",
                    self.notifier.function,
                    throttles="The notifier was throttled: the account's concurrency is exhausted (other functions "
                    "of the account hold it); messages are delayed, not lost.",
                    stream_age=f"The notifier is more than {c.ITERATOR_AGE_ALARM_MINUTES} minutes behind the table's "
                    "stream: notifications are late (failing batches are retried for up to 24 hours).",
                )
            )
        if self.forwarder is not None:
            watched.append(
                Watched(
                    "Forwarder",
                    self.forwarder.function,
                    stream_age=f"The forwarder is more than {c.ITERATOR_AGE_ALARM_MINUTES} minutes behind the table's "
                    "stream: the hub hears late (failing batches are retried for up to 24 hours).",
                )
            )
        if self.spoke_monitor is not None:
            watched.append(Watched("SpokeMonitor", self.spoke_monitor.function))
        return watched

    def _waiting(self) -> list[Waiting]:
        if self.reporter is None:
            return []
        age = c.WAITING_AGE_ALARM_MINUTES
        return [
            Waiting(
                "ReporterQueue",
                self.reporter.queue.queue,
                f"A state change has waited more than {age} minutes in the reporter's queue: reports and messages "
                "are late (a burst larger than reporterMaxConcurrency clears in time, or the reporter is failing). "
                f"Nothing is lost yet: a message moves to ReporterFailureQueue only after "
                f"{c.REPORTER_QUEUE_MAX_RECEIVES} failed receives.",
            )
        ]

    def _claims_refused(self) -> str | None:
        if self.notifier is not None:
            return (
                "The notifier was handed a stream record the stack did not seal (a hand-made or altered "
                "claim, or no seal key configured) and sent nothing: find who invoked the notifier "
                "(CloudTrail, lambda:Invoke) and its log line 'claim refused' (job name, stream event id)."
            )
        if self.forwarder is not None:
            return (
                "The forwarder was handed a stream record the stack did not seal (a hand-made or altered "
                "report, or no seal key configured) and sent nothing to the hub: find who invoked the forwarder "
                "(CloudTrail, lambda:Invoke) and its log line 'report refused' (job name, stream event id)."
            )
        return None

    def _dead_letter_queues(self) -> list[tuple[str, DeadLetterQueue]]:
        queues: list[tuple[str, DeadLetterQueue]] = []
        if self.watcher is not None and self.reporter is not None:
            queues += [
                ("WatcherTriggers", self.watcher.dead_letter_queue),
                ("WatcherFailures", self.watcher.failure_queue),
                ("ReporterDelivery", self.reporter.delivery_dead_letter_queue),
                ("ReporterFailures", self.reporter.failure_queue),
            ]
        if self.hub_recorder is not None:
            queues += [
                ("HubRecorderDelivery", self.hub_recorder.delivery_dead_letter_queue),
                ("HubRecorderFailures", self.hub_recorder.failure_queue),
            ]
        if self.notifier is not None:
            queues.append(("NotifierFailures", self.notifier.failure_queue))
        if self.forwarder is not None:
            queues += [("ForwarderFailures", self.forwarder.failure_queue), ("ToHub", self.forwarder.delivery_queue)]
        if self.spoke_monitor is not None:
            queues += [
                ("SpokeMonitorTriggers", self.spoke_monitor.dead_letter_queue),
                ("SpokeMonitorFailures", self.spoke_monitor.failure_queue),
            ]
        if self.costing is not None:
            queues.append(("CosterFailures", self.costing.failure_queue))
        return queues

    def _dashboard_graphs(self) -> dict[str, Any]:
        activity: list[Graph] = []
        work: list[Graph] = []
        errors = [c.INVALID_EVENTS]
        if self.watcher is not None:
            activity.append(Graph("Reports", (c.REPORTS_WRITTEN, c.REPORTS_UNCHANGED)))
        if self.hub_recorder is not None:
            activity.append(
                Graph(
                    "Forwarded reports",
                    (
                        c.FORWARDED_REPORTS_STORED,
                        c.FORWARDED_COSTS_STORED,
                        c.REPORTS_UNCHANGED,
                        c.FOREIGN_REPORTS_REFUSED,
                    ),
                )
            )
        if self.notifier is not None:
            activity.append(NOTIFICATIONS_GRAPH)
        if self.watcher is not None:
            states = tuple(f"{c.EXPLAINABILITY_STATE_PREFIX}{state}" for state in c.EXPLAINABILITY_STATES)
            activity.append(Graph("Explainability states", states, stacked=True))
            work.append(
                Graph(
                    "Watcher",
                    (
                        c.WATCHER_TICKS_SUCCEEDED,
                        c.JOBS_LISTED,
                        c.STATE_CHANGES_PUBLISHED,
                        c.IMPORT_PIECES,
                        c.IMPORT_JOBS_SEEN,
                    ),
                )
            )
            errors.append(c.JOBS_NOT_FOUND)
        if self.forwarder is not None:
            work.append(Graph("To the hub", (c.ENTRIES_FORWARDED, c.ENTRIES_REDUCED, c.HEARTBEATS_WRITTEN)))
        if self.spoke_monitor is not None:
            work.append(Graph("Spokes", (c.SPOKE_HEARTBEATS, c.SILENT_SPOKES_CLAIMED, c.DIGESTS_CLAIMED)))
        return {"activity": activity, "work": work, "error_metrics": errors}

    # --- outputs ---------------------------------------------------------------------------------------

    def _outputs(self) -> None:
        queue_url = _queue_url
        outputs: dict[str, str] = {c.OUTPUT_TABLE_NAME: self.store.table.table_name}
        outputs[c.OUTPUT_EVENT_BUS_NAME] = self.bus.event_bus_name
        if self.plan.records_forwarded:
            outputs[c.OUTPUT_HUB_EVENT_BUS_ARN] = self.bus.event_bus_arn
            outputs[c.OUTPUT_TABLE_KEY_SCOPE] = self.plan.key_scope
        if self.notifier is not None:
            outputs[c.OUTPUT_REPORTS_TOPIC_ARN] = self.notifications.reports_topic.topic_arn
        outputs[c.OUTPUT_OPERATORS_TOPIC_ARN] = self.notifications.operators_topic.topic_arn
        if self.watcher is not None and self.reporter is not None:
            outputs[c.OUTPUT_WATCHER_FUNCTION_NAME] = self.watcher.function.function_name
            outputs[c.OUTPUT_REPORTER_FUNCTION_NAME] = self.reporter.function.function_name
        if self.notifier is not None:
            outputs[c.OUTPUT_NOTIFIER_FUNCTION_NAME] = self.notifier.function.function_name
        if self.forwarder is not None:
            outputs[c.OUTPUT_FORWARDER_FUNCTION_NAME] = self.forwarder.function.function_name
        if self.hub_recorder is not None and self.spoke_monitor is not None:
            outputs[c.OUTPUT_HUB_RECORDER_FUNCTION_NAME] = self.hub_recorder.function.function_name
            outputs[c.OUTPUT_SPOKE_MONITOR_FUNCTION_NAME] = self.spoke_monitor.function.function_name
        outputs[c.OUTPUT_DASHBOARD_NAME] = self.monitoring.dashboard.dashboard_name
        if self.watcher is not None and self.reporter is not None:
            outputs[c.OUTPUT_WATCHER_TRIGGER_DLQ_URL] = queue_url(self.watcher.dead_letter_queue)
            outputs[c.OUTPUT_WATCHER_FAILURE_QUEUE_URL] = queue_url(self.watcher.failure_queue)
            outputs[c.OUTPUT_REPORTER_DELIVERY_DLQ_URL] = queue_url(self.reporter.delivery_dead_letter_queue)
            outputs[c.OUTPUT_REPORTER_FAILURE_QUEUE_URL] = queue_url(self.reporter.failure_queue)
            outputs[c.OUTPUT_REPORTER_QUEUE_URL] = self.reporter.queue.queue.queue_url
        if self.notifier is not None:
            outputs[c.OUTPUT_NOTIFIER_FAILURE_QUEUE_URL] = queue_url(self.notifier.failure_queue)
        if self.costing is not None:
            outputs[c.OUTPUT_COSTER_FAILURE_QUEUE_URL] = queue_url(self.costing.failure_queue)
        if self.watcher is not None:
            outputs[c.OUTPUT_HISTORY_IMPORT_COMMAND] = self._history_import_command(self.watcher)
        for name, value in outputs.items():
            cdk.CfnOutput(self.stack, name, value=value)

    def _history_import_command(self, watcher: WatcherConstruct) -> str:
        """How to import the account's history (docs/deploy.md): the CLI, or the same with the AWS CLI."""
        payload = json.dumps({"backfill": c.HISTORY_IMPORT_EXAMPLE}, separators=(",", ":"))
        # The same range both ways: a bare --until date includes that whole day (ends at the next midnight).
        return (
            f"autopilot-reports --stack {self.plan.stack_name} --region {cdk.Aws.REGION} import-history "
            "--since 2025-01-01 --until 2025-12-31 ; or the same range with the AWS CLI: "
            f"aws lambda invoke --region {cdk.Aws.REGION} --function-name {watcher.function.function_name} "
            f"--invocation-type Event --cli-binary-format raw-in-base64-out --payload '{payload}' /dev/null"
        )


def _queue_url(queue: DeadLetterQueue) -> str:
    return queue.queue.queue_url


def _slack(config: StackConfig) -> SlackChannel | None:
    if config.slack_workspace_id is None or config.slack_channel_id is None:
        return None
    return SlackChannel(workspace_id=config.slack_workspace_id, channel_id=config.slack_channel_id)


def _teams(config: StackConfig) -> TeamsChannel | None:
    if config.teams_team_id is None or config.teams_channel_id is None or config.teams_tenant_id is None:
        return None
    return TeamsChannel(
        team_id=config.teams_team_id, channel_id=config.teams_channel_id, tenant_id=config.teams_tenant_id
    )
