"""The payment rules on their own: one decision from an invoice and what the chain says."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import timezone

from apps.purchases.assets import BSC_USDT_CONTRACT, NATIVE
from apps.purchases.chains.base import ChainReceipt, TxStatus
from apps.purchases.verification import Accept, Reject, Wait, decide


def _invoice(amount_usd="20.00", method="usdt_bep20", price=None):
    return SimpleNamespace(
        method=method,
        network="bsc",
        amount_usd=Decimal(amount_usd),
        amount_due=Decimal(amount_usd) / (price or 1),
        coin_price_usd=price,
        created_at=timezone.now() - timedelta(minutes=5),
    )


def _receipt(received, **fields):
    values = {"status": TxStatus.SUCCESS, "confirmations": 20, "block_time": timezone.now()}
    values.update(fields)
    return ChainReceipt(received=received, **values)


@pytest.mark.parametrize(
    ("paid", "accepted"), [("19.00", True), ("21.00", True), ("18.99", False), ("21.01", False)]
)
def test_percentage_tolerance_boundaries(settings, paid, accepted):
    settings.PAYMENT_TOLERANCE_PERCENT = Decimal("5")
    decision = decide(_invoice(), _receipt({BSC_USDT_CONTRACT: Decimal(paid)}), now=timezone.now())
    assert isinstance(decision, Accept) is accepted
    if not accepted:
        assert decision.code == "wrong_amount"


def test_native_coin_is_valued_at_the_invoice_locked_price():
    invoice = _invoice(method="bnb", price=Decimal("500"))  # 0.04 BNB
    decision = decide(invoice, _receipt({NATIVE: Decimal("0.041")}), now=timezone.now())
    assert decision == Accept(Decimal("0.041"), Decimal("20.50"), 20)


def test_a_wrong_payment_is_refused_before_waiting_for_confirmations():
    receipt = _receipt({BSC_USDT_CONTRACT: Decimal("5")}, confirmations=1)
    assert isinstance(decide(_invoice(), receipt, now=timezone.now()), Reject)


def test_a_right_payment_waits_for_confirmations():
    receipt = _receipt({BSC_USDT_CONTRACT: Decimal("20")}, confirmations=3)
    decision = decide(_invoice(), receipt, now=timezone.now())
    assert decision == Wait("confirmations", "3 confirmations so far.")


def test_final_counts_whatever_the_depth():
    receipt = _receipt({BSC_USDT_CONTRACT: Decimal("20")}, confirmations=1, final=True)
    assert isinstance(decide(_invoice(), receipt, now=timezone.now()), Accept)


def test_a_payment_a_little_before_the_invoice_is_within_the_clock_skew(settings):
    invoice = _invoice()
    receipt = _receipt(
        {BSC_USDT_CONTRACT: Decimal("20")}, block_time=invoice.created_at - timedelta(seconds=60)
    )
    assert isinstance(decide(invoice, receipt, now=timezone.now()), Accept)


@pytest.mark.parametrize(
    ("receipt", "code"),
    [
        (None, "not_found"),
        (ChainReceipt(status=TxStatus.PENDING), "pending"),
    ],
)
def test_unknown_and_pending_wait(receipt, code):
    assert decide(_invoice(), receipt, now=timezone.now()).code == code
