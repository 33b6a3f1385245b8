"""CSV export of audit events: recorded in the log itself, then streamed row by row.

A filtered export can hold a million rows; the file is written as it is sent, from a database
iterator, so neither the rows nor the file are ever all in memory.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.audit.selectors import filter_events
from apps.audit.services import record_event

EXPORT_ACTION = "audit.exported"
CHUNK_SIZE = 2000
COLUMNS = (
    "sequence",
    "occurred_at",
    "actor_type",
    "actor_id",
    "actor_label",
    "action",
    "object_type",
    "object_id",
    "reason",
    "correlation_id",
    "client_ip",
    "before",
    "after",
    "hash",
)
# A spreadsheet runs a cell starting with one of these as a formula (OWASP "CSV injection").
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def start_export(*, actor, filters: dict) -> QuerySet:
    """Record who exported what, then return the events to export.

    The export covers the events before its own audit event: the file is a snapshot that does
    not include the record of its own making, nor events appended while it streams.
    """
    with transaction.atomic():
        exported = record_event(
            actor=actor,
            action=EXPORT_ACTION,
            object_type="audit_log",
            after={"filters": filters},
            reason="CSV export of the audit log",
        )
    return filter_events(**filters).filter(sequence__lt=exported.sequence)


def csv_response(events: QuerySet) -> StreamingHttpResponse:
    filename = f"audit-events-{timezone.now():%Y%m%d-%H%M%S}.csv"
    return StreamingHttpResponse(
        csv_lines(events),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def csv_lines(events: QuerySet) -> Iterator[str]:
    writer = csv.writer(_LineBuffer())
    yield writer.writerow(COLUMNS)
    for event in events.iterator(chunk_size=CHUNK_SIZE):
        yield writer.writerow([neutralise_formula(cell) for cell in event_cells(event)])


def event_cells(event: AuditEvent) -> list[str]:
    return [
        str(event.sequence),
        event.occurred_at.isoformat(),
        event.actor_type,
        event.actor_id,
        event.actor_label,
        event.action,
        event.object_type,
        event.object_id,
        event.reason,
        event.correlation_id,
        event.client_ip or "",
        _json_cell(event.before),
        _json_cell(event.after),
        event.hash,
    ]


def neutralise_formula(cell: str) -> str:
    """CELL with a leading apostrophe when a spreadsheet would otherwise evaluate it."""
    return f"'{cell}" if cell.startswith(FORMULA_PREFIXES) else cell


def _json_cell(value) -> str:
    if value is None:
        return ""
    return json.dumps(value, cls=DjangoJSONEncoder, sort_keys=True, ensure_ascii=False)


class _LineBuffer:
    """A file-like object for csv.writer that hands each line back instead of storing it."""

    def write(self, line: str) -> str:
        return line
