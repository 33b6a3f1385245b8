"""reverse_transaction: the mirror image, at most once, never below zero."""

from decimal import Decimal

import pytest

from apps.ledger.errors import AlreadyReversed, InsufficientFunds, InvalidTransaction
from apps.ledger.models import AccountKind, Entry, Transaction, TransactionKind
from apps.ledger.services import (
    post_transaction,
    reverse_transaction,
    system_account,
    transfer,
)
from tests.ledger.factories import TEST_ACTOR, UserAccountFactory, fund, funded_account
from tests.ledger.helpers import audit_actions, last_sequence, nothing_written

pytestmark = pytest.mark.django_db


def test_reversal_posts_negated_entries_linked_to_the_original():
    account = UserAccountFactory()
    original = fund(account, "40.00", key="deposit:abc")
    reversal = reverse_transaction(transaction=original, actor=TEST_ACTOR, reason="paid twice")
    assert reversal.idempotency_key == "reversal:deposit:abc"
    assert reversal.kind == TransactionKind.REVERSAL
    assert reversal.reverses_id == original.pk
    assert reversal.memo == "paid twice"
    assert Transaction.objects.get(pk=original.pk).reversed_by == reversal
    mirrored = {(e.account_id, -e.amount) for e in Entry.objects.filter(transaction=original)}
    assert {(e.account_id, e.amount) for e in Entry.objects.filter(transaction=reversal)} == (
        mirrored
    )
    account.refresh_from_db()
    assert account.balance == Decimal("0.00")


def test_reversal_writes_the_posting_and_the_reversal_events():
    original = fund(UserAccountFactory(), "5.00")
    since = last_sequence()
    reverse_transaction(transaction=original, actor=TEST_ACTOR, reason="test payment")
    assert audit_actions(since) == ["ledger.transaction_posted", "ledger.transaction_reversed"]


def test_reversing_twice_with_the_same_reason_returns_the_first_reversal():
    original = fund(UserAccountFactory(), "5.00")
    first = reverse_transaction(transaction=original, actor=TEST_ACTOR, reason="duplicate")
    with nothing_written():
        again = reverse_transaction(transaction=original, actor=TEST_ACTOR, reason="duplicate")
    assert again.pk == first.pk


def test_reversing_again_for_another_reason_is_refused():
    original = fund(UserAccountFactory(), "5.00")
    reverse_transaction(transaction=original, actor=TEST_ACTOR, reason="duplicate")
    with nothing_written(), pytest.raises(AlreadyReversed, match="already reversed"):
        reverse_transaction(transaction=original, actor=TEST_ACTOR, reason="another reason")


def test_a_second_reversal_under_another_key_is_refused_by_the_unique_link():
    account = UserAccountFactory()
    original = fund(account, "5.00")
    reverse_transaction(transaction=original, actor=TEST_ACTOR, reason="duplicate")
    fund(account, "5.00")
    source = system_account(kind=AccountKind.PAYMENTS_RECEIVED, currency="USD")
    with nothing_written(), pytest.raises(AlreadyReversed):
        post_transaction(
            idempotency_key="sneaky-second-reversal",
            kind=TransactionKind.REVERSAL,
            entries=[(account, Decimal("-5.00")), (source, Decimal("5.00"))],
            actor=TEST_ACTOR,
            reverses=original,
        )


def test_reversing_a_reversal_is_refused():
    original = fund(UserAccountFactory(), "5.00")
    reversal = reverse_transaction(transaction=original, actor=TEST_ACTOR, reason="duplicate")
    with nothing_written(), pytest.raises(AlreadyReversed, match="itself a reversal"):
        reverse_transaction(transaction=reversal, actor=TEST_ACTOR, reason="undo the undo")


def test_reversal_that_would_take_a_user_below_zero_is_refused():
    account = UserAccountFactory()
    deposit = fund(account, "10.00")
    revenue = system_account(kind=AccountKind.REVENUE, currency="USD")
    transfer(
        source=account,
        destination=revenue,
        amount=Decimal("8.00"),
        idempotency_key="purchase:spent",
        kind=TransactionKind.PURCHASE,
        actor=TEST_ACTOR,
    )
    with nothing_written(), pytest.raises(InsufficientFunds, match=r"balance 2\.00, needs 10\.00"):
        reverse_transaction(transaction=deposit, actor=TEST_ACTOR, reason="chargeback")


def test_a_reversal_needs_a_reason():
    original = fund(funded_account("1.00"), "5.00")
    with nothing_written(), pytest.raises(InvalidTransaction, match="reason"):
        reverse_transaction(transaction=original, actor=TEST_ACTOR, reason="  ")
