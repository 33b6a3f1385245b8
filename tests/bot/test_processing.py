"""Updates are processed once, in order per chat, and a failure rolls back every effect."""

import pytest
from django.db import connection

from apps.bot.models import OutboundMessage, TelegramUpdate
from apps.bot.processing import MAX_ATTEMPTS, process_chat, retry_failed_update
from apps.users.models import BotUser
from tests.bot.conftest import bot_said, deliver, run_bot
from tests.bot.telegram_updates import message_update, private_user

pytestmark = pytest.mark.django_db(transaction=True)
ADA = private_user()


def test_the_same_update_delivered_five_times_is_processed_once(telegram, client):
    update = message_update("/start", user=ADA)
    for _ in range(5):
        deliver(client, update)
        run_bot()
    assert len(bot_said(ADA["id"])) == 1
    assert TelegramUpdate.objects.get().status == "done"


def test_updates_of_one_chat_are_handled_in_update_id_order(telegram, client):
    later = message_update("/help", user=ADA, update_id=500)
    earlier = message_update("/start", user=ADA, update_id=499)
    deliver(client, later)
    deliver(client, earlier)
    run_bot()
    said = bot_said(ADA["id"])
    assert said[0].startswith("👋 Welcome")
    assert said[1].startswith("❔ Help")


@pytest.fixture
def crashing_handler(telegram):
    """A handler that has effects (a registration, a queued reply) and then crashes."""
    from asgiref.sync import async_to_sync, sync_to_async
    from telegram.ext import MessageHandler, filters

    from apps.bot.application import ensure_application
    from apps.bot.outbox import queue_text
    from apps.users.services import register_bot_user

    def effects_then_crash(update):
        register_bot_user(telegram_id=update.effective_user.id)
        queue_text(chat_id=update.effective_chat.id, text="half done", dedupe_key="crash")
        raise RuntimeError("worker crashed mid-update")

    async def handler(update, context):
        await sync_to_async(effects_then_crash)(update)

    application = async_to_sync(ensure_application)()
    application.add_handler(MessageHandler(filters.Regex("^/crash"), handler), group=-1)


def test_a_crash_mid_update_rolls_back_its_effects_and_holds_the_chat(crashing_handler, client):
    deliver(client, message_update("/crash", user=ADA, update_id=700))
    deliver(client, message_update("/help", user=ADA, update_id=701))
    assert process_chat(ADA["id"]) == ["retry"]
    first, second = TelegramUpdate.objects.order_by("update_id")
    assert (first.status, first.attempts, second.status) == ("pending", 1, "pending")
    assert "worker crashed mid-update" in first.last_error
    assert not BotUser.objects.exists()
    assert not OutboundMessage.objects.exists()


def test_an_update_that_keeps_failing_is_parked_and_staff_can_retry_it(crashing_handler, client):
    deliver(client, message_update("/crash", user=ADA, update_id=800))
    deliver(client, message_update("/help", user=ADA, update_id=801))
    for _ in range(MAX_ATTEMPTS - 1):
        assert process_chat(ADA["id"]) == ["retry"]
    assert process_chat(ADA["id"]) == ["failed", "done"]  # parked; the chat moves on
    crashed = TelegramUpdate.objects.get(update_id=800)
    assert (crashed.status, crashed.attempts) == ("failed", MAX_ATTEMPTS)
    assert retry_failed_update(update=crashed)
    assert TelegramUpdate.objects.get(update_id=800).status == "pending"


def test_when_telegram_is_unreachable_no_update_is_charged_an_attempt(client, settings, db):
    from apps.bot.application import reset_application

    settings.TELEGRAM_API_BASE_URL = "http://127.0.0.1:1/bot"
    reset_application()
    deliver(client, message_update("/start", user=ADA, update_id=750))
    with pytest.raises(Exception, match=r"NetworkError|ConnectError|connect"):
        process_chat(ADA["id"])
    update = TelegramUpdate.objects.get()
    assert (update.status, update.attempts) == ("pending", 0)
    reset_application()


@pytest.mark.postgres
def test_two_workers_on_one_chat_keep_the_order(telegram, client):
    import threading

    for update_id in range(900, 906):
        text = "/start" if update_id == 900 else "/help"
        deliver(client, message_update(text, user=ADA, update_id=update_id))
    errors = []

    def worker():
        try:
            process_chat(ADA["id"])
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert TelegramUpdate.objects.filter(status="done").count() == 6
    run_bot()
    assert bot_said(ADA["id"])[0].startswith("👋 Welcome")
    assert len(bot_said(ADA["id"])) == 6


@pytest.mark.redis
def test_a_burst_of_updates_in_one_chat_wakes_its_worker_once(telegram):
    from apps.bot.inbox import wake_chat
    from apps.bot.tasks import process_chat as process_chat_task

    assert wake_chat(ADA["id"]) is True
    assert wake_chat(ADA["id"]) is False  # already queued: the queued task will take it
    process_chat_task.run(ADA["id"])  # the task clears the flag before looking for work
    assert wake_chat(ADA["id"]) is True
