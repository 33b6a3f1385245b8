"""What the bot shows a user about their money, read from the ledger."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Sum

from apps.ledger.models import AccountKind, Entry, TransactionKind
from apps.ledger.selectors import balances_for

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class AffiliateSummary:
    referrals: int
    commission_earned: Decimal
    balance: Decimal


@dataclass(frozen=True)
class BalanceSummary:
    affiliate_usd: Decimal
    earnings_ngn: Decimal
    # ("T2 @account", posts left) per plan and account with credits left.
    credits: list[tuple[str, int]] = field(default_factory=list)


def affiliate_summary(bot_user) -> AffiliateSummary:
    earned = Entry.objects.filter(
        account__owner=bot_user,
        account__kind=AccountKind.AFFILIATE,
        transaction__kind=TransactionKind.COMMISSION,
        amount__gt=0,
    ).aggregate(total=Sum("amount"))["total"]
    return AffiliateSummary(
        referrals=bot_user.referrals.count(),
        commission_earned=earned or ZERO,
        balance=balances_for(bot_user)["affiliate_usd"],
    )


def balance_summary(bot_user) -> BalanceSummary:
    from apps.purchases.selectors import credits_left

    balances = balances_for(bot_user)
    return BalanceSummary(
        affiliate_usd=balances["affiliate_usd"],
        earnings_ngn=balances["earnings_ngn"],
        credits=credits_left(bot_user),
    )
