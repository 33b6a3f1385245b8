"""Queue what the bot says. Rows are written in the caller's transaction and sent after it
commits, by the one sender (sender.py); a rolled-back update therefore never speaks.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from apps.bot.models import OutboundMessage

PARSE_MODE = "MarkdownV2"


def queue_call(
    *, chat_id: int, method: str, payload: dict, dedupe_key: str, send_at=None
) -> OutboundMessage:
    """Queue one Bot API call; the same DEDUPE_KEY twice is the same message, queued once.

    SEND_AT (default now) delays it: the sender leaves it until then.
    """
    message, created = OutboundMessage.objects.get_or_create(
        dedupe_key=dedupe_key,
        defaults={
            "chat_id": chat_id,
            "method": method,
            "payload": payload,
            "next_attempt_at": send_at or timezone.now(),
        },
    )
    if created:
        transaction.on_commit(_wake_sender)
    return message


def queue_text(
    *, chat_id: int, text: str, dedupe_key: str, buttons: list | None = None, send_at=None
) -> OutboundMessage:
    """A MarkdownV2 message; TEXT must already be escaped (see texts.py)."""
    payload = {"text": text, "parse_mode": PARSE_MODE}
    if buttons:
        payload["reply_markup"] = {"inline_keyboard": buttons}
    return queue_call(
        chat_id=chat_id,
        method="sendMessage",
        payload=payload,
        dedupe_key=dedupe_key,
        send_at=send_at,
    )


def queue_photo(
    *, chat_id: int, asset: str, caption: str, dedupe_key: str, buttons: list | None = None
) -> OutboundMessage:
    """A photo from our assets (uploaded once, then sent by file_id) with a MarkdownV2 caption."""
    payload = {"asset": asset, "caption": caption, "parse_mode": PARSE_MODE}
    if buttons:
        payload["reply_markup"] = {"inline_keyboard": buttons}
    return queue_call(chat_id=chat_id, method="sendPhoto", payload=payload, dedupe_key=dedupe_key)


def queue_callback_answer(*, callback_query_id: str, chat_id: int, text: str = "") -> None:
    payload = {"callback_query_id": callback_query_id}
    if text:
        payload["text"] = text
    queue_call(
        chat_id=chat_id,
        method="answerCallbackQuery",
        payload=payload,
        dedupe_key=f"answer:{callback_query_id}",
    )


def _wake_sender() -> None:
    from apps.bot.tasks import send_outbox

    send_outbox.delay()
