"""A bot user asks to be paid out; the amount is held at once. The user may cancel while waiting."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.audit.services import record_event
from apps.ledger.errors import InsufficientFunds
from apps.ledger.selectors import balances_for
from apps.ledger.services import hold_funds, release_hold, user_account
from apps.withdrawals import limits, notifications
from apps.withdrawals.amounts import ngn_to_usd, usd_to_ngn
from apps.withdrawals.errors import WithdrawalRefused
from apps.withdrawals.models import BalanceKind, Status, Withdrawal
from apps.withdrawals.services.transitions import move


@dataclass(frozen=True)
class BankAccount:
    bank_code: str
    bank_name: str
    account_number: str
    account_name: str


@dataclass(frozen=True)
class Rate:
    """USD -> NGN at the time the user saw it; recorded on the withdrawal."""

    ngn_per_usd: Decimal
    source: str
    at: datetime


def available(user, balance: str) -> Decimal:
    key = "affiliate_usd" if balance == BalanceKind.AFFILIATE else "earnings_ngn"
    return balances_for(user)[key]


def amounts(balance: str, amount: Decimal, rate: Rate) -> tuple[Decimal, Decimal]:
    """(amount in NGN paid out, USD value for the limits) of AMOUNT of BALANCE."""
    if balance == BalanceKind.AFFILIATE:
        return usd_to_ngn(amount, rate.ngn_per_usd), amount
    return amount, ngn_to_usd(amount, rate.ngn_per_usd)


def request_withdrawal(
    *, user, balance: str, amount: Decimal, bank: BankAccount, rate: Rate
) -> Withdrawal:
    """Create the request and hold AMOUNT of BALANCE; WithdrawalRefused says why not."""
    if balance not in BalanceKind.values:
        raise WithdrawalRefused("Choose the balance to withdraw from.")
    amount_ngn, amount_usd = amounts(balance, amount, rate)
    limits.check_request(
        user=user,
        balance=balance,
        amount=amount,
        amount_usd=amount_usd,
        available=available(user, balance),
    )
    try:
        with transaction.atomic():
            return _create_and_hold(user, balance, amount, amount_ngn, amount_usd, bank, rate)
    except InsufficientFunds:
        raise WithdrawalRefused("Your balance changed meanwhile; it is not enough now.") from None
    except IntegrityError:
        # The partial unique index: another request of this user won the race.
        raise WithdrawalRefused("You already have a withdrawal in progress.") from None


def _create_and_hold(user, balance, amount, amount_ngn, amount_usd, bank, rate) -> Withdrawal:
    withdrawal = Withdrawal.objects.create(
        user=user,
        balance=balance,
        amount=amount,
        currency="USD" if balance == BalanceKind.AFFILIATE else "NGN",
        amount_ngn=amount_ngn,
        amount_usd=amount_usd,
        fx_rate=rate.ngn_per_usd,
        fx_source=rate.source,
        fx_at=rate.at,
        needs_second_approval=amount_usd > settings.WITHDRAWAL_DUAL_APPROVAL_USD,
        **vars(bank),
    )
    hold_funds(
        account=user_account(owner=user, kind=balance),
        amount=amount,
        reference=withdrawal.hold_reference,
        actor=user,
    )
    record_event(
        actor=user,
        action="withdrawal.requested",
        object_type="withdrawals.withdrawal",
        object_id=withdrawal.pk,
        after={
            "amount": str(amount),
            "currency": withdrawal.currency,
            "amount_ngn": str(amount_ngn),
            "fx_rate": str(rate.ngn_per_usd),
            "bank_code": bank.bank_code,
            "account": withdrawal.masked_account,
            "needs_second_approval": withdrawal.needs_second_approval,
        },
        search_terms=[user.telegram_id, bank.account_number[-4:]],
    )
    notifications.requested(withdrawal)
    return withdrawal


@transaction.atomic
def cancel_withdrawal(*, withdrawal: Withdrawal, actor) -> Withdrawal:
    """The user takes it back while it still waits for approval; the hold is released."""
    if actor != withdrawal.user:
        raise WithdrawalRefused("This withdrawal is not yours.")
    if withdrawal.status != Status.REQUESTED:
        raise WithdrawalRefused("It is already being processed and can no longer be cancelled.")
    withdrawal = move(
        withdrawal,
        Status.CANCELLED,
        actor=actor,
        current=Status.REQUESTED,
        closed_at=timezone.now(),
    )
    release_hold(reference=withdrawal.hold_reference, actor=actor, reason="Cancelled by the user")
    notifications.cancelled(withdrawal)
    return withdrawal
