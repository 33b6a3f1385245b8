"""Writing one audit event: its place in the chain, the event row and its search terms.

On PostgreSQL one statement does it all (data-modifying CTEs): it moves the chain head on by
one (the row lock serialises writers), computes the link hash from the previous hash, the new
sequence and the content digest computed here (chain.py), inserts the event and its search
terms, and returns the event's place. One round trip per audited change, which matters because
every audited write in the system takes the chain head in turn. Other databases (SQLite in the
embedded default) take the ORM path and compute the same hash in Python.
"""

from __future__ import annotations

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection

from apps.audit.chain import content_digest, link_hash
from apps.audit.models import AuditChainHead, AuditEvent, AuditSearchTerm

HEAD_ID = 1

# Content columns; sequence, prev_hash and hash come from the chain head in the statement.
_EVENT_COLUMNS = (
    "occurred_at", "actor_type", "actor_id", "actor_label", "action", "object_type",
    "object_id", "before", "after", "reason", "correlation_id", "client_ip",
)  # fmt: skip
_JSON_COLUMNS = frozenset({"before", "after"})


def _placeholder(column: str) -> str:
    if column in _JSON_COLUMNS:
        return f"%({column})s::jsonb"
    if column == "client_ip":
        return f"%({column})s::inet"
    return f"%({column})s"


_POSTGRES_APPEND = f"""
WITH head AS (
    UPDATE audit_auditchainhead
    SET sequence = sequence + 1,
        prev_hash = hash,
        hash = encode(sha256(convert_to(
            hash || ':' || (sequence + 1)::text || ':' || %(digest)s, 'UTF8')), 'hex')
    WHERE id = {HEAD_ID}
    RETURNING sequence, prev_hash, hash
), event AS (
    INSERT INTO audit_auditevent (sequence, prev_hash, hash, {", ".join(_EVENT_COLUMNS)})
    SELECT head.sequence, head.prev_hash, head.hash, {", ".join(map(_placeholder, _EVENT_COLUMNS))}
    FROM head
    RETURNING id, sequence, prev_hash, hash
), terms AS (
    INSERT INTO audit_auditsearchterm (event_id, term)
    SELECT event.id, term FROM event, unnest(%(terms)s::text[]) AS term
)
SELECT id, sequence, prev_hash, hash FROM event
"""  # noqa: S608 - built from constants; every value is a parameter


def lock_head() -> AuditChainHead:
    """The chain head, locked until the caller's transaction ends."""
    table = connection.ops.quote_name(AuditChainHead._meta.db_table)
    lock = connection.ops.for_update_sql() if connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:
        # Plain SQL: this runs once per audited change, inside every caller's locked window.
        cursor.execute(f"SELECT sequence, hash FROM {table} WHERE id = %s {lock}", [HEAD_ID])  # noqa: S608
        row = cursor.fetchone()
    if row is None:
        # The migration creates the row; a database emptied by tests may not have it.
        AuditChainHead.objects.get_or_create(pk=HEAD_ID)
        return lock_head()
    return AuditChainHead(pk=HEAD_ID, sequence=row[0], hash=row[1])


def append(event: AuditEvent, terms: list[str]) -> None:
    """Give EVENT (content set) the next place in the chain and store it with its TERMS."""
    if connection.vendor != "postgresql":
        _append_orm(event, terms)
    elif not _append_postgres(event, terms):
        # The migration creates the head row; only a database emptied by tests lacks it.
        AuditChainHead.objects.get_or_create(pk=HEAD_ID)
        _append_postgres(event, terms)


def _append_postgres(event: AuditEvent, terms: list[str]) -> bool:
    """False when there is no chain head row to move on (nothing is written then)."""
    params = {column: getattr(event, column) for column in _EVENT_COLUMNS}
    for column in _JSON_COLUMNS:
        value = params[column]
        params[column] = None if value is None else json.dumps(value, cls=DjangoJSONEncoder)
    params["digest"] = content_digest(event)
    params["terms"] = terms
    with connection.cursor() as cursor:
        cursor.execute(_POSTGRES_APPEND, params)
        row = cursor.fetchone()
    if row is None:
        return False
    event.pk, event.sequence, event.prev_hash, event.hash = row
    event._state.adding = False
    event._state.db = connection.alias
    return True


def _append_orm(event: AuditEvent, terms: list[str]) -> None:
    head = lock_head()
    event.sequence = head.sequence + 1
    event.prev_hash = head.hash
    event.hash = link_hash(event.prev_hash, event.sequence, content_digest(event))
    event.save(force_insert=True)
    AuditChainHead.objects.filter(pk=HEAD_ID).update(
        sequence=event.sequence, prev_hash=event.prev_hash, hash=event.hash
    )
    AuditSearchTerm.objects.bulk_create(AuditSearchTerm(event=event, term=term) for term in terms)
