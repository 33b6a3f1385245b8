"""`manage.py legacy_reconcile --from DIR [--json FILE]`: the daily check during the cutover."""

import getpass
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.legacy.importer.run import run_reconcile
from apps.legacy.management.options import add_report_options, finish
from apps.legacy.sources import SourceError


class Command(BaseCommand):
    help = (
        "Compare the old bot's files in DIR with this database, user by user, without changing "
        "either. Stored in the admin; exits 1 when any affiliate balance differs."
    )

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="source", type=Path, required=True, metavar="DIR")
        add_report_options(parser)

    def handle(self, *args, **options):
        try:
            run = run_reconcile(
                options["source"], started_by=f"{getpass.getuser()} (manage.py legacy_reconcile)"
            )
        except SourceError as error:
            raise CommandError(str(error)) from None
        finish(self, run, options)
