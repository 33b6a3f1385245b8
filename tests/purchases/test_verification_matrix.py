"""Every network and asset through the real clients and the sandbox chains, end to end.

Each case puts a transaction on the fake chain, claims its hash as the user would and runs the
verifier once, then checks what the user would see: a purchase and revenue, or a refusal with
no credit and no ledger entry.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.ledger.models import Entry
from apps.purchases.assets import ASSETS, NATIVE
from apps.purchases.models import ClaimStatus, InvoiceStatus, Purchase
from apps.purchases.services.verify import verify_claim
from apps.sandbox.chains.ledger import advance_head, new_tx_hash, record_transfer
from apps.sandbox.payments import OTHER_TOKENS, STRANGER, to_units
from tests.purchases.conftest import COIN_PRICES

pytestmark = pytest.mark.django_db(transaction=True)
METHODS = list(ASSETS)


def _pay(invoice, *, usd_delta="0", **overrides):
    paid = ASSETS[invoice.method]
    price = COIN_PRICES[invoice.method] or Decimal(1)
    amount = invoice.amount_due + Decimal(usd_delta) / price
    fields = {
        "recipient": invoice.deposit_address,
        "token": "" if paid.token == NATIVE else paid.token,
        "amount_units": to_units(amount, paid.decimals),
    }
    fields.update(overrides)
    return record_transfer(paid.network, **fields)


def _claim_and_verify(claim_hash, invoice, tx_hash, **kwargs):
    submitted = claim_hash(invoice.user, invoice, tx_hash)
    assert submitted.accepted, submitted.message
    return submitted.claim, verify_claim(submitted.claim.pk, **kwargs)


def _refused_without_money(claim, code):
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.REJECTED
    assert claim.last_error == code
    assert claim.reason
    assert not Purchase.objects.exists()
    assert not Entry.objects.exists()


@pytest.mark.parametrize("method", METHODS)
def test_exact_payment_is_verified_and_grants_the_credits(
    providers, make_invoice, claim_hash, method
):
    invoice = make_invoice(method)
    _claim, outcome = _claim_and_verify(claim_hash, invoice, _pay(invoice).tx_hash)
    assert outcome == "verified"
    purchase = Purchase.objects.get(invoice=invoice)
    assert (purchase.credits_remaining, purchase.plan_code) == (10, "t2")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("usd_delta", ["0.50", "-0.50"])
def test_amount_at_the_tolerance_is_accepted(
    providers, make_invoice, claim_hash, method, usd_delta
):
    invoice = make_invoice(method)
    tx = _pay(invoice, usd_delta=usd_delta)
    assert _claim_and_verify(claim_hash, invoice, tx.tx_hash)[1] == "verified"


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("usd_delta", ["0.51", "-0.51"])
def test_amount_outside_the_tolerance_is_refused(
    providers, make_invoice, claim_hash, method, usd_delta
):
    invoice = make_invoice(method)
    tx = _pay(invoice, usd_delta=usd_delta)
    claim, outcome = _claim_and_verify(claim_hash, invoice, tx.tx_hash)
    assert outcome == "rejected"
    _refused_without_money(claim, "wrong_amount")


@pytest.mark.parametrize("method", METHODS)
def test_payment_to_another_address_is_refused(providers, make_invoice, claim_hash, method):
    invoice = make_invoice(method)
    tx = _pay(invoice, recipient=STRANGER[invoice.network])
    claim, outcome = _claim_and_verify(claim_hash, invoice, tx.tx_hash)
    assert outcome == "rejected"
    _refused_without_money(claim, "wrong_recipient")


@pytest.mark.parametrize("method", METHODS)
def test_another_token_is_refused(providers, make_invoice, claim_hash, method):
    invoice = make_invoice(method)
    native = ASSETS[method].token == NATIVE
    tx = _pay(invoice, token=OTHER_TOKENS[invoice.network] if native else "")
    claim, outcome = _claim_and_verify(claim_hash, invoice, tx.tx_hash)
    assert outcome == "rejected"
    _refused_without_money(claim, "wrong_token")


@pytest.mark.parametrize("method", METHODS)
def test_failed_transaction_is_refused(providers, make_invoice, claim_hash, method):
    invoice = make_invoice(method)
    claim, outcome = _claim_and_verify(claim_hash, invoice, _pay(invoice, succeeded=False).tx_hash)
    assert outcome == "rejected"
    _refused_without_money(claim, "failed")


@pytest.mark.parametrize("method", METHODS)
def test_transaction_older_than_the_invoice_is_refused(providers, make_invoice, claim_hash, method):
    invoice = make_invoice(method)
    tx = _pay(invoice, block_time=invoice.created_at - timedelta(hours=1))
    claim, outcome = _claim_and_verify(claim_hash, invoice, tx.tx_hash)
    assert outcome == "rejected"
    _refused_without_money(claim, "too_old")


@pytest.mark.parametrize("method", [m for m in METHODS if ASSETS[m].network != "aptos"])
def test_few_confirmations_wait_then_verify(providers, make_invoice, claim_hash, method):
    invoice = make_invoice(method)
    tx = _pay(invoice, confirmations=1)
    claim, outcome = _claim_and_verify(claim_hash, invoice, tx.tx_hash)
    assert outcome == "waiting"
    assert not Purchase.objects.exists()
    advance_head(invoice.network, 64)
    later = timezone.now() + timedelta(minutes=10)
    assert verify_claim(claim.pk, now=later) == "verified"
    assert Purchase.objects.filter(invoice=invoice).count() == 1


@pytest.mark.parametrize("method", METHODS)
def test_unknown_transaction_is_retried_then_fails(providers, make_invoice, claim_hash, method):
    invoice = make_invoice(method)
    _pay(invoice)  # a real payment exists, but the user pastes a hash the chain never saw
    unknown = new_tx_hash(invoice.network)
    claim, outcome = _claim_and_verify(claim_hash, invoice, unknown)
    assert outcome == "waiting"
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PENDING and claim.next_check_at > timezone.now()
    after_deadline = claim.deadline_at + timedelta(seconds=1)
    assert verify_claim(claim.pk, now=after_deadline) == "failed"
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.FAILED and "could not find" in claim.reason
    assert not Purchase.objects.exists()
