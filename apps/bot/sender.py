"""The outbox's one sender: Bot API calls at Telegram's pace, each at most once.

- One sender at a time, across processes: a lease row (``SenderLease``) taken by compare-and-swap.
- Telegram's limits: about 30 messages a second overall, 1 a second per private chat and 20 a
  minute per group; a 429 reschedules the message after its ``retry_after``.
- At most once: a message is marked ``sending`` (committed) before the HTTP call. If the process
  dies before the answer is recorded, the row stays ``sending``; it is later marked ``unknown``
  and never resent, because Telegram has no idempotency key and may already have delivered it.
  A timeout is treated the same way. 5xx and connection failures are retried with backoff.
"""

from __future__ import annotations

import logging
import time
import uuid
from datetime import timedelta

from asgiref.sync import async_to_sync
from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from apps.bot.models import ChatDelivery, OutboundMessage, OutboxStatus, SenderLease
from apps.bot.telegram_calls import call_bot_api, describe_error

logger = logging.getLogger(__name__)

UNRATED_METHODS = frozenset({"answerCallbackQuery"})
MAX_ATTEMPTS = 6
LEASE_SECONDS = 60
STALE_SENDING = timedelta(minutes=5)
BATCH = 30


def send_due_messages(*, budget_seconds: float = 20.0) -> int:
    """Send what is due until nothing is or the budget is spent; 0 if another sender runs."""
    holder = uuid.uuid4().hex
    if not _take_lease(holder):
        return 0
    sent = 0
    deadline = time.monotonic() + budget_seconds
    try:
        _mark_interrupted_sends_unknown()
        while time.monotonic() < deadline:
            batch = _due_messages()
            if not batch:
                break
            sent += sum(_send_one(message) for message in batch)
            _take_lease(holder)
            if not any(_chat_is_ready(message) for message in _due_messages()):
                time.sleep(0.2)  # only rate-limited chats left: let their interval pass
    finally:
        SenderLease.objects.filter(pk=1, holder=holder).update(holder="", expires_at=None)
    return sent


def _take_lease(holder: str) -> bool:
    now = timezone.now()
    SenderLease.objects.get_or_create(pk=1)
    free = Q(expires_at__isnull=True) | Q(expires_at__lt=now) | Q(holder=holder)
    taken = SenderLease.objects.filter(free, pk=1).update(
        holder=holder, expires_at=now + timedelta(seconds=LEASE_SECONDS)
    )
    return taken == 1


def _mark_interrupted_sends_unknown() -> None:
    stale = OutboundMessage.objects.filter(
        status=OutboxStatus.SENDING, next_attempt_at__lt=timezone.now() - STALE_SENDING
    )
    for message_id in stale.values_list("pk", flat=True):
        OutboundMessage.objects.filter(pk=message_id, status=OutboxStatus.SENDING).update(
            status=OutboxStatus.UNKNOWN, last_error="interrupted while sending; not resent"
        )
        logger.warning("outbox message %s was interrupted while sending; not resent", message_id)


def _due_messages() -> list[OutboundMessage]:
    due = OutboundMessage.objects.filter(
        status=OutboxStatus.PENDING, next_attempt_at__lte=timezone.now()
    )
    return list(due.order_by("id")[:BATCH])


def _chat_is_ready(message: OutboundMessage) -> bool:
    if message.method in UNRATED_METHODS:
        return True
    delivery = ChatDelivery.objects.filter(chat_id=message.chat_id).first()
    if delivery is None:
        return True
    seconds = (
        settings.TELEGRAM_GROUP_CHAT_INTERVAL
        if message.chat_id < 0
        else settings.TELEGRAM_PRIVATE_CHAT_INTERVAL
    )
    return timezone.now() - delivery.last_sent_at >= timedelta(seconds=seconds)


def _send_one(message: OutboundMessage) -> int:
    if not _chat_is_ready(message) or not _claim(message):
        return 0
    time.sleep(1 / settings.TELEGRAM_MESSAGES_PER_SECOND)
    try:
        result = async_to_sync(call_bot_api)(message.method, message.chat_id, message.payload)
    except RetryAfter as error:
        _reschedule(message, seconds=_seconds(error.retry_after), error=error, count=False)
    except TimedOut:
        _finish(message, OutboxStatus.UNKNOWN, error="timed out; not resent")
    except (BadRequest, Forbidden) as error:
        _finish(
            message, OutboxStatus.FAILED, error=f"{type(error).__name__}: {describe_error(error)}"
        )
    except NetworkError as error:
        _retry_or_give_up(message, error)
    else:
        _record_sent(message, result)
        return 1
    return 0


def _claim(message: OutboundMessage) -> bool:
    now = timezone.now()
    claimed = OutboundMessage.objects.filter(pk=message.pk, status=OutboxStatus.PENDING).update(
        status=OutboxStatus.SENDING, attempts=message.attempts + 1, next_attempt_at=now
    )
    message.attempts += 1
    return claimed == 1


def _record_sent(message: OutboundMessage, result) -> None:
    now = timezone.now()
    message_id = result.get("message_id") if isinstance(result, dict) else None
    OutboundMessage.objects.filter(pk=message.pk, status=OutboxStatus.SENDING).update(
        status=OutboxStatus.SENT, sent_at=now, telegram_message_id=message_id, last_error=""
    )
    if message.method not in UNRATED_METHODS:
        ChatDelivery.objects.update_or_create(
            chat_id=message.chat_id, defaults={"last_sent_at": now}
        )


def _retry_or_give_up(message: OutboundMessage, error: Exception) -> None:
    if message.attempts >= MAX_ATTEMPTS:
        _finish(
            message,
            OutboxStatus.FAILED,
            error=f"gave up after {message.attempts}: {describe_error(error)}",
        )
        return
    _reschedule(message, seconds=2**message.attempts, error=error, count=True)


def _reschedule(message, *, seconds: float, error: Exception, count: bool) -> None:
    fields = {
        "status": OutboxStatus.PENDING,
        "next_attempt_at": timezone.now() + timedelta(seconds=seconds),
        "last_error": f"{type(error).__name__}: {describe_error(error)}"[:2000],
    }
    if not count:
        fields["attempts"] = max(message.attempts - 1, 0)  # flood control is not a failure
    OutboundMessage.objects.filter(pk=message.pk, status=OutboxStatus.SENDING).update(**fields)


def _finish(message: OutboundMessage, status: str, *, error: str) -> None:
    OutboundMessage.objects.filter(pk=message.pk, status=OutboxStatus.SENDING).update(
        status=status, last_error=error[:2000]
    )
    logger.warning("outbox message %s to chat %s: %s", message.pk, message.chat_id, error)


def _seconds(retry_after) -> float:
    if isinstance(retry_after, timedelta):
        return retry_after.total_seconds()
    return float(retry_after)
