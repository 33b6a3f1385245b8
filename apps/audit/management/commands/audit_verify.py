"""`manage.py audit_verify`: prove the audit log is unedited, complete and in order."""

from django.core.management.base import BaseCommand, CommandError

from apps.audit.verify import verify_chain


class Command(BaseCommand):
    help = "Recompute the audit hash chain; report the first edited, missing or reordered event."

    def handle(self, *args, **options):
        report = verify_chain()
        if not report.ok:
            raise CommandError(
                f"Audit chain broken after {report.events_checked} good events: {report.problem}"
            )
        self.stdout.write(
            self.style.SUCCESS(f"Audit chain intact: {report.events_checked} events verified.")
        )
