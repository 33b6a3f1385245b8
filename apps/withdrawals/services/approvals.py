"""Finance decides: approve (one or two people), reject, pay by hand, retry or refund a failure.

Every rule is here, so the admin, the staff API and any script obey the same ones. Rows are
locked before they are judged, so two approvers racing each other get one approval and a clear
"someone else acted first" for the other.
"""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.audit.services import record_event
from apps.ledger.services import release_hold, settle_hold
from apps.withdrawals import notifications
from apps.withdrawals.errors import NotWaiting, WithdrawalRefused
from apps.withdrawals.models import Approval, PayoutMode, Status, Withdrawal
from apps.withdrawals.services.transitions import move

APPROVE = "users.approve_withdrawal"
SECOND_APPROVE = "users.second_approve_withdrawal"
RETRY = "users.retry_payout"


def _require(actor, permission: str, doing: str) -> None:
    if not isinstance(actor, AbstractBaseUser) or not actor.is_active or not actor.is_staff:
        raise WithdrawalRefused(f"Only staff members may {doing}.")
    if not actor.has_perm(permission):
        raise WithdrawalRefused(f"{actor.get_username()} may not {doing} ({permission}).")


def _locked(withdrawal: Withdrawal) -> Withdrawal:
    return (
        Withdrawal.objects.select_for_update(of=("self",))
        .select_related("user")
        .get(pk=withdrawal.pk)
    )


def _refuse_tied(withdrawal: Withdrawal, actor) -> None:
    user = withdrawal.user
    if user.staff_user_id == actor.pk:
        raise WithdrawalRefused("You cannot approve a withdrawal from your own bot account.")
    referrer = user.referrer
    if referrer is not None and referrer.staff_user_id == actor.pk:
        raise WithdrawalRefused("You cannot approve a withdrawal of a user you referred.")


@transaction.atomic
def approve_withdrawal(*, withdrawal: Withdrawal, actor, payout_mode: str) -> Withdrawal:
    """Record ACTOR's approval; the request is approved once enough different people agree."""
    _require(actor, APPROVE, "approve withdrawals")
    if payout_mode not in PayoutMode.values:
        raise WithdrawalRefused("Choose automatic (Flutterwave) or manual payout.")
    withdrawal = _locked(withdrawal)
    if withdrawal.status != Status.REQUESTED:
        raise NotWaiting(
            f"W-{withdrawal.pk} is {withdrawal.get_status_display().lower()}; "
            "only a waiting withdrawal can be approved."
        )
    _refuse_tied(withdrawal, actor)
    approvals = list(withdrawal.approvals.all())
    if any(approval.approver_id == actor.pk for approval in approvals):
        raise WithdrawalRefused("You have already approved this withdrawal; someone else must.")
    if approvals:
        _require(actor, SECOND_APPROVE, "give the second approval")
    try:
        with transaction.atomic():
            Approval.objects.create(withdrawal=withdrawal, approver=actor, payout_mode=payout_mode)
    except IntegrityError:
        raise WithdrawalRefused("You have already approved this withdrawal.") from None
    needed = 2 if withdrawal.needs_second_approval else 1
    if len(approvals) + 1 < needed:
        _record_first_approval(withdrawal, actor, payout_mode)
        return withdrawal
    withdrawal = move(
        withdrawal,
        Status.APPROVED,
        actor=actor,
        current=Status.REQUESTED,
        payout_mode=payout_mode,
        approved_at=timezone.now(),
    )
    notifications.approved(withdrawal)
    if payout_mode == PayoutMode.AUTOMATIC:
        _enqueue_payout(withdrawal)
    return withdrawal


def _record_first_approval(withdrawal: Withdrawal, actor, payout_mode: str) -> None:
    record_event(
        actor=actor,
        action="withdrawal.first_approval",
        object_type="withdrawals.withdrawal",
        object_id=withdrawal.pk,
        after={"payout_mode": payout_mode, "approvals": 1, "needed": 2},
        search_terms=[withdrawal.user.telegram_id],
    )


def _enqueue_payout(withdrawal: Withdrawal) -> None:
    from apps.withdrawals.tasks import send_payout

    transaction.on_commit(lambda: send_payout.delay(withdrawal.pk))


@transaction.atomic
def reject_withdrawal(*, withdrawal: Withdrawal, actor, reason: str) -> Withdrawal:
    """Refuse a waiting request; the user sees REASON and gets the held money back."""
    _require(actor, APPROVE, "reject withdrawals")
    reason = (reason or "").strip()
    if not reason:
        raise WithdrawalRefused("A rejection needs a reason; the user will read it.")
    withdrawal = _locked(withdrawal)
    withdrawal = move(
        withdrawal,
        Status.REJECTED,
        actor=actor,
        current=Status.REQUESTED,
        reason=reason[:255],
        closed_at=timezone.now(),
    )
    release_hold(reference=withdrawal.hold_reference, actor=actor, reason=f"Rejected: {reason}")
    notifications.rejected(withdrawal)
    return withdrawal


@transaction.atomic
def mark_paid_manually(*, withdrawal: Withdrawal, actor, bank_reference: str) -> Withdrawal:
    """Finance paid outside Flutterwave (manual mode, or after a failure): settle the hold."""
    _require(actor, RETRY, "record manual payments")
    bank_reference = (bank_reference or "").strip()
    if not bank_reference:
        raise WithdrawalRefused("Enter the bank's reference of the payment.")
    withdrawal = _locked(withdrawal)
    manual_ok = withdrawal.status == Status.APPROVED and withdrawal.payout_mode == PayoutMode.MANUAL
    failed_ok = withdrawal.status == Status.FAILED and withdrawal.refunded_at is None
    if not (manual_ok or failed_ok):
        raise NotWaiting(
            "Only an approved manual withdrawal, or a failed one not refunded, can be marked paid."
        )
    withdrawal = move(
        withdrawal,
        Status.PAID_MANUALLY,
        actor=actor,
        bank_reference=bank_reference[:100],
        closed_at=timezone.now(),
    )
    settle_hold(reference=withdrawal.hold_reference, actor=actor)
    notifications.paid(withdrawal)
    return withdrawal


@transaction.atomic
def retry_payout(*, withdrawal: Withdrawal, actor) -> Withdrawal:
    """A new payout attempt, allowed only once Flutterwave confirmed the last one failed."""
    _require(actor, RETRY, "retry payouts")
    withdrawal = _locked(withdrawal)
    if withdrawal.status != Status.FAILED or withdrawal.refunded_at is not None:
        raise NotWaiting("Only a failed payout that was not refunded can be retried.")
    last = withdrawal.attempts.order_by("-number").first()
    if last is not None and last.provider_status not in ("FAILED", "NOT_FOUND"):
        raise WithdrawalRefused(
            "Flutterwave has not confirmed that the last transfer failed; it cannot be retried."
        )
    withdrawal = move(
        withdrawal,
        Status.APPROVED,
        actor=actor,
        payout_mode=PayoutMode.AUTOMATIC,
        reason="",
        closed_at=None,
    )
    _enqueue_payout(withdrawal)
    return withdrawal


@transaction.atomic
def refund_failed(*, withdrawal: Withdrawal, actor) -> Withdrawal:
    """Give a failed payout's money back to the user's balance (the withdrawal stays failed)."""
    _require(actor, RETRY, "refund failed payouts")
    withdrawal = _locked(withdrawal)
    if withdrawal.status != Status.FAILED or withdrawal.refunded_at is not None:
        raise NotWaiting("Only a failed payout that was not refunded yet can be refunded.")
    now = timezone.now()
    Withdrawal.objects.filter(pk=withdrawal.pk).update(refunded_at=now, closed_at=now)
    release_hold(reference=withdrawal.hold_reference, actor=actor, reason="Payout failed: refunded")
    record_event(
        actor=actor,
        action="withdrawal.refunded",
        object_type="withdrawals.withdrawal",
        object_id=withdrawal.pk,
        before={"status": Status.FAILED, "refunded": False},
        after={"status": Status.FAILED, "refunded": True},
        search_terms=[withdrawal.user.telegram_id],
    )
    withdrawal.refresh_from_db()
    notifications.refunded(withdrawal)
    return withdrawal
