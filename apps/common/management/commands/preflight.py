"""`manage.py preflight`: can this process reach its database and broker? Says which is not."""

from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from django.db.utils import load_backend

from apps.common.broker import connect_to_broker


def unpooled_connection(alias: str):
    """A one-off connection: a pool would retry for its whole timeout before saying no."""
    settings_dict = dict(connections[alias].settings_dict)
    settings_dict["OPTIONS"] = {
        key: value for key, value in settings_dict.get("OPTIONS", {}).items() if key != "pool"
    }
    return load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, alias)


class Command(BaseCommand):
    help = "Check that the database and the Celery broker answer, with a clear message if not."

    def handle(self, *args, **options):
        problems = [problem for problem in (self.check_database(), self.check_broker()) if problem]
        if problems:
            raise CommandError("Not ready: " + "; ".join(problems))
        self.stdout.write(self.style.SUCCESS("Database and broker are reachable."))

    def check_database(self) -> str | None:
        database = unpooled_connection("default")
        try:
            with database.cursor() as cursor:
                cursor.execute("SELECT 1")
        except Exception as error:
            where = database.settings_dict.get("HOST") or database.settings_dict.get("NAME")
            # The exception text of a failed login may echo the DSN; only its class is shown.
            return (
                f"database at {where} is unreachable ({type(error).__name__}); check DATABASE_URL"
            )
        finally:
            database.close()
        return None

    def check_broker(self) -> str | None:
        try:
            connect_to_broker(timeout=3)
        except Exception as error:
            return (
                f"Celery broker is unreachable ({type(error).__name__}); "
                "check CELERY_BROKER_URL or REDIS_URL"
            )
        return None
