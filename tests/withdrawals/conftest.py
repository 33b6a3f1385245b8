"""Withdrawal fixtures: funded bot users, a bank account, a rate, and staff."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from apps.ledger.models import AccountKind
from apps.ledger.services import user_account
from apps.withdrawals.services.approvals import approve_withdrawal
from apps.withdrawals.services.requests import BankAccount, Rate, request_withdrawal
from tests.factories import BotUserFactory
from tests.ledger.factories import fund

RATE = Rate(ngn_per_usd=Decimal("1500.00"), source="exchangerate-api", at=timezone.now())
BANK = BankAccount(
    bank_code="044", bank_name="Access Bank", account_number="0690000031", account_name="Ada Obi"
)


@pytest.fixture
def earner(db):
    """A bot user with 300.00 USD of affiliate commission and 50,000 NGN of reply earnings."""
    user = BotUserFactory(username="earner")
    fund(user_account(owner=user, kind=AccountKind.AFFILIATE), "300.00")
    fund(user_account(owner=user, kind=AccountKind.EARNINGS), "50000.00")
    return user


@pytest.fixture
def ask():
    """request_withdrawal with the test bank account and rate."""

    def ask(user, amount, balance=AccountKind.AFFILIATE, **overrides):
        options = {"bank": BANK, "rate": RATE, **overrides}
        return request_withdrawal(user=user, balance=balance, amount=Decimal(amount), **options)

    return ask


@pytest.fixture
def flutterwave(live_server, settings):
    settings.FLUTTERWAVE_BASE_URL = f"{live_server.url}/sandbox/flutterwave"
    settings.FLUTTERWAVE_READ_TIMEOUT = 1
    return live_server


@pytest.fixture
def approved(earner, ask, finance_clerk, flutterwave):
    withdrawal = ask(earner, "100.00")
    return approve_withdrawal(withdrawal=withdrawal, actor=finance_clerk, payout_mode="automatic")
