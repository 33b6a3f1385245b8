"""Holds: money set aside for a withdrawal so it cannot be spent twice.

hold_funds moves the amount from the user to "withdrawals held"; settle_hold moves it on to
"payouts sent" once paid; release_hold gives it back. Each step has its own idempotency key
derived from the hold reference, so a retried or doubled call applies once.

Lock order everywhere: the hold row, then the accounts (inside the posting), then the audit
chain head. A hold is resolved by a compare-and-swap in the same transaction as its posting,
so a settle and a release racing each other cannot both move money.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from apps.audit.services import record_event
from apps.ledger.errors import (
    HoldAlreadyResolved,
    HoldError,
    HoldNotFound,
    IdempotencyConflict,
    UnknownAccount,
)
from apps.ledger.models import (
    HOLD_TRANSITIONS,
    Account,
    AccountKind,
    Hold,
    HoldStatus,
    TransactionKind,
)
from apps.ledger.services.accounts import system_account
from apps.ledger.services.posting import post
from apps.ledger.services.transitions import compare_and_swap
from apps.ledger.services.validation import check_positive, required_text

OBJECT_TYPE = "ledger_hold"
MAX_REFERENCE_LENGTH = Hold._meta.get_field("reference").max_length


def hold_funds(*, account: Account, amount: Decimal, reference: str, actor) -> Hold:
    """Set AMOUNT of ACCOUNT aside under REFERENCE; calling again with the same returns it."""
    reference = _check_reference(reference)
    _check_user_account(account)
    amount = check_positive(amount, currency=account.currency, what="hold amount")
    with transaction.atomic():
        held = system_account(kind=AccountKind.WITHDRAWALS_HELD, currency=account.currency)
        try:
            posted = post(
                idempotency_key=f"hold:{reference}",
                kind=TransactionKind.WITHDRAWAL_HOLD,
                entries=[(account, -amount), (held, amount)],
                actor=actor,
                memo=f"Withdrawal hold {reference}",
            )
        except IdempotencyConflict:
            raise HoldError(
                f"Hold reference {reference!r} is already used by a different hold."
            ) from None
        if not posted.created:
            placed = Hold.objects.filter(hold_transaction=posted.transaction).first()
            if placed is None:  # the key was posted by hand, not by hold_funds
                raise HoldError(f"Key hold:{reference} was posted without a hold.")
            return placed
        hold = Hold.objects.create(
            reference=reference,
            account=account,
            amount=amount,
            currency=account.currency,
            hold_transaction=posted.transaction,
        )
        _record(hold, actor=actor, action="ledger.hold_placed", before=None)
    return hold


def settle_hold(*, reference: str, actor) -> Hold:
    """The held money was paid out: move it to "payouts sent". Settling twice is a no-op."""
    return _resolve(
        reference=reference,
        actor=actor,
        outcome=HoldStatus.SETTLED,
        reason="",
    )


def release_hold(*, reference: str, actor, reason: str) -> Hold:
    """The withdrawal will not be paid: give the money back. Releasing twice is a no-op."""
    reason = required_text(reason, what="reason for releasing the hold", error=HoldError)
    return _resolve(
        reference=reference,
        actor=actor,
        outcome=HoldStatus.RELEASED,
        reason=reason,
    )


def _resolve(*, reference: str, actor, outcome: str, reason: str) -> Hold:
    reference = _check_reference(reference)
    with transaction.atomic():
        hold = _locked_hold(reference)
        if hold.status == outcome:
            return hold  # a retry, or the twin of a concurrent call that got here first
        if outcome not in HOLD_TRANSITIONS[hold.status]:
            verb = "settled" if outcome == HoldStatus.SETTLED else "released"
            raise HoldAlreadyResolved(
                f"Hold {reference} was already {hold.status}; it cannot be {verb} as well."
            )
        posted = post(**_resolution_posting(hold, outcome=outcome, actor=actor, reason=reason))
        now = timezone.now()
        swapped = compare_and_swap(
            Hold,
            pk=hold.pk,
            table=HOLD_TRANSITIONS,
            current=HoldStatus.HELD,
            new=outcome,
            resolution_transaction=posted.transaction,
            resolved_at=now,
        )
        if not swapped:  # only without row locks (never on PostgreSQL): roll the posting back
            raise HoldAlreadyResolved(f"Hold {reference} was resolved by someone else meanwhile.")
        hold.status, hold.resolved_at = outcome, now
        hold.resolution_transaction = posted.transaction
        action = "ledger.hold_settled" if outcome == HoldStatus.SETTLED else "ledger.hold_released"
        _record(hold, actor=actor, action=action, before={"status": HoldStatus.HELD}, reason=reason)
    return hold


def _resolution_posting(hold: Hold, *, outcome: str, actor, reason: str) -> dict:
    held = system_account(kind=AccountKind.WITHDRAWALS_HELD, currency=hold.currency)
    if outcome == HoldStatus.SETTLED:
        destination = system_account(kind=AccountKind.PAYOUTS_SENT, currency=hold.currency)
        key, kind, memo = (
            f"settle:{hold.reference}",
            TransactionKind.WITHDRAWAL_SETTLE,
            f"Withdrawal paid {hold.reference}",
        )
    else:
        destination = hold.account
        key, kind, memo = (
            f"release:{hold.reference}",
            TransactionKind.WITHDRAWAL_RELEASE,
            reason,
        )
    return {
        "idempotency_key": key,
        "kind": kind,
        "entries": [(held, -hold.amount), (destination, hold.amount)],
        "actor": actor,
        "memo": memo,
    }


def _locked_hold(reference: str) -> Hold:
    hold = (
        Hold.objects.select_related("account__owner")
        .select_for_update(of=("self",))
        .filter(reference=reference)
        .first()
    )
    if hold is None:
        raise HoldNotFound(f"No hold has reference {reference!r}.")
    return hold


def _record(hold: Hold, *, actor, action: str, before, reason: str = "") -> None:
    owner = hold.account.owner
    record_event(
        actor=actor,
        action=action,
        object_type=OBJECT_TYPE,
        object_id=hold.pk,
        before=before,
        after={
            "reference": hold.reference,
            "status": hold.status,
            "account": hold.account_id,
            "owner_telegram_id": owner.telegram_id,
            "amount": str(hold.amount),
            "currency": hold.currency,
            "hold_transaction": hold.hold_transaction_id,
            "resolution_transaction": hold.resolution_transaction_id,
        },
        reason=reason,
        search_terms=[hold.reference, owner.telegram_id],
    )


def _check_reference(reference) -> str:
    if not isinstance(reference, str) or not reference.strip() or reference != reference.strip():
        raise HoldError(
            f"A hold reference must be non-blank text without outer spaces: {reference!r}."
        )
    if len(reference) > MAX_REFERENCE_LENGTH:
        raise HoldError(f"Hold references are at most {MAX_REFERENCE_LENGTH} characters.")
    return reference


def _check_user_account(account) -> None:
    if not isinstance(account, Account) or account.pk is None:
        raise UnknownAccount("A hold needs a saved ledger account.")
    if not account.is_user_account:
        raise HoldError(f"Holds are placed on user accounts, not on {account}.")
