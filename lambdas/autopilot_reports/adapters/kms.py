"""The seal key (domain/seal.py), derived from the stack's HMAC key in KMS, behind the SealKeySource port."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, cast

from autopilot_reports import constants as c
from autopilot_reports.adapters.clients import AwsAdapter, ClientOrigin, client_origin
from autopilot_reports.domain.seal import Sealer

if TYPE_CHECKING:  # stubs are a dev dependency, not deployed
    from mypy_boto3_kms import KMSClient
    from mypy_boto3_kms.literals import MacAlgorithmSpecType


class KmsSealKey(AwsAdapter["KMSClient"]):
    """GenerateMac of one fixed message with the stack's HMAC key: the same 32 bytes in every function,
    known only to principals the key policy lets use the key (the stack's functions' roles), asked once per
    process (the Sealer keeps it), never stored."""

    service = "kms"

    def __init__(self, key_id: str, kms: KMSClient | None = None) -> None:
        super().__init__(kms)
        self.key_id = key_id

    def seal_key(self) -> bytes:
        algorithm = cast("MacAlgorithmSpecType", c.SEAL_MAC_ALGORITHM)
        response = self.client.generate_mac(KeyId=self.key_id, MacAlgorithm=algorithm, Message=c.SEAL_KEY_MESSAGE)
        return response["Mac"]


def sealer_for(key_id: str) -> Sealer | None:
    """The process's Sealer for the configured key (SEAL_ALIAS), its key derived on first use; None where
    none is configured: the stores then seal nothing and the notifier sends nothing (it fails closed)."""
    return _sealer(key_id, client_origin()) if key_id else None


@cache
def _sealer(key_id: str, origin: ClientOrigin) -> Sealer:
    # One per key and client origin, as every warm adapter (adapters.clients): two deployments in one
    # process (the sandbox) may name the same alias in two accounts, and never share a key.
    return Sealer(KmsSealKey(key_id))


def forget_sealers() -> None:
    _sealer.cache_clear()
