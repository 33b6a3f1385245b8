"""Paying approved withdrawals through Flutterwave, exactly once.

1. Claim: approved -> sending, with the attempt's reference stored (and committed) before the
   call. 2. Call POST /v3/transfers once. 3. Record what came back: NEW/PENDING -> sent; a
   definite refusal -> failed; no clear answer (timeout, 5xx, dropped connection, duplicate
   reference) -> unknown, then looked up by that same reference. Nothing is ever sent again under
   a new reference while an outcome is unknown: only finance's "retry" starts a new attempt,
   and only after Flutterwave confirmed the last one failed.
A worker that dies between the call and the record leaves the row in "sending"; the status sync
treats a stale "sending" like "unknown" and asks Flutterwave by reference.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from apps.audit.actors import Actor
from apps.common.db.connections import release_connection
from apps.common.http.errors import CircuitOpenError, ProviderError
from apps.ledger.services import settle_hold
from apps.withdrawals import notifications
from apps.withdrawals.limits import paid_out_today_ngn
from apps.withdrawals.models import PayoutAttempt, PayoutMode, Status, Withdrawal
from apps.withdrawals.services.transitions import move

logger = logging.getLogger(__name__)
PAYOUTS = Actor.system("payout-worker")
SYNC = Actor.system("payout-status-sync")
# A "sending" row older than this lost its worker: its transfer may exist, so look it up.
STALE_SENDING = timedelta(minutes=2)
# Flutterwave not knowing our reference this long after the call means it was never created.
NOT_FOUND_GRACE = timedelta(minutes=30)
NARRATION = "ViralCore withdrawal W-{pk}"


def send_payout(withdrawal_id: int) -> str:
    """Pay one approved automatic withdrawal; returns what happened. Safe to run twice."""
    if not _within_rate_limit():
        return "rate_limited"
    attempt = _claim(withdrawal_id)
    if isinstance(attempt, str):
        return attempt
    from apps.purchases.clients.flutterwave import (
        DuplicateReference,
        TransferRefused,
        build_flutterwave_client,
    )

    withdrawal = attempt.withdrawal
    release_connection()  # the reference is committed; hold no connection while Flutterwave works
    try:
        with build_flutterwave_client() as client:
            transfer = client.create_transfer(
                reference=attempt.reference,
                bank_code=withdrawal.bank_code,
                account_number=withdrawal.account_number,
                amount_ngn=withdrawal.amount_ngn,
                narration=NARRATION.format(pk=withdrawal.pk),
            )
    except TransferRefused as refusal:
        _record_refusal(attempt, str(_provider_message(refusal)))
        return "failed"
    except CircuitOpenError:
        # The breaker refused before anything was sent: nothing can exist at Flutterwave, so
        # the withdrawal goes back to approved and a later attempt gets a new reference.
        _not_sent(attempt)
        return "provider_down"
    except (DuplicateReference, ProviderError) as error:
        # No clear answer: the transfer may exist. Look it up; never send it again.
        logger.warning("payout %s: outcome unknown: %s", attempt.reference, error)
        _mark_unknown(attempt, str(error))
        return sync_payout(withdrawal_id)
    return _record_transfer(withdrawal_id, attempt, transfer, actor=PAYOUTS)


def _within_rate_limit() -> bool:
    minute = int(timezone.now().timestamp() // 60)
    key = f"withdrawals:payouts:{minute}"
    cache.add(key, 0, timeout=120)
    return cache.incr(key) <= settings.FLUTTERWAVE_PAYOUTS_PER_MINUTE


@transaction.atomic
def _claim(withdrawal_id: int) -> PayoutAttempt | str:
    withdrawal = (
        Withdrawal.objects.select_for_update(of=("self",))
        .select_related("user")
        .get(pk=withdrawal_id)
    )
    if withdrawal.status != Status.APPROVED or withdrawal.payout_mode != PayoutMode.AUTOMATIC:
        return "not_due"
    cap = settings.WITHDRAWAL_DAILY_PAYOUT_CAP_NGN
    if paid_out_today_ngn() + withdrawal.amount_ngn > cap:
        logger.warning("payout W-%s waits: the daily payout cap is reached", withdrawal.pk)
        return "daily_cap"
    number = withdrawal.attempt + 1
    attempt = PayoutAttempt.objects.create(
        withdrawal=withdrawal,
        number=number,
        reference=f"VCW-{withdrawal.pk}-{number}",
        amount_ngn=withdrawal.amount_ngn,
    )
    move(
        withdrawal,
        Status.SENDING,
        actor=PAYOUTS,
        current=Status.APPROVED,
        attempt=number,
        sent_at=timezone.now(),
    )
    attempt.withdrawal = withdrawal
    return attempt


@transaction.atomic
def _record_refusal(attempt: PayoutAttempt, message: str) -> None:
    PayoutAttempt.objects.filter(pk=attempt.pk).update(provider_status="FAILED", message=message)
    withdrawal = _fail(attempt.withdrawal, Status.SENDING, message, actor=PAYOUTS)
    if withdrawal is not None:
        notifications.payout_failed_for_finance(withdrawal)


@transaction.atomic
def _not_sent(attempt: PayoutAttempt) -> None:
    PayoutAttempt.objects.filter(pk=attempt.pk).update(
        provider_status="NOT_SENT", message="Not sent: Flutterwave's circuit breaker is open."
    )
    move(attempt.withdrawal, Status.APPROVED, actor=PAYOUTS, current=Status.SENDING)


@transaction.atomic
def _mark_unknown(attempt: PayoutAttempt, note: str) -> None:
    PayoutAttempt.objects.filter(pk=attempt.pk).update(message=note[:255])
    move(
        attempt.withdrawal,
        Status.UNKNOWN,
        actor=PAYOUTS,
        current=Status.SENDING,
        next_check_at=timezone.now(),
    )


def sync_payout(withdrawal_id: int, *, now=None) -> str:
    """Ask Flutterwave what became of the current attempt of a sent/unknown/stale withdrawal."""
    from apps.purchases.clients.flutterwave import build_flutterwave_client

    now = now or timezone.now()
    withdrawal = Withdrawal.objects.select_related("user").get(pk=withdrawal_id)
    if not _needs_sync(withdrawal, now):
        return "not_due"
    attempt = withdrawal.attempts.get(number=withdrawal.attempt)
    release_connection()
    try:
        with build_flutterwave_client() as client:
            transfer = client.find_transfer(attempt.reference)
    except ProviderError as error:
        logger.warning("payout %s: status unavailable: %s", attempt.reference, error)
        Withdrawal.objects.filter(pk=withdrawal.pk).update(next_check_at=now + timedelta(minutes=1))
        return "provider_down"
    if transfer is None:
        return _not_found(withdrawal, attempt, now)
    return _record_transfer(withdrawal.pk, attempt, transfer, actor=SYNC)


def _needs_sync(withdrawal: Withdrawal, now) -> bool:
    if withdrawal.status in (Status.SENT, Status.UNKNOWN):
        return True
    stale = withdrawal.sent_at is not None and now - withdrawal.sent_at >= STALE_SENDING
    return withdrawal.status == Status.SENDING and stale


@transaction.atomic
def _not_found(withdrawal: Withdrawal, attempt: PayoutAttempt, now) -> str:
    if now - (withdrawal.sent_at or now) < NOT_FOUND_GRACE:
        Withdrawal.objects.filter(pk=withdrawal.pk).update(next_check_at=now + timedelta(minutes=1))
        return "waiting"
    message = f"Flutterwave has no transfer with reference {attempt.reference}."
    PayoutAttempt.objects.filter(pk=attempt.pk).update(provider_status="NOT_FOUND", message=message)
    failed = _fail(withdrawal, withdrawal.status, message, actor=SYNC)
    if failed is not None:
        notifications.payout_failed_for_finance(failed)
    return "failed"


@transaction.atomic
def _record_transfer(withdrawal_id: int, attempt: PayoutAttempt, transfer, *, actor) -> str:
    withdrawal = (
        Withdrawal.objects.select_for_update(of=("self",))
        .select_related("user")
        .get(pk=withdrawal_id)
    )
    PayoutAttempt.objects.filter(pk=attempt.pk).update(
        transfer_id=transfer.id,
        provider_status=transfer.status,
        message=(transfer.complete_message or "")[:255],
    )
    if withdrawal.attempt != attempt.number:
        return "stale_attempt"
    if transfer.status == "SUCCESSFUL":
        return _paid(withdrawal, transfer, actor)
    if transfer.status == "FAILED":
        failed = _fail(
            withdrawal, withdrawal.status, transfer.complete_message or "FAILED", actor=actor
        )
        if failed is not None:
            notifications.payout_failed_for_finance(failed)
        return "failed"
    if withdrawal.status in (Status.SENDING, Status.UNKNOWN):
        move(withdrawal, Status.SENT, actor=actor, transfer_id=transfer.id, next_check_at=None)
    return "sent"


def _paid(withdrawal: Withdrawal, transfer, actor) -> str:
    if withdrawal.status not in (Status.SENDING, Status.UNKNOWN, Status.SENT):
        return "already_final"
    withdrawal = move(
        withdrawal,
        Status.PAID,
        actor=actor,
        transfer_id=transfer.id,
        closed_at=timezone.now(),
        next_check_at=None,
    )
    settle_hold(reference=withdrawal.hold_reference, actor=actor)
    notifications.paid(withdrawal)
    return "paid"


def _fail(withdrawal: Withdrawal, current: str, message: str, *, actor) -> Withdrawal | None:
    if current not in (Status.SENDING, Status.UNKNOWN, Status.SENT):
        return None
    return move(
        withdrawal,
        Status.FAILED,
        actor=actor,
        current=current,
        reason=message[:255],
        next_check_at=None,
    )


def _provider_message(refusal) -> str:
    body = getattr(refusal, "body", None)
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return body["message"]
    return str(refusal)


def due_for_sync(now=None) -> list[int]:
    now = now or timezone.now()
    waiting = Withdrawal.objects.filter(status__in=(Status.SENT, Status.UNKNOWN))
    stale = Withdrawal.objects.filter(status=Status.SENDING, sent_at__lte=now - STALE_SENDING)
    ids = list(waiting.values_list("pk", flat=True)[:500])
    return ids + list(stale.values_list("pk", flat=True)[:100])


def lost_approvals(now=None) -> list[int]:
    """Approved automatic payouts nobody picked up (a lost task, a flushed broker)."""
    cutoff = (now or timezone.now()) - timedelta(minutes=1)
    lost = Withdrawal.objects.filter(
        status=Status.APPROVED, payout_mode=PayoutMode.AUTOMATIC, approved_at__lte=cutoff
    )
    return list(lost.values_list("pk", flat=True)[:500])
