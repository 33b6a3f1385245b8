"""Races on PostgreSQL with real threads: approvals, requests against one balance."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection

from apps.ledger.models import Hold
from apps.ledger.selectors import balances_for
from apps.sandbox.models import FlutterwaveTransfer
from apps.withdrawals.errors import WithdrawalRefused
from apps.withdrawals.models import Approval, Status, Withdrawal
from apps.withdrawals.services import payouts
from apps.withdrawals.services.approvals import approve_withdrawal
from tests.conftest import _staff_in

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _race(count: int, action) -> list:
    barrier = threading.Barrier(count)
    results: list = []

    def run(index: int) -> None:
        try:
            barrier.wait()
            results.append(action(index))
        except WithdrawalRefused as refusal:
            results.append(refusal)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_two_finance_users_approving_at_once_give_one_approval_and_one_payout(
    earner, ask, roles, flutterwave
):
    withdrawal = ask(earner, "50.00")
    clerks = [_staff_in("Finance"), _staff_in("Finance")]
    results = _race(
        2,
        lambda i: approve_withdrawal(
            withdrawal=withdrawal, actor=clerks[i], payout_mode="automatic"
        ),
    )
    assert sum(isinstance(result, Withdrawal) for result in results) == 1
    assert Approval.objects.count() == 1
    outcomes = _race(2, lambda i: payouts.send_payout(withdrawal.pk))
    assert sorted(outcomes) == ["not_due", "sent"]
    assert FlutterwaveTransfer.objects.count() == 1


def test_ten_requests_racing_for_one_balance_never_hold_more_than_it(earner, ask):
    results = _race(10, lambda i: ask(earner, "250.00"))
    assert sum(isinstance(result, Withdrawal) for result in results) == 1
    held = sum(hold.amount for hold in Hold.objects.filter(status="held"))
    assert held == Decimal("250.00")
    assert balances_for(earner)["affiliate_usd"] == Decimal("50.00")
    assert Withdrawal.objects.filter(status=Status.REQUESTED).count() == 1
