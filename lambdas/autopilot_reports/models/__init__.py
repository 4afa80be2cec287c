"""Typed models (pydantic v2) for what crosses an edge.

The events that invoke our functions and the one we publish (`events.py`, a public contract:
docs/design.md §3), the report record and its history items (`record.py`, docs/design.md §4), the digest
(`digest.py`), and shared types and time helpers (`common.py`). Validated where data comes in, trusted
inside. A model holds data and the rules that are part of its meaning (the "newer" order,
`record.progress`); models import only pydantic, Powertools' parser models and `constants`, never boto3,
`domain`, `adapters` or `handlers`."""
