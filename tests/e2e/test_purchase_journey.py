"""Buying as a bot user would: webhook → worker → sandbox chain → verification → credits.

Every provider is the project's own sandbox over real HTTP (Telegram, the chains, CoinGecko,
Binance, the FX source, Flutterwave); workers' tasks are run in-line, in the order Celery
would run them.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import call_command

from apps.bot.sender import send_due_messages
from apps.ledger.selectors import balances_for
from apps.purchases.models import Invoice, InvoiceStatus, PaymentClaim, Purchase
from apps.purchases.services.invoices import quote_invoice
from apps.purchases.services.verify import verify_claim
from apps.sandbox.payments import pay_invoice
from apps.users.models import BotUser
from tests.bot.conftest import bot_said, buttons_of_last_message
from tests.bot.telegram_updates import private_user
from tests.bot.test_journeys import press, say

pytestmark = pytest.mark.django_db(transaction=True)
ADA = private_user(telegram_id=5123456789, first_name="Ada", username="ada")
BAYO = private_user(telegram_id=6100000001, first_name="Bayo", username="bayo_x")


@pytest.fixture
def shop(telegram, providers, catalogue):
    return telegram


def _run_workers():
    for invoice in Invoice.objects.filter(status=InvoiceStatus.PREPARING):
        quote_invoice(invoice.pk)
    for claim in PaymentClaim.objects.filter(status="pending"):
        verify_claim(claim.pk)
    send_due_messages(budget_seconds=5)


def _order_t2(client, method):
    say(client, "/start", user=ADA)
    say(client, f"/start ref_{ADA['id']}", user=BAYO)
    press(client, "menu:services", user=BAYO)
    assert buttons_of_last_message(BAYO["id"])[:2] == ["buy:x", "buy:tg"]
    press(client, "buy:x", user=BAYO)
    press(client, "buy:tiers", user=BAYO)
    press(client, "buy:plan:t2", user=BAYO)
    press(client, "buy:qty:t2:25:0", user=BAYO)
    assert bot_said(BAYO["id"])[-1] == (
        "🛒 X engagement T2: 25 posts\nTotal: $25.00\n\nHow would you like to pay?"
    )
    press(client, f"buy:pay:t2:25:0:{method}", user=BAYO)
    assert bot_said(BAYO["id"])[-1] == "⏳ Preparing your invoice with a fresh price quote…"
    _run_workers()
    return Invoice.objects.get(user__telegram_id=BAYO["id"])


@pytest.mark.parametrize("method", ["usdt_bep20", "bnb"])
def test_buying_t2_with_crypto_from_menu_to_credits_and_commission(shop, client, method):
    invoice = _order_t2(client, method)
    assert invoice.status == InvoiceStatus.OPEN
    invoice_text = bot_said(BAYO["id"])[-1]
    assert invoice_text.startswith(f"🧾 Invoice {invoice.number}\n\nX engagement T2: 25 posts")
    assert f"to:\n{invoice.deposit_address}" in invoice_text

    tx = pay_invoice(invoice)
    say(client, tx.tx_hash.upper() if method == "bnb" else tx.tx_hash, user=BAYO)
    assert bot_said(BAYO["id"])[-1].startswith(
        f"🔎 Verifying your payment for invoice {invoice.number}"
    )
    _run_workers()

    assert bot_said(BAYO["id"])[-1] == (
        f"✅ Payment confirmed! Your order {invoice.number} has been processed for $25.00.\n\n"
        "Send the X username these posts are for, like @yourname."
    )
    say(client, "@BayoBrand", user=BAYO)
    assert bot_said(BAYO["id"])[-1] == "👍 Got it. Your order is set up; we will take it from here."
    purchase = Purchase.objects.get(invoice=invoice)
    assert (purchase.account, purchase.credits_remaining) == ("bayobrand", 25)

    assert bot_said(ADA["id"])[-1] == (
        "💰 Great news! @bayo_x made a payment of $25.00. You earned $2.50 commission."
    )
    assert balances_for(BotUser.objects.get(telegram_id=ADA["id"]))["affiliate_usd"] == Decimal(
        "2.50"
    )
    press(client, "menu:balance", user=BAYO)
    assert "Posts left: T2 @bayobrand: 25" in bot_said(BAYO["id"])[-1]
    call_command("ledger_check")
    call_command("audit_verify")


def test_the_same_hash_pasted_again_is_refused(shop, client):
    invoice = _order_t2(client, "usdt_bep20")
    tx = pay_invoice(invoice)
    say(client, tx.tx_hash, user=BAYO)
    _run_workers()
    press(client, "buy:pay:t2:25:0:usdt_bep20", user=BAYO)
    _run_workers()
    say(client, tx.tx_hash.replace("0x", "0X"), user=BAYO)
    assert bot_said(BAYO["id"])[-1] == (
        "❌ This transaction hash has already been used. Each payment can be claimed once."
    )
    assert Purchase.objects.count() == 1


def test_a_wrong_amount_is_refused_and_the_invoice_takes_another_hash(shop, client):
    invoice = _order_t2(client, "usdt_trc20")
    say(client, pay_invoice(invoice, "underpay").tx_hash, user=BAYO)
    _run_workers()
    refusal = bot_said(BAYO["id"])[-1]
    assert refusal.startswith(f"❌ Payment verification failed for invoice {invoice.number}: ")
    assert refusal.endswith("You can send another transaction hash for this invoice.")
    say(client, pay_invoice(invoice).tx_hash, user=BAYO)
    _run_workers()
    assert bot_said(BAYO["id"])[-1].startswith("✅ Payment confirmed!")


def test_cancelling_an_invoice(shop, client):
    invoice = _order_t2(client, "usdt_sol")
    press(client, f"pay:cancel:{invoice.number}", user=BAYO)
    assert (
        bot_said(BAYO["id"])[-1] == f"Invoice {invoice.number} is cancelled. Nothing was charged."
    )
    say(client, pay_invoice(invoice).tx_hash, user=BAYO)
    assert bot_said(BAYO["id"])[-2].startswith("❓ I didn't understand that")
    assert not PaymentClaim.objects.exists()


def test_someone_elses_invoice_cannot_be_cancelled(shop, client):
    invoice = _order_t2(client, "usdt_aptos")
    press(client, f"pay:cancel:{invoice.number}", user=ADA)
    assert bot_said(ADA["id"])[-2].startswith("❓ I didn't understand that")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.OPEN
