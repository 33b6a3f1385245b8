"""Ledger test data. Balances only ever come from postings, so `fund` posts a deposit."""

from __future__ import annotations

import itertools
from decimal import Decimal

import factory

from apps.audit.actors import Actor
from apps.ledger.models import USER_ACCOUNT_CURRENCY, Account, AccountKind, TransactionKind
from apps.ledger.services import post_transaction, system_account
from tests.factories import BotUserFactory

TEST_ACTOR = Actor.system("tests")
_deposit_numbers = itertools.count(1)


class UserAccountFactory(factory.django.DjangoModelFactory):
    """A bot user's account with a zero balance (use fund() to give it money)."""

    class Meta:
        model = Account

    owner = factory.SubFactory(BotUserFactory)
    kind = AccountKind.AFFILIATE
    currency = factory.LazyAttribute(lambda account: USER_ACCOUNT_CURRENCY[account.kind])


class EarningsAccountFactory(UserAccountFactory):
    kind = AccountKind.EARNINGS


def fund(account: Account, amount: str | Decimal, *, key: str | None = None):
    """Deposit AMOUNT into ACCOUNT from "payments received"; returns the transaction."""
    amount = Decimal(amount)
    source = system_account(kind=AccountKind.PAYMENTS_RECEIVED, currency=account.currency)
    return post_transaction(
        idempotency_key=key or f"test-deposit:{next(_deposit_numbers)}",
        kind=TransactionKind.DEPOSIT,
        entries=[(source, -amount), (account, amount)],
        actor=TEST_ACTOR,
        memo="test deposit",
    )


def funded_account(amount: str | Decimal, **factory_kwargs) -> Account:
    account = UserAccountFactory(**factory_kwargs)
    fund(account, amount)
    account.refresh_from_db()
    return account
