"""The update inbox: recognise a Telegram Update, store it once, hand it to a worker."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from apps.bot.models import TelegramUpdate, UpdateStatus

# Update types the bot acts on. Others (polls, reactions, inline queries…) are acknowledged
# and dropped: storing them would leave rows that look like work nobody will do.
HANDLED_KINDS = ("message", "callback_query", "my_chat_member")
# Every update type the Bot API documents, so an unknown key can be told from a malformed body.
KNOWN_KINDS = (
    *HANDLED_KINDS,
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "business_connection",
    "business_message",
    "edited_business_message",
    "deleted_business_messages",
    "message_reaction",
    "message_reaction_count",
    "inline_query",
    "chosen_inline_result",
    "shipping_query",
    "pre_checkout_query",
    "purchased_paid_media",
    "poll",
    "poll_answer",
    "chat_member",
    "chat_join_request",
    "chat_boost",
    "removed_chat_boost",
)


class NotAnUpdate(ValueError):
    """The JSON body is not a Telegram Update."""


@dataclass(frozen=True)
class UpdateEnvelope:
    update_id: int
    kind: str | None
    chat_id: int | None
    from_user_id: int | None


def read_envelope(data) -> UpdateEnvelope:
    """The routing facts of an Update, or NotAnUpdate saying what is wrong with it."""
    if not isinstance(data, dict):
        raise NotAnUpdate("An update is a JSON object.")
    update_id = data.get("update_id")
    if isinstance(update_id, bool) or not isinstance(update_id, int) or update_id <= 0:
        raise NotAnUpdate("An update needs a positive integer update_id.")
    kind = next((key for key in KNOWN_KINDS if key in data), None)
    body = data.get(kind) if kind else None
    if kind and not isinstance(body, dict):
        raise NotAnUpdate(f"The {kind} of an update is a JSON object.")
    return UpdateEnvelope(update_id, kind, _chat_id(kind, body), _from_id(body))


def _chat_id(kind, body) -> int | None:
    if body is None:
        return None
    if kind == "callback_query":
        message = body.get("message") or {}
        return _int(message.get("chat", {}).get("id")) or _from_id(body)
    return _int((body.get("chat") or {}).get("id"))


def _from_id(body) -> int | None:
    if not body:
        return None
    return _int((body.get("from") or {}).get("id"))


def _int(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def store_update(data: dict, envelope: UpdateEnvelope) -> bool:
    """Store a handled update once and wake its chat's worker; False when nothing to do.

    One autocommitted INSERT ... ON CONFLICT DO NOTHING: a redelivered update_id inserts no
    row, and the webhook spends one round trip on the database instead of four.
    """
    if envelope.kind not in HANDLED_KINDS or envelope.chat_id is None:
        return False
    with connection.cursor() as cursor:
        cursor.execute(_INSERT_SQL, _insert_params(data, envelope))
        stored = cursor.fetchone() is not None
    if stored:
        transaction.on_commit(lambda: wake_chat(envelope.chat_id))
    return stored


_INSERT_SQL = f"""
INSERT INTO {TelegramUpdate._meta.db_table}
    (update_id, chat_id, from_user_id, kind, payload, status, attempts, last_error, received_at)
VALUES (%s, %s, %s, %s, %s, %s, 0, '', %s)
ON CONFLICT (update_id) DO NOTHING
RETURNING id
"""  # noqa: S608 - constants only; every value is a parameter


def _insert_params(data: dict, envelope: UpdateEnvelope) -> list:
    payload_field = TelegramUpdate._meta.get_field("payload")
    received_field = TelegramUpdate._meta.get_field("received_at")
    return [
        envelope.update_id,
        envelope.chat_id,
        envelope.from_user_id,
        envelope.kind,
        payload_field.get_db_prep_save(data, connection),
        UpdateStatus.PENDING,
        received_field.get_db_prep_save(timezone.now(), connection),
    ]


def wake_chat(chat_id: int) -> bool:
    """Enqueue the chat's worker, once per burst when the cache is shared.

    With Redis, a flag per chat stands for "a task is queued"; the task clears it before it
    looks for work, so an update arriving later wakes it again. A burst of updates then costs
    one Celery message, not one each. Without a shared cache every update enqueues (the
    task finds nothing to do when another run already took its update). True when enqueued.
    """
    from apps.bot.tasks import process_chat

    if settings.REDIS_URL and not cache.add(wake_flag(chat_id), True, timeout=WAKE_FLAG_SECONDS):
        return False
    process_chat.delay(chat_id)
    return True


def wake_flag(chat_id: int) -> str:
    return f"bot:chat-queued:{chat_id}"


# A lost task must not silence a chat for long; the sweeper re-enqueues within a minute.
WAKE_FLAG_SECONDS = 30
