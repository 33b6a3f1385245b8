"""The hash chain: each event's hash covers its content and the previous event's hash.

Editing an event changes its hash; deleting or reordering one breaks the link to the next.
The serialisation is canonical (sorted keys, no spaces, Decimals and datetimes as text) so the
same event always hashes the same, on PostgreSQL and SQLite alike.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC

from django.core.serializers.json import DjangoJSONEncoder

GENESIS_HASH = "0" * 64
HASHED_FIELDS = (
    "sequence",
    "occurred_at",
    "actor_type",
    "actor_id",
    "actor_label",
    "action",
    "object_type",
    "object_id",
    "before",
    "after",
    "reason",
    "correlation_id",
    "client_ip",
    "prev_hash",
)


def to_json_value(value):
    """VALUE as it will read back from a JSON column (Decimals and dates become strings)."""
    if value is None:
        return None
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def canonical(fields: dict) -> str:
    content = dict(fields)
    content["occurred_at"] = content["occurred_at"].astimezone(UTC).isoformat()
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def event_hash(event) -> str:
    """The SHA-256 of EVENT's hashed fields (which include the previous event's hash)."""
    fields = {name: getattr(event, name) for name in HASHED_FIELDS}
    return hashlib.sha256(canonical(fields).encode()).hexdigest()
