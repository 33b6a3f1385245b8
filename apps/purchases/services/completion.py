"""A verified payment becomes a purchase, revenue in the ledger and the referrer's commission.

All of it happens in one transaction keyed on the claim: the claim's compare-and-swap from
pending to verified admits exactly one completion, and the ledger postings carry idempotency
keys named after the invoice, so nothing can be granted or paid twice.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.audit.services import record_event
from apps.ledger.models import AccountKind, Currency, TransactionKind
from apps.ledger.services.accounts import system_account, user_account
from apps.ledger.services.posting import post_transaction
from apps.purchases import messages
from apps.purchases.models import (
    ClaimStatus,
    FulfilmentTask,
    Invoice,
    InvoiceStatus,
    PaymentClaim,
    Purchase,
    PurchaseSource,
)
from apps.purchases.verification import Accept

CENT = Decimal("0.01")


def commission_for(amount_usd: Decimal) -> Decimal:
    """The referrer's share of AMOUNT_USD, rounded half-even to the cent (3.75 -> 0.38)."""
    share = amount_usd * settings.REFERRAL_COMMISSION_PERCENT / 100
    return share.quantize(CENT, rounding=ROUND_HALF_EVEN)


@transaction.atomic
def complete_payment(*, claim: PaymentClaim, accepted: Accept, actor) -> Purchase | None:
    """Grant what CLAIM paid for; None when another worker completed it first."""
    claim = PaymentClaim.objects.select_for_update().get(pk=claim.pk)
    if claim.status != ClaimStatus.PENDING:
        return None
    invoice = (
        Invoice.objects.select_for_update(of=("self",))
        .select_related("user__referrer")
        .get(pk=claim.invoice_id)
    )
    now = timezone.now()
    PaymentClaim.objects.filter(pk=claim.pk).update(
        status=ClaimStatus.VERIFIED,
        verified_at=now,
        received_amount=accepted.received_amount,
        received_usd=accepted.received_usd,
        confirmations=accepted.confirmations,
        reason="",
        last_error="",
    )
    Invoice.objects.filter(pk=invoice.pk).update(status=InvoiceStatus.PAID, paid_at=now)
    purchase = _grant(invoice)
    _post_revenue(invoice, actor)
    commission = _pay_commission(invoice, actor)
    record_event(
        actor=actor,
        action="purchase.paid",
        object_type="purchases.purchase",
        object_id=purchase.pk,
        after={
            "invoice": invoice.number,
            "plan": purchase.plan_code,
            "quantity": purchase.quantity,
            "amount_usd": str(invoice.amount_usd),
            "received": str(accepted.received_amount),
            "asset": invoice.asset_symbol,
            "network": claim.network,
            "tx_hash": claim.tx_hash,
            "commission_usd": str(commission),
        },
        search_terms=[invoice.user.telegram_id, invoice.number, claim.tx_hash],
    )
    messages.payment_confirmed(invoice, purchase)
    if commission:
        messages.commission_earned(invoice, commission)
    return purchase


def _grant(invoice: Invoice) -> Purchase:
    snapshot = invoice.plan_snapshot
    boosts = snapshot["product"] in ("x_engagement", "tg_engagement")
    credits = invoice.quantity if boosts else 0
    purchase = Purchase.objects.create(
        user=invoice.user,
        plan=invoice.plan,
        invoice=invoice,
        source=PurchaseSource.PAYMENT,
        product=snapshot["product"],
        plan_code=snapshot["code"],
        quantity=invoice.quantity,
        comments_per_post=invoice.comments_per_post,
        targets=_targets(snapshot, invoice.comments_per_post),
        credits_total=credits,
        credits_remaining=credits,
        amount_usd=invoice.amount_usd,
    )
    if not boosts:
        FulfilmentTask.objects.create(purchase=purchase)
    return purchase


def _targets(snapshot: dict, comments_per_post: int | None) -> dict:
    if comments_per_post:
        return {"comments": comments_per_post}
    return {key: snapshot.get(key, 0) for key in ("likes", "reposts", "comments", "views")}


def _post_revenue(invoice: Invoice, actor) -> None:
    received = system_account(kind=AccountKind.PAYMENTS_RECEIVED, currency=Currency.USD)
    revenue = system_account(kind=AccountKind.REVENUE, currency=Currency.USD)
    post_transaction(
        idempotency_key=f"purchase:{invoice.number}",
        kind=TransactionKind.PURCHASE,
        entries=[(received, -invoice.amount_usd), (revenue, invoice.amount_usd)],
        actor=actor,
        memo=f"Invoice {invoice.number} paid ({invoice.method})",
    )


def _pay_commission(invoice: Invoice, actor) -> Decimal:
    referrer = invoice.user.referrer
    commission = commission_for(invoice.amount_usd)
    if referrer is None or commission <= 0:
        return Decimal("0.00")
    post_transaction(
        idempotency_key=f"commission:{invoice.number}",
        kind=TransactionKind.COMMISSION,
        entries=[
            (system_account(kind=AccountKind.COMMISSIONS, currency=Currency.USD), -commission),
            (user_account(owner=referrer, kind=AccountKind.AFFILIATE), commission),
        ],
        actor=actor,
        memo=f"{settings.REFERRAL_COMMISSION_PERCENT}% of invoice {invoice.number}",
    )
    return commission
