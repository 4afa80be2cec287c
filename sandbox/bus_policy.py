"""An event bus's resource policy, evaluated by the sandbox for an event another account's rule puts on it.

moto's EventBridge ignores bus policies (and rewrites an event's account on a cross-account delivery), so
the sandbox routes between deployments itself (sandbox/routing.py) and asks this module whether the bus
admits each event. The rules are IAM's, for the part a bus policy uses: the bus's own account needs no
grant; otherwise some statement must allow `events:PutEvents` for the principal with every condition met,
and no statement may deny it. Condition keys: `aws:PrincipalAccount`, `aws:PrincipalOrgID`,
`aws:PrincipalOrgPaths` (multi-valued), `events:source`, `events:detail-type`; operators `StringEquals`,
`StringLike` (`*` and `?`) and their `Not` forms, with `ForAnyValue:` / `ForAllValues:` for the
multi-valued key. Anything else is refused by name when the policy is read, never guessed at.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from sandbox.template import BusPolicySpec, TemplateError

PUT_EVENTS = "events:PutEvents"
ACTIONS = {PUT_EVENTS, "events:*", "*"}
KEYS = {"aws:PrincipalAccount", "aws:PrincipalOrgID", "aws:PrincipalOrgPaths", "events:source", "events:detail-type"}
OPERATORS = {"StringEquals": (False, False), "StringLike": (True, False)}  # name -> (wildcards, negated)
OPERATORS |= {"StringNotEquals": (False, True), "StringNotLike": (True, True)}
QUALIFIERS = ("ForAnyValue:", "ForAllValues:")


@dataclass(frozen=True)
class Sender:
    """Who puts the event: the role EventBridge assumes in the sending account (a rule's target role),
    and that account's place in its organization (none: not a member)."""

    account: str
    role_arn: str | None = None
    organization_id: str | None = None
    organization_paths: tuple[str, ...] = ()


@dataclass(frozen=True)
class PutRequest:
    sender: Sender
    source: str
    detail_type: str

    def context(self) -> dict[str, list[str]]:
        """The request's condition keys and their values (a key with no value is absent)."""
        values = {
            "aws:PrincipalAccount": [self.sender.account],
            "aws:PrincipalOrgID": [self.sender.organization_id] if self.sender.organization_id else [],
            "aws:PrincipalOrgPaths": list(self.sender.organization_paths),
            "events:source": [self.source],
            "events:detail-type": [self.detail_type],
        }
        return {key: found for key, found in values.items() if found}


@dataclass(frozen=True)
class Condition:
    operator: str
    qualifier: str  # "", "ForAnyValue:" or "ForAllValues:"
    key: str
    values: tuple[str, ...]

    def met(self, context: Mapping[str, Sequence[str]]) -> bool:
        wildcards, negated = OPERATORS[self.operator]
        present = context.get(self.key, [])

        def matches(value: str) -> bool:
            return any(_pattern(allowed, wildcards).fullmatch(value) for allowed in self.values)

        if self.qualifier == "ForAnyValue:":
            return any(matches(value) for value in present)
        if self.qualifier == "ForAllValues:":
            return all(matches(value) for value in present)
        if not present:  # IAM: a missing key fails a condition, and meets a negated one
            return negated
        return any(matches(value) for value in present) != negated


@dataclass(frozen=True)
class Statement:
    allow: bool
    principals: tuple[str, ...]  # "*", account ids, role ARNs
    conditions: tuple[Condition, ...] = field(default_factory=tuple)

    def applies(self, request: PutRequest) -> bool:
        context = request.context()
        return self._names(request.sender) and all(condition.met(context) for condition in self.conditions)

    def _names(self, sender: Sender) -> bool:
        root = f"arn:aws:iam::{sender.account}:root"
        return any(principal in ("*", sender.account, root, sender.role_arn) for principal in self.principals)


@dataclass(frozen=True)
class BusPolicy:
    """The statements of one bus's policy that concern PutEvents, read once."""

    bus_account: str
    statements: tuple[Statement, ...]

    @classmethod
    def read(cls, spec: BusPolicySpec | None, bus_account: str) -> BusPolicy:
        """The policy (None: the bus has none, so only its own account may put). Raises TemplateError for
        what the sandbox cannot evaluate."""
        statements = [] if spec is None else [_statement(raw, spec.logical_id) for raw in spec.statements]
        return cls(bus_account, tuple(statement for statement in statements if statement is not None))

    def admits(self, request: PutRequest) -> bool:
        if request.sender.account == self.bus_account:
            return True
        applying = [statement for statement in self.statements if statement.applies(request)]
        return any(statement.allow for statement in applying) and not any(not s.allow for s in applying)


def _statement(raw: Mapping[str, Any], policy: str) -> Statement | None:
    """A statement that grants or denies PutEvents; None for one about other actions."""
    actions = _strings(raw.get("Action", []))
    if not ACTIONS.intersection(actions):
        return None
    principal = raw.get("Principal", {})
    principals = _strings(principal.get("AWS", []) if isinstance(principal, Mapping) else principal)
    conditions = []
    for operator, keys in raw.get("Condition", {}).items():
        qualifier = next((prefix for prefix in QUALIFIERS if operator.startswith(prefix)), "")
        name = operator.removeprefix(qualifier)
        if name not in OPERATORS or (qualifier and OPERATORS[name][1]):
            raise TemplateError(f"bus policy {policy}: the sandbox cannot evaluate the condition operator {operator}")
        for key, values in keys.items():
            if key not in KEYS:
                raise TemplateError(f"bus policy {policy}: the sandbox cannot evaluate the condition key {key}")
            conditions.append(Condition(name, qualifier, key, tuple(_strings(values))))
    return Statement(raw.get("Effect") == "Allow", tuple(principals), tuple(conditions))


def _strings(value: Any) -> list[str]:
    return [str(item) for item in value] if isinstance(value, list) else [str(value)]


@cache
def _pattern(allowed: str, wildcards: bool) -> re.Pattern[str]:
    if not wildcards:
        return re.compile(re.escape(allowed))
    return re.compile("".join(".*" if char == "*" else "." if char == "?" else re.escape(char) for char in allowed))
