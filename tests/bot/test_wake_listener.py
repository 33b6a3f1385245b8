"""On PostgreSQL the webhook's INSERT notifies; the listener turns that into the chat's task."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest
from django.db import connection

from apps.bot.inbox import WAKE_CHANNEL
from apps.bot.listener import run_listener
from tests.bot.conftest import deliver as deliver_to_webhook
from tests.bot.telegram_updates import message_update, private_user

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
ADA = private_user()
BOB = private_user(telegram_id=5987654321, first_name="Bob", username="bob")


def deliver(client, update):
    assert deliver_to_webhook(client, update).status_code == 200


def notifications_within(listening, seconds=1.0) -> list[str]:
    return [notify.payload for notify in listening.notifies(timeout=seconds)]


@pytest.fixture
def listening():
    """A connection of the test's own, LISTENing as the wake process does."""
    with psycopg.connect(**connection.get_connection_params(), autocommit=True) as conn:
        conn.execute(f"LISTEN {WAKE_CHANNEL}")
        yield conn


@pytest.fixture
def listener():
    """run_listener in a thread, as `manage.py wake_bot_chats` runs it; stopped afterwards."""
    stop = threading.Event()
    threads = []

    def start():
        thread = threading.Thread(target=run_listener, args=(stop,), daemon=True)
        thread.start()
        threads.append(thread)
        time.sleep(0.5)  # connected and LISTENing

    yield start
    stop.set()
    for thread in threads:
        thread.join(timeout=5)
        assert not thread.is_alive()


def test_a_stored_update_is_announced_once_and_a_redelivery_not_at_all(client, listening):
    update = message_update("/start", user=ADA)
    deliver(client, update)
    deliver(client, update)  # Telegram redelivers: stored once, announced once
    assert notifications_within(listening) == [str(ADA["id"])]


def test_updates_the_bot_ignores_are_not_announced(client, listening):
    deliver(client, {"update_id": 77_001, "poll": {"id": "1"}})
    assert notifications_within(listening, 0.5) == []


@pytest.mark.redis
def test_the_listener_queues_each_chat_once_for_a_burst(client, listener, bot_queue):
    listener()
    for text in ("/start", "hello", "/help"):
        deliver(client, message_update(text, user=ADA))
    deliver(client, message_update("/start", user=BOB))
    assert sorted(bot_queue()) == [ADA["id"], BOB["id"]]


def test_a_listener_started_late_queues_the_chats_left_pending(client, listener, bot_queue):
    deliver(client, message_update("/start", user=ADA))  # nobody listening yet
    listener()
    assert bot_queue() == [ADA["id"]]


@pytest.fixture
def database_unreachable():
    """New connections of this test (the listener's among them) go to a port nobody serves."""
    settings_dict = connection.settings_dict  # shared with the connections other threads open
    real_port = settings_dict["PORT"]
    settings_dict["PORT"] = "1"

    def restore():
        settings_dict["PORT"] = real_port

    yield restore
    restore()


def test_a_listener_survives_a_database_outage(
    client, listener, bot_queue, database_unreachable, caplog
):
    listener()  # cannot connect: it says so and tries again
    assert "bot wake listener: database unavailable" in caplog.text
    database_unreachable()  # the database is back
    time.sleep(1.5)  # the first retry comes after a second
    deliver(client, message_update("/start", user=ADA))
    assert bot_queue() == [ADA["id"]]
