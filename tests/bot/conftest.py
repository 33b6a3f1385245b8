"""Drive the bot as Telegram would: updates into the webhook, replies read from the fake."""

from __future__ import annotations

import json
import time

import pytest
from django.conf import settings

from apps.bot.application import reset_application
from apps.bot.models import TelegramUpdate
from apps.bot.processing import process_chat
from apps.bot.sender import send_due_messages
from apps.bot.webhook import SECRET_HEADER
from viralcore.celery import app as celery_app


@pytest.fixture
def telegram(live_server, settings):
    """The bot pointed at the sandbox's fake Bot API over real HTTP; no pacing between sends."""
    settings.TELEGRAM_API_BASE_URL = f"{live_server.url}/sandbox/telegram/bot"
    settings.TELEGRAM_PRIVATE_CHAT_INTERVAL = 0
    settings.TELEGRAM_GROUP_CHAT_INTERVAL = 0
    settings.TELEGRAM_MESSAGES_PER_SECOND = 1000
    reset_application()
    yield live_server
    reset_application()


def deliver(client, update: dict):
    """POST one update to the webhook with the real secret, as Telegram does."""
    return client.post(
        "/telegram/webhook/",
        data=json.dumps(update),
        content_type="application/json",
        headers={SECRET_HEADER: settings.TELEGRAM_WEBHOOK_SECRET},
    )


def run_bot() -> None:
    """What the worker does after the webhook: process each chat's updates, then send."""
    chat_ids = TelegramUpdate.objects.filter(status="pending").values_list("chat_id", flat=True)
    for chat_id in sorted(set(chat_ids)):
        process_chat(chat_id)
    send_due_messages(budget_seconds=5)


def bot_said(chat_id: int) -> list[str]:
    """Texts and captions the fake Bot API received for CHAT_ID, in order."""
    from apps.sandbox.selectors import sent_to

    return [message.text or message.caption for message in sent_to(chat_id)]


def buttons_of_last_message(chat_id: int) -> list[str]:
    from apps.sandbox.selectors import sent_to

    markup = sent_to(chat_id)[-1].reply_markup or {}
    return [button["callback_data"] for row in markup.get("inline_keyboard", []) for button in row]


@pytest.fixture
def bot_queue():
    """The broker's bot queue, emptied first; yields a reader of the chat ids queued on it."""
    with celery_app.connection_for_read() as broker:
        queue = broker.SimpleQueue("bot", no_ack=True)
        queue.clear()

        def chats_queued(wait_seconds=3.0) -> list[int]:
            chat_ids, deadline = [], time.monotonic() + wait_seconds
            while time.monotonic() < deadline:
                try:
                    message = queue.get(timeout=0.2)
                except queue.Empty:
                    continue
                assert message.headers["task"] == "apps.bot.tasks.process_chat"
                chat_ids.append(message.decode()[0][0])
            return chat_ids

        yield chats_queued
        queue.close()
