"""Celery tasks of the bot: thin wrappers around processing.py and sender.py."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.core.cache import cache
from django.db.models import Min
from django.utils import timezone

from apps.bot.inbox import wake_flag
from apps.bot.models import TelegramUpdate, UpdateStatus
from apps.bot.processing import FAILED_WILL_RETRY
from apps.bot.processing import process_chat as process_chat_updates
from apps.bot.sender import send_due_messages

logger = logging.getLogger(__name__)
# A pending update this old was probably left by a lost enqueue or a crashed worker.
STUCK_AFTER = timedelta(seconds=30)


@shared_task(bind=True, max_retries=None)
def process_chat(self, chat_id: int) -> int:
    # Cleared before looking for work: an update stored from now on wakes the chat again.
    cache.delete(wake_flag(chat_id))
    outcomes = process_chat_updates(chat_id)
    if outcomes and outcomes[-1] == FAILED_WILL_RETRY:
        # Back off and take the chat again; its later updates wait for this one.
        raise self.retry(countdown=min(2 ** len(outcomes), 60))
    return len(outcomes)


@shared_task
def sweep_pending_updates() -> int:
    """Re-enqueue chats whose updates wait too long (beat, every 30 s)."""
    cutoff = timezone.now() - STUCK_AFTER
    stuck = (
        TelegramUpdate.objects.filter(status=UpdateStatus.PENDING, received_at__lt=cutoff)
        .values("chat_id")
        .annotate(oldest=Min("update_id"))
    )
    chat_ids = [row["chat_id"] for row in stuck[:500]]
    for chat_id in chat_ids:
        process_chat.delay(chat_id)
    if chat_ids:
        logger.warning(
            "bot sweeper: re-queued %s chat(s) whose updates waited over %s s; their wake-up "
            "was lost (on PostgreSQL, is `manage.py wake_bot_chats` running?)",
            len(chat_ids),
            int(STUCK_AFTER.total_seconds()),
        )
    return len(chat_ids)


@shared_task
def send_outbox() -> int:
    """Deliver due outbox messages (after each queued message, and from beat every 10 s)."""
    return send_due_messages()
