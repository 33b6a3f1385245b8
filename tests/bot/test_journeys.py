"""Bot journeys driven end to end: webhook → worker → outbox → fake Bot API over HTTP."""

from decimal import Decimal

import pytest

from apps.bot.models import TelegramGroup
from apps.users.models import BotUser
from tests.bot.conftest import bot_said, buttons_of_last_message, deliver, run_bot
from tests.bot.telegram_updates import (
    callback_update,
    group_chat,
    message_update,
    my_chat_member_update,
    private_user,
)

pytestmark = pytest.mark.django_db(transaction=True)
ADA = private_user(telegram_id=5123456789, first_name="Ada", username="ada")
BAYO = private_user(telegram_id=6100000001, first_name="Bayo", username="bayo_x")
MENU = ["menu:services", "menu:affiliate", "menu:balance", "menu:withdraw", "menu:support"]


def say(client, text, user=ADA):
    assert deliver(client, message_update(text, user=user)).status_code == 200
    run_bot()


def press(client, data, user=ADA):
    assert deliver(client, callback_update(data, user=user)).status_code == 200
    run_bot()


def test_start_registers_the_user_and_shows_the_welcome_menu(telegram, client):
    say(client, "/start")
    assert BotUser.objects.get(telegram_id=ADA["id"]).username == "ada"
    said = bot_said(ADA["id"])
    assert len(said) == 1
    assert said[0].startswith("👋 Welcome to Viral Core - your gateway to organic marketing")
    assert buttons_of_last_message(ADA["id"]) == MENU


def test_the_menu_picture_is_uploaded_once_then_reused(telegram, client):
    from apps.sandbox.selectors import sent_to

    say(client, "/start")
    say(client, "/start", user=BAYO)
    first, second = sent_to(ADA["id"])[-1], sent_to(BAYO["id"])[-1]
    assert first.photo_file_id and first.photo_file_id == second.photo_file_id


def test_start_with_a_referral_link_records_the_referrer_for_a_new_user(telegram, client):
    say(client, "/start", user=ADA)
    say(client, f"/start ref_{ADA['id']}", user=BAYO)
    assert BotUser.objects.get(telegram_id=BAYO["id"]).referrer.telegram_id == ADA["id"]


def test_a_referral_link_never_changes_an_existing_users_referrer(telegram, client):
    say(client, "/start", user=ADA)
    say(client, "/start", user=BAYO)
    say(client, f"/start ref_{ADA['id']}", user=BAYO)
    assert BotUser.objects.get(telegram_id=BAYO["id"]).referrer is None


@pytest.mark.parametrize(
    "argument", ["ref_5123456789", "ref_999", "ref_abc", "ref_²", "ref_" + "9" * 40, "promo"]
)
def test_self_unknown_and_malformed_referrals_register_without_a_referrer(
    telegram, client, argument
):
    say(client, f"/start {argument}")
    assert BotUser.objects.get(telegram_id=ADA["id"]).referrer is None
    assert len(bot_said(ADA["id"])) == 1


def test_affiliate_screen_shows_link_referrals_and_balance(telegram, client):
    say(client, "/start", user=ADA)
    say(client, f"/start ref_{ADA['id']}", user=BAYO)
    press(client, "menu:affiliate")
    text = bot_said(ADA["id"])[-1]
    assert "https://t.me/" in text and f"?start=ref_{ADA['id']}" in text
    assert "You have referred 1 users." in text
    assert "Affiliate balance: $0.00" in text


def test_balance_screen_reads_the_ledger(telegram, client):
    from apps.audit.actors import Actor
    from apps.ledger.services.accounts import system_account, user_account
    from apps.ledger.services.posting import transfer

    say(client, "/start")
    user = BotUser.objects.get(telegram_id=ADA["id"])
    transfer(
        source=system_account(kind="commissions", currency="USD"),
        destination=user_account(owner=user, kind="affiliate"),
        amount=Decimal("12.50"),
        idempotency_key="test-commission-1",
        kind="commission",
        actor=Actor.system("tests"),
    )
    press(client, "menu:balance")
    text = bot_said(ADA["id"])[-1]
    assert "Affiliate balance: $12.50" in text
    assert "Reply earnings: ₦0.00" in text


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("menu:services", "Service menu"),
        ("menu:withdraw", "Withdraw"),
        ("menu:support", "@ViralCore_Support"),
        ("menu:main", "What would you like to do?"),
    ],
)
def test_every_menu_button_answers(telegram, client, data, expected):
    say(client, "/start")
    press(client, data)
    assert expected in bot_said(ADA["id"])[-1]


def test_made_up_callback_data_gets_a_polite_reply_and_the_menu(telegram, client):
    say(client, "/start")
    press(client, "withdraw:all:to:attacker")
    said = bot_said(ADA["id"])
    assert said[-2] == "❓ I didn't understand that. Use the menu buttons to navigate."
    assert buttons_of_last_message(ADA["id"]) == MENU


def test_unexpected_text_gets_help_and_the_menu(telegram, client):
    say(client, "hello?")
    said = bot_said(ADA["id"])
    assert said[0].startswith("❓ I didn't understand that")
    assert said[1] == "What would you like to do?"


def test_help_command(telegram, client):
    say(client, "/help")
    assert bot_said(ADA["id"])[-1].startswith("❔ Help")


def test_commands_in_a_group_ask_for_a_private_chat(telegram, client):
    chat = group_chat()
    deliver(client, message_update("/start", user=ADA, chat=chat))
    deliver(client, message_update("nice post", user=ADA, chat=chat, update_id=None))
    run_bot()
    assert bot_said(chat["id"]) == ["Please use these commands in a private chat with the bot."]
    assert not BotUser.objects.exists()


def test_groups_the_bot_joins_and_leaves_are_recorded(telegram, client):
    chat = group_chat(title="Comment squad")
    deliver(client, my_chat_member_update(chat=chat, status="member"))
    run_bot()
    group = TelegramGroup.objects.get(chat_id=chat["id"])
    assert (group.title, group.is_active) == ("Comment squad", True)
    deliver(client, my_chat_member_update(chat=chat, status="left"))
    run_bot()
    group.refresh_from_db()
    assert group.is_active is False
