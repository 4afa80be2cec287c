"""EventBridge Scheduler schedules that invoke one function (the watcher's tick, the spoke monitor's, and the
digest on either): one role Scheduler assumes for this account only, each schedule retried, and what cannot
be delivered kept in the function's trigger dead-letter queue."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as scheduler_targets
from constructs import Construct

from infra import constants as c
from infra.constructs.queues import DeadLetterQueue
from infra.ids import pin_logical_id
from infra.nag import acknowledge, iam5_resource


class FunctionSchedules:
    """The schedules of the function `name` (logical ids `<name>ScheduleRole`, `<name>Schedule`,
    `DigestSchedule`, `<name>ScheduleRolePolicy`)."""

    def __init__(
        self, scope: Construct, *, name: str, function: lambda_.IFunction, dead_letter_queue: DeadLetterQueue
    ) -> None:
        self.scope = scope
        self.name = name
        self.function = function
        self.dead_letter_queue = dead_letter_queue
        self.role = iam.Role(
            scope,
            "ScheduleRole",
            description=f"autopilot-reports: EventBridge Scheduler invokes the {_words(name)}",
            assumed_by=iam.ServicePrincipal(
                "scheduler.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": cdk.Stack.of(scope).account}},
            ),
        )
        pin_logical_id(self.role, f"{name}ScheduleRole")

    def every(self, interval: cdk.Duration, description: str) -> scheduler.Schedule:
        """The regular tick: an event older than one interval is dropped (the next tick does its work)."""
        schedule = self._invoke_on(
            "Schedule", description, scheduler.ScheduleExpression.rate(interval), dict(c.SCHEDULE_INPUT), interval
        )
        pin_logical_id(schedule, f"{self.name}Schedule")
        return schedule

    def digest(self, expression: str, description: str) -> scheduler.Schedule:
        """The digest, on its own expression; the scheduled time ends its period, so a retried invocation
        summarizes the same period (and commits nothing new)."""
        schedule = self._invoke_on(
            "DigestSchedule",
            description,
            scheduler.ScheduleExpression.expression(expression),
            {**c.DIGEST_INPUT, "scheduled_time": scheduler.ContextAttribute.scheduled_time},
            cdk.Duration.hours(1),
        )
        pin_logical_id(schedule, "DigestSchedule")
        return schedule

    def grant(self) -> None:
        """After the schedules: the targets granted lambda:InvokeFunction and sqs:SendMessage; the queue's
        CMK is ours to add."""
        self.dead_letter_queue.grant_key_use(self.role)
        policy = self.role.node.find_child("DefaultPolicy")
        acknowledge(
            policy,
            iam5_resource(f"<{self.name}Function.Arn>:*"),
            f"CDK's grantInvoke for the schedules' target covers the {_words(self.name)}'s versions and aliases "
            "(<arn>:*) besides the function itself; this role can invoke nothing else.",
        )
        pin_logical_id(policy, f"{self.name}ScheduleRolePolicy")

    def _invoke_on(
        self,
        construct_id: str,
        description: str,
        expression: scheduler.ScheduleExpression,
        payload: dict[str, object],
        max_event_age: cdk.Duration,
    ) -> scheduler.Schedule:
        """A schedule that invokes the function with `payload`, retried, undeliverable ones kept."""
        return scheduler.Schedule(
            self.scope,
            construct_id,
            description=description,
            schedule=expression,
            target=scheduler_targets.LambdaInvoke(
                self.function,
                role=self.role,
                input=scheduler.ScheduleTargetInput.from_object(payload),
                dead_letter_queue=self.dead_letter_queue.queue,
                retry_attempts=c.SCHEDULE_RETRY_ATTEMPTS,
                max_event_age=max_event_age,
            ),
        )


def _words(name: str) -> str:
    """`SpokeMonitor` -> `spoke monitor`."""
    return "".join(f" {char.lower()}" if char.isupper() else char for char in name).strip()
