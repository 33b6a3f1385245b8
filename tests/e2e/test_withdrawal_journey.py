"""Withdrawing as a bot user would: balance → amount → bank → account → confirm → held."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from apps.ledger.models import AccountKind
from apps.ledger.selectors import balances_for
from apps.ledger.services import user_account
from apps.users.models import BotUser
from apps.withdrawals.models import Draft, Status, Withdrawal
from tests.bot.conftest import bot_said, buttons_of_last_message
from tests.bot.telegram_updates import private_user
from tests.bot.test_journeys import press, say
from tests.ledger.factories import fund

pytestmark = pytest.mark.django_db(transaction=True)
ADA = private_user(telegram_id=5123456789, first_name="Ada", username="ada")


@pytest.fixture
def ada(telegram, providers, client, eager_tasks):
    say(client, "/start", user=ADA)
    user = BotUser.objects.get(telegram_id=ADA["id"])
    fund(user_account(owner=user, kind=AccountKind.AFFILIATE), "120.00")
    return user


def last() -> str:
    return bot_said(ADA["id"])[-1]


def test_withdrawing_affiliate_dollars_to_a_bank_account(ada, client):
    press(client, "menu:withdraw", user=ADA)
    assert buttons_of_last_message(ADA["id"])[0] == "wd:bal:affiliate"
    press(client, "wd:bal:affiliate", user=ADA)
    assert last().startswith("How much do you want to withdraw? Available: $120.00.")
    say(client, "12.345", user=ADA)
    assert last() == "⚠️ Use at most 2 decimal places for USD, like 1,000.50."
    say(client, "1,00", user=ADA)  # 1.00 or 100? Asked again, never guessed
    assert last() == "⚠️ Put commas only between groups of three digits, like 12,345,678.90."
    say(client, "1e2", user=ADA)
    assert last().startswith("⚠️ ") and "Which bank?" not in last()
    say(client, "₦5000", user=ADA)  # the affiliate balance is in dollars
    assert "Which bank?" not in last()
    say(client, "500", user=ADA)
    assert last() == "⚠️ You only have USD 120.00 available."
    say(client, "50", user=ADA)
    assert last() == "🏦 Which bank? Send its name, like Access or GTBank."
    say(client, "access", user=ADA)
    assert "wd:bank:044" in buttons_of_last_message(ADA["id"])
    press(client, "wd:bank:044", user=ADA)
    say(client, "12345", user=ADA)
    assert last() == "⚠️ A Nigerian account number has exactly 10 digits. Send it again."
    for not_ascii in ("²" * 10, "٠٦٩٠٠٠٠٠٣٢"):  # str.isdigit() accepts both
        say(client, not_ascii, user=ADA)
        assert last() == "⚠️ A Nigerian account number has exactly 10 digits. Send it again."
    say(client, "0690000032", user=ADA)
    confirmation = last()
    assert confirmation.startswith(
        "🏦 Please confirm your withdrawal\n\nAccount name: Pastor Bright"
    )
    assert "Account: ******0032" in confirmation and "0690000032" not in confirmation
    assert "Amount: $50.00 = ₦77,500.00" in confirmation
    draft = Draft.objects.get()
    press(client, f"wd:confirm:{draft.pk}", user=ADA)
    withdrawal = Withdrawal.objects.get()
    assert (withdrawal.status, withdrawal.amount_ngn) == (Status.REQUESTED, Decimal("77500.00"))
    assert last().startswith(f"✅ Withdrawal W-{withdrawal.pk} requested: $50.00 (₦77,500.00")
    assert balances_for(ada)["affiliate_usd"] == Decimal("70.00")
    press(client, f"wd:confirm:{draft.pk}", user=ADA)  # a second press creates nothing
    assert Withdrawal.objects.count() == 1


def test_an_account_the_bank_does_not_know_is_asked_again(ada, client):
    press(client, "wd:bal:affiliate", user=ADA)
    say(client, "10", user=ADA)
    say(client, "gtbank", user=ADA)
    press(client, "wd:bank:058", user=ADA)
    say(client, "0123450000", user=ADA)
    assert "does not know account 0123450000" in last()
    say(client, "0123456789", user=ADA)
    assert last().startswith("🏦 Please confirm your withdrawal")


def test_cancelling_while_it_waits_gives_the_money_back(ada, client):
    press(client, "wd:bal:affiliate", user=ADA)
    say(client, "20", user=ADA)
    say(client, "zenith", user=ADA)
    press(client, "wd:bank:057", user=ADA)
    say(client, "0123456789", user=ADA)
    press(client, f"wd:confirm:{Draft.objects.get().pk}", user=ADA)
    withdrawal = Withdrawal.objects.get()
    press(client, "menu:withdraw", user=ADA)
    assert buttons_of_last_message(ADA["id"])[0] == f"wd:cancel:{withdrawal.pk}"
    press(client, f"wd:cancel:{withdrawal.pk}", user=ADA)
    assert Withdrawal.objects.get().status == Status.CANCELLED
    assert balances_for(ada)["affiliate_usd"] == Decimal("120.00")
    assert "is cancelled" in last()


def test_made_up_bank_and_draft_buttons_change_nothing(ada, client):
    press(client, "wd:bank:044", user=ADA)  # not in a bank step
    assert bot_said(ADA["id"])[-2].startswith("❓ I didn't understand that")
    for made_up in ("wd:confirm:²", "wd:cancel:²", "wd:confirm:" + "9" * 40):
        press(client, made_up, user=ADA)
        assert bot_said(ADA["id"])[-2].startswith("❓ I didn't understand that")
    press(client, "wd:confirm:999", user=ADA)
    assert last().startswith("⏰ This confirmation has expired")
    assert not Withdrawal.objects.exists()


def test_the_whole_withdrawal_from_the_bot_to_the_bank(ada, client, finance_clerk):
    """Request in the bot, approval through the admin's action and confirmation page, payout at
    the fake Flutterwave, the status sync, the user's DM, then the ledger and audit invariants."""
    from django.core.management import call_command

    from apps.audit.models import AuditEvent
    from apps.bot.sender import send_due_messages
    from apps.sandbox.flutterwave.transfers import settle_transfer
    from apps.sandbox.models import FlutterwaveTransfer
    from apps.withdrawals.services import payouts

    press(client, "wd:bal:affiliate", user=ADA)
    say(client, "40", user=ADA)
    say(client, "access", user=ADA)
    press(client, "wd:bank:044", user=ADA)
    say(client, "0690000032", user=ADA)
    press(client, f"wd:confirm:{Draft.objects.get().pk}", user=ADA)
    withdrawal = Withdrawal.objects.get()

    staff = Client()
    staff.force_login(finance_clerk)
    queue = "/admin/withdrawals/withdrawal/"
    selected = {"action": "approve_selected", "_selected_action": [withdrawal.pk]}
    page = staff.post(queue, {**selected, "index": "0"})
    assert "Approve withdrawals" in page.content.decode()
    done = staff.post(queue, {**selected, "stage": "confirm", "payout_mode": "automatic"})
    assert done.status_code == 302

    # Tasks run eagerly here: the approval's commit ran the payout worker at once.
    assert Withdrawal.objects.get().status == Status.SENT
    settle_transfer(f"VCW-{withdrawal.pk}-1", "SUCCESSFUL")
    assert payouts.sync_payout(withdrawal.pk) == "paid"
    send_due_messages(budget_seconds=5)

    assert FlutterwaveTransfer.objects.count() == 1
    to_bank = "$40.00 (₦62,000.00 to Access Bank ******0032)"
    assert last() == f"💸 Withdrawal W-{withdrawal.pk} is paid: {to_bank}."
    events = AuditEvent.objects.filter(object_type="withdrawals.withdrawal").order_by("sequence")
    assert list(events.values_list("action", flat=True)) == [
        "withdrawal.requested",
        "withdrawal.approved",
        "withdrawal.sending",
        "withdrawal.sent",
        "withdrawal.paid",
    ]
    assert balances_for(ada)["affiliate_usd"] == Decimal("80.00")
    call_command("ledger_check")
    call_command("audit_verify")
