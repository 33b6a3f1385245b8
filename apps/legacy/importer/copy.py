"""Writing many rows whose ids nobody reads back: COPY on PostgreSQL, bulk_create elsewhere.

Measured with bench/import.py: most of the import's million rows are history and bookkeeping
(LegacyRecord, boost submissions, balance operations, used hashes) that need no id back. For
those, PostgreSQL's COPY costs a fraction of a multi-row INSERT on both sides (no SQL to build
or parse per row). Values go through each field's own preparation, as the ORM would store them.
Callers have already dropped the rows that exist, so a conflict here is a real error (another
import running at the same time) and fails the batch's transaction like any other.
"""

from __future__ import annotations

from django.db import connection


def insert_all(model, objects: list) -> None:
    """Insert OBJECTS (unsaved instances of MODEL) in the caller's transaction."""
    if not objects:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objects)
        return
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg's own cursor, under Django's wrapper
        with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for obj in objects:
                copy.write_row(
                    [
                        field.get_db_prep_save(field.pre_save(obj, add=True), connection)
                        for field in fields
                    ]
                )
