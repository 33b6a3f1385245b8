"""Process stored updates: one chat at a time, in update_id order, each exactly once.

A worker locks the chat's row, takes the chat's oldest pending update, runs the handlers and
marks it done, all in one transaction. A crash rolls everything back, so the update is still
pending and a retry starts from scratch: no effect (a ledger posting, a message in the outbox)
can happen twice. Another worker on the same chat waits for the lock, then takes the next one.
"""

from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from django.db import transaction
from django.utils import timezone

from apps.bot.application import ensure_application, run_update
from apps.bot.models import ChatLock, TelegramUpdate, UpdateStatus
from apps.common.logging import redact

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
DONE, FAILED_WILL_RETRY, FAILED_FOR_GOOD = "done", "retry", "failed"


def process_chat(chat_id: int, *, limit: int = 100) -> list[str]:
    """Handle up to LIMIT pending updates of CHAT_ID in order; stop at the first failure.

    Raises when the bot cannot start (Telegram unreachable, token refused): that is no fault of
    any update, so none is charged an attempt; the task retries later.
    """
    async_to_sync(ensure_application)()
    outcomes = []
    while len(outcomes) < limit:
        outcome = process_next_update(chat_id)
        if outcome is None:
            break
        outcomes.append(outcome)
        if outcome == FAILED_WILL_RETRY:
            break  # later updates wait: the chat's order must hold
    return outcomes


def process_next_update(chat_id: int) -> str | None:
    with transaction.atomic():
        ChatLock.objects.get_or_create(chat_id=chat_id)
        ChatLock.objects.select_for_update().get(chat_id=chat_id)
        update = _oldest_pending(chat_id)
        if update is None:
            return None
        try:
            with transaction.atomic():
                async_to_sync(run_update)(update.payload)
        except Exception as error:
            return _record_failure(update, error)
        update.status = UpdateStatus.DONE
        update.attempts += 1
        update.processed_at = timezone.now()
        update.save(update_fields=["status", "attempts", "processed_at"])
        return DONE


def _oldest_pending(chat_id: int) -> TelegramUpdate | None:
    return (
        TelegramUpdate.objects.filter(chat_id=chat_id, status=UpdateStatus.PENDING)
        .order_by("update_id")
        .first()
    )


def _record_failure(update: TelegramUpdate, error: Exception) -> str:
    update.attempts += 1
    update.last_error = redact(f"{type(error).__name__}: {error}")[:2000]
    gave_up = update.attempts >= MAX_ATTEMPTS
    if gave_up:
        update.status = UpdateStatus.FAILED
    update.save(update_fields=["attempts", "last_error", "status"])
    logger.exception(
        "update %s of chat %s failed (attempt %s)",
        update.update_id,
        update.chat_id,
        update.attempts,
    )
    return FAILED_FOR_GOOD if gave_up else FAILED_WILL_RETRY


def retry_failed_update(*, update: TelegramUpdate) -> bool:
    """Staff's "retry": put a failed update back in its chat's queue."""
    changed = TelegramUpdate.objects.filter(pk=update.pk, status=UpdateStatus.FAILED).update(
        status=UpdateStatus.PENDING, attempts=0
    )
    return changed == 1
