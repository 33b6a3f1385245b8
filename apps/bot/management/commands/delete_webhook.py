"""`manage.py delete_webhook`: stop Telegram delivering to us."""

from asgiref.sync import async_to_sync
from django.core.management.base import BaseCommand, CommandError
from telegram.error import TelegramError

from apps.bot.telegram_calls import describe_error, make_bot


async def _delete_webhook(drop_pending: bool) -> bool:
    async with make_bot() as bot:
        return await bot.delete_webhook(drop_pending_updates=drop_pending)


class Command(BaseCommand):
    help = "Remove the webhook registration at Telegram."

    def add_arguments(self, parser):
        parser.add_argument("--drop-pending-updates", action="store_true")

    def handle(self, *args, drop_pending_updates, **options):
        try:
            async_to_sync(_delete_webhook)(drop_pending_updates)
        except TelegramError as error:
            raise CommandError(f"Telegram refused: {describe_error(error)}") from None
        self.stdout.write(self.style.SUCCESS("Webhook deleted."))
