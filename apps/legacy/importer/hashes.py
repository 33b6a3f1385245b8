"""processed_transactions and purchases.transaction_ref → UsedHash (never claimable again).

Both tables name payments the old bot credited, each as the user typed it. The key
(apps/legacy/hashes.py) folds case and 0x, so the same payment written two ways is one used
hash; the report says how many such doubles it folded.
"""

from __future__ import annotations

from django.db import transaction

from apps.legacy.hashes import legacy_key
from apps.legacy.importer.context import Context
from apps.legacy.importer.copy import insert_all
from apps.legacy.models import UsedHash

FILE = "viralcore.db"
SOURCES = (
    ("processed_transactions", "transaction_hash", "user_id", "processed_at"),
    ("purchases", "transaction_ref", "user_id", "timestamp"),
)


def import_used_hashes(ctx: Context) -> None:
    for table, column, user_column, time_column in SOURCES:
        if not ctx.has_columns(FILE, table, (column, user_column)):
            continue
        source = f"{FILE}:{table}.{column}"
        where, params = ctx.since_filter(time_column)
        where = f"({where}) AND {column} IS NOT NULL" if where else f"{column} IS NOT NULL"
        batches = ctx.batches(FILE, table, where=where, params=params, counted=False, label=source)
        for rows in batches:
            _import_batch(ctx, source, rows, column, user_column)


def _import_batch(ctx: Context, source: str, rows: list[dict], column: str, user_column: str):
    counts = ctx.report.table(source)
    by_key: dict[str, UsedHash] = {}
    for row in rows:
        counts.read += 1
        key = legacy_key(row[column])
        if key is None:
            counts.skip("not a payment reference (custom-plan row or empty)", row["_rowid"])
            continue
        if key in by_key:
            counts.already += 1
            continue
        by_key[key] = UsedHash(
            key=key,
            raw=str(row[column])[:255],
            source=source,
            telegram_id=row[user_column] if isinstance(row[user_column], int) else None,
        )
    existing = set(UsedHash.objects.filter(key__in=by_key).values_list("key", flat=True))
    fresh = [used for key, used in by_key.items() if key not in existing]
    with transaction.atomic():
        insert_all(UsedHash, fresh)
    counts.imported += len(fresh)
    counts.already += len(by_key) - len(fresh)
