"""`manage.py backup [--dir DIR]`: a consistent, compressed, checksummed dump of the database."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.common.backups.files import BackupError
from apps.common.backups.service import make_backup


class Command(BaseCommand):
    help = (
        "Dump the default database into BACKUP_DIR (or --dir) with a .sha256 sidecar, then "
        "delete our backups older than BACKUP_KEEP_DAYS."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dir", type=Path, help="Where to write the backup (BACKUP_DIR).")

    def handle(self, *args, **options):
        try:
            result = make_backup(directory=options["dir"])
        except BackupError as error:
            raise CommandError(f"Backup failed: {error}") from None
        self.stdout.write(
            self.style.SUCCESS(f"Backup written: {result.path}")
            + f"\n  size: {result.size_bytes} bytes\n  sha256: {result.checksum}"
        )
        for path in result.deleted:
            self.stdout.write(f"  deleted old backup: {path.name}")
