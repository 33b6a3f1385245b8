"""post_transaction and transfer: balances, entries, idempotency and the audit event."""

from decimal import Decimal

import pytest

from apps.audit.models import AuditEvent
from apps.common.correlation import correlation_scope
from apps.ledger.errors import IdempotencyConflict, InsufficientFunds
from apps.ledger.models import AccountKind, Entry, Transaction, TransactionKind
from apps.ledger.services import post_transaction, system_account, transfer
from tests.factories import BotUserFactory, StaffUserFactory
from tests.ledger.factories import TEST_ACTOR, UserAccountFactory, fund, funded_account
from tests.ledger.helpers import audit_actions, last_sequence, nothing_written

pytestmark = pytest.mark.django_db


def revenue(currency="USD"):
    return system_account(kind=AccountKind.REVENUE, currency=currency)


def test_deposit_credits_the_user_and_debits_payments_received():
    account = UserAccountFactory()
    fund(account, "25.50")
    account.refresh_from_db()
    source = system_account(kind=AccountKind.PAYMENTS_RECEIVED, currency="USD")
    assert account.balance == Decimal("25.50")
    assert source.balance == Decimal("-25.50")


def test_entries_carry_signed_amounts_and_the_account_currency():
    account = UserAccountFactory()
    posted = fund(account, "10.00")
    entries = {entry.account_id: entry for entry in Entry.objects.filter(transaction=posted)}
    assert entries[account.pk].amount == Decimal("10.00")
    assert entries[account.pk].currency == "USD"
    assert sum(entry.amount for entry in entries.values()) == 0


def test_posting_stores_actor_correlation_id_and_fingerprint():
    staff = StaffUserFactory(username="finance-ann")
    account = funded_account("20.00")
    with correlation_scope("req-123"):
        posted = post_transaction(
            idempotency_key="purchase:1",
            kind=TransactionKind.PURCHASE,
            entries=[(account, Decimal("-5.00")), (revenue(), Decimal("5.00"))],
            actor=staff,
            memo="plan t1",
        )
    stored = Transaction.objects.get(pk=posted.pk)
    assert (stored.actor_type, stored.actor_id, stored.actor_label) == (
        "staff",
        str(staff.pk),
        "finance-ann",
    )
    assert stored.correlation_id == "req-123"
    assert len(stored.fingerprint) == 64


def test_posting_writes_one_audit_event_naming_the_key_and_the_owners():
    owner = BotUserFactory(telegram_id=777000111)
    account = funded_account("20.00", owner=owner)
    since = last_sequence()
    posted = post_transaction(
        idempotency_key="purchase:42",
        kind=TransactionKind.PURCHASE,
        entries=[(account, Decimal("-7.25")), (revenue(), Decimal("7.25"))],
        actor=TEST_ACTOR,
    )
    assert audit_actions(since) == ["ledger.transaction_posted"]
    event = AuditEvent.objects.get(sequence=since + 1)
    assert (event.object_type, event.object_id) == ("ledger_transaction", str(posted.pk))
    assert event.after["idempotency_key"] == "purchase:42"
    assert {
        "account": account.pk,
        "owner_telegram_id": 777000111,
        "kind": "affiliate",
        "currency": "USD",
        "amount": "-7.25",
    } in event.after["entries"]
    terms = set(event.search_terms.values_list("term", flat=True))
    assert {"purchase:42", "777000111"} <= terms


def test_same_key_and_content_returns_the_first_transaction_and_moves_money_once():
    account = funded_account("50.00")
    arguments = {
        "idempotency_key": "purchase:7",
        "kind": TransactionKind.PURCHASE,
        "entries": [(account, Decimal("-10.00")), (revenue(), Decimal("10.00"))],
        "actor": TEST_ACTOR,
        "memo": "plan t2",
    }
    first = post_transaction(**arguments)
    since = last_sequence()
    with nothing_written():
        again = post_transaction(**arguments)
    assert again.pk == first.pk
    assert audit_actions(since) == []
    account.refresh_from_db()
    assert account.balance == Decimal("40.00")


def test_same_key_with_different_content_is_refused_as_a_conflict():
    account, destination = funded_account("50.00"), revenue()
    post_transaction(
        idempotency_key="purchase:8",
        kind=TransactionKind.PURCHASE,
        entries=[(account, Decimal("-10.00")), (destination, Decimal("10.00"))],
        actor=TEST_ACTOR,
    )
    with nothing_written(), pytest.raises(IdempotencyConflict, match="already used"):
        post_transaction(
            idempotency_key="purchase:8",
            kind=TransactionKind.PURCHASE,
            entries=[(account, Decimal("-12.00")), (destination, Decimal("12.00"))],
            actor=TEST_ACTOR,
        )


def test_amounts_written_with_fewer_places_are_the_same_content():
    account = funded_account("50.00")
    first = transfer(
        source=account,
        destination=revenue(),
        amount=Decimal("10.5"),
        idempotency_key="purchase:9",
        kind=TransactionKind.PURCHASE,
        actor=TEST_ACTOR,
    )
    again = transfer(
        source=account,
        destination=revenue(),
        amount=Decimal("10.50"),
        idempotency_key="purchase:9",
        kind=TransactionKind.PURCHASE,
        actor=TEST_ACTOR,
    )
    assert again.pk == first.pk


def test_debit_beyond_the_balance_is_refused_with_the_figures():
    account, destination = funded_account("10.00"), revenue()
    with nothing_written(), pytest.raises(InsufficientFunds) as refused:
        transfer(
            source=account,
            destination=destination,
            amount=Decimal("15.00"),
            idempotency_key="purchase:10",
            kind=TransactionKind.PURCHASE,
            actor=TEST_ACTOR,
        )
    message = str(refused.value)
    assert f"account #{account.pk}" in message
    assert "balance 10.00, needs 15.00" in message


def test_a_refused_key_can_be_used_again_once_funds_arrive():
    account = funded_account("10.00")
    arguments = {
        "source": account,
        "destination": revenue(),
        "amount": Decimal("15.00"),
        "idempotency_key": "purchase:11",
        "kind": TransactionKind.PURCHASE,
        "actor": TEST_ACTOR,
    }
    with pytest.raises(InsufficientFunds):
        transfer(**arguments)
    fund(account, "5.00")
    transfer(**arguments)
    account.refresh_from_db()
    assert account.balance == Decimal("0.00")


def test_system_accounts_may_go_below_zero():
    account = UserAccountFactory()
    fund(account, "3.00")
    assert system_account(kind=AccountKind.PAYMENTS_RECEIVED, currency="USD").balance == Decimal(
        "-3.00"
    )


def test_transfer_moves_the_amount_between_two_user_accounts():
    source, destination = funded_account("30.00"), UserAccountFactory()
    transfer(
        source=source,
        destination=destination,
        amount=Decimal("12.34"),
        idempotency_key="commission:1",
        kind=TransactionKind.COMMISSION,
        actor=TEST_ACTOR,
    )
    source.refresh_from_db()
    destination.refresh_from_db()
    assert (source.balance, destination.balance) == (Decimal("17.66"), Decimal("12.34"))


def test_a_transaction_may_touch_one_account_in_several_entries():
    account = funded_account("30.00")
    post_transaction(
        idempotency_key="purchase:split",
        kind=TransactionKind.PURCHASE,
        entries=[
            (account, Decimal("-10.00")),
            (account, Decimal("-5.00")),
            (revenue(), Decimal("15.00")),
        ],
        actor=TEST_ACTOR,
    )
    account.refresh_from_db()
    assert account.balance == Decimal("15.00")


def test_naira_and_dollar_balances_are_kept_apart():
    owner = BotUserFactory()
    usd = UserAccountFactory(owner=owner)
    ngn = UserAccountFactory(owner=owner, kind=AccountKind.EARNINGS)
    fund(usd, "1.00")
    fund(ngn, "5000.00")
    usd.refresh_from_db()
    ngn.refresh_from_db()
    assert (usd.currency, usd.balance) == ("USD", Decimal("1.00"))
    assert (ngn.currency, ngn.balance) == ("NGN", Decimal("5000.00"))
