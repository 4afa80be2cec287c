"""Each handler runs under the policy its role gets in the synthesized template, with moto enforcing IAM:
the happy paths succeed, calls outside the policies are denied, and every granted action is needed: used
by a call the handlers were seen to make, or by the Lambda platform on the function's behalf."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.core import set_initial_no_auth_action_count

from autopilot_reports.handlers import notifier as notifier_handler
from autopilot_reports.handlers import reporter as reporter_handler
from autopilot_reports.handlers import watcher as watcher_handler
from sandbox.place import DEFAULT_ACCOUNT as ACCOUNT_ID
from sandbox.place import Place
from sandbox.sealing import create_mac_keys
from sandbox.template import Resolver
from tests.integration.conftest import stream_event
from tests.integration.iam import (
    REGION,
    PolicyCheck,
    function_policies,
    granted_actions,
    key_aliases,
    resource_policy_denies,
    widened_for_moto,
)
from tests.integration.test_handlers import SCENARIO, WATCH_START, Context, describe, state_change
from testsupport.process import reset_process
from testsupport.stepping import stepping_simulator

HANDLERS = ("handlers.watcher.handler", "handlers.reporter.handler", "handlers.notifier.handler")
# Granted for the Lambda platform, which acts as the function: its logs and traces, the event source
# mapping reading the table's stream, and on-failure destinations (queues encrypted with our key).
PLATFORM_ACTIONS = {
    "logs:CreateLogStream": "the runtime writes the function's logs",
    "logs:PutLogEvents": "the runtime writes the function's logs",
    "xray:PutTraceSegments": "active tracing",
    "xray:PutTelemetryRecords": "active tracing",
    "dynamodb:DescribeStream": "the event source mapping reads the table's stream",
    "dynamodb:GetRecords": "the event source mapping reads the table's stream",
    "dynamodb:GetShardIterator": "the event source mapping reads the table's stream",
    "dynamodb:ListStreams": "the event source mapping reads the table's stream",
    "sqs:SendMessage": "Lambda sends what still failed to the function's on-failure destination",
    "sqs:ReceiveMessage": "the event source mapping polls the reporter's queue as the reporter's role",
    "sqs:DeleteMessage": "the event source mapping deletes what the reporter reported",
    "sqs:GetQueueAttributes": "the event source mapping reads the reporter's queue (the watcher asks it itself)",
    "kms:GenerateDataKey": "the on-failure queue is encrypted with the messaging key",
    "kms:Decrypt": "the on-failure queue and the reporter's queue are encrypted with the messaging key",
}

OUTPUT_BUCKET = f"sagemaker-{REGION}-{ACCOUNT_ID}"  # the stack's default Autopilot output location
PREFIX = f"s3://{OUTPUT_BUCKET}/churn/documentation/explainability/output"
ADMIN_SETUP_CALLS = 3  # create_user, put_user_policy, create_access_key: unauthenticated, then IAM is on


@dataclass
class Credentials:
    env: dict[str, str]

    def client(self, service: str) -> Any:
        return boto3.client(
            service,
            region_name=REGION,
            aws_access_key_id=self.env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=self.env["AWS_SECRET_ACCESS_KEY"],
            aws_session_token=self.env.get("AWS_SESSION_TOKEN"),
        )


def admin_credentials() -> Credentials:
    iam = boto3.client("iam", region_name=REGION)
    iam.create_user(UserName="admin")
    iam.put_user_policy(
        UserName="admin",
        PolicyName="all",
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
        ),
    )
    key = iam.create_access_key(UserName="admin")["AccessKey"]
    return Credentials({"AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]})


def role_credentials(admin: Credentials, name: str, documents: list[dict[str, Any]]) -> Credentials:
    iam = admin.client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:user/admin"},
            }
        ],
    }
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    for index, document in enumerate(documents):
        iam.put_role_policy(
            RoleName=name, PolicyName=f"p{index}", PolicyDocument=json.dumps(widened_for_moto(document))
        )
    creds = admin.client("sts").assume_role(RoleArn=role["Arn"], RoleSessionName=name)["Credentials"]
    return Credentials(
        {
            "AWS_ACCESS_KEY_ID": creds["AccessKeyId"],
            "AWS_SECRET_ACCESS_KEY": creds["SecretAccessKey"],
            "AWS_SESSION_TOKEN": creds["SessionToken"],
        }
    )


def provision(admin: Credentials, stack_model: Any) -> None:
    table = stack_model.tables[0]
    admin.client("dynamodb").create_table(**table.create_table_params())
    create_mac_keys(admin.client("kms"), stack_model)
    for topic in stack_model.topics:
        admin.client("sns").create_topic(Name=topic)
    for bus in stack_model.buses.values():
        admin.client("events").create_event_bus(Name=bus)
    for queue in stack_model.queues:
        admin.client("sqs").create_queue(QueueName=queue)
    s3 = admin.client("s3")
    for bucket in (OUTPUT_BUCKET, "someone-elses-bucket"):
        s3.create_bucket(Bucket=bucket)
    body = {"version": "1.0", "explanations": {"kernel_shap": {"label0": {"global_shap_values": {"tenure": 0.3}}}}}
    s3.put_object(Bucket=OUTPUT_BUCKET, Key=PREFIX.split("/", 3)[3] + "/analysis.json", Body=json.dumps(body))
    s3.put_object(Bucket="someone-elses-bucket", Key="secret.json", Body=b"{}")


def scenario_with_default_bucket() -> dict[str, Any]:
    completed = describe("churn", "Completed", "Completed", 30, best=True)
    completed["BestCandidate"]["CandidateProperties"]["CandidateArtifactLocations"]["Explainability"] = PREFIX
    churn = {**SCENARIO["jobs"][0], "describe": [describe("churn", "InProgress", "Starting", 0), completed]}
    return {"jobs": [churn, SCENARIO["jobs"][1]]}


def topic_keys(template: dict[str, Any], stack_model: Any) -> dict[str, str]:
    keys = {}
    for topic in stack_model.topics:
        key_ref = template["Resources"][topic]["Properties"].get("KmsMasterKeyId")
        if key_ref:
            key_id = key_ref["Fn::GetAtt"][0] if "Fn::GetAtt" in key_ref else key_ref["Ref"]
            keys[f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:{topic}"] = f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/{key_id}"
    return keys


@pytest.fixture
def enforced(aws, template_json, stack_model, monkeypatch):
    """IAM on in moto; a role per function from the template; the simulator for SageMaker."""
    results: dict[str, Any] = {}

    @set_initial_no_auth_action_count(ADMIN_SETUP_CALLS)
    def run(body):
        admin = admin_credentials()
        provision(admin, stack_model)
        roles = {
            suffix: role_credentials(
                admin,
                suffix.split(".")[1],
                function_policies(template_json, stack_model.function_by_handler(suffix).logical_id),
            )
            for suffix in HANDLERS
        }
        with stepping_simulator(scenario_with_default_bucket()) as simulator:
            monkeypatch.setenv("AWS_ENDPOINT_URL_SAGEMAKER", simulator.endpoint_url)
            simulator.tick = 1
            body(roles, results)
        return results

    yield run
    reset_process()


def act_as(monkeypatch, stack_model, template_json, suffix: str, credentials: Credentials) -> PolicyCheck:
    """Environment and credentials of one function, and a resource-aware check of its calls."""
    spec = stack_model.function_by_handler(suffix)
    for name, value in {**spec.environment, **credentials.env}.items():
        monkeypatch.setenv(name, value)
    reset_process()
    check = PolicyCheck(
        function_policies(template_json, spec.logical_id),
        topic_keys(template_json, stack_model),
        key_aliases(template_json),
    )
    boto3.setup_default_session(region_name=REGION)
    check.attach(boto3.DEFAULT_SESSION)
    return check


@pytest.fixture
def happy_paths(enforced, monkeypatch, stack_model, template_json):
    """Every handler's happy path under its own role: a tick, a history import, a terminal and a V2
    report (with leaderboard and explainability), and the notification from the table's stream."""

    def body(roles, results):
        watcher = act_as(monkeypatch, stack_model, template_json, HANDLERS[0], roles[HANDLERS[0]])
        from autopilot_reports.adapters.dynamodb_store import DynamoDBReportStore

        DynamoDBReportStore(stack_model.tables[0].logical_id).begin_watch(WATCH_START)
        results["watcher"] = watcher_handler.handler({"trigger": "schedule"}, Context())
        # Not stored yet, and the reporter's queue empty: the next tick asks it, then publishes them again.
        results["watcher_again"] = watcher_handler.handler({"trigger": "schedule"}, Context())
        backfill = {"backfill": {"start": "2025-05-01T00:00:00Z", "end": "2025-05-02T00:00:00Z", "force": True}}
        results["import"] = watcher_handler.handler(backfill, Context())

        reporter = act_as(monkeypatch, stack_model, template_json, HANDLERS[1], roles[HANDLERS[1]])
        results["reporter"] = reporter_handler.handler(state_change("churn"), Context())
        results["reporter_v2"] = reporter_handler.handler(state_change("forecast", "InProgress", "Starting"), Context())

        # The digest runs in the watcher's role too (its schedule's input), after the reports it summarizes.
        digester = act_as(monkeypatch, stack_model, template_json, HANDLERS[0], roles[HANDLERS[0]])
        digest = {"trigger": "digest", "scheduled_time": "2025-05-02T08:00:00Z"}
        results["digest"] = watcher_handler.handler(digest, Context())
        watcher.allowed += digester.allowed  # one function, two invocations
        watcher.denied += digester.denied

        notifier = act_as(monkeypatch, stack_model, template_json, HANDLERS[2], roles[HANDLERS[2]])
        records, _ = stream_event(stack_model, 0)
        results["notifier"] = notifier_handler.handler(records, Context())
        results["checks"] = {HANDLERS[0]: watcher, HANDLERS[1]: reporter, HANDLERS[2]: notifier}

    return enforced(body)


def test_every_handler_succeeds_under_its_own_policy(happy_paths):
    assert happy_paths["watcher"]["published"] == 2
    assert happy_paths["watcher_again"]["published"] == 2
    assert happy_paths["import"]["status"] == "done"
    assert happy_paths["reporter"] == {"outcome": "claimed", "job_name": "churn"}
    assert happy_paths["reporter_v2"]["outcome"] == "written"
    assert happy_paths["digest"]["committed"] is True
    assert happy_paths["notifier"] == {"batchItemFailures": []}
    for name, check in happy_paths["checks"].items():
        assert check.denied == [], f"{name}: calls outside the synthesized policy: {check.denied}"
        assert check.allowed, name
    reporter, notifier = happy_paths["checks"][HANDLERS[1]], happy_paths["checks"][HANDLERS[2]]
    assert any(verdict.startswith("sagemaker:DescribeAutoMLJobV2") for verdict in reporter.allowed)
    watcher = happy_paths["checks"][HANDLERS[0]]
    assert any(verdict.startswith("sqs:GetQueueAttributes") for verdict in watcher.allowed)
    assert any(verdict.startswith("sns:Publish") for verdict in notifier.allowed)
    assert any(verdict.startswith("kms:GenerateDataKey") for verdict in notifier.allowed)


def test_every_granted_action_is_needed(happy_paths, template_json, stack_model):
    """Minimality: an action no observed call used, and no platform duty explains, is one too many."""
    for suffix in HANDLERS:
        function_id = stack_model.function_by_handler(suffix).logical_id
        granted = granted_actions(function_policies(template_json, function_id))
        used = happy_paths["checks"][suffix].used_actions()
        unexplained = granted - used - set(PLATFORM_ACTIONS)
        assert not unexplained, f"{function_id} holds actions nothing uses: {sorted(unexplained)}"


def test_the_minimality_check_catches_a_grant_nothing_uses(happy_paths, template_json, stack_model):
    """The check above, shown to fail when what it guards is broken: one extra action is found."""
    function_id = stack_model.function_by_handler(HANDLERS[1]).logical_id
    documents = function_policies(template_json, function_id)
    extra = {"Effect": "Allow", "Action": "dynamodb:DeleteItem", "Resource": "*"}
    broken = [*documents, {"Version": "2012-10-17", "Statement": [extra]}]
    used = happy_paths["checks"][HANDLERS[1]].used_actions()
    assert granted_actions(broken) - used - set(PLATFORM_ACTIONS) == {"dynamodb:DeleteItem"}


def test_calls_outside_each_policy_are_denied(enforced, monkeypatch, stack_model, template_json):
    table = stack_model.tables[0].logical_id

    def body(roles, results):
        reporter, watcher = roles["handlers.reporter.handler"], roles["handlers.watcher.handler"]
        attempts = {
            "reporter scans the table": lambda: reporter.client("dynamodb").scan(TableName=table),
            "reporter reads another bucket": lambda: reporter.client("s3").get_object(
                Bucket="someone-elses-bucket", Key="secret.json"
            ),
            "reporter puts events": lambda: reporter.client("events").put_events(
                Entries=[{"Source": "x", "DetailType": "y", "Detail": "{}"}]
            ),
            "watcher publishes to SNS": lambda: watcher.client("sns").publish(
                TopicArn=f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:{stack_model.topics[0]}", Message="hi"
            ),
            "watcher deletes a record": lambda: watcher.client("dynamodb").delete_item(
                TableName=table, Key={"pk": {"S": "x"}, "sk": {"S": "y"}}
            ),
        }
        for name, attempt in attempts.items():
            try:
                attempt()
                results[name] = "allowed"
            except ClientError as error:  # moto answers JSON services with an XML 403 body: read both
                results[name] = f"{error.response['Error']['Code']}: {error}"

    results = enforced(body)

    assert len(results) == 5
    assert all("AccessDenied" in outcome for outcome in results.values()), results


def test_resource_scoping_of_the_synthesized_policies(template_json, stack_model):
    """What moto cannot judge (it evaluates DynamoDB, SNS and EventBridge policies at resource "*")."""
    reporter = PolicyCheck(
        function_policies(template_json, stack_model.function_by_handler("handlers.reporter.handler").logical_id)
    )
    watcher = PolicyCheck(
        function_policies(template_json, stack_model.function_by_handler("handlers.watcher.handler").logical_id)
    )
    table = f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/{stack_model.tables[0].logical_id}"
    job = f"arn:aws:sagemaker:{REGION}:{ACCOUNT_ID}:automl-job/churn"

    assert reporter.permits("sagemaker:DescribeAutoMLJob", job)
    assert not reporter.permits("sagemaker:DescribeAutoMLJob", job.replace(ACCOUNT_ID, "210987654321"))
    assert not reporter.permits("sagemaker:DescribeTrainingJob", job)
    assert reporter.permits("dynamodb:UpdateItem", table)
    assert not reporter.permits("dynamodb:UpdateItem", table + "-other")
    assert not reporter.permits("dynamodb:Query", table + "/index/by_status")
    assert not reporter.permits("dynamodb:DeleteItem", table)
    operators = [topic for topic in stack_model.topics if topic != stack_model.topics[0]]
    for topic in operators:
        assert not reporter.permits("sns:Publish", f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:{topic}")
    assert watcher.permits("sagemaker:ListAutoMLJobs", "*")
    assert not watcher.permits("sagemaker:DescribeAutoMLJob", job)
    assert not watcher.permits("events:PutEvents", f"arn:aws:events:{REGION}:{ACCOUNT_ID}:event-bus/default")


def topic_statements(template_json: dict[str, Any], topic: str) -> list[dict[str, Any]]:
    resolve = Resolver(template_json, Place(ACCOUNT_ID, REGION))
    return [
        statement
        for body in template_json["Resources"].values()
        if body["Type"] == "AWS::SNS::TopicPolicy" and {"Ref": topic} in body["Properties"]["Topics"]
        for statement in resolve(body["Properties"]["PolicyDocument"])["Statement"]
    ]


def test_the_reports_topic_refuses_a_publish_by_anyone_but_the_notifier(template_json, stack_model):
    """moto enforces identity policies only: the synthesized topic policy is evaluated here, as IAM would.
    An administrator allowed sns:* on "*" by IAM, another function, a service: all denied by the topic;
    the notifier's role admitted. Subscribing is this account's principals' alone."""
    statements = topic_statements(template_json, stack_model.topics[0])
    notifier = f"arn:aws:iam::{ACCOUNT_ID}:role/NotifierRole"  # the Resolver's name for the role
    request = {"aws:PrincipalAccount": ACCOUNT_ID, "aws:PrincipalIsAWSService": "false"}
    assert not resource_policy_denies(statements, "sns:Publish", {**request, "aws:PrincipalArn": notifier})
    for someone in (
        f"arn:aws:iam::{ACCOUNT_ID}:user/admin",
        f"arn:aws:iam::{ACCOUNT_ID}:role/ReporterRole",
        "arn:aws:iam::210987654321:role/attacker",
    ):
        assert resource_policy_denies(statements, "sns:Publish", {**request, "aws:PrincipalArn": someone}), someone
    assert resource_policy_denies(statements, "sns:Publish", {"aws:PrincipalIsAWSService": "true"})  # no service
    outsider = {"aws:PrincipalAccount": "210987654321", "aws:PrincipalIsAWSService": "false"}
    assert resource_policy_denies(statements, "sns:Subscribe", outsider)
    assert not resource_policy_denies(statements, "sns:Subscribe", request)
    assert not resource_policy_denies(statements, "sns:Subscribe", {"aws:PrincipalIsAWSService": "true"})  # Chatbot
