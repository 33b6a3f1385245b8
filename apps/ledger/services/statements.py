"""The statements on a posting's hot path, written as SQL instead of built by the ORM.

Why: measured with bench/ledger.py, building the entry insert, the account lock and the
balance update through the ORM cost about 1.8 ms of CPU per posting, more than PostgreSQL took
to run them; in a threaded worker that CPU is spent while a hot account's lock is held. The
SQL is the same on SQLite and PostgreSQL except the lock clause, which the backend writes
(SQLite has no row locks: its writers already queue on BEGIN IMMEDIATE). Values go through
the model fields' own preparation, so they are stored exactly as the ORM would store them.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import connection

from apps.ledger.models import Account, Entry, Transaction


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def insert_entries(*, transaction_id: int, legs) -> None:
    """One multi-row INSERT of the (account, amount) LEGS; their ids are never needed."""
    amount_field = Entry._meta.get_field("amount")
    rows, params = [], []
    for account, amount in legs:
        rows.append("(%s, %s, %s, %s)")
        params += [
            transaction_id,
            account.pk,
            amount_field.get_db_prep_save(amount, connection),
            account.currency,
        ]
    table = _quote(Entry._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (transaction_id, account_id, amount, currency) "  # noqa: S608
            f"VALUES {', '.join(rows)}",
            params,
        )


def lock_accounts(account_ids: list[int]) -> dict[int, Account]:
    """The accounts, locked FOR NO KEY UPDATE in id order.

    Id order is what keeps A->B and B->A postings from deadlocking. NO KEY UPDATE is the lock
    the balance UPDATE takes anyway; unlike FOR UPDATE it does not block other transactions
    inserting rows that point at the account (their foreign-key checks take KEY SHARE).
    """
    columns = ", ".join(_quote(field.column) for field in Account._meta.concrete_fields)
    placeholders = ", ".join(["%s"] * len(account_ids))
    sql = (
        f"SELECT {columns} FROM {_quote(Account._meta.db_table)} "  # noqa: S608
        f"WHERE id IN ({placeholders}) ORDER BY id"
    )
    if connection.features.has_select_for_update:
        sql += " " + connection.ops.for_update_sql(no_key=True)
    # raw() still applies the backend's converters, so balances arrive as exact Decimals.
    return {account.pk: account for account in Account.objects.raw(sql, account_ids)}


def add_to_balances(deltas: dict[int, Decimal]) -> None:
    """balance = balance + delta for each account id, in one statement.

    Relative, not absolute: under the caller's lock it gives the same result, and it can never
    overwrite a change the lock did not cover. The CHECK constraint stands behind it.
    """
    balance_field = Account._meta.get_field("balance")
    cases, params = [], []
    for account_id, delta in deltas.items():
        cases.append("WHEN %s THEN CAST(%s AS NUMERIC)")
        params += [account_id, balance_field.get_db_prep_save(delta, connection)]
    ids = list(deltas)
    params += ids
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {_quote(Account._meta.db_table)} "  # noqa: S608
            f"SET balance = balance + CASE id {' '.join(cases)} END "
            f"WHERE id IN ({', '.join(['%s'] * len(ids))})",
            params,
        )


_TRANSACTION_COLUMNS = (
    "idempotency_key", "kind", "memo", "actor_type", "actor_id", "actor_label",
    "correlation_id", "fingerprint", "reverses_id", "created_at",
)  # fmt: skip


def insert_transaction(row: Transaction) -> bool:
    """INSERT ROW unless its key (or the transaction it reverses) is taken; True if inserted.

    ON CONFLICT DO NOTHING instead of a savepoint around a plain INSERT: one statement, and a
    racing poster of the same key still waits on the unique index until the first one commits,
    then inserts nothing and reads the stored row. Runs on PostgreSQL and SQLite alike.
    """
    table = _quote(Transaction._meta.db_table)
    values = [
        Transaction._meta.get_field(
            column.removesuffix("_id") if column == "reverses_id" else column
        ).get_db_prep_save(getattr(row, column), connection)
        for column in _TRANSACTION_COLUMNS
    ]
    placeholders = ", ".join(["%s"] * len(values))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(_TRANSACTION_COLUMNS)}) "  # noqa: S608
            f"VALUES ({placeholders}) ON CONFLICT DO NOTHING RETURNING id",
            values,
        )
        inserted = cursor.fetchone()
    if inserted is None:
        return False
    row.pk = inserted[0]
    row._state.adding = False
    row._state.db = connection.alias
    return True
