"""Photo recognition, reply_markup validation and webhook delivery failures."""

from __future__ import annotations

import socket
import struct

import pytest

from apps.sandbox.errors import BotApiError
from apps.sandbox.images import NotAnImage, photo_info
from apps.sandbox.markup import parse_reply_markup
from apps.sandbox.updates import command_entities, deliver
from tests.sandbox.conftest import png


def jpeg(width: int, height: int) -> bytes:
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + app0 + sof + b"\xff\xd9"


def test_photo_sizes_are_read_from_each_format():
    gif = b"GIF89a" + struct.pack("<HH", 7, 5) + b"\x00" * 8
    vp8x = b"RIFF" + b"\x00" * 4 + b"WEBPVP8X" + b"\x00" * 8 + (9).to_bytes(3, "little")
    vp8x += (4).to_bytes(3, "little")

    assert photo_info(png(3, 2)) == ("image/png", 3, 2)
    assert photo_info(jpeg(640, 480)) == ("image/jpeg", 640, 480)
    assert photo_info(gif) == ("image/gif", 7, 5)
    assert photo_info(vp8x) == ("image/webp", 10, 5)
    for not_an_image in (b"hello", b"\xff\xd8\xff\xd9", b"\x89PNG\r\n\x1a\n"):
        with pytest.raises(NotAnImage):
            photo_info(not_an_image)


@pytest.mark.parametrize(
    ("markup", "description"),
    [
        ([], "Bad Request: can't parse reply keyboard markup JSON object"),
        (
            {"inline_keyboard": "no"},
            'Bad Request: field "inline_keyboard" must be an Array of Arrays',
        ),
        (
            {"inline_keyboard": [["x"]]},
            "Bad Request: can't parse inline keyboard button: Object expected",
        ),
        (
            {"inline_keyboard": [[{"text": " ", "callback_data": "a"}]]},
            "Bad Request: can't parse inline keyboard button: Text must be non-empty",
        ),
        (
            {"inline_keyboard": [[{"text": "a", "callback_data": ""}]]},
            "Bad Request: BUTTON_DATA_INVALID",
        ),
        (
            {"inline_keyboard": [[{"text": "a", "callback_data": "x"}] * 101]},
            "Bad Request: reply markup is too long",
        ),
        (
            {"keyboard": [[{"no_text": 1}]]},
            'Bad Request: can\'t parse keyboard button: Field "text" must be of type String',
        ),
        ({"something": True}, "Bad Request: can't parse reply keyboard markup JSON object"),
    ],
)
def test_reply_markup_refusals(markup, description):
    with pytest.raises(BotApiError) as refused:
        parse_reply_markup(markup)

    assert refused.value.description == description


def test_reply_markup_that_telegram_accepts():
    assert parse_reply_markup('{"remove_keyboard": true}') == {"remove_keyboard": True}
    assert parse_reply_markup({"force_reply": True}) == {"force_reply": True}
    assert parse_reply_markup(
        {"inline_keyboard": [[{"text": "Channel", "url": "t.me/viralcore"}]]}
    ) == {"inline_keyboard": [[{"text": "Channel", "url": "t.me/viralcore"}]]}


def test_commands_are_found_where_telegram_finds_them():
    assert command_entities("try /help or /start@viralcore_sandbox_bot now; not a/b") == [
        {"offset": 4, "length": 5, "type": "bot_command"},
        {"offset": 13, "length": 28, "type": "bot_command"},
    ]
    assert command_entities("🏟 /start") == [{"offset": 3, "length": 6, "type": "bot_command"}]


def test_an_unreachable_webhook_is_reported_not_raised():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    delivery = deliver(
        {"update_id": 1}, url=f"http://127.0.0.1:{port}/telegram/webhook/", secret_token="s"
    )

    assert delivery.status is None and delivery.ok is False
    assert delivery.message.startswith(f"could not reach the webhook at http://127.0.0.1:{port}")
