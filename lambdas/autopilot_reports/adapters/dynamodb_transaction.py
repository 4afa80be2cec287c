"""The report's one TransactWriteItems, built as data (the store sends it), and how to read its
cancellation: which conditions failed, what the table returned for them, whether it refused the content.

The conditions are the delivery rules of docs/design.md §5 written as expressions: the record only if
newer (models.record.progress), the claim once and only for a job that ended after the watch began
(domain.rules.notify_worthy), the family's best only if it still is what the job was judged against.
The store contract suite (tests/integration/test_store_contract.py) holds them to the fake's rules.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from autopilot_reports import constants as c
from autopilot_reports.adapters import dynamodb_items as items
from autopilot_reports.adapters.clients import error_code
from autopilot_reports.adapters.dynamodb_items import KeyScope
from autopilot_reports.domain import rules
from autopilot_reports.domain.family import FamilyUpdate
from autopilot_reports.domain.seal import Sealer
from autopilot_reports.models.common import epoch_ms, iso_utc
from autopilot_reports.models.record import HistoryEntry, ReportRecord

if TYPE_CHECKING:  # stubs are a dev dependency, not deployed
    from mypy_boto3_dynamodb.type_defs import ConditionCheckTypeDef, TransactWriteItemTypeDef, UpdateTypeDef

CONDITION_FAILED = "ConditionalCheckFailed"
CONTENT_REFUSALS = frozenset({"ValidationError", "ItemCollectionSizeLimitExceeded"})


def update_params(
    table_name: str,
    key: Mapping[str, Any],
    attributes: Mapping[str, Any],
    removes: Sequence[str] = (),
    condition: str | None = None,
    adds: Mapping[str, int] | None = None,
) -> UpdateTypeDef:
    """UpdateItem arguments that set every attribute (placeholders for names and values), add `adds` to
    numbers, remove `removes`, under `condition` (which may use `:<attribute>` for a new value)."""
    adds = adds or {}
    names = {f"#a{index}": name for index, name in enumerate([*attributes, *adds, *removes])}
    placeholders = {name: placeholder for placeholder, name in names.items()}
    values = {f":{name}": value for name, value in {**attributes, **adds}.items()}
    expression = "SET " + ", ".join(f"{placeholders[name]} = :{name}" for name in attributes)
    if adds:
        expression += " ADD " + ", ".join(f"{placeholders[name]} :{name}" for name in adds)
    if removes:
        expression += " REMOVE " + ", ".join(placeholders[name] for name in removes)
    update: UpdateTypeDef = {
        "TableName": table_name,
        "Key": items.serialize(key),
        "UpdateExpression": expression,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": items.serialize(values),
    }
    if condition:
        update["ConditionExpression"] = condition
    return update


class ReportTransaction:
    """The report's one TransactWriteItems: the latest record (only if newer; with the claim, only if not
    claimed yet), its history item, the watch-start check of a claim (domain.rules.notify_worthy), and the
    family's best (only if it still is what the report was judged against). Positions are kept, so a
    cancellation says which condition failed. The job's items are keyed in `scope`."""

    def __init__(
        self,
        table: str,
        record: ReportRecord,
        history: HistoryEntry,
        claim: bool,
        family: FamilyUpdate | None,
        scope: KeyScope = KeyScope.LOCAL,
        sealer: Sealer | None = None,
        check_watch: bool = True,
    ) -> None:
        """`check_watch`: a claim is checked against the table's watch start (a hub's is its spoke's: no)."""
        self.items: list[TransactWriteItemTypeDef] = []
        self.latest = self._add({"Update": self._latest(table, record, claim, family, scope, sealer)})
        history_item = items.history_attributes(history, record.place, scope)
        self.history = self._add({"Put": {"TableName": table, "Item": items.serialize(history_item)}})
        watched = claim and check_watch
        self.watch_check = self._add({"ConditionCheck": self._watch_check(table, record)}) if watched else None
        self.family = self._add({"Update": self._family(table, family)}) if family else None

    def _add(self, item: TransactWriteItemTypeDef) -> int:
        self.items.append(item)
        return len(self.items) - 1

    @staticmethod
    def _latest(
        table: str,
        record: ReportRecord,
        claim: bool,
        family: FamilyUpdate | None,
        scope: KeyScope,
        sealer: Sealer | None,
    ) -> UpdateTypeDef:
        keep_verdict = family is not None and family.keep_verdict
        attributes = (
            items.record_attributes_keeping_verdict(record, scope)
            if keep_verdict
            else items.record_attributes(record, scope)
        )
        condition = items.NEWER
        if claim:
            assert record.notified_at is not None
            attributes[c.NOTIFIED_AT] = iso_utc(record.notified_at)
            # The same state, not yet claimed, may claim too (e.g. an earlier write that could not).
            condition = f"attribute_not_exists({c.NOTIFIED_AT}) AND ({items.NEWER} OR {items.PROGRESS} = :progress)"
        if sealer is not None:  # over exactly what this write sets, the claim included
            attributes[c.SEAL] = sealer.record_seal(attributes)
        key = items.report_key(record.job_name, record.place, scope)
        latest = update_params(table, key, attributes, items.record_removals(record), condition)
        latest["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        return latest

    @staticmethod
    def _watch_check(table: str, record: ReportRecord) -> ConditionCheckTypeDef:
        return {
            "TableName": table,
            "Key": items.serialize(items.WATCHER_KEY),
            # domain.rules.notify_worthy, checked where the claim is committed
            "ConditionExpression": "watch_start_ms <= :ended",
            "ExpressionAttributeValues": {":ended": {"N": str(epoch_ms(rules.ended(record)))}},
        }

    @staticmethod
    def _family(table: str, family: FamilyUpdate) -> UpdateTypeDef:
        attributes: dict[str, Any] = items.family_index_attributes(family.family)
        best = family.becomes_best
        if best is not None:
            attributes.update(
                best_job=best.job_name, best_value=best.value, best_metric=family.metric, direction=family.direction
            )
        expected = family.expected
        if expected is None:
            condition = "attribute_not_exists(best_job)"
        else:
            condition = "best_job = :expected_job AND best_value = :expected_value"
        update = update_params(
            table, items.family_key(family.family), attributes, (), condition, {"jobs": 1} if family.count_job else None
        )
        if expected is not None:
            update["ExpressionAttributeValues"] = {
                **update["ExpressionAttributeValues"],
                **items.serialize({":expected_job": expected.job_name, ":expected_value": expected.value}),
            }
        update["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        return update


# --- reading a cancellation ------------------------------------------------------------------------------


def old_item(error: ClientError, position: int | None) -> dict[str, Any] | None:
    """The item a cancelled transaction returned for one of its positions (ALL_OLD), as plain data."""
    reasons = error.response.get("CancellationReasons") or []
    if position is None or position >= len(reasons):
        return None
    item = reasons[position].get("Item")
    return items.deserialize(item) if item else None


def refused_content(error: ClientError) -> bool:
    """DynamoDB refused the items themselves (not their conditions): retrying the same write cannot help."""
    code = error_code(error)
    if code == "ValidationException":
        return True
    if code != "TransactionCanceledException":
        return False
    reasons = error.response.get("CancellationReasons") or []
    return any(reason.get("Code") in CONTENT_REFUSALS for reason in reasons)


def error_message(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Message", ""))[:512]


def failed_conditions(error: ClientError) -> set[int]:
    """Positions of the transaction items whose condition failed; empty for any other error."""
    if error_code(error) != "TransactionCanceledException":
        return set()
    reasons = error.response.get("CancellationReasons") or []
    failed = {position for position, reason in enumerate(reasons) if reason.get("Code") == CONDITION_FAILED}
    other = [reason for reason in reasons if reason.get("Code") not in (None, "None", CONDITION_FAILED)]
    return set() if other else failed
