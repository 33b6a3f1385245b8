"""`manage.py set_webhook URL`: point Telegram at our webhook, with the secret token."""

from asgiref.sync import async_to_sync
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from telegram.error import TelegramError

from apps.bot.inbox import HANDLED_KINDS
from apps.bot.telegram_calls import describe_error, make_bot


async def _set_webhook(url: str, *, max_connections: int, drop_pending: bool) -> bool:
    async with make_bot() as bot:
        return await bot.set_webhook(
            url=url,
            secret_token=settings.TELEGRAM_WEBHOOK_SECRET,
            allowed_updates=list(HANDLED_KINDS),
            max_connections=max_connections,
            drop_pending_updates=drop_pending,
        )


class Command(BaseCommand):
    help = "Register the webhook URL with Telegram (secret token, allowed updates)."

    def add_arguments(self, parser):
        parser.add_argument("url", help="https://ops.example.com/telegram/webhook/")
        parser.add_argument("--max-connections", type=int, default=40)
        parser.add_argument("--drop-pending-updates", action="store_true")

    def handle(self, *args, url, max_connections, drop_pending_updates, **options):
        if not 1 <= max_connections <= 100:
            raise CommandError("--max-connections must be between 1 and 100 (Telegram's range).")
        try:
            async_to_sync(_set_webhook)(
                url, max_connections=max_connections, drop_pending=drop_pending_updates
            )
        except TelegramError as error:
            raise CommandError(f"Telegram refused the webhook: {describe_error(error)}") from None
        self.stdout.write(self.style.SUCCESS(f"Webhook set to {url}."))
