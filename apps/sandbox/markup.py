"""reply_markup as the fake Bot API validates and stores it."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from apps.sandbox.errors import bad_request

CALLBACK_DATA_MAX_BYTES = 64
MAX_BUTTONS = 100
INLINE_BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)


def _decode(raw) -> dict:
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise bad_request("can't parse reply keyboard markup JSON object") from None
    if not isinstance(raw, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    return raw


def _rows(markup: dict, field: str) -> list[list]:
    rows = markup.get(field)
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(f'field "{field}" must be an Array of Arrays')
    if sum(len(row) for row in rows) > MAX_BUTTONS:
        raise bad_request("reply markup is too long")
    return rows


def _valid_button_url(url) -> bool:
    if not isinstance(url, str) or not url.strip() or any(c.isspace() for c in url.strip()):
        return False
    parts = urlsplit(url.strip())
    if parts.scheme:
        return parts.scheme.lower() in ("http", "https", "tg", "ton") and bool(
            parts.netloc or parts.path
        )
    return "." in url.split("/", 1)[0]


def _inline_button(button) -> dict:
    if not isinstance(button, dict):
        raise bad_request("can't parse inline keyboard button: Object expected")
    text = button.get("text")
    if not isinstance(text, str) or not text.strip():
        raise bad_request("can't parse inline keyboard button: Text must be non-empty")
    actions = [name for name in INLINE_BUTTON_ACTIONS if name in button]
    if not actions:
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode()) <= CALLBACK_DATA_MAX_BYTES:
            raise bad_request("BUTTON_DATA_INVALID")
    if "url" in button and not _valid_button_url(button["url"]):
        raise bad_request("BUTTON_URL_INVALID")
    return button


def _keyboard_button(button) -> dict:
    if isinstance(button, str):
        button = {"text": button}
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise bad_request('can\'t parse keyboard button: Field "text" must be of type String')
    return button


def parse_reply_markup(raw) -> dict | None:
    """The markup to store, or None when absent. Raises BotApiError the way Telegram refuses it."""
    if raw is None or raw == "":
        return None
    markup = _decode(raw)
    if "inline_keyboard" in markup:
        rows = _rows(markup, "inline_keyboard")
        return {"inline_keyboard": [[_inline_button(b) for b in row] for row in rows]}
    if "keyboard" in markup:
        rows = _rows(markup, "keyboard")
        return {**markup, "keyboard": [[_keyboard_button(b) for b in row] for row in rows]}
    if markup.get("remove_keyboard") is True or markup.get("force_reply") is True:
        return markup
    raise bad_request("can't parse reply keyboard markup JSON object")
