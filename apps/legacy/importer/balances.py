"""users.affiliate_balance → opening-balance ledger postings (the legacy ledger is incomplete).

The spec says users.affiliate_balance is authoritative. Each run brings every user's ledger
up to the legacy value: LegacyBalance remembers what was posted so far, so the first run posts
the whole balance and a run during the cutover posts only the change (a commission the old bot
paid since, a withdrawal it approved). One ledger transaction per batch of users, against the
"opening balances (old bot)" system account; its idempotency key names each user's move from
what was imported to the new value, so a replayed batch posts nothing.

A negative legacy balance cannot exist in our ledger (user balances are never below zero): it is
imported as 0.00 and reported for finance, with the debt it represents.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal

from django.db import transaction

from apps.ledger.models import ZERO, AccountKind, Currency, TransactionKind
from apps.ledger.services.accounts import system_account, user_accounts
from apps.ledger.services.posting import post_transaction
from apps.legacy import parsing
from apps.legacy.importer.context import ACTOR, Context
from apps.legacy.models import LegacyBalance
from apps.users.models import BotUser

FILE, TABLE = "viralcore.db", "users"
KIND = "affiliate"
NEGATIVE = "negative affiliate balance in the old bot"


def import_balances(ctx: Context) -> None:
    if ctx.table_columns(FILE, TABLE) is None or not ctx.has_columns(
        FILE, TABLE, ("id", "affiliate_balance")
    ):
        return
    source = f"{FILE}:{TABLE}.affiliate_balance"
    for rows in ctx.batches(FILE, TABLE, counted=False, label=source):
        moves = _moves(ctx, source, rows)
        if moves:
            posted = _post(ctx, moves)
            ctx.report.table(source).imported += len(posted)


def expected_balance(raw) -> tuple[Decimal, Decimal]:
    """(what the ledger should hold, the legacy value in cents) for a legacy float."""
    cents, _ = parsing.money(raw, what="affiliate_balance")
    return _opening(cents), cents


def _opening(cents: Decimal) -> Decimal:
    """A negative legacy balance opens at 0.00: a user balance cannot be negative here."""
    return max(cents, ZERO)


def _moves(ctx: Context, source: str, rows: list[dict]) -> list[tuple]:
    """(bot user, LegacyBalance or None, legacy cents, target) for each balance to change."""
    counts = ctx.report.table(source)
    ids = [row["id"] for row in rows]
    users = {user.telegram_id: user for user in BotUser.objects.filter(telegram_id__in=ids)}
    seen = {b.telegram_id: b for b in LegacyBalance.objects.filter(telegram_id__in=ids, kind=KIND)}
    moves = []
    for row in rows:
        counts.read += 1
        target, cents = _target(ctx, source, row)
        if target is None or row["id"] not in users:
            continue
        record = seen.get(row["id"])
        imported = record.imported if record else ZERO
        if record is None and target == 0 and cents == 0:
            continue  # nothing to open
        if imported == target and record is not None and record.legacy_value == cents:
            counts.already += 1
            continue
        moves.append((users[row["id"]], record, cents, target))
    return moves


def _target(ctx: Context, source: str, row: dict) -> tuple:
    try:
        cents, change = parsing.money(row["affiliate_balance"] or 0, what="affiliate_balance")
    except parsing.Unreadable as error:
        ctx.report.table(source).skip(str(error), row["id"])
        return None, None
    if cents < 0:
        ctx.report.finding(
            NEGATIVE,
            "Imported as 0.00 (a user balance cannot be negative here); the debt is listed "
            "for finance to recover or write off.",
            f"{row['id']} ({cents} USD)",
        )
    ctx.report.rounded(source, row["id"], change, sub_cent=parsing.is_sub_cent(change))
    return _opening(cents), cents


def _post(ctx: Context, moves: list[tuple]) -> list[tuple]:
    accounts = user_accounts(owners=[user for user, *_ in moves], kind=AccountKind.AFFILIATE)
    opening = system_account(kind=AccountKind.LEGACY_OPENING, currency=Currency.USD)
    moves = [move for move in moves if _affordable(ctx, move, accounts)]
    entries, total, parts = [], ZERO, []
    for user, record, _cents, target in moves:
        delta = target - (record.imported if record else ZERO)
        if delta:
            entries.append((accounts[user.pk], delta))
            total += delta
            parts.append(f"{user.telegram_id}:{record.imported if record else ZERO}->{target}")
    with transaction.atomic():
        if entries:
            entries.append((opening, -total))
            post_transaction(
                idempotency_key=_key(parts),
                kind=TransactionKind.OPENING_BALANCE,
                entries=entries,
                actor=ACTOR,
                memo="Affiliate balances carried over from the old bot (users.affiliate_balance).",
            )
        _remember(moves)
    return moves


def _affordable(ctx: Context, move: tuple, accounts: dict) -> bool:
    """A lowered legacy balance is taken only from what is available here (not held)."""
    user, record, _cents, target = move
    delta = target - (record.imported if record else ZERO)
    if delta >= 0 or accounts[user.pk].balance + delta >= 0:
        return True
    ctx.report.finding(
        "old bot lowered a balance below what is available here",
        "Not changed (part of it is held for a withdrawal requested here); reconcile lists "
        "the difference for finance.",
        user.telegram_id,
    )
    return False


def _key(parts: list[str]) -> str:
    digest = hashlib.sha256("|".join(parts).encode()).hexdigest()
    return f"legacy:affiliate-opening:{digest}"


def _remember(moves: list[tuple]) -> None:
    new, changed = [], []
    for user, record, cents, target in moves:
        if record is None:
            record = LegacyBalance(telegram_id=user.telegram_id, kind=KIND)
            new.append(record)
        else:
            changed.append(record)
        record.legacy_value, record.imported = cents, target
    LegacyBalance.objects.bulk_create(new)
    LegacyBalance.objects.bulk_update(changed, ["legacy_value", "imported"], batch_size=500)
