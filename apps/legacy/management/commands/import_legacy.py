"""`manage.py import_legacy --from DIR [--dry-run] [--since TIMESTAMP] [--json FILE]`."""

import getpass
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.legacy.importer.run import run_import
from apps.legacy.management.options import add_report_options, finish, parse_since
from apps.legacy.sources import SourceError


class Command(BaseCommand):
    help = (
        "Import the old bot's SQLite files (viralcore.db, tweets.db, tg.db, groups.db, "
        "custom.db) from DIR, read-only. Idempotent: a second run imports only what is new. "
        "Ends with the validation report; exits 1 unless every balance matches."
    )

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="source", type=Path, required=True, metavar="DIR")
        parser.add_argument(
            "--dry-run", action="store_true", help="Do everything, report, then roll it back."
        )
        parser.add_argument(
            "--since",
            metavar="TIMESTAMP",
            help="Only rows dated on or after this day (e.g. 2026-11-20 or 2026-11-20T08:00); "
            "users and balances are always compared in full.",
        )
        add_report_options(parser)

    def handle(self, *args, **options):
        since = parse_since(options["since"])
        try:
            run = run_import(
                options["source"],
                since=since,
                dry_run=options["dry_run"],
                started_by=f"{getpass.getuser()} (manage.py import_legacy)",
                stream=sys.stderr,
                progress=not options["quiet"],
            )
        except SourceError as error:
            raise CommandError(str(error)) from None
        finish(self, run, options)
