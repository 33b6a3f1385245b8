"""The daily report counts one calendar day in TIME_ZONE: never the days around it, never totals."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from apps.boosts.models import BoostOrder, BoostPhase, PhaseStatus
from apps.boosts.report import DailyReport, build_daily_report, report_text, send_daily_report
from apps.boosts.tasks_report import send_yesterdays_report
from apps.bot.models import GroupRole, OutboundMessage, TelegramGroup
from apps.purchases.models import Purchase, PurchaseSource
from apps.withdrawals.models import Status as WithdrawalStatus
from apps.withdrawals.models import Withdrawal
from tests.boosts.test_staff_actions import add_phase, make_order
from tests.factories import BotUserFactory

pytestmark = pytest.mark.django_db

LAGOS = ZoneInfo("Africa/Lagos")  # UTC+1 all year: the day starts at 23:00 UTC the day before
DAY = date(2026, 3, 14)
ADMIN_CHAT = -5001


@pytest.fixture(autouse=True)
def lagos_time(settings):
    settings.TIME_ZONE = "Africa/Lagos"


@pytest.fixture
def admin_group(db):
    return TelegramGroup.objects.create(
        chat_id=ADMIN_CHAT,
        title="ViralCore staff",
        chat_type="supergroup",
        role=GroupRole.ADMIN,
        is_active=True,
    )


def at(day_offset: int, hour: int, minute: int = 0) -> datetime:
    """A moment on DAY + DAY_OFFSET at HOUR:MINUTE, Lagos time."""
    return datetime.combine(DAY + timedelta(days=day_offset), datetime.min.time(), LAGOS).replace(
        hour=hour, minute=minute
    )


def submitted(platform: str, moment: datetime) -> BoostOrder:
    order = make_order(platform=platform)
    BoostOrder.objects.filter(pk=order.pk).update(created_at=moment)
    return order


def bought(product: str, amount: str, moment: datetime, source=PurchaseSource.PAYMENT):
    purchase = Purchase.objects.create(
        user=BotUserFactory(),
        source=source,
        product=product,
        plan_code="t2",
        quantity=1,
        targets={},
        credits_total=1,
        credits_remaining=1,
        amount_usd=Decimal(amount),
    )
    Purchase.objects.filter(pk=purchase.pk).update(created_at=moment)
    return purchase


def withdrawal(status: str, amount_ngn: str, closed_at: datetime | None) -> Withdrawal:
    return Withdrawal.objects.create(
        user=BotUserFactory(),
        balance="earnings",
        amount=Decimal(amount_ngn),
        currency="NGN",
        amount_ngn=Decimal(amount_ngn),
        amount_usd=Decimal("10.00"),
        bank_code="058",
        bank_name="GTBank",
        account_number="0123456789",
        account_name="ADA LOVELACE",
        status=status,
        closed_at=closed_at,
    )


@pytest.fixture
def a_busy_day(db):
    # Submissions: two X and one Telegram on the day; one of each just outside it.
    submitted("x", at(0, 0, 0))  # 23:00 UTC the day before: still DAY in Lagos
    submitted("x", at(0, 23, 59))
    submitted("telegram", at(0, 12))
    submitted("x", at(-1, 23, 59))
    submitted("telegram", at(1, 0, 0))
    # Phases: three placed on the day (one of them failed later), one placed the day before;
    # one failed on the day, one failed the day before, one finished (delivered) on the day.
    order = make_order()
    add_phase(order, 1, PhaseStatus.PLACED, placed_at=at(0, 1))
    add_phase(order, 2, PhaseStatus.COMPLETED, placed_at=at(0, 9), finished_at=at(0, 10))
    add_phase(order, 3, PhaseStatus.FAILED, placed_at=at(0, 22), finished_at=at(0, 23, 30))
    add_phase(order, 4, PhaseStatus.COMPLETED, placed_at=at(-1, 22))
    add_phase(order, 5, PhaseStatus.FAILED, finished_at=at(-1, 23, 59))
    add_phase(order, 6, PhaseStatus.FAILED, finished_at=at(1, 0, 1))
    # Revenue: boost products paid on the day count; staff credits, other products and the
    # next day do not.
    bought("x_engagement", "10.00", at(0, 8))
    bought("tg_engagement", "2.50", at(0, 18))
    bought("x_engagement", "5.00", at(0, 9), source=PurchaseSource.MANUAL)
    bought("x_poll", "7.00", at(0, 10))
    bought("x_engagement", "3.00", at(1, 0, 0))
    # Payouts: paid and paid by hand on the day; one paid the day before; unpaid and failed.
    withdrawal(WithdrawalStatus.PAID, "15000.00", at(0, 11))
    withdrawal(WithdrawalStatus.PAID_MANUALLY, "5000.50", at(0, 16))
    withdrawal(WithdrawalStatus.PAID, "1000.00", at(-1, 23))
    withdrawal(WithdrawalStatus.REQUESTED, "2000.00", None)
    withdrawal(WithdrawalStatus.FAILED, "3000.00", at(0, 12))


EXPECTED_TEXT = (
    "📊 *Daily report for 2026\\-03\\-14*\n"
    "Submissions: 3 \\(2 X, 1 Telegram\\)\n"
    "Phases placed: 3\n"
    "Phases failed: 1\n"
    "Boost revenue: $12\\.50\n"
    "Payouts: 2 paid, ₦20,000\\.50"
)


def test_the_report_counts_only_the_calendar_day_in_the_site_time_zone(a_busy_day):
    assert build_daily_report(DAY) == DailyReport(
        day=DAY,
        x_submissions=2,
        telegram_submissions=1,
        phases_placed=3,
        phases_failed=1,
        boost_revenue_usd=Decimal("12.50"),
        payouts_count=2,
        payouts_ngn=Decimal("20000.50"),
    )


def test_the_day_before_has_its_own_figures_not_a_running_total(a_busy_day):
    report = build_daily_report(DAY - timedelta(days=1))

    assert (report.x_submissions, report.telegram_submissions) == (1, 0)
    assert (report.phases_placed, report.phases_failed) == (1, 1)
    assert report.boost_revenue_usd == Decimal("0.00")
    assert (report.payouts_count, report.payouts_ngn) == (1, Decimal("1000.00"))


def test_the_message_says_exactly_this(a_busy_day):
    assert report_text(build_daily_report(DAY)) == EXPECTED_TEXT


def test_the_report_goes_to_the_admin_groups_once_a_day(a_busy_day, admin_group):
    assert send_daily_report(DAY) == 1
    send_daily_report(DAY)

    sent = OutboundMessage.objects.get(chat_id=ADMIN_CHAT)
    assert sent.payload == {"text": EXPECTED_TEXT, "parse_mode": "MarkdownV2"}


def test_a_quiet_day_reports_zeros(admin_group):
    assert report_text(build_daily_report(DAY)) == (
        "📊 *Daily report for 2026\\-03\\-14*\n"
        "Submissions: 0 \\(0 X, 0 Telegram\\)\n"
        "Phases placed: 0\n"
        "Phases failed: 0\n"
        "Boost revenue: $0\\.00\n"
        "Payouts: 0 paid, ₦0\\.00"
    )


def test_the_beat_task_reports_yesterday(admin_group):
    yesterday = timezone.localdate(timezone=LAGOS) - timedelta(days=1)
    noon = datetime.combine(yesterday, datetime.min.time(), LAGOS).replace(hour=12)
    submitted("telegram", noon)
    submitted("telegram", noon + timedelta(days=1))  # today: tomorrow's report

    assert send_yesterdays_report() == {"day": yesterday.isoformat(), "groups": 1}

    text = OutboundMessage.objects.get(chat_id=ADMIN_CHAT).payload["text"]
    assert f"Daily report for {yesterday.isoformat().replace('-', chr(92) + '-')}" in text
    assert "Submissions: 1 \\(0 X, 1 Telegram\\)" in text


def test_phases_of_the_day_are_counted_by_when_they_were_placed(db):
    order = make_order()
    phase = add_phase(order, 1, PhaseStatus.PLACED, placed_at=at(0, 6))
    BoostPhase.objects.filter(pk=phase.pk).update(placed_at=at(2, 6))

    assert build_daily_report(DAY).phases_placed == 0
    assert build_daily_report(DAY + timedelta(days=2)).phases_placed == 1


def test_staff_can_send_a_days_report_from_the_command_line(a_busy_day, admin_group):
    out = io.StringIO()

    call_command("send_daily_report", "--date", DAY.isoformat(), stdout=out)
    call_command("send_daily_report", "--date", DAY.isoformat(), stdout=io.StringIO())

    printed = out.getvalue().splitlines()
    assert printed[0] == f"📊 Daily report for {DAY.isoformat()}"
    assert "\\" not in out.getvalue()
    assert printed[-1] == "Queued for 1 admin group(s)."
    assert OutboundMessage.objects.filter(chat_id=ADMIN_CHAT).count() == 1


def test_the_command_refuses_a_date_it_cannot_read(admin_group):
    with pytest.raises(CommandError, match="--date must be a day such as 2026-11-28"):
        call_command("send_daily_report", "--date", "14/03/2026", stdout=io.StringIO())
    assert not OutboundMessage.objects.exists()
