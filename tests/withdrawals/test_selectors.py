"""What the queue, the risk flags, the next-step preview and the stats read from the database.

Rows are created directly here: these are reads, and the risk rules depend on history (times,
states, other users' accounts) that no single service call produces.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.users.models import BotUser
from apps.withdrawals import selectors
from apps.withdrawals.models import Approval, PayoutAttempt, PayoutMode, Status, Withdrawal
from tests.conftest import _staff_in
from tests.factories import BotUserFactory

pytestmark = pytest.mark.django_db


def make_withdrawal(
    user,
    amount_usd="10.00",
    *,
    status=Status.REQUESTED,
    ago=timedelta(0),
    bank_code="044",
    account_number="0690000031",
    account_name="Ada Obi",
    **fields,
) -> Withdrawal:
    """An affiliate withdrawal of AMOUNT_USD requested AGO, in STATUS (no ledger hold)."""
    amount = Decimal(amount_usd)
    withdrawal = Withdrawal.objects.create(
        user=user,
        balance="affiliate",
        amount=amount,
        currency="USD",
        amount_usd=amount,
        amount_ngn=amount * 1500,
        fx_rate=Decimal("1500"),
        bank_code=bank_code,
        bank_name="Access Bank",
        account_number=account_number,
        account_name=account_name,
        status=status,
        needs_second_approval=amount > Decimal("200"),
        **fields,
    )
    Withdrawal.objects.filter(pk=withdrawal.pk).update(requested_at=timezone.now() - ago)
    withdrawal.refresh_from_db()
    return withdrawal


def registered(days_ago: float, **fields) -> BotUser:
    user = BotUserFactory(**fields)
    BotUser.objects.filter(pk=user.pk).update(created_at=timezone.now() - timedelta(days=days_ago))
    user.refresh_from_db()
    return user


def codes(withdrawal) -> list[str]:
    return [flag.code for flag in selectors.risk_flags(withdrawal)]


@pytest.fixture
def veteran():
    """A user registered long ago whose Telegram name matches the test bank account."""
    return registered(400, first_name="Ada", last_name="")


# --- risk flags ---


def test_a_quiet_request_from_an_old_account_has_no_flags(veteran):
    assert codes(make_withdrawal(veteran)) == []


def test_an_account_younger_than_seven_days_is_flagged_new():
    young = registered(6.9, first_name="Ada")
    flags = selectors.risk_flags(make_withdrawal(young))
    assert [flag.code for flag in flags] == ["new_account"]
    assert "less than 7 days" in flags[0].message
    older = registered(7.1, first_name="Ada")
    assert codes(make_withdrawal(older, account_number="1111111111")) == []


def test_a_bank_account_used_by_another_user_is_flagged_with_who(veteran):
    other = registered(100, username="mule", first_name="Ada")
    make_withdrawal(other, status=Status.PAID)
    flags = selectors.risk_flags(make_withdrawal(veteran))
    assert [flag.code for flag in flags] == ["shared_bank_account"]
    assert "******0031" in flags[0].message
    assert "1 other user: @mule" in flags[0].message


def test_the_same_number_at_another_bank_or_the_users_own_history_is_not_shared(veteran):
    make_withdrawal(registered(100), bank_code="058", status=Status.PAID)
    make_withdrawal(veteran, status=Status.PAID, ago=timedelta(days=3))
    assert codes(make_withdrawal(veteran)) == []


def test_requests_near_the_hourly_limit_are_flagged(veteran, settings):
    settings.WITHDRAWAL_MAX_PER_HOUR = 5
    for minutes in (10, 20):
        make_withdrawal(veteran, status=Status.PAID, ago=timedelta(minutes=minutes))
    # Rejected, cancelled and older requests do not count towards the limit.
    make_withdrawal(veteran, status=Status.REJECTED, ago=timedelta(minutes=5))
    make_withdrawal(veteran, status=Status.CANCELLED, ago=timedelta(minutes=6))
    make_withdrawal(veteran, status=Status.PAID, ago=timedelta(minutes=61))
    assert "velocity_hour" not in codes(make_withdrawal(veteran))  # 3 of 5: fine

    Withdrawal.objects.filter(user=veteran).delete()
    for minutes in (10, 20, 30):
        make_withdrawal(veteran, status=Status.PAID, ago=timedelta(minutes=minutes))
    flags = selectors.risk_flags(make_withdrawal(veteran))
    hourly = next(flag for flag in flags if flag.code == "velocity_hour")
    assert hourly.message.startswith("4 requests within the hour")  # 4 of 5: 80 %


def test_amounts_near_the_daily_limit_are_flagged(veteran, settings):
    settings.WITHDRAWAL_MAX_USD_PER_DAY = Decimal("1000.00")
    make_withdrawal(veteran, "300.00", status=Status.PAID, ago=timedelta(hours=20))
    make_withdrawal(veteran, "400.00", status=Status.PAID, ago=timedelta(hours=25))
    assert "velocity_day" not in codes(make_withdrawal(veteran, "400.00"))  # 700 in 24 h

    Withdrawal.objects.filter(status=Status.REQUESTED).delete()
    make_withdrawal(veteran, "100.00", status=Status.PAID, ago=timedelta(hours=2))
    flags = selectors.risk_flags(make_withdrawal(veteran, "400.00", ago=timedelta(minutes=1)))
    daily = next(flag for flag in flags if flag.code == "velocity_day")
    assert "USD 800.00 requested within 24 hours" in daily.message


def test_more_than_three_times_the_users_median_is_flagged(veteran):
    for amount, days in (("10.00", 30), ("12.00", 20), ("14.00", 10)):
        make_withdrawal(veteran, amount, status=Status.PAID, ago=timedelta(days=days))
    make_withdrawal(veteran, "999.00", status=Status.CANCELLED, ago=timedelta(days=5))
    assert "above_usual" not in codes(make_withdrawal(veteran, "36.00"))  # exactly 3 x 12

    Withdrawal.objects.filter(status=Status.REQUESTED).delete()
    flags = selectors.risk_flags(make_withdrawal(veteran, "36.01"))
    usual = next(flag for flag in flags if flag.code == "above_usual")
    assert "median USD 12.00 over 3 earlier requests" in usual.message


def test_a_first_request_has_no_usual_to_compare_with(veteran):
    assert "above_usual" not in codes(make_withdrawal(veteran, "450.00"))


@pytest.mark.parametrize(
    ("first_name", "last_name", "account_name", "flagged"),
    [
        ("Ada", "", "ADA OBI CHIOMA", False),
        ("adá", "", "Ada Obi", False),  # accents and case do not matter
        ("Chiomà", "Obi", "OBI, NKEM", False),
        ("Kingsley", "", "Ada Obi", True),
        ("", "", "Ada Obi", False),  # no Telegram name: nothing to compare
        ("🔥", "", "Ada Obi", False),
    ],
)
def test_an_account_name_unlike_the_telegram_name_is_only_a_soft_hint(
    first_name, last_name, account_name, flagged
):
    user = registered(400, first_name=first_name, last_name=last_name)
    flags = selectors.risk_flags(make_withdrawal(user, account_name=account_name))
    mismatch = [flag for flag in flags if flag.code == "name_mismatch"]
    assert bool(mismatch) is flagged
    if flagged:
        assert mismatch[0].soft


def test_hard_flags_come_before_soft_hints():
    user = registered(1, first_name="Kingsley")
    flags = selectors.risk_flags(make_withdrawal(user))
    assert [(flag.code, flag.soft) for flag in flags] == [
        ("new_account", False),
        ("name_mismatch", True),
    ]


# --- the queue and its search ---


def test_the_queue_counts_approvals_and_runs_oldest_first(veteran, finance_clerk):
    newer = make_withdrawal(registered(100), "250.00")
    older = make_withdrawal(veteran, "250.00", ago=timedelta(hours=3))
    Approval.objects.create(withdrawal=newer, approver=finance_clerk, payout_mode="manual")
    rows = list(selectors.queue())
    assert [(row.pk, row.approval_count) for row in rows] == [(older.pk, 0), (newer.pk, 1)]
    assert list(selectors.waiting_for_second_approval(selectors.queue())) == [newer]


def test_search_matches_each_kind_of_key_exactly(veteran):
    target = make_withdrawal(veteran, account_number="0123456789", transfer_id=987654)
    other = make_withdrawal(registered(100, username="someone"), account_number="9999999999")
    PayoutAttempt.objects.create(
        withdrawal=target,
        number=1,
        reference=f"VCW-{target.pk}-1",
        amount_ngn=target.amount_ngn,
        transfer_id=555444,
    )
    for term in (
        f"W-{target.pk}",
        f"w{target.pk}",
        f"VCW-{target.pk}-1",
        str(veteran.telegram_id),
        f"@{veteran.username.upper()}",
        veteran.username,
        "6789",
        "0123456789",
        "987654",
        "555444",
    ):
        found = set(selectors.search(selectors.queue(), term))
        assert found == {target}, term
    assert set(selectors.search(selectors.queue(), "  ")) == {target, other}
    assert not selectors.search(selectors.queue(), "nobody").exists()


# --- what a staff member may do next ---


def test_next_steps_follow_the_state_and_the_role(
    veteran, finance_clerk, second_approver, support_agent
):
    large = make_withdrawal(veteran, "250.00")
    assert selectors.next_steps(large, finance_clerk) == ["approve", "reject"]
    assert selectors.next_steps(large, support_agent) == []
    Approval.objects.create(withdrawal=large, approver=finance_clerk, payout_mode="manual")
    assert selectors.next_steps(large, finance_clerk) == ["reject"]
    assert selectors.next_steps(large, second_approver) == ["approve", "reject"]
    other_clerk = _staff_in("Finance")
    assert "Senior finance" in selectors.approval_refusal(large, other_clerk)
    assert selectors.next_steps(large, other_clerk) == ["reject"]

    manual = make_withdrawal(registered(100), status=Status.APPROVED, payout_mode=PayoutMode.MANUAL)
    assert selectors.next_steps(manual, finance_clerk) == ["mark_paid"]
    assert selectors.next_steps(manual, support_agent) == []


def test_retry_is_offered_only_when_flutterwave_confirmed_the_failure(veteran, finance_clerk):
    failed = make_withdrawal(veteran, status=Status.FAILED, attempt=1)
    attempt = PayoutAttempt.objects.create(
        withdrawal=failed, number=1, reference=f"VCW-{failed.pk}-1", amount_ngn=failed.amount_ngn
    )
    assert selectors.next_steps(failed, finance_clerk) == ["mark_paid", "refund"]
    for status, retryable in (("PENDING", False), ("FAILED", True), ("NOT_FOUND", True)):
        PayoutAttempt.objects.filter(pk=attempt.pk).update(provider_status=status)
        assert selectors.can_retry(failed) is retryable, status
    Withdrawal.objects.filter(pk=failed.pk).update(refunded_at=timezone.now())
    failed.refresh_from_db()
    assert selectors.next_steps(failed, finance_clerk) == []


# --- statistics ---


def test_stats_count_waiting_paid_today_failures_and_time_to_approve(veteran):
    now = timezone.now()
    make_withdrawal(veteran, "10.00")
    make_withdrawal(registered(100), "20.00")
    ngn = make_withdrawal(registered(100), "5.00")
    Withdrawal.objects.filter(pk=ngn.pk).update(
        balance="earnings", currency="NGN", amount=Decimal("7500.00")
    )
    make_withdrawal(registered(100), "30.00", status=Status.PAID, closed_at=now)
    make_withdrawal(registered(100), "40.00", status=Status.PAID_MANUALLY, closed_at=now)
    make_withdrawal(registered(100), "50.00", status=Status.PAID, closed_at=now - timedelta(days=2))
    make_withdrawal(registered(100), "6.00", status=Status.FAILED)
    make_withdrawal(registered(100), "7.00", status=Status.FAILED, refunded_at=now)
    for hours in (1, 3):
        approved = make_withdrawal(registered(100), status=Status.APPROVED)
        Withdrawal.objects.filter(pk=approved.pk).update(
            requested_at=now - timedelta(hours=hours + 1), approved_at=now - timedelta(hours=1)
        )

    stats = selectors.queue_stats(now=now)

    assert stats.waiting_by_currency == [
        {
            "currency": "NGN",
            "count": 1,
            "amount": Decimal("7500.00"),
            "amount_ngn": Decimal("7500.00"),
        },
        {
            "currency": "USD",
            "count": 2,
            "amount": Decimal("30.00"),
            "amount_ngn": Decimal("45000.00"),
        },
    ]
    assert (stats.paid_today_count, stats.paid_today_ngn) == (2, Decimal("105000.00"))
    assert (stats.failures_open_count, stats.failures_open_ngn) == (1, Decimal("9000.00"))
    assert stats.approved_last_7_days == 2
    assert stats.average_time_to_approve == timedelta(hours=2)
    assert stats.in_flight == 2


def test_stats_of_an_empty_queue():
    stats = selectors.queue_stats()
    assert stats.waiting_by_currency == []
    assert (stats.paid_today_count, stats.paid_today_ngn) == (0, Decimal("0.00"))
    assert stats.average_time_to_approve is None
