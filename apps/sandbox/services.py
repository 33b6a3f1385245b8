"""Every write of the sandbox: the fake Bot API's state and the bot chat page's personas."""

from __future__ import annotations

import re
import secrets

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from apps.sandbox import updates
from apps.sandbox.models import (
    ApiCall,
    ChatMember,
    Counter,
    InboundUpdate,
    InjectedFailure,
    SandboxPersona,
    SentMessage,
    UploadedFile,
    WebhookState,
)

# Telegram's update ids are large and increase by one; ours start here.
UPDATE_ID_BASE = 100_000_000
USERNAME_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9_]{4,31}")
MAX_TELEGRAM_ID = 2**52
LOGGED_STRING_LIMIT = 8000


# --- sequences -------------------------------------------------------------------------------


def next_value(name: str) -> int:
    """The next value of a named sequence, shared by every process (row lock / IMMEDIATE)."""
    with transaction.atomic():
        Counter.objects.get_or_create(name=name)
        Counter.objects.filter(name=name).update(value=F("value") + 1)
        return Counter.objects.get(name=name).value


def next_update_id() -> int:
    return UPDATE_ID_BASE + next_value("update_id")


def next_message_id(chat_id: int) -> int:
    """Message ids increase per chat; the persona's and the bot's messages share them."""
    return next_value(f"chat:{chat_id}")


# --- API log ---------------------------------------------------------------------------------


def _loggable(value):
    if isinstance(value, str) and len(value) > LOGGED_STRING_LIMIT:
        return value[:LOGGED_STRING_LIMIT] + "…"
    if isinstance(value, dict):
        return {key: _loggable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_loggable(item) for item in value]
    return value


def record_api_call(
    *,
    method: str,
    params: dict,
    http_status: int,
    ok: bool,
    description: str = "",
    injected: str = "",
    source: str = "http",
    duration_ms: int = 0,
) -> ApiCall:
    """Log one call. `params` must already hold no file bodies; the token is never passed here."""
    return ApiCall.objects.create(
        method=method[:64],
        params=_loggable(params),
        http_status=http_status,
        ok=ok,
        description=description[:255],
        injected=injected,
        source=source,
        duration_ms=duration_ms,
    )


# --- webhook ---------------------------------------------------------------------------------


def webhook_state() -> WebhookState:
    state, _ = WebhookState.objects.get_or_create(pk=WebhookState.SINGLETON_ID)
    return state


def set_webhook(
    *,
    url: str,
    secret_token: str,
    max_connections: int | None,
    allowed_updates: list[str] | None,
    ip_address: str,
) -> bool:
    """Store the webhook; True when something changed. allowed_updates None keeps the old list."""
    with transaction.atomic():
        state = WebhookState.objects.select_for_update().filter(pk=webhook_state().pk).get()
        before = (state.url, state.secret_token, state.max_connections, state.allowed_updates)
        state.url = url
        state.secret_token = secret_token
        state.max_connections = max_connections or 40
        state.ip_address = ip_address
        if allowed_updates is not None:
            state.allowed_updates = allowed_updates
        if state.url != before[0]:
            state.last_error_date = None
            state.last_error_message = ""
        state.save()
    return before != (state.url, state.secret_token, state.max_connections, state.allowed_updates)


def delete_webhook() -> bool:
    """Remove the webhook; True when one was set."""
    state = webhook_state()
    was_set = bool(state.url)
    WebhookState.objects.filter(pk=state.pk).update(
        url="", secret_token="", ip_address="", last_error_date=None, last_error_message=""
    )
    return was_set


def record_webhook_error(message: str | None) -> None:
    """What getWebhookInfo reports after a delivery: the error, or nothing once one succeeded."""
    state = webhook_state()
    if message:
        WebhookState.objects.filter(pk=state.pk).update(
            last_error_date=timezone.now(), last_error_message=message[:255]
        )


# --- files -----------------------------------------------------------------------------------


def _file_ids() -> tuple[str, str]:
    # Shaped like Telegram's: a long opaque file_id and a short file_unique_id.
    return "AgACAgQAAxkBAAI" + secrets.token_urlsafe(48), "AQAD" + secrets.token_urlsafe(12)


def store_uploaded_photo(*, content: bytes, content_type: str, width: int, height: int):
    file_id, file_unique_id = _file_ids()
    return UploadedFile.objects.create(
        file_id=file_id,
        file_unique_id=file_unique_id,
        content=content,
        content_type=content_type,
        file_size=len(content),
        width=width,
        height=height,
    )


def store_photo_url(url: str) -> UploadedFile:
    # The fake never downloads the URL, so it does not know the size; a typical photo's is used.
    file_id, file_unique_id = _file_ids()
    return UploadedFile.objects.create(
        file_id=file_id, file_unique_id=file_unique_id, source_url=url, width=800, height=600
    )


# --- the bot's messages ----------------------------------------------------------------------


def record_sent_message(
    *,
    chat_id: int,
    method: str,
    text: str = "",
    caption: str = "",
    entities: list | None = None,
    source_text: str = "",
    parse_mode: str = "",
    reply_markup: dict | None = None,
    photo_file_id: str = "",
) -> SentMessage:
    with transaction.atomic():
        return SentMessage.objects.create(
            chat_id=chat_id,
            message_id=next_message_id(chat_id),
            method=method,
            text=text,
            caption=caption,
            entities=entities or [],
            source_text=source_text,
            parse_mode=parse_mode,
            reply_markup=reply_markup,
            photo_file_id=photo_file_id,
        )


def edit_sent_message(
    message: SentMessage,
    *,
    text: str | None = None,
    caption: str | None = None,
    entities: list | None = None,
    source_text: str | None = None,
    parse_mode: str | None = None,
    reply_markup: dict | None,
) -> SentMessage:
    """Apply an edit; the previous version goes to edit_history. reply_markup None removes it."""
    history_entry = {
        "text": message.text,
        "caption": message.caption,
        "reply_markup": message.reply_markup,
        "at": (message.edited_at or message.created_at).isoformat(),
    }
    message.edit_history = [*message.edit_history, history_entry]
    if text is not None:
        message.text = text
    if caption is not None:
        message.caption = caption
    if entities is not None:
        message.entities = entities
    if source_text is not None:
        message.source_text = source_text
    if parse_mode is not None:
        message.parse_mode = parse_mode
    message.reply_markup = reply_markup
    message.edited_at = timezone.now()
    message.save()
    return message


def delete_sent_message(message: SentMessage) -> None:
    SentMessage.objects.filter(pk=message.pk).update(deleted=True, deleted_at=timezone.now())


def delete_persona_message(inbound: InboundUpdate) -> None:
    InboundUpdate.objects.filter(pk=inbound.pk).update(deleted=True)


def answer_callback_query(*, callback_query_id: str, text: str, show_alert: bool, url: str) -> bool:
    """Record the bot's answer; False when the query is unknown or was already answered."""
    answered = InboundUpdate.objects.filter(
        callback_query_id=callback_query_id, answered_at__isnull=True
    ).update(
        answered_at=timezone.now(),
        answer_text=text[:255],
        answer_show_alert=show_alert,
        answer_url=url,
    )
    return answered == 1


def set_chat_member(chat_id: int, user_id: int, status: str) -> ChatMember:
    """What getChatMember answers for this user in this chat (e.g. a channel the bot checks)."""
    member, _ = ChatMember.objects.update_or_create(
        chat_id=chat_id, user_id=user_id, defaults={"status": status}
    )
    return member


# --- personas and the updates they produce ---------------------------------------------------


def create_persona(*, telegram_id: int, first_name: str, username: str = "") -> SandboxPersona:
    """A fake Telegram user. Raises ValidationError naming the field that is wrong."""
    first_name = (first_name or "").strip()
    username = (username or "").strip().removeprefix("@")
    errors = {}
    if not isinstance(telegram_id, int) or not 0 < telegram_id < MAX_TELEGRAM_ID:
        errors["telegram_id"] = "A Telegram user id is a positive whole number."
    if not first_name or len(first_name) > 64:
        errors["first_name"] = "First name: 1 to 64 characters."
    if username and not USERNAME_PATTERN.fullmatch(username):
        errors["username"] = "Username: 5 to 32 letters, digits or _, starting with a letter."
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            return SandboxPersona.objects.create(
                telegram_id=telegram_id, first_name=first_name, username=username
            )
    except IntegrityError:
        raise ValidationError(
            {"telegram_id": "A persona with this Telegram id already exists."}
        ) from None


def record_persona_message(*, persona: SandboxPersona, text: str) -> InboundUpdate:
    """The persona sends `text` to the bot: allocate ids, build the Update, keep it."""
    if not text or not text.strip():
        raise ValidationError({"text": "Type a message first."})
    if len(text) > 4096:
        raise ValidationError({"text": "Telegram messages are at most 4096 characters."})
    with transaction.atomic():
        update_id = next_update_id()
        message_id = next_message_id(persona.telegram_id)
        now = timezone.now()
        payload = updates.message_update(
            update_id=update_id,
            message_id=message_id,
            date=int(now.timestamp()),
            persona=persona,
            text=text,
        )
        return InboundUpdate.objects.create(
            update_id=update_id,
            persona=persona,
            chat_id=persona.telegram_id,
            kind=InboundUpdate.Kind.MESSAGE,
            text=text,
            message_id=message_id,
            payload=payload,
        )


def record_button_press(
    *, persona: SandboxPersona, message: SentMessage, callback_data: str
) -> InboundUpdate:
    """The persona presses the inline button carrying `callback_data` on the bot's `message`."""
    button = next(
        (
            button
            for row in message.inline_keyboard
            for button in row
            if button.get("callback_data") == callback_data
        ),
        None,
    )
    if message.deleted or message.chat_id != persona.telegram_id or button is None:
        raise ValidationError({"callback_data": "That button is no longer on the message."})
    with transaction.atomic():
        update_id = next_update_id()
        callback_query_id = str(secrets.randbits(62))
        payload = updates.callback_query_update(
            update_id=update_id,
            callback_query_id=callback_query_id,
            persona=persona,
            message=message,
            data=callback_data,
        )
        return InboundUpdate.objects.create(
            update_id=update_id,
            persona=persona,
            chat_id=persona.telegram_id,
            kind=InboundUpdate.Kind.CALLBACK_QUERY,
            callback_query_id=callback_query_id,
            callback_message_id=message.message_id,
            callback_data=callback_data,
            button_text=str(button.get("text", ""))[:255],
            payload=payload,
        )


def record_delivery(inbound: InboundUpdate, *, status: int | None, message: str) -> None:
    InboundUpdate.objects.filter(pk=inbound.pk).update(
        delivery_status=status, delivery_message=message[:500], delivered_at=timezone.now()
    )
    inbound.delivery_status = status
    inbound.delivery_message = message[:500]


# --- reset -----------------------------------------------------------------------------------


def reset_sandbox(*, keep_personas: bool = False) -> None:
    """Forget every message, call, failure, file, webhook and counter; personas unless kept."""
    with transaction.atomic():
        InboundUpdate.objects.all().delete()
        if not keep_personas:
            SandboxPersona.objects.all().delete()
        for model in (
            SentMessage,
            ApiCall,
            InjectedFailure,
            UploadedFile,
            ChatMember,
            WebhookState,
            Counter,
        ):
            model.objects.all().delete()
