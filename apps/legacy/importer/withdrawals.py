"""withdrawals (viralcore.db) → Withdrawal history in its final state; no money moves.

Balances come from users.affiliate_balance (balances.py), which already reflects every legacy
withdrawal, so an imported withdrawal is a record, never a hold. Only finished ones are
imported (spec §5.5 states → ours):

  completed (automatic, Flutterwave reference) → paid;  completed (manual) → paid manually;
  completed by the bulk script (audit "bulk_approved") → rejected: that script neither paid
  nor debited anybody (spec §5.10), so the money is still in the user's balance;
  failed → failed and refunded (the old bot credited the rollback);  rejected → rejected.

pending and processing rows are not imported: they are listed for finance, who finish them in
the old bot; the run after that imports them in their final state. Reply-guy withdrawals held
naira in both amount columns (spec §1.2.6): they become NGN earnings withdrawals with no USD
value (the old bot never knew one).
"""

from __future__ import annotations

import re
from decimal import Decimal

from apps.ledger.models import ZERO
from apps.legacy import parsing
from apps.legacy.importer.context import Context, import_owned_rows
from apps.withdrawals.models import BalanceKind, PayoutMode, Status, Withdrawal

FILE, TABLE = "viralcore.db", "withdrawals"
TARGET = "withdrawals.withdrawal"
REQUIRED = (
    "id", "user_id", "amount_usd", "amount_ngn", "status", "is_affiliate_withdrawal",
    "account_number", "bank_name", "account_name", "created_at", "updated_at",
)  # fmt: skip
UNFINISHED = {
    "pending": (
        "withdrawal still pending in the old bot",
        "Not imported yet: approve or reject it in the old bot before the switch; the next "
        "run imports it in its final state.",
    ),
    "processing": (
        "withdrawal stuck in 'processing' in the old bot",
        "Not imported: the balance was debited and no transfer was confirmed. Look up its "
        "Flutterwave reference, then mark it completed or failed in the old bot; the next run "
        "imports it.",
    ),
}
BULK_APPROVED = (
    "withdrawal 'completed' by the bulk-approve script",
    "Imported as rejected: the script neither paid the user nor debited the balance, so the "
    "amount is still in the user's balance (ask finance whether to pay it).",
)


def import_withdrawals(ctx: Context) -> None:
    if not ctx.has_columns(FILE, TABLE, REQUIRED):
        return
    source = ctx.source(FILE, TABLE)
    where, params = ctx.since_filter("created_at", "updated_at")
    for rows in ctx.batches(FILE, TABLE, where=where, params=params):
        _import_batch(ctx, source, rows)


def _import_batch(ctx: Context, source: str, rows: list[dict]) -> None:
    bulk = _bulk_approved(ctx, [row["id"] for row in rows])

    def build(row, user_pk):
        return _withdrawal(ctx, source, row, user_pk, row["id"] in bulk)

    import_owned_rows(ctx, source, rows, model=Withdrawal, target=TARGET, build=build)


def _bulk_approved(ctx: Context, ids: list) -> set:
    if not ctx.has_columns(FILE, "withdrawal_audit_log", ("withdrawal_id", "action")):
        return set()
    marks = ", ".join("?" * len(ids))
    sql = (
        "SELECT DISTINCT withdrawal_id FROM withdrawal_audit_log "  # noqa: S608
        f"WHERE action = 'bulk_approved' AND withdrawal_id IN ({marks})"
    )
    return {row[0] for row in ctx.files[FILE].connection.execute(sql, ids)}


def _withdrawal(ctx: Context, source: str, row: dict, user_pk: int, bulk: bool):
    counts = ctx.report.table(source)
    legacy_status = str(row["status"] or "")
    if legacy_status in UNFINISHED:
        ctx.report.finding(*UNFINISHED[legacy_status], row["id"])
        counts.skip(f"{legacy_status} in the old bot (not finished)", row["id"])
        return None
    status = _status(legacy_status, row, bulk)
    if status is None:
        counts.skip(f"unknown status {legacy_status!r}", row["id"])
        return None
    if bulk:
        ctx.report.finding(*BULK_APPROVED, row["id"])
    try:
        return _build(ctx, source, row, user_pk, status)
    except parsing.Unreadable as error:
        counts.skip(str(error), row["id"])
        return None


def _status(legacy: str, row: dict, bulk: bool) -> str | None:
    if legacy == "completed":
        if bulk:
            return Status.REJECTED
        return Status.PAID if row.get("flutterwave_reference") else Status.PAID_MANUALLY
    return {"failed": Status.FAILED, "rejected": Status.REJECTED}.get(legacy)


def _build(ctx: Context, source: str, row: dict, user_pk: int, status: str) -> Withdrawal:
    requested = parsing.timestamp(row["created_at"])
    closed = _closing_time(row)
    affiliate = bool(row["is_affiliate_withdrawal"])
    amount_ngn = _positive(ctx, source, row, "amount_ngn")
    amount_usd = _positive(ctx, source, row, "amount_usd") if affiliate else ZERO
    rate = (amount_ngn / amount_usd).quantize(Decimal("0.000001")) if affiliate else None
    withdrawal = Withdrawal(
        user_id=user_pk,
        balance=BalanceKind.AFFILIATE if affiliate else BalanceKind.EARNINGS,
        amount=amount_usd if affiliate else amount_ngn,
        currency="USD" if affiliate else "NGN",
        amount_ngn=amount_ngn,
        amount_usd=amount_usd,
        fx_rate=rate,
        fx_source="old bot (rate at request time)" if affiliate else "",
        fx_at=requested if affiliate else None,
        bank_code="",
        bank_name=parsing.text(row["bank_name"], limit=128),
        account_number=_account_number(ctx, row),
        account_name=parsing.text(row["account_name"], limit=128),
        status=status,
        payout_mode=row.get("payment_mode") if row.get("payment_mode") in PayoutMode else "",
        bank_reference=parsing.text(row.get("flutterwave_reference"), limit=100),
        reason=_reason(row, status),
        approved_at=parsing.optional_timestamp(row.get("approved_at")),
        closed_at=closed,
        refunded_at=closed if status == Status.FAILED else None,
        requested_at=requested,
    )
    return withdrawal


def _positive(ctx: Context, source: str, row: dict, column: str) -> Decimal:
    amount, change = parsing.money(row[column], what=column)
    if amount <= 0:
        raise parsing.Unreadable(f"{column} {row[column]!r} is not a positive amount")
    ctx.report.rounded(source, row["id"], change, sub_cent=parsing.is_sub_cent(change))
    return amount


def _closing_time(row: dict):
    for column in ("processed_at", "updated_at"):
        try:
            value = parsing.optional_timestamp(row.get(column))
        except parsing.Unreadable:
            continue
        if value is not None:
            return value
    return parsing.timestamp(row["created_at"])


def _account_number(ctx: Context, row: dict) -> str:
    digits = re.sub(r"\D", "", str(row["account_number"] or ""))
    if len(digits) != 10:
        ctx.report.finding(
            "bank account number that is not 10 digits",
            "Imported as history with the digits found (at most 10); never paid out again.",
            row["id"],
        )
    return digits[:10]


def _reason(row: dict, status: str) -> str:
    if status == Status.REJECTED and row["status"] == "completed":
        return "Old bot: marked completed by the bulk script, never paid nor debited."
    return parsing.text(row.get("failure_reason"), limit=255)
