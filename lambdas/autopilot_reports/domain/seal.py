"""Seals: what the stack wrote, told apart from what anyone hands the notifier (DESIGN 5, a channel only
the stack speaks on).

The notifier sends what a stream record says the table committed, and Lambda gives it no proof of where a
record came from: anyone allowed to invoke the function can hand it one, with any link in it, and it would
go out in the stack's own voice. So every write that can lead to a message carries a seal, an HMAC-SHA256
over exactly what that write set, and the notifier sends only what verifies, rendered from what the seal
covers:

- a job's latest record: `seal` = `{fields, mac}`, over the record fields the write set (`notified_at`
  among them when the write claims the terminal notification); a record field the write left as it was
  (a family verdict kept) is outside the seal and is rendered as absent;
- a "may be stuck" claim: `stuck_seal`, over the job, the stall's progress and the claim's time, beside
  the record's own seal;
- a job's cost figures (`compute`, which the coster writes apart, after the report, and a hub copies from
  its spoke): `compute_seal`, over the job (account, region, name) and the figures, beside the record's own
  seal, which they leave as it is. They lead to no message; they are sealed because a spoke's forwarder
  sends them on to its hub, and it sends only what the stack sealed;
- a digest: `seal`, over the digest.

The key is derived once per process (ports.SealKeySource: KMS GenerateMac over a fixed message, with an
HMAC key only the stack's functions may use), so sealing costs no call per report; it never leaves the
process and is stored nowhere. A forged or altered record fails the check: the notifier logs it with the
job name and the stream's event id, counts it (`ClaimsRefused`) and sends nothing. A record replayed as the
table held it still verifies: it says nothing the table did not hold.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import ValidationError

from autopilot_reports import constants as c
from autopilot_reports.models.place import InvalidJobArnError, JobRef
from autopilot_reports.models.record import Compute, ReportRecord

if TYPE_CHECKING:  # the notifier's and the watcher's model: the reporter does not import it
    from autopilot_reports.models.digest import Digest

RECORD_FIELDS = frozenset(ReportRecord.model_fields)


class ForgedClaimError(Exception):
    """A claim the stack did not seal, or whose content is not what it sealed: never sent."""


class SealKeySource(Protocol):
    def seal_key(self) -> bytes:
        """The key material every function of the stack derives alike (one call, once per process)."""


@dataclass
class Sealer:
    keys: SealKeySource
    _key: bytes | None = field(default=None, init=False, repr=False)

    # --- writing ---------------------------------------------------------------------------------------

    def record_seal(self, written: Mapping[str, Any]) -> dict[str, Any]:
        """The seal of a latest-record write: `written` is what the write sets (plain data); the seal
        covers its record fields."""
        fields = sorted(name for name in written if name in RECORD_FIELDS)
        return {"fields": fields, "mac": self._mac("record", record_view(written, fields))}

    def stuck_seal(self, job_name: str, alerted_for: int, notified_at: str) -> str:
        return self._mac("stuck", [job_name, alerted_for, notified_at])

    def compute_seal(self, job: JobRef, compute: Compute) -> str:
        """A job's cost figures (a write of `compute`, nothing else), bound to the job."""
        return self._mac("compute", compute_payload(job, compute))

    def digest_seal(self, digest: Mapping[str, Any]) -> str:
        return self._mac("digest", digest_view(digest))

    def spoke_seal(self, written: Mapping[str, Any]) -> str:
        """A hub's spoke item (what its last heartbeat wrote): the fields a `spoke_silent` message shows."""
        return self._mac("spoke", spoke_view(written))

    def silence_seal(self, account: str, region: str, alerted_for: int, notified_at: str) -> str:
        return self._mac("silence", [account, region, alerted_for, notified_at])

    def heartbeat_seal(self, heartbeat: Mapping[str, Any]) -> str:
        """A spoke's heartbeat (on its watcher's item): what its forwarder sends the hub."""
        return self._mac("heartbeat", dict(heartbeat))

    # --- verifying -------------------------------------------------------------------------------------

    def opened_record(self, image: Mapping[str, Any], claimed: str | None = None) -> ReportRecord:
        """The record the image's seal covers (fields outside it as absent). `claimed`: a field the seal
        must cover (the claim itself). Raises ForgedClaimError."""
        seal = image.get(c.SEAL)
        fields = seal.get("fields") if isinstance(seal, Mapping) else None
        mac = seal.get("mac") if isinstance(seal, Mapping) else None
        if not isinstance(fields, list) or not isinstance(mac, str) or not all(isinstance(f, str) for f in fields):
            raise ForgedClaimError("the record carries no seal")
        if claimed is not None and claimed not in fields:
            raise ForgedClaimError(f"the record's seal does not cover {claimed}")
        missing = [name for name in fields if name not in image]
        if missing:
            raise ForgedClaimError(f"the record lacks what its seal covers: {', '.join(missing[:5])}")
        try:
            view = record_view(image, fields)
        except ValidationError as error:
            raise ForgedClaimError(f"what the seal covers is not a record ({error.error_count()} errors)") from None
        self._check("record", view, mac)
        return ReportRecord.model_validate(view)

    def opened_compute(self, image: Mapping[str, Any], record: ReportRecord) -> Compute | None:
        """The image's `compute` as its seal covers it for the job of `record` (what the image's record
        seal covers); None when the image has none. Raises ForgedClaimError."""
        data, mac = image.get(c.COMPUTE), image.get(c.COMPUTE_SEAL)
        if data is None:
            return None
        if not isinstance(data, Mapping) or not isinstance(mac, str):
            raise ForgedClaimError("the record's compute carries no seal")
        try:
            job = record.job
        except InvalidJobArnError:  # the coster costs AutoML jobs only
            raise ForgedClaimError("a compute on a record of no AutoML job") from None
        try:
            compute = Compute.model_validate(data)
        except ValidationError as error:
            raise ForgedClaimError(f"what the seal covers is not a compute ({error.error_count()} errors)") from None
        self._check("compute", compute_payload(job, compute), mac)
        return compute

    def check_stuck(self, image: Mapping[str, Any]) -> None:
        alerted_for, notified_at = image.get(c.STUCK_ALERTED_FOR), image.get(c.STUCK_NOTIFIED_AT)
        mac = image.get(c.STUCK_SEAL)
        if not isinstance(mac, str) or not isinstance(alerted_for, int) or not isinstance(notified_at, str):
            raise ForgedClaimError("the stuck claim carries no seal")
        self._check("stuck", [image.get("job_name"), alerted_for, notified_at], mac)

    def opened_heartbeat(self, image: Mapping[str, Any]) -> dict[str, Any]:
        """The heartbeat the watcher's item holds, as sealed. Raises ForgedClaimError."""
        heartbeat, mac = image.get(c.HEARTBEAT), image.get(c.HEARTBEAT_SEAL)
        if not isinstance(heartbeat, Mapping) or not isinstance(mac, str):
            raise ForgedClaimError("the heartbeat carries no seal")
        self._check("heartbeat", dict(heartbeat), mac)
        return dict(heartbeat)

    def opened_spoke(self, image: Mapping[str, Any]) -> dict[str, Any]:
        """The spoke item's fields its seal covers, and its silence claim checked. Raises ForgedClaimError."""
        mac = image.get(c.SEAL)
        if not isinstance(mac, str):
            raise ForgedClaimError("the spoke item carries no seal")
        view = spoke_view(image)
        self._check("spoke", view, mac)
        alerted_for, notified_at = image.get(c.SILENT_ALERTED_FOR), image.get(c.SILENT_NOTIFIED_AT)
        silence = image.get(c.SILENT_SEAL)
        if not isinstance(silence, str) or not isinstance(alerted_for, int) or not isinstance(notified_at, str):
            raise ForgedClaimError("the silence claim carries no seal")
        self._check("silence", [view["account_id"], view["region"], alerted_for, notified_at], silence)
        return view

    def opened_digest(self, image: Mapping[str, Any]) -> Digest:
        from autopilot_reports.models.digest import Digest  # noqa: PLC0415  (the reporter never needs it)

        data, mac = image.get("digest"), image.get(c.SEAL)
        if not isinstance(data, Mapping) or not isinstance(mac, str):
            raise ForgedClaimError("the digest carries no seal")
        try:
            view = digest_view(data)
        except ValidationError as error:
            raise ForgedClaimError(f"what the seal covers is not a digest ({error.error_count()} errors)") from None
        self._check("digest", view, mac)
        return Digest.model_validate(view)

    # --- the MAC ---------------------------------------------------------------------------------------

    def _check(self, kind: str, payload: Any, mac: str) -> None:
        if not hmac.compare_digest(self._mac(kind, payload), mac):
            raise ForgedClaimError(f"its seal does not match the {kind} it holds")

    def _mac(self, kind: str, payload: Any) -> str:
        if self._key is None:
            self._key = self.keys.seal_key()
        text = json.dumps([kind, payload], sort_keys=True, separators=(",", ":"), ensure_ascii=True)
        return hmac.new(self._key, text.encode("ascii"), hashlib.sha256).hexdigest()


def record_view(values: Mapping[str, Any], fields: Iterable[str]) -> dict[str, Any]:
    """The covered record fields as the model reads them back, whatever the store's round trip did to
    their form (a float 3.0 read back as 3, a time written by another formatter): the one form both the
    writer and the notifier seal. Raises ValidationError when they are not a record."""
    names = set(fields)
    record = ReportRecord.model_validate({name: values[name] for name in names})
    return record.model_dump(mode="json", include=names)


def compute_payload(job: JobRef, compute: Compute) -> list[Any]:
    """What a compute seal covers: the job, and the figures as the model reads them back (the store's
    round trip turns 3600.0 into 3600; the model makes it 3600.0 again, on both sides)."""
    return [job.place.account, job.place.region, job.name, compute.model_dump(mode="json")]


# What a hub's spoke item says of its spoke (adapters/dynamodb_items.spoke_attributes), sealed as written.
SPOKE_FIELDS = ("account_id", "region", "account_name", "version", "watch_start", "watermark", "last_heartbeat")


def spoke_view(values: Mapping[str, Any]) -> dict[str, Any]:
    return {name: values.get(name) for name in SPOKE_FIELDS}


def digest_view(data: Mapping[str, Any]) -> dict[str, Any]:
    from autopilot_reports.models.digest import Digest  # noqa: PLC0415

    return Digest.model_validate(data).model_dump(mode="json")
