"""Reads shared by the bot, the admin and the API."""

from decimal import Decimal

import pytest

from apps.ledger.models import AccountKind, TransactionKind
from apps.ledger.selectors import account_statement, balances_for
from apps.ledger.services import system_account, transfer
from tests.factories import BotUserFactory
from tests.ledger.factories import TEST_ACTOR, UserAccountFactory, fund

pytestmark = pytest.mark.django_db


def test_balances_are_zero_for_a_user_without_accounts():
    assert balances_for(BotUserFactory()) == {
        "affiliate_usd": Decimal("0.00"),
        "earnings_ngn": Decimal("0.00"),
    }


def test_balances_show_each_account_of_the_user_only(django_assert_num_queries):
    owner = BotUserFactory()
    fund(UserAccountFactory(owner=owner), "12.50")
    fund(UserAccountFactory(owner=owner, kind=AccountKind.EARNINGS), "3000.00")
    fund(UserAccountFactory(), "99.00")
    with django_assert_num_queries(1):
        balances = balances_for(owner)
    assert balances == {"affiliate_usd": Decimal("12.50"), "earnings_ngn": Decimal("3000.00")}


def test_statement_lists_the_newest_entries_first_up_to_the_limit(django_assert_num_queries):
    account = UserAccountFactory()
    revenue = system_account(kind=AccountKind.REVENUE, currency="USD")
    fund(account, "100.00")
    for number in range(1, 4):
        transfer(
            source=account,
            destination=revenue,
            amount=Decimal(number),
            idempotency_key=f"purchase:{number}",
            kind=TransactionKind.PURCHASE,
            actor=TEST_ACTOR,
        )
    with django_assert_num_queries(1):
        lines = [(e.amount, e.transaction.idempotency_key) for e in account_statement(account, 3)]
    assert lines == [
        (Decimal("-3.00"), "purchase:3"),
        (Decimal("-2.00"), "purchase:2"),
        (Decimal("-1.00"), "purchase:1"),
    ]


def test_statement_of_an_account_without_entries_is_empty():
    assert list(account_statement(UserAccountFactory())) == []
