"""Bank transfers (fake Flutterwave): pending waits, paid credits once, less is refused."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.conf import settings

from apps.ledger.models import Entry
from apps.purchases.models import ClaimStatus, Invoice, InvoiceStatus, PaymentClaim, Plan, Purchase
from apps.purchases.orders import price_order
from apps.purchases.services.invoices import quote_invoice, request_invoice
from apps.purchases.services.verify import verify_claim
from apps.sandbox.flutterwave.charges import charge_completed_webhook, pay_charge

pytestmark = pytest.mark.django_db(transaction=True)
WEBHOOK = "/flutterwave/webhook/"


@pytest.fixture
def bank_invoice(providers, buyer):
    order = price_order(Plan.objects.get(code="t2"), 10)
    invoice = request_invoice(user=buyer, order=order, method="bank_ngn")
    quote_invoice(invoice.pk)
    invoice.refresh_from_db()
    return invoice


def _claim(invoice) -> PaymentClaim:
    return PaymentClaim.objects.get(invoice=invoice)


def _check_now(claim) -> str:
    PaymentClaim.objects.filter(pk=claim.pk).update(next_check_at=claim.created_at)
    return verify_claim(claim.pk)


def test_bank_invoice_records_rate_buffer_and_account(bank_invoice):
    # 10.00 USD at the sandbox rate 1550 plus the 100 NGN buffer per dollar.
    assert bank_invoice.amount_due == Decimal("16500.00")
    assert (bank_invoice.fx_rate, bank_invoice.fx_buffer) == (Decimal("1550"), Decimal("100"))
    assert len(bank_invoice.bank_account["account_number"]) == 10
    assert bank_invoice.status == InvoiceStatus.VERIFYING
    assert _claim(bank_invoice).tx_hash == bank_invoice.number


def test_pending_keeps_waiting(bank_invoice):
    assert _check_now(_claim(bank_invoice)) == "waiting"
    assert _claim(bank_invoice).status == ClaimStatus.PENDING
    assert not Purchase.objects.exists()


def test_paid_transfer_credits_once_even_with_duplicate_webhooks(bank_invoice, client):
    pay_charge(bank_invoice.number)
    body = json.dumps(charge_completed_webhook(bank_invoice.number), default=str)
    headers = {"verif-hash": settings.FLUTTERWAVE_WEBHOOK_HASH}
    for _ in range(3):
        response = client.post(WEBHOOK, body, content_type="application/json", headers=headers)
        assert response.status_code == 200
    assert _check_now(_claim(bank_invoice)) == "verified"
    assert _check_now(_claim(bank_invoice)) == "not_due"
    assert Purchase.objects.get(invoice=bank_invoice).credits_remaining == 10
    assert Invoice.objects.get(pk=bank_invoice.pk).status == InvoiceStatus.PAID


def test_underpayment_is_refused(bank_invoice):
    pay_charge(bank_invoice.number, amount_ngn=Decimal("16499.99"))
    assert _check_now(_claim(bank_invoice)) == "rejected"
    claim = _claim(bank_invoice)
    assert claim.status == ClaimStatus.REJECTED and "16,499.99" in claim.reason
    assert not Purchase.objects.exists() and not Entry.objects.exists()


def test_webhook_with_a_wrong_hash_is_refused_and_changes_nothing(bank_invoice, client):
    pay_charge(bank_invoice.number)
    before = _claim(bank_invoice).next_check_at
    response = client.post(
        WEBHOOK,
        json.dumps(charge_completed_webhook(bank_invoice.number), default=str),
        content_type="application/json",
        headers={"verif-hash": "guess"},
    )
    assert response.status_code == 401
    assert _claim(bank_invoice).next_check_at == before
