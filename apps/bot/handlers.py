"""python-telegram-bot handlers: thin, each hands the update to a sync journey."""

from __future__ import annotations

from asgiref.sync import sync_to_async
from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from apps.bot import groups, journeys
from apps.bot.incoming import from_callback, from_message


async def on_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await sync_to_async(journeys.handle_message)(
        from_message(update), bot_username=context.bot.username
    )


async def on_callback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await sync_to_async(journeys.handle_callback)(
        from_callback(update), bot_username=context.bot.username
    )


async def on_my_chat_member(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    change = update.my_chat_member
    await sync_to_async(groups.record_membership)(
        chat_id=change.chat.id,
        title=change.chat.title or "",
        chat_type=change.chat.type,
        status=change.new_chat_member.status,
    )


def register_handlers(application: Application) -> None:
    application.add_handler(ChatMemberHandler(on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER))
    application.add_handler(CallbackQueryHandler(on_callback))
    application.add_handler(MessageHandler(filters.ALL, on_message))
