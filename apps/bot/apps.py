import os

from django.apps import AppConfig

# python-telegram-bot 22 warns that RetryAfter.retry_after becomes a timedelta; opt in now
# (the sender reads both forms).
os.environ.setdefault("PTB_TIMEDELTA", "true")


class BotConfig(AppConfig):
    name = "apps.bot"
    label = "bot"
    verbose_name = "Telegram bot"

    def ready(self):
        # Drop a cached bot user whenever its row changes (ban, flags, username).
        from apps.bot import user_cache  # noqa: F401
