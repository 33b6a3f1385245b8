"""`manage.py reconcile_payouts [--date YYYY-MM-DD]`: compare a day's payouts with Flutterwave.

Prints the run and each discrepancy; exits 1 when there is one (or Flutterwave could not be
read), 0 when the day is clean. Every call stores a new run, visible in the admin.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from django.core.management.base import BaseCommand, CommandError

from apps.audit.actors import Actor
from apps.withdrawals.reconciliation import kind_counts, reconcile_payouts, run_admin_url
from apps.withdrawals.reconciliation_models import DiscrepancyKind

ACTOR = Actor.system("manage.py reconcile_payouts")


def yesterday_utc() -> date:
    return datetime.now(UTC).date() - timedelta(days=1)


def parse_day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--date must be a date written YYYY-MM-DD, not {value!r}.") from None


class Command(BaseCommand):
    help = (
        "Compare Flutterwave's transfers of a day (default: yesterday, UTC) with our payouts: "
        "missing on either side, amount or status mismatches, payouts stuck in sent over 24 h. "
        "Exits 1 when any discrepancy is found."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", dest="day", help="The day to check, YYYY-MM-DD (UTC).")

    def handle(self, *args, day=None, **options):
        day = parse_day(day) if day else yesterday_utc()
        run = reconcile_payouts(day, actor=ACTOR)
        self.stdout.write(f"Payout reconciliation of {day.isoformat()} (run #{run.pk})")
        self.stdout.write(
            f"Flutterwave transfers: {run.transfers_seen}, our payouts checked: "
            f"{run.payouts_checked}, matched: {run.matched}"
        )
        if run.error:
            raise CommandError(f"Run #{run.pk} could not complete: {run.error}", returncode=1)
        items = list(run.items.order_by("kind", "reference", "pk"))
        labels = dict(DiscrepancyKind.choices)
        for kind, number in kind_counts(items).items():
            self.stdout.write(f"  {labels[kind]}: {number}")
        for item in items:
            withdrawal = f"W-{item.withdrawal_id}" if item.withdrawal_id else "-"
            self.stdout.write(
                f"{item.kind.upper()} {item.reference or '(no reference)'} {withdrawal} | "
                f"ours: {item.ours or '-'} | theirs: {item.theirs or '-'} | {item.note}"
            )
        if run.discrepancies:
            found = (
                "1 discrepancy" if run.discrepancies == 1 else f"{run.discrepancies} discrepancies"
            )
            raise CommandError(
                f"{found} found in run #{run.pk}: {run_admin_url(run)}",
                returncode=1,
            )
        self.stdout.write(self.style.SUCCESS("Clean: Flutterwave and our records agree."))
