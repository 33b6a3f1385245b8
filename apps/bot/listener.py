"""The wake listener: PostgreSQL's NOTIFY of a stored update becomes the chat's Celery task.

On PostgreSQL the webhook's one INSERT also notifies WAKE_CHANNEL (apps/bot/inbox.py), so the
web process never talks to Redis or the broker. This loop, run by `manage.py wake_bot_chats`,
listens on a connection of its own and wakes each notified chat once per short batch. When
the listener is down nothing is lost: the updates wait in the inbox, the beat sweeper wakes
their chats within a minute, and a listener that (re)connects wakes every pending chat first.
"""

from __future__ import annotations

import logging
import threading

import psycopg
from django.db import OperationalError as DatabaseOperationalError
from django.db import connection

from apps.bot.inbox import WAKE_CHANNEL, wake_chats
from apps.bot.models import TelegramUpdate, UpdateStatus

logger = logging.getLogger(__name__)

# Notifications arriving this close together are one batch: a burst in one chat is one wake.
BATCH_SECONDS = 0.05
# How long one wait for a notification lasts, so a stop request is seen within it.
IDLE_SECONDS = 1.0
RECONNECT_DELAYS = (1, 2, 5, 10, 30)
PENDING_CHATS_AT_START = 1000


def run_listener(stop: threading.Event) -> None:
    """Listen and wake until STOP is set, reconnecting with growing pauses."""
    failures = 0
    while not stop.is_set():
        try:
            with _listening_connection() as listening:
                failures = 0
                logger.info("bot wake listener: listening on %s", WAKE_CHANNEL)
                _wake(pending_chats())
                while not stop.is_set():
                    _wake(next_batch(listening))
        except (psycopg.OperationalError, DatabaseOperationalError) as error:
            delay = RECONNECT_DELAYS[min(failures, len(RECONNECT_DELAYS) - 1)]
            failures += 1
            logger.warning(
                "bot wake listener: database unavailable (%s); retrying in %s s",
                type(error).__name__,
                delay,
            )
            stop.wait(delay)


def _wake(chat_ids: set[int]) -> None:
    try:
        wake_chats(chat_ids)
    except Exception:
        # Redis or the broker is down: keep listening; the beat sweeper re-queues these chats.
        logger.exception("bot wake listener: could not queue %s chat(s)", len(chat_ids))


def _listening_connection() -> psycopg.Connection:
    # Django's own connection parameters (host, user, timeouts), outside its pool: this
    # connection stays LISTENing for the life of the process.
    listening = psycopg.connect(**connection.get_connection_params(), autocommit=True)
    listening.execute(f"LISTEN {WAKE_CHANNEL}")
    return listening


def next_batch(listening: psycopg.Connection) -> set[int]:
    """Chat ids notified in the next batch; empty when IDLE_SECONDS pass in silence."""
    chat_ids: set[int] = set()
    for notify in listening.notifies(timeout=IDLE_SECONDS, stop_after=1):
        chat_ids.update(_chat_id(notify))
    if chat_ids:
        for notify in listening.notifies(timeout=BATCH_SECONDS):
            chat_ids.update(_chat_id(notify))
    return chat_ids


def _chat_id(notify) -> list[int]:
    try:
        return [int(notify.payload)]
    except ValueError:
        logger.warning("bot wake listener: ignored a notification that is not a chat id")
        return []


def pending_chats() -> set[int]:
    """Chats with a pending update: they may have arrived while nobody listened."""
    try:
        return set(
            TelegramUpdate.objects.filter(status=UpdateStatus.PENDING)
            .values_list("chat_id", flat=True)
            .distinct()[:PENDING_CHATS_AT_START]
        )
    finally:
        connection.close()  # back to the pool: this process only listens from now on
