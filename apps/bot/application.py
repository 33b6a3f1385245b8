"""The python-telegram-bot Application that routes stored updates to our handlers.

Built without an updater: updates come from our inbox, not from Telegram polling. Handlers are
async (PTB's contract) and call our sync services through ``sync_to_async``; because the update
is run with ``async_to_sync`` from the worker's thread, those calls come back to that same
thread, inside the transaction that holds the chat lock. Handlers never call the Bot API: what
they say goes to the outbox and is sent after commit.
"""

from __future__ import annotations

from contextvars import ContextVar

from django.conf import settings
from telegram import Update
from telegram.ext import Application

_application: Application | None = None
_handler_errors: ContextVar[list | None] = ContextVar("bot_handler_errors", default=None)


def build_application() -> Application:
    from apps.bot.handlers import register_handlers

    application = (
        Application.builder()
        .token(settings.TELEGRAM_BOT_TOKEN)
        .base_url(settings.TELEGRAM_API_BASE_URL)
        .updater(None)
        .build()
    )
    register_handlers(application)
    application.add_error_handler(_collect_error)
    return application


async def _collect_error(update, context) -> None:
    """PTB swallows handler errors; collect them so the worker can roll the update back."""
    errors = _handler_errors.get()
    if errors is not None:
        errors.append(context.error)


async def ensure_application() -> Application:
    """The process's Application, initialised: getMe once per process, checking the token.

    Called before a worker takes a chat's lock, so no HTTP happens while the lock is held. A
    failed start is forgotten: its HTTP client belongs to an event loop that is now closed.
    """
    global _application
    if _application is None:
        _application = build_application()
    try:
        await _application.initialize()
    except Exception:
        _application = None
        raise
    return _application


async def run_update(payload: dict) -> None:
    """Process one stored update; re-raise what a handler raised."""
    application = await ensure_application()
    errors: list = []
    token = _handler_errors.set(errors)
    try:
        await application.process_update(Update.de_json(payload, application.bot))
    finally:
        _handler_errors.reset(token)
    if errors:
        raise errors[0]


def reset_application() -> None:
    """Forget the process's Application (tests that change the Bot API base URL)."""
    global _application
    _application = None
