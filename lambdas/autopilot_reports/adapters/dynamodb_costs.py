"""The report table as costing uses it (the CostStore port, domain/ports.py): cached prices, a job's costing
handed from piece to piece, and the one write of its result.

Items and keys: `dynamodb_items.py` (`COST` beside the job's record, `PRICE#...` items). The result is one
write: the record's `compute` (only on a record that exists and has none yet: never a second time, never
anything but `compute` and its seal, so a newer state the reporter wrote stays as it is, its own seal
with it, and no claim is touched), the family's cost totals and the removal of the progress item, in one
transaction. `compute_update` is that write of the record, which a hub's store makes too.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from autopilot_reports import constants as c
from autopilot_reports.adapters import dynamodb_items as items
from autopilot_reports.adapters.clients import AwsAdapter, error_code
from autopilot_reports.adapters.dynamodb_items import KeyScope
from autopilot_reports.adapters.dynamodb_transaction import failed_conditions, update_params
from autopilot_reports.domain.seal import Sealer
from autopilot_reports.models.cost import CachedPrice, CostProgress, PriceKey
from autopilot_reports.models.place import JobRef
from autopilot_reports.models.record import Compute

if TYPE_CHECKING:  # stubs are a dev dependency, not deployed
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef, UpdateTypeDef

BATCH_GET_LIMIT = 100
BATCH_WRITE_LIMIT = 25
BATCH_ATTEMPTS = 6
CONDITION_FAILED = "ConditionalCheckFailedException"
NOT_COSTED_YET = f"attribute_exists({c.PARTITION_KEY}) AND attribute_not_exists({c.COMPUTE})"


class DynamoDBCostStore(AwsAdapter["DynamoDBClient"]):
    """The CostStore port on one table whose jobs are keyed in `scope` (the stack's: LOCAL)."""

    service = "dynamodb"

    def __init__(
        self,
        table_name: str,
        dynamodb: DynamoDBClient | None = None,
        scope: KeyScope = KeyScope.LOCAL,
        sealer: Sealer | None = None,
    ) -> None:
        """`sealer`: seals the `compute` it writes (domain/seal.py), which a spoke's forwarder sends on."""
        super().__init__(dynamodb)
        self.table_name = table_name
        self.scope = scope
        self.sealer = sealer

    # --- prices --------------------------------------------------------------------------------------

    def cached_prices(self, keys: Sequence[PriceKey]) -> dict[PriceKey, CachedPrice]:
        wanted = [items.serialize(items.price_key(key)) for key in dict.fromkeys(keys)]
        found: dict[PriceKey, CachedPrice] = {}
        for start in range(0, len(wanted), BATCH_GET_LIMIT):
            for raw in self._batch_get(wanted[start : start + BATCH_GET_LIMIT]):
                price = items.price_from_item(items.deserialize(raw))
                found[price.key] = price
        return found

    def save_prices(self, prices: Sequence[CachedPrice]) -> None:
        puts = [{"PutRequest": {"Item": items.serialize(items.price_attributes(price))}} for price in prices]
        for start in range(0, len(puts), BATCH_WRITE_LIMIT):
            request: Mapping[str, Any] = {self.table_name: puts[start : start + BATCH_WRITE_LIMIT]}
            for attempt in range(BATCH_ATTEMPTS):
                response = self.client.batch_write_item(RequestItems=request)
                request = response.get("UnprocessedItems") or {}
                if not request:
                    break
                time.sleep(min(0.05 * 2**attempt, 1.0))

    def _batch_get(self, keys: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        request: Mapping[str, Any] = {self.table_name: {"Keys": keys}}
        for attempt in range(BATCH_ATTEMPTS):
            response = self.client.batch_get_item(RequestItems=request)
            yield from response.get("Responses", {}).get(self.table_name, [])
            request = response.get("UnprocessedKeys") or {}
            if not request:
                return
            time.sleep(min(0.05 * 2**attempt, 1.0))
        raise RuntimeError(f"BatchGetItem left keys unprocessed after {BATCH_ATTEMPTS} attempts")

    # --- the pieces and the result ---------------------------------------------------------------------

    def hand_on(self, progress: CostProgress, previous_pieces: int | None) -> bool:
        params: dict[str, Any] = {
            "TableName": self.table_name,
            "Item": items.serialize(items.cost_progress_attributes(progress, self.scope)),
        }
        if previous_pieces is None:
            params["ConditionExpression"] = f"attribute_not_exists({c.PARTITION_KEY})"
        else:
            params["ConditionExpression"] = "#pieces = :previous"
            params["ExpressionAttributeNames"] = {"#pieces": "pieces"}
            params["ExpressionAttributeValues"] = items.serialize({":previous": previous_pieces})
        try:
            self.client.put_item(**params)
        except ClientError as error:
            if error_code(error) == CONDITION_FAILED:
                return False
            raise
        return True

    def finish(self, job: JobRef, family: str, compute: Compute, progress_stored: bool) -> bool:
        record = compute_update(self.table_name, job, compute, self.scope, self.sealer)
        writes: list[TransactWriteItemTypeDef] = [{"Update": record}]
        if family and compute.estimated_cost is not None:
            writes.append({"Update": self._family_totals(family, compute)})
        cost_key = items.serialize(items.cost_key(job.name, job.place, self.scope))
        if progress_stored:
            writes.append({"Delete": {"TableName": self.table_name, "Key": cost_key}})
        try:
            if len(writes) == 1:
                self.client.update_item(**record)
            else:
                self.client.transact_write_items(TransactItems=writes)
        except ClientError as error:
            if error_code(error) != CONDITION_FAILED and 0 not in failed_conditions(error):
                raise
            if progress_stored:  # costed by another run already: its progress item goes too
                self.client.delete_item(TableName=self.table_name, Key=cost_key)
            return False
        return True

    def _family_totals(self, family: str, compute: Compute) -> UpdateTypeDef:
        """The job's estimate added to its family's totals (and the family on the families index, which
        its reporter's commit already put it on)."""
        assert compute.estimated_cost is not None
        attributes = {
            **items.family_index_attributes(family),
            items.FAMILY_COST_CURRENCY: compute.estimated_cost.currency,
        }
        update = update_params(self.table_name, items.family_key(family), attributes)
        update["UpdateExpression"] += " ADD #amount :amount, #costed :one"
        update["ExpressionAttributeNames"] = {
            **update["ExpressionAttributeNames"],
            "#amount": items.FAMILY_COST_AMOUNT,
            "#costed": items.FAMILY_COSTED_JOBS,
        }
        update["ExpressionAttributeValues"] = {
            **update["ExpressionAttributeValues"],
            **items.serialize({":amount": compute.estimated_cost.amount, ":one": 1}),
        }
        return update


def compute_update(
    table_name: str, job: JobRef, compute: Compute, scope: KeyScope, sealer: Sealer | None
) -> UpdateTypeDef:
    """The write of a job's `compute` (and its seal, beside the record's own): only onto a record that
    exists and has none yet."""
    attributes: dict[str, Any] = {c.COMPUTE: compute.model_dump(mode="json")}
    if sealer is not None:
        attributes[c.COMPUTE_SEAL] = sealer.compute_seal(job, compute)
    key = items.report_key(job.name, job.place, scope)
    return update_params(table_name, key, attributes, condition=NOT_COSTED_YET)
