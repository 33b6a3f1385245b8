"""The update inbox: recognise a Telegram Update, store it once, hand it to a worker."""

from __future__ import annotations

import json
from dataclasses import dataclass

import psycopg
from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone
from psycopg.types.json import Jsonb

from apps.bot.models import TelegramUpdate, UpdateStatus
from apps.common.http.decimal_json import refuse_nan_and_infinity

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


# The NOTIFY channel on which PostgreSQL announces chats with a newly stored update.
WAKE_CHANNEL = "bot_chat_updates"


class NotAnUpdate(ValueError):
    """The JSON body is not a Telegram Update."""


@dataclass(frozen=True)
class UpdateEnvelope:
    update_id: int
    kind: str | None
    chat_id: int | None
    from_user_id: int | None


def load_update_json(body: bytes):
    """The JSON of a webhook body, in a shape the inbox can store; ValueError when malformed.

    NaN and Infinity are not JSON (RFC 8259) and neither database stores them, so they make
    the body malformed. PostgreSQL's jsonb also refuses U+0000 and unpaired surrogates
    (\\ud800) inside strings, which Python reads; Telegram sends neither, and a body that does
    gets U+FFFD in their place rather than a failed update.
    """
    data = json.loads(body, parse_constant=refuse_nan_and_infinity)
    if any(escape in body for escape in _SUSPECT_ESCAPES):  # cheap test: almost never true
        data = _storable(data)
    return data


_SUSPECT_ESCAPES = (b"\\u0000", b"\\ud", b"\\uD")


def _storable(value):
    if isinstance(value, str):
        # json.loads joins valid surrogate pairs, so any surrogate left is unpaired.
        return "".join("\ufffd" if _unstorable(char) else char for char in value)
    if isinstance(value, dict):
        return {_storable(key): _storable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_storable(item) for item in value]
    return value


def _unstorable(char: str) -> bool:
    return char == "\x00" or "\ud800" <= char <= "\udfff"


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
    """Store a handled update once and have its chat's worker woken; False when nothing to do.

    One autocommitted INSERT ... ON CONFLICT DO NOTHING: a redelivered update_id inserts no
    row. On PostgreSQL the same statement sends a NOTIFY that the listener process
    (`manage.py wake_bot_chats`) turns into the Celery message, so the webhook answers after
    one database round trip and never waits for Redis or the broker. SQLite has no NOTIFY:
    there the webhook enqueues itself once the row is committed.
    """
    if envelope.kind not in HANDLED_KINDS or envelope.chat_id is None:
        return False
    if connection.vendor == "postgresql":
        return _store_and_notify(data, envelope)
    with connection.cursor() as cursor:
        cursor.execute(_INSERT_SQL, _insert_params(envelope, _db_value("payload", data)))
        stored = cursor.fetchone() is not None
    if stored:
        transaction.on_commit(lambda: wake_chat(envelope.chat_id))
    return stored


def _store_and_notify(data: dict, envelope: UpdateEnvelope) -> bool:
    connection.ensure_connection()
    # A server-side binding cursor on the pooled connection: the update travels as a JSONB
    # parameter instead of being quoted into the SQL text in Python, and Django's cursor
    # wrappers are skipped: about 0.15 ms of CPU per update (bench/README.md).
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(_INSERT_AND_NOTIFY_SQL, _insert_params(envelope, Jsonb(data)))
        return cursor.fetchone() is not None


_INSERT_SQL = f"""
INSERT INTO {TelegramUpdate._meta.db_table}
    (update_id, chat_id, from_user_id, kind, payload, status, attempts, last_error, received_at)
VALUES (%s, %s, %s, %s, %s, %s, 0, '', %s)
ON CONFLICT (update_id) DO NOTHING
RETURNING chat_id
"""  # noqa: S608 - constants only; every value is a parameter

# pg_notify runs only for a row actually inserted; PostgreSQL delivers it when the INSERT
# commits, so the listener never wakes a chat for an update it cannot see yet.
_INSERT_AND_NOTIFY_SQL = f"""
WITH stored AS ({_INSERT_SQL})
SELECT pg_notify('{WAKE_CHANNEL}', chat_id::text) FROM stored
"""  # noqa: S608 - constants only


def _insert_params(envelope: UpdateEnvelope, payload) -> list:
    return [
        envelope.update_id,
        envelope.chat_id,
        envelope.from_user_id,
        envelope.kind,
        payload,
        UpdateStatus.PENDING,
        _db_value("received_at", timezone.now()),
    ]


def _db_value(field_name: str, value):
    return TelegramUpdate._meta.get_field(field_name).get_db_prep_save(value, connection)


def wake_chat(chat_id: int) -> bool:
    """Enqueue the chat's worker unless a task is already queued for it; True when enqueued."""
    return bool(wake_chats([chat_id]))


def wake_chats(chat_ids) -> list[int]:
    """Enqueue the worker of each chat, once per burst when the cache is shared.

    With Redis, a flag per chat stands for "a task is queued"; the task clears it before it
    looks for work, so an update arriving later wakes it again. A burst of updates then costs
    one Celery message, not one each, and the flags of a whole batch take one round trip.
    Without a shared cache every call enqueues (the task finds nothing to do when another run
    already took its update). Returns the chats enqueued.
    """
    from apps.bot.tasks import process_chat

    chat_ids = sorted(set(chat_ids))
    if settings.REDIS_URL and chat_ids:
        flags_added = _add_flags(chat_ids)
        chat_ids = [chat_id for chat_id, added in zip(chat_ids, flags_added, strict=True) if added]
    for chat_id in chat_ids:
        process_chat.delay(chat_id)
    return chat_ids


def _add_flags(chat_ids: list[int]) -> list[bool]:
    """cache.add of every chat's flag in one pipeline: SET NX with the cache's own key names."""
    pipeline = cache.client.get_client(write=True).pipeline(transaction=False)
    for chat_id in chat_ids:
        key = cache.make_and_validate_key(wake_flag(chat_id))
        pipeline.set(key, 1, nx=True, ex=WAKE_FLAG_SECONDS)
    return [bool(added) for added in pipeline.execute()]


def wake_flag(chat_id: int) -> str:
    return f"bot:chat-queued:{chat_id}"


# A lost task must not silence a chat for long; the sweeper re-enqueues within a minute.
WAKE_FLAG_SECONDS = 30
