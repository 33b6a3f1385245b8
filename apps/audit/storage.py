"""Writing one audit event: the chain head, the event row and its search terms.

On PostgreSQL the event, its terms and the new chain head go in one statement (data-modifying
CTEs), after the head row is locked: two round trips per event instead of six, which matters
because every audited change in the system waits for the chain head in turn. Other databases
(SQLite in the embedded default) take the plain ORM path; both store the same rows.
"""

from __future__ import annotations

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection

from apps.audit.models import AuditChainHead, AuditEvent, AuditSearchTerm

HEAD_ID = 1

_EVENT_COLUMNS = (
    "sequence", "occurred_at", "actor_type", "actor_id", "actor_label", "action",
    "object_type", "object_id", "before", "after", "reason", "correlation_id", "client_ip",
    "prev_hash", "hash",
)  # fmt: skip
_JSON_COLUMNS = frozenset({"before", "after"})


def _placeholder(column: str) -> str:
    if column in _JSON_COLUMNS:
        return f"%({column})s::jsonb"
    if column == "client_ip":
        return f"%({column})s::inet"
    return f"%({column})s"


_POSTGRES_INSERT = f"""
WITH head AS (
    UPDATE audit_auditchainhead SET sequence = %(sequence)s, hash = %(hash)s WHERE id = {HEAD_ID}
), event AS (
    INSERT INTO audit_auditevent ({", ".join(_EVENT_COLUMNS)})
    VALUES ({", ".join(map(_placeholder, _EVENT_COLUMNS))})
    RETURNING id
), terms AS (
    INSERT INTO audit_auditsearchterm (event_id, term)
    SELECT event.id, term FROM event, unnest(%(terms)s::text[]) AS term
)
SELECT id FROM event
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


def insert_event(event: AuditEvent, terms: list[str]) -> None:
    """Store EVENT (sequence and hash already set), its TERMS, and move the head to it."""
    if connection.vendor == "postgresql":
        _insert_postgres(event, terms)
    else:
        _insert_orm(event, terms)


def _insert_postgres(event: AuditEvent, terms: list[str]) -> None:
    params = {column: getattr(event, column) for column in _EVENT_COLUMNS}
    for column in _JSON_COLUMNS:
        value = params[column]
        params[column] = None if value is None else json.dumps(value, cls=DjangoJSONEncoder)
    params["terms"] = terms
    with connection.cursor() as cursor:
        cursor.execute(_POSTGRES_INSERT, params)
        event.pk = cursor.fetchone()[0]
    event._state.adding = False
    event._state.db = connection.alias


def _insert_orm(event: AuditEvent, terms: list[str]) -> None:
    event.save(force_insert=True)
    AuditChainHead.objects.filter(pk=HEAD_ID).update(sequence=event.sequence, hash=event.hash)
    AuditSearchTerm.objects.bulk_create(AuditSearchTerm(event=event, term=term) for term in terms)
