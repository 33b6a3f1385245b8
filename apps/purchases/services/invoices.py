"""Invoices: asked for in the bot, priced by a worker, paid, cancelled or expired.

The bot handler only records the request (status "preparing") inside the update's
transaction; the quote (CoinGecko, the FX rate, a Flutterwave charge) is fetched by a Celery
task, so no chat ever waits on a provider while holding a lock.
"""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from apps.audit.actors import Actor
from apps.audit.services import record_event
from apps.common.http.errors import ProviderError
from apps.purchases import messages
from apps.purchases.assets import ASSETS, asset
from apps.purchases.models import BANK_TRANSFER, FLUTTERWAVE, Invoice, InvoiceStatus, PaymentClaim
from apps.purchases.orders import Order
from apps.purchases.pricing import (
    PriceUnavailable,
    crypto_amount,
    ngn_amount,
    usd_price,
    usd_to_ngn,
)
from apps.purchases.services import permissions

logger = logging.getLogger(__name__)
PAYMENT_METHODS = (*ASSETS, BANK_TRANSFER)
QUOTER = Actor.system("invoice-quoter")


class InvoiceRefused(ValueError):
    """The invoice cannot be changed as asked; the message is what the user is told."""


def request_invoice(*, user, order: Order, method: str) -> Invoice:
    """Record the user's order and queue its quote; the user hears back from the worker."""
    if method not in PAYMENT_METHODS:
        raise InvoiceRefused("Please choose one of the payment methods offered.")
    invoice = Invoice.objects.create(
        number=_new_number(),
        user=user,
        plan=order.plan,
        plan_snapshot=order.plan.snapshot(),
        quantity=order.quantity,
        comments_per_post=order.comments_per_post,
        amount_usd=order.amount_usd,
        method=method,
        network=FLUTTERWAVE if method == BANK_TRANSFER else asset(method).network,
        asset_symbol="NGN" if method == BANK_TRANSFER else asset(method).symbol,
        chat_id=user.telegram_id,
    )
    record_event(
        actor=user,
        action="invoice.requested",
        object_type="purchases.invoice",
        object_id=invoice.number,
        after=_summary(invoice),
        search_terms=[user.telegram_id],
    )
    from apps.purchases.tasks import quote_invoice

    transaction.on_commit(lambda: quote_invoice.delay(invoice.pk))
    return invoice


def quote_invoice(invoice_id: int) -> None:
    """Price a preparing invoice (provider calls first, no lock held), then open it."""
    invoice = Invoice.objects.select_related("user").get(pk=invoice_id)
    if invoice.status != InvoiceStatus.PREPARING:
        return
    try:
        terms = _bank_terms(invoice) if invoice.is_bank_transfer else _crypto_terms(invoice)
    except (PriceUnavailable, ProviderError) as error:
        logger.warning("invoice %s could not be quoted: %s", invoice.number, error)
        _fail_quote(invoice, str(error) if isinstance(error, PriceUnavailable) else "")
        return
    _open(invoice, terms)


def _crypto_terms(invoice: Invoice) -> dict:
    paid = asset(invoice.method)
    quote = usd_price(paid.coingecko_id)
    return {
        "amount_due": crypto_amount(invoice.amount_usd, quote, paid.decimals),
        "coin_price_usd": quote.usd,
        "price_sources": {name: str(price) for name, price in quote.sources.items()},
        "deposit_address": settings.DEPOSIT_ADDRESSES[paid.network],
    }


def _bank_terms(invoice: Invoice) -> dict:
    from apps.purchases.clients.flutterwave import build_flutterwave_client

    fx = usd_to_ngn()
    amount_ngn = ngn_amount(invoice.amount_usd, fx)
    with build_flutterwave_client() as client:
        account = client.create_bank_transfer_charge(
            tx_ref=invoice.number,
            amount_ngn=amount_ngn,
            email=f"{invoice.user.telegram_id}@users.viralcore.invalid",
            fullname=invoice.user.full_name or f"Telegram user {invoice.user.telegram_id}",
        )
    return {
        "amount_due": amount_ngn,
        "fx_rate": fx.rate,
        "fx_buffer": fx.buffer,
        "price_sources": {"fx": fx.source, "fx_fetched_at": fx.fetched_at.isoformat()},
        "bank_account": {
            "account_number": account.account_number,
            "bank_name": account.bank_name,
            "amount": str(account.amount),
            "note": account.note,
            "expires_at": account.expires_at.isoformat() if account.expires_at else "",
        },
    }


@transaction.atomic
def _open(invoice: Invoice, terms: dict) -> None:
    now = timezone.now()
    expires_at = now + timedelta(minutes=settings.INVOICE_TTL_MINUTES)
    opened = Invoice.objects.filter(pk=invoice.pk, status=InvoiceStatus.PREPARING).update(
        status=InvoiceStatus.OPEN, expires_at=expires_at, **terms
    )
    if opened != 1:
        return
    invoice.refresh_from_db()
    record_event(
        actor=QUOTER,
        action="invoice.opened",
        object_type="purchases.invoice",
        object_id=invoice.number,
        after=_summary(invoice),
        search_terms=[invoice.user.telegram_id],
    )
    if invoice.is_bank_transfer:
        _claim_bank_reference(invoice)
    messages.invoice_opened(invoice)


def _claim_bank_reference(invoice: Invoice) -> None:
    """A bank invoice is its own claim: our tx_ref, checked with Flutterwave until paid."""
    grace = timedelta(minutes=settings.PAYMENT_VERIFY_DEADLINE_MINUTES)
    PaymentClaim.objects.create(
        invoice=invoice,
        user=invoice.user,
        network=FLUTTERWAVE,
        tx_hash=invoice.number,
        next_check_at=timezone.now() + timedelta(seconds=30),
        deadline_at=invoice.expires_at + grace,
    )
    Invoice.objects.filter(pk=invoice.pk).update(status=InvoiceStatus.VERIFYING)


@transaction.atomic
def _fail_quote(invoice: Invoice, reason: str) -> None:
    reason = reason or "Payments by this method are unavailable right now."
    closed = Invoice.objects.filter(pk=invoice.pk, status=InvoiceStatus.PREPARING).update(
        status=InvoiceStatus.FAILED, closed_reason=reason[:255]
    )
    if closed != 1:
        return
    record_event(
        actor=QUOTER,
        action="invoice.quote_failed",
        object_type="purchases.invoice",
        object_id=invoice.number,
        before={"status": InvoiceStatus.PREPARING},
        after={"status": InvoiceStatus.FAILED},
        reason=reason,
        search_terms=[invoice.user.telegram_id],
    )
    messages.invoice_not_quoted(invoice, reason)


@transaction.atomic
def cancel_invoice(*, invoice: Invoice, actor) -> Invoice:
    """The user (or staff) gives up on an unpaid invoice; a payment already claimed stays."""
    if isinstance(actor, AbstractBaseUser):
        permissions.require_staff_permission(
            actor, permissions.CANCEL_INVOICE, doing="cancel invoices"
        )
    elif actor != invoice.user:
        raise InvoiceRefused("This invoice is not yours.")
    cancellable = (InvoiceStatus.PREPARING, InvoiceStatus.OPEN)
    cancelled = Invoice.objects.filter(pk=invoice.pk, status__in=cancellable).update(
        status=InvoiceStatus.CANCELLED, closed_reason="Cancelled."
    )
    if cancelled != 1:
        raise InvoiceRefused("This invoice can no longer be cancelled.")
    before = invoice.status
    invoice.refresh_from_db()
    record_event(
        actor=actor,
        action="invoice.cancelled",
        object_type="purchases.invoice",
        object_id=invoice.number,
        before={"status": before},
        after={"status": invoice.status},
        search_terms=[invoice.user.telegram_id],
    )
    return invoice


def expire_invoices(now=None) -> int:
    """Close open invoices past their time; returns how many. Run by beat every minute."""
    now = now or timezone.now()
    expired = 0
    due = Invoice.objects.filter(status=InvoiceStatus.OPEN, expires_at__lte=now)
    for invoice in due.select_related("user")[:500]:
        expired += _expire(invoice)
    return expired


@transaction.atomic
def _expire(invoice: Invoice) -> int:
    changed = Invoice.objects.filter(pk=invoice.pk, status=InvoiceStatus.OPEN).update(
        status=InvoiceStatus.EXPIRED, closed_reason="Expired before a payment was sent."
    )
    if changed != 1:
        return 0
    record_event(
        actor=Actor.system("invoice-expirer"),
        action="invoice.expired",
        object_type="purchases.invoice",
        object_id=invoice.number,
        before={"status": InvoiceStatus.OPEN},
        after={"status": InvoiceStatus.EXPIRED},
        search_terms=[invoice.user.telegram_id],
    )
    messages.invoice_expired(invoice)
    return 1


def stuck_preparing_invoices(now=None) -> list[int]:
    """Invoices still waiting for a quote after a minute: their task was probably lost."""
    cutoff = (now or timezone.now()) - timedelta(minutes=1)
    stuck = Invoice.objects.filter(status=InvoiceStatus.PREPARING, created_at__lt=cutoff)
    return list(stuck.values_list("pk", flat=True)[:500])


def _new_number() -> str:
    return "INV-" + secrets.token_hex(5).upper()


def _summary(invoice: Invoice) -> dict:
    return {
        "status": invoice.status,
        "plan": invoice.plan_snapshot.get("code"),
        "quantity": invoice.quantity,
        "amount_usd": str(invoice.amount_usd),
        "method": invoice.method,
        "amount_due": str(invoice.amount_due) if invoice.amount_due is not None else "",
        "user": invoice.user.telegram_id,
    }
