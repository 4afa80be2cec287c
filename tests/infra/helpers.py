"""Small readers for a synthesized template (dicts in, plain values out)."""

from __future__ import annotations

from typing import Any

Template = dict[str, Any]


def resources(template: Template, resource_type: str) -> dict[str, dict[str, Any]]:
    return {name: body for name, body in template["Resources"].items() if body["Type"] == resource_type}


def props(template: Template, logical_id: str) -> dict[str, Any]:
    return template["Resources"][logical_id]["Properties"]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def policy_statements_for_role(template: Template, role_id: str) -> list[dict[str, Any]]:
    """Every statement of every AWS::IAM::Policy attached to the role (inline policies included)."""
    statements: list[dict[str, Any]] = []
    for body in resources(template, "AWS::IAM::Policy").values():
        if {"Ref": role_id} in body["Properties"]["Roles"]:
            statements.extend(body["Properties"]["PolicyDocument"]["Statement"])
    role = props(template, role_id)
    for policy in role.get("Policies", []):
        statements.extend(policy["PolicyDocument"]["Statement"])
    assert not role.get("ManagedPolicyArns"), f"{role_id} has managed policies: {role.get('ManagedPolicyArns')}"
    return statements


def grants(statements: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """action → every resource it is allowed on (Allow statements only)."""
    result: dict[str, list[Any]] = {}
    for statement in statements:
        if statement["Effect"] != "Allow":
            continue
        for action in as_list(statement["Action"]):
            result.setdefault(action, []).extend(as_list(statement["Resource"]))
    return result


def conditions_for(statements: list[dict[str, Any]], action: str) -> list[dict[str, Any] | None]:
    return [s.get("Condition") for s in statements if action in as_list(s["Action"]) and s["Effect"] == "Allow"]


def get_att(logical_id: str, attribute: str = "Arn") -> dict[str, Any]:
    return {"Fn::GetAtt": [logical_id, attribute]}


def ref(logical_id: str) -> dict[str, Any]:
    return {"Ref": logical_id}


def function_by_handler(template: Template, handler: str) -> tuple[str, dict[str, Any]]:
    matches = [
        (name, body["Properties"])
        for name, body in resources(template, "AWS::Lambda::Function").items()
        if body["Properties"].get("Handler") == handler
    ]
    assert len(matches) == 1, f"expected one function with handler {handler}, found {len(matches)}"
    return matches[0]


def queue_policy_for(template: Template, queue_id: str) -> list[dict[str, Any]]:
    statements: list[dict[str, Any]] = []
    for body in resources(template, "AWS::SQS::QueuePolicy").values():
        if {"Ref": queue_id} in body["Properties"]["Queues"]:
            statements.extend(body["Properties"]["PolicyDocument"]["Statement"])
    return statements


def topic_policy_for(template: Template, topic_id: str) -> list[dict[str, Any]]:
    statements: list[dict[str, Any]] = []
    for body in resources(template, "AWS::SNS::TopicPolicy").values():
        if {"Ref": topic_id} in body["Properties"]["Topics"]:
            statements.extend(body["Properties"]["PolicyDocument"]["Statement"])
    return statements
