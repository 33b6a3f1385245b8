"""Holds: withdrawals set money aside, then settle it out or release it back, exactly once."""

from decimal import Decimal

import pytest

from apps.ledger.errors import (
    HoldAlreadyResolved,
    HoldError,
    HoldNotFound,
    InsufficientFunds,
    NonPositiveAmount,
)
from apps.ledger.models import AccountKind, Hold, HoldStatus, TransactionKind
from apps.ledger.services import hold_funds, release_hold, settle_hold, system_account
from tests.ledger.factories import TEST_ACTOR, funded_account
from tests.ledger.helpers import audit_actions, last_sequence, nothing_written

pytestmark = pytest.mark.django_db


def balance_of(account):
    account.refresh_from_db()
    return account.balance


def held(currency="USD"):
    return system_account(kind=AccountKind.WITHDRAWALS_HELD, currency=currency)


def payouts(currency="USD"):
    return system_account(kind=AccountKind.PAYOUTS_SENT, currency=currency)


def test_hold_moves_the_amount_from_the_user_to_withdrawals_held():
    account = funded_account("100.00")
    hold = hold_funds(account=account, amount=Decimal("30.00"), reference="wd-1", actor=TEST_ACTOR)
    assert (hold.status, hold.amount, hold.currency) == (HoldStatus.HELD, Decimal("30.00"), "USD")
    assert hold.hold_transaction.idempotency_key == "hold:wd-1"
    assert hold.hold_transaction.kind == TransactionKind.WITHDRAWAL_HOLD
    assert balance_of(account) == Decimal("70.00")
    assert held().balance == Decimal("30.00")


def test_held_money_cannot_be_spent_twice():
    account = funded_account("50.00")
    hold_funds(account=account, amount=Decimal("40.00"), reference="wd-2", actor=TEST_ACTOR)
    with nothing_written(), pytest.raises(InsufficientFunds, match=r"balance 10\.00, needs 40\.00"):
        hold_funds(account=account, amount=Decimal("40.00"), reference="wd-3", actor=TEST_ACTOR)


def test_placing_the_same_hold_twice_returns_the_first():
    account = funded_account("50.00")
    first = hold_funds(account=account, amount=Decimal("20.00"), reference="wd-4", actor=TEST_ACTOR)
    with nothing_written():
        again = hold_funds(
            account=account, amount=Decimal("20.00"), reference="wd-4", actor=TEST_ACTOR
        )
    assert again.pk == first.pk


def test_reusing_a_reference_for_another_amount_is_refused():
    account = funded_account("50.00")
    hold_funds(account=account, amount=Decimal("20.00"), reference="wd-5", actor=TEST_ACTOR)
    with nothing_written(), pytest.raises(HoldError, match="already used by a different hold"):
        hold_funds(account=account, amount=Decimal("25.00"), reference="wd-5", actor=TEST_ACTOR)


def test_settle_moves_the_held_amount_to_payouts_sent():
    account = funded_account("100.00")
    hold_funds(account=account, amount=Decimal("30.00"), reference="wd-6", actor=TEST_ACTOR)
    hold = settle_hold(reference="wd-6", actor=TEST_ACTOR)
    assert hold.status == HoldStatus.SETTLED
    assert hold.resolution_transaction.idempotency_key == "settle:wd-6"
    assert hold.resolved_at is not None
    assert (held().balance, payouts().balance) == (Decimal("0.00"), Decimal("30.00"))
    assert balance_of(account) == Decimal("70.00")


def test_release_gives_the_held_amount_back_to_the_user():
    account = funded_account("100.00")
    hold_funds(account=account, amount=Decimal("30.00"), reference="wd-7", actor=TEST_ACTOR)
    hold = release_hold(reference="wd-7", actor=TEST_ACTOR, reason="bank details wrong")
    assert hold.status == HoldStatus.RELEASED
    assert hold.resolution_transaction.idempotency_key == "release:wd-7"
    assert hold.resolution_transaction.memo == "bank details wrong"
    assert balance_of(account) == Decimal("100.00")
    assert held().balance == Decimal("0.00")


def test_settling_twice_applies_once():
    account = funded_account("100.00")
    hold_funds(account=account, amount=Decimal("30.00"), reference="wd-8", actor=TEST_ACTOR)
    settle_hold(reference="wd-8", actor=TEST_ACTOR)
    with nothing_written():
        settle_hold(reference="wd-8", actor=TEST_ACTOR)
    assert payouts().balance == Decimal("30.00")


def test_releasing_twice_applies_once():
    account = funded_account("100.00")
    hold_funds(account=account, amount=Decimal("30.00"), reference="wd-9", actor=TEST_ACTOR)
    release_hold(reference="wd-9", actor=TEST_ACTOR, reason="cancelled")
    with nothing_written():
        release_hold(reference="wd-9", actor=TEST_ACTOR, reason="cancelled")
    assert balance_of(account) == Decimal("100.00")


def test_settle_after_release_is_refused():
    account = funded_account("100.00")
    hold_funds(account=account, amount=Decimal("30.00"), reference="wd-10", actor=TEST_ACTOR)
    release_hold(reference="wd-10", actor=TEST_ACTOR, reason="rejected by finance")
    with nothing_written(), pytest.raises(HoldAlreadyResolved, match="already released"):
        settle_hold(reference="wd-10", actor=TEST_ACTOR)


def test_release_after_settle_is_refused():
    account = funded_account("100.00")
    hold_funds(account=account, amount=Decimal("30.00"), reference="wd-11", actor=TEST_ACTOR)
    settle_hold(reference="wd-11", actor=TEST_ACTOR)
    with nothing_written(), pytest.raises(HoldAlreadyResolved, match="already settled"):
        release_hold(reference="wd-11", actor=TEST_ACTOR, reason="too late")


def test_unknown_reference_is_refused():
    with nothing_written(), pytest.raises(HoldNotFound, match="nope"):
        settle_hold(reference="nope", actor=TEST_ACTOR)


def test_a_hold_needs_a_positive_amount_a_user_account_and_a_reference():
    account = funded_account("100.00")
    revenue = system_account(kind=AccountKind.REVENUE, currency="USD")
    held()
    with nothing_written():
        with pytest.raises(NonPositiveAmount):
            hold_funds(account=account, amount=Decimal("-5.00"), reference="x", actor=TEST_ACTOR)
        with pytest.raises(HoldError, match="user accounts"):
            hold_funds(account=revenue, amount=Decimal("5.00"), reference="x", actor=TEST_ACTOR)
        with pytest.raises(HoldError, match="reference"):
            hold_funds(account=account, amount=Decimal("5.00"), reference=" ", actor=TEST_ACTOR)


def test_release_needs_a_reason():
    account = funded_account("100.00")
    hold_funds(account=account, amount=Decimal("30.00"), reference="wd-12", actor=TEST_ACTOR)
    with nothing_written(), pytest.raises(HoldError, match="reason"):
        release_hold(reference="wd-12", actor=TEST_ACTOR, reason="")


def test_each_hold_step_writes_its_posting_and_its_hold_event():
    account = funded_account("100.00")
    since = last_sequence()
    hold_funds(account=account, amount=Decimal("10.00"), reference="wd-13", actor=TEST_ACTOR)
    settle_hold(reference="wd-13", actor=TEST_ACTOR)
    hold_funds(account=account, amount=Decimal("10.00"), reference="wd-14", actor=TEST_ACTOR)
    release_hold(reference="wd-14", actor=TEST_ACTOR, reason="cancelled")
    assert audit_actions(since) == [
        "ledger.transaction_posted",
        "ledger.hold_placed",
        "ledger.transaction_posted",
        "ledger.hold_settled",
        "ledger.transaction_posted",
        "ledger.hold_placed",
        "ledger.transaction_posted",
        "ledger.hold_released",
    ]
    assert Hold.objects.count() == 2


def test_naira_earnings_are_held_in_the_naira_held_account():
    account = funded_account("5000.00", kind=AccountKind.EARNINGS)
    hold = hold_funds(
        account=account, amount=Decimal("2500.00"), reference="wd-ngn", actor=TEST_ACTOR
    )
    assert hold.currency == "NGN"
    assert held("NGN").balance == Decimal("2500.00")
