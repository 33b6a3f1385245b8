"""set_webhook, delete_webhook and bot_info against the fake Bot API over HTTP."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db(transaction=True)
URL = "https://ops.example.com/telegram/webhook/"


def run(*args):
    output = StringIO()
    call_command(*args, stdout=output)
    return output.getvalue()


def test_set_webhook_registers_url_secret_and_allowed_updates(telegram, settings):
    from apps.sandbox.selectors import webhook

    assert f"Webhook set to {URL}" in run("set_webhook", URL, "--max-connections", "20")
    state = webhook()
    assert state.url == URL
    assert state.secret_token == settings.TELEGRAM_WEBHOOK_SECRET
    assert state.max_connections == 20
    assert set(state.allowed_updates) == {"message", "callback_query", "my_chat_member"}
    info = run("bot_info")
    assert "Bot: @" in info and f"Webhook: {URL}" in info


def test_delete_webhook_clears_it(telegram):
    run("set_webhook", URL)
    assert "Webhook deleted." in run("delete_webhook", "--drop-pending-updates")
    assert "Webhook: not set" in run("bot_info")


def test_a_bad_max_connections_is_refused_before_calling_telegram(telegram):
    with pytest.raises(CommandError, match="between 1 and 100"):
        run("set_webhook", URL, "--max-connections", "500")


def test_telegram_errors_are_shown_without_the_token(settings):
    from telegram.error import InvalidToken

    from apps.bot.telegram_calls import describe_error

    token = "987654321:" + "Z" * 35
    settings.TELEGRAM_BOT_TOKEN = token
    # python-telegram-bot puts the rejected token into this very message.
    shown = describe_error(InvalidToken(f"The token `{token}` was rejected by the server."))
    assert token not in shown
    assert "rejected by the server" in shown
