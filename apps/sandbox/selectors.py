"""Reads of the sandbox shared by tests, the chat page and the admin."""

from __future__ import annotations

from django.db.models import BooleanField, ExpressionWrapper, Q
from django.urls import reverse

from apps.sandbox.formatting import render_html
from apps.sandbox.models import (
    ApiCall,
    InboundUpdate,
    SandboxPersona,
    SentMessage,
    UploadedFile,
    WebhookState,
)

CONVERSATION_LIMIT = 200


def sent_to(chat_id: int, *, include_deleted: bool = True) -> list[SentMessage]:
    """What the bot sent to a chat, oldest first, with edits applied (deleted ones flagged)."""
    messages = SentMessage.objects.filter(chat_id=chat_id).order_by("message_id")
    if not include_deleted:
        messages = messages.filter(deleted=False)
    return list(messages)


def api_calls(method: str | None = None) -> list[ApiCall]:
    """Calls the fake answered, oldest first; only `method`'s when given."""
    calls = ApiCall.objects.order_by("id")
    if method:
        calls = calls.filter(method__iexact=method)
    return list(calls)


def webhook() -> WebhookState:
    return WebhookState.objects.filter(pk=WebhookState.SINGLETON_ID).first() or WebhookState()


def _delivery(update: InboundUpdate) -> dict:
    ok = update.delivery_status is not None and 200 <= update.delivery_status <= 299
    return {"status": update.delivery_status, "ok": ok, "message": update.delivery_message}


def _button(button: dict) -> dict:
    kind = next(
        (key for key in ("callback_data", "url") if key in button),
        "other",
    )
    shown = {"text": str(button.get("text", "")), "kind": kind}
    if kind == "callback_data":
        shown["callback_data"] = button["callback_data"]
    elif kind == "url":
        shown["url"] = str(button["url"])
    return shown


def _bot_item(message: SentMessage, photos: dict[str, UploadedFile]) -> dict:
    item = {
        "kind": "bot",
        "key": f"b{message.pk}",
        "message_id": message.message_id,
        "time": message.created_at.isoformat(),
        "edited": message.edited_at is not None,
        "edit_count": len(message.edit_history),
        "previous_texts": [v.get("text") or v.get("caption") or "" for v in message.edit_history],
        "deleted": message.deleted,
        "keyboard": [[_button(b) for b in row] for row in message.inline_keyboard],
    }
    if message.photo_file_id:
        upload = photos.get(message.photo_file_id)
        if upload is not None and upload.has_content:
            item["photo_url"] = reverse("sandbox:chat-photo", args=[upload.pk])
        elif upload is not None:
            item["photo_url"] = upload.source_url
        item["html"] = render_html(message.caption, message.entities)
    else:
        item["html"] = render_html(message.text, message.entities)
    return item


def _persona_item(update: InboundUpdate) -> dict:
    item = {
        "key": f"u{update.pk}",
        "update_id": update.update_id,
        "time": update.created_at.isoformat(),
        "delivery": _delivery(update) if update.delivered_at else None,
    }
    if update.kind == InboundUpdate.Kind.MESSAGE:
        item.update(kind="persona", message_id=update.message_id, text=update.text)
        item["deleted"] = update.deleted
    else:
        item.update(
            kind="press",
            message_id=update.callback_message_id,
            data=update.callback_data,
            button_text=update.button_text,
            answer=None,
        )
        if update.answered_at:
            item["answer"] = {
                "text": update.answer_text,
                "show_alert": update.answer_show_alert,
                "url": update.answer_url,
            }
    return item


def _reply_keyboard(messages: list[SentMessage]) -> list[list[str]] | None:
    """The reply keyboard the persona's app would show: the newest one not removed since."""
    for message in reversed(messages):
        markup = message.reply_markup or {}
        if markup.get("remove_keyboard"):
            return None
        if "keyboard" in markup:
            return [[str(button.get("text", "")) for button in row] for row in markup["keyboard"]]
    return None


def conversation(persona: SandboxPersona) -> dict:
    """The persona's private chat with the bot, oldest first, for the chat page."""
    chat_id = persona.telegram_id
    messages = list(
        SentMessage.objects.filter(chat_id=chat_id).order_by("-message_id")[:CONVERSATION_LIMIT]
    )[::-1]
    updates = list(
        InboundUpdate.objects.filter(chat_id=chat_id).order_by("-update_id")[:CONVERSATION_LIMIT]
    )[::-1]
    photo_ids = {m.photo_file_id for m in messages if m.photo_file_id}
    photo_rows = (
        UploadedFile.objects.filter(file_id__in=photo_ids)
        .annotate(has_content=ExpressionWrapper(Q(content__isnull=False), BooleanField()))
        .defer("content")
    )
    photos = {upload.file_id: upload for upload in photo_rows}
    items = [(m.created_at, 1, _bot_item(m, photos)) for m in messages]
    items += [(u.created_at, 0, _persona_item(u)) for u in updates]
    items.sort(key=lambda entry: (entry[0], entry[1]))
    state = webhook()
    return {
        "persona": {
            "telegram_id": persona.telegram_id,
            "first_name": persona.first_name,
            "username": persona.username,
        },
        "items": [item for _, _, item in items][-CONVERSATION_LIMIT:],
        "reply_keyboard": _reply_keyboard(messages),
        "webhook": {
            "url": state.url,
            "last_error_message": state.last_error_message,
        },
    }


def personas() -> list[SandboxPersona]:
    return list(SandboxPersona.objects.order_by("first_name", "telegram_id"))
