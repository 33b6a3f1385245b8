"""Append-only tables: a PostgreSQL trigger refuses UPDATE, DELETE and TRUNCATE.

Models add the same refusal in Python (for SQLite and for early, clear errors); the trigger is
the guarantee that holds even for raw SQL. Only a superuser who disables triggers gets past it,
and then the audit hash chain shows what changed.
"""

from django.db import migrations

FUNCTION_SQL = """
CREATE OR REPLACE FUNCTION viralcore_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% on % is refused: the table is append-only', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
"""


def _create_triggers_sql(table: str) -> list[str]:
    return [
        FUNCTION_SQL,
        f"CREATE TRIGGER {table}_no_update_delete BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION viralcore_refuse_change();",
        f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION viralcore_refuse_change();",
    ]


def _drop_triggers_sql(table: str) -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS {table}_no_update_delete ON {table};",
        f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};",
    ]


def _run_on_postgres(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            # No params: the % signs belong to plpgsql's RAISE, not to the driver.
            schema_editor.execute(statement, params=None)

    return run


def make_append_only(table: str) -> migrations.RunPython:
    """A migration operation that installs the append-only triggers on TABLE (PostgreSQL)."""
    return migrations.RunPython(
        _run_on_postgres(_create_triggers_sql(table)),
        _run_on_postgres(_drop_triggers_sql(table)),
    )
