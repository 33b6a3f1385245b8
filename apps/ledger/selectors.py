"""Reads of the ledger that the bot, the admin and the API share."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import QuerySet

from apps.ledger.models import USER_ACCOUNT_CURRENCY, ZERO, Account, Entry


def balance_name(*, kind: str, currency: str) -> str:
    """The key a balance goes by outside the ledger: "affiliate_usd", "earnings_ngn"."""
    return f"{kind}_{currency.lower()}"


def balances_for(bot_user) -> dict[str, Decimal]:
    """Every balance BOT_USER can have, in one query; zero where no account exists yet."""
    balances = {
        balance_name(kind=kind, currency=currency): ZERO
        for kind, currency in USER_ACCOUNT_CURRENCY.items()
    }
    rows = Account.objects.filter(owner=bot_user).values_list("kind", "currency", "balance")
    for kind, currency, balance in rows:
        balances[balance_name(kind=kind, currency=currency)] = balance
    return balances


def account_statement(account: Account, limit: int = 50) -> QuerySet[Entry]:
    """ACCOUNT's newest LIMIT entries, newest first, with their transactions."""
    return (
        Entry.objects.filter(account=account).select_related("transaction").order_by("-id")[:limit]
    )
