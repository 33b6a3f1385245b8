"""`manage.py wake_bot_chats`: the process that turns stored updates into chat tasks."""

import signal
import threading

from django.core.management.base import BaseCommand
from django.db import connection

from apps.bot.listener import run_listener


class Command(BaseCommand):
    help = (
        "Listen for updates the webhook stored (PostgreSQL NOTIFY) and queue their chats' "
        "processing. On SQLite the webhook queues them itself and this waits idle."
    )

    def handle(self, *args, **options):
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        if connection.vendor != "postgresql":
            # Idle rather than exit: honcho (make run) stops every process when one ends.
            self.stdout.write("SQLite has no NOTIFY: the webhook queues chats itself. Idle.")
            stop.wait()
            return
        run_listener(stop)
