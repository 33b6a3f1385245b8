"""A verified payment: one purchase, revenue, the referrer's commission, messages; once."""

from __future__ import annotations

from decimal import Decimal

import pytest

from apps.audit.models import AuditEvent
from apps.bot.models import OutboundMessage
from apps.ledger.models import AccountKind, Entry
from apps.ledger.selectors import balances_for
from apps.purchases.models import FulfilmentTask, Plan, Purchase
from apps.purchases.services.completion import commission_for, complete_payment
from apps.purchases.services.fulfilment import credit_purchase
from apps.purchases.services.verify import VERIFIER
from apps.purchases.verification import Accept
from tests.factories import BotUserFactory

BSC_HASH = "0x" + "12" * 32


@pytest.fixture
def referrer(db):
    return BotUserFactory(username="referrer")


@pytest.fixture
def referred_buyer(referrer, catalogue):
    return BotUserFactory(username="referred", referrer=referrer)


def _complete(make_invoice, claim_hash, user, *, amount_usd="10.00"):
    invoice = make_invoice("usdt_bep20", user=user, amount_usd=amount_usd)
    claim = claim_hash(user, invoice, BSC_HASH).claim
    accepted = Accept(Decimal(amount_usd), Decimal(amount_usd), 20)
    return invoice, claim, complete_payment(claim=claim, accepted=accepted, actor=VERIFIER)


@pytest.mark.parametrize(
    ("amount", "commission"),
    [("3.75", "0.38"), ("10.00", "1.00"), ("0.05", "0.00"), ("0.15", "0.02"), ("2.25", "0.22")],
)
def test_commission_is_ten_percent_rounded_half_even_to_the_cent(amount, commission):
    assert commission_for(Decimal(amount)) == Decimal(commission)


def test_referrer_gets_the_commission_in_the_affiliate_balance(
    make_invoice, claim_hash, referrer, referred_buyer
):
    _complete(make_invoice, claim_hash, referred_buyer, amount_usd="3.75")
    assert balances_for(referrer)["affiliate_usd"] == Decimal("0.38")
    texts = list(OutboundMessage.objects.values_list("chat_id", flat=True))
    assert referrer.telegram_id in texts and referred_buyer.telegram_id in texts


def test_no_commission_without_a_referrer(make_invoice, claim_hash, buyer):
    _complete(make_invoice, claim_hash, buyer)
    assert not Entry.objects.filter(account__kind=AccountKind.AFFILIATE).exists()


def test_completion_posts_revenue_and_grants_the_credits(make_invoice, claim_hash, buyer):
    invoice, _claim, purchase = _complete(make_invoice, claim_hash, buyer)
    assert purchase.credits_remaining == 10 and purchase.targets["views"] == 5000
    revenue = Entry.objects.get(account__kind=AccountKind.REVENUE)
    assert revenue.amount == Decimal("10.00")
    event = AuditEvent.objects.get(action="purchase.paid")
    assert event.after["tx_hash"] == BSC_HASH and event.after["invoice"] == invoice.number


def test_completing_the_same_claim_twice_grants_once(
    make_invoice, claim_hash, referred_buyer, referrer
):
    _invoice, claim, first = _complete(make_invoice, claim_hash, referred_buyer)
    again = complete_payment(
        claim=claim, accepted=Accept(Decimal(10), Decimal(10), 30), actor=VERIFIER
    )
    assert first is not None and again is None
    assert Purchase.objects.count() == 1
    assert balances_for(referrer)["affiliate_usd"] == Decimal("1.00")


def test_manual_fulfilment_products_get_a_task_not_credits(make_invoice, claim_hash, buyer):
    invoice = make_invoice("usdt_bep20", user=buyer)
    plan = Plan.objects.get(code="x_poll")
    invoice.plan, invoice.plan_snapshot = plan, plan.snapshot()
    invoice.save()
    claim = claim_hash(buyer, invoice, BSC_HASH).claim
    purchase = complete_payment(
        claim=claim, accepted=Accept(Decimal(10), Decimal(10), 20), actor=VERIFIER
    )
    assert purchase.credits_remaining == 0
    assert FulfilmentTask.objects.get(purchase=purchase).status == "waiting_details"


def test_staff_credit_pays_no_commission(referred_buyer, referrer, finance_clerk):
    purchase = credit_purchase(
        user=referred_buyer,
        plan=Plan.objects.get(code="t1"),
        quantity=10,
        account="@brand",
        reason="Paid by invoice outside the bot",
        actor=finance_clerk,
    )
    assert purchase.credits_remaining == 10 and purchase.account == "brand"
    assert balances_for(referrer)["affiliate_usd"] == Decimal("0.00")
    assert AuditEvent.objects.filter(action="purchase.credited_manually").exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_completing_one_claim_at_once_grant_once(
    make_invoice, claim_hash, referred_buyer, referrer
):
    import threading

    from django.db import connection

    invoice = make_invoice("usdt_bep20", user=referred_buyer)
    claim = claim_hash(referred_buyer, invoice, BSC_HASH).claim
    barrier = threading.Barrier(4)
    results = []

    def complete():
        try:
            barrier.wait()
            accepted = Accept(Decimal(10), Decimal(10), 20)
            results.append(complete_payment(claim=claim, accepted=accepted, actor=VERIFIER))
        finally:
            connection.close()

    threads = [threading.Thread(target=complete) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(result is not None for result in results) == 1
    assert Purchase.objects.count() == 1
    assert balances_for(referrer)["affiliate_usd"] == Decimal("1.00")
