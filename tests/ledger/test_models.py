"""What the database itself guarantees: append-only history, no negative user balance, and one
account per user and kind."""

from decimal import Decimal

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from apps.common.db.models import AppendOnlyError
from apps.ledger.models import Account, AccountKind, Entry, Transaction
from apps.ledger.services import system_account, user_account
from tests.factories import BotUserFactory
from tests.ledger.factories import UserAccountFactory, fund

pytestmark = pytest.mark.django_db


@pytest.fixture
def posted():
    return fund(UserAccountFactory(), "10.00")


def test_entries_cannot_be_updated_or_deleted_through_the_orm(posted):
    entry = Entry.objects.filter(transaction=posted).first()
    entry.amount = Decimal("99.00")
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        Entry.objects.filter(pk=entry.pk).update(amount=Decimal("1.00"))
    with pytest.raises(AppendOnlyError):
        Entry.objects.filter(pk=entry.pk).delete()


def test_transactions_cannot_be_updated_or_deleted_through_the_orm(posted):
    posted.memo = "edited"
    with pytest.raises(AppendOnlyError):
        posted.save()
    with pytest.raises(AppendOnlyError):
        posted.delete()
    with pytest.raises(AppendOnlyError):
        Transaction.objects.filter(pk=posted.pk).update(memo="edited")
    with pytest.raises(AppendOnlyError):
        Transaction.objects.all().delete()


@pytest.mark.postgres
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ledger_entry SET amount = 99 WHERE transaction_id = %s",
        "DELETE FROM ledger_entry WHERE transaction_id = %s",
        "UPDATE ledger_transaction SET memo = 'edited' WHERE id = %s",
        "DELETE FROM ledger_transaction WHERE id = %s",
    ],
)
def test_raw_sql_cannot_change_history_on_postgres(posted, statement):
    refused = pytest.raises(DatabaseError, match="append-only")
    with refused, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, [posted.pk])
    assert Entry.objects.filter(transaction=posted).count() == 2


@pytest.mark.postgres
def test_raw_sql_cannot_truncate_the_entries_on_postgres(posted):
    refused = pytest.raises(DatabaseError, match="append-only")
    with refused, transaction.atomic(), connection.cursor() as cursor:
        # Run the deferred foreign-key checks of the setup now, so TRUNCATE meets the trigger.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("TRUNCATE ledger_entry CASCADE")


def test_the_check_constraint_refuses_a_negative_user_balance_even_in_raw_sql():
    account = UserAccountFactory()
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE ledger_account SET balance = -0.01 WHERE id = %s", [account.pk])
    account.refresh_from_db()
    assert account.balance == Decimal("0.00")


def test_a_system_account_balance_may_be_negative():
    revenue = system_account(kind=AccountKind.REVENUE, currency="USD")
    Account.objects.filter(pk=revenue.pk).update(balance=Decimal("-5.00"))
    revenue.refresh_from_db()
    assert revenue.balance == Decimal("-5.00")


def test_one_account_per_user_and_kind():
    account = UserAccountFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.create(owner=account.owner, kind=account.kind, currency=account.currency)


def test_one_system_account_per_kind_and_currency():
    system_account(kind=AccountKind.FX, currency="NGN")
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.create(owner=None, kind=AccountKind.FX, currency="NGN")


@pytest.mark.parametrize(
    ("with_owner", "kind", "currency"),
    [
        (True, AccountKind.AFFILIATE, "NGN"),  # affiliate balances are dollars
        (True, AccountKind.REVENUE, "USD"),  # a user does not own system money
        (False, AccountKind.EARNINGS, "NGN"),  # earnings always belong to someone
    ],
)
def test_an_account_kind_must_fit_its_owner_and_currency(with_owner, kind, currency):
    owner = BotUserFactory() if with_owner else None
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.create(owner=owner, kind=kind, currency=currency)


def test_user_account_is_created_once_and_found_after():
    owner = BotUserFactory()
    first = user_account(owner=owner, kind=AccountKind.AFFILIATE)
    again = user_account(owner=owner, kind=AccountKind.AFFILIATE)
    earnings = user_account(owner=owner, kind=AccountKind.EARNINGS)
    assert first.pk == again.pk
    assert (first.currency, earnings.currency) == ("USD", "NGN")


def test_a_zero_entry_is_refused_by_the_database(posted):
    account = Entry.objects.filter(transaction=posted).first().account
    with pytest.raises(IntegrityError), transaction.atomic():
        Entry.objects.create(transaction=posted, account=account, amount=0, currency="USD")
