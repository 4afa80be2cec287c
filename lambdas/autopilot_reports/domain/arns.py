"""The fields of an ARN (`arn:<partition>:<service>:<region>:<account>:<resource>`), "" where absent. Free of
imports: the reporter reads the account without loading the links module."""

from __future__ import annotations


def _field(arn: str, position: int) -> str:
    parts = arn.split(":")
    return parts[position] if len(parts) > position and parts[0] == "arn" else ""


def arn_partition(arn: str) -> str:
    return _field(arn, 1)


def arn_region(arn: str) -> str:
    return _field(arn, 3)


def arn_account(arn: str) -> str:
    return _field(arn, 4)
