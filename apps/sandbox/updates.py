"""Telegram-shaped Updates from the bot chat page, and their delivery to our real webhook."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from http import HTTPStatus

import httpx

from apps.sandbox.formatting import utf16_len
from apps.sandbox.telegram_objects import (
    chat_instance,
    message_json,
    persona_chat,
    persona_user,
)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
# Telegram waits 60 s for a webhook; the page's own request should not hang that long.
DELIVERY_TIMEOUT_SECONDS = 30
# A bot command: "/" and 1-32 letters, digits or "_", optionally "@botusername".
_COMMAND = re.compile(r"(?<![\w/@])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![\w/@])")


def command_entities(text: str) -> list[dict]:
    """bot_command entities as Telegram detects them, offsets in UTF-16 code units."""
    return [
        {
            "offset": utf16_len(text[: match.start()]),
            "length": utf16_len(match.group(0)),
            "type": "bot_command",
        }
        for match in _COMMAND.finditer(text)
    ]


def message_update(*, update_id: int, message_id: int, date: int, persona, text: str) -> dict:
    message = {
        "message_id": message_id,
        "from": persona_user(persona),
        "chat": persona_chat(persona),
        "date": date,
        "text": text,
    }
    entities = command_entities(text)
    if entities:
        message["entities"] = entities
    return {"update_id": update_id, "message": message}


def callback_query_update(
    *, update_id: int, callback_query_id: str, persona, message, data: str
) -> dict:
    return {
        "update_id": update_id,
        "callback_query": {
            "id": callback_query_id,
            "from": persona_user(persona),
            "message": message_json(message, chat=persona_chat(persona)),
            "chat_instance": chat_instance(persona.telegram_id),
            "data": data,
        },
    }


@dataclass
class Delivery:
    status: int | None
    ok: bool
    message: str
    reply: dict | None = None  # a Bot API call the webhook answered with (see external-apis 2.3)


def reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def deliver(update: dict, *, url: str, secret_token: str) -> Delivery:
    """POST the Update to the webhook the way Telegram does; never raises for HTTP trouble."""
    body = json.dumps(update, ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json"}
    if secret_token:
        headers[SECRET_HEADER] = secret_token
    try:
        response = httpx.post(url, content=body, headers=headers, timeout=DELIVERY_TIMEOUT_SECONDS)
    except httpx.TimeoutException:
        return Delivery(
            None, False, f"webhook did not answer within {DELIVERY_TIMEOUT_SECONDS} s ({url})"
        )
    except httpx.HTTPError as error:
        return Delivery(None, False, f"could not reach the webhook at {url}: {error}")
    status = response.status_code
    if not 200 <= status <= 299:
        hint = {
            404: " — is the Telegram webhook view (POST /telegram/webhook/) installed?",
            403: " — does TELEGRAM_WEBHOOK_SECRET match what the webhook expects?",
        }.get(status, "")
        return Delivery(status, False, f"webhook answered {status} {reason(status)}{hint}")
    reply = None
    if response.headers.get("content-type", "").startswith("application/json"):
        try:
            decoded = response.json()
        except ValueError:
            decoded = None
        if isinstance(decoded, dict) and isinstance(decoded.get("method"), str):
            reply = decoded
    return Delivery(status, True, f"delivered: webhook answered {status}", reply)
