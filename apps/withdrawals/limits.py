"""The rules a withdrawal request must pass before money is held. Reads only.

Amounts arrive as Decimal already parsed (apps/withdrawals/amounts.py); the ledger hold is the
last line against spending a balance twice, these checks give the user a clear reason first.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Sum
from django.utils import timezone

from apps.withdrawals.errors import WithdrawalRefused
from apps.withdrawals.models import OPEN_STATUSES, BalanceKind, Status, Withdrawal

NOT_COUNTED = (Status.REJECTED, Status.CANCELLED)


def check_request(*, user, balance: str, amount: Decimal, amount_usd: Decimal, available: Decimal):
    _check_amount(balance, amount, amount_usd, available)
    _check_open(user)
    _check_velocity(user, amount_usd)


def _check_amount(balance, amount, amount_usd, available) -> None:
    currency = "USD" if balance == BalanceKind.AFFILIATE else "NGN"
    minimum = (
        settings.WITHDRAWAL_MIN_USD
        if balance == BalanceKind.AFFILIATE
        else settings.WITHDRAWAL_MIN_NGN
    )
    if amount < minimum:
        raise WithdrawalRefused(f"The minimum withdrawal is {currency} {minimum:,.2f}.")
    if amount_usd > settings.WITHDRAWAL_MAX_USD:
        raise WithdrawalRefused(
            f"The maximum per withdrawal is USD {settings.WITHDRAWAL_MAX_USD:,.2f} "
            "(or its naira equivalent)."
        )
    if amount > available:
        raise WithdrawalRefused(f"You only have {currency} {available:,.2f} available.")


def _check_open(user) -> None:
    waiting = Withdrawal.objects.filter(user=user, status__in=OPEN_STATUSES).exists()
    unresolved = Withdrawal.objects.filter(user=user, status=Status.FAILED, refunded_at=None)
    if waiting or unresolved.exists():
        raise WithdrawalRefused(
            "You already have a withdrawal in progress. You can request another once it is done."
        )


def _check_velocity(user, amount_usd: Decimal) -> None:
    now = timezone.now()
    recent = Withdrawal.objects.filter(user=user).exclude(status__in=NOT_COUNTED)
    last_hour = recent.filter(requested_at__gte=now - timedelta(hours=1)).count()
    if last_hour >= settings.WITHDRAWAL_MAX_PER_HOUR:
        raise WithdrawalRefused("Too many withdrawal requests this hour. Please try again later.")
    day = recent.filter(requested_at__gte=now - timedelta(days=1))
    spent = day.aggregate(total=Sum("amount_usd"))["total"] or Decimal(0)
    if spent + amount_usd > settings.WITHDRAWAL_MAX_USD_PER_DAY:
        raise WithdrawalRefused(
            f"Withdrawals are limited to USD {settings.WITHDRAWAL_MAX_USD_PER_DAY:,.2f} "
            "(or its naira equivalent) a day. Please try again tomorrow."
        )


def paid_out_today_ngn(now=None) -> Decimal:
    """Naira sent or being sent today (UTC): what the global daily cap counts."""
    start = (now or timezone.now()).replace(hour=0, minute=0, second=0, microsecond=0)
    going = Withdrawal.objects.filter(
        sent_at__gte=start,
        status__in=(Status.SENDING, Status.SENT, Status.UNKNOWN, Status.PAID),
    )
    return going.aggregate(total=Sum("amount_ngn"))["total"] or Decimal(0)
