"""The sandbox "pay this invoice" page: staff pay invoices on the fake chains or bank."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from apps.purchases.models import Invoice, InvoiceStatus, PaymentClaim, Plan
from apps.purchases.orders import price_order
from apps.purchases.services.invoices import quote_invoice, request_invoice
from apps.purchases.services.verify import verify_claim
from apps.sandbox.models import ChainTransfer, FlutterwaveCharge


def test_page_is_for_staff_only(client, make_invoice):
    make_invoice("bnb")
    response = client.get(reverse("sandbox:payments"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_staff_see_open_invoices_and_pay_one_on_chain(client, superuser, make_invoice):
    invoice = make_invoice("usdt_trc20")
    client.force_login(superuser)
    page = client.get(reverse("sandbox:payments"))
    assert invoice.number in page.content.decode()
    response = client.post(
        reverse("sandbox:pay-invoice", args=[invoice.number]), {"option": "exact"}
    )
    transfer = ChainTransfer.objects.get()
    assert transfer.recipient == invoice.deposit_address
    assert transfer.amount_units == 10_000_000  # 10 USDT, 6 decimals
    assert response["Location"].endswith(f"?hash={transfer.tx_hash}")
    assert transfer.tx_hash in client.get(response["Location"]).content.decode()


@pytest.mark.parametrize(
    ("option", "check"),
    [
        ("wrong_recipient", lambda t, i: t.recipient != i.deposit_address),
        ("failed", lambda t, i: not t.succeeded),
        ("underpay", lambda t, i: t.amount_units < 10_000_000),
        ("wrong_token", lambda t, i: t.token == ""),
    ],
)
def test_options_make_the_payment_wrong_on_purpose(client, superuser, make_invoice, option, check):
    invoice = make_invoice("usdt_trc20")
    client.force_login(superuser)
    client.post(reverse("sandbox:pay-invoice", args=[invoice.number]), {"option": option})
    assert check(ChainTransfer.objects.get(), invoice)


def test_a_paid_or_unknown_invoice_cannot_be_paid_again(client, superuser, make_invoice):
    invoice = make_invoice("bnb")
    Invoice.objects.filter(pk=invoice.pk).update(status=InvoiceStatus.PAID)
    client.force_login(superuser)
    assert client.post(reverse("sandbox:pay-invoice", args=[invoice.number])).status_code == 404
    assert client.post(reverse("sandbox:pay-invoice", args=["INV-NOPE"])).status_code == 404
    assert not ChainTransfer.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_bank_invoice_is_paid_and_the_webhook_delivered(client, superuser, providers, buyer):
    invoice = request_invoice(
        user=buyer, order=price_order(Plan.objects.get(code="t1"), 10), method="bank_ngn"
    )
    quote_invoice(invoice.pk)
    client.force_login(superuser)
    server = urlsplit(providers.url)
    client.post(
        reverse("sandbox:pay-invoice", args=[invoice.number]),
        SERVER_NAME=server.hostname,
        SERVER_PORT=str(server.port),
    )
    assert FlutterwaveCharge.objects.get(tx_ref=invoice.number).status == "successful"
    claim = PaymentClaim.objects.get(invoice=invoice)
    assert verify_claim(claim.pk) == "verified"
