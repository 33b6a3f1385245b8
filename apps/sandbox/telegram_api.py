"""The fake Telegram Bot API: `/sandbox/telegram/bot<token>/<method>`.

Follows docs/external-apis.md §2: Telegram's envelope, its parameter encodings (query string,
JSON, form and multipart bodies, JSON-serialised values inside forms), method names in any case,
401 for a wrong token and 404 for a malformed one or an unknown method. Every call is logged in
ApiCall (never the token); injected failures are answered before the method runs.
"""

from __future__ import annotations

import hmac
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadedfile import UploadedFile as DjangoUpload
from django.db import transaction
from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from apps.sandbox import services
from apps.sandbox.errors import BotApiError, bad_request, not_found, unauthorized
from apps.sandbox.failures import Kind, consume_failure
from apps.sandbox.formatting import EntityParseError, is_supported_parse_mode, parse_text
from apps.sandbox.guards import sandbox_only
from apps.sandbox.images import NotAnImage, photo_info
from apps.sandbox.markup import parse_reply_markup
from apps.sandbox.models import InboundUpdate, SentMessage, UploadedFile, WebhookState
from apps.sandbox.telegram_objects import (
    bot_user,
    channel_id_for_username,
    chat_for,
    chat_member_json,
    message_json,
)

TOKEN_SHAPE = re.compile(r"[0-9]+:[A-Za-z0-9_-]+")
SECRET_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]+")
CHANNEL_USERNAME = re.compile(r"@[A-Za-z][A-Za-z0-9_]{3,31}")
MESSAGE_TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_ANSWER_LIMIT = 200
PHOTO_SIZE_LIMIT = 10 * 1024 * 1024
WEBHOOK_PORTS = (80, 88, 443, 8443)
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "testserver")
UPDATE_TYPES = (
    "message",
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
    "callback_query",
    "shipping_query",
    "pre_checkout_query",
    "purchased_paid_media",
    "poll",
    "poll_answer",
    "my_chat_member",
    "chat_member",
    "chat_join_request",
    "chat_boost",
    "removed_chat_boost",
)
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)
BAD_GATEWAY_PAGE = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)


# --- parameters ------------------------------------------------------------------------------


class Params:
    """A call's parameters, typed (JSON body) or strings (query, form, multipart)."""

    def __init__(self, values: dict, files: dict):
        self.values = values
        self.files = files

    @classmethod
    def from_request(cls, request) -> Params:
        values = {key: request.GET.get(key) for key in request.GET}
        files: dict = {}
        content_type = request.content_type or ""
        if request.method == "POST":
            if content_type == "application/json":
                try:
                    body = json.loads(request.body or b"{}")
                except RequestDataTooBig:
                    raise BotApiError(413, "Request Entity Too Large") from None
                except ValueError:
                    raise bad_request("can't parse JSON encoded request") from None
                if not isinstance(body, dict):
                    raise bad_request("JSON object expected as the request body")
                values.update(body)
            elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
                try:
                    values.update({key: request.POST.get(key) for key in request.POST})
                    files = {key: request.FILES[key] for key in request.FILES}
                except RequestDataTooBig:
                    raise BotApiError(413, "Request Entity Too Large") from None
        return cls(values, files)

    def loggable(self) -> dict:
        logged = dict(self.values)
        for name, upload in self.files.items():
            logged[name] = {"upload": upload.name, "size": upload.size}
        return logged

    def get(self, name: str):
        return self.values.get(name)

    def text(self, name: str) -> str | None:
        value = self.get(name)
        if value is None:
            return None
        if isinstance(value, bool):
            return "true" if value else "false"
        return value if isinstance(value, str) else json.dumps(value)

    def integer(self, name: str, *, missing: str, invalid: str | None = None) -> int:
        value = self.get(name)
        if value is None or value == "":
            raise bad_request(missing)
        if isinstance(value, bool):
            raise bad_request(invalid or missing)
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad_request(invalid or missing) from None

    def boolean(self, name: str) -> bool:
        value = self.get(name)
        if isinstance(value, bool):
            return value
        return str(value).strip().lower() in ("true", "1") if value is not None else False

    def json(self, name: str):
        value = self.get(name)
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                return None
        return value

    def upload(self, name: str) -> DjangoUpload | str | None:
        """A file sent with the call (directly or as attach://<name>), else the string value."""
        if name in self.files:
            return self.files[name]
        value = self.text(name)
        if value and value.startswith("attach://"):
            return self.files.get(value.removeprefix("attach://"))
        return value


def _chat_id(params: Params) -> tuple[int, str]:
    """(chat id, channel username) from chat_id: an integer or "@channelusername"."""
    raw = params.get("chat_id")
    if raw is None or raw == "":
        raise bad_request("chat_id is empty")
    if isinstance(raw, bool):
        raise bad_request("chat not found")
    text = str(raw).strip()
    if text.startswith("@"):
        if not CHANNEL_USERNAME.fullmatch(text):
            raise bad_request("chat not found")
        return channel_id_for_username(text[1:]), text[1:]
    try:
        chat_id = int(text)
    except ValueError:
        raise bad_request("chat not found") from None
    if chat_id == 0:
        raise bad_request("chat not found")
    return chat_id, ""


def _formatted(params: Params, text_field: str, entities_field: str) -> tuple[str, list, str]:
    """(plain text, entities, parse mode) of a text or caption, parsed the way Telegram does."""
    source = params.text(text_field) or ""
    parse_mode = (params.text("parse_mode") or "").strip()
    if parse_mode.lower() == "none":
        parse_mode = ""
    if parse_mode and not is_supported_parse_mode(parse_mode):
        raise bad_request("unsupported parse_mode")
    if parse_mode:
        try:
            plain, entities = parse_text(source, parse_mode)
        except EntityParseError as error:
            raise bad_request(f"can't parse entities: {error}") from None
        return plain, entities, parse_mode
    entities = params.json(entities_field)
    if entities is not None and not (
        isinstance(entities, list) and all(isinstance(e, dict) for e in entities)
    ):
        raise bad_request(f"can't parse {entities_field} JSON object")
    return source, entities or [], ""


def _message_text(params: Params) -> tuple[str, list, str]:
    if not (params.text("text") or "").strip():
        raise bad_request("message text is empty")
    text, entities, parse_mode = _formatted(params, "text", "entities")
    if not text.strip():
        raise bad_request("message text is empty")
    if len(text) > MESSAGE_TEXT_LIMIT:
        raise bad_request("message is too long")
    return text, entities, parse_mode


def _caption(params: Params) -> tuple[str, list, str]:
    caption, entities, parse_mode = _formatted(params, "caption", "caption_entities")
    if len(caption) > CAPTION_LIMIT:
        raise bad_request("message caption is too long")
    return caption, entities, parse_mode


def _message_to_change(params: Params, *, action: str) -> SentMessage:
    """The bot's live message named by chat_id + message_id (inline messages do not exist here)."""
    if params.get("inline_message_id") not in (None, ""):
        raise bad_request(f"message to {action} not found")
    chat_id, _ = _chat_id(params)
    message_id = params.integer(
        "message_id",
        missing="message identifier is not specified",
        invalid=f"message to {action} not found",
    )
    message = SentMessage.objects.filter(
        chat_id=chat_id, message_id=message_id, deleted=False
    ).first()
    if message is None:
        persona_message = InboundUpdate.objects.filter(
            chat_id=chat_id, message_id=message_id, deleted=False
        ).exists()
        if persona_message and action == "edit":
            raise bad_request("message can't be edited")
        raise bad_request(f"message to {action} not found")
    return message


def _inline_markup(markup: dict | None) -> dict | None:
    if markup and markup.get("inline_keyboard"):
        return {"inline_keyboard": markup["inline_keyboard"]}
    return None


def _markup_after_edit(message: SentMessage, new_inline: dict | None) -> dict | None:
    """An edit replaces (or, when absent, removes) the inline keyboard; a reply keyboard stays."""
    if new_inline:
        return new_inline
    if message.reply_markup and "inline_keyboard" not in message.reply_markup:
        return message.reply_markup
    return None


def _photo(params: Params) -> UploadedFile:
    photo = params.upload("photo")
    if photo is None or photo == "":
        raise bad_request("there is no photo in the request")
    if isinstance(photo, DjangoUpload):
        if photo.size > PHOTO_SIZE_LIMIT:
            raise bad_request("file is too big")
        content = photo.read()
        try:
            content_type, width, height = photo_info(content)
        except NotAnImage:
            raise bad_request("IMAGE_PROCESS_FAILED") from None
        if not width or not height:
            raise bad_request("IMAGE_PROCESS_FAILED")
        if width + height > 10000 or max(width, height) > 20 * min(width, height):
            raise bad_request("PHOTO_INVALID_DIMENSIONS")
        scale = min(1.0, 1280 / max(width, height))
        return services.store_uploaded_photo(
            content=content,
            content_type=content_type,
            width=max(1, round(width * scale)),
            height=max(1, round(height * scale)),
        )
    photo = photo.strip()
    if photo.lower().startswith(("http://", "https://")):
        return services.store_photo_url(photo)
    issued = UploadedFile.objects.filter(file_id=photo).first()
    if issued is None:
        raise bad_request("wrong file identifier/HTTP URL specified")
    return issued


# --- methods ---------------------------------------------------------------------------------


@dataclass
class Answer:
    result: object
    description: str = ""


def get_me(params: Params):
    return bot_user(full=True)


def _webhook_url(url: str) -> str:
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = -1
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise bad_request("bad webhook: Failed to resolve host: Name or service not known")
    # Sandbox only: a loopback webhook over plain HTTP, on any port, is how the dev server runs.
    if parts.hostname.lower() in LOOPBACK_HOSTS:
        return url
    if parts.scheme.lower() != "https":
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    if port is not None and port not in WEBHOOK_PORTS:
        raise bad_request("bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443")
    return url


def _allowed_updates(params: Params) -> list[str] | None:
    """The new allowed_updates, or None to keep the old list (as Telegram does with bad JSON)."""
    if params.get("allowed_updates") in (None, ""):
        return None
    value = params.json("allowed_updates")
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        return None
    known = [item.lower() for item in value if item.lower() in UPDATE_TYPES]
    return known if known or not value else []


def set_webhook(params: Params):
    url = (params.text("url") or "").strip()
    secret_token = params.text("secret_token") or ""
    if secret_token:
        if len(secret_token) > 256:
            raise bad_request("secret token is too long")
        if not SECRET_TOKEN_SHAPE.fullmatch(secret_token):
            raise bad_request("secret token contains unallowed characters")
    max_connections = None
    if params.get("max_connections") not in (None, ""):
        max_connections = params.integer(
            "max_connections", missing="max_connections is empty", invalid="bad max_connections"
        )
        if not 1 <= max_connections <= 100:
            raise bad_request("max_connections must be between 1 and 100")
    if not url:
        changed = services.delete_webhook()
        return Answer(True, "Webhook was deleted" if changed else "Webhook is already deleted")
    changed = services.set_webhook(
        url=_webhook_url(url),
        secret_token=secret_token,
        max_connections=max_connections,
        allowed_updates=_allowed_updates(params),
        ip_address=params.text("ip_address") or "",
    )
    return Answer(True, "Webhook was set" if changed else "Webhook is already set")


def delete_webhook(params: Params):
    # drop_pending_updates has nothing to drop: the fake delivers as the page sends.
    changed = services.delete_webhook()
    return Answer(True, "Webhook was deleted" if changed else "Webhook is already deleted")


def get_webhook_info(params: Params):
    state = WebhookState.objects.filter(pk=WebhookState.SINGLETON_ID).first() or WebhookState()
    info = {"url": state.url, "has_custom_certificate": False, "pending_update_count": 0}
    if state.url:
        if state.ip_address:
            info["ip_address"] = state.ip_address
        if state.last_error_date:
            info["last_error_date"] = int(state.last_error_date.timestamp())
            info["last_error_message"] = state.last_error_message
        info["max_connections"] = state.max_connections
        if state.allowed_updates is not None:
            info["allowed_updates"] = state.allowed_updates
    return info


def get_updates(params: Params):
    if services.webhook_state().url:
        raise BotApiError(
            HTTPStatus.CONFLICT,
            "Conflict: can't use getUpdates method while webhook is active; "
            "use deleteWebhook to delete the webhook first",
        )
    return []


def send_message(params: Params):
    chat_id, username = _chat_id(params)
    markup = parse_reply_markup(params.get("reply_markup"))
    text, entities, parse_mode = _message_text(params)
    message = services.record_sent_message(
        chat_id=chat_id,
        method="sendMessage",
        text=text,
        entities=entities,
        source_text=params.text("text") or "",
        parse_mode=parse_mode,
        reply_markup=markup,
    )
    return message_json(message, chat=chat_for(chat_id, username=username))


def send_photo(params: Params):
    chat_id, username = _chat_id(params)
    markup = parse_reply_markup(params.get("reply_markup"))
    caption, entities, parse_mode = _caption(params)
    photo = _photo(params)
    message = services.record_sent_message(
        chat_id=chat_id,
        method="sendPhoto",
        caption=caption,
        entities=entities,
        source_text=params.text("caption") or "",
        parse_mode=parse_mode,
        reply_markup=markup,
        photo_file_id=photo.file_id,
    )
    return message_json(message, chat=chat_for(chat_id, username=username))


def edit_message_text(params: Params):
    message = _message_to_change(params, action="edit")
    text, entities, parse_mode = _message_text(params)
    markup = parse_reply_markup(params.get("reply_markup"))
    if message.photo_file_id:
        raise bad_request("there is no text in the message to edit")
    # As on Telegram, an edit without reply_markup removes the inline keyboard.
    new_markup = _inline_markup(markup)
    current = (message.text, message.entities, _inline_markup(message.reply_markup))
    if (text, entities, new_markup) == current:
        raise bad_request(NOT_MODIFIED)
    message = services.edit_sent_message(
        message,
        text=text,
        entities=entities,
        source_text=params.text("text") or "",
        parse_mode=parse_mode,
        reply_markup=_markup_after_edit(message, new_markup),
    )
    return message_json(message)


def edit_message_caption(params: Params):
    message = _message_to_change(params, action="edit")
    caption, entities, parse_mode = _caption(params)
    markup = parse_reply_markup(params.get("reply_markup"))
    if not message.photo_file_id:
        raise bad_request("there is no caption in the message to edit")
    new_markup = _inline_markup(markup)
    current = (message.caption, message.entities, _inline_markup(message.reply_markup))
    if (caption, entities, new_markup) == current:
        raise bad_request(NOT_MODIFIED)
    message = services.edit_sent_message(
        message,
        caption=caption,
        entities=entities,
        source_text=params.text("caption") or "",
        parse_mode=parse_mode,
        reply_markup=_markup_after_edit(message, new_markup),
    )
    return message_json(message)


def edit_message_reply_markup(params: Params):
    message = _message_to_change(params, action="edit")
    new_markup = _inline_markup(parse_reply_markup(params.get("reply_markup")))
    if new_markup == _inline_markup(message.reply_markup):
        raise bad_request(NOT_MODIFIED)
    edited = services.edit_sent_message(
        message, reply_markup=_markup_after_edit(message, new_markup)
    )
    return message_json(edited)


def delete_message(params: Params):
    chat_id, _ = _chat_id(params)
    message_id = params.integer(
        "message_id",
        missing="message identifier is not specified",
        invalid="message to delete not found",
    )
    message = SentMessage.objects.filter(
        chat_id=chat_id, message_id=message_id, deleted=False
    ).first()
    if message is not None:
        services.delete_sent_message(message)
        return True
    # Bots may delete incoming messages in private chats too.
    incoming = InboundUpdate.objects.filter(
        chat_id=chat_id, message_id=message_id, deleted=False
    ).first()
    if incoming is None:
        raise bad_request("message to delete not found")
    services.delete_persona_message(incoming)
    return True


def answer_callback_query(params: Params):
    text = params.text("text") or ""
    if len(text) > CALLBACK_ANSWER_LIMIT:
        raise bad_request("MESSAGE_TOO_LONG")
    answered = services.answer_callback_query(
        callback_query_id=params.text("callback_query_id") or "",
        text=text,
        show_alert=params.boolean("show_alert"),
        url=params.text("url") or "",
    )
    if not answered:
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    return True


def get_chat_member(params: Params):
    chat_id, _ = _chat_id(params)
    user_id = params.integer(
        "user_id", missing="user not found", invalid="invalid user_id specified"
    )
    if user_id <= 0:
        raise bad_request("invalid user_id specified")
    return chat_member_json(chat_id, user_id)


def send_chat_action(params: Params):
    _chat_id(params)
    if not params.text("action"):
        raise bad_request("wrong parameter action in request")
    return True


def set_my_commands(params: Params):
    commands = params.json("commands")
    if not isinstance(commands, list) or not all(
        isinstance(c, dict) and c.get("command") and c.get("description") for c in commands
    ):
        raise bad_request("can't parse commands JSON object")
    return True


METHODS: dict[str, tuple[str, Callable[[Params], object]]] = {
    name.lower(): (name, handler)
    for name, handler in (
        ("getMe", get_me),
        ("setWebhook", set_webhook),
        ("deleteWebhook", delete_webhook),
        ("getWebhookInfo", get_webhook_info),
        ("getUpdates", get_updates),
        ("sendMessage", send_message),
        ("sendPhoto", send_photo),
        ("editMessageText", edit_message_text),
        ("editMessageCaption", edit_message_caption),
        ("editMessageReplyMarkup", edit_message_reply_markup),
        ("deleteMessage", delete_message),
        ("answerCallbackQuery", answer_callback_query),
        ("getChatMember", get_chat_member),
        ("sendChatAction", send_chat_action),
        ("setMyCommands", set_my_commands),
    )
}


# --- dispatch --------------------------------------------------------------------------------


def call_method(method: str, params: Params) -> tuple[int, dict]:
    """Run one Bot API method; (HTTP status, envelope). Used by the view and for webhook replies."""
    known = METHODS.get(method.lower())
    if known is None:
        raise not_found()
    try:
        with transaction.atomic():
            outcome = known[1](params)
    except BotApiError as error:
        return error.error_code, error.envelope()
    if isinstance(outcome, Answer):
        body = {"ok": True, "result": outcome.result}
        if outcome.description:
            body["description"] = outcome.description
        return HTTPStatus.OK, body
    return HTTPStatus.OK, {"ok": True, "result": outcome}


def _injected_response(failure) -> tuple[HttpResponse, int, str]:
    """(response, status, description) for an injected failure other than a delay."""
    if failure.kind == Kind.HTTP_429:
        error = BotApiError(
            HTTPStatus.TOO_MANY_REQUESTS,
            f"Too Many Requests: retry after {failure.retry_after}",
            {"retry_after": failure.retry_after},
        )
    elif failure.kind == Kind.HTTP_500:
        error = BotApiError(HTTPStatus.INTERNAL_SERVER_ERROR, "Internal Server Error")
    elif failure.kind == Kind.HTTP_403_BLOCKED:
        error = BotApiError(HTTPStatus.FORBIDDEN, "Forbidden: bot was blocked by the user")
    elif failure.kind == Kind.HTTP_502:
        response = HttpResponse(BAD_GATEWAY_PAGE, status=502, content_type="text/html")
        return response, 502, "Bad Gateway (injected)"
    else:  # malformed_json: a body cut off mid-way, as a broken proxy would return it
        response = HttpResponse(
            b'{"ok":true,"result":{"message_id":', content_type="application/json"
        )
        return response, 200, "malformed JSON (injected)"
    return (
        JsonResponse(error.envelope(), status=error.error_code),
        error.error_code,
        error.description,
    )


@sandbox_only
@csrf_exempt
@never_cache
def bot_api(request, token: str, method: str):
    started = time.monotonic()
    canonical = METHODS.get(method.lower(), (method, None))[0]

    def finish(response, *, params: dict, ok: bool, description: str = "", injected: str = ""):
        services.record_api_call(
            method=canonical,
            params=params,
            http_status=response.status_code,
            ok=ok,
            description=description,
            injected=injected,
            duration_ms=int((time.monotonic() - started) * 1000),
        )
        return response

    if not TOKEN_SHAPE.fullmatch(token):
        error = not_found()  # Telegram answers a malformed token with 404
    elif not hmac.compare_digest(token.encode(), settings.TELEGRAM_BOT_TOKEN.encode()):
        error = unauthorized()
    elif method.lower() not in METHODS:
        error = not_found()
    else:
        error = None
    if error is not None:
        response = JsonResponse(error.envelope(), status=error.error_code)
        return finish(response, params={}, ok=False, description=error.description)

    try:
        params = Params.from_request(request)
    except BotApiError as parse_error:
        response = JsonResponse(parse_error.envelope(), status=parse_error.error_code)
        return finish(response, params={}, ok=False, description=parse_error.description)

    injected = ""
    failure = consume_failure(canonical)
    if failure is not None:
        injected = failure.kind
        if failure.kind == Kind.DELAY:
            time.sleep(failure.delay_seconds or 0)
        else:
            response, _status, description = _injected_response(failure)
            return finish(
                response,
                params=params.loggable(),
                ok=False,
                description=description,
                injected=injected,
            )

    status, body = call_method(canonical, params)
    response = JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
    return finish(
        response,
        params=params.loggable(),
        ok=body["ok"],
        description=body.get("description", "") if not body["ok"] else "",
        injected=injected,
    )


def run_webhook_reply(reply: dict) -> tuple[int, dict]:
    """Execute the Bot API call a webhook answered with (Telegram does; the bot gets no result)."""
    method = str(reply.get("method", ""))
    params = Params({key: value for key, value in reply.items() if key != "method"}, {})
    started = time.monotonic()
    try:
        status, body = call_method(method, params)
    except BotApiError as error:
        status, body = error.error_code, error.envelope()
    services.record_api_call(
        method=METHODS.get(method.lower(), (method, None))[0],
        params=params.loggable(),
        http_status=status,
        ok=body["ok"],
        description=body.get("description", "") if not body["ok"] else "",
        source="webhook_reply",
        duration_ms=int((time.monotonic() - started) * 1000),
    )
    return status, body
