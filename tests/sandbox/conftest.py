"""Fixtures for the sandbox: a python-telegram-bot Bot pointed at the fake over real HTTP."""

from __future__ import annotations

import asyncio
import struct
import zlib

import pytest
from django.conf import settings
from telegram import Bot

from apps.sandbox import services


@pytest.fixture
def bot_base_url(live_server) -> str:
    return live_server.url + "/sandbox/telegram/bot"


@pytest.fixture
def call_bot(bot_base_url):
    """Run `await action(bot)` with a Bot on the fake; initialize() calls getMe as in production."""

    def run(action, *, token: str | None = None):
        async def main():
            async with Bot(
                token=token or settings.TELEGRAM_BOT_TOKEN, base_url=bot_base_url
            ) as bot:
                return await action(bot)

        return asyncio.run(main())

    return run


@pytest.fixture
def persona(db):
    return services.create_persona(telegram_id=700_000_001, first_name="Ada", username="ada_tester")


def png(width: int = 2, height: int = 1) -> bytes:
    """A valid PNG of the given size (RGB, black)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\x00\x00\x00" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


# The "pay this invoice" page needs invoices and the providers of the purchases tests.
from tests.purchases.conftest import buyer, catalogue, make_invoice, providers  # noqa: E402, F401
