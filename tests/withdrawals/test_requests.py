"""Asking for a withdrawal: the amount is held at once; every limit refuses with a reason."""

from __future__ import annotations

from decimal import Decimal

import pytest

from apps.audit.models import AuditEvent
from apps.bot.models import GroupRole, OutboundMessage, TelegramGroup
from apps.ledger.models import Hold
from apps.ledger.selectors import balances_for
from apps.withdrawals.errors import WithdrawalRefused
from apps.withdrawals.models import Status, Withdrawal
from apps.withdrawals.services.requests import cancel_withdrawal
from tests.factories import BotUserFactory


def test_request_holds_the_amount_and_records_the_rate(earner, ask):
    withdrawal = ask(earner, "100.00")
    assert withdrawal.status == Status.REQUESTED
    assert (withdrawal.amount_ngn, withdrawal.fx_rate) == (Decimal("150000.00"), Decimal("1500"))
    assert balances_for(earner)["affiliate_usd"] == Decimal("200.00")
    assert Hold.objects.get(reference=withdrawal.hold_reference).amount == Decimal("100.00")
    assert AuditEvent.objects.filter(action="withdrawal.requested").count() == 1
    assert "W\\-" in OutboundMessage.objects.get(chat_id=earner.telegram_id).payload["text"]


def test_naira_earnings_are_paid_as_they_are(earner, ask):
    withdrawal = ask(earner, "20000", balance="earnings")
    assert (withdrawal.amount_ngn, withdrawal.amount_usd) == (Decimal("20000"), Decimal("13.33"))
    assert balances_for(earner)["earnings_ngn"] == Decimal("30000.00")


def test_the_admin_group_gets_a_card_with_the_admin_link(earner, ask):
    TelegramGroup.objects.create(chat_id=-1001, chat_type="supergroup", role=GroupRole.ADMIN)
    withdrawal = ask(earner, "10.00")
    card = OutboundMessage.objects.get(chat_id=-1001).payload["text"]
    assert f"/admin/withdrawals/withdrawal/{withdrawal.pk}/change/" in card
    assert "0690000031" not in card and "0031" in card


@pytest.mark.parametrize(
    ("amount", "balance", "message"),
    [
        ("0.50", "affiliate", "The minimum withdrawal is USD 1.00."),
        ("999", "earnings", "The minimum withdrawal is NGN 1,000.00."),
        ("300.01", "affiliate", "You only have USD 300.00 available."),
        ("501", "affiliate", "The maximum per withdrawal is USD 500.00"),
        ("800000", "earnings", "The maximum per withdrawal is USD 500.00"),
    ],
)
def test_amount_limits(earner, ask, amount, balance, message, settings):
    settings.WITHDRAWAL_MAX_USD = Decimal("500.00")
    with pytest.raises(WithdrawalRefused, match=message.replace("(", r"\(")):
        ask(earner, amount, balance=balance)
    assert not Withdrawal.objects.exists()
    assert balances_for(earner)["affiliate_usd"] == Decimal("300.00")


def test_one_open_request_at_a_time(earner, ask):
    ask(earner, "10.00")
    with pytest.raises(WithdrawalRefused, match="already have a withdrawal in progress"):
        ask(earner, "5000", balance="earnings")
    assert Withdrawal.objects.count() == 1


def test_after_a_cancel_the_user_can_ask_again_and_the_hold_is_released_once(earner, ask):
    first = ask(earner, "50.00")
    cancel_withdrawal(withdrawal=first, actor=earner)
    with pytest.raises(WithdrawalRefused):
        cancel_withdrawal(withdrawal=Withdrawal.objects.get(pk=first.pk), actor=earner)
    assert balances_for(earner)["affiliate_usd"] == Decimal("300.00")
    assert ask(earner, "50.00").status == Status.REQUESTED


def test_someone_else_cannot_cancel(earner, ask):
    withdrawal = ask(earner, "10.00")
    with pytest.raises(WithdrawalRefused, match="not yours"):
        cancel_withdrawal(withdrawal=withdrawal, actor=BotUserFactory())


def test_velocity_per_hour(earner, ask, settings):
    settings.WITHDRAWAL_MAX_PER_HOUR = 2
    # Cancelled requests do not count towards the limit; finished ones do.
    cancel_withdrawal(withdrawal=ask(earner, "5.00"), actor=earner)
    for _ in range(2):
        Withdrawal.objects.filter(pk=ask(earner, "5.00").pk).update(status=Status.PAID)
    with pytest.raises(WithdrawalRefused, match="Too many withdrawal requests this hour"):
        ask(earner, "5.00")


def test_velocity_per_day(earner, ask, settings):
    settings.WITHDRAWAL_MAX_USD_PER_DAY = Decimal("60.00")
    Withdrawal.objects.filter(pk=ask(earner, "50.00").pk).update(status=Status.PAID)
    with pytest.raises(WithdrawalRefused, match=r"limited to USD 60\.00"):
        ask(earner, "10.01")
    assert ask(earner, "10.00").status == Status.REQUESTED


def test_large_requests_need_two_approvals(earner, ask, settings):
    settings.WITHDRAWAL_DUAL_APPROVAL_USD = Decimal("100.00")
    small = ask(earner, "100.00")
    assert not small.needs_second_approval
    Withdrawal.objects.filter(pk=small.pk).update(status=Status.PAID)
    assert ask(earner, "100.01").needs_second_approval
