"""Staff page /sandbox/payments/: pay the latest invoices on the fake chains or bank.

A crypto payment shows the hash to paste into the bot chat; a bank payment marks the fake
Flutterwave charge paid and delivers `charge.completed` to our webhook with the verif-hash,
as Flutterwave would. Staff only, and only while SANDBOX is on.
"""

from __future__ import annotations

import httpx
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.views.decorators import staff_member_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from apps.purchases.models import Invoice, InvoiceStatus
from apps.sandbox.guards import sandbox_only
from apps.sandbox.payments import OPTIONS, pay_invoice
from apps.sandbox.provider_fakes import json_text

PAYABLE = (InvoiceStatus.OPEN, InvoiceStatus.VERIFYING)
WEBHOOK_PATH = "/flutterwave/webhook/"


@sandbox_only
@staff_member_required
@never_cache
@require_GET
def payments_page(request):
    invoices = Invoice.objects.filter(status__in=PAYABLE).select_related("user")[:20]
    context = {
        **admin.site.each_context(request),
        "title": "Pay invoices (sandbox)",
        "invoices": invoices,
        "options": OPTIONS,
        "paid_hash": request.GET.get("hash", ""),
    }
    return render(request, "sandbox/payments.html", context)


@sandbox_only
@staff_member_required
@require_POST
def pay(request, number: str):
    invoice = get_object_or_404(Invoice, number=number, status__in=PAYABLE)
    if invoice.is_bank_transfer:
        _pay_bank(request, invoice)
        return redirect(reverse("sandbox:payments"))
    try:
        transfer = pay_invoice(invoice, request.POST.get("option", "exact"))
    except ValueError as error:
        messages.error(request, str(error))
        return redirect(reverse("sandbox:payments"))
    messages.success(request, f"Paid on {transfer.network}. Paste this hash into the bot chat.")
    return redirect(reverse("sandbox:payments") + f"?hash={transfer.tx_hash}")


def _pay_bank(request, invoice: Invoice) -> None:
    from apps.sandbox.flutterwave.charges import charge_completed_webhook, pay_charge

    pay_charge(invoice.number)
    body = json_text(charge_completed_webhook(invoice.number))
    try:
        httpx.post(
            request.build_absolute_uri(WEBHOOK_PATH),
            content=body,
            headers={
                "verif-hash": settings.FLUTTERWAVE_WEBHOOK_HASH,
                "Content-Type": "application/json",
            },
            timeout=5,
        )
    except httpx.HTTPError as error:
        messages.warning(request, f"Paid, but the webhook could not be delivered ({error}).")
        return
    messages.success(request, "Bank transfer paid; the bot confirms it shortly.")
