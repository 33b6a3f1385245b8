"""The update inbox: recognise a Telegram Update, store it once, hand it to a worker."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction

from apps.bot.models import TelegramUpdate

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
    """Store a handled update once and enqueue it after commit; False when nothing to do."""
    if envelope.kind not in HANDLED_KINDS or envelope.chat_id is None:
        return False
    try:
        with transaction.atomic():
            TelegramUpdate.objects.create(
                update_id=envelope.update_id,
                chat_id=envelope.chat_id,
                from_user_id=envelope.from_user_id,
                kind=envelope.kind,
                payload=data,
            )
            transaction.on_commit(lambda: _enqueue(envelope.chat_id))
    except IntegrityError:
        return False  # Telegram redelivered an update we already have
    return True


def _enqueue(chat_id: int) -> None:
    from apps.bot.tasks import process_chat

    process_chat.delay(chat_id)
