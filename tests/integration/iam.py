"""Least privilege, from the synthesized template: each function's policy documents, a moto IAM role that
holds them, and a resource-aware check of every AWS call a handler makes.

Why two layers: moto's IAM enforcement authenticates every request and checks actions, but for most
services it evaluates policies against resource "*" (only S3, SQS, IAM and STS compute the real
resource), and it never sees SageMaker, which our simulator plays. So moto gets the policies with
non-S3 resources widened to "*" (actions are still enforced), and `PolicyCheck` evaluates each call's
real action and resource ARNs against the unmodified policies, the way IAM would.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sandbox.place import DEFAULT_ACCOUNT as ACCOUNT_ID
from sandbox.place import Place
from sandbox.template import Resolver

REGION = "us-east-1"


def function_policies(template: dict[str, Any], function_id: str) -> list[dict[str, Any]]:
    """Resolved policy documents of the function's execution role (inline and AWS::IAM::Policy)."""
    resources = template["Resources"]
    resolve = Resolver(template, Place(ACCOUNT_ID, REGION))
    role_ref = resources[function_id]["Properties"]["Role"]
    role_id = role_ref["Fn::GetAtt"][0]
    documents = [policy["PolicyDocument"] for policy in resources[role_id]["Properties"].get("Policies", [])]
    for resource in resources.values():
        if resource["Type"] == "AWS::IAM::Policy" and {"Ref": role_id} in resource["Properties"].get("Roles", []):
            documents.append(resource["Properties"]["PolicyDocument"])
    assert not resources[role_id]["Properties"].get("ManagedPolicyArns"), "managed policies are not exact"
    return [resolve(document) for document in documents]


# IAM authorizes TransactWriteItems through the item-level actions of each item; moto asks for an
# action named after the operation instead. The per-item actions are still checked by PolicyCheck.
MOTO_ONLY_ACTIONS = {"dynamodb:UpdateItem": "dynamodb:TransactWriteItems"}


def widened_for_moto(document: dict[str, Any]) -> dict[str, Any]:
    """moto checks resources only for S3 (and SQS); elsewhere it asks about "*", so widen those."""
    statements = []
    for statement in _statements(document):
        actions = _as_list(statement["Action"])
        if all(action.startswith(("s3:", "sqs:")) for action in actions):
            statements.append(statement)
            continue
        extra = [MOTO_ONLY_ACTIONS[action] for action in actions if action in MOTO_ONLY_ACTIONS]
        statements.append({**statement, "Action": actions + extra, "Resource": "*"})
    return {"Version": "2012-10-17", "Statement": statements}


@dataclass
class PolicyCheck:
    """Evaluates (action, resource) pairs against policy documents: explicit Allow needed, Deny wins."""

    documents: list[dict[str, Any]]
    topic_keys: dict[str, str] = field(default_factory=dict)  # topic ARN -> KMS key ARN
    key_aliases: dict[str, str] = field(default_factory=dict)  # KMS alias name -> the key's ARN
    denied: list[str] = field(default_factory=list)
    allowed: list[str] = field(default_factory=list)

    def attach(self, session: Any) -> None:
        session.events.register("before-parameter-build", self._check_call)

    def used_actions(self) -> set[str]:
        """The IAM actions of every call seen (allowed or denied)."""
        return {verdict.split(" on ", 1)[0] for verdict in self.allowed + self.denied}

    def _check_call(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        for action, resource, context in required_permissions(model, params, self.topic_keys, self.key_aliases):
            verdict = f"{action} on {resource}"
            (self.allowed if self.permits(action, resource, context) else self.denied).append(verdict)

    def permits(self, action: str, resource: str, context: dict[str, str] | None = None) -> bool:
        allowed = False
        for statement in (s for document in self.documents for s in _statements(document)):
            if not _matches_any(_as_list(statement["Action"]), action, ignore_case=True):
                continue
            if not _matches_any(_as_list(statement.get("Resource", "*")), resource):
                continue
            if not _conditions_hold(statement.get("Condition", {}), context or {}):
                continue
            if statement["Effect"] == "Deny":
                return False
            allowed = True
        return allowed


def required_permissions(
    model: Any, params: dict[str, Any], topic_keys: dict[str, str], key_aliases: dict[str, str] | None = None
) -> Iterable[tuple[str, str, dict[str, str]]]:
    """What IAM authorizes for one API call: (action, resource ARN, condition context)."""
    service, operation = model.service_model.signing_name, model.name
    arn = f"arn:aws:{{}}:{REGION}:{ACCOUNT_ID}:{{}}"
    if service == "sagemaker":
        name = params.get("AutoMLJobName")
        yield f"sagemaker:{operation}", arn.format("sagemaker", f"automl-job/{name.lower()}") if name else "*", {}
    elif service == "dynamodb":
        yield from _dynamodb(operation, params, arn)
    elif service == "s3":
        bucket = params["Bucket"]
        if operation == "ListObjectsV2":
            yield "s3:ListBucket", f"arn:aws:s3:::{bucket}", {"s3:prefix": params.get("Prefix", "")}
        else:
            yield f"s3:{operation}", f"arn:aws:s3:::{bucket}/{params['Key']}", {}
    elif service == "sns":
        topic = params.get("TopicArn", "*")
        yield f"sns:{operation}", topic, {}
        if operation == "Publish" and topic in topic_keys:  # SNS encrypts with the topic's key as the caller
            yield "kms:GenerateDataKey", topic_keys[topic], {}
            yield "kms:Decrypt", topic_keys[topic], {}
    elif service == "kms":  # IAM authorizes a key by its ARN, whatever alias the call names it by
        key = params.get("KeyId", "*")
        yield f"kms:{operation}", (key_aliases or {}).get(key, key), {}
    elif service == "events":
        buses = {entry.get("EventBusName", "default") for entry in params.get("Entries", [])}
        for bus in buses:
            yield f"events:{operation}", bus if bus.startswith("arn:") else arn.format("events", f"event-bus/{bus}"), {}
    elif service == "sqs":
        name = str(params.get("QueueUrl", "*")).rstrip("/").rsplit("/", 1)[-1]
        yield f"sqs:{operation}", arn.format("sqs", name), {}
    else:
        yield f"{service}:{operation}", "*", {}


def _dynamodb(operation: str, params: dict[str, Any], arn: str) -> Iterable[tuple[str, str, dict[str, str]]]:
    def table(name: str, index: str | None = None) -> str:
        return arn.format("dynamodb", f"table/{name}" + (f"/index/{index}" if index else ""))

    if operation == "TransactWriteItems":
        verbs = {
            "Put": "PutItem",
            "Update": "UpdateItem",
            "Delete": "DeleteItem",
            "ConditionCheck": "ConditionCheckItem",
        }
        for item in params["TransactItems"]:
            ((kind, body),) = item.items()
            yield f"dynamodb:{verbs[kind]}", table(body["TableName"]), {}
    elif operation in ("BatchGetItem", "BatchWriteItem"):
        for name in params["RequestItems"]:
            yield f"dynamodb:{operation}", table(name), {}
    else:
        yield f"dynamodb:{operation}", table(params["TableName"], params.get("IndexName")), {}


def key_aliases(template: dict[str, Any]) -> dict[str, str]:
    """Each KMS alias of the template → its key's ARN, as the Resolver names keys."""
    return {
        body["Properties"][
            "AliasName"
        ]: f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/{body['Properties']['TargetKeyId']['Ref']}"
        for body in template["Resources"].values()
        if body["Type"] == "AWS::KMS::Alias" and "Ref" in body["Properties"].get("TargetKeyId", {})
    }


def granted_actions(documents: list[dict[str, Any]]) -> set[str]:
    """Every action the documents allow (policies here name actions exactly, never with wildcards)."""
    return {
        action
        for document in documents
        for statement in _statements(document)
        if statement["Effect"] == "Allow"
        for action in _as_list(statement["Action"])
    }


def _statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    statements = document["Statement"]
    return statements if isinstance(statements, list) else [statements]


def _as_list(value: Any) -> list[str]:
    return value if isinstance(value, list) else [value]


def _matches_any(patterns: list[str], value: str, ignore_case: bool = False) -> bool:
    flags = re.IGNORECASE if ignore_case else 0
    return any(re.fullmatch(re.escape(p).replace(r"\*", ".*").replace(r"\?", "."), value, flags) for p in patterns)


NEGATED = ("StringNotEquals", "ArnNotEquals")  # with the key absent, IAM takes these as true


def _conditions_hold(conditions: dict[str, Any], context: dict[str, str]) -> bool:
    for operator, tests in conditions.items():
        for key, expected in tests.items():
            value = context.get(key)
            if value is None:
                if operator in NEGATED:
                    continue
                return False
            if operator == "StringLike" and not _matches_any(_as_list(expected), value):
                return False
            if operator in ("StringEquals", "Bool") and value not in _as_list(expected):
                return False
            if operator in NEGATED and value in _as_list(expected):
                return False
    return True


def resource_policy_denies(statements: list[dict[str, Any]], action: str, context: dict[str, str]) -> bool:
    """Whether a Deny of a resource policy (a topic's) applies to a request: `context` holds the request's
    keys (aws:PrincipalArn, aws:PrincipalAccount, aws:PrincipalIsAWSService)."""
    return any(
        statement["Effect"] == "Deny"
        and statement.get("Principal") == "*"
        and _matches_any(_as_list(statement["Action"]), action, ignore_case=True)
        and _conditions_hold(statement.get("Condition", {}), context)
        for statement in statements
    )


def policy_json(document: dict[str, Any]) -> str:
    return json.dumps(document)
