"""`manage.py restore FILE [--yes]`: load a checked backup into an empty default database."""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.common.backups.files import BackupError
from apps.common.backups.service import check_restorable, restore_backup


class Command(BaseCommand):
    help = (
        "Restore a backup made by `manage.py backup` into the database of DATABASE_URL, which "
        "must be empty. The checksum is verified first."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="The backup file (its .sha256 next to it).")
        parser.add_argument("--yes", action="store_true", help="Do not ask for confirmation.")

    def handle(self, *args, **options):
        path = options["file"]
        try:
            target = check_restorable(path)
            if not options["yes"]:
                self.confirm(path, target)
            restore_backup(path)
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(self.style.SUCCESS(f"Restored {path.name} into {target}."))
        self.stdout.write("Next: run `manage.py migrate`, `ledger_check` and `audit_verify`.")

    def confirm(self, path, target):
        # A restore run from a script must say --yes; it never waits on a prompt nobody sees.
        if not sys.stdin.isatty():
            raise BackupError("Not running on a terminal: pass --yes to confirm the restore.")
        answer = input(f"Restore {path.name} into {target}? Type 'yes' to continue: ")
        if answer.strip().lower() != "yes":
            raise BackupError("Restore cancelled; nothing was changed.")
