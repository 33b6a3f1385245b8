"""Verify one claim: ask the chain (or Flutterwave) with no lock held, then apply the decision.

A claim is leased before the provider call (next_check_at moves forward with a compare-and-swap),
so two workers, or a task and the sweeper, never check the same claim at once. What the provider
answers is applied in one transaction that re-reads the claim under a row lock.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from apps.audit.actors import Actor
from apps.audit.services import record_event
from apps.common.db.connections import release_connection
from apps.common.http.errors import ProviderError
from apps.purchases import messages
from apps.purchases.chains.registry import chain_client
from apps.purchases.models import FLUTTERWAVE, ClaimStatus, InvoiceStatus, PaymentClaim
from apps.purchases.services import permissions
from apps.purchases.services.completion import complete_payment
from apps.purchases.verification import Accept, Reject, Wait, decide, decide_bank

logger = logging.getLogger(__name__)
VERIFIER = Actor.system("payment-verifier")
# A worker that dies mid-check gives the claim back after this long.
LEASE = timedelta(minutes=2)
MAX_BACKOFF = timedelta(minutes=5)


def verify_claim(claim_id: int, *, now=None) -> str:
    """Check a due, pending claim once; returns what happened ("verified", "waiting", …)."""
    now = now or timezone.now()
    if not _lease(claim_id, now):
        return "not_due"
    claim = PaymentClaim.objects.select_related("invoice", "user").get(pk=claim_id)
    release_connection()  # no database connection is held while the chain answers
    try:
        decision = _ask_provider(claim, now)
    except ProviderError as error:
        # The chain or Flutterwave is unreachable: wait, however long it takes; never fail
        # a user's payment because a provider is down.
        logger.warning("claim %s: provider unavailable: %s", claim_id, error)
        _reschedule(claim, now, f"Provider unavailable: {error}")
        return "provider_down"
    return _apply(claim, decision, now)


def due_claims(now=None, limit: int = 500) -> list[int]:
    now = now or timezone.now()
    pending = PaymentClaim.objects.filter(status=ClaimStatus.PENDING, next_check_at__lte=now)
    return list(pending.order_by("next_check_at").values_list("pk", flat=True)[:limit])


def _lease(claim_id: int, now) -> bool:
    return (
        PaymentClaim.objects.filter(
            pk=claim_id, status=ClaimStatus.PENDING, next_check_at__lte=now
        ).update(next_check_at=now + LEASE, attempts=F("attempts") + 1)
        == 1
    )


def _ask_provider(claim: PaymentClaim, now):
    invoice = claim.invoice
    if claim.network == FLUTTERWAVE:
        from apps.purchases.clients.flutterwave import build_flutterwave_client

        with build_flutterwave_client() as client:
            return decide_bank(invoice, client.verify_by_reference(claim.tx_hash))
    client = chain_client(claim.network)
    receipt = client.fetch_receipt(claim.tx_hash, deposit_address=invoice.deposit_address)
    return decide(invoice, receipt, now=now)


def _apply(claim: PaymentClaim, decision, now) -> str:
    if isinstance(decision, Accept):
        complete_payment(claim=claim, accepted=decision, actor=VERIFIER)
        return "verified"
    if isinstance(decision, Reject):
        _reject(claim, decision)
        return "rejected"
    if now >= claim.deadline_at:
        _fail(claim, decision)
        return "failed"
    _reschedule(claim, now, decision.message)
    return "waiting"


def _reschedule(claim: PaymentClaim, now, note: str) -> None:
    delay = min(timedelta(seconds=10 * 2 ** min(claim.attempts, 10)), MAX_BACKOFF)
    PaymentClaim.objects.filter(pk=claim.pk, status=ClaimStatus.PENDING).update(
        next_check_at=now + delay, last_error=note[:500]
    )
    from apps.purchases.tasks import verify_claim as verify_task

    verify_task.apply_async((claim.pk,), countdown=delay.total_seconds())


@transaction.atomic
def _reject(claim: PaymentClaim, decision: Reject) -> None:
    _close(claim, ClaimStatus.REJECTED, decision.code, decision.message)


@transaction.atomic
def _fail(claim: PaymentClaim, decision: Wait) -> None:
    message = (
        "We could not find this payment on the blockchain in time. If you did pay, "
        "contact @ViralCore_Support with your invoice number."
    )
    _close(claim, ClaimStatus.FAILED, decision.code, message)


def _close(claim: PaymentClaim, status: str, code: str, message: str) -> None:
    changed = PaymentClaim.objects.filter(pk=claim.pk, status=ClaimStatus.PENDING).update(
        status=status, reason=message[:255], last_error=code
    )
    if changed != 1:
        return
    invoice = claim.invoice
    # The invoice can take another hash while it is still valid (a typo in the hash is common).
    reopen = invoice.status == InvoiceStatus.VERIFYING and not invoice.is_expired()
    new_status = InvoiceStatus.OPEN if reopen else InvoiceStatus.FAILED
    invoice.__class__.objects.filter(pk=invoice.pk, status=InvoiceStatus.VERIFYING).update(
        status=new_status
    )
    record_event(
        actor=VERIFIER,
        action=f"payment.{status}",
        object_type="purchases.claim",
        object_id=claim.pk,
        before={"status": ClaimStatus.PENDING},
        after={"status": status, "code": code, "invoice_status": new_status},
        reason=message,
        search_terms=[claim.user.telegram_id, invoice.number, claim.tx_hash],
    )
    messages.payment_refused(claim, message, invoice_reopened=reopen)


@transaction.atomic
def reverify_claim(*, claim: PaymentClaim, actor) -> PaymentClaim:
    """Staff give a rejected or failed claim another round of checks (the hash stays claimed)."""
    permissions.require_staff_permission(
        actor, permissions.REVERIFY_CLAIM, doing="re-verify payments"
    )
    now = timezone.now()
    before = claim.status
    deadline = now + timedelta(minutes=settings.PAYMENT_VERIFY_DEADLINE_MINUTES)
    changed = PaymentClaim.objects.filter(
        pk=claim.pk, status__in=(ClaimStatus.REJECTED, ClaimStatus.FAILED)
    ).update(status=ClaimStatus.PENDING, next_check_at=now, deadline_at=deadline, reason="")
    if changed != 1:
        raise ValueError("Only a rejected or failed claim can be verified again.")
    invoice = claim.invoice
    invoice.__class__.objects.filter(pk=invoice.pk).exclude(status=InvoiceStatus.PAID).update(
        status=InvoiceStatus.VERIFYING
    )
    record_event(
        actor=actor,
        action="payment.reverify",
        object_type="purchases.claim",
        object_id=claim.pk,
        before={"status": before},
        after={"status": ClaimStatus.PENDING},
        search_terms=[claim.user.telegram_id, invoice.number, claim.tx_hash],
    )
    from apps.purchases.tasks import verify_claim as verify_task

    transaction.on_commit(lambda: verify_task.delay(claim.pk))
    claim.refresh_from_db()
    return claim
