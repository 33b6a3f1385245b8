"""`manage.py send_daily_report [--date YYYY-MM-DD]`: the boosts report to the admin groups now.

Beat sends it daily; staff use this to send a day again (a day's report is queued once per
group, so a repeat of the same day sends nothing new) or to see the figures printed.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from apps.boosts.report import build_daily_report, report_text, send_daily_report


class Command(BaseCommand):
    help = "Send (and print) the boosts daily report for --date (default: yesterday)."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="The day to report, YYYY-MM-DD (default: yesterday).")

    def handle(self, *args, **options):
        day = self._day(options["date"])
        self.stdout.write(_plain(report_text(build_daily_report(day))))
        groups = send_daily_report(day)
        self.stdout.write(f"Queued for {groups} admin group(s).")

    def _day(self, raw: str | None) -> date:
        if not raw:
            return timezone.localdate() - timedelta(days=1)
        try:
            return date.fromisoformat(raw)
        except ValueError:
            raise CommandError("--date must be a day such as 2026-11-28.") from None


def _plain(markdown: str) -> str:
    """The MarkdownV2 message as a terminal shows it: no escapes, no bold marks."""
    return re.sub(r"\\(.)", r"\1", markdown.replace("*", ""))
