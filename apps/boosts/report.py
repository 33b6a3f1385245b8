"""The daily report to the admin groups: one calendar day's boosts, revenue and payouts.

Every figure counts one calendar day in settings.TIME_ZONE, from its midnight to the next one
(a DST day is 23 or 25 hours long), never a running total: the legacy bot's report summed
everything since launch and read as if it were the day's (spec §11).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from django.db.models import Count, Sum
from django.utils import timezone

from apps.boosts import notifications
from apps.boosts.links import TELEGRAM, X
from apps.boosts.models import BoostOrder, BoostPhase, PhaseStatus
from apps.bot.texts import md, money
from apps.purchases.models import Purchase, PurchaseSource
from apps.purchases.models.catalogue import BOOST_PRODUCTS
from apps.withdrawals.models import Status as WithdrawalStatus
from apps.withdrawals.models import Withdrawal

CENT = Decimal("0.01")
PAID_STATUSES = (WithdrawalStatus.PAID, WithdrawalStatus.PAID_MANUALLY)


@dataclass(frozen=True)
class DailyReport:
    day: date
    x_submissions: int
    telegram_submissions: int
    phases_placed: int
    phases_failed: int
    boost_revenue_usd: Decimal
    payouts_count: int
    payouts_ngn: Decimal

    @property
    def submissions(self) -> int:
        return self.x_submissions + self.telegram_submissions


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """[start, end) of DAY in the site's time zone, as aware datetimes."""
    zone = timezone.get_default_timezone()
    start = timezone.make_aware(datetime.combine(day, time.min), zone)
    end = timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min), zone)
    return start, end


def build_daily_report(day: date) -> DailyReport:
    start, end = day_bounds(day)
    by_platform = dict(
        BoostOrder.objects.filter(created_at__gte=start, created_at__lt=end)
        .order_by()
        .values_list("platform")
        .annotate(count=Count("pk"))
    )
    phases_placed = BoostPhase.objects.filter(placed_at__gte=start, placed_at__lt=end).count()
    phases_failed = BoostPhase.objects.filter(
        status=PhaseStatus.FAILED, finished_at__gte=start, finished_at__lt=end
    ).count()
    revenue = Purchase.objects.filter(
        source=PurchaseSource.PAYMENT,
        product__in=BOOST_PRODUCTS,
        created_at__gte=start,
        created_at__lt=end,
    ).aggregate(total=Sum("amount_usd"))["total"]
    payouts = Withdrawal.objects.filter(
        status__in=PAID_STATUSES, closed_at__gte=start, closed_at__lt=end
    ).aggregate(count=Count("pk"), ngn=Sum("amount_ngn"))
    return DailyReport(
        day=day,
        x_submissions=by_platform.get(X, 0),
        telegram_submissions=by_platform.get(TELEGRAM, 0),
        phases_placed=phases_placed,
        phases_failed=phases_failed,
        boost_revenue_usd=_cents(revenue),
        payouts_count=payouts["count"],
        payouts_ngn=_cents(payouts["ngn"]),
    )


def _cents(total) -> Decimal:
    # SQLite sums decimals as floats: back to an exact amount to the cent.
    return Decimal(str(total or 0)).quantize(CENT, rounding=ROUND_HALF_EVEN)


def report_text(report: DailyReport) -> str:
    """The report as a MarkdownV2 message (every value escaped)."""
    return "\n".join(
        [
            f"📊 *Daily report for {md(report.day.isoformat())}*",
            f"Submissions: {report.submissions} \\({report.x_submissions} X, "
            f"{report.telegram_submissions} Telegram\\)",
            f"Phases placed: {report.phases_placed}",
            f"Phases failed: {report.phases_failed}",
            f"Boost revenue: {money(report.boost_revenue_usd, 'USD')}",
            f"Payouts: {report.payouts_count} paid, {money(report.payouts_ngn, 'NGN')}",
        ]
    )


def send_daily_report(day: date) -> int:
    """Queue DAY's report to the admin groups, once per day; how many groups it went to."""
    return notifications.alert_staff(
        text=report_text(build_daily_report(day)), dedupe_key=f"daily-report:{day}"
    )
