"""The other purchase paths in the bot: Telegram engagement, typed quantities, manual products."""

from __future__ import annotations

import pytest

from apps.purchases.models import FulfilmentTask, Invoice, InvoiceStatus, TaskStatus
from apps.sandbox.payments import pay_invoice
from tests.bot.conftest import bot_said, buttons_of_last_message
from tests.bot.telegram_updates import private_user
from tests.bot.test_journeys import press, say
from tests.e2e.test_purchase_journey import _run_workers

pytestmark = pytest.mark.django_db(transaction=True)
CHI = private_user(telegram_id=6200000002, first_name="Chi", username="chi")


@pytest.fixture
def shop(telegram, providers, catalogue):
    return telegram


def last(user=CHI) -> str:
    return bot_said(user["id"])[-1]


def test_telegram_engagement_with_a_typed_number_of_posts(shop, client):
    say(client, "/start", user=CHI)
    press(client, "buy:tg", user=CHI)
    assert "buy:plan:tgt" in buttons_of_last_message(CHI["id"])
    press(client, "buy:plan:tgt", user=CHI)
    assert buttons_of_last_message(CHI["id"])[:6] == [
        f"buy:cpp:tgt:{count}" for count in (5, 10, 15, 20, 25, 30)
    ]
    press(client, "buy:cpp:tgt:15", user=CHI)
    press(client, "buy:custom:tgt:15", user=CHI)
    say(client, "5", user=CHI)
    assert last() == "⚠️ The minimum is 10 posts."
    say(client, "twenty", user=CHI)
    assert last() == "Please send a whole number, like 250."
    say(client, "20", user=CHI)
    assert last() == (
        "🛒 Telegram engagement: 20 posts x 15 comments\nTotal: $6.00\n\nHow would you like to pay?"
    )
    assert "buy:pay:tgt:20:15:bank_ngn" in buttons_of_last_message(CHI["id"])


def test_made_up_callback_data_changes_nothing(shop, client):
    say(client, "/start", user=CHI)
    for data in (
        "buy:plan:t9",
        "buy:qty:t2:abc:0",
        "buy:qty:t2:²:0",  # str.isdigit() says yes, int() says no
        "buy:cpp:tgt:7",
        "buy:pay:t2:25:0:doge",
        "buy:",
    ):
        press(client, data, user=CHI)
        assert bot_said(CHI["id"])[-2].startswith("❓ I didn't understand that")
    press(client, "buy:qty:t2:3:0", user=CHI)
    assert last() == "⚠️ The minimum is 10 posts."
    assert not Invoice.objects.exists()


def test_poll_votes_ask_for_the_poll_after_payment_and_open_a_staff_task(shop, client):
    say(client, "/start", user=CHI)
    press(client, "buy:x", user=CHI)
    press(client, "buy:plan:x_poll", user=CHI)
    press(client, "buy:qty:x_poll:50:0", user=CHI)
    press(client, "buy:pay:x_poll:50:0:usdt_trc20", user=CHI)
    _run_workers()
    invoice = Invoice.objects.get()
    say(client, pay_invoice(invoice).tx_hash, user=CHI)
    _run_workers()
    assert last().endswith(
        "Send the poll link and the option number, like https://x.com/you/status/1, 2"
    )
    say(client, "https://x.com/chi/status/42", user=CHI)
    assert last().startswith("⚠️ Send the poll link and the option number (1 to 4)")
    say(client, "https://x.com/chi/status/42, 3", user=CHI)
    assert last() == "👍 Got it. Your order is set up; we will take it from here."
    task = FulfilmentTask.objects.get()
    assert task.status == TaskStatus.OPEN
    assert task.details == {"poll_link": "https://x.com/chi/status/42", "option": 3}
    assert Invoice.objects.get().status == InvoiceStatus.PAID
