"""The hash chain: each event's hash covers its content and the previous event's hash.

    content_digest = SHA-256(canonical JSON of the event's content)
    hash           = SHA-256(prev_hash ":" sequence ":" content_digest)

Editing an event changes its hash; deleting or reordering one breaks the link to the next.
The serialisation is canonical (sorted keys, no spaces, Decimals and datetimes as text) so the
same event always hashes the same. The link step is simple enough for PostgreSQL to compute
while it takes the next place in the chain (storage.py); Python computes the same thing on
SQLite and when verifying.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC

from django.core.serializers.json import DjangoJSONEncoder

GENESIS_HASH = "0" * 64
CONTENT_FIELDS = (
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


def content_digest(event) -> str:
    """The SHA-256 of EVENT's content: everything but its place in the chain."""
    fields = {name: getattr(event, name) for name in CONTENT_FIELDS}
    return hashlib.sha256(canonical(fields).encode()).hexdigest()


def link_hash(prev_hash: str, sequence: int, digest: str) -> str:
    return hashlib.sha256(f"{prev_hash}:{sequence}:{digest}".encode()).hexdigest()


def event_hash(event) -> str:
    """The hash EVENT must carry, given its content, sequence and previous hash."""
    return link_hash(event.prev_hash, event.sequence, content_digest(event))
