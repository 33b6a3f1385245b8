"""Claiming a transaction hash: format, ownership, expiry, and never twice."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from apps.purchases.models import Invoice, InvoiceStatus, PaymentClaim
from apps.purchases.services.claims import submit_hash
from tests.factories import BotUserFactory

BSC_HASH = "0x" + "ab" * 32


def test_claim_is_stored_in_canonical_form_and_the_invoice_is_verifying(make_invoice, claim_hash):
    invoice = make_invoice("usdt_bep20")
    result = claim_hash(invoice.user, invoice, "  0X" + "AB" * 32 + " ")
    assert result.accepted
    assert result.claim.tx_hash == BSC_HASH
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.VERIFYING


@pytest.mark.parametrize(
    "variant", [BSC_HASH.upper().replace("0X", "0x"), BSC_HASH[2:], "0X" + BSC_HASH[2:].upper()]
)
def test_same_hash_in_another_case_or_prefix_is_already_used(make_invoice, claim_hash, variant):
    first, second = make_invoice("usdt_bep20"), make_invoice("bnb", user=BotUserFactory())
    assert claim_hash(first.user, first, BSC_HASH).accepted
    result = claim_hash(second.user, second, variant)
    assert not result.accepted
    assert "already been used" in result.message
    assert PaymentClaim.objects.count() == 1
    second.refresh_from_db()
    assert second.status == InvoiceStatus.OPEN


def test_tron_hash_with_0x_prefix_is_the_same_transaction(make_invoice, claim_hash):
    first, second = make_invoice("usdt_trc20"), make_invoice("trx", user=BotUserFactory())
    assert claim_hash(first.user, first, "cd" * 32).accepted
    assert not claim_hash(second.user, second, "0x" + "CD" * 32).accepted


def test_invalid_format_counts_attempts_then_cancels_the_invoice(make_invoice, claim_hash):
    invoice = make_invoice("usdt_trc20")
    first = claim_hash(invoice.user, invoice, "not a hash")
    assert first.attempts_left == 2 and "Attempts left: 2" in first.message
    assert claim_hash(invoice.user, invoice, "0x1234").attempts_left == 1
    last = claim_hash(invoice.user, invoice, "zzz")
    assert last.attempts_left == 0 and last.invoice_closed
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.CANCELLED
    assert not PaymentClaim.objects.exists()


def test_a_bsc_hash_is_refused_on_solana(make_invoice, claim_hash):
    invoice = make_invoice("usdt_sol")
    result = claim_hash(invoice.user, invoice, BSC_HASH)
    assert not result.accepted and "base58" in result.message


def test_someone_elses_invoice_is_refused(make_invoice, claim_hash):
    invoice = make_invoice("usdt_bep20")
    stranger = BotUserFactory()
    result = claim_hash(stranger, invoice, BSC_HASH)
    assert not result.accepted and result.message == "This invoice is not yours."
    assert not PaymentClaim.objects.exists()


def test_expired_invoice_is_refused(make_invoice, claim_hash):
    invoice = make_invoice("usdt_bep20")
    Invoice.objects.filter(pk=invoice.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    result = claim_hash(invoice.user, invoice, BSC_HASH)
    assert not result.accepted and "expired" in result.message
    assert not PaymentClaim.objects.exists()


def test_cancelled_invoice_is_refused(make_invoice, claim_hash):
    invoice = make_invoice("usdt_bep20")
    Invoice.objects.filter(pk=invoice.pk).update(status=InvoiceStatus.CANCELLED)
    assert "cancelled" in claim_hash(invoice.user, invoice, BSC_HASH).message


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_users_claiming_one_hash_at_once_get_one_claim(make_invoice):
    invoices = [make_invoice("usdt_bep20"), make_invoice("usdt_bep20", user=BotUserFactory())]
    barrier = threading.Barrier(2)
    results = []

    def claim(invoice):
        try:
            barrier.wait()
            with transaction.atomic():
                results.append(submit_hash(user=invoice.user, invoice=invoice, raw_hash=BSC_HASH))
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(invoice,)) for invoice in invoices]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(result.accepted for result in results) == [False, True]
    assert PaymentClaim.objects.filter(tx_hash=BSC_HASH).count() == 1
