"""`manage.py ledger_check`: prove the ledger's invariants; exit non-zero on any violation."""

from django.core.management.base import BaseCommand, CommandError

from apps.ledger.checks import run_ledger_check

# The error line names this many violations; stdout lists them all.
MAX_NAMED = 10


class Command(BaseCommand):
    help = (
        "Check that every account's cached balance equals the sum of its entries, every "
        "transaction sums to zero per currency and no user balance is negative."
    )

    def handle(self, *args, **options):
        report = run_ledger_check()
        self.stdout.write(f"Checked {report.summary()}.")
        for violation in report.violations:
            self.stdout.write(f"VIOLATION {violation}")
        if report.violations:
            named = "; ".join(str(violation) for violation in report.violations[:MAX_NAMED])
            more = len(report.violations) - MAX_NAMED
            raise CommandError(
                f"{len(report.violations)} ledger violation(s) found: {named}"
                + (f"; and {more} more (listed above)" if more > 0 else "")
            )
        self.stdout.write("Ledger OK: no violations.")
