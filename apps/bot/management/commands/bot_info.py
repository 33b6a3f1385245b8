"""`manage.py bot_info`: who the token belongs to and what Telegram knows of our webhook."""

from asgiref.sync import async_to_sync
from django.core.management.base import BaseCommand, CommandError
from telegram.error import TelegramError

from apps.bot.telegram_calls import describe_error, make_bot


async def _info():
    async with make_bot() as bot:
        return bot.bot, await bot.get_webhook_info()


class Command(BaseCommand):
    help = "Show the bot's identity and its webhook status."

    def handle(self, *args, **options):
        try:
            me, webhook = async_to_sync(_info)()
        except TelegramError as error:
            raise CommandError(f"Telegram refused: {describe_error(error)}") from None
        self.stdout.write(f"Bot: @{me.username} (id {me.id})")
        self.stdout.write(f"Webhook: {webhook.url or 'not set'}")
        self.stdout.write(f"Pending updates: {webhook.pending_update_count}")
        if webhook.last_error_message:
            self.stdout.write(f"Last error: {webhook.last_error_message}")
