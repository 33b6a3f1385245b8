"""withdrawal_audit_log and withdrawal_errors → WithdrawalEvent, beside the imported withdrawal.

Rows of a withdrawal that is not imported (still pending in the old bot, or its user unknown)
wait: they are imported by the run that imports their withdrawal. So these two tables are read
whole even with --since (a withdrawal finished during the cutover brings its older rows too);
they are small, and rows already imported are skipped by their source key.
"""

from __future__ import annotations

import json

from django.db import transaction

from apps.legacy import parsing
from apps.legacy.importer.context import Context, known
from apps.legacy.importer.copy import insert_all
from apps.legacy.models import WithdrawalEvent

FILE = "viralcore.db"
WITHDRAWALS = "viralcore.db:withdrawals"


def import_withdrawal_history(ctx: Context) -> None:
    if ctx.has_columns(FILE, "withdrawal_audit_log", ("id", "withdrawal_id", "action")):
        _import_table(ctx, "withdrawal_audit_log", _audit_event)
    if ctx.has_columns(FILE, "withdrawal_errors", ("id", "withdrawal_id", "error_message")):
        _import_table(ctx, "withdrawal_errors", _error_event)


def _import_table(ctx: Context, table: str, build) -> None:
    source = ctx.source(FILE, table)
    for rows in ctx.batches(FILE, table):
        counts = ctx.report.table(source)
        ours = known(WITHDRAWALS, {row["withdrawal_id"] for row in rows})
        keys = [f"{table}:{row['id']}" for row in rows]
        done = set(
            WithdrawalEvent.objects.filter(source_key__in=keys).values_list("source_key", flat=True)
        )
        fresh = []
        for row, key in zip(rows, keys, strict=True):
            if key in done:
                counts.already += 1
            elif str(row["withdrawal_id"]) not in ours:
                counts.skip("its withdrawal is not imported (yet)", row["id"])
            else:
                fresh.append(build(row, key, ours[str(row["withdrawal_id"])]))
        with transaction.atomic():
            insert_all(WithdrawalEvent, fresh)
        counts.imported += len(fresh)


def _audit_event(row: dict, key: str, withdrawal_pk: int) -> WithdrawalEvent:
    return WithdrawalEvent(
        source_key=key,
        withdrawal_id=withdrawal_pk,
        action=parsing.text(row["action"], limit=64),
        old_status=_pair(row, "old_status", "old_approval_state"),
        new_status=_pair(row, "new_status", "new_approval_state"),
        admin_telegram_id=row.get("admin_id") if isinstance(row.get("admin_id"), int) else None,
        reason=parsing.text(row.get("reason"), limit=2000),
        metadata=_json(row.get("metadata")),
        occurred_at=_time(row.get("created_at")),
    )


def _error_event(row: dict, key: str, withdrawal_pk: int) -> WithdrawalEvent:
    return WithdrawalEvent(
        source_key=key,
        withdrawal_id=withdrawal_pk,
        action=f"error {parsing.text(row.get('error_code'), limit=40)}".strip(),
        reason=parsing.text(row.get("error_message"), limit=2000),
        metadata={
            "payload": _json(row.get("error_payload")),
            "correlation_id": row.get("correlation_id"),
        },
        occurred_at=_time(row.get("created_at")),
    )


def _pair(row: dict, status: str, approval: str) -> str:
    parts = [str(row.get(status) or ""), str(row.get(approval) or "")]
    return " / ".join(part for part in parts if part)[:32]


def _json(raw):
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except (TypeError, ValueError):
        return {"text": str(raw)[:2000]}
    return value if isinstance(value, dict) else {"value": value}


def _time(raw):
    try:
        return parsing.optional_timestamp(raw)
    except parsing.Unreadable:
        return None
