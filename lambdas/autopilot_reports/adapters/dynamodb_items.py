"""How records live in the report table: keys, index attributes and native DynamoDB values.

Key design (one table):
- latest record:  pk = JOB#<job id>, sk = REPORT; every record field under its own name, as native
  DynamoDB types (maps, lists, numbers, strings, null), beside the key and index attributes and
  `progress` (models.record.progress, the number the "newer" condition compares)
- history item:   pk = JOB#<job id>, sk = HISTORY#<last modified ISO>#<status>#<secondary status>
- watcher state:  pk = WATCHER,    sk = WATERMARK (watch_start, watermark, and their _ms twins)
- import progress: pk = IMPORT#<id>, sk = PROGRESS
- family's best:  pk = FAMILY#<family>, sk = BEST (family, best_job, best_value, best_metric, direction,
  jobs); on the by_status index under the partition FAMILY (sort key: the family), so `families` is a Query
- digest:         pk = DIGEST#<period end ISO>, sk = DIGEST (the digest, native; its insert is the claim)
- costing:        pk = JOB#<job id>, sk = COST (a job's costing in progress: what the next piece describes and
  the sums so far; its write starts that piece through the stream, and the last piece removes it)
- a price:        pk = PRICE#<region>#<usage>#<instance type>, sk = PRICE (an on-demand hourly price, cached)
- a hub's spoke:  pk = SPOKE#<account>#<region>, sk = SPOKE (its last heartbeat: version, watch start,
  watermark, sent and received times, the account's name); on the by_status index under the partition
  SPOKES (sort key: <last heartbeat>#<account>#<region>), so the silent ones are one Query; a silence's
  claim: silent_alerted_for (the heartbeat's ms), silent_notified_at
GSIs (latest records only, and the families): by_status (STATUS#<status>, <last modified>#<job id>),
by_partial_failure (sparse: PARTIAL, <last modified>#<job id>), recent (JOBS, <last modified>#<job id>);
in an organization's table also by_account (ACCOUNT#<account>, <last modified>#<job id>) and by_name
(NAME#<job name>, <account>#<region>): a job's places, so `show NAME` across accounts is one Query.
A record's "may be stuck" claim: stuck_alerted_for (the progress alerted), stuck_notified_at.
A spoke's heartbeat: heartbeat_at (and its _ms twin) on the watcher's item.

The job id is the key scope's (KeyScope): the job name in one account and region's table (LOCAL, every
table so far), `<account>#<region>#<name>` in an organization's (ORGANIZATION), where two accounts may
each run a job of the same name. Neither a name (AutoMLJobName's pattern) nor a place contains `#`.

Values go through boto3's TypeSerializer / TypeDeserializer; the only conversions of our own are the
ones DynamoDB needs (floats as Decimal going in, numbers back to int or float coming out).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from pydantic import ValidationError

from autopilot_reports import constants as c
from autopilot_reports.domain.family import FamilyStanding
from autopilot_reports.domain.ports import SpokeStatus, WatchState
from autopilot_reports.models.common import epoch_ms, iso_utc, parse_iso_utc
from autopilot_reports.models.events import ImportProgress
from autopilot_reports.models.place import Place
from autopilot_reports.models.record import (
    Explainability,
    ExplainabilityState,
    FamilyBest,
    HistoryEntry,
    ReportRecord,
)

if TYPE_CHECKING:  # imported where a digest or a cost is read (the notifier, the coster, the CLI), not by every function
    from autopilot_reports.models.cost import CachedPrice, CostProgress, FamilyCost, PriceKey
    from autopilot_reports.models.digest import Digest

HISTORY_SK_PREFIX = "HISTORY#"
WATCHER_KEY = {c.PARTITION_KEY: "WATCHER", c.SORT_KEY: "WATERMARK"}
IMPORT_SK = "PROGRESS"
STATUS_PK_PREFIX = "STATUS#"
PARTIAL_FAILURE_PK = "PARTIAL"
RECENT_PK = "JOBS"
FAMILY_SK = "BEST"
FAMILIES_PK = "FAMILY"  # the by_status index's partition of family items
SPOKES_PK = "SPOKES"  # the by_status index's partition of a hub's spoke items
ACCOUNT_PK_PREFIX = "ACCOUNT#"
NAME_PK_PREFIX = "NAME#"
SPOKE_SK = c.SPOKE_SK
LAST_HEARTBEAT = "last_heartbeat"
LAST_HEARTBEAT_MS = "last_heartbeat_ms"
DIGEST_SK = c.DIGEST_SK
PROGRESS = "progress"
LAST_ERROR = "last_error"
STUCK_ALERTED_FOR = c.STUCK_ALERTED_FOR
STUCK_NOTIFIED_AT = c.STUCK_NOTIFIED_AT
VERDICT_FIELDS = ("new_best_in_family", "previous_best")  # given once, when the job first becomes Completed
# The record's own fields that every write sets (notified_at is set only by the commit that claims it,
# compute only by the coster, after the report), and those it derives (account_id, region: stored as
# data, derived again when read).
WRITTEN_APART = (c.NOTIFIED_AT, c.COMPUTE)
RECORD_FIELDS = tuple(
    name for name in (*ReportRecord.model_fields, *ReportRecord.model_computed_fields) if name not in WRITTEN_APART
)
NEWER = f"attribute_not_exists({c.PARTITION_KEY}) OR {PROGRESS} < :progress"

MAX_ITEM_BYTES = 400 * 1024  # DynamoDB's item size limit (names and values, UTF-8)
_NUMBER_BYTES = 21  # a number takes at most 21 bytes
_ELEMENT_BYTES = 1  # each element of a map or list costs a byte more, each container 3

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


class KeyScope(StrEnum):
    """Whose jobs one table holds, hence how it keys a job: by name in one account and region (LOCAL: a
    standalone stack or a spoke; today's keys, so existing tables need no migration), by account, region
    and name in an organization's hub (ORGANIZATION, with two more indexes: c.ORGANIZATION_INDEXES)."""

    LOCAL = c.KEY_SCOPE_LOCAL
    ORGANIZATION = c.KEY_SCOPE_ORGANIZATION

    @property
    def indexes(self) -> dict[str, tuple[str, str]]:
        """Every index a table of this scope has: index name -> (partition key, sort key attribute)."""
        return {**c.INDEXES, **(c.ORGANIZATION_INDEXES if self is KeyScope.ORGANIZATION else {})}

    def job_id(self, job_name: str, place: Place | None) -> str:
        """The job's part of its keys. ORGANIZATION needs the job's place."""
        if self is KeyScope.LOCAL:
            return job_name
        if place is None:
            raise ValueError(f"an organization's table keys job {job_name!r} by its account and region: none known")
        return f"{place.account}#{place.region}#{job_name}"


def job_pk(job_name: str, place: Place | None = None, scope: KeyScope = KeyScope.LOCAL) -> str:
    return f"JOB#{scope.job_id(job_name, place)}"


def report_key(job_name: str, place: Place | None = None, scope: KeyScope = KeyScope.LOCAL) -> dict[str, str]:
    return {c.PARTITION_KEY: job_pk(job_name, place, scope), c.SORT_KEY: c.REPORT_SK}


def import_key(import_id: str) -> dict[str, str]:
    return {c.PARTITION_KEY: f"IMPORT#{import_id}", c.SORT_KEY: IMPORT_SK}


def family_key(family: str) -> dict[str, str]:
    return {c.PARTITION_KEY: f"FAMILY#{family}", c.SORT_KEY: FAMILY_SK}


def cost_key(job_name: str, place: Place | None = None, scope: KeyScope = KeyScope.LOCAL) -> dict[str, str]:
    return {c.PARTITION_KEY: job_pk(job_name, place, scope), c.SORT_KEY: c.COST_SK}


def price_key(key: PriceKey) -> dict[str, str]:
    return {c.PARTITION_KEY: f"PRICE#{key.region}#{key.usage}#{key.instance_type}", c.SORT_KEY: c.PRICE_SK}


def digest_key(digest: Digest) -> dict[str, str]:
    return {c.PARTITION_KEY: f"DIGEST#{iso_utc(digest.period.end)}", c.SORT_KEY: DIGEST_SK}


def spoke_key(place: Place) -> dict[str, str]:
    return {c.PARTITION_KEY: f"SPOKE#{place.account}#{place.region}", c.SORT_KEY: SPOKE_SK}


def spoke_order(heartbeat_at: str, place: Place) -> str:
    """A spoke item's sort key on the by_status index: its last heartbeat first, so the silent ones are a range."""
    return f"{heartbeat_at}#{place.account}#{place.region}"


def history_sk(history: HistoryEntry) -> str:
    return f"{HISTORY_SK_PREFIX}{iso_utc(history.last_modified_at)}#{history.status}#{history.secondary_status}"


def index_order(record: ReportRecord, scope: KeyScope = KeyScope.LOCAL) -> str:
    """The sort key of every index: time first, so a range of times is a key condition; then the job."""
    return f"{iso_utc(record.last_modified_at)}#{scope.job_id(record.job_name, record.place)}"


# --- values ---------------------------------------------------------------------------------------------


def to_dynamodb(value: Any) -> Any:
    """Plain JSON-like data → what TypeSerializer accepts (floats as Decimal; non-finite ones as null,
    which DynamoDB cannot store and JSON cannot carry)."""
    if isinstance(value, float):
        return Decimal(repr(value)) if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {key: to_dynamodb(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_dynamodb(item) for item in value]
    return value


def from_dynamodb(value: Any) -> Any:
    """What TypeDeserializer (or the resource API, or Powertools' stream parser) returns → plain data."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, Mapping):
        return {key: from_dynamodb(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set):
        return [from_dynamodb(item) for item in value]
    return value


def serialize(item: Mapping[str, Any]) -> dict[str, Any]:
    """Plain data → DynamoDB JSON ({"S": ...}, {"M": ...}) for the low-level client."""
    return {key: _serializer.serialize(to_dynamodb(value)) for key, value in item.items()}


def deserialize(item: Mapping[str, Any]) -> dict[str, Any]:
    """DynamoDB JSON → plain data."""
    return {key: from_dynamodb(_deserializer.deserialize(value)) for key, value in item.items()}


def refusal(item: Mapping[str, Any]) -> str | None:
    """Why DynamoDB would refuse this item (plain data) for its content, or None: text that cannot be
    encoded as UTF-8 (a lone surrogate), or more than its 400 KB item size. The store checks it before
    sending and the fake store applies it, so both refuse the same records."""
    try:
        size = sum(len(name.encode("utf-8")) + item_bytes(value) for name, value in item.items())
    except UnicodeEncodeError as error:
        return f"text DynamoDB cannot store ({error.reason}: {error.object[error.start : error.end]!a})"
    if size > MAX_ITEM_BYTES:
        return f"the item is {size:,} bytes, over DynamoDB's {MAX_ITEM_BYTES:,}-byte item size limit"
    return None


def item_bytes(value: Any) -> int:
    """DynamoDB's size of one attribute value (an upper bound for numbers)."""
    if isinstance(value, str):
        return len(value.encode("utf-8"))
    if isinstance(value, bool) or value is None:
        return 1
    if isinstance(value, int | float | Decimal):
        return _NUMBER_BYTES
    if isinstance(value, Mapping):
        return 3 + sum(len(str(key).encode("utf-8")) + item_bytes(item) + _ELEMENT_BYTES for key, item in value.items())
    if isinstance(value, list | tuple | set):
        return 3 + sum(item_bytes(item) + _ELEMENT_BYTES for item in value)
    return len(str(value).encode("utf-8"))


# --- records ----------------------------------------------------------------------------------------------


def record_attributes(record: ReportRecord, scope: KeyScope = KeyScope.LOCAL) -> dict[str, Any]:
    """The latest item's attributes (plain data), except the key and notified_at."""
    data = record.model_dump(mode="json", include=set(RECORD_FIELDS))
    data[PROGRESS] = record.progress
    partitions = {c.INDEX_BY_STATUS: f"{STATUS_PK_PREFIX}{record.status}", c.INDEX_RECENT: RECENT_PK}
    if record.partial_failures:
        partitions[c.INDEX_BY_PARTIAL_FAILURE] = PARTIAL_FAILURE_PK
    for index, partition in partitions.items():
        partition_key, sort_key = c.INDEXES[index]
        data.update({partition_key: partition, sort_key: index_order(record, scope)})
    if scope is KeyScope.ORGANIZATION:
        data.update(_organization_index_attributes(record, scope))
    return data


def _organization_index_attributes(record: ReportRecord, scope: KeyScope) -> dict[str, str]:
    place = record.place
    if place is None:  # the organization's keys need the place: job_id says so
        scope.job_id(record.job_name, place)
        return {}
    account_pk, account_sk = c.ORGANIZATION_INDEXES[c.INDEX_BY_ACCOUNT]
    name_pk, name_sk = c.ORGANIZATION_INDEXES[c.INDEX_BY_NAME]
    return {
        account_pk: f"{ACCOUNT_PK_PREFIX}{place.account}",
        account_sk: index_order(record, scope),
        name_pk: f"{NAME_PK_PREFIX}{record.job_name}",
        name_sk: f"{place.account}#{place.region}",
    }


def record_attributes_keeping_verdict(record: ReportRecord, scope: KeyScope = KeyScope.LOCAL) -> dict[str, Any]:
    """The record's attributes without its family verdict (a later write of a family's best job)."""
    return {name: value for name, value in record_attributes(record, scope).items() if name not in VERDICT_FIELDS}


def record_removals(record: ReportRecord) -> list[str]:
    """What a write of the record removes: a noted error, and the sparse index's keys when the record
    has no partial failures (any more)."""
    sparse = [] if record.partial_failures else list(c.INDEXES[c.INDEX_BY_PARTIAL_FAILURE])
    return [LAST_ERROR, *sparse]


def record_from_item(item: Mapping[str, Any]) -> ReportRecord:
    """A latest item (plain data, as `deserialize` or a stream image gives it) → the record."""
    return ReportRecord.model_validate({name: item.get(name) for name in ReportRecord.model_fields if name in item})


UNREADABLE_NOTE = "this item is malformed"  # how a stand-in for an item that is not a record begins its note


def shown_record(item: Mapping[str, Any]) -> ReportRecord:
    """A latest item as the queries show it: the record, or, for an item that is not one (hand-edited, or
    written by a tool that is not the stack), a stand-in built from what it holds, whose note says so and
    why. One malformed item never sinks a listing, a `show` or a digest."""
    try:
        return record_from_item(item)
    except ValidationError as error:
        return _stand_in(item, error)


def is_unreadable(record: ReportRecord) -> bool:
    return bool(record.notes) and record.notes[0].startswith(UNREADABLE_NOTE)


def _stand_in(item: Mapping[str, Any], error: ValidationError) -> ReportRecord:
    def text(name: str, default: str = "?") -> str:
        value = item.get(name)
        return value if isinstance(value, str) and value else default

    problems = "; ".join(
        f"{'.'.join(str(part) for part in problem['loc'])}: {problem['msg']}"
        for problem in error.errors(include_url=False)[:5]
    )
    pk = text(c.PARTITION_KEY, "")
    name = text("job_name", pk.removeprefix("JOB#") or "?")
    modified = _item_time(item.get("last_modified_at")) or _item_time(text(c.INDEXES[c.INDEX_RECENT][1], "")[:24])
    when = modified or parse_iso_utc("1970-01-01T00:00:00Z")
    return ReportRecord(
        job_name=name,
        job_arn=text("job_arn", ""),
        api="v2" if item.get("api") == "v2" else "v1",
        status=text("status"),
        secondary_status=text("secondary_status"),
        explainability=Explainability(state=ExplainabilityState.ERROR, reason="not read: the item is malformed"),
        created_at=_item_time(item.get("created_at")) or when,
        last_modified_at=when,
        family=text("family", ""),
        notes=[f"{UNREADABLE_NOTE} ({problems}); shown only as far as it could be read"],
    )


def _item_time(value: Any) -> datetime | None:
    try:
        return parse_iso_utc(value) if isinstance(value, str) else None
    except ValueError:
        return None


def history_attributes(
    history: HistoryEntry, place: Place | None = None, scope: KeyScope = KeyScope.LOCAL
) -> dict[str, Any]:
    return {
        c.PARTITION_KEY: job_pk(history.job_name, place, scope),
        c.SORT_KEY: history_sk(history),
        **history.model_dump(mode="json"),
    }


def history_from_item(item: Mapping[str, Any]) -> HistoryEntry:
    return HistoryEntry.model_validate({name: item[name] for name in HistoryEntry.model_fields if name in item})


def family_index_attributes(family: str) -> dict[str, Any]:
    partition_key, sort_key = c.INDEXES[c.INDEX_BY_STATUS]
    return {"family": family, partition_key: FAMILIES_PK, sort_key: family}


# A family item's cost totals, added to by the coster's last write for each job it costs.
FAMILY_COST_AMOUNT = "cost_amount"
FAMILY_COST_CURRENCY = "cost_currency"
FAMILY_COSTED_JOBS = "costed_jobs"


def family_cost_from_item(item: Mapping[str, Any]) -> FamilyCost | None:
    from autopilot_reports.models.cost import FamilyCost  # noqa: PLC0415  (the reporter never reads it)

    if item.get(FAMILY_COST_AMOUNT) is None or not item.get(FAMILY_COST_CURRENCY):
        return None
    return FamilyCost(
        amount=float(item[FAMILY_COST_AMOUNT]),
        currency=str(item[FAMILY_COST_CURRENCY]),
        jobs=int(item.get(FAMILY_COSTED_JOBS, 0)),
    )


def standing_from_item(item: Mapping[str, Any]) -> FamilyStanding:
    best = (
        FamilyBest(job_name=item["best_job"], value=float(item["best_value"]))
        if item.get("best_job") and item.get("best_value") is not None
        else None
    )
    return FamilyStanding(
        family=str(item["family"]), best=best, metric=item.get("best_metric"), direction=item.get("direction")
    )


def digest_attributes(digest: Digest) -> dict[str, Any]:
    return {**digest_key(digest), "digest": digest.model_dump(mode="json")}


def import_attributes(progress: ImportProgress) -> dict[str, Any]:
    return {**import_key(progress.import_id), **progress.model_dump(mode="json")}


def import_from_item(item: Mapping[str, Any]) -> ImportProgress:
    return ImportProgress.model_validate({name: item[name] for name in ImportProgress.model_fields if name in item})


def cost_progress_attributes(progress: CostProgress, scope: KeyScope = KeyScope.LOCAL) -> dict[str, Any]:
    """A job's costing in progress: its fields under their names, beside the key."""
    place = Place.of_arn_or_none(progress.job_arn)
    return {**cost_key(progress.job_name, place, scope), **progress.model_dump(mode="json")}


def cost_progress_from_item(item: Mapping[str, Any]) -> CostProgress:
    from autopilot_reports.models.cost import CostProgress  # noqa: PLC0415  (the coster's alone)

    return CostProgress.model_validate({name: item[name] for name in CostProgress.model_fields if name in item})


def price_attributes(price: CachedPrice) -> dict[str, Any]:
    return {**price_key(price.key), **price.model_dump(mode="json"), "fetched_at_ms": epoch_ms(price.fetched_at)}


def price_from_item(item: Mapping[str, Any]) -> CachedPrice:
    from autopilot_reports.models.cost import CachedPrice  # noqa: PLC0415  (the coster's alone)

    return CachedPrice.model_validate({name: item[name] for name in CachedPrice.model_fields if name in item})


def heartbeat_attributes(at: datetime, watch: WatchState | None) -> dict[str, Any]:
    """A spoke's heartbeat on its watcher's item: when, and the watch state it reports (sealed as one map)."""
    return {
        c.HEARTBEAT_AT: iso_utc(at),
        c.HEARTBEAT: {
            "sent_at": iso_utc(at),
            "watch_start": _iso(watch.watch_start) if watch else None,
            "watermark": _iso(watch.watermark) if watch else None,
        },
    }


# --- a hub's spokes ----------------------------------------------------------------------------------------


def spoke_attributes(status: SpokeStatus) -> dict[str, Any]:
    """A spoke item's attributes (plain data), except its key and its silence claim."""
    heard = iso_utc(status.last_heartbeat)
    partition_key, sort_key = c.INDEXES[c.INDEX_BY_STATUS]
    return {
        "account_id": status.place.account,
        "region": status.place.region,
        "account_name": status.account_name,
        "version": status.version,
        "watch_start": _iso(status.watch_start),
        "watermark": _iso(status.watermark),
        "received_at": _iso(status.received_at),
        LAST_HEARTBEAT: heard,
        LAST_HEARTBEAT_MS: epoch_ms(status.last_heartbeat),
        partition_key: SPOKES_PK,
        sort_key: spoke_order(heard, status.place),
    }


def spoke_from_item(item: Mapping[str, Any]) -> SpokeStatus:
    """A spoke item (plain data) as the domain reads it."""
    alerted, heard_ms = item.get(c.SILENT_ALERTED_FOR), item.get(LAST_HEARTBEAT_MS)
    return SpokeStatus.of(item, alerted is not None and heard_ms is not None and int(alerted) == int(heard_ms))


def _iso(value: datetime | None) -> str | None:
    return iso_utc(value) if value else None
