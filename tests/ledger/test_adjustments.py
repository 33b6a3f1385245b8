"""Staff balance adjustments: maker-checker, enforced by the service."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group

from apps.audit.models import AuditEvent
from apps.ledger.errors import (
    AdjustmentAlreadyDecided,
    AdjustmentError,
    AdjustmentPermissionDenied,
    InsufficientFunds,
    NonPositiveAmount,
)
from apps.ledger.models import AccountKind, AdjustmentStatus, TransactionKind
from apps.ledger.services import (
    approve_adjustment,
    propose_adjustment,
    reject_adjustment,
    system_account,
)
from apps.users.roles import SENIOR_FINANCE
from tests.factories import StaffUserFactory
from tests.ledger.factories import TEST_ACTOR, UserAccountFactory, funded_account
from tests.ledger.helpers import audit_actions, last_sequence, nothing_written

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_senior(roles):
    user = StaffUserFactory(username="senior-two")
    user.groups.add(Group.objects.get(name=SENIOR_FINANCE))
    return user


def propose(actor, account, *, direction="credit", amount="25.00", reason="missed commission"):
    return propose_adjustment(
        account=account,
        direction=direction,
        amount=Decimal(amount),
        reason=reason,
        actor=actor,
    )


def balance_of(account):
    account.refresh_from_db()
    return account.balance


def test_finance_proposes_and_nothing_moves_until_approval(finance_clerk):
    account = UserAccountFactory()
    adjustment = propose(finance_clerk, account)
    assert adjustment.status == AdjustmentStatus.PROPOSED
    assert adjustment.proposed_by == finance_clerk
    assert adjustment.transaction is None
    assert balance_of(account) == Decimal("0.00")


def test_another_senior_approves_and_the_credit_is_posted(finance_clerk, second_approver):
    account = UserAccountFactory()
    adjustment = propose(finance_clerk, account, amount="25.00")
    approved = approve_adjustment(adjustment=adjustment, actor=second_approver)
    assert approved.status == AdjustmentStatus.APPROVED
    assert approved.decided_by == second_approver
    assert approved.decided_at is not None
    assert approved.transaction.idempotency_key == f"adjustment:{adjustment.pk}"
    assert approved.transaction.kind == TransactionKind.ADJUSTMENT
    assert approved.transaction.memo == "missed commission"
    assert balance_of(account) == Decimal("25.00")
    adjustments = system_account(kind=AccountKind.ADJUSTMENTS, currency="USD")
    assert adjustments.balance == Decimal("-25.00")


def test_a_debit_takes_money_back_into_the_adjustments_account(finance_clerk, second_approver):
    account = funded_account("40.00")
    adjustment = propose(finance_clerk, account, direction="debit", amount="15.00")
    approve_adjustment(adjustment=adjustment, actor=second_approver)
    assert balance_of(account) == Decimal("25.00")


def test_the_proposer_cannot_approve_their_own_adjustment(second_approver):
    account = UserAccountFactory()
    adjustment = propose(second_approver, account)
    with nothing_written(), pytest.raises(AdjustmentPermissionDenied) as refused:
        approve_adjustment(adjustment=adjustment, actor=second_approver)
    assert "You cannot approve your own adjustment" in str(refused.value)
    adjustment.refresh_from_db()
    assert adjustment.status == AdjustmentStatus.PROPOSED


def test_even_a_superuser_cannot_approve_their_own_adjustment(superuser):
    adjustment = propose(superuser, UserAccountFactory())
    with nothing_written(), pytest.raises(AdjustmentPermissionDenied, match="your own"):
        approve_adjustment(adjustment=adjustment, actor=superuser)


def test_approval_without_the_capability_is_refused(finance_clerk, roles):
    colleague = StaffUserFactory()
    colleague.groups.add(Group.objects.get(name="Finance"))
    adjustment = propose(finance_clerk, UserAccountFactory())
    with nothing_written(), pytest.raises(AdjustmentPermissionDenied) as refused:
        approve_adjustment(adjustment=adjustment, actor=colleague)
    assert "users.approve_adjustment" in str(refused.value)


def test_support_cannot_propose(support_agent):
    account = UserAccountFactory()
    with nothing_written(), pytest.raises(AdjustmentPermissionDenied, match="propose"):
        propose(support_agent, account)


def test_a_bot_user_or_system_job_cannot_propose_or_approve(finance_clerk):
    account = UserAccountFactory()
    with nothing_written(), pytest.raises(AdjustmentPermissionDenied, match="Only staff"):
        propose(TEST_ACTOR, account)
    adjustment = propose(finance_clerk, account)
    with nothing_written(), pytest.raises(AdjustmentPermissionDenied, match="Only staff"):
        approve_adjustment(adjustment=adjustment, actor=account.owner)


def test_a_debit_beyond_the_balance_is_refused_and_stays_proposed(finance_clerk, second_approver):
    account = funded_account("10.00")
    adjustment = propose(finance_clerk, account, direction="debit", amount="15.00")
    system_account(kind=AccountKind.ADJUSTMENTS, currency="USD")
    with nothing_written(), pytest.raises(InsufficientFunds, match=r"balance 10\.00, needs 15\.00"):
        approve_adjustment(adjustment=adjustment, actor=second_approver)
    adjustment.refresh_from_db()
    assert adjustment.status == AdjustmentStatus.PROPOSED
    assert adjustment.decided_by is None


def test_reject_records_the_note_and_moves_nothing(finance_clerk, second_approver):
    account = UserAccountFactory()
    adjustment = propose(finance_clerk, account)
    rejected = reject_adjustment(
        adjustment=adjustment, actor=second_approver, note="no evidence attached"
    )
    assert rejected.status == AdjustmentStatus.REJECTED
    assert rejected.decision_note == "no evidence attached"
    assert rejected.transaction is None
    assert balance_of(account) == Decimal("0.00")


def test_a_rejection_needs_a_note_and_the_capability(finance_clerk, second_approver):
    adjustment = propose(finance_clerk, UserAccountFactory())
    with nothing_written():
        with pytest.raises(AdjustmentError, match="note"):
            reject_adjustment(adjustment=adjustment, actor=second_approver, note=" ")
        with pytest.raises(AdjustmentPermissionDenied):
            reject_adjustment(adjustment=adjustment, actor=finance_clerk, note="mine, oops")


def test_a_decided_adjustment_cannot_be_decided_again(finance_clerk, second_approver, other_senior):
    account = UserAccountFactory()
    adjustment = propose(finance_clerk, account)
    approve_adjustment(adjustment=adjustment, actor=second_approver)
    with nothing_written():
        with pytest.raises(AdjustmentAlreadyDecided, match="already approved by"):
            approve_adjustment(adjustment=adjustment, actor=other_senior)
        with pytest.raises(AdjustmentAlreadyDecided):
            reject_adjustment(adjustment=adjustment, actor=other_senior, note="late")
    assert balance_of(account) == Decimal("25.00")


def test_an_adjustment_without_a_reason_is_refused(finance_clerk):
    account = UserAccountFactory()
    with nothing_written(), pytest.raises(AdjustmentError, match="reason"):
        propose(finance_clerk, account, reason="   ")


def test_an_adjustment_needs_a_positive_amount_a_direction_and_a_user_account(finance_clerk):
    account = UserAccountFactory()
    revenue = system_account(kind=AccountKind.REVENUE, currency="USD")
    with nothing_written():
        with pytest.raises(NonPositiveAmount):
            propose(finance_clerk, account, amount="-5.00")
        with pytest.raises(AdjustmentError, match="credit or debit"):
            propose(finance_clerk, account, direction="sideways")
        with pytest.raises(AdjustmentError, match="user balances"):
            propose(finance_clerk, revenue)


def test_every_adjustment_step_is_audited_naming_the_actor(finance_clerk, second_approver):
    account = funded_account("50.00")
    since = last_sequence()
    first = propose(finance_clerk, account)
    approve_adjustment(adjustment=first, actor=second_approver)
    second = propose(finance_clerk, account, direction="debit", amount="5.00")
    reject_adjustment(adjustment=second, actor=second_approver, note="duplicate")
    assert audit_actions(since) == [
        "ledger.adjustment_proposed",
        "ledger.transaction_posted",
        "ledger.adjustment_approved",
        "ledger.adjustment_proposed",
        "ledger.adjustment_rejected",
    ]
    events = AuditEvent.objects.filter(sequence__gt=since).order_by("sequence")
    labels = [(event.action, event.actor_label) for event in events]
    assert ("ledger.adjustment_proposed", finance_clerk.username) in labels
    assert ("ledger.adjustment_approved", second_approver.username) in labels
    assert ("ledger.adjustment_rejected", second_approver.username) in labels
    rejected = events.get(action="ledger.adjustment_rejected")
    assert rejected.reason == "duplicate"
    assert rejected.after["status"] == "rejected"
