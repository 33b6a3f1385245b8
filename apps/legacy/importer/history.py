"""balance_operations → BalanceOperation: the old bot's own ledger, kept as imported history.

It never explained the balances (balances from before it and admin resets are missing, spec
§1.2.4), so it moves no money here; support reads it to answer "where did my bonus go?".
"""

from __future__ import annotations

from django.db import transaction

from apps.legacy import parsing
from apps.legacy.importer.context import Context
from apps.legacy.importer.copy import insert_all
from apps.legacy.models import BalanceOperation

FILE, TABLE = "viralcore.db", "balance_operations"
REQUIRED = ("operation_id", "user_id", "balance_type", "amount", "operation_type", "timestamp")


def import_balance_operations(ctx: Context) -> None:
    if not ctx.has_columns(FILE, TABLE, REQUIRED):
        return
    source = ctx.source(FILE, TABLE)
    where, params = ctx.since_filter("timestamp")
    for rows in ctx.batches(FILE, TABLE, where=where, params=params):
        counts = ctx.report.table(source)
        ids = [str(row["operation_id"]) for row in rows]
        done = set(
            BalanceOperation.objects.filter(operation_id__in=ids).values_list(
                "operation_id", flat=True
            )
        )
        fresh = []
        for row in rows:
            if str(row["operation_id"]) in done:
                counts.already += 1
                continue
            operation = _operation(ctx, source, row)
            if operation is not None:
                fresh.append(operation)
        with transaction.atomic():
            insert_all(BalanceOperation, fresh)
        counts.imported += len(fresh)


def _operation(ctx: Context, source: str, row: dict) -> BalanceOperation | None:
    try:
        amount, _ = parsing.money(row["amount"], what="amount")
        telegram_id = parsing.integer(row["user_id"], what="user_id")
    except parsing.Unreadable as error:
        ctx.report.table(source).skip(str(error), row["operation_id"])
        return None
    try:
        occurred_at = parsing.timestamp(row["timestamp"])
    except parsing.Unreadable as error:
        ctx.report.table(source).skip(str(error), row["operation_id"])
        return None
    return BalanceOperation(
        operation_id=str(row["operation_id"])[:255],
        telegram_id=telegram_id,
        balance_type=parsing.text(row["balance_type"], limit=16),
        amount=amount,
        operation_type=parsing.text(row["operation_type"], limit=32),
        reason=parsing.text(row.get("reason"), limit=2000),
        status=parsing.text(row.get("status"), limit=16),
        occurred_at=occurred_at,
    )
