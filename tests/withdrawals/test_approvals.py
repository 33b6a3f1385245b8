"""Finance decides: one approval, or two by different senior people above the limit."""

from __future__ import annotations

from decimal import Decimal

import pytest

from apps.audit.models import AuditEvent
from apps.ledger.models import Hold
from apps.ledger.selectors import balances_for
from apps.withdrawals.errors import NotWaiting, WithdrawalRefused
from apps.withdrawals.models import Status
from apps.withdrawals.services.approvals import (
    approve_withdrawal,
    mark_paid_manually,
    reject_withdrawal,
)
from tests.conftest import _staff_in

pytestmark = pytest.mark.django_db


def test_one_finance_approval_is_enough_below_the_limit(earner, ask, finance_clerk):
    withdrawal = ask(earner, "50.00")
    approved = approve_withdrawal(
        withdrawal=withdrawal, actor=finance_clerk, payout_mode="automatic"
    )
    assert (approved.status, approved.payout_mode) == (Status.APPROVED, "automatic")
    assert AuditEvent.objects.filter(action="withdrawal.approved").count() == 1


def test_approving_twice_or_after_a_decision_is_refused(
    earner, ask, finance_clerk, second_approver
):
    withdrawal = ask(earner, "50.00")
    approve_withdrawal(withdrawal=withdrawal, actor=finance_clerk, payout_mode="manual")
    with pytest.raises(NotWaiting, match="only a waiting withdrawal can be approved"):
        approve_withdrawal(withdrawal=withdrawal, actor=second_approver, payout_mode="manual")
    with pytest.raises(NotWaiting):
        reject_withdrawal(withdrawal=withdrawal, actor=second_approver, reason="late")


def test_large_withdrawal_needs_a_second_different_senior(
    earner, ask, finance_clerk, second_approver, roles
):
    withdrawal = ask(earner, "250.00")
    assert withdrawal.needs_second_approval
    first = approve_withdrawal(withdrawal=withdrawal, actor=finance_clerk, payout_mode="automatic")
    assert first.status == Status.REQUESTED
    with pytest.raises(WithdrawalRefused, match="already approved"):
        approve_withdrawal(withdrawal=withdrawal, actor=finance_clerk, payout_mode="automatic")
    other_clerk = _staff_in("Finance")
    with pytest.raises(WithdrawalRefused, match="second_approve_withdrawal"):
        approve_withdrawal(withdrawal=withdrawal, actor=other_clerk, payout_mode="automatic")
    done = approve_withdrawal(withdrawal=withdrawal, actor=second_approver, payout_mode="automatic")
    assert done.status == Status.APPROVED
    assert done.approvals.count() == 2


def test_support_cannot_approve(earner, ask, support_agent):
    with pytest.raises(WithdrawalRefused, match="approve_withdrawal"):
        approve_withdrawal(
            withdrawal=ask(earner, "5.00"), actor=support_agent, payout_mode="manual"
        )


def test_nobody_approves_their_own_bot_account_or_their_referral(earner, ask, finance_clerk):
    earner.staff_user = finance_clerk
    earner.save()
    with pytest.raises(WithdrawalRefused, match="your own bot account"):
        approve_withdrawal(
            withdrawal=ask(earner, "5.00"), actor=finance_clerk, payout_mode="manual"
        )


def test_reject_needs_a_reason_and_releases_the_hold_once(earner, ask, finance_clerk):
    withdrawal = ask(earner, "40.00")
    with pytest.raises(WithdrawalRefused, match="needs a reason"):
        reject_withdrawal(withdrawal=withdrawal, actor=finance_clerk, reason="  ")
    rejected = reject_withdrawal(withdrawal=withdrawal, actor=finance_clerk, reason="Name mismatch")
    assert rejected.reason == "Name mismatch"
    assert balances_for(earner)["affiliate_usd"] == Decimal("300.00")
    assert Hold.objects.get(reference=withdrawal.hold_reference).status == "released"
    assert ask(earner, "40.00").status == Status.REQUESTED  # never blocked after a decision


def test_manual_payout_is_settled_with_the_bank_reference(earner, ask, finance_clerk):
    withdrawal = ask(earner, "40.00")
    approve_withdrawal(withdrawal=withdrawal, actor=finance_clerk, payout_mode="manual")
    with pytest.raises(WithdrawalRefused, match="bank's reference"):
        mark_paid_manually(withdrawal=withdrawal, actor=finance_clerk, bank_reference="")
    paid = mark_paid_manually(withdrawal=withdrawal, actor=finance_clerk, bank_reference="NIP-123")
    assert (paid.status, paid.bank_reference) == (Status.PAID_MANUALLY, "NIP-123")
    assert Hold.objects.get(reference=withdrawal.hold_reference).status == "settled"
    assert balances_for(earner)["affiliate_usd"] == Decimal("260.00")
    assert ask(earner, "10.00").status == Status.REQUESTED
