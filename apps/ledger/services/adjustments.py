"""Staff balance adjustments, maker-checker: one staff member proposes, another approves.

Money moves only at approval, against the system "adjustments" account of the currency, with
the idempotency key adjustment:<id>. The approval locks the adjustment row first, then the
posting locks the accounts and the audit chain head: the same order as every other service.
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from apps.audit.services import record_event
from apps.ledger.errors import (
    AdjustmentAlreadyDecided,
    AdjustmentError,
    AdjustmentPermissionDenied,
    UnknownAccount,
)
from apps.ledger.models import (
    ADJUSTMENT_TRANSITIONS,
    Account,
    AccountKind,
    Adjustment,
    AdjustmentDirection,
    AdjustmentStatus,
    TransactionKind,
)
from apps.ledger.services.accounts import system_account
from apps.ledger.services.posting import post
from apps.ledger.services.transitions import compare_and_swap
from apps.ledger.services.validation import check_positive, required_text

PROPOSE_PERMISSION = "users.propose_adjustment"
APPROVE_PERMISSION = "users.approve_adjustment"
OBJECT_TYPE = "ledger_adjustment"


def propose_adjustment(
    *, account: Account, direction: str, amount: Decimal, reason: str, actor
) -> Adjustment:
    """Record a proposed credit or debit of a user balance; nothing moves until approval."""
    _require_capability(actor, PROPOSE_PERMISSION, doing="propose balance adjustments")
    _check_adjustable(account)
    if direction not in AdjustmentDirection.values:
        raise AdjustmentError(f"Direction must be credit or debit, not {direction!r}.")
    amount = check_positive(amount, currency=account.currency, what="adjustment amount")
    reason = required_text(reason, what="reason for the adjustment", error=AdjustmentError)
    with transaction.atomic():
        adjustment = Adjustment.objects.create(
            account=account,
            direction=direction,
            amount=amount,
            reason=reason,
            proposed_by=actor,
        )
        _record(adjustment, actor=actor, action="ledger.adjustment_proposed", reason=reason)
    return adjustment


def approve_adjustment(*, adjustment: Adjustment, actor) -> Adjustment:
    """Approve someone else's proposal and post it; a debit beyond the balance is refused."""
    _require_capability(actor, APPROVE_PERMISSION, doing="approve balance adjustments")
    _refuse_own(adjustment, actor)
    with transaction.atomic():
        locked = _locked_proposal(adjustment)
        posted = post(
            idempotency_key=f"adjustment:{locked.pk}",
            kind=TransactionKind.ADJUSTMENT,
            entries=_legs(locked),
            actor=actor,
            memo=locked.reason,
        )
        _decide(locked, actor=actor, outcome=AdjustmentStatus.APPROVED, note="", posted=posted)
    return locked


def reject_adjustment(*, adjustment: Adjustment, actor, note: str) -> Adjustment:
    """Turn a proposal down, saying why; no money moves."""
    _require_capability(actor, APPROVE_PERMISSION, doing="reject balance adjustments")
    note = required_text(note, what="note saying why it is rejected", error=AdjustmentError)
    with transaction.atomic():
        locked = _locked_proposal(adjustment)
        _decide(locked, actor=actor, outcome=AdjustmentStatus.REJECTED, note=note, posted=None)
    return locked


def _decide(adjustment: Adjustment, *, actor, outcome: str, note: str, posted) -> None:
    now = timezone.now()
    changes = {"decided_by": actor, "decided_at": now, "decision_note": note}
    if posted is not None:
        changes["transaction"] = posted.transaction
    swapped = compare_and_swap(
        Adjustment,
        pk=adjustment.pk,
        table=ADJUSTMENT_TRANSITIONS,
        current=AdjustmentStatus.PROPOSED,
        new=outcome,
        **changes,
    )
    if not swapped:  # only without row locks (never on PostgreSQL): roll everything back
        raise AdjustmentAlreadyDecided(f"Adjustment #{adjustment.pk} was decided meanwhile.")
    adjustment.status = outcome
    for name, value in changes.items():
        setattr(adjustment, name, value)
    action = f"ledger.adjustment_{outcome}"
    _record(adjustment, actor=actor, action=action, reason=note, before={"status": "proposed"})


def _legs(adjustment: Adjustment) -> list:
    account, amount = adjustment.account, adjustment.amount
    system = system_account(kind=AccountKind.ADJUSTMENTS, currency=account.currency)
    if adjustment.direction == AdjustmentDirection.CREDIT:
        return [(system, -amount), (account, amount)]
    return [(account, -amount), (system, amount)]


def _locked_proposal(adjustment: Adjustment) -> Adjustment:
    locked = (
        Adjustment.objects.select_related("account__owner", "proposed_by", "decided_by")
        .select_for_update(of=("self",))
        .get(pk=adjustment.pk)
    )
    if locked.status != AdjustmentStatus.PROPOSED:
        by = locked.decided_by.get_username() if locked.decided_by else "someone"
        raise AdjustmentAlreadyDecided(
            f"Adjustment #{locked.pk} was already {locked.status} by {by}."
        )
    return locked


def _require_capability(actor, permission: str, *, doing: str) -> None:
    if not isinstance(actor, AbstractBaseUser):
        raise AdjustmentPermissionDenied(
            f"Only staff members may {doing}, not a {type(actor).__name__}."
        )
    if not (actor.is_active and actor.is_staff and actor.has_perm(permission)):
        raise AdjustmentPermissionDenied(
            f"{actor.get_username()} may not {doing}: that needs the {permission} permission."
        )


def _refuse_own(adjustment: Adjustment, actor) -> None:
    if adjustment.proposed_by_id == actor.pk:
        raise AdjustmentPermissionDenied(
            f"You cannot approve your own adjustment (#{adjustment.pk}); "
            "another staff member must approve it."
        )


def _check_adjustable(account) -> None:
    if not isinstance(account, Account) or account.pk is None:
        raise UnknownAccount("An adjustment needs a saved ledger account.")
    if not account.is_user_account:
        raise AdjustmentError(f"Adjustments apply to user balances, not to {account}.")


def _record(adjustment: Adjustment, *, actor, action: str, reason: str, before=None) -> None:
    owner = adjustment.account.owner
    record_event(
        actor=actor,
        action=action,
        object_type=OBJECT_TYPE,
        object_id=adjustment.pk,
        before=before,
        after={
            "status": adjustment.status,
            "account": adjustment.account_id,
            "owner_telegram_id": owner.telegram_id,
            "direction": adjustment.direction,
            "amount": str(adjustment.amount),
            "currency": adjustment.account.currency,
            "reason": adjustment.reason,
            "proposed_by": adjustment.proposed_by.get_username(),
            "decided_by": adjustment.decided_by.get_username() if adjustment.decided_by else None,
            "transaction": adjustment.transaction_id,
        },
        reason=reason,
        search_terms=[owner.telegram_id],
    )
