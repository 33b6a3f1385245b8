"""A chain that is down makes claims wait, past the deadline; it never fails a paid order."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache

from apps.purchases.models import ClaimStatus, Purchase
from apps.purchases.services.verify import verify_claim
from apps.sandbox.failures import clear_failures, inject_failure
from apps.sandbox.payments import pay_invoice

pytestmark = pytest.mark.django_db(transaction=True)


def test_claims_wait_while_the_chain_answers_5xx_then_verify(providers, make_invoice, claim_hash):
    invoice = make_invoice("usdt_bep20")
    claim = claim_hash(invoice.user, invoice, pay_invoice(invoice).tx_hash).claim
    inject_failure("*", "http_500", times=50)
    late = claim.deadline_at + timedelta(hours=1)
    assert verify_claim(claim.pk, now=late) == "provider_down"
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PENDING
    assert "Provider unavailable" in claim.last_error and "key" not in claim.last_error.lower()
    assert not Purchase.objects.exists()

    clear_failures()
    cache.clear()  # the circuit breaker opened after five failures; let it close
    assert verify_claim(claim.pk, now=late + timedelta(minutes=10)) == "verified"
