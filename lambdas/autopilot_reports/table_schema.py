"""The report table's key attributes and indexes: shared by the adapter that uses them and the stack
that creates them (`infra/constructs/store.py`), so the two cannot drift. Kept free of imports."""

PARTITION_KEY = "pk"
SORT_KEY = "sk"

INDEX_BY_STATUS = "by_status"
INDEX_BY_PARTIAL_FAILURE = "by_partial_failure"
INDEX_RECENT = "recent"

# index name -> (partition key attribute, sort key attribute); all string keys, all attributes projected
INDEXES = {
    INDEX_BY_STATUS: ("gsi1pk", "gsi1sk"),
    INDEX_BY_PARTIAL_FAILURE: ("gsi2pk", "gsi2sk"),
    INDEX_RECENT: ("gsi3pk", "gsi3sk"),
}
