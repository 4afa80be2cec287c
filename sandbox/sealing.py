"""The stack's HMAC keys (the seal key, domain/seal.py) in the sandbox's KMS, under the aliases the functions
name them by: moto cannot take a key id of ours, an alias it can."""

from __future__ import annotations

from typing import Any

from sandbox.template import StackModel


def create_mac_keys(kms: Any, stack: StackModel) -> None:
    """`kms`: a KMS client of the emulator the functions call."""
    for spec in stack.mac_keys:
        key = kms.create_key(KeySpec=spec.key_spec, KeyUsage="GENERATE_VERIFY_MAC", Description=spec.alias)
        kms.create_alias(AliasName=spec.alias, TargetKeyId=key["KeyMetadata"]["KeyId"])
