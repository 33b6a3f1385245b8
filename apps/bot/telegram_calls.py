"""Bot API calls through python-telegram-bot's ``Bot``, from the outbox's stored payloads."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from telegram import Bot, InlineKeyboardMarkup, InputFile
from telegram.request import HTTPXRequest

from apps.bot.models import BotAsset

ASSET_FILES = {"menu": Path(__file__).resolve().parent / "static" / "bot" / "menu.png"}


def make_bot() -> Bot:
    # Timeouts always set: a slow Telegram must not hold the sender for minutes.
    request = HTTPXRequest(
        connect_timeout=5,
        read_timeout=settings.TELEGRAM_READ_TIMEOUT,
        write_timeout=15,
        pool_timeout=5,
    )
    return Bot(
        settings.TELEGRAM_BOT_TOKEN, base_url=settings.TELEGRAM_API_BASE_URL, request=request
    )


async def call_bot_api(method: str, chat_id: int, payload: dict) -> dict:
    """Send one stored call; returns {"message_id": …} for messages, {} otherwise."""
    bot = make_bot()
    await bot.request.initialize()
    try:
        return await _CALLS[method](bot, chat_id, dict(payload))
    finally:
        await bot.request.shutdown()


def _markup(payload: dict, bot: Bot):
    markup = payload.get("reply_markup")
    return InlineKeyboardMarkup.de_json(markup, bot) if markup else None


async def _send_message(bot: Bot, chat_id: int, payload: dict) -> dict:
    message = await bot.send_message(
        chat_id=chat_id,
        text=payload["text"],
        parse_mode=payload.get("parse_mode"),
        reply_markup=_markup(payload, bot),
    )
    return {"message_id": message.message_id}


async def _send_photo(bot: Bot, chat_id: int, payload: dict) -> dict:
    asset = payload["asset"]
    stored = await BotAsset.objects.filter(name=asset).afirst()
    photo = stored.file_id if stored else InputFile(ASSET_FILES[asset].read_bytes(), f"{asset}.png")
    message = await bot.send_photo(
        chat_id=chat_id,
        photo=photo,
        caption=payload.get("caption"),
        parse_mode=payload.get("parse_mode"),
        reply_markup=_markup(payload, bot),
    )
    if stored is None and message.photo:
        # Uploaded once; from now on Telegram's file_id stands for the picture.
        await BotAsset.objects.aupdate_or_create(
            name=asset, defaults={"file_id": message.photo[-1].file_id}
        )
    return {"message_id": message.message_id}


async def _edit_message_text(bot: Bot, chat_id: int, payload: dict) -> dict:
    await bot.edit_message_text(
        chat_id=chat_id,
        message_id=payload["message_id"],
        text=payload["text"],
        parse_mode=payload.get("parse_mode"),
        reply_markup=_markup(payload, bot),
    )
    return {"message_id": payload["message_id"]}


async def _answer_callback_query(bot: Bot, chat_id: int, payload: dict) -> dict:
    await bot.answer_callback_query(
        callback_query_id=payload["callback_query_id"], text=payload.get("text")
    )
    return {}


async def _delete_message(bot: Bot, chat_id: int, payload: dict) -> dict:
    await bot.delete_message(chat_id=chat_id, message_id=payload["message_id"])
    return {}


_CALLS = {
    "sendMessage": _send_message,
    "sendPhoto": _send_photo,
    "editMessageText": _edit_message_text,
    "answerCallbackQuery": _answer_callback_query,
    "deleteMessage": _delete_message,
}


def describe_error(error: Exception) -> str:
    """ERROR as text safe to show: PTB puts the rejected token into some messages."""
    from apps.common.logging import redact

    text = redact(str(error))
    return text.replace(settings.TELEGRAM_BOT_TOKEN, "[REDACTED]")
