"""A user says "I paid, here is the transaction": claim the hash, then verify it in a worker.

The canonical hash is inserted under a unique (network, hash) constraint before anything is
checked, inside the update's transaction: two users (or two deliveries) pasting the same hash
race on that insert and exactly one wins; the other is told the hash is already used.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.audit.services import record_event
from apps.legacy.hashes import credited_by_old_bot
from apps.purchases.hashes import FORMAT_HINTS, normalize_hash
from apps.purchases.models import Invoice, InvoiceStatus, PaymentClaim

MAX_INVALID_HASHES = 3


@dataclass(frozen=True)
class Submitted:
    """What happened to a pasted hash; MESSAGE is what the user is told when refused."""

    claim: PaymentClaim | None = None
    message: str = ""
    attempts_left: int | None = None
    invoice_closed: bool = False

    @property
    def accepted(self) -> bool:
        return self.claim is not None


def submit_hash(*, user, invoice: Invoice, raw_hash: str) -> Submitted:
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    refusal = _refusal(user, invoice)
    if refusal:
        return Submitted(message=refusal, invoice_closed=True)
    tx_hash = normalize_hash(invoice.network, raw_hash)
    if tx_hash is None:
        return _invalid_format(user, invoice)
    claim = _claim(user, invoice, tx_hash)
    if claim is None:
        return Submitted(
            message="This transaction hash has already been used. Each payment can be claimed once."
        )
    Invoice.objects.filter(pk=invoice.pk).update(status=InvoiceStatus.VERIFYING)
    record_event(
        actor=user,
        action="payment.claimed",
        object_type="purchases.claim",
        object_id=claim.pk,
        after={"invoice": invoice.number, "network": claim.network, "tx_hash": tx_hash},
        search_terms=[user.telegram_id, invoice.number, tx_hash],
    )
    from apps.purchases.tasks import verify_claim

    transaction.on_commit(lambda: verify_claim.delay(claim.pk))
    return Submitted(claim=claim)


def _refusal(user, invoice: Invoice) -> str:
    if invoice.user_id != user.pk:
        return "This invoice is not yours."
    if invoice.status == InvoiceStatus.OPEN and invoice.is_expired():
        return "⏰ This invoice has expired. Please start a new order from the menu."
    if invoice.status != InvoiceStatus.OPEN:
        return {
            InvoiceStatus.VERIFYING: "A payment for this invoice is already being verified.",
            InvoiceStatus.PAID: "This invoice is already paid.",
            InvoiceStatus.CANCELLED: "This invoice was cancelled. Please start a new order.",
            InvoiceStatus.EXPIRED: "⏰ This invoice has expired. Please start a new order.",
        }.get(invoice.status, "This invoice cannot be paid any more. Please start a new order.")
    return ""


def _invalid_format(user, invoice: Invoice) -> Submitted:
    attempts = invoice.invalid_hash_attempts + 1
    left = MAX_INVALID_HASHES - attempts
    Invoice.objects.filter(pk=invoice.pk).update(invalid_hash_attempts=attempts)
    hint = FORMAT_HINTS[invoice.network]
    if left > 0:
        return Submitted(
            message=f"That is not a valid transaction hash (expected {hint}). "
            f"Attempts left: {left}.",
            attempts_left=left,
        )
    from apps.purchases.services.invoices import cancel_invoice

    cancel_invoice(invoice=invoice, actor=user)
    return Submitted(
        message="That is not a valid transaction hash either, so the invoice was cancelled. "
        "Please start a new order from the menu.",
        attempts_left=0,
        invoice_closed=True,
    )


def _claim(user, invoice: Invoice, tx_hash: str) -> PaymentClaim | None:
    if credited_by_old_bot(invoice.network, tx_hash):
        return None
    now = timezone.now()
    try:
        with transaction.atomic():
            return PaymentClaim.objects.create(
                invoice=invoice,
                user=user,
                network=invoice.network,
                tx_hash=tx_hash,
                next_check_at=now,
                deadline_at=now + timedelta(minutes=settings.PAYMENT_VERIFY_DEADLINE_MINUTES),
            )
    except IntegrityError:
        return None
